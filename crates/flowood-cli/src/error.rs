//! Errors of the command-line tool, each printed as one line.

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
    /// Flags that do not fit together.
    #[error("{0}")]
    Usage(String),
}
