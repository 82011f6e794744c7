//! `flowood train` and `flowood finetune`.

use clap::{Args, ValueEnum};
use flowood::backend::default_threads;
use flowood::burn::tensor::Device;
use flowood::data::{
    Augment, BatchConfig, Batcher, DataSource, ImageSet, Photometric, Prepare, Split, ZoomOut,
};
use flowood::glow::{Glow, GlowConfig};
use flowood::objectives::{ClassConditionalLoss, MarginLoss, OutlierLoss};
use flowood::pretrained::ModelSource;
use flowood::train::{
    MetricsRecord, Objective, TrainConfig, TrainData, TrainError, TrainSummary, Trainer,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::CliError;
use crate::load_data::load_split;
use crate::model_args::ModelArgs;
use crate::train_args::{TrainArgs, parse_arg, with_default};

/// Outlier objective of `flowood finetune`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutlierArg {
    /// The paper's outlier loss on the likelihood ratio against --general (Eq. 2).
    Ratio,
    /// The Outlier Exposure margin loss.
    Margin,
}

/// Flags of `flowood finetune` beyond the shared training flags.
#[derive(Debug, Clone, Args)]
pub struct FinetuneArgs {
    /// Model to start from (e.g. the general model, or the in-distribution model): a
    /// model.bpk, or `pretrained:NAME` (e.g. `pretrained:grey32`).
    #[arg(long, value_parser = parse_arg::<ModelSource>)]
    pub from: ModelSource,
    /// Add an outlier objective drawing one --general-data batch per step.
    #[arg(long, value_enum)]
    pub outlier_loss: Option<OutlierArg>,
    /// General-distribution data as KIND:PATH (training split).
    #[arg(long, value_parser = parse_arg::<DataSource>)]
    pub general_data: Option<DataSource>,
    /// Random contrast and brightness for --general-data, as CONTRAST,BRIGHTNESS (see
    /// --photometric); give the general model's training setting.
    #[arg(long, requires = "general_data", value_parser = parse_arg::<Photometric>)]
    pub general_photometric: Option<Photometric>,
    /// Random zoom-out for --general-data, as PROBABILITY,MIN_SCALE (see --zoom-out); give
    /// the general model's training setting.
    #[arg(long, requires = "general_data", value_parser = parse_arg::<ZoomOut>)]
    pub general_zoom_out: Option<ZoomOut>,
    /// Weight lambda of the outlier term (unset: the method's default).
    #[arg(long, help = with_default("Weight lambda of the outlier term of --outlier-loss ratio", OutlierLoss::default().lambda))]
    pub lambda: Option<f64>,
    /// Temperature T of the outlier term (unset: the method's default).
    #[arg(long, help = with_default("Temperature T of the outlier term of --outlier-loss ratio", OutlierLoss::default().temperature))]
    pub temperature: Option<f64>,
    /// Margin of the margin loss in nats per image (default: D = C*H*W).
    #[arg(long)]
    pub margin: Option<f64>,
}

/// Trains a new model from scratch (with `--supervised`, the supervised variant).
pub fn train(device: &Device, model: &ModelArgs, args: &TrainArgs) -> Result<(), CliError> {
    let config = model.config();
    config.validate()?;
    let objective = if args.supervised {
        supervised(args, None)
    } else {
        Objective::Nll
    };
    refuse_ignored_flags(args, objective)?;
    let general = general_model(device, args, objective, &config)?;
    let data = training_data(args, &config, None)?;
    let glow = with_head(config.init(device, args.seed)?, objective, &data)?;
    let summary = fit(device, args, objective, glow, general.as_ref(), &data)?;
    report(&summary, args);
    Ok(())
}

/// Fine-tunes a saved model, optionally with an outlier objective or supervised.
pub fn finetune(device: &Device, tune: &FinetuneArgs, args: &TrainArgs) -> Result<(), CliError> {
    let start = tune.from.load(device)?;
    let config = start.config.clone();
    let objective = objective(tune, args, &config)?;
    refuse_ignored_flags(args, objective)?;
    let general = general_model(device, args, objective, &config)?;
    let data = training_data(
        args,
        &config,
        tune.general_data.as_ref().map(|source| {
            let augment = augmentation(source, tune.general_photometric, tune.general_zoom_out);
            (source, augment)
        }),
    )?;
    let start = with_head(start, objective, &data)?;
    let summary = fit(device, args, objective, start, general.as_ref(), &data)?;
    report(&summary, args);
    Ok(())
}

/// Refuses the shared training flags that `objective` would ignore, before any work is done:
/// a run that silently trained without them would look like one that used them.
fn refuse_ignored_flags(args: &TrainArgs, objective: Objective) -> Result<(), CliError> {
    if args.general.is_some() && !objective.uses_general_model() {
        return Err(CliError::Usage(
            "--general is used only by --outlier-loss ratio and --supervised: add one or drop it"
                .into(),
        ));
    }
    let wrong_class_flags = args.wrong_class_lambda.or(args.wrong_class_temperature);
    if wrong_class_flags.is_some() && !objective.is_supervised() {
        return Err(CliError::Usage(
            "--wrong-class-lambda and --wrong-class-temperature are used only by --supervised: \
             add it or drop them"
                .into(),
        ));
    }
    Ok(())
}

