//! All metrics of one evaluation, with counts of non-finite scores.

use std::fmt;

use crate::error::MetricError;
use crate::metrics::aupr::{aupr_in_of, aupr_out_of};
use crate::metrics::auroc::auroc_of;
use crate::metrics::fpr::fpr_at_95_tpr_of;
use crate::metrics::ranking::Ranking;

/// The metrics of one in-distribution vs OOD comparison. Rates are fractions in `[0, 1]`;
/// `Display` prints them x100 with one decimal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OodMetrics {
    /// Area under the ROC curve, ties one half ([`crate::metrics::auroc`]).
    pub auroc: f64,
    /// Average precision, in-distribution positive ([`crate::metrics::aupr_in`]).
    pub aupr_in: f64,
    /// Average precision, OOD positive ([`crate::metrics::aupr_out`]).
    pub aupr_out: f64,
    /// FPR at 95% TPR ([`crate::metrics::fpr_at_95_tpr`]).
    pub fpr_at_95_tpr: f64,
    /// Number of in-distribution scores.
    pub n_in: u64,
    /// Number of OOD scores.
    pub n_ood: u64,
    /// In-distribution scores that were non-finite (counted as maximally anomalous).
    pub nonfinite_in: u64,
    /// OOD scores that were non-finite (counted as maximally anomalous).
    pub nonfinite_ood: u64,
}

/// Every metric for scores where higher = more normal; fails if either class is empty.
pub fn evaluate(in_scores: &[f64], ood_scores: &[f64]) -> Result<OodMetrics, MetricError> {
    let ranking = Ranking::new(in_scores, ood_scores)?;
    Ok(OodMetrics {
        auroc: auroc_of(&ranking),
        aupr_in: aupr_in_of(&ranking),
        aupr_out: aupr_out_of(&ranking),
        fpr_at_95_tpr: fpr_at_95_tpr_of(&ranking),
        n_in: ranking.n_in,
        n_ood: ranking.n_ood,
        nonfinite_in: ranking.nonfinite_in,
        nonfinite_ood: ranking.nonfinite_ood,
    })
}

impl fmt::Display for OodMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AUROC {:.1}  AUPR-in {:.1}  AUPR-out {:.1}  FPR@95%TPR {:.1}  \
             (in: {} images, {} non-finite; OOD: {} images, {} non-finite)",
            100.0 * self.auroc,
            100.0 * self.aupr_in,
            100.0 * self.aupr_out,
            100.0 * self.fpr_at_95_tpr,
            self.n_in,
            self.nonfinite_in,
            self.n_ood,
            self.nonfinite_ood
        )
    }
}
