//! The typicality test (Nalisnick et al., 2019) for batches of M inputs.
//!
//! A batch is anomalous when its mean negative log-likelihood is far from the model's entropy
//! `H` (the mean `-log p` of in-distribution data): `|mean(-log p) - H| > eps`. The threshold
//! `eps` comes from a seeded bootstrap over held-out in-distribution data: the `quantile` of
//! `|mean - H|` over K batches of M images drawn with replacement.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::ScoreError;

/// How the bootstrap threshold is fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct TypicalityConfig {
    /// Batch size M the test will be applied to.
    pub batch_size: usize,
    /// Number of bootstrap batches K.
    pub bootstraps: usize,
    /// Quantile of the bootstrap statistics taken as `eps`, in `(0, 1]`.
    pub quantile: f64,
    /// Seed of the bootstrap RNG.
    pub seed: u64,
}

impl TypicalityConfig {
    /// Batches of `batch_size`, K = 1000 bootstraps, 99th percentile, seed 0.
    pub fn new(batch_size: usize) -> Self {
        Self {
            batch_size,
            bootstraps: 1000,
            quantile: 0.99,
            seed: 0,
        }
    }

    fn validate(&self) -> Result<(), ScoreError> {
        if self.batch_size == 0 {
            return Err(invalid("batch_size", "must be at least 1".into()));
        }
        if self.bootstraps == 0 {
            return Err(invalid("bootstraps", "must be at least 1".into()));
        }
        if !(self.quantile > 0.0 && self.quantile <= 1.0) {
            return Err(invalid(
                "quantile",
                format!("must be in (0, 1], got {}", self.quantile),
            ));
        }
        Ok(())
    }
}

fn invalid(name: &'static str, reason: String) -> ScoreError {
    ScoreError::InvalidArgument { name, reason }
}

/// A fitted typicality test: entropy estimate `H` and threshold `eps`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypicalityTest {
    entropy: f64,
    epsilon: f64,
    batch_size: usize,
}

impl TypicalityTest {
    /// Fits `eps` on held-out in-distribution `log p` values (nats).
    ///
    /// `train_entropy` is `H`, the mean `-log p` over the training set; `None` uses the mean
    /// `-log p` of the held-out values instead. Held-out values must all be finite.
    pub fn fit(
        heldout_logp: &[f64],
        train_entropy: Option<f64>,
        config: &TypicalityConfig,
    ) -> Result<Self, ScoreError> {
        config.validate()?;
        if heldout_logp.is_empty() || heldout_logp.iter().any(|v| !v.is_finite()) {
            return Err(invalid(
                "heldout_logp",
                "need at least one value, all finite".into(),
            ));
        }
        let entropy = match train_entropy {
            Some(h) if !h.is_finite() => {
                return Err(invalid("train_entropy", format!("must be finite, got {h}")));
            }
            Some(h) => h,
            None => -mean(heldout_logp),
        };
        let statistics = bootstrap(heldout_logp, entropy, config);
        Ok(Self {
            entropy,
            epsilon: nearest_rank(statistics, config.quantile),
            batch_size: config.batch_size,
        })
    }

    /// The entropy estimate `H` (nats).
    pub fn entropy(&self) -> f64 {
        self.entropy
    }

    /// The threshold `eps` (nats).
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The batch size M the threshold was fitted for.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The test statistic `|mean(-log p) - H|` of a batch; `+inf` if any value is
    /// non-finite (maximally anomalous). Fails on an empty batch.
    pub fn statistic(&self, batch_logp: &[f64]) -> Result<f64, ScoreError> {
        if batch_logp.is_empty() {
            return Err(invalid("batch_logp", "empty batch".into()));
        }
        let stat = (-mean(batch_logp) - self.entropy).abs();
        Ok(if stat.is_finite() {
            stat
        } else {
            f64::INFINITY
        })
    }

    /// Whether the batch is anomalous: `|mean(-log p) - H| > eps`. `eps` is calibrated for
    /// batches of [`TypicalityTest::batch_size`] images.
    pub fn is_anomalous(&self, batch_logp: &[f64]) -> Result<bool, ScoreError> {
        Ok(self.statistic(batch_logp)? > self.epsilon)
    }

    /// The batch score `-|mean(-log p) - H|`: higher = more normal, like every score here.
    pub fn score(&self, batch_logp: &[f64]) -> Result<f64, ScoreError> {
        Ok(-self.statistic(batch_logp)?)
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// `|mean(-log p) - H|` over K batches of M values drawn with replacement.
fn bootstrap(values: &[f64], entropy: f64, config: &TypicalityConfig) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    (0..config.bootstraps)
        .map(|_| {
            let sum: f64 = (0..config.batch_size)
                .map(|_| values[rng.random_range(0..values.len())])
                .sum();
            (-sum / config.batch_size as f64 - entropy).abs()
        })
        .collect()
}

/// The nearest-rank quantile: the `ceil(q * K)`-th smallest of K values (K >= 1).
fn nearest_rank(mut values: Vec<f64>, quantile: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = (quantile * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}
