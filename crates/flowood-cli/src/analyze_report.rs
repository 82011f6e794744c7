//! The numbers of `flowood analyze` (its JSON, as one serialisable value), their Markdown
//! tables and the histograms.

use std::fmt::Write as _;
use std::path::Path;

use flowood::scores::metrics::{auroc, spearman};
use flowood::scores::{Score, ScoreTable};
use serde::Serialize;

use crate::analyze_cmd::{AnalyzeArgs, Scored};
use crate::error::CliError;
use crate::markdown::{header, table_row};
use crate::plots::histogram;
use crate::scoring::{count_nonfinite, finite_mean, score_err};

/// How the report treats a NaN or infinite log-likelihood.
const NONFINITE_RULE: &str = "an image with a non-finite log p(x) under any model is left out of \
     that set's rank correlations; non-finite values are left out of means and rank as the most \
     anomalous in AUROCs";

/// Everything `flowood analyze` measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `NAME: MODEL` of each `--model`, in order.
    models: Vec<String>,
    /// The general model of the ratios, if any.
    general: Option<String>,
    /// `NAME: PATH` of each `--data`, in order; the first is the in-distribution set.
    data: Vec<String>,
    /// Per data set, the rank correlations of log p(x).
    spearman_log_p: Vec<Correlations>,
    /// Per model, its likelihoods on each set and its AUROCs.
    per_model: Vec<ModelReport>,
    /// [`NONFINITE_RULE`].
    nonfinite_scores: &'static str,
}

/// Spearman's rho of log p(x) between every pair of models on one data set.
#[derive(Debug, Serialize)]
struct Correlations {
    set: String,
    /// Images whose log p(x) is finite under every model: the pairs correlated.
    images: usize,
    /// Images left out: non-finite under some model.
    left_out: usize,
    /// `rho[i][j]` between models `i` and `j` in the order of `--model`.
    rho: Vec<Vec<f64>>,
}

/// One model on every data set.
#[derive(Debug, Serialize)]
struct ModelReport {
    name: String,
    /// Its means on each set, in the order of `--data`.
    sets: Vec<SetMeans>,
    /// The names of the columns of `auroc`: its scores, then `ratio` with a general model.
    scores: Vec<String>,
    /// Per set after the first, its AUROC (in-distribution = the first set) of each score.
    auroc: Vec<OodAuroc>,
}

/// Means of one model's finite values on one data set.
#[derive(Debug, Serialize)]
struct SetMeans {
    set: String,
    images: usize,
    /// Images with a non-finite log p(x).
    nonfinite: usize,
    bits_per_dim: f64,
    log_p: f64,
    /// Mean contribution `lp_i` (nats) of each scale, finest first.
    lp: Vec<f64>,
    /// Mean `log p_model(x) - log p_general(x)` (nats), with a general model.
    ratio: Option<f64>,
}

/// One model's AUROC of each score, the first set against `ood`.
#[derive(Debug, Serialize)]
struct OodAuroc {
    ood: String,
    auroc: Vec<f64>,
}

