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
    /// An objective rejected its inputs (e.g. a label beyond the model's classes).
    #[error(transparent)]
    Objective(#[from] flowood_objectives::ObjectiveError),
    /// The supervised objective was asked to train on data without labels.
    #[error(
        "the supervised objective trains on the labels of the training data, and this data has none (labelled sources: fashion-mnist, mnist, cifar10, cifar100, svhn, idx:IMAGES,LABELS, folder with one subfolder per class)"
    )]
    NoLabels,
    /// A setting is out of range.
    #[error("invalid training setting `{name}`: {reason}")]
    InvalidSetting {
        /// The setting.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Another run holds the output folder.
    #[error(
        "{out} is in use by another run (it holds the lock {out}/.flowood.lock); wait for it or choose another output folder"
    )]
    OutputLocked {
        /// The output folder.
        out: PathBuf,
    },
    /// A fresh run was asked to write where an older run's checkpoints are.
    #[error(
        "{out} holds an earlier run (checkpoints/latest): resume it, or choose another output folder"
    )]
    OutputHoldsRun {
        /// The output folder.
        out: PathBuf,
    },
    /// The checkpoint to resume belongs to a run with other settings.
    #[error(
        "cannot resume: the checkpoint's {setting} is {checkpoint}, this run's is {requested} (resume with the checkpoint's settings, or choose another output folder)"
    )]
    ResumeMismatch {
        /// The setting that differs.
        setting: &'static str,
        /// Its value in the checkpoint.
        checkpoint: String,
        /// Its value in this run.
        requested: String,
    },
    /// The last steps of the session were all skipped by the non-finite guard: the model
    /// stopped learning (or never started).
    #[error(
        "training made no progress: {skipped} of {steps} steps were skipped, the last ones all (loss or gradients not finite); no model was saved: lower the learning rate or check the data and settings"
    )]
    NoProgress {
        /// Steps attempted in this session.
        steps: usize,
        /// Of them, skipped.
        skipped: usize,
    },
    /// The final model gives non-finite bits/dim on the test set.
    #[error(
        "training diverged: the test bits/dim after step {step} is {bits_per_dim}; no model was saved"
    )]
    NonFiniteTest {
        /// Steps done.
        step: usize,
        /// The value.
        bits_per_dim: f64,
    },
    /// Training left a weight that is not usable.
    #[error("training diverged: tensor `{tensor}` is invalid ({reason}); no model was saved")]
    Diverged {
        /// The tensor, by its path in the model.
        tensor: String,
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