/// The frozen general model of `objective`, if it needs one; it must share the flow
/// architecture of the trained model (`config`).
fn general_model(
    device: &Device,
    args: &TrainArgs,
    objective: Objective,
    config: &GlowConfig,
) -> Result<Option<Glow>, CliError> {
    if !objective.uses_general_model() {
        return Ok(None);
    }
    let Some(source) = &args.general else {
        let flag = if objective.is_supervised() {
            "--supervised"
        } else {
            "--outlier-loss ratio"
        };
        return Err(CliError::Usage(format!("{flag} needs --general MODEL")));
    };
    let general = source.load(device)?;
    if general.config.flow() != config.flow() {
        return Err(CliError::Usage(
            "--general must have the same architecture as the trained model".into(),
        ));
    }
    Ok(Some(general))
}

/// `model` with a zero class-conditional head for the classes of the training data, for the
/// supervised objective (a model that has a head keeps it); otherwise `model` unchanged.
fn with_head(model: Glow, objective: Objective, data: &TrainData) -> Result<Glow, CliError> {
    if !objective.is_supervised() {
        return Ok(model);
    }
    let set = data.train.set();
    if set.labels().is_none() {
        return Err(TrainError::NoLabels.into());
    }
    let classes = model.config.classes.unwrap_or(set.class_counts().len());
    Ok(model.with_class_head(classes)?)
}

/// The objective of `--supervised`, with the outlier term `outlier` on general batches, if
/// any.
fn supervised(args: &TrainArgs, outlier: Option<OutlierLoss>) -> Objective {
    let default = ClassConditionalLoss::default();
    Objective::Supervised {
        wrong_class: ClassConditionalLoss {
            lambda: args.wrong_class_lambda.unwrap_or(default.lambda),
            temperature: args.wrong_class_temperature.unwrap_or(default.temperature),
        },
        outlier,
    }
}

/// The objective of `finetune`'s flags, after refusing the flags it would ignore.
fn objective(
    tune: &FinetuneArgs,
    args: &TrainArgs,
    config: &GlowConfig,
) -> Result<Objective, CliError> {
    refuse_ignored_outlier_flags(tune)?;
    let default = OutlierLoss::default();
    let outlier = OutlierLoss {
        lambda: tune.lambda.unwrap_or(default.lambda),
        temperature: tune.temperature.unwrap_or(default.temperature),
    };
    let objective = match (tune.outlier_loss, args.supervised) {
        (None, false) => return Ok(Objective::Nll),
        (None, true) => return Ok(supervised(args, None)),
        (Some(OutlierArg::Ratio), true) => supervised(args, Some(outlier)),
        (Some(OutlierArg::Ratio), false) => Objective::OutlierRatio(outlier),
        (Some(OutlierArg::Margin), true) => {
            return Err(CliError::Usage(
                "--supervised combines with --outlier-loss ratio only".into(),
            ));
        }
        (Some(OutlierArg::Margin), false) => Objective::Margin(match tune.margin {
            Some(margin) => MarginLoss { margin },
            None => MarginLoss::per_dimension(config.dims()),
        }),
    };
    if tune.general_data.is_none() {
        return Err(CliError::Usage(
            "--outlier-loss needs --general-data KIND:PATH".into(),
        ));
    }
    Ok(objective)
}

/// Refuses the outlier flags of `finetune` that its --outlier-loss (or its absence) would
/// ignore, as [`refuse_ignored_flags`] does for the shared ones.
fn refuse_ignored_outlier_flags(tune: &FinetuneArgs) -> Result<(), CliError> {
    let ratio_flags = tune.lambda.or(tune.temperature);
    let refusal = if ratio_flags.is_some() && tune.outlier_loss != Some(OutlierArg::Ratio) {
        "--lambda and --temperature are used only by --outlier-loss ratio: add it or drop them"
    } else if tune.margin.is_some() && tune.outlier_loss != Some(OutlierArg::Margin) {
        "--margin is used only by --outlier-loss margin: add it or drop --margin"
    } else if tune.outlier_loss.is_none() && tune.general_data.is_some() {
        "--general-data is used only by --outlier-loss: add it or drop --general-data"
    } else {
        return Ok(());
    };
    Err(CliError::Usage(refusal.into()))
}

/// The method's augmentation for `source` plus the optional changes meant for a general
/// model (the training data's and the outlier loss's general batches alike).
fn augmentation(
    source: &DataSource,
    photometric: Option<Photometric>,
    zoom_out: Option<ZoomOut>,
) -> Augment {
    source
        .augmentation()
        .with_photometric(photometric)
        .with_zoom_out(zoom_out)
}

