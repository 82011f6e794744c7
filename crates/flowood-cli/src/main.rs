//! `flowood`: train, fine-tune, score, evaluate and sample Glow anomaly detectors.

mod analyze_cmd;
mod analyze_report;
mod calibrate_cmd;
mod detect_cmd;
mod error;
mod eval_cmd;
mod eval_typicality;
mod export_cmd;
mod load_data;
mod markdown;
mod model_args;
mod named_arg;
mod plots;
mod sample_cmd;
mod score_cmd;
mod scoring;
mod train_args;
mod train_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flowood::backend::parse_device;

use crate::analyze_cmd::AnalyzeArgs;
use crate::calibrate_cmd::CalibrateArgs;
use crate::detect_cmd::DetectArgs;
use crate::error::CliError;
use crate::eval_cmd::EvalArgs;
use crate::export_cmd::ExportArgs;
use crate::model_args::ModelArgs;
use crate::sample_cmd::SampleArgs;
use crate::score_cmd::ScoreArgs;
use crate::train_args::TrainArgs;
use crate::train_cmd::FinetuneArgs;

/// Anomaly detection with deep invertible networks (Schirrmeister et al., NeurIPS 2020).
#[derive(Debug, Parser)]
#[command(name = "flowood", version, about)]
struct Cli {
    /// Compute device: flex (CPU, default), ndarray, wgpu, cuda or cuda:N (needs the matching
    /// cargo feature).
    #[arg(long, global = true, default_value = "flex")]
    device: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a Glow from scratch by maximum likelihood.
    Train {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        train: TrainArgs,
    },
    /// Fine-tune a saved Glow, optionally with an outlier loss on general-distribution data.
    Finetune {
        #[command(flatten)]
        tune: FinetuneArgs,
        #[command(flatten)]
        train: TrainArgs,
    },
    /// Score every image of a data set with every scorer; one CSV row per image.
    Score(ScoreArgs),
    /// AUROC/AUPR/FPR@95 of every scorer on in-distribution vs OOD sets, with plots.
    Eval(EvalArgs),
    /// Do several models agree on which images are likely? Rank correlations of log p(x),
    /// bits/dim and ratio distributions, per-scale contributions and AUROCs.
    Analyze(AnalyzeArgs),
    /// Draw images from a model and save them as a PNG grid.
    Sample(SampleArgs),
    /// Write a model's weights as safetensors (and its configuration as JSON).
    Export(ExportArgs),
    /// Build a detector directory: a score of trained models and a threshold chosen on
    /// held-out in-distribution images for a target true-positive rate.
    Calibrate(CalibrateArgs),
    /// Flag the anomalous images of a data set with a detector directory (CSV).
    Detect(DetectArgs),
}

fn run(cli: &Cli) -> Result<(), CliError> {
    let device = &parse_device(&cli.device)?;
    match &cli.command {
        Command::Train { model, train } => train_cmd::train(device, model, train),
        Command::Finetune { tune, train } => train_cmd::finetune(device, tune, train),
        Command::Score(args) => score_cmd::score(device, args),
        Command::Eval(args) => eval_cmd::eval(device, args),
        Command::Analyze(args) => analyze_cmd::analyze(device, args),
        Command::Sample(args) => sample_cmd::sample(device, args),
        Command::Export(args) => export_cmd::export(device, args),
        Command::Calibrate(args) => calibrate_cmd::calibrate(device, args),
        Command::Detect(args) => detect_cmd::detect(device, args),
    }
}

fn main() -> ExitCode {
    flowood::host::keep_freed_memory();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
