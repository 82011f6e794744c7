//! Area under the precision-recall curve as step-wise average precision.
//!
//! With images ranked from most to least likely positive, and thresholds at each distinct
//! score (tied images enter together), `AP = sum_k (R_k - R_{k-1}) * P_k`, where `P_k` and
//! `R_k` are precision and recall when everything down to the k-th distinct score is called
//! positive (the definition of scikit-learn's `average_precision_score`). No interpolation.

use crate::error::MetricError;
use crate::metrics::ranking::Ranking;

/// AUPR with in-distribution as the positive class, ranked by descending score.
pub fn aupr_in(in_scores: &[f64], ood_scores: &[f64]) -> Result<f64, MetricError> {
    Ok(aupr_in_of(&Ranking::new(in_scores, ood_scores)?))
}

/// AUPR with OOD as the positive class, ranked by ascending score (most anomalous first;
/// non-finite scores are therefore ranked first).
pub fn aupr_out(in_scores: &[f64], ood_scores: &[f64]) -> Result<f64, MetricError> {
    Ok(aupr_out_of(&Ranking::new(in_scores, ood_scores)?))
}

pub(crate) fn aupr_in_of(ranking: &Ranking) -> f64 {
    let steps = ranking.groups.iter().map(|g| (g.n_in, g.n_ood));
    average_precision(steps, ranking.n_in)
}

pub(crate) fn aupr_out_of(ranking: &Ranking) -> f64 {
    let steps = ranking.groups.iter().rev().map(|g| (g.n_ood, g.n_in));
    average_precision(steps, ranking.n_ood)
}

/// Average precision over `(positives, negatives)` per threshold step, most positive first.
fn average_precision(steps: impl Iterator<Item = (u64, u64)>, n_positive: u64) -> f64 {
    let (mut tp, mut fp, mut ap) = (0u64, 0u64, 0.0);
    for (pos, neg) in steps {
        tp += pos;
        fp += neg;
        ap += (pos as f64 / n_positive as f64) * (tp as f64 / (tp + fp) as f64);
    }
    ap
}
