//! Errors raised while building flow layers.

use thiserror::Error;

/// A flow layer could not be built from the given configuration.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FlowError {
    /// A coupling splits its input into two halves, so it needs an even channel count.
    #[error("a coupling layer needs an even number of channels, got {channels}")]
    OddChannels {
        /// The channel count that was asked for.
        channels: usize,
    },
    /// A size (channels, hidden width, spatial extent) was zero.
    #[error("{what} must be at least 1, got 0")]
    ZeroSize {
        /// Which size was zero.
        what: &'static str,
    },
    /// Squeezing halves the spatial size, so height and width must be even.
    #[error("squeeze needs even height and width, got {height}x{width}")]
    OddSpatialSize {
        /// Height of the input.
        height: usize,
        /// Width of the input.
        width: usize,
    },
}
