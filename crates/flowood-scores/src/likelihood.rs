//! The raw likelihood scores: `log p(x)` in nats, and `-bpd`.

use flowood_glow::Glow;

use crate::batch::ScoreBatch;
use crate::error::ScoreError;
use crate::model::ScoringModel;
use crate::score::{Score, ScoreInputs};
use crate::scorer::Scorer;

/// In which unit the likelihood score is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikelihoodUnit {
    /// `log p(x)`, nats per image (continuous density on the model's input scale).
    Nats,
    /// `-bpd(x)`, minus bits per dimension (`bpd = 8 - log p(x) / (D ln 2)`), so that higher
    /// is more normal like every other score.
    NegBitsPerDim,
}

/// Scores an image by its likelihood under one model: `log p(x)` or `-bpd(x)`.
#[derive(Debug, Clone)]
pub struct LikelihoodScorer {
    model: ScoringModel,
    unit: LikelihoodUnit,
}

impl LikelihoodScorer {
    /// Scores by `log p(x)` (nats).
    pub fn log_p(model: &Glow) -> Result<Self, ScoreError> {
        Self::new(model, LikelihoodUnit::Nats)
    }

    /// Scores by `-bpd(x)`.
    pub fn neg_bits_per_dim(model: &Glow) -> Result<Self, ScoreError> {
        Self::new(model, LikelihoodUnit::NegBitsPerDim)
    }

    /// Scores by the likelihood of `model` in `unit`.
    pub fn new(model: &Glow, unit: LikelihoodUnit) -> Result<Self, ScoreError> {
        Ok(Self {
            model: ScoringModel::new(model, "in-distribution")?,
            unit,
        })
    }
}

impl LikelihoodScorer {
    fn kind(&self) -> Score {
        match self.unit {
            LikelihoodUnit::Nats => Score::LogP,
            LikelihoodUnit::NegBitsPerDim => Score::NegBitsPerDim,
        }
    }
}

impl Scorer for LikelihoodScorer {
    fn name(&self) -> String {
        self.kind().name()
    }

    fn score(&self, batch: &ScoreBatch) -> Result<Vec<f64>, ScoreError> {
        let values = self.model.values(&batch.x)?;
        self.kind().compute(&ScoreInputs::of(&values))
    }
}
