//! Anomaly scores and OOD metrics for [flowood](https://crates.io/crates/flowood)
//! (docs/method.md, "Scores" and "The per-scale decomposition").
//!
//! # Convention
//! **Every score is "higher = more normal" (in-distribution)**: `log p(x)`, `-bpd`, the
//! likelihood ratio, per-scale contributions and ratios, `-S` for input complexity, and
//! `-|mean(-log p) - H|` for the typicality test. Metrics take in-distribution and OOD scores
//! in this convention. Non-finite scores count as maximally anomalous and are reported.
//!
//! # Scorers
//! A [`Scorer`] is built once from one or two initialised [`flowood_glow::Glow`] models (held
//! in inference mode) and maps a [`ScoreBatch`] (model input `x = v/256 - 0.5 + 1/512`, plus
//! optionally the uint8 images) to one score per image:
//! [`LikelihoodScorer`], [`RatioScorer`], [`ScaleScorer`] (incl. the final-scale score),
//! [`ScaleRatioScorer`], [`ComplexityScorer`]. [`TypicalityTest`] scores whole batches.
//! [`DatasetScorer`] streams a dataset and returns every score and per-scale term in a
//! [`ScoreTable`] (CSV writer included).
//!
//! ```no_run
//! use burn::tensor::Device;
//! use flowood_glow::GlowConfig;
//! use flowood_scores::{Pixels, RatioScorer, ScoreBatch, Scorer, metrics};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let device = Device::default();
//! let pixels = Pixels::new(vec![0u8; 4 * 32 * 32], [4, 1, 32, 32])?;
//! let batch = ScoreBatch::from_pixels(pixels, &device);
//! let in_model = GlowConfig::small(1).init(&device, 1)?.initialize(&[batch.x.clone()])?;
//! let general = GlowConfig::small(1).init(&device, 2)?.initialize(&[batch.x.clone()])?;
//! let scorer = RatioScorer::new(&in_model, &general)?;
//! let in_scores = scorer.score(&batch)?;
//! let ood_scores = scorer.score(&batch)?;
//! println!("{}", metrics::evaluate(&in_scores, &ood_scores)?);
//! # Ok(()) }
//! ```

mod batch;
mod complexity;
mod detector;
mod error;
mod likelihood;
pub mod metrics;
mod model;
mod per_scale;
mod ratio;
mod score;
mod scorer;
mod stream;
mod table;
mod typicality;

pub use batch::{Pixels, ScoreBatch};
pub use complexity::{ComplexityScorer, png_bits_per_dim, png_bytes};
pub use detector::{Calibration, DETECTOR_FILE, Detector, Prediction};
pub use error::{CorrelationError, MetricError, ScoreError};
pub use likelihood::{LikelihoodScorer, LikelihoodUnit};
pub use model::ScoringModel;
pub use per_scale::{Scale, ScaleRatioScorer, ScaleScorer};
pub use ratio::{ModelPair, RatioScorer};
pub use score::{Score, ScoreInputs};
pub use scorer::Scorer;
pub use stream::{DatasetScorer, stream_scores};
pub use table::ScoreTable;
pub use typicality::{TypicalityConfig, TypicalityTest};
