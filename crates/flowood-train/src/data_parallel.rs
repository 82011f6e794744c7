//! Data parallelism inside one training step, for CPU backends.
//!
//! Burn's CPU backends parallelise only large matrix products, and a Glow's layers at batch
//! 64 are mostly small ones and element-wise work, so a step keeps one core busy. Here the
//! batch is cut into equal shards, each thread runs forward and backward on its shard with its
//! own autodiff copy of the model (independent graphs), and the gradients are summed. Each
//! shard backpropagates `loss / shards`, so for a loss that is a mean over the batch's images
//! (every objective of flowood-objectives) the sum is the whole batch's gradient.

use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::Tensor;
use flowood_glow::Glow;
use flowood_host::map_on_threads;

use crate::training_pass::TrainingPass;

/// The summed gradients of a data-parallel pass, the batch loss and each shard's report, in
/// shard order.
pub struct ParallelPass<R> {
    /// Gradients of the batch loss with respect to the model's parameters.
    pub grads: GradientsParams,
    /// The batch loss (the mean of the shards' losses).
    pub loss: f64,
    /// What `pass` returned beside the loss, one entry per shard.
    pub reports: Vec<R>,
}

/// The number of equal shards (at most `threads`, and at most the smallest batch: a shard
/// holds at least one image) that divides every batch size in `sizes`; 1 when no larger
/// count does.
pub fn shard_count(threads: usize, sizes: &[usize]) -> usize {
    let most = sizes.iter().copied().min().unwrap_or(1);
    (1..=threads.min(most).max(1))
        .rev()
        .find(|s| sizes.iter().all(|n| n % s == 0))
        .unwrap_or(1)
}

/// Runs `pass` on every shard, each in its own thread (one shard: on this thread) with a fresh
/// autodiff copy of `model` (same parameter ids, own graph), backpropagates each shard's loss
/// divided by the number of shards and sums the gradients. With `recompute` the shards keep
/// only their flow steps' inputs and recompute the steps in the backward pass
/// ([`TrainingPass`]).
///
/// `pass` returns the shard's loss (a one-element tensor, a mean over the shard's images) and
/// a report of its own. The first error of any shard is returned; a panic in a shard is
/// resumed on this thread.
pub fn data_parallel<S, R, E, F>(
    model: &Glow,
    shards: Vec<S>,
    recompute: bool,
    pass: F,
) -> Result<ParallelPass<R>, E>
where
    S: Send,
    R: Send,
    E: Send,
    F: Fn(&TrainingPass<'_>, S) -> Result<(Tensor<1>, R), E> + Sync,
{
    let count = shards.len().max(1) as f64;
    let shard_pass = |shard: S| -> Result<(GradientsParams, f64, R), E> {
        let local = model.valid().train();
        let training = TrainingPass::new(&local, recompute);
        let (loss, report) = pass(&training, shard)?;
        let loss = loss.div_scalar(count);
        let value = loss.clone().into_scalar::<f64>();
        Ok((training.gradients(&loss), value, report))
    };
    let outcomes = map_on_threads(shards, shard_pass);
    let mut accumulator = GradientsAccumulator::<Glow>::new();
    let (mut loss, mut reports) = (0.0, Vec::with_capacity(outcomes.len()));
    for outcome in outcomes {
        let (grads, value, report) = outcome?;
        accumulator.accumulate(model, grads);
        loss += value;
        reports.push(report);
    }
    Ok(ParallelPass {
        grads: accumulator.grads(),
        loss,
        reports,
    })
}
