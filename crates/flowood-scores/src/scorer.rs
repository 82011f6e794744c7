//! The common interface of all per-image scorers.

use crate::batch::ScoreBatch;
use crate::error::ScoreError;

/// A per-image anomaly score. **Higher score = more normal (in-distribution).**
///
/// A scorer is built once (from one or two models) and then called on batches; it holds its
/// models in inference mode and accepts inputs on any device.
pub trait Scorer {
    /// Short name of the score, used as a column name (`log_p`, `ratio`, ...).
    fn name(&self) -> String;

    /// One score per image of `batch`, in order. Higher = more normal. Scores may be
    /// non-finite when the model's density is; metrics treat those as maximally anomalous.
    fn score(&self, batch: &ScoreBatch) -> Result<Vec<f64>, ScoreError>;
}
