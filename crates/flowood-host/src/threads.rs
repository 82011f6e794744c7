//! Running independent pieces of work on one thread each, for the CPU backends, whose kernels
//! keep about one core busy at Glow's batch sizes (used by training shards and batch scoring).

/// The most threads flowood runs a piece of work on at once (training shards, scored
/// batches): more than the cores of any machine it targets. Each thread holds a batch's
/// tensors, so a larger count only costs memory and threads; the CLI refuses one, and the
/// library's thread settings are clamped to it.
pub const MAX_THREADS: usize = 256;

/// `work` applied to every item, each on its own scoped thread (a single item: on this
/// thread), results in item order. A panic in any thread is resumed on this one.
pub fn map_on_threads<T, R, F>(items: Vec<T>, work: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    if items.len() <= 1 {
        return items.into_iter().map(work).collect();
    }
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = items
            .into_iter()
            .map(|item| scope.spawn(move || work(item)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}
