//! The typicality test in `flowood eval` (Nalisnick et al., 2019), reported as they do: for
//! batches of M images, the share of OOD batches flagged at a threshold bootstrapped on
//! in-distribution batches, beside the false-alarm rate on other in-distribution images.

use flowood::scores::{ScoreTable, TypicalityConfig, TypicalityTest};
use serde::Serialize;

use crate::error::CliError;
use crate::markdown::{header, table_row};
use crate::scoring::score_err;

/// The batch sizes M of the test.
const BATCH_SIZES: [usize; 5] = [1, 2, 5, 10, 25];
/// The false-alarm rate the threshold is set for: `eps` is the `1 - FALSE_ALARM` quantile of
/// the bootstrap statistics.
const FALSE_ALARM: f64 = 0.05;
/// Random batches of the threshold's bootstrap and of each measured rate.
const BATCHES: usize = 1000;

/// The test's rates for every batch size.
#[derive(Debug, Serialize)]
pub struct Typicality {
    /// How the threshold was fitted and the rates measured.
    protocol: String,
    /// The false-alarm rate the threshold is set for.
    target_false_alarm: f64,
    /// In-distribution images the threshold was fitted on (finite log p).
    fit_images: usize,
    /// In-distribution images the false alarms were measured on.
    check_images: usize,
    /// One row per batch size.
    rows: Vec<Row>,
}

/// The test for one batch size.
#[derive(Debug, Serialize)]
struct Row {
    batch_size: usize,
    /// The threshold `eps` on `|mean(-log p) - H|` (nats).
    epsilon: f64,
    /// Share of in-distribution batches flagged.
    false_alarm: f64,
    /// Share of each OOD set's batches flagged, in the order of `--ood`.
    detection: Vec<Detection>,
}

#[derive(Debug, Serialize)]
struct Detection {
    ood: String,
    rate: f64,
}

impl Typicality {
    /// Fits the test for each batch size on the in-distribution model's log p of the
    /// even-numbered images of `in_table` (its non-finite values left out; `H` is their mean
    /// `-log p`), measures false alarms on the odd-numbered ones and detections on each OOD
    /// table.
    pub fn new(in_table: &ScoreTable, ood: &[(String, ScoreTable)]) -> Result<Self, CliError> {
        let log_p = log_p(in_table);
        let fit: Vec<f64> = log_p
            .iter()
            .step_by(2)
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let check: Vec<f64> = log_p.iter().skip(1).step_by(2).copied().collect();
        let rows = BATCH_SIZES
            .iter()
            .map(|&m| row(m, &fit, &check, ood))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            protocol: format!(
                "a batch of M images is flagged when |mean(-log p) - H| > eps; H is the mean -log p \
                 of the even-numbered in-distribution test images and eps the {}th percentile of \
                 {BATCHES} bootstrap batches of them; rates are shares of {BATCHES} batches drawn \
                 with replacement: false alarms from the odd-numbered in-distribution images, \
                 detections from each OOD set",
                100.0 * (1.0 - FALSE_ALARM)
            ),
            target_false_alarm: FALSE_ALARM,
            fit_images: fit.len(),
            check_images: check.len(),
            rows,
        })
    }

    /// The rates as a Markdown table, percentages.
    pub fn markdown(&self) -> String {
        let mut columns = vec!["eps (nats)".to_string(), "false alarms".into()];
        if let Some(first) = self.rows.first() {
            columns.extend(first.detection.iter().map(|d| d.ood.clone()));
        }
        let mut md = format!(
            "\nTypicality test (Nalisnick et al.), % of batches flagged as OOD, target false-alarm \
             rate {}%: {}\n\n{}",
            100.0 * self.target_false_alarm,
            self.protocol,
            header("M", &columns)
        );
        for r in &self.rows {
            let rates = std::iter::once(r.false_alarm).chain(r.detection.iter().map(|d| d.rate));
            let values: Vec<f64> = std::iter::once(r.epsilon)
                .chain(rates.map(|rate| 100.0 * rate))
                .collect();
            md.push_str(&table_row(&r.batch_size.to_string(), &values, |v| {
                format!("{v:.1}")
            }));
        }
        md
    }
}

fn row(
    batch_size: usize,
    fit: &[f64],
    check: &[f64],
    ood: &[(String, ScoreTable)],
) -> Result<Row, CliError> {
    let config = TypicalityConfig {
        batch_size,
        bootstraps: BATCHES,
        quantile: 1.0 - FALSE_ALARM,
        seed: 0,
    };
    let test = TypicalityTest::fit(fit, None, &config).map_err(score_err)?;
    let detection = ood
        .iter()
        .map(|(name, table)| {
            Ok(Detection {
                ood: name.clone(),
                rate: test
                    .flagged_share(log_p(table), BATCHES, 2)
                    .map_err(score_err)?,
            })
        })
        .collect::<Result<_, CliError>>()?;
    Ok(Row {
        batch_size,
        epsilon: test.epsilon(),
        false_alarm: test.flagged_share(check, BATCHES, 1).map_err(score_err)?,
        detection,
    })
}

/// The in-distribution model's log p of each image of `table`.
fn log_p(table: &ScoreTable) -> &[f64] {
    table.column("in_log_p").unwrap_or(&[])
}
