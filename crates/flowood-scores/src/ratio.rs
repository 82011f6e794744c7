//! The likelihood ratio `log p_in(x) - log p_general(x)` (the paper's main score).

use flowood_glow::{Glow, LogLikelihoodValues};

use crate::batch::ScoreBatch;
use crate::error::ScoreError;
use crate::model::ScoringModel;
use crate::score::{Score, ScoreInputs};
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

    /// `score` of every image of `batch` under both models.
    pub fn score(&self, score: Score, batch: &ScoreBatch) -> Result<Vec<f64>, ScoreError> {
        let (in_values, general) = self.values(batch)?;
        score.compute(&ScoreInputs {
            general: Some(&general),
            ..ScoreInputs::of(&in_values)
        })
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

impl Scorer for RatioScorer {
    fn name(&self) -> String {
        Score::Ratio.name()
    }

    fn score(&self, batch: &ScoreBatch) -> Result<Vec<f64>, ScoreError> {
        self.pair.score(Score::Ratio, batch)
    }
}
