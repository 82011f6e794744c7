//! The training loop: data-dependent init, Adamax steps with the non-finite guard (each step
//! data-parallel over `TrainConfig::threads`), optional outlier objective against a frozen
//! general model, checkpoints, metrics, progress bar.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Int, Tensor, TensorData};
use flowood_data::Batcher;
use flowood_flows::to_host;
use flowood_glow::Glow;
use flowood_objectives::{MarginLoss, OutlierLoss};
use indicatif::{ProgressBar, ProgressStyle};

use crate::checkpoint::{TrainState, load_checkpoint, optimizer_for, save_checkpoint};
use crate::config::{Objective, TrainConfig};
use crate::data_parallel::{ParallelPass, data_parallel, shard_count};
use crate::error::{TrainError, io_err};
use crate::guard::{BatchVerdict, batch_verdict, gradients_finite};
use crate::metrics::{MetricsRecord, MetricsWriter};

/// The data of a run.
pub struct TrainData {
    /// Training batches (`BatchConfig::train`: shuffled, noisy, augmented).
    pub train: Batcher,
    /// Test batches for bits/dim (`BatchConfig::eval`), if any.
    pub test: Option<Batcher>,
    /// General-distribution batches for the outlier objectives.
    pub general: Option<Batcher>,
}

/// What a finished run reports.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSummary {
    /// Steps done in total (a resumed run counts the earlier ones).
    pub steps: usize,
    /// Steps skipped by the non-finite guard.
    pub skipped_steps: usize,
    /// Steps recomputed on the finite part of their batch.
    pub recomputed_steps: usize,
    /// Mean training bits/dim over the last 10% of this session's steps.
    pub train_bits_per_dim: f64,
    /// Test bits/dim at the end, if a test set was given.
    pub test_bits_per_dim: Option<f64>,
    /// Training images per second over this session (loop overhead included).
    pub images_per_second: f64,
    /// Where the final model was written (`OUT/model.bpk`).
    pub model_path: PathBuf,
}

/// Runs training into an output folder (`model.bpk`, `metrics.jsonl`, `checkpoints/`).
pub struct Trainer {
    config: TrainConfig,
    device: Device,
    out: PathBuf,
    progress: bool,
}

/// Loss and bits/dim of one step; NaN where the step was skipped.
struct StepReport {
    loss: f64,
    bits_per_dim: f64,
}

impl Trainer {
    /// A trainer for `config` on `device` (the plain device; autodiff is added here), writing
    /// into `out`.
    pub fn new(
        config: TrainConfig,
        device: &Device,
        out: impl Into<PathBuf>,
    ) -> Result<Self, TrainError> {
        let positive = [
            ("batch_size", config.batch_size),
            ("max_steps", config.max_steps),
            ("checkpoint_every", config.checkpoint_every),
            ("threads", config.threads),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(TrainError::InvalidSetting {
                name,
                reason: "must be at least 1".into(),
            });
        }
        if !(config.learning_rate.is_finite() && config.learning_rate > 0.0) {
            return Err(TrainError::InvalidSetting {
                name: "learning_rate",
                reason: format!("must be positive, got {}", config.learning_rate),
            });
        }
        let out = out.into();
        std::fs::create_dir_all(&out).map_err(|e| io_err("creating output folder", &out, e))?;
        Ok(Self {
            config,
            device: device.clone(),
            out,
            progress: true,
        })
    }

    /// Shows or hides the progress bar (shown by default; hidden anyway without a terminal).
    pub fn with_progress(mut self, show: bool) -> Self {
        self.progress = show;
        self
    }

