//! Settings of a training run; every default is docs/method.md's.

use flowood_objectives::{ClassConditionalLoss, MarginLoss, OutlierLoss};
use serde::{Deserialize, Serialize};

use crate::adamax::AdamaxConfig;
use crate::error::TrainError;

/// What the model is trained to minimise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Objective {
    /// Maximum likelihood: mean NLL of the training batch.
    #[default]
    Nll,
    /// The paper's outlier loss against a frozen general model, one general batch per step
    /// (`OutlierLoss::default()`: lambda 6000, T 1000).
    OutlierRatio(OutlierLoss),
    /// NLL plus the Outlier Exposure margin loss on one general batch per step
    /// (docs/method.md: margin D, `MarginLoss::per_dimension`).
    Margin(MarginLoss),
    /// The supervised variant (docs/method.md): a model with a class-conditional head
    /// trained on the labels of the training data by the NLL under the true class plus the
    /// wrong-class term against a frozen general model (`ClassConditionalLoss::default()`:
    /// lambda 6000, T 1000), optionally plus the outlier loss's term on one general batch per
    /// step, with the model's mixture `log p`.
    Supervised {
        /// The wrong-class term's weight and temperature.
        wrong_class: ClassConditionalLoss,
        /// The outlier term on general batches, if any.
        outlier: Option<OutlierLoss>,
    },
}

impl Objective {
    /// Whether the objective draws general-distribution batches.
    pub fn uses_general_data(&self) -> bool {
        match self {
            Self::Nll => false,
            Self::OutlierRatio(_) | Self::Margin(_) => true,
            Self::Supervised { outlier, .. } => outlier.is_some(),
        }
    }

    /// Whether the objective needs a frozen general model.
    pub fn uses_general_model(&self) -> bool {
        matches!(self, Self::OutlierRatio(_) | Self::Supervised { .. })
    }

    /// Whether the objective trains on the labels of the training data.
    pub fn is_supervised(&self) -> bool {
        matches!(self, Self::Supervised { .. })
    }

    /// Every weight (must be finite, non-negative), temperature (finite, positive) and margin
    /// (finite, non-negative) of the objective, by name.
    fn numbers(&self) -> Vec<(&'static str, f64)> {
        let outlier = |l: &OutlierLoss| [("lambda", l.lambda), ("temperature", l.temperature)];
        match self {
            Self::Nll => Vec::new(),
            Self::OutlierRatio(l) => outlier(l).to_vec(),
            Self::Margin(m) => vec![("margin", m.margin)],
            Self::Supervised {
                wrong_class,
                outlier: general,
            } => {
                let mut numbers = vec![
                    ("wrong_class_lambda", wrong_class.lambda),
                    ("wrong_class_temperature", wrong_class.temperature),
                ];
                numbers.extend(general.iter().flat_map(outlier));
                numbers
            }
        }
    }
}

