//! Host-side helpers shared by the [flowood](https://crates.io/crates/flowood) crates: every
//! file or folder they write goes through [`write_atomically`], and independent pieces of work
//! run on threads with [`map_on_threads`], and [`keep_freed_memory`] tunes the C allocator for
//! the CPU backends' large short-lived buffers; user files are read only if they are regular
//! files ([`open_regular`]: a device or named pipe would hang the read). With the feature
//! `fuzz`, `fuzz` holds the mutation fuzzing that flowood's tests run on every parser of user
//! files.

mod allocator;
mod atomic_write;
#[cfg(feature = "fuzz")]
pub mod fuzz;
mod regular_file;
mod threads;

pub use allocator::keep_freed_memory;
pub use atomic_write::{AtomicWriteError, write_atomically, write_file_atomically};
pub use regular_file::{ensure_regular, open_regular, read_regular, read_regular_to_string};
pub use threads::{MAX_THREADS, map_on_threads};
