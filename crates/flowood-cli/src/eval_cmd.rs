//! `flowood eval`: AUROC (and AUPR, FPR@95) of every scorer against every OOD set, with
//! histograms, ROC curves, the per-scale table and the typicality test.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use flowood::burn::tensor::Device;
use flowood::data::DataSource;
use flowood::host::write_file_atomically;
use flowood::scores::metrics::{OodMetrics, evaluate, roc_curve};
use flowood::scores::{Score, ScoreTable};
use serde_json::{Value, json};

use crate::error::CliError;
use crate::eval_typicality::Typicality;
use crate::named_arg::{check_unique, parse_named};
use crate::plots::{histogram, roc};
use crate::scoring::{ModelFlags, Models, finite_mean, score_err};
use crate::train_args::parse_arg;

/// Flags of `flowood eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// The models.
    #[command(flatten)]
    pub models: ModelFlags,
    /// In-distribution data as KIND:PATH (its test split).
    #[arg(long = "in", value_parser = parse_arg::<DataSource>)]
    pub in_data: DataSource,
    /// An OOD set as NAME=KIND:PATH (repeatable), e.g. mnist=mnist:data/mnist.
    #[arg(long = "ood", value_parser = parse_named::<DataSource>, required = true)]
    pub ood: Vec<(String, DataSource)>,
    /// Output folder: eval.md, eval.json, eval.csv and the PNG plots.
    #[arg(long)]
    pub out: PathBuf,
}

/// One OOD set's metrics for every scorer.
struct OodResult {
    name: String,
    metrics: Vec<(Score, OodMetrics)>,
}

/// Scores everything, writes the reports and plots, prints the Markdown.
pub fn eval(device: &Device, args: &EvalArgs) -> Result<(), CliError> {
    check_unique("--ood", &args.ood)?;
    let models = Models::load(&args.models, device)?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::Usage(format!("creating {}: {e}", args.out.display())))?;
    let in_label = format!("the in-distribution set {}", args.in_data);
    let in_table = models.score(models.load_set(&args.in_data, 0)?, &in_label, device)?;
    let mut tables = Vec::new();
    for (name, source) in &args.ood {
        let label = format!("the OOD set {name} ({source})");
        tables.push((
            name.clone(),
            models.score(models.load_set(source, 0)?, &label, device)?,
        ));
    }
    let scorers = models.scorer()?.scores();
    let results = tables
        .iter()
        .map(|(name, table)| ood_result(name, &in_table, table, &scorers))
        .collect::<Result<Vec<_>, _>>()?;

    let typicality = Typicality::new(&in_table, &tables)?;
    let markdown = format!(
        "{}{}\n{}{}",
        auroc_markdown(&results, &scorers),
        nonfinite_markdown(&results),
        per_scale_markdown(&in_table, &tables),
        typicality.markdown()
    );
    print!("{markdown}");
    write(&args.out.join("eval.md"), &markdown)?;
    write(&args.out.join("eval.csv"), &metrics_csv(&results))?;
    let ood_sources: serde_json::Map<String, Value> = args
        .ood
        .iter()
        .map(|(name, source)| (name.clone(), source.to_string().into()))
        .collect();
    let report = json!({
        "model": args.models.model.to_string(),
        "general": args.models.general.as_ref().map(ToString::to_string),
        "in": args.in_data.to_string(),
        "ood": ood_sources,
        "metrics": metrics_json(&results), "per_scale": per_scale_json(&in_table, &tables),
        "typicality": typicality,
        "nonfinite_scores": NONFINITE_RULE,
    });
    write(
        &args.out.join("eval.json"),
        &serde_json::to_string_pretty(&report).unwrap_or_default(),
    )?;
    draw_plots(&args.out, &in_table, &tables, &scorers)
}

