//! Streaming a dataset through the scorers, with a progress bar.

use clap::Args;
use flowood::backend::default_threads;
use flowood::burn::tensor::Device;
use flowood::data::{DataSource, ImageSet, Prepare};
use flowood::glow::Glow;
use flowood::pretrained::ModelSource;
use flowood::scores::{DatasetScorer, Pixels, ScoreBatch, ScoreTable};
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::CliError;
use crate::load_data::load_scored;
use crate::train_args::{parse_arg, parse_threads};

/// Images per scoring batch.
const BATCH: usize = 256;

/// Flags naming the models a data set is scored with (`score` and `eval`).
#[derive(Debug, Clone, Args)]
pub struct ModelFlags {
    /// The in-distribution model: a model.bpk or `pretrained:NAME`.
    #[arg(long, value_parser = parse_arg::<ModelSource>)]
    pub model: ModelSource,
    /// The general model (same architecture), for the likelihood-ratio scores: a model.bpk or
    /// `pretrained:NAME` (e.g. `pretrained:grey32`).
    #[arg(long, value_parser = parse_arg::<ModelSource>)]
    pub general: Option<ModelSource>,
    /// Also compute the input-complexity score (PNG at maximum compression).
    #[arg(long)]
    pub complexity: bool,
    /// Threads and strictness.
    #[command(flatten)]
    pub scoring: ScoringFlags,
}

/// How every scoring command (`score`, `eval`, `calibrate`, `detect`, `analyze`) runs.
#[derive(Debug, Clone, Copy, Args)]
pub struct ScoringFlags {
    /// Batches scored at once, one thread each (default: every core on flex and ndarray,
    /// which otherwise keep about one core busy; 1 on GPU devices).
    #[arg(long, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Fail if any image file of the data cannot be decoded (default: skip it, with a warning
    /// naming it).
    #[arg(long)]
    pub strict: bool,
}

impl ScoringFlags {
    /// `--threads`, or the default of `device`.
    pub fn threads(&self, device: &Device) -> usize {
        self.threads.unwrap_or_else(|| default_threads(device))
    }
}

/// The models a dataset is scored with.
pub struct Models {
    /// The in-distribution model.
    pub model: Glow,
    /// How messages name the in-distribution model (its file or `pretrained:NAME`).
    pub model_name: String,
    /// How messages name the general model.
    pub general_name: Option<String>,
    /// The general model of the ratio scores, if any.
    pub general: Option<Glow>,
    /// Whether to compute the input-complexity score.
    pub complexity: bool,
    /// Batches scored at once.
    pub threads: usize,
    /// Whether an undecodable image file is an error.
    pub strict: bool,
}

impl Models {
    /// Loads the models the flags name on `device` (which picks the default --threads).
    pub fn load(flags: &ModelFlags, device: &Device) -> Result<Self, CliError> {
        let model = flags.model.load(device)?;
        let general = flags.general.as_ref().map(|g| g.load(device)).transpose()?;
        Ok(Self {
            model,
            model_name: flags.model.to_string(),
            general_name: flags.general.as_ref().map(ToString::to_string),
            general,
            complexity: flags.complexity,
            threads: flags.scoring.threads(device),
            strict: flags.scoring.strict,
        })
    }

    /// `model` (called `name` in messages) scored alone: no general model, no input
    /// complexity.
    pub fn single(model: Glow, name: String, flags: &ScoringFlags, device: &Device) -> Self {
        Self {
            model,
            model_name: name,
            general_name: None,
            general: None,
            complexity: false,
            threads: flags.threads(device),
            strict: flags.strict,
        }
    }

    /// Channels and size the models expect.
    pub fn prepare(&self) -> Prepare {
        Prepare {
            channels: self.model.config.in_channels,
            size: self.model.config.image_size,
        }
    }

    /// The images of `source` the models score ([`load_scored`]).
    pub fn load_set(&self, source: &DataSource, validation: usize) -> Result<ImageSet, CliError> {
        load_scored(source, validation, self.prepare(), self.strict)
    }

    /// The scorer of every score and per-scale term these models give.
    pub fn scorer(&self) -> Result<DatasetScorer, CliError> {
        let mut scorer = DatasetScorer::new(&self.model)
            .map_err(score_err)?
            .with_threads(self.threads);
        if let Some(general) = &self.general {
            scorer = scorer.with_general(general).map_err(score_err)?;
        }
        if self.complexity {
            scorer = scorer.with_complexity();
        }
        Ok(scorer)
    }

    /// Every score and per-scale term of every image of `set` (named `label` in messages),
    /// streamed in batches of [`BATCH`] images in order. Fails if every log-likelihood of a
    /// model is non-finite ([`CliError::NonFinite`]); warns on stderr if some are.
    pub fn score(
        &self,
        set: ImageSet,
        label: &str,
        device: &Device,
    ) -> Result<ScoreTable, CliError> {
        let scorer = self.scorer()?;
        let total = set.len();
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} images | ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("scoring {label}"));
        let [_, c, h, w] = set.shape();
        let batches = set.pixels().chunks(BATCH * c * h * w).map(|chunk| {
            let pixels = Pixels::new(chunk.to_vec(), [chunk.len() / (c * h * w), c, h, w]);
            pixels.map(|p| ScoreBatch::from_pixels(p, device))
        });
        let mut error = None;
        let batches = batches.map_while(|b| b.map_err(|e| error = Some(e)).ok());
        let table = scorer
            .score_stream(batches, Some(total), |done, _| {
                bar.set_position(done as u64)
            })
            .map_err(score_err)?;
        bar.finish_and_clear();
        if let Some(e) = error {
            return Err(score_err(e));
        }
        self.check_finite(&table, label)?;
        Ok(table)
    }

    /// [`finite_check`] of each model's log-likelihoods in `table`.
    fn check_finite(&self, table: &ScoreTable, set: &str) -> Result<(), CliError> {
        let models = [
            (Some(&self.model_name), "in_log_p"),
            (self.general_name.as_ref(), "general_log_p"),
        ];
        for (name, column) in models {
            if let (Some(name), Some(values)) = (name, table.column(column)) {
                finite_check(values, name, set)?;
            }
        }
        Ok(())
    }
}

/// The number of non-finite values among the log-likelihoods `log_p` that `model` gave the
/// images of `set`: an error if all of them are, a warning on stderr if some are (they rank
/// as the most anomalous in metrics and are left out of means).
pub fn finite_check(log_p: &[f64], model: &str, set: &str) -> Result<usize, CliError> {
    let nonfinite = count_nonfinite(log_p);
    if nonfinite > 0 && nonfinite == log_p.len() {
        return Err(CliError::NonFinite {
            model: model.to_string(),
            set: set.to_string(),
            images: log_p.len(),
        });
    }
    if nonfinite > 0 {
        eprintln!(
            "warning: {nonfinite} of {} images of {set} have a non-finite log-likelihood under \
             {model}: their scores rank as the most anomalous and are left out of means",
            log_p.len()
        );
    }
    Ok(nonfinite)
}

/// How many of `values` are NaN or infinite.
pub fn count_nonfinite(values: &[f64]) -> usize {
    values.iter().filter(|v| !v.is_finite()).count()
}

/// Mean of the finite values (0 when there are none): non-finite scores are counted apart.
pub fn finite_mean(values: &[f64]) -> f64 {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    finite.iter().sum::<f64>() / finite.len().max(1) as f64
}

/// Scoring errors as CLI errors.
pub fn score_err(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(e.to_string())
}
