//! Flags shared by `flowood train` and `flowood finetune`.

use std::path::PathBuf;
use std::str::FromStr;

use clap::Args;
use flowood::data::{DataSource, Photometric, ZoomOut};
use flowood::host::MAX_THREADS;
use flowood::objectives::ClassConditionalLoss;
use flowood::pretrained::ModelSource;
use flowood::train::TrainConfig;

/// Data, optimisation and bookkeeping flags; their defaults are the library's
/// (`TrainConfig::default()`).
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Training data as KIND:PATH; KIND is fashion-mnist, mnist, idx, cifar10, cifar100,
    /// svhn, folder, photos or tiny (e.g. fashion-mnist:data/fashion-mnist, photos:data/photos,
    /// idx:letters-images-idx3-ubyte.gz, optionally followed by ,LABELS).
    /// The test split of the same set, where it has one, gives the test bits/dim.
    #[arg(long, value_parser = parse_arg::<DataSource>)]
    pub data: DataSource,
    /// Hold out the last N training images as a validation set: they are not trained on, and
    /// they replace the test split for the bits/dim reported during and after training, so
    /// that settings can be chosen without looking at the test set.
    #[arg(long, default_value_t = 0)]
    pub validation: usize,
    /// Random contrast and brightness for the training data, as CONTRAST,BRIGHTNESS (e.g.
    /// 4,0.5: contrast factor log-uniform in [1/4, 4], shift up to half the range, clipped).
    /// Not in the paper's protocol: meant for a general model of well-exposed photos, which
    /// otherwise never sees saturated areas and hard edges.
    #[arg(long, value_parser = parse_arg::<Photometric>)]
    pub photometric: Option<Photometric>,
    /// Random zoom-out for the training data, as PROBABILITY,MIN_SCALE (e.g. 0.5,0.4: half
    /// the images shrunk by a factor in [0.4, 1] onto a black canvas at a random place).
    /// Not in the paper's protocol: meant for a general model of photos, which otherwise never
    /// sees the black backgrounds of Fashion-MNIST and digits.
    #[arg(long, value_parser = parse_arg::<ZoomOut>)]
    pub zoom_out: Option<ZoomOut>,
    /// Images per batch.
    #[arg(long, default_value_t = TrainConfig::default().batch_size)]
    pub batch_size: usize,
    /// Optimiser steps to run (default: the library's, 1000, unless --epochs is given).
    #[arg(long, conflicts_with = "epochs")]
    pub max_steps: Option<usize>,
    /// Passes over the training set (converted to steps).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Adamax learning rate.
    #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
    pub lr: f64,
    /// Coupled L2 weight decay.
    #[arg(long, default_value_t = TrainConfig::default().weight_decay)]
    pub weight_decay: f64,
    /// Linear learning-rate warm-up steps. Use a few hundred when fine-tuning: a fresh
    /// Adamax at full rate first moves every weight by about the learning rate, which can undo
    /// what the pretrained model learned.
    #[arg(long, default_value_t = TrainConfig::default().warmup_steps)]
    pub warmup: usize,
    /// Linear learning-rate cool-down to zero over the last N steps (0: none). It fixes the
    /// schedule to --max-steps: a run with one resumes only to the same last step.
    #[arg(long, default_value_t = TrainConfig::default().cooldown_steps)]
    pub cooldown: usize,
    /// Seed of the initial weights, data order, noise and augmentation.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Write a checkpoint every N steps (and at the end).
    #[arg(long, default_value_t = TrainConfig::default().checkpoint_every)]
    pub checkpoint_every: usize,
    /// Evaluate test bits/dim every N steps (0: only at the end).
    #[arg(long, default_value_t = TrainConfig::default().eval_every)]
    pub eval_every: usize,
    /// Evaluate on at most N test batches (0: the whole test set).
    #[arg(long, default_value_t = TrainConfig::default().eval_batches)]
    pub eval_batches: usize,
    /// Threads per step: each runs forward and backward on an equal share of the batch
    /// (default: every core on flex and ndarray, which otherwise keep about one core busy; 1
    /// on GPU devices). The largest count up to N that divides the batch size is used.
    #[arg(long, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Keep only each flow step's input and recompute the steps one at a time in the backward
    /// pass: the memory of one step's activations instead of all of them (the paper
    /// configuration at batch 64: 1.4 instead of 6.8 GiB), the same gradients, about a fifth
    /// more time.
    #[arg(long)]
    pub recompute: bool,
    /// Train the supervised variant on the labels of --data: a class-conditional head (one
    /// Gaussian per class on the latents, zero-initialised) is added to the model, which then
    /// scores the class mixture; the loss is the NLL under the true class plus the
    /// wrong-class term against --general. The data must have labels.
    #[arg(long)]
    pub supervised: bool,
    /// Weight lambda of the supervised wrong-class term (unset: the method's default).
    #[arg(long, help = with_default("Weight lambda of the wrong-class term of --supervised", ClassConditionalLoss::default().lambda))]
    pub wrong_class_lambda: Option<f64>,
    /// Temperature T of the supervised wrong-class term (unset: the method's default).
    #[arg(long, help = with_default("Temperature T of the wrong-class term of --supervised", ClassConditionalLoss::default().temperature))]
    pub wrong_class_temperature: Option<f64>,
    /// The frozen general model (a model.bpk or `pretrained:NAME`) of the ratio objectives:
    /// `finetune --outlier-loss ratio` and `--supervised`.
    #[arg(long, value_parser = parse_arg::<ModelSource>)]
    pub general: Option<ModelSource>,
    /// Continue from the latest checkpoint in --out, if there is one.
    #[arg(long)]
    pub resume: bool,
    /// Output folder: model.bpk (+ model.json), metrics.jsonl, checkpoints/.
    #[arg(long)]
    pub out: PathBuf,
    /// Fail if any image file of the data cannot be decoded (default: skip it, with a warning
    /// naming it).
    #[arg(long)]
    pub strict: bool,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Help text of an optional flag whose unset value is `default`: the flag is `None` when not
/// given, so that a run can refuse it where its objective would ignore it, and the help still
/// shows the value used.
pub fn with_default(text: &str, default: f64) -> String {
    format!("{text} [default: {default}]")
}

/// clap parser for the types written as text: KIND:PATH ([`DataSource`]),
/// CONTRAST,BRIGHTNESS ([`Photometric`]), PROBABILITY,MIN_SCALE ([`ZoomOut`]) and a model file or
/// `pretrained:NAME` (`ModelSource`).
pub fn parse_arg<T: FromStr>(spec: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    spec.parse().map_err(|e: T::Err| e.to_string())
}

/// clap parser for --threads: a whole number from 1 (0 threads would run nothing) to
/// [`MAX_THREADS`] (each thread holds a batch's tensors).
pub fn parse_threads(spec: &str) -> Result<usize, String> {
    match spec.parse::<usize>() {
        Ok(0) => Err("the thread count must be at least 1".into()),
        Ok(n) if n > MAX_THREADS => Err(format!("the thread count must be at most {MAX_THREADS}")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{spec}` is not a whole number of threads")),
    }
}
