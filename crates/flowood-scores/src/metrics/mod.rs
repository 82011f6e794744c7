//! Out-of-distribution metrics on per-image scores (pure Rust, f64).
//!
//! Convention: **higher score = more normal**. In-distribution images are the "normal" class.
//! Every non-finite score (NaN, +inf, -inf) counts as maximally anomalous: it is replaced by
//! `-inf` before ranking (so non-finite scores tie with each other), and the number of
//! non-finite scores per class is reported. `-0.0` and `0.0` are the same score.
//!
//! [`spearman`] compares two models' scores of the same images instead: it needs finite
//! values and reports the first non-finite one.
//!
//! Values are fractions in `[0, 1]`; [`OodMetrics`]'s `Display` shows them x100 with one
//! decimal, as papers report them.

mod aupr;
mod auroc;
mod fpr;
mod rank_correlation;
mod ranking;
mod report;
mod roc;

pub use aupr::{aupr_in, aupr_out};
pub use auroc::auroc;
pub use fpr::fpr_at_95_tpr;
pub use rank_correlation::{Sample, spearman};
pub use ranking::{Class, Group, Ranking};
pub use report::{OodMetrics, evaluate};
pub use roc::roc_curve;