impl Report {
    /// Computes every number from the tables of each model (and of the general model, one per
    /// set) on the sets of `args`.
    pub fn new(
        args: &AnalyzeArgs,
        scored: &[Scored],
        general: Option<&[ScoreTable]>,
    ) -> Result<Self, CliError> {
        let set_names: Vec<&str> = args.data.iter().map(|(n, _)| n.as_str()).collect();
        let spearman_log_p = set_names
            .iter()
            .enumerate()
            .map(|(set, name)| correlations(scored, set, name))
            .collect::<Result<_, _>>()?;
        let per_model = scored
            .iter()
            .map(|m| model_report(m, general, &set_names))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            models: args
                .models
                .iter()
                .map(|(n, s)| format!("{n}: {s}"))
                .collect(),
            general: args.general.as_ref().map(ToString::to_string),
            data: args
                .data
                .iter()
                .map(|(n, d)| format!("{n}: {}", d.path.display()))
                .collect(),
            spearman_log_p,
            per_model,
            nonfinite_scores: NONFINITE_RULE,
        })
    }

    /// The report as Markdown tables.
    pub fn markdown(&self) -> String {
        let mut md = format!(
            "# flowood analyze\n\nModels: {}. General model: {}. Data sets: {} (the first is \
             in-distribution for the AUROCs). Note: {NONFINITE_RULE}.\n",
            self.models.join(", "),
            self.general.as_deref().unwrap_or("none"),
            self.data.join(", ")
        );
        md.push_str(&self.correlation_markdown());
        md.push_str(&self.means_markdown());
        md.push_str(&self.auroc_markdown());
        md
    }

    fn model_names(&self) -> Vec<&str> {
        self.per_model.iter().map(|m| m.name.as_str()).collect()
    }

    fn correlation_markdown(&self) -> String {
        let names = self.model_names();
        let mut md = String::from("\n## Spearman rank correlation of log p(x)\n");
        for c in &self.spearman_log_p {
            let _ = write!(
                md,
                "\n### {} ({} images, {} left out)\n\n{}",
                c.set,
                c.images,
                c.left_out,
                header("model", &names)
            );
            for (name, row) in names.iter().zip(&c.rho) {
                md.push_str(&table_row(name, row, |v| format!("{v:.3}")));
            }
        }
        md
    }

    fn means_markdown(&self) -> String {
        let sets: Vec<&str> = self.spearman_log_p.iter().map(|c| c.set.as_str()).collect();
        let mut md = format!("\n## Mean bits/dim\n\n{}", header("model", &sets));
        for m in &self.per_model {
            let bpd: Vec<f64> = m.sets.iter().map(|s| s.bits_per_dim).collect();
            md.push_str(&table_row(&m.name, &bpd, |v| format!("{v:.3}")));
        }
        if self.general.is_some() {
            let _ = write!(
                md,
                "\n## Mean likelihood ratio log p_model(x) - log p_general(x) (nats)\n\n{}",
                header("model", &sets)
            );
            for m in &self.per_model {
                let ratio: Vec<f64> = m.sets.iter().filter_map(|s| s.ratio).collect();
                md.push_str(&table_row(&m.name, &ratio, |v| format!("{v:.1}")));
            }
        }
        md.push_str("\n## Mean per-scale contribution lp_i and log p(x) (nats)\n");
        for m in &self.per_model {
            let mut columns: Vec<String> =
                (1..=m.sets[0].lp.len()).map(|i| format!("lp{i}")).collect();
            columns.push("log_p".into());
            let _ = write!(md, "\n### {}\n\n{}", m.name, header("data set", &columns));
            for s in &m.sets {
                let values: Vec<f64> = s.lp.iter().copied().chain([s.log_p]).collect();
                md.push_str(&table_row(&s.set, &values, |v| format!("{v:.1}")));
            }
        }
        md
    }

    fn auroc_markdown(&self) -> String {
        let mut md = format!(
            "\n## AUROC x100, {} (in-distribution) vs each other set\n",
            self.spearman_log_p[0].set
        );
        for m in self.per_model.iter().filter(|m| !m.auroc.is_empty()) {
            let _ = write!(md, "\n### {}\n\n{}", m.name, header("OOD set", &m.scores));
            for a in &m.auroc {
                md.push_str(&table_row(&a.ood, &a.auroc, |v| {
                    format!("{:.1}", 100.0 * v)
                }));
            }
        }
        md
    }

    /// Per model, the histograms of bits/dim (`hist-bpd-NAME.png`) and, with a general
    /// model, of the ratio (`hist-ratio-NAME.png`), every set on one axis.
    pub fn draw(
        &self,
        out: &Path,
        scored: &[Scored],
        general: Option<&[ScoreTable]>,
    ) -> Result<(), CliError> {
        let sets: Vec<&str> = self.spearman_log_p.iter().map(|c| c.set.as_str()).collect();
        for m in scored {
            let bpd: Vec<&[f64]> = m.tables.iter().map(|t| column(t, "in_bpd")).collect();
            histogram(
                &out.join(format!("hist-bpd-{}.png", m.name)),
                &format!("bits/dim under {}", m.name),
                "bits/dim (lower = more likely)",
                &sets.iter().copied().zip(bpd).collect::<Vec<_>>(),
            )?;
            if let Some(general) = general {
                let ratios: Vec<Vec<f64>> = (0..sets.len()).map(|s| ratio(m, general, s)).collect();
                histogram(
                    &out.join(format!("hist-ratio-{}.png", m.name)),
                    &format!("log p_{} - log p_general", m.name),
                    "likelihood ratio, nats (higher = more normal)",
                    &sets
                        .iter()
                        .copied()
                        .zip(ratios.iter().map(Vec::as_slice))
                        .collect::<Vec<_>>(),
                )?;
            }
        }
        Ok(())
    }
}

