//! The ROC curve itself, for plots (the metrics summarise it).

use crate::error::MetricError;
use crate::metrics::ranking::Ranking;

/// The ROC curve of the scores, in-distribution being the positive ("normal") class: from
/// `(0, 0)`, one point `(FPR, TPR)` per distinct score, highest first, where FPR and TPR are
/// the fractions of OOD and of in-distribution scores at or above it; it ends at `(1, 1)`.
/// The area under it (trapezoids) is [`crate::metrics::auroc`].
pub fn roc_curve(in_scores: &[f64], ood_scores: &[f64]) -> Result<Vec<(f64, f64)>, MetricError> {
    let ranking = Ranking::new(in_scores, ood_scores)?;
    let (n_in, n_ood) = (ranking.n_in as f64, ranking.n_ood as f64);
    let (mut seen_in, mut seen_ood) = (0u64, 0u64);
    let mut points = vec![(0.0, 0.0)];
    for g in &ranking.groups {
        seen_in += g.n_in;
        seen_ood += g.n_ood;
        points.push((seen_ood as f64 / n_ood, seen_in as f64 / n_in));
    }
    Ok(points)
}
