//! `flowood analyze`: do several models agree on which images are likely? Every model scores
//! every data set once; [`crate::analyze_report`] turns the tables into the report.

use std::path::{Path, PathBuf};

use clap::Args;
use flowood::burn::tensor::Device;
use flowood::data::{DataSource, ImageSet};
use flowood::host::write_file_atomically;
use flowood::pretrained::ModelSource;
use flowood::scores::{Score, ScoreTable};

use crate::analyze_report::Report;
use crate::error::CliError;
use crate::named_arg::{check_unique, parse_named};
use crate::scoring::{Models, ScoringFlags};
use crate::train_args::parse_arg;

/// Flags of `flowood analyze`.
#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    /// A model as NAME=MODEL, MODEL a model.bpk or `pretrained:NAME` (repeatable; all of one
    /// input shape), e.g. fashion=pretrained:fashion32.
    #[arg(long = "model", value_parser = parse_named::<ModelSource>, required = true)]
    pub models: Vec<(String, ModelSource)>,
    /// The general model of the likelihood ratios `log p_model(x) - log p_general(x)` (same
    /// input shape; it may also be one of the --model, and is then scored once).
    #[arg(long, value_parser = parse_arg::<ModelSource>)]
    pub general: Option<ModelSource>,
    /// A data set as NAME=KIND:PATH (repeatable; its test split where it has one, else every
    /// image). The first is the in-distribution set of the AUROCs.
    #[arg(long = "data", value_parser = parse_named::<DataSource>, required = true)]
    pub data: Vec<(String, DataSource)>,
    /// Threads and strictness.
    #[command(flatten)]
    pub scoring: ScoringFlags,
    /// Output folder: analyze.md, analyze.json and the PNG histograms.
    #[arg(long)]
    pub out: PathBuf,
}

/// One model's score tables, one per data set in the order of `--data`.
pub struct Scored {
    /// The model's NAME.
    pub name: String,
    /// The model's image scores ([`Models::scorer`]) but `neg_bpd`, which ranks like `log_p`.
    pub scores: Vec<Score>,
    /// Its table of each data set.
    pub tables: Vec<ScoreTable>,
}

/// Scores every set with every model, writes the reports and plots, prints the Markdown.
pub fn analyze(device: &Device, args: &AnalyzeArgs) -> Result<(), CliError> {
    check_unique("--model", &args.models)?;
    check_unique("--data", &args.data)?;
    let models = args
        .models
        .iter()
        .map(|(name, source)| load(name, source, args, device))
        .collect::<Result<Vec<_>, _>>()?;
    let general = args
        .general
        .as_ref()
        .map(|source| load("general", source, args, device))
        .transpose()?;
    check_shapes(&models, general.as_ref())?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::Usage(format!("creating {}: {e}", args.out.display())))?;
    let sets = args
        .data
        .iter()
        .map(|(_, source)| models[0].load_set(source, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let mut scored = Vec::new();
    for ((name, _), model) in args.models.iter().zip(&models) {
        scored.push(score_all(name, model, &sets, &args.data, device)?);
    }
    let general = match general {
        Some(g) => Some(match position(&args.models, args.general.as_ref()) {
            Some(i) => scored[i].tables.clone(),
            None => score_all("general", &g, &sets, &args.data, device)?.tables,
        }),
        None => None,
    };
    let report = Report::new(args, &scored, general.as_deref())?;
    let markdown = report.markdown();
    print!("{markdown}");
    write(&args.out.join("analyze.md"), &markdown)?;
    let json = serde_json::to_string_pretty(&report)
        .map_err(|e| CliError::Usage(format!("writing the JSON report: {e}")))?;
    write(&args.out.join("analyze.json"), &json)?;
    report.draw(&args.out, &scored, general.as_deref())
}

/// Which `--model` is `general`, if one is.
fn position(models: &[(String, ModelSource)], general: Option<&ModelSource>) -> Option<usize> {
    models.iter().position(|(_, s)| Some(s) == general)
}

/// One model, to be scored alone.
fn load(
    name: &str,
    source: &ModelSource,
    args: &AnalyzeArgs,
    device: &Device,
) -> Result<Models, CliError> {
    Ok(Models::single(
        source.load(device)?,
        format!("{name} ({source})"),
        &args.scoring,
        device,
    ))
}

/// Every model must take the same input: the data are loaded once, and the correlations and
/// ratios compare the same images.
fn check_shapes(models: &[Models], general: Option<&Models>) -> Result<(), CliError> {
    let first = &models[0];
    let shape = |m: &Models| {
        let p = m.prepare();
        format!("{0}x{0} images of {1} channels", p.size, p.channels)
    };
    match models
        .iter()
        .chain(general)
        .find(|m| m.prepare() != first.prepare())
    {
        Some(other) => Err(CliError::Usage(format!(
            "{} takes {}, but {} takes {}: the models of analyze must take the same input",
            first.model_name,
            shape(first),
            other.model_name,
            shape(other)
        ))),
        None => Ok(()),
    }
}

/// The tables of `model` (called `name`) on every set, each scored with a progress bar.
fn score_all(
    name: &str,
    model: &Models,
    sets: &[ImageSet],
    data: &[(String, DataSource)],
    device: &Device,
) -> Result<Scored, CliError> {
    let tables = sets
        .iter()
        .zip(data)
        .map(|(set, (set_name, source))| {
            let label = format!("{set_name} ({}) with {name}", source.path.display());
            model.score(set.clone(), &label, device)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let scores = model
        .scorer()?
        .scores()
        .into_iter()
        .filter(|&s| s != Score::NegBitsPerDim)
        .collect();
    Ok(Scored {
        name: name.to_string(),
        scores,
        tables,
    })
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    write_file_atomically(path, text)
        .map_err(|e| CliError::Usage(format!("writing {}: {e}", path.display())))
}
