//! `flowood detect`: score images with a saved detector and flag the anomalous ones.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use flowood::burn::tensor::Device;
use flowood::data::DataSource;
use flowood::host::write_file_atomically;
use flowood::scores::{Detector, Prediction};

use crate::error::CliError;
use crate::load_data::{load_split_with_files, scored_split};
use crate::scoring::{ScoringFlags, finite_check, score_err};
use crate::train_args::parse_arg;

/// Flags of `flowood detect`.
#[derive(Debug, Clone, Args)]
pub struct DetectArgs {
    /// A detector directory written by `flowood calibrate`.
    #[arg(long)]
    pub detector: PathBuf,
    /// Images as KIND:PATH, e.g. folder:new-images (the test split where the set has one,
    /// else every image).
    #[arg(long, value_parser = parse_arg::<DataSource>)]
    pub data: DataSource,
    /// Output CSV, one row per image: image, file (folders), score, anomalous (1 or 0).
    #[arg(long)]
    pub out: PathBuf,
    /// Threads and strictness.
    #[command(flatten)]
    pub scoring: ScoringFlags,
}

/// Flags every image of the data and writes the CSV.
pub fn detect(device: &Device, args: &DetectArgs) -> Result<(), CliError> {
    let detector = Detector::load(&args.detector, device)
        .map_err(score_err)?
        .with_threads(args.scoring.threads(device));
    let split = scored_split(&args.data);
    let (images, files) =
        load_split_with_files(&args.data, split, detector.prepare(), args.scoring.strict)?;
    let predictions = detector.predict(&images).map_err(score_err)?;
    // Non-finite scores are flagged as anomalous; if every score is, the detector failed.
    let scores: Vec<f64> = predictions.iter().map(|p| p.score).collect();
    let detector_name = format!("the detector {}", args.detector.display());
    finite_check(
        &scores,
        &detector_name,
        &args.data.path.display().to_string(),
    )?;
    let csv = flags_csv(&predictions, &files);
    write_file_atomically(&args.out, csv)
        .map_err(|e| CliError::Usage(format!("writing {}: {e}", args.out.display())))?;
    let flagged = predictions.iter().filter(|p| p.anomalous).count();
    println!(
        "{flagged} of {} images flagged as anomalous ({}) -> {}",
        predictions.len(),
        detector.score_kind().name(),
        args.out.display()
    );
    Ok(())
}

/// `image,file,score,anomalous`, one row per prediction; `file` is empty without file names.
fn flags_csv(predictions: &[Prediction], files: &[PathBuf]) -> String {
    let mut csv = String::from("image,file,score,anomalous\n");
    for (i, p) in predictions.iter().enumerate() {
        let file = files.get(i).map_or_else(String::new, |f| csv_field(f));
        let _ = writeln!(csv, "{i},{file},{},{}", p.score, u8::from(p.anomalous));
    }
    csv
}

/// A path as one CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(path: &Path) -> String {
    let text = path.display().to_string();
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}