fn ood_result(
    name: &str,
    in_table: &ScoreTable,
    ood: &ScoreTable,
    scorers: &[Score],
) -> Result<OodResult, CliError> {
    let metrics = scorers
        .iter()
        .map(|&s| {
            Ok((
                s,
                evaluate(column(in_table, s)?, column(ood, s)?).map_err(score_err)?,
            ))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(OodResult {
        name: name.to_string(),
        metrics,
    })
}

/// The values of `score` in `table`.
fn column(table: &ScoreTable, score: Score) -> Result<&[f64], CliError> {
    let name = score.column();
    table
        .column(&name)
        .ok_or_else(|| CliError::Usage(format!("no column {name}")))
}

fn auroc_markdown(results: &[OodResult], scorers: &[Score]) -> String {
    let mut md = String::from(
        "AUROC x100 (higher = better separation; in-distribution = positive)\n\n| OOD set |",
    );
    scorers.iter().for_each(|s| {
        let _ = write!(md, " {} |", s.name());
    });
    md.push_str("\n|---|");
    scorers.iter().for_each(|_| md.push_str("---|"));
    for r in results {
        let _ = write!(md, "\n| {} |", r.name);
        r.metrics.iter().for_each(|(_, m)| {
            let _ = write!(md, " {:.1} |", 100.0 * m.auroc);
        });
    }
    md.push('\n');
    md
}

/// How every report treats a NaN or infinite score.
const NONFINITE_RULE: &str = "non-finite scores (NaN or infinite) rank as the most anomalous, \
     below every finite score, and are left out of means";

/// A note with [`NONFINITE_RULE`] and, per data set, the most non-finite scores of one scorer;
/// empty when every score is finite.
fn nonfinite_markdown(results: &[OodResult]) -> String {
    let most = |r: &OodResult, count: fn(&OodMetrics) -> u64| {
        r.metrics.iter().map(|(_, m)| count(m)).max().unwrap_or(0)
    };
    let in_count = results
        .iter()
        .map(|r| most(r, |m| m.nonfinite_in))
        .max()
        .unwrap_or(0);
    let ood: Vec<(&str, u64)> = results
        .iter()
        .map(|r| (r.name.as_str(), most(r, |m| m.nonfinite_ood)))
        .collect();
    if in_count == 0 && ood.iter().all(|&(_, n)| n == 0) {
        return String::new();
    }
    let counts: String = ood
        .iter()
        .map(|(name, n)| format!(", {name} {n}"))
        .collect();
    format!(
        "\nNote: {NONFINITE_RULE}. Non-finite scores, the most of any one scorer: \
         in-distribution {in_count}{counts} (every count is in eval.csv).\n"
    )
}

/// Mean of every `*_lp{i}`, `*_log_p` and `*_bpd` column per data set.
fn per_scale_markdown(in_table: &ScoreTable, tables: &[(String, ScoreTable)]) -> String {
    let columns = term_columns(in_table);
    let mut md = String::from(
        "\nMean per-scale contribution lp_i and log p(x) (nats), bits/dim\n\n| data set |",
    );
    columns.iter().for_each(|c| {
        let _ = write!(md, " {c} |");
    });
    md.push_str("\n|---|");
    columns.iter().for_each(|_| md.push_str("---|"));
    for (name, table) in std::iter::once(("in-distribution", in_table))
        .chain(tables.iter().map(|(n, t)| (n.as_str(), t)))
    {
        let _ = write!(md, "\n| {name} |");
        columns.iter().for_each(|c| {
            let _ = write!(md, " {:.2} |", finite_mean(table.column(c).unwrap_or(&[])));
        });
    }
    md.push('\n');
    md
}

fn term_columns(table: &ScoreTable) -> Vec<String> {
    table
        .names()
        .iter()
        .filter(|n| {
            !n.starts_with("score_")
                && (n.contains("_lp") || n.ends_with("_log_p") || n.ends_with("_bpd"))
                && *n != "png_bpd"
        })
        .cloned()
        .collect()
}

fn metrics_csv(results: &[OodResult]) -> String {
    let mut csv = String::from(
        "ood,scorer,auroc,aupr_in,aupr_out,fpr_at_95_tpr,n_in,n_ood,nonfinite_in,nonfinite_ood\n",
    );
    for r in results {
        for (s, m) in &r.metrics {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{},{}",
                r.name,
                s.name(),
                m.auroc,
                m.aupr_in,
                m.aupr_out,
                m.fpr_at_95_tpr,
                m.n_in,
                m.n_ood,
                m.nonfinite_in,
                m.nonfinite_ood
            );
        }
    }
    csv
}

fn metrics_json(results: &[OodResult]) -> Value {
    let per_ood = results.iter().map(|r| {
        let per_scorer = r.metrics.iter().map(|(s, m)| {
            (s.name(), json!({
                "auroc": m.auroc, "aupr_in": m.aupr_in, "aupr_out": m.aupr_out, "fpr_at_95_tpr": m.fpr_at_95_tpr,
                "n_in": m.n_in, "n_ood": m.n_ood, "nonfinite_in": m.nonfinite_in, "nonfinite_ood": m.nonfinite_ood,
            }))
        });
        (r.name.clone(), Value::Object(per_scorer.collect()))
    });
    Value::Object(per_ood.collect())
}

fn per_scale_json(in_table: &ScoreTable, tables: &[(String, ScoreTable)]) -> Value {
    let columns = term_columns(in_table);
    let sets = std::iter::once(("in-distribution".to_string(), in_table))
        .chain(tables.iter().map(|(n, t)| (n.clone(), t)));
    Value::Object(
        sets.map(|(name, table)| {
            let means = columns.iter().map(|c| {
                (
                    c.clone(),
                    json!(finite_mean(table.column(c).unwrap_or(&[]))),
                )
            });
            (name, Value::Object(means.collect()))
        })
        .collect(),
    )
}

fn draw_plots(
    out: &Path,
    in_table: &ScoreTable,
    tables: &[(String, ScoreTable)],
    scorers: &[Score],
) -> Result<(), CliError> {
    for &s in scorers {
        let mut sets: Vec<(&str, &[f64])> = vec![("in-distribution", column(in_table, s)?)];
        for (name, table) in tables {
            sets.push((name.as_str(), column(table, s)?));
        }
        histogram(
            &out.join(format!("hist-{}.png", s.name())),
            &format!("score: {}", s.name()),
            "score (higher = more normal)",
            &sets,
        )?;
    }
    // -bpd ranks exactly like log p: its ROC curve would hide under that one.
    let distinct = scorers.iter().filter(|&&s| s != Score::NegBitsPerDim);
    for (name, table) in tables {
        let curves = distinct
            .clone()
            .map(|&s| {
                let curve = roc_curve(column(in_table, s)?, column(table, s)?);
                Ok((s.name(), curve.map_err(score_err)?))
            })
            .collect::<Result<Vec<_>, CliError>>()?;
        roc(
            &out.join(format!("roc-{name}.png")),
            &format!("ROC: in-distribution vs {name}"),
            &curves,
        )?;
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    write_file_atomically(path, text)
        .map_err(|e| CliError::Usage(format!("writing {}: {e}", path.display())))
}
