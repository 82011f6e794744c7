//! Errors of the multiscale Glow.

use std::path::PathBuf;

use flowood_flows::FlowError;
use thiserror::Error;

/// Everything that can go wrong building, running, saving or loading a [`crate::Glow`].
#[derive(Debug, Error)]
pub enum GlowError {
    /// A layer could not be built.
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// A configuration field is out of range.
    #[error("invalid Glow configuration: {field} {reason}")]
    InvalidConfig {
        /// The offending field of [`crate::GlowConfig`].
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A model's configuration file (`model.json`) describes no Glow this version can build.
    #[error("{path}: {source}")]
    ConfigFile {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong with the configuration.
        source: Box<GlowError>,
    },
    /// Each scale halves the image, so its size must be divisible by `2^levels`.
    #[error("image size {size} is not divisible by 2^{levels} = {factor} (one squeeze per scale)")]
    ImageSizeNotDivisible {
        /// Configured image size.
        size: usize,
        /// Configured number of scales.
        levels: usize,
        /// `2^levels`.
        factor: usize,
    },
    /// A local Glow's tiles must cover the image exactly and be halved once per scale.
    #[error(
        "local Glow patch {patch} must divide the image size {size} and be divisible by 2^{levels} = {factor} (one squeeze per scale)"
    )]
    PatchSize {
        /// Configured tile side.
        patch: usize,
        /// Configured image size.
        size: usize,
        /// Configured number of scales.
        levels: usize,
        /// `2^levels`.
        factor: usize,
    },
    /// A tensor handed to the model has the wrong shape.
    #[error("tensor `{tensor}` has shape {found:?}, expected {expected}")]
    Shape {
        /// Which tensor (e.g. `x`, `latents[1]`).
        tensor: String,
        /// The shape that was passed.
        found: Vec<usize>,
        /// The expected shape, in words (`[B, 1, 32, 32]` with any B >= 1).
        expected: String,
    },
    /// An argument is out of range (e.g. zero samples, non-finite temperature).
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A model file's weights do not match the checksum its configuration records.
    #[error(
        "{path}: the weights' CRC-32 is {found}, but its model.json records {recorded}: the file is corrupt, or the two files come from different saves"
    )]
    ChecksumMismatch {
        /// The weight file.
        path: PathBuf,
        /// The checksum in `model.json`, as written there.
        recorded: String,
        /// The checksum of the weight file.
        found: u32,
    },
    /// A loaded tensor holds values no Glow can have.
    #[error("{path}: tensor `{tensor}` is invalid: {reason}")]
    InvalidWeights {
        /// The weight file.
        path: PathBuf,
        /// The tensor, by its path in the model.
        tensor: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a model file failed.
    #[error("{action} {path}: {reason}")]
    Io {
        /// What was being done (`saving model to`, `loading weights from`...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error, as text.
        reason: String,
    },
}
