//! The training loop: data-dependent init, Adamax steps with the non-finite guard (each step
//! data-parallel over `TrainConfig::threads`), optional outlier objective against a frozen
//! general model, checkpoints, metrics, and progress through a callback.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Int, Tensor, TensorData};
use flowood_data::{Batcher, HostBatch};
use flowood_flows::to_host;
use flowood_glow::Glow;

use crate::checkpoint::{
    TrainState, has_checkpoint, load_checkpoint, optimizer_for, save_checkpoint,
};
use crate::config::TrainConfig;
use crate::data_parallel::{ParallelPass, data_parallel, shard_count};
use crate::error::{TrainError, io_err};
use crate::guard::{BatchVerdict, batch_verdict, gradients_finite};
use crate::loss::Loss;
use crate::metrics::{MetricsRecord, MetricsWriter};
use crate::run_identity::{DataFingerprint, check_same_run};
use crate::run_lock::RunLock;

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

/// Called with every record the run writes to `metrics.jsonl`, as it writes it.
type ProgressFn = Box<dyn Fn(&MetricsRecord) + Send + Sync>;

/// Runs training into an output folder (`model.bpk`, `metrics.jsonl`, `checkpoints/`).
pub struct Trainer {
    config: TrainConfig,
    device: Device,
    out: PathBuf,
    progress: Option<ProgressFn>,
}

/// A run in progress: the model, its optimizer, the loop's state and this session's records.
struct Run {
    model: Glow,
    optimizer: ModuleOptimizer,
    state: TrainState,
    metrics: MetricsWriter,
    /// Training bits/dim of each step of this session.
    bits_per_dim: Vec<f64>,
    /// Skipped steps before this session.
    skipped_before: usize,
}

/// Loss and bits/dim of one step (NaN where the step was skipped) and its learning rate.
struct StepReport {
    loss: f64,
    bits_per_dim: f64,
    learning_rate: f64,
}

/// One step's batches: the training batch on the autodiff device with its labels (if the
/// set has them), the general batch (for the outlier objectives) on the plain device.
struct StepBatch {
    x: Tensor<4>,
    labels: Option<Vec<u16>>,
    general: Option<Tensor<4>>,
}

impl Trainer {
    /// A trainer for `config` (checked with [`TrainConfig::validate`]) on `device` (the plain
    /// device; autodiff is added here), writing into `out`.
    pub fn new(
        config: TrainConfig,
        device: &Device,
        out: impl Into<PathBuf>,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        let out = out.into();
        std::fs::create_dir_all(&out).map_err(|e| io_err("creating output folder", &out, e))?;
        Ok(Self {
            config,
            device: device.clone(),
            out,
            progress: None,
        })
    }

