//! Both classes' scores merged and grouped by distinct value, the common ground of all metrics.

use std::fmt;

use crate::error::MetricError;

/// The two classes of an OOD evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// In-distribution ("normal") images.
    InDistribution,
    /// Out-of-distribution ("anomalous") images.
    Ood,
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InDistribution => "in-distribution",
            Self::Ood => "OOD",
        })
    }
}

/// Images of each class sharing one distinct score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Group {
    /// The score (finite, or `-inf` for every non-finite score).
    pub score: f64,
    /// In-distribution images with this score.
    pub n_in: u64,
    /// OOD images with this score.
    pub n_ood: u64,
}

/// Scores of both classes grouped by distinct value, **most normal (highest) first**.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// Distinct scores, descending.
    pub groups: Vec<Group>,
    /// Number of in-distribution scores.
    pub n_in: u64,
    /// Number of OOD scores.
    pub n_ood: u64,
    /// In-distribution scores that were non-finite.
    pub nonfinite_in: u64,
    /// OOD scores that were non-finite.
    pub nonfinite_ood: u64,
}

impl Ranking {
    /// Ranks the scores; fails if either class is empty.
    pub fn new(in_scores: &[f64], ood_scores: &[f64]) -> Result<Self, MetricError> {
        if in_scores.is_empty() {
            return Err(MetricError::EmptyClass(Class::InDistribution));
        }
        if ood_scores.is_empty() {
            return Err(MetricError::EmptyClass(Class::Ood));
        }
        let mut labelled: Vec<(f64, Class)> = in_scores
            .iter()
            .map(|&s| (sanitize(s), Class::InDistribution))
            .chain(ood_scores.iter().map(|&s| (sanitize(s), Class::Ood)))
            .collect();
        labelled.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(Self {
            groups: group(&labelled),
            n_in: in_scores.len() as u64,
            n_ood: ood_scores.len() as u64,
            nonfinite_in: count_nonfinite(in_scores),
            nonfinite_ood: count_nonfinite(ood_scores),
        })
    }
}

/// Non-finite scores become `-inf` (most anomalous); `-0.0` becomes `0.0` so it ties with it.
fn sanitize(score: f64) -> f64 {
    if !score.is_finite() {
        f64::NEG_INFINITY
    } else if score == 0.0 {
        0.0
    } else {
        score
    }
}

fn count_nonfinite(scores: &[f64]) -> u64 {
    scores.iter().filter(|s| !s.is_finite()).count() as u64
}

/// Groups sorted `(score, class)` pairs by equal score.
fn group(sorted: &[(f64, Class)]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for &(score, class) in sorted {
        match groups.last_mut() {
            Some(g) if g.score == score => add(g, class),
            _ => {
                let mut g = Group {
                    score,
                    n_in: 0,
                    n_ood: 0,
                };
                add(&mut g, class);
                groups.push(g);
            }
        }
    }
    groups
}

fn add(group: &mut Group, class: Class) {
    match class {
        Class::InDistribution => group.n_in += 1,
        Class::Ood => group.n_ood += 1,
    }
}
