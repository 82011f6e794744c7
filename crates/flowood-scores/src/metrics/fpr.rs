//! False-positive rate at 95% true-positive rate, the TPR measured over in-distribution.

use crate::error::MetricError;
use crate::metrics::ranking::Ranking;

/// FPR at 95% TPR: the fraction of OOD images kept as normal by the threshold that keeps
/// 95% of in-distribution images as normal.
///
/// Exactly: with `k = ceil(0.95 * n_in)` (integer arithmetic), the threshold `t` is the k-th
/// highest in-distribution score (counting repeated values), an image is called normal iff
/// `score >= t`, and the result is the fraction of OOD scores `>= t`. Ties at `t` therefore
/// count as normal in both classes, so the realised TPR is at least 95%. Non-finite scores
/// are `-inf` here; if more than 5% of in-distribution scores are non-finite, `t = -inf` and
/// every OOD image counts as a false positive.
pub fn fpr_at_95_tpr(in_scores: &[f64], ood_scores: &[f64]) -> Result<f64, MetricError> {
    Ok(fpr_at_95_tpr_of(&Ranking::new(in_scores, ood_scores)?))
}

pub(crate) fn fpr_at_95_tpr_of(ranking: &Ranking) -> f64 {
    let k = (95 * ranking.n_in).div_ceil(100);
    let (mut seen_in, mut seen_ood) = (0u64, 0u64);
    for g in &ranking.groups {
        seen_in += g.n_in;
        seen_ood += g.n_ood;
        if seen_in >= k {
            break;
        }
    }
    seen_ood as f64 / ranking.n_ood as f64
}
