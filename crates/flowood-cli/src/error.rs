//! Errors of the command-line tool, each printed as one line.

use std::path::PathBuf;

use thiserror::Error;

/// Why a command failed.
#[derive(Debug, Error)]
pub enum CliError {
    /// The device could not be started.
    #[error(transparent)]
    Backend(#[from] flowood::backend::BackendError),
    /// Reading data failed.
    #[error(transparent)]
    Data(#[from] flowood::data::DataError),
    /// The model failed.
    #[error(transparent)]
    Glow(#[from] flowood::glow::GlowError),
    /// A pretrained model could not be named or loaded.
    #[error(transparent)]
    Pretrained(#[from] flowood::pretrained::PretrainedError),
    /// Training failed.
    #[error(transparent)]
    Train(#[from] flowood::train::TrainError),
    /// A data set gave no image to use: scoring or training on it would report nothing as
    /// success.
    #[error("{path}: {part} holds no images")]
    NoImages {
        /// The data set's path.
        path: PathBuf,
        /// What was loaded: `the test split`, `the training split` or `the set`.
        part: &'static str,
    },
    /// Every log-likelihood a model gave a data set is NaN or infinite, so no score or metric
    /// of it means anything.
    #[error(
        "every log-likelihood of the {images} images of {set} under {model} is non-finite \
         (NaN or infinite): the model overflows on this data"
    )]
    NonFinite {
        /// The model (its file or `pretrained:NAME`).
        model: String,
        /// The data set.
        set: String,
        /// Images scored.
        images: usize,
    },
    /// Flags that do not fit together.
    #[error("{0}")]
    Usage(String),
}
