//! Every score, defined once: its name, its sign convention and how it is computed from the
//! host values of the two models (and, for input complexity, the PNG sizes). The scorers,
//! the streaming table and the command line all go through [`Score`].

use flowood_glow::LogLikelihoodValues;

use crate::error::ScoreError;
use crate::per_scale::Scale;

/// A per-image score. **Every score is "higher = more normal"**; those of two models are
/// differences in nats, `in-distribution - general`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Score {
    /// `log p_in(x)`, nats per image.
    LogP,
    /// `-bpd_in(x)`, minus bits per dimension.
    NegBitsPerDim,
    /// One scale's contribution `lp_i` under the in-distribution model alone;
    /// `Scale::Final` is the paper's final-scale score.
    Scale(Scale),
    /// The likelihood ratio `log p_in(x) - log p_general(x)`, the paper's main score.
    Ratio,
    /// The per-scale ratio `lp_i^in - lp_i^general`; the ratios of all scales sum to
    /// [`Score::Ratio`].
    ScaleRatio(Scale),
    /// Input complexity `-S = bpd_png(x) - bpd_in(x)` (PNG at maximum compression).
    Complexity,
}

/// The host values a score is computed from, one entry per image.
#[derive(Debug, Clone, Copy)]
pub struct ScoreInputs<'a> {
    /// Terms of the in-distribution model.
    pub in_model: &'a LogLikelihoodValues,
    /// Terms of the general model, for the ratio scores.
    pub general: Option<&'a LogLikelihoodValues>,
    /// PNG bits per dimension of the uint8 images, for input complexity.
    pub png_bpd: Option<&'a [f64]>,
}

impl Score {
    /// Short name (`log_p`, `neg_bpd`, `lp1`, `final_scale`, `ratio`, `ratio_lp1`,
    /// `complexity`); scales are numbered from 1 as in the paper.
    pub fn name(self) -> String {
        match self {
            Self::LogP => "log_p".into(),
            Self::NegBitsPerDim => "neg_bpd".into(),
            Self::Scale(s) => s.name(),
            Self::Ratio => "ratio".into(),
            Self::ScaleRatio(s) => format!("ratio_{}", s.name()),
            Self::Complexity => "complexity".into(),
        }
    }

    /// The score's column in a [`crate::ScoreTable`]: `score_` and its name.
    pub fn column(self) -> String {
        format!("score_{}", self.name())
    }

    /// Every score of a model with `levels` scales, in the order of [`crate::DatasetScorer`]'s
    /// columns: `log_p`, `neg_bpd`, `lp{i}` for every scale but the last, `final_scale`; with
    /// a general model `ratio` and `ratio_lp{i}` for every scale; then `complexity`.
    pub fn all(levels: usize, general: bool, complexity: bool) -> Vec<Self> {
        let in_model = [Self::LogP, Self::NegBitsPerDim]
            .into_iter()
            .chain((0..levels.saturating_sub(1)).map(|i| Self::Scale(Scale::Index(i))))
            .chain([Self::Scale(Scale::Final)]);
        let ratios = general
            .then(|| {
                std::iter::once(Self::Ratio)
                    .chain((0..levels).map(Scale::Index).map(Self::ScaleRatio))
            })
            .into_iter()
            .flatten();
        in_model
            .chain(ratios)
            .chain(complexity.then_some(Self::Complexity))
            .collect()
    }

    /// The score called `name` ([`Score::name`]) for a model of `levels` scales, if there is one.
    pub fn from_name(name: &str, levels: usize) -> Option<Self> {
        Self::all(levels, true, true)
            .into_iter()
            .find(|s| s.name() == name)
    }

    /// Whether the score compares against a general model.
    pub fn needs_general(self) -> bool {
        matches!(self, Self::Ratio | Self::ScaleRatio(_))
    }

    /// The score of every image from `inputs`; fails if the score needs the general model or
    /// the PNG sizes and they are missing.
    pub fn compute(self, inputs: &ScoreInputs<'_>) -> Result<Vec<f64>, ScoreError> {
        let values = inputs.in_model;
        let levels = values.scales.len();
        Ok(match self {
            Self::LogP => values.total.clone(),
            Self::NegBitsPerDim => values.bits_per_dim.iter().map(|b| -b).collect(),
            Self::Scale(s) => scale_lp(values, s.index(levels)).to_vec(),
            Self::Ratio => difference(&values.total, &general(inputs)?.total),
            Self::ScaleRatio(s) => {
                let i = s.index(levels);
                difference(scale_lp(values, i), scale_lp(general(inputs)?, i))
            }
            Self::Complexity => {
                let png = inputs.png_bpd.ok_or(ScoreError::MissingPixels)?;
                difference(png, &values.bits_per_dim)
            }
        })
    }
}

impl<'a> ScoreInputs<'a> {
    /// The inputs of the scores of the in-distribution model alone.
    pub fn of(in_model: &'a LogLikelihoodValues) -> Self {
        Self {
            in_model,
            general: None,
            png_bpd: None,
        }
    }
}

fn general<'a>(inputs: &ScoreInputs<'a>) -> Result<&'a LogLikelihoodValues, ScoreError> {
    inputs.general.ok_or_else(|| ScoreError::InvalidArgument {
        name: "general",
        reason: "a ratio score needs the general model".into(),
    })
}

/// `lp_i` of every image (empty if the model has no scale `i`; scorers check the index).
fn scale_lp(values: &LogLikelihoodValues, i: usize) -> &[f64] {
    values.scales.get(i).map_or(&[], |s| s.lp.as_slice())
}

/// Element-wise `a - b`.
fn difference(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a - b).collect()
}
