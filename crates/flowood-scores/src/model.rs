//! A Glow prepared for scoring: initialised, in inference mode, evaluated on the host.

use burn::module::Module;
use burn::tensor::Tensor;
use flowood_glow::{Glow, GlowConfig, LogLikelihoodValues};

use crate::error::ScoreError;

/// A Glow in inference mode (no autodiff), checked to be data-initialised.
///
/// Every scorer holds one or two of these and runs each batch through them exactly once.
#[derive(Debug, Clone)]
pub struct ScoringModel {
    glow: Glow,
}

impl ScoringModel {
    /// Prepares `glow` for scoring; `role` names it in errors (`in-distribution`, `general`).
    pub fn new(glow: &Glow, role: &'static str) -> Result<Self, ScoreError> {
        if !glow.is_initialized() {
            return Err(ScoreError::NotInitialized { role });
        }
        Ok(Self { glow: glow.valid() })
    }

    /// The architecture of the model.
    pub fn config(&self) -> &GlowConfig {
        &self.glow.config
    }

    /// Number of scales L.
    pub fn levels(&self) -> usize {
        self.glow.config.levels
    }

    /// `log p(x)` and its per-scale terms for every image of `x`, read back to the host.
    ///
    /// `x` may live on any device: it is moved to the model's device without autodiff.
    pub fn values(&self, x: &Tensor<4>) -> Result<LogLikelihoodValues, ScoreError> {
        let x = x.clone().without_autodiff().to_device(&self.glow.device());
        Ok(self.glow.log_likelihood(x)?.to_host())
    }

    /// Fails unless `general` has exactly this model's flow architecture (needed for ratios,
    /// which compare the models scale by scale); a class-conditional head of either model
    /// does not count, since a supervised model is fine-tuned from an unsupervised one.
    pub fn check_same_architecture(&self, general: &ScoringModel) -> Result<(), ScoreError> {
        if self.config().flow() == general.config().flow() {
            return Ok(());
        }
        Err(ScoreError::ArchitectureMismatch {
            in_model: format!("{:?}", self.config()),
            general: format!("{:?}", general.config()),
        })
    }

    /// Fails unless `index` (0-based) is one of the model's scales.
    pub fn check_scale(&self, index: usize) -> Result<(), ScoreError> {
        if index < self.levels() {
            return Ok(());
        }
        Err(ScoreError::ScaleOutOfRange {
            index,
            levels: self.levels(),
        })
    }
}
