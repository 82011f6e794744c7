//! Per-scale scores: the contribution `lp_i = F_i + A_i + N_i` of one scale to `log p(x)`,
//! and its ratio `lp_i^in - lp_i^general` (docs/method.md, "The per-scale decomposition").
//!
//! The final-scale score `lp_L` of the in-distribution model alone is the paper's score that
//! ignores the local pixel statistics captured by the finer scales.

use flowood_glow::Glow;

use crate::batch::ScoreBatch;
use crate::error::ScoreError;
use crate::model::ScoringModel;
use crate::ratio::ModelPair;
use crate::score::{Score, ScoreInputs};
use crate::scorer::Scorer;

/// Which scale a per-scale score looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The 0-based scale `i`: `Index(0)` is `lp_1`, the finest scale.
    Index(usize),
    /// The last (coarsest) scale L, whatever the model's number of scales.
    Final,
}

impl Scale {
    /// The 0-based index of this scale in a model with `levels` scales.
    pub fn index(self, levels: usize) -> usize {
        match self {
            Self::Index(i) => i,
            Self::Final => levels.saturating_sub(1),
        }
    }

    /// Column-style name: `final_scale`, or `lp{i+1}` (1-based as in the paper).
    pub(crate) fn name(self) -> String {
        match self {
            Self::Index(i) => format!("lp{}", i + 1),
            Self::Final => "final_scale".into(),
        }
    }
}

/// Scores an image by one scale's contribution `lp_i` (nats) under one model;
/// [`ScaleScorer::final_scale`] is the paper's final-scale score.
#[derive(Debug, Clone)]
pub struct ScaleScorer {
    model: ScoringModel,
    scale: Scale,
}

impl ScaleScorer {
    /// Scores by `lp_L`, the contribution of the last scale.
    pub fn final_scale(model: &Glow) -> Result<Self, ScoreError> {
        Self::new(model, Scale::Final)
    }

    /// Scores by the contribution of `scale`; fails if the model has no such scale.
    pub fn new(model: &Glow, scale: Scale) -> Result<Self, ScoreError> {
        let model = ScoringModel::new(model, "in-distribution")?;
        let index = scale.index(model.levels());
        model.check_scale(index)?;
        Ok(Self { model, scale })
    }
}

impl Scorer for ScaleScorer {
    fn name(&self) -> String {
        Score::Scale(self.scale).name()
    }

    fn score(&self, batch: &ScoreBatch) -> Result<Vec<f64>, ScoreError> {
        let values = self.model.values(&batch.x)?;
        Score::Scale(self.scale).compute(&ScoreInputs::of(&values))
    }
}

/// Scores an image by the per-scale ratio `lp_i^in - lp_i^general` (nats). The per-scale
/// ratios of all scales sum to the total ratio.
#[derive(Debug, Clone)]
pub struct ScaleRatioScorer {
    pair: ModelPair,
    scale: Scale,
}

impl ScaleRatioScorer {
    /// Builds the scorer; both models must share one architecture that has `scale`.
    pub fn new(in_model: &Glow, general: &Glow, scale: Scale) -> Result<Self, ScoreError> {
        let pair = ModelPair::new(in_model, general)?;
        let index = scale.index(pair.in_model.levels());
        pair.in_model.check_scale(index)?;
        Ok(Self { pair, scale })
    }
}

impl Scorer for ScaleRatioScorer {
    fn name(&self) -> String {
        Score::ScaleRatio(self.scale).name()
    }

    fn score(&self, batch: &ScoreBatch) -> Result<Vec<f64>, ScoreError> {
        self.pair.score(Score::ScaleRatio(self.scale), batch)
    }
}
