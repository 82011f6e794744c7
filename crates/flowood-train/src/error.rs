//! Errors of training.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can stop a training run.
#[derive(Debug, Error)]
pub enum TrainError {
    /// The model rejected its input or could not be saved or loaded.
    #[error(transparent)]
    Glow(#[from] flowood_glow::GlowError),
    /// The data could not be read or batched.
    #[error(transparent)]
    Data(#[from] flowood_data::DataError),
    /// A setting is out of range.
    #[error("invalid training setting `{name}`: {reason}")]
    InvalidSetting {
        /// The setting.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A checkpoint or metrics file could not be written or read.
    #[error("{action} {path}: {reason}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error, as text.
        reason: String,
    },
}

/// Builds a [`TrainError::Io`].
pub(crate) fn io_err(action: &'static str, path: &std::path::Path, e: impl ToString) -> TrainError {
    TrainError::Io {
        action,
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
