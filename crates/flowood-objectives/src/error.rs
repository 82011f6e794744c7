//! Errors of the objectives.

use thiserror::Error;

/// An objective was asked for something the inputs cannot give.
#[derive(Debug, Error)]
pub enum ObjectiveError {
    /// A label is not below the number of classes.
    #[error("label {label} out of range for {classes} classes")]
    LabelOutOfRange {
        /// The offending label.
        label: i64,
        /// Number of classes of the head.
        classes: usize,
    },
    /// Tensor shapes do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
}
