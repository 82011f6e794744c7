//! The likelihood ratio `log p_in(x) - log p_general(x)` (the paper's main score).

use flowood_glow::{Glow, LogLikelihoodValues};

use crate::batch::ScoreBatch;
use crate::error::ScoreError;
use crate::model::ScoringModel;
use crate::scorer::Scorer;

/// The in-distribution model and the general model of a ratio, checked to share one
/// architecture so that their per-scale terms correspond.
#[derive(Debug, Clone)]
pub struct ModelPair {
    /// The in-distribution model (`p_in`).
    pub in_model: ScoringModel,
    /// The general model (`p_general`), trained on the broad distribution.
    pub general: ScoringModel,
}

impl ModelPair {
    /// Prepares both models; fails if either is uninitialised or their architectures differ.
    pub fn new(in_model: &Glow, general: &Glow) -> Result<Self, ScoreError> {
        let in_model = ScoringModel::new(in_model, "in-distribution")?;
        let general = ScoringModel::new(general, "general")?;
        in_model.check_same_architecture(&general)?;
        Ok(Self { in_model, general })
    }

    /// Host values of both models for `batch`: (in-distribution, general).
    pub fn values(
        &self,
        batch: &ScoreBatch,
    ) -> Result<(LogLikelihoodValues, LogLikelihoodValues), ScoreError> {
        Ok((
            self.in_model.values(&batch.x)?,
            self.general.values(&batch.x)?,
        ))
    }
}

/// Scores an image by `log p_in(x) - log p_general(x)` (nats): high when the in-distribution
/// model explains the image better than the general one.
#[derive(Debug, Clone)]
pub struct RatioScorer {
    pair: ModelPair,
}

impl RatioScorer {
    /// Builds the scorer; both models must have identical architecture.
    pub fn new(in_model: &Glow, general: &Glow) -> Result<Self, ScoreError> {
        Ok(Self {
            pair: ModelPair::new(in_model, general)?,
        })
    }
}

/// Element-wise `a - b`.
pub fn difference(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a - b).collect()
}

/// The ratio of each image from host values of both models.
pub fn ratio_scores(in_values: &LogLikelihoodValues, general: &LogLikelihoodValues) -> Vec<f64> {
    difference(&in_values.total, &general.total)
}

impl Scorer for RatioScorer {
    fn name(&self) -> String {
        "ratio".into()
    }

    fn score(&self, batch: &ScoreBatch) -> Result<Vec<f64>, ScoreError> {
        let (in_values, general) = self.pair.values(batch)?;
        Ok(ratio_scores(&in_values, &general))
    }
}