/// Hyper-parameters and bookkeeping of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Adamax learning rate (5e-4).
    pub learning_rate: f64,
    /// Coupled L2 weight decay added to the gradient (5e-5).
    pub weight_decay: f64,
    /// Linear warm-up of the learning rate over this many steps (0: none).
    pub warmup_steps: usize,
    /// Linear cool-down of the learning rate to zero over the last this many of `max_steps`
    /// (0: none, the rate stays constant after the warm-up). Annealing the rate at the end
    /// settles the weights that a constant rate keeps moving, which lowers held-out bits/dim
    /// at the same step count.
    #[serde(default)]
    pub cooldown_steps: usize,
    /// Images per batch (64).
    pub batch_size: usize,
    /// Optimiser steps to run in total (1000).
    pub max_steps: usize,
    /// Seed of the data order, noise and augmentation.
    pub seed: u64,
    /// Batches used for ActNorm's data-dependent init (10), if the model is not initialised.
    pub init_batches: usize,
    /// Write a checkpoint every this many steps (200; and always at the end).
    pub checkpoint_every: usize,
    /// Evaluate test bits/dim every this many steps (500; 0: only at the end, if a test set is
    /// given).
    pub eval_every: usize,
    /// Evaluate on at most this many test batches (0: all).
    pub eval_batches: usize,
    /// The objective.
    pub objective: Objective,
    /// Threads per step on CPU backends (1): each runs forward and backward on an equal shard
    /// of the batch (see [`data_parallel`](crate::data_parallel)); the largest count up to this
    /// that divides the batch is used. Set it to the number of cores on Flex or NdArray, which
    /// otherwise keep about one core busy; leave 1 on GPU devices. Results differ from one
    /// thread only by the order of floating-point sums.
    #[serde(default = "one_thread")]
    pub threads: usize,
    /// Keep only each flow step's input in the forward pass and recompute the steps one at a
    /// time in the backward pass ([`TrainingPass`](crate::TrainingPass)): the memory of one
    /// step's activations instead of all of them, for one more forward pass of the flow
    /// steps; the same gradients up to the order of floating-point sums. Not a defining
    /// setting: a run may resume with it switched.
    #[serde(default)]
    pub recompute: bool,
}

/// `done / length` capped at 1; 1 for a ramp of length 0.
fn ramp(done: usize, length: usize) -> f64 {
    if length == 0 {
        1.0
    } else {
        (done as f64 / length as f64).min(1.0)
    }
}

fn one_thread() -> usize {
    1
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            learning_rate: 5e-4,
            weight_decay: AdamaxConfig::new().weight_decay,
            warmup_steps: 0,
            cooldown_steps: 0,
            batch_size: 64,
            max_steps: 1000,
            seed: 0,
            init_batches: 10,
            checkpoint_every: 200,
            eval_every: 500,
            eval_batches: 0,
            objective: Objective::Nll,
            threads: 1,
            recompute: false,
        }
    }
}

impl TrainConfig {
    /// Checks every setting; a [`crate::Trainer`] can be built iff this succeeds.
    pub fn validate(&self) -> Result<(), TrainError> {
        let positive = [
            ("batch_size", self.batch_size),
            ("max_steps", self.max_steps),
            ("checkpoint_every", self.checkpoint_every),
            ("threads", self.threads),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(TrainError::InvalidSetting {
                name,
                reason: "must be at least 1".into(),
            });
        }
        let after_warmup = self.max_steps.saturating_sub(self.warmup_steps);
        if self.cooldown_steps > after_warmup {
            return Err(TrainError::InvalidSetting {
                name: "cooldown_steps",
                reason: format!(
                    "must be at most max_steps - warmup_steps = {after_warmup}, got {}",
                    self.cooldown_steps
                ),
            });
        }
        let mut numbers = vec![
            ("learning_rate", self.learning_rate),
            ("weight_decay", self.weight_decay),
        ];
        numbers.extend(self.objective.numbers());
        for (name, value) in numbers {
            let positive = name == "learning_rate" || name.ends_with("temperature");
            let in_range = if positive { value > 0.0 } else { value >= 0.0 };
            if !(value.is_finite() && in_range) {
                let bound = if positive { "positive" } else { "non-negative" };
                return Err(TrainError::InvalidSetting {
                    name,
                    reason: format!("must be finite and {bound}, got {value}"),
                });
            }
        }
        Ok(())
    }

    /// Learning rate at step `step` (0-based): linear warm-up over the first `warmup_steps`,
    /// constant, then a linear cool-down over the last `cooldown_steps` whose last step runs
    /// at `learning_rate / cooldown_steps`.
    pub fn learning_rate_at(&self, step: usize) -> f64 {
        let warmup = ramp(step + 1, self.warmup_steps);
        let cooldown = ramp(self.max_steps.saturating_sub(step), self.cooldown_steps);
        self.learning_rate * warmup * cooldown
    }
}
