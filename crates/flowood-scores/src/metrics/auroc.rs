//! Area under the ROC curve, with ties counted one half.

use crate::error::MetricError;
use crate::metrics::ranking::Ranking;

/// AUROC = P(score_in > score_ood) + 1/2 P(score_in = score_ood) over all (in, OOD) pairs,
/// i.e. the Mann-Whitney U statistic of the in-distribution scores divided by
/// `n_in * n_ood`. 0.5 exactly when all scores are equal; 1 when every in-distribution image
/// scores above every OOD image.
pub fn auroc(in_scores: &[f64], ood_scores: &[f64]) -> Result<f64, MetricError> {
    Ok(auroc_of(&Ranking::new(in_scores, ood_scores)?))
}

/// AUROC of a ranking, counted exactly in half-pairs (integers) before the one division.
pub(crate) fn auroc_of(ranking: &Ranking) -> f64 {
    let mut ood_above = 0u128;
    let mut half_pairs = 0u128;
    for g in &ranking.groups {
        let (a, b) = (u128::from(g.n_in), u128::from(g.n_ood));
        let ood_below = u128::from(ranking.n_ood) - ood_above - b;
        half_pairs += 2 * a * ood_below + a * b;
        ood_above += b;
    }
    let pairs = u128::from(ranking.n_in) * u128::from(ranking.n_ood);
    half_pairs as f64 / (2 * pairs) as f64
}