    /// Reports progress: `report` gets every step and evaluation record as it is written
    /// (nothing is reported by default).
    pub fn with_progress(
        mut self,
        report: impl Fn(&MetricsRecord) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Box::new(report));
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
        let general = general.map(Module::valid);
        let loss = Loss::new(
            self.config.objective,
            general.as_ref(),
            data.general.is_some(),
        )?;
        loss.check_labels(&model, data.train.set())?;
        let _lock = RunLock::acquire(&self.out)?;
        let mut run = self.start(model, data, resume)?;
        let session = (Instant::now(), run.state.step);
        while run.state.step < self.config.max_steps {
            let batch = self.next_batches(&mut run.state, data)?;
            run = self.train_step(run, &loss, batch)?;
            let step = run.state.step;
            let last = step == self.config.max_steps;
            if self.config.eval_every > 0 && step.is_multiple_of(self.config.eval_every) && !last {
                self.evaluate_into(&run.model, data, step, &mut run.metrics)?;
            }
            if last || step.is_multiple_of(self.config.checkpoint_every) {
                save_checkpoint(&self.out, &run.model, &run.optimizer, &run.state)?;
            }
        }
        // Throughput of the loop itself (steps, data, metrics, checkpoints), before the final
        // evaluation and save.
        let done = run.state.step - session.1;
        let images_per_second =
            (done * self.config.batch_size) as f64 / session.0.elapsed().as_secs_f64().max(1e-9);
        self.finish(run, data, images_per_second)
    }

    /// The model, optimizer and state to start from: the latest checkpoint when resuming
    /// (with this run's settings), otherwise `model`, initialised if it is not yet.
    ///
    /// A checkpoint resumes only if it belongs to this run (same defining settings,
    /// architecture and training data); a fresh run refuses a folder holding a checkpoint.
    fn start(&self, model: Glow, data: &TrainData, resume: bool) -> Result<Run, TrainError> {
        let fingerprint = DataFingerprint::of(data.train.set());
        let restored = if resume {
            load_checkpoint(&self.out, &self.device)?
        } else if has_checkpoint(&self.out) {
            return Err(TrainError::OutputHoldsRun {
                out: self.out.clone(),
            });
        } else {
            None
        };
        let (model, optimizer, state) = match restored {
            Some(r) => {
                check_same_run(
                    (&r.state.config, &r.model.config, r.state.data),
                    (&self.config, &model.config, fingerprint),
                )?;
                let state = TrainState {
                    config: self.config.clone(),
                    data: Some(fingerprint),
                    ..r.state
                };
                (r.model.train(), r.optimizer, state)
            }
            None => (
                self.initialized(model.valid(), &data.train)?.train(),
                optimizer_for(&self.config),
                TrainState {
                    data: Some(fingerprint),
                    ..TrainState::new(self.config.clone())
                },
            ),
        };
        let skipped_before = state.skipped_steps;
        let metrics = MetricsWriter::open(&self.out, state.step)?;
        Ok(Run {
            model,
            optimizer,
            state,
            metrics,
            bits_per_dim: Vec::new(),
            skipped_before,
        })
    }

    /// The final evaluation and save, and the summary of the run. A session whose last steps
    /// were all skipped, that left an invalid weight, or whose model gives non-finite test
    /// bits/dim is an error and saves no final model.
    fn finish(
        &self,
        mut run: Run,
        data: &TrainData,
        images_per_second: f64,
    ) -> Result<(Glow, TrainSummary), TrainError> {
        let steps = run.bits_per_dim.len();
        let recent = &run.bits_per_dim[steps - steps.div_ceil(10)..];
        let finite: Vec<f64> = recent.iter().copied().filter(|v| v.is_finite()).collect();
        if steps > 0 && finite.is_empty() {
            let skipped = run.state.skipped_steps - run.skipped_before;
            return Err(TrainError::NoProgress { steps, skipped });
        }
        if let Some((tensor, reason)) = run.model.first_invalid_tensor() {
            return Err(TrainError::Diverged { tensor, reason });
        }
        let step = run.state.step;
        let test_bits_per_dim = self.evaluate_into(&run.model, data, step, &mut run.metrics)?;
        if let Some(bits_per_dim) = test_bits_per_dim.filter(|v| !v.is_finite()) {
            return Err(TrainError::NonFiniteTest { step, bits_per_dim });
        }
        let model_path = self.out.join("model.bpk");
        run.model.save(&model_path)?;
        let summary = TrainSummary {
            steps: step,
            skipped_steps: run.state.skipped_steps,
            recomputed_steps: run.state.recomputed_steps,
            train_bits_per_dim: finite.iter().sum::<f64>() / finite.len().max(1) as f64,
            test_bits_per_dim,
            images_per_second,
            model_path,
        };
        Ok((run.model, summary))
    }

    /// The next training batch and, for the outlier objectives, the next general batch.
    fn next_batches(
        &self,
        state: &mut TrainState,
        data: &TrainData,
    ) -> Result<StepBatch, TrainError> {
        let mut train = next_batch(&data.train, &mut state.epoch, &mut state.next_batch)?;
        let labels = train.labels.take();
        let x = train.into_tensor(&self.device.clone().autodiff());
        let general = match &data.general {
            Some(g) if self.config.objective.uses_general_data() => Some(
                next_batch(g, &mut state.general_epoch, &mut state.general_next_batch)?
                    .into_tensor(&self.device),
            ),
            _ => None,
        };
        Ok(StepBatch { x, labels, general })
    }

    /// One optimiser step on `batch`, recorded in the metrics and reported.
    fn train_step(
        &self,
        mut run: Run,
        loss: &Loss<'_>,
        batch: StepBatch,
    ) -> Result<Run, TrainError> {
        let started = Instant::now();
        let (model, report) =
            self.step(run.model, &mut run.optimizer, &mut run.state, loss, batch)?;
        run.model = model;
        run.state.step += 1;
        run.bits_per_dim.push(report.bits_per_dim);
        let record = MetricsRecord::Step {
            step: run.state.step,
            loss: report.loss,
            bits_per_dim: report.bits_per_dim,
            learning_rate: report.learning_rate,
            images_per_second: self.config.batch_size as f64 / started.elapsed().as_secs_f64(),
            skipped_steps: run.state.skipped_steps,
            recomputed_steps: run.state.recomputed_steps,
        };
        self.record(&mut run.metrics, &record)?;
        Ok(run)
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

    /// Loss, guard and optimiser update of one batch: a batch with some non-finite NLLs is
    /// recomputed on its finite part, one with too few finite ones or non-finite gradients
    /// is skipped (the model is returned unchanged).
    fn step(
        &self,
        model: Glow,
        optimizer: &mut ModuleOptimizer,
        state: &mut TrainState,
        loss: &Loss<'_>,
        batch: StepBatch,
    ) -> Result<(Glow, StepReport), TrainError> {
        let lr = self.config.learning_rate_at(state.step);
        let dims = model.config.dims() as f64;
        let first = self.batch_pass(&model, loss, &batch, None)?;
        let per_image: Vec<f64> = first.reports.concat();
        let pass = match batch_verdict(&per_image) {
            BatchVerdict::AllFinite => first,
            BatchVerdict::FinitePart(keep) => {
                state.recomputed_steps += 1;
                self.batch_pass(&model, loss, &batch, Some(&keep))?
            }
            BatchVerdict::Skip => {
                state.skipped_steps += 1;
                let report = StepReport {
                    loss: f64::NAN,
                    bits_per_dim: f64::NAN,
                    learning_rate: lr,
                };
                return Ok((model, report));
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
            learning_rate: lr,
        };
        if !pass.loss.is_finite() || !gradients_finite(&model, &pass.grads) {
            state.skipped_steps += 1;
            return Ok((model, report));
        }
        Ok((optimizer.step(lr, model, pass.grads), report))
    }

    /// Loss and gradients of one batch (only the images `keep`, if given) and the general
    /// batch, cut into as many equal shards as `threads` allows, one thread each; every shard
    /// reports its images' NLLs.
    fn batch_pass(
        &self,
        model: &Glow,
        loss: &Loss<'_>,
        batch: &StepBatch,
        keep: Option<&[usize]>,
    ) -> Result<ParallelPass<Vec<f64>>, TrainError> {
        let (x, labels) = match keep {
            None => (batch.x.clone(), batch.labels.clone()),
            Some(keep) => {
                let index = Tensor::<1, Int>::from_data(
                    TensorData::new(keep.iter().map(|&i| i as i64).collect(), [keep.len()]),
                    &batch.x.device(),
                );
                let labels = batch
                    .labels
                    .as_ref()
                    .map(|l| keep.iter().map(|&i| l[i]).collect());
                (batch.x.clone().select(0, index), labels)
            }
        };
        let mut sizes = vec![x.dims()[0]];
        sizes.extend(batch.general.as_ref().map(|g| g.dims()[0]));
        let count = shard_count(self.config.threads, &sizes);
        let general_shards: Vec<Option<Tensor<4>>> = match &batch.general {
            Some(g) => g.clone().chunk(count, 0).into_iter().map(Some).collect(),
            None => vec![None; count],
        };
        let label_shards: Vec<Option<Vec<u16>>> = match labels {
            Some(l) => l
                .chunks(l.len() / count)
                .map(|c| Some(c.to_vec()))
                .collect(),
            None => vec![None; count],
        };
        let shards: Vec<_> = x
            .chunk(count, 0)
            .into_iter()
            .zip(label_shards)
            .zip(general_shards)
            .collect();
        let recompute = self.config.recompute;
        data_parallel(
            model,
            shards,
            recompute,
            |local, ((x, labels), general_x)| {
                let pass = loss.loss(local, x, labels.as_deref(), general_x)?;
                Ok((pass.loss, to_host(pass.nll)))
            },
        )
    }

    /// Test bits/dim (if there is a test set), recorded in the metrics.
    fn evaluate_into(
        &self,
        model: &Glow,
        data: &TrainData,
        step: usize,
        metrics: &mut MetricsWriter,
    ) -> Result<Option<f64>, TrainError> {
        let Some(test) = &data.test else {
            return Ok(None);
        };
        let bpd =
            evaluate_bits_per_dim(&model.valid(), test, self.config.eval_batches, &self.device)?;
        let record = MetricsRecord::Eval {
            step,
            test_bits_per_dim: bpd,
        };
        self.record(metrics, &record)?;
        Ok(Some(bpd))
    }

    /// Writes `record` to the metrics file and reports it.
    fn record(
        &self,
        metrics: &mut MetricsWriter,
        record: &MetricsRecord,
    ) -> Result<(), TrainError> {
        metrics.write(record)?;
        if let Some(report) = &self.progress {
            report(record);
        }
        Ok(())
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
    if count == 0 {
        return Err(TrainError::InvalidSetting {
            name: "test data",
            reason: "holds no image to evaluate".into(),
        });
    }
    Ok(sum / count as f64)
}

/// The next batch, moving to the next epoch when one ends.
fn next_batch(
    batcher: &Batcher,
    epoch: &mut u64,
    next: &mut usize,
) -> Result<HostBatch, TrainError> {
    for _ in 0..2 {
        if let Some(batch) = batcher.batch(*epoch, *next) {
            *next += 1;
            return Ok(batch);
        }
        *epoch += 1;
        *next = 0;
    }
    Err(TrainError::InvalidSetting {
        name: "batch_size",
        reason: "larger than the training set".into(),
    })
}