/// Loads the training set (and its test split, and general data) shaped for `config`.
fn training_data(
    args: &TrainArgs,
    config: &GlowConfig,
    general: Option<(&DataSource, Augment)>,
) -> Result<TrainData, CliError> {
    let prepare = Prepare {
        channels: config.in_channels,
        size: config.image_size,
    };
    let (train_set, validation) = hold_out(
        load_split(&args.data, Split::Train, prepare, args.strict)?,
        args.validation,
    )?;
    let augment = augmentation(&args.data, args.photometric, args.zoom_out);
    let train = Batcher::new(
        train_set,
        BatchConfig::train(args.batch_size, Some(augment), args.seed),
    )?;
    let test = match (validation, args.data.has_test_split()) {
        (Some(validation), _) => Some(validation),
        (None, true) => Some(load_split(&args.data, Split::Test, prepare, args.strict)?),
        (None, false) => None,
    };
    let test = test
        .map(|set| Batcher::new(set, BatchConfig::eval(256)))
        .transpose()?;
    let general = match general {
        Some((source, augment)) => {
            let config =
                BatchConfig::train(args.batch_size, Some(augment), args.seed.wrapping_add(1));
            let set = load_split(source, Split::Train, prepare, args.strict)?;
            Some(Batcher::new(set, config)?)
        }
        None => None,
    };
    Ok(TrainData {
        train,
        test,
        general,
    })
}

/// Splits off the last `n` training images as a validation set (`n = 0`: none).
fn hold_out(set: ImageSet, n: usize) -> Result<(ImageSet, Option<ImageSet>), CliError> {
    if n == 0 {
        return Ok((set, None));
    }
    // `n >= len` is the only way `hold_out` fails.
    let (train, validation) = set.hold_out(n).map_err(|_| {
        CliError::Usage(format!(
            "--validation {n} leaves nothing to train on: the training set has {} images",
            set.len()
        ))
    })?;
    Ok((train, Some(validation)))
}

/// Trains on `device` (which picks the default --threads).
fn fit(
    device: &Device,
    args: &TrainArgs,
    objective: Objective,
    model: Glow,
    general: Option<&Glow>,
    data: &TrainData,
) -> Result<TrainSummary, CliError> {
    let max_steps = match (args.max_steps, args.epochs) {
        (Some(steps), _) => steps,
        (None, Some(epochs)) => {
            let per_epoch = data.train.batches_per_epoch();
            epochs.checked_mul(per_epoch).ok_or_else(|| {
                CliError::Usage(format!(
                    "--epochs {epochs} is too many: {epochs} x {per_epoch} batches per epoch overflows the step count"
                ))
            })?
        }
        (None, None) => TrainConfig::default().max_steps,
    };
    let config = TrainConfig {
        learning_rate: args.lr,
        weight_decay: args.weight_decay,
        warmup_steps: args.warmup,
        cooldown_steps: args.cooldown,
        batch_size: args.batch_size,
        max_steps,
        seed: args.seed,
        checkpoint_every: args.checkpoint_every,
        eval_every: args.eval_every,
        eval_batches: args.eval_batches,
        objective,
        threads: args.threads.unwrap_or_else(|| default_threads(device)),
        recompute: args.recompute,
        ..TrainConfig::default()
    };
    let bar = progress_bar(max_steps, args.quiet);
    let shown = bar.clone();
    let trainer = Trainer::new(config, device, &args.out)?.with_progress(move |r| show(&shown, r));
    let summary = trainer.fit(model, general, data, args.resume)?.1;
    bar.finish();
    Ok(summary)
}

/// A bar of `max_steps` steps (hidden with `--quiet`, and anyway without a terminal).
fn progress_bar(max_steps: usize, quiet: bool) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(max_steps as u64)
    };
    let style = ProgressStyle::with_template("{bar:30} {pos}/{len} steps | {msg} | ETA {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// Shows a record of the run on the bar: steps move it, evaluations print a line.
fn show(bar: &ProgressBar, record: &MetricsRecord) {
    match *record {
        MetricsRecord::Step {
            step,
            loss,
            bits_per_dim,
            images_per_second,
            skipped_steps,
            recomputed_steps,
            ..
        } => {
            bar.set_position(step as u64);
            bar.set_message(format!(
                "loss {loss:.1} | {bits_per_dim:.3} bits/dim | {images_per_second:.0} img/s | skipped {skipped_steps} | recomputed {recomputed_steps}"
            ));
        }
        MetricsRecord::Eval {
            step,
            test_bits_per_dim,
        } => bar.println(format!("step {step}: test {test_bits_per_dim:.4} bits/dim")),
    }
}

fn report(summary: &TrainSummary, args: &TrainArgs) {
    println!("steps: {}", summary.steps);
    println!(
        "train bits/dim (last 10% of steps): {:.4}",
        summary.train_bits_per_dim
    );
    if let Some(bpd) = summary.test_bits_per_dim {
        let set = if args.validation > 0 {
            "validation"
        } else {
            "test"
        };
        println!("{set} bits/dim: {bpd:.4}");
    }
    println!(
        "skipped steps: {}, recomputed steps: {}",
        summary.skipped_steps, summary.recomputed_steps
    );
    println!("throughput: {:.1} images/s", summary.images_per_second);
    println!("model: {}", summary.model_path.display());
}
