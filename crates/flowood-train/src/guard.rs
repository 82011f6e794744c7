//! The non-finite guard (docs/method.md, "Training"): a step whose gradients are not all finite is
//! skipped; if some per-image losses are not finite but more than a quarter are, the loss is
//! recomputed on the finite part of the batch.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

/// What to do with a batch given its per-image losses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchVerdict {
    /// Every loss is finite: use the whole batch.
    AllFinite,
    /// Recompute on these images (more than a quarter, fewer than all).
    FinitePart(Vec<usize>),
    /// A quarter or fewer are finite: skip the step.
    Skip,
}

/// Decides from the per-image losses of a batch.
pub fn batch_verdict(per_image: &[f64]) -> BatchVerdict {
    let finite: Vec<usize> = (0..per_image.len())
        .filter(|&i| per_image[i].is_finite())
        .collect();
    if finite.len() == per_image.len() {
        BatchVerdict::AllFinite
    } else if finite.len() * 4 > per_image.len() {
        BatchVerdict::FinitePart(finite)
    } else {
        BatchVerdict::Skip
    }
}

/// Whether every gradient of `model`'s parameters in `grads` is finite (one device sync).
pub fn gradients_finite<M: Module>(model: &M, grads: &GradientsParams) -> bool {
    let mut sums = GradientSums {
        grads,
        sums: Vec::new(),
    };
    model.visit(&mut sums);
    match sums.sums.into_iter().reduce(|a, b| a + b) {
        Some(total) => total.into_scalar::<f64>().is_finite(),
        None => true,
    }
}

/// Collects `sum(|g|)` of each parameter's gradient; any NaN or infinity makes the total
/// non-finite.
struct GradientSums<'a> {
    grads: &'a GradientsParams,
    sums: Vec<Tensor<1>>,
}

impl ModuleVisitor for GradientSums<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.get::<D>(param.id) {
            self.sums.push(grad.abs().sum());
        }
    }
}
