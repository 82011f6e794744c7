//! Errors of the scorers and of the metrics.

use std::path::PathBuf;

use flowood_data::DataError;
use flowood_glow::GlowError;
use thiserror::Error;

use crate::metrics::{Class, Sample};

/// Everything that can go wrong building a scorer or scoring a batch.
#[derive(Debug, Error)]
pub enum ScoreError {
    /// The model rejected its input (wrong shape, ...).
    #[error(transparent)]
    Glow(#[from] GlowError),
    /// Scoring needs a model whose ActNorms have been data-initialised.
    #[error("the {role} model is not initialised (run Glow::initialize or load a trained model)")]
    NotInitialized {
        /// Which model (`in-distribution`, `general`).
        role: &'static str,
    },
    /// A ratio needs two models of identical architecture.
    #[error("the two models differ in architecture: in-distribution {in_model}, general {general}")]
    ArchitectureMismatch {
        /// Configuration of the in-distribution model (Debug form).
        in_model: String,
        /// Configuration of the general model (Debug form).
        general: String,
    },
    /// A per-scale scorer was asked for a scale the model does not have.
    #[error("scale index {index} out of range for a model with {levels} scales (0-based)")]
    ScaleOutOfRange {
        /// The requested 0-based scale.
        index: usize,
        /// Number of scales of the model.
        levels: usize,
    },
    /// The input-complexity score needs the original uint8 images.
    #[error(
        "the input-complexity score needs the uint8 images of the batch (ScoreBatch::with_pixels)"
    )]
    MissingPixels,
    /// The uint8 images are not a valid `[B, C, H, W]` batch, or do not match the tensor.
    #[error("invalid pixels: {0}")]
    Pixels(String),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// An argument is out of range.
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Two score tables with different columns cannot be concatenated.
    #[error("score tables have different columns: {left:?} vs {right:?}")]
    TableMismatch {
        /// Columns of the table being extended.
        left: Vec<String>,
        /// Columns of the table appended to it.
        right: Vec<String>,
    },
    /// Images could not be converted to the model's input (channels, size).
    #[error(transparent)]
    Data(#[from] DataError),
    /// A detector was asked for verdicts before it had a threshold.
    #[error("the detector is not calibrated (run Detector::calibrate, or flowood calibrate)")]
    NotCalibrated,
    /// A detector directory's settings file is not one this version can use.
    #[error("{path}: not a usable detector file: {reason}")]
    BadDetector {
        /// The settings file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Metrics are undefined for the given scores.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MetricError {
    /// One class has no scores at all.
    #[error("no {0} scores: metrics need at least one score of each class")]
    EmptyClass(Class),
}

/// A rank correlation is undefined for the given samples.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CorrelationError {
    /// The samples are not paired: they differ in length.
    #[error("the samples differ in length: {first} vs {second} values")]
    LengthMismatch {
        /// Length of the first sample.
        first: usize,
        /// Length of the second sample.
        second: usize,
    },
    /// A correlation needs at least 2 pairs.
    #[error("a rank correlation needs at least 2 pairs, got {0}")]
    TooFew(usize),
    /// A value is NaN or infinite, so it has no rank.
    #[error(
        "value {index} of the {sample} sample is {value}: rank correlations need finite values"
    )]
    NonFinite {
        /// The sample holding it.
        sample: Sample,
        /// Its 0-based position.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Every value of a sample is equal: its ranks have no variance.
    #[error("every value of the {0} sample is equal: the rank correlation is undefined")]
    Constant(Sample),
}
