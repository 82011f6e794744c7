//! Seeded random-mutation fuzzing of file parsers (feature `fuzz`, for tests).
//!
//! A [`Campaign`] starts from valid seed files, changes them with a [`Mutator`] (bit flips,
//! byte and header-field overwrites with boundary values, truncation, insertion, deletion,
//! duplication, numbers in text replaced by absurd ones), writes each input to a file and
//! hands it to a parser. It records what a parser must never do with user input: panic, fail
//! with an error that does not name the file, or allocate more than a few times the input
//! and output sizes (measured by [`CountingAllocator`]). The same seed gives the same inputs,
//! so every finding can be replayed.

mod alloc_meter;
mod campaign;
mod mutator;

pub use alloc_meter::{CountingAllocator, peak_allocation_during};
pub use campaign::{ALLOWANCE, BYTES_PER_BYTE, Campaign, Finding, fuzz_file};
pub use mutator::{MAX_SPAN, MAX_STACKED, Mutation, Mutator};
