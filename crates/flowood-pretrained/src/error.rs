//! Errors of loading a pretrained model.

use flowood_glow::GlowError;
use thiserror::Error;

/// Everything that can go wrong naming or loading a pretrained model.
#[derive(Debug, Error)]
pub enum PretrainedError {
    /// No pretrained model has this name (or its cargo feature is off).
    #[error("no pretrained model named `{name}`; available: {available}")]
    UnknownName {
        /// The name asked for.
        name: String,
        /// The names this build knows, comma-separated.
        available: String,
    },
    /// The embedded configuration does not parse.
    #[error("pretrained model `{name}`: its configuration does not parse: {reason}")]
    Config {
        /// The model's name.
        name: &'static str,
        /// The parser's message.
        reason: String,
    },
    /// Building the model or importing its weights failed.
    #[error(transparent)]
    Glow(#[from] GlowError),
}