/// The rank correlations of every pair of models on data set `set`, over the images whose
/// log p(x) is finite under every model.
fn correlations(scored: &[Scored], set: usize, name: &str) -> Result<Correlations, CliError> {
    let log_p: Vec<&[f64]> = scored
        .iter()
        .map(|m| column(&m.tables[set], "in_log_p"))
        .collect();
    let kept: Vec<usize> = (0..log_p[0].len())
        .filter(|&i| log_p.iter().all(|l| l[i].is_finite()))
        .collect();
    let finite: Vec<Vec<f64>> = log_p
        .iter()
        .map(|l| kept.iter().map(|&i| l[i]).collect())
        .collect();
    let rho = scored
        .iter()
        .zip(&finite)
        .map(|(a, fa)| {
            scored
                .iter()
                .zip(&finite)
                .map(|(b, fb)| {
                    spearman(fa, fb).map_err(|e| {
                        CliError::Usage(format!(
                            "rank correlation of {} and {} on {name}: {e}",
                            a.name, b.name
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()?;
    Ok(Correlations {
        set: name.to_string(),
        images: kept.len(),
        left_out: log_p[0].len() - kept.len(),
        rho,
    })
}

fn model_report(
    m: &Scored,
    general: Option<&[ScoreTable]>,
    sets: &[&str],
) -> Result<ModelReport, CliError> {
    let means = sets
        .iter()
        .enumerate()
        .map(|(set, name)| set_means(m, general, set, name))
        .collect();
    let mut scores: Vec<String> = m.scores.iter().map(|s| s.name()).collect();
    if general.is_some() {
        scores.push(Score::Ratio.name());
    }
    let auroc = (1..sets.len())
        .map(|ood| ood_auroc(m, general, ood, sets[ood]))
        .collect::<Result<_, _>>()?;
    Ok(ModelReport {
        name: m.name.clone(),
        sets: means,
        scores,
        auroc,
    })
}

fn set_means(m: &Scored, general: Option<&[ScoreTable]>, set: usize, name: &str) -> SetMeans {
    let table = &m.tables[set];
    let log_p = column(table, "in_log_p");
    let levels = m.scores.len() - 1;
    SetMeans {
        set: name.to_string(),
        images: table.len(),
        nonfinite: count_nonfinite(log_p),
        bits_per_dim: finite_mean(column(table, "in_bpd")),
        log_p: finite_mean(log_p),
        lp: (1..=levels)
            .map(|i| finite_mean(column(table, &format!("in_lp{i}"))))
            .collect(),
        ratio: general.map(|g| finite_mean(&ratio(m, g, set))),
    }
}

/// AUROC of each of the model's scores (and of the ratio), the first set against set `ood`.
fn ood_auroc(
    m: &Scored,
    general: Option<&[ScoreTable]>,
    ood: usize,
    name: &str,
) -> Result<OodAuroc, CliError> {
    let (in_table, ood_table) = (&m.tables[0], &m.tables[ood]);
    let mut values = m
        .scores
        .iter()
        .map(|s| {
            let column_name = s.column();
            auroc(
                column(in_table, &column_name),
                column(ood_table, &column_name),
            )
            .map_err(score_err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(g) = general {
        values.push(auroc(&ratio(m, g, 0), &ratio(m, g, ood)).map_err(score_err)?);
    }
    Ok(OodAuroc {
        ood: name.to_string(),
        auroc: values,
    })
}

/// [`Score::Ratio`] of the model against the general model on data set `set`: the
/// difference of their log-likelihoods, image by image.
fn ratio(m: &Scored, general: &[ScoreTable], set: usize) -> Vec<f64> {
    let model = column(&m.tables[set], "in_log_p");
    let general = column(&general[set], "in_log_p");
    model.iter().zip(general).map(|(a, b)| a - b).collect()
}

/// A column of a table [`crate::scoring::Models::score`] made (empty if absent).
fn column<'a>(table: &'a ScoreTable, name: &str) -> &'a [f64] {
    table.column(name).unwrap_or(&[])
}
