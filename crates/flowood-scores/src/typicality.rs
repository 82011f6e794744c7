//! The typicality test (Nalisnick et al., 2019) for batches of M inputs.
//!
//! A batch is anomalous when its mean negative log-likelihood is far from the model's entropy
//! `H` (the mean `-log p` of in-distribution data): `|mean(-log p) - H| > eps`. The threshold
//! `eps` comes from a seeded bootstrap over held-out in-distribution data: the `quantile` of
//! `|mean - H|` over K batches of M images drawn with replacement.
//! [`TypicalityTest::flagged_share`] measures the test as Nalisnick et al. report it: the
//! share of random batches of M images it flags, the false-alarm rate on in-distribution data
//! and the detection rate on OOD data.

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
        Ok(self.statistic_of_mean(mean(batch_logp)))
    }

    /// `|-mean_logp - H|` of a batch's mean log p: `+inf` if it is not finite.
    fn statistic_of_mean(&self, mean_logp: f64) -> f64 {
        let stat = (-mean_logp - self.entropy).abs();
        if stat.is_finite() {
            stat
        } else {
            f64::INFINITY
        }
    }

    /// The share of `batches` batches of [`TypicalityTest::batch_size`] values, drawn with
    /// replacement from `logp` by an RNG seeded with `seed`, that the test flags as anomalous:
    /// on in-distribution data its false-alarm rate (about `1 - quantile` of the fit), on OOD
    /// data its detection rate. A batch holding a non-finite value is flagged. Fails on an
    /// empty `logp` or zero `batches`.
    pub fn flagged_share(
        &self,
        logp: &[f64],
        batches: usize,
        seed: u64,
    ) -> Result<f64, ScoreError> {
        if logp.is_empty() {
            return Err(invalid("logp", "need at least one value".into()));
        }
        if batches == 0 {
            return Err(invalid("batches", "must be at least 1".into()));
        }
        let flagged = batch_means(logp, self.batch_size, batches, seed)
            .into_iter()
            .filter(|&m| self.statistic_of_mean(m) > self.epsilon)
            .count();
        Ok(flagged as f64 / batches as f64)
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
    batch_means(values, config.batch_size, config.bootstraps, config.seed)
        .into_iter()
        .map(|m| (-m - entropy).abs())
        .collect()
}

/// The means of `count` batches of `size` values drawn with replacement from `values`
/// (non-empty) by an RNG seeded with `seed`.
fn batch_means(values: &[f64], size: usize, count: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let sum: f64 = (0..size)
                .map(|_| values[rng.random_range(0..values.len())])
                .sum();
            sum / size as f64
        })
        .collect()
}

/// The nearest-rank quantile: the `ceil(q * K)`-th smallest of K values (K >= 1).
fn nearest_rank(mut values: Vec<f64>, quantile: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = (quantile * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}
