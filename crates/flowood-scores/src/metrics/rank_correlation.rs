//! Spearman's rank correlation: how alike two models rank the same images.

use std::fmt;

use crate::error::CorrelationError;

/// Which of the two samples of a correlation a value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// The first argument.
    First,
    /// The second argument.
    Second,
}

impl fmt::Display for Sample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::First => "first",
            Self::Second => "second",
        })
    }
}

/// Spearman's rho of two paired samples: the Pearson correlation of their ranks, tied
/// values sharing the average of the ranks they span (the usual treatment of ties).
///
/// 1 when both rank the images in the same order, -1 in reverse order. Every value must be
/// finite (a NaN has no rank; [`CorrelationError::NonFinite`] names the first one), both
/// samples equally long with at least 2 pairs, and neither constant (its ranks have no
/// variance). `-0.0` and `0.0` tie.
pub fn spearman(a: &[f64], b: &[f64]) -> Result<f64, CorrelationError> {
    if a.len() != b.len() {
        return Err(CorrelationError::LengthMismatch {
            first: a.len(),
            second: b.len(),
        });
    }
    if a.len() < 2 {
        return Err(CorrelationError::TooFew(a.len()));
    }
    check_finite(a, Sample::First)?;
    check_finite(b, Sample::Second)?;
    let (ra, rb) = (average_ranks(a), average_ranks(b));
    let mean = (a.len() as f64 + 1.0) / 2.0;
    let (mut cov, mut var_a, mut var_b) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        let (dx, dy) = (x - mean, y - mean);
        cov += dx * dy;
        var_a += dx * dx;
        var_b += dy * dy;
    }
    for (variance, sample) in [(var_a, Sample::First), (var_b, Sample::Second)] {
        if variance == 0.0 {
            return Err(CorrelationError::Constant(sample));
        }
    }
    Ok((cov / (var_a * var_b).sqrt()).clamp(-1.0, 1.0))
}

fn check_finite(values: &[f64], sample: Sample) -> Result<(), CorrelationError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(CorrelationError::NonFinite {
            sample,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// The 1-based rank of each value, ascending; a run of `k` equal values at ranks
/// `r+1..=r+k` gets `r + (k+1)/2` each.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let tied = order[start..]
            .iter()
            .take_while(|&&i| values[i] == values[order[start]])
            .count();
        let rank = start as f64 + (tied as f64 + 1.0) / 2.0;
        order[start..start + tied]
            .iter()
            .for_each(|&i| ranks[i] = rank);
        start += tied;
    }
    ranks
}
