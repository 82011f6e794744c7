//! `flowood score`: every score and per-scale term of every image, as CSV.

use std::path::PathBuf;

use clap::Args;
use flowood::burn::tensor::Device;
use flowood::data::DataSource;

use crate::error::CliError;
use crate::scoring::{ModelFlags, Models, count_nonfinite, finite_mean, score_err};
use crate::train_args::parse_arg;

/// Flags of `flowood score`.
#[derive(Debug, Clone, Args)]
pub struct ScoreArgs {
    /// The models.
    #[command(flatten)]
    pub models: ModelFlags,
    /// Data as KIND:PATH (its test split where it has one, else every image).
    #[arg(long, value_parser = parse_arg::<DataSource>)]
    pub data: DataSource,
    /// Score the last N images of the training split instead: the validation set that
    /// `train --validation N` holds out, for choosing settings without the test set.
    #[arg(long, default_value_t = 0)]
    pub validation: usize,
    /// Output CSV: one row per image; `score_*` columns are higher = more normal.
    #[arg(long)]
    pub out: PathBuf,
}

/// Scores the data set and writes the CSV.
pub fn score(device: &Device, args: &ScoreArgs) -> Result<(), CliError> {
    let models = Models::load(&args.models, device)?;
    let set = models.load_set(&args.data, args.validation)?;
    let table = models.score(set, &args.data.path.display().to_string(), device)?;
    table.write_csv(&args.out).map_err(score_err)?;
    println!(
        "{} images, {} columns -> {}",
        table.len(),
        table.names().len(),
        args.out.display()
    );
    for (model, column) in [("model", "in_bpd"), ("general model", "general_bpd")] {
        if let Some(bpd) = table.column(column) {
            println!(
                "{model}: mean bits/dim {:.4}{}",
                finite_mean(bpd),
                left_out(bpd)
            );
        }
    }
    Ok(())
}

/// What a mean of `values` left out: empty when every value is finite.
fn left_out(values: &[f64]) -> String {
    match count_nonfinite(values) {
        0 => String::new(),
        n => format!(
            " (over {} images; {n} non-finite left out)",
            values.len() - n
        ),
    }
}
