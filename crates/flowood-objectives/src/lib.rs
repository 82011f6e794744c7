//! Training objectives for [flowood](https://crates.io/crates/flowood) (docs/method.md,
//! "Losses"): maximum likelihood, the paper's outlier loss, the Outlier Exposure margin
//! loss and the supervised class-conditional variant.
//!
//! Losses take per-image tensors (`[B]`, nats) so they combine freely with any model output;
//! all are means over the batch, to be minimised.

mod class_conditional;
mod error;
mod margin;
mod nll;
mod outlier;

pub use class_conditional::ClassConditionalLoss;
pub use error::ObjectiveError;
pub use margin::MarginLoss;
pub use nll::{bits_per_dim, nll_loss};
pub use outlier::OutlierLoss;
