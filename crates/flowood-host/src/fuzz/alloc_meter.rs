//! A global allocator that counts live heap bytes, so that a test can measure the peak
//! allocation of a piece of work (an untouched `Vec::with_capacity` counts in full, which
//! resident-memory figures would miss).

#![allow(unsafe_code)] // a GlobalAlloc is unsafe to implement; every call goes to System

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, Ordering};

/// Heap bytes allocated and not yet freed, process-wide.
static LIVE: AtomicIsize = AtomicIsize::new(0);
/// Highest [`LIVE`] since the current measurement began.
static PEAK: AtomicIsize = AtomicIsize::new(0);
/// One measurement at a time (tests of one binary run on several threads).
static MEASURING: Mutex<()> = Mutex::new(());

/// The system allocator, counting. Install it in a test binary with
/// `#[global_allocator] static ALLOC: CountingAllocator = CountingAllocator;`.
pub struct CountingAllocator;

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes as isize, Ordering::Relaxed) + bytes as isize;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes as isize, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and only
// updates two counters; the layout contract is the caller's, as for `System` itself.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

/// Runs `work` and returns its result with the peak of heap bytes allocated during it, above
/// what was live when it started. Measurements are serialised; with [`CountingAllocator`]
/// not installed the peak is always 0.
pub fn peak_allocation_during<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let _one_at_a_time = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    let out = work();
    let peak = PEAK.load(Ordering::Relaxed) - start;
    (out, usize::try_from(peak).unwrap_or(0))
}