    /// The output folder.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Trains `model` (or, with `resume`, the latest checkpoint in the output folder, if any).
    ///
    /// `general` is the frozen general model of the outlier-ratio objective. A model that is
    /// not yet initialised gets ActNorm's data-dependent init from the first
    /// `init_batches` training batches before step 1.
    pub fn fit(
        &self,
        model: Glow,
        general: Option<&Glow>,
        data: &TrainData,
        resume: bool,
    ) -> Result<(Glow, TrainSummary), TrainError> {
        self.check_objective(general, data)?;
        let restored = if resume {
            load_checkpoint(&self.out, &self.device)?
        } else {
            None
        };
        let (model, mut optimizer, mut state) = match restored {
            Some(r) => (
                r.model.train(),
                r.optimizer,
                TrainState {
                    config: self.config.clone(),
                    ..r.state
                },
            ),
            None => {
                let model = self.initialized(model.train(), &data.train)?;
                (
                    model,
                    optimizer_for(&self.config),
                    TrainState::new(self.config.clone()),
                )
            }
        };
        let general = general.map(Module::valid);
        let mut metrics = MetricsWriter::open(&self.out, state.step)?;
        let bar = self.progress_bar(state.step);
        let session_start = (Instant::now(), state.step);
        let mut model = model;
        let mut recent_bpd = Vec::new();
        while state.step < self.config.max_steps {
            let started = Instant::now();
            let x = next_batch(
                &data.train,
                &mut state.epoch,
                &mut state.next_batch,
                &self.device.clone().autodiff(),
            )?;
            let general_batch = match &data.general {
                Some(g) if self.config.objective.uses_general_data() => Some(next_batch(
                    g,
                    &mut state.general_epoch,
                    &mut state.general_next_batch,
                    &self.device,
                )?),
                _ => None,
            };
            let lr = self.config.learning_rate_at(state.step);
            let (next, report) = self.step(
                model,
                &mut optimizer,
                general.as_ref(),
                x,
                general_batch,
                lr,
                &mut state,
            )?;
            model = next;
            state.step += 1;
            let rate = self.config.batch_size as f64 / started.elapsed().as_secs_f64();
            recent_bpd.push(report.bits_per_dim);
            metrics.write(&MetricsRecord::Step {
                step: state.step,
                loss: report.loss,
                bits_per_dim: report.bits_per_dim,
                learning_rate: lr,
                images_per_second: rate,
                skipped_steps: state.skipped_steps,
                recomputed_steps: state.recomputed_steps,
            })?;
            bar.set_position(state.step as u64);
            bar.set_message(format!(
                "loss {:.1} | {:.3} bits/dim | {:.0} img/s | skipped {} | recomputed {}",
                report.loss, report.bits_per_dim, rate, state.skipped_steps, state.recomputed_steps
            ));
            let last = state.step == self.config.max_steps;
            if self.config.eval_every > 0
                && state.step.is_multiple_of(self.config.eval_every)
                && !last
            {
                self.evaluate_into(&model, data, state.step, &mut metrics, &bar)?;
            }
            if last || state.step.is_multiple_of(self.config.checkpoint_every) {
                save_checkpoint(&self.out, &model, &optimizer, &state)?;
            }
        }
        bar.finish();
        // Throughput of the loop itself (steps, data, metrics, checkpoints), before the final
        // evaluation and save.
        let done = state.step - session_start.1;
        let images_per_second = (done * self.config.batch_size) as f64
            / session_start.0.elapsed().as_secs_f64().max(1e-9);
        let test_bits_per_dim = self.evaluate_into(&model, data, state.step, &mut metrics, &bar)?;
        let model_path = self.out.join("model.bpk");
        model.save(&model_path)?;
        let tail = &recent_bpd[recent_bpd.len() - recent_bpd.len().div_ceil(10)..];
        let finite: Vec<f64> = tail.iter().copied().filter(|v| v.is_finite()).collect();
        let summary = TrainSummary {
            steps: state.step,
            skipped_steps: state.skipped_steps,
            recomputed_steps: state.recomputed_steps,
            train_bits_per_dim: finite.iter().sum::<f64>() / finite.len().max(1) as f64,
            test_bits_per_dim,
            images_per_second,
            model_path,
        };
        Ok((model, summary))
    }

    fn check_objective(&self, general: Option<&Glow>, data: &TrainData) -> Result<(), TrainError> {
        let objective = self.config.objective;
        if objective.uses_general_data() && data.general.is_none() {
            return Err(TrainError::InvalidSetting {
                name: "objective",
                reason: "the outlier objectives need general-distribution data".into(),
            });
        }
        if matches!(objective, Objective::OutlierRatio { .. }) && general.is_none() {
            return Err(TrainError::InvalidSetting {
                name: "objective",
                reason: "the outlier-ratio objective needs a general model".into(),
            });
        }
        Ok(())
    }

    /// Data-dependent init from the first `init_batches` training batches, unless done.
    fn initialized(&self, model: Glow, train: &Batcher) -> Result<Glow, TrainError> {
        if model.is_initialized() {
            return Ok(model);
        }
        let device = model.device();
        let batches: Vec<Tensor<4>> = (0..self.config.init_batches.max(1))
            .map_while(|i| train.batch(0, i))
            .map(|b| b.into_tensor(&device))
            .collect();
        Ok(model.initialize(&batches)?)
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        model: Glow,
        optimizer: &mut ModuleOptimizer,
        general: Option<&Glow>,
        x: Tensor<4>,
        general_x: Option<Tensor<4>>,
        lr: f64,
        state: &mut TrainState,
    ) -> Result<(Glow, StepReport), TrainError> {
        let dims = model.config.dims() as f64;
        let first = self.batch_pass(&model, general, x.clone(), general_x.clone())?;
        let per_image: Vec<f64> = first.reports.concat();
        let pass = match batch_verdict(&per_image) {
            BatchVerdict::AllFinite => first,
            BatchVerdict::FinitePart(keep) => {
                state.recomputed_steps += 1;
                let index = Tensor::<1, Int>::from_data(
                    TensorData::new(keep.iter().map(|&i| i as i64).collect(), [keep.len()]),
                    &x.device(),
                );
                self.batch_pass(&model, general, x.select(0, index), general_x)?
            }
            BatchVerdict::Skip => {
                state.skipped_steps += 1;
                return Ok((
                    model,
                    StepReport {
                        loss: f64::NAN,
                        bits_per_dim: f64::NAN,
                    },
                ));
            }
        };
        let finite: Vec<f64> = per_image
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let report = StepReport {
            loss: pass.loss,
            bits_per_dim: finite.iter().sum::<f64>()
                / finite.len() as f64
                / (dims * std::f64::consts::LN_2),
        };
        if !pass.loss.is_finite() || !gradients_finite(&model, &pass.grads) {
            state.skipped_steps += 1;
            return Ok((model, report));
        }
        Ok((optimizer.step(lr, model, pass.grads), report))
    }

