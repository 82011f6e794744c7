//! One shard's forward passes through the model being trained, and the gradients of a loss
//! computed from them: with Burn's graph of every activation, or with recomputed flow steps
//! ([`TrainConfig::recompute`](crate::TrainConfig::recompute), [`StepTape`]).

use std::cell::RefCell;

use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::Tensor;
use flowood_glow::{Encoded, Glow, GlowError, LogLikelihood, StepTape};

/// The forward passes of one training pass of `model` (on an autodiff device), for
/// [`TrainingPass::gradients`].
pub struct TrainingPass<'m> {
    model: &'m Glow,
    /// The tape of every forward pass so far, when the flow steps are recomputed.
    tapes: Option<RefCell<Vec<StepTape<'m>>>>,
}

impl<'m> TrainingPass<'m> {
    /// A pass of `model` that keeps every activation, or (`recompute`) only the flow steps'
    /// inputs.
    pub fn new(model: &'m Glow, recompute: bool) -> Self {
        let tapes = recompute.then(|| RefCell::new(Vec::new()));
        Self { model, tapes }
    }

    /// The model being trained.
    pub fn model(&self) -> &'m Glow {
        self.model
    }

    /// [`Glow::encode_with_likelihood`] of `x` (on the model's autodiff device).
    pub fn encode(&self, x: Tensor<4>) -> Result<Encoded, GlowError> {
        let Some(tapes) = &self.tapes else {
            return self.model.encode_with_likelihood(x);
        };
        let (encoded, tape) = self.model.encode_taped(x)?;
        tapes.borrow_mut().push(tape);
        Ok(encoded)
    }

    /// [`Glow::log_likelihood`] of `x` (on the model's autodiff device).
    pub fn log_likelihood(&self, x: Tensor<4>) -> Result<LogLikelihood, GlowError> {
        Ok(self.encode(x)?.log_likelihood)
    }

    /// The gradients of `loss` (computed from this pass's forward passes) with respect to
    /// every parameter of the model.
    pub fn gradients(self, loss: &Tensor<1>) -> GradientsParams {
        let grads = loss.backward();
        let Some(tapes) = self.tapes else {
            return GradientsParams::from_grads(grads, self.model);
        };
        let mut accumulator = GradientsAccumulator::<Glow>::new();
        for tape in tapes.into_inner().into_iter().rev() {
            tape.backward(&grads, |step| accumulator.accumulate(self.model, step));
        }
        accumulator.accumulate(self.model, GradientsParams::from_grads(grads, self.model));
        accumulator.grads()
    }
}
