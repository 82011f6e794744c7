//! Keeping freed memory in the process instead of handing it back to the kernel after every
//! operation: what a CPU backend's many short-lived, many-megabyte buffers need.

/// Tells the C allocator to serve every allocation from its heaps and to keep freed memory for
/// the next allocation. Returns whether it applied (glibc on Linux; elsewhere nothing changes).
///
/// Why: Burn's CPU kernels allocate and free a buffer of up to tens of megabytes for almost
/// every operation (a 3x3 convolution's unfolded input at batch 64 is about 75 MB). glibc's
/// `malloc` serves blocks above its mmap threshold (at most 32 MB) with a fresh `mmap` and
/// unmaps them on `free`, so each operation paid for page faults and for the kernel zeroing
/// the pages again: a third of the time of scoring a batch of the small Glow went to the
/// kernel (perf), and scoring ran at about half the speed it reaches with this setting. Peak
/// memory stays the same; freed memory is reused instead of returned.
///
/// The threads that shard a training step or score batches at once allocate from heaps of
/// their own, which glibc grows and shrinks by the exact amount unless told to keep a margin:
/// the margin set here (`HEAP_MARGIN` in this module) keeps them from going back to the kernel
/// between operations. Without it the paper configuration spent a tenth of its scoring and
/// training time in page faults and TLB shootdowns (`perf`: `clear_page_erms`,
/// `smp_call_function_many_cond`).
///
/// Call it first thing in `main` of a program that runs flowood on the CPU (the `flowood`
/// binary and the benchmarks do). Another global allocator makes it pointless but harmless.
pub fn keep_freed_memory() -> bool {
    imp::keep_freed_memory()
}

/// The margin glibc keeps at the top of every heap when it grows or shrinks one (`M_TOP_PAD`):
/// 256 MiB of address space, resident only once written. 64 MiB already removed the page
/// faults of scoring the paper configuration.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const HEAP_MARGIN: libc::c_int = 256 << 20;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    #[allow(unsafe_code)]
    pub fn keep_freed_memory() -> bool {
        // SAFETY: `mallopt` only changes glibc malloc's tuning parameters; it is thread-safe,
        // takes plain integers, and any value is valid (an unsupported one returns 0).
        let no_mmap = unsafe { libc::mallopt(libc::M_MMAP_MAX, 0) };
        // SAFETY: as above.
        let keep_top = unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX) };
        // SAFETY: as above.
        let margin = unsafe { libc::mallopt(libc::M_TOP_PAD, super::HEAP_MARGIN) };
        no_mmap == 1 && keep_top == 1 && margin == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub fn keep_freed_memory() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_settings_and_allocation_still_works() {
        assert!(super::keep_freed_memory());
        // A block far above the former mmap threshold, written and read back.
        let mut big = vec![0u8; 96 << 20];
        big[(96 << 20) - 1] = 7;
        assert_eq!(big.iter().map(|&b| b as u64).sum::<u64>(), 7);
    }
}