    /// Loss and gradients of one batch (and the general batch), cut into as many equal shards
    /// as `threads` allows, one thread each; every shard reports its images' NLLs.
    fn batch_pass(
        &self,
        model: &Glow,
        general: Option<&Glow>,
        x: Tensor<4>,
        general_x: Option<Tensor<4>>,
    ) -> Result<ParallelPass<Vec<f64>>, TrainError> {
        let mut sizes = vec![x.dims()[0]];
        sizes.extend(general_x.as_ref().map(|g| g.dims()[0]));
        let count = shard_count(self.config.threads, &sizes);
        let general_shards: Vec<Option<Tensor<4>>> = match general_x {
            Some(g) => g.chunk(count, 0).into_iter().map(Some).collect(),
            None => vec![None; count],
        };
        let shards: Vec<_> = x.chunk(count, 0).into_iter().zip(general_shards).collect();
        data_parallel(model, shards, |local, (x, general_x)| {
            let nll = local.log_likelihood(x)?.nll();
            let per_image = to_host(nll.clone());
            Ok((self.loss(local, general, nll, general_x)?, per_image))
        })
    }

    /// The objective's loss from the in-distribution NLLs (`[B]`) and the general batch
    /// (on the plain device).
    fn loss(
        &self,
        model: &Glow,
        general: Option<&Glow>,
        nll: Tensor<1>,
        general_x: Option<Tensor<4>>,
    ) -> Result<Tensor<1>, TrainError> {
        let (objective, general_x) = match (self.config.objective, general_x) {
            (Objective::Nll, _) | (_, None) => return Ok(nll.mean()),
            (objective, Some(g)) => (objective, g),
        };
        let on_model = model.log_likelihood(general_x.clone().autodiff())?;
        match (objective, general) {
            (
                Objective::OutlierRatio {
                    lambda,
                    temperature,
                },
                Some(general),
            ) => {
                let frozen = Tensor::from_inner(general.log_likelihood(general_x)?.total);
                Ok(OutlierLoss {
                    lambda,
                    temperature,
                }
                .loss(nll, on_model.total, frozen))
            }
            (Objective::Margin { margin }, _) => {
                Ok(nll.clone().mean() + MarginLoss { margin }.loss(nll, on_model.nll()))
            }
            _ => Err(TrainError::InvalidSetting {
                name: "objective",
                reason: "the outlier-ratio objective needs a general model".into(),
            }),
        }
    }

    /// Test bits/dim (if there is a test set), recorded in the metrics.
    fn evaluate_into(
        &self,
        model: &Glow,
        data: &TrainData,
        step: usize,
        metrics: &mut MetricsWriter,
        bar: &ProgressBar,
    ) -> Result<Option<f64>, TrainError> {
        let Some(test) = &data.test else {
            return Ok(None);
        };
        let bpd =
            evaluate_bits_per_dim(&model.valid(), test, self.config.eval_batches, &self.device)?;
        metrics.write(&MetricsRecord::Eval {
            step,
            test_bits_per_dim: bpd,
        })?;
        bar.println(format!("step {step}: test {bpd:.4} bits/dim"));
        Ok(Some(bpd))
    }

    fn progress_bar(&self, start: usize) -> ProgressBar {
        let bar = if self.progress {
            ProgressBar::new(self.config.max_steps as u64)
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} steps | {msg} | ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_position(start as u64);
        bar
    }
}

/// Mean bits/dim of `model` over the first `max_batches` batches of `test` (0: all).
pub fn evaluate_bits_per_dim(
    model: &Glow,
    test: &Batcher,
    max_batches: usize,
    device: &Device,
) -> Result<f64, TrainError> {
    let limit = if max_batches == 0 {
        usize::MAX
    } else {
        max_batches
    };
    let (mut sum, mut count) = (0.0, 0usize);
    for batch in test.epoch(0, 0, 1).take(limit) {
        let bpd = to_host(
            model
                .log_likelihood(batch.into_tensor(device))?
                .bits_per_dim(),
        );
        sum += bpd.iter().sum::<f64>();
        count += bpd.len();
    }
    Ok(sum / count.max(1) as f64)
}

/// The next training batch, moving to the next epoch when one ends.
fn next_batch(
    batcher: &Batcher,
    epoch: &mut u64,
    next: &mut usize,
    device: &Device,
) -> Result<Tensor<4>, TrainError> {
    for _ in 0..2 {
        if let Some(batch) = batcher.batch(*epoch, *next) {
            *next += 1;
            return Ok(batch.into_tensor(device));
        }
        *epoch += 1;
        *next = 0;
    }
    Err(TrainError::InvalidSetting {
        name: "batch_size",
        reason: "larger than the training set".into(),
    })
}
