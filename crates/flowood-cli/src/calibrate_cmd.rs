//! `flowood calibrate`: a detector directory from trained models, its threshold chosen on
//! held-out in-distribution images.

use std::path::PathBuf;

use clap::Args;
use flowood::burn::tensor::Device;
use flowood::data::DataSource;
use flowood::glow::Glow;
use flowood::pretrained::ModelSource;
use flowood::scores::{Detector, Score};

use crate::error::CliError;
use crate::load_data::{load_scored, scored_split};
use crate::scoring::{ScoringFlags, score_err};
use crate::train_args::parse_arg;

/// Flags of `flowood calibrate`.
#[derive(Debug, Clone, Args)]
pub struct CalibrateArgs {
    /// The in-distribution model: a model.bpk or `pretrained:NAME`.
    #[arg(long, value_parser = parse_arg::<ModelSource>)]
    pub model: ModelSource,
    /// The general model (same architecture), for the ratio scores: a model.bpk or
    /// `pretrained:NAME`.
    #[arg(long, value_parser = parse_arg::<ModelSource>)]
    pub general: Option<ModelSource>,
    /// The score to threshold (higher = more normal): ratio, final_scale, log_p, neg_bpd,
    /// lp1.., ratio_lp1.., complexity. Default: ratio with --general, else final_scale.
    #[arg(long)]
    pub score: Option<String>,
    /// Held-out in-distribution images as KIND:PATH, never trained on: the test split where
    /// the set has one, else every image.
    #[arg(long, value_parser = parse_arg::<DataSource>)]
    pub held_out: DataSource,
    /// Calibrate on the last N images of the held-out set's training split instead (what
    /// `train --validation N` kept out of training).
    #[arg(long, default_value_t = 0)]
    pub validation: usize,
    /// Held-out anomalies as KIND:PATH (test split where there is one), to report the
    /// false-positive rate at the chosen threshold.
    #[arg(long, value_parser = parse_arg::<DataSource>)]
    pub anomalies: Option<DataSource>,
    /// Share of in-distribution images the threshold keeps as normal, in (0, 1].
    #[arg(long, default_value_t = 0.95)]
    pub tpr: f64,
    /// Threads and strictness.
    #[command(flatten)]
    pub scoring: ScoringFlags,
    /// The detector directory to write (models and detector.json).
    #[arg(long)]
    pub out: PathBuf,
}

/// Builds the detector, calibrates it, prints the threshold and its rates, and saves it.
pub fn calibrate(device: &Device, args: &CalibrateArgs) -> Result<(), CliError> {
    let model = args.model.load(device)?;
    let general = args.general.as_ref().map(|g| g.load(device)).transpose()?;
    let score = chosen_score(args, &model, general.is_some())?;
    let mut detector = Detector::new(model, general, score)
        .map_err(score_err)?
        .with_threads(args.scoring.threads(device));
    let prepare = detector.prepare();
    let held_out = load_scored(
        &args.held_out,
        args.validation,
        prepare,
        args.scoring.strict,
    )?;
    let anomalies = args
        .anomalies
        .as_ref()
        .map(|source| load_scored(source, 0, prepare, args.scoring.strict))
        .transpose()?;
    let calibration = detector
        .calibrate(&held_out, args.tpr, anomalies.as_ref())
        .map_err(score_err)?
        .clone();
    detector.save(&args.out).map_err(score_err)?;
    println!(
        "{}: threshold {:.4} keeps {:.1}% of {} held-out images as normal (asked {:.1}%)",
        score.name(),
        calibration.threshold,
        100.0 * calibration.tpr,
        calibration.held_out,
        100.0 * calibration.target_tpr
    );
    if let (Some(fpr), Some(n), Some(source)) =
        (calibration.fpr, calibration.anomalies, &args.anomalies)
    {
        println!(
            "false-positive rate: {:.1}% of {n} anomalies ({}, {:?} split) pass as normal",
            100.0 * fpr,
            source.path.display(),
            scored_split(source)
        );
    }
    println!("detector -> {}", args.out.display());
    Ok(())
}

/// The score `--score` names (or its default) for `model`.
fn chosen_score(args: &CalibrateArgs, model: &Glow, general: bool) -> Result<Score, CliError> {
    let default = if general { "ratio" } else { "final_scale" };
    let name = args.score.as_deref().unwrap_or(default);
    let levels = model.config.levels;
    Score::from_name(name, levels).ok_or_else(|| {
        let names: Vec<String> = Score::all(levels, true, true)
            .iter()
            .map(|s| s.name())
            .collect();
        CliError::Usage(format!(
            "--score {name}: not a score of this model (one of {})",
            names.join(", ")
        ))
    })
}
