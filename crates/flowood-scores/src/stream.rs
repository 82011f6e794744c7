//! Scoring a whole dataset batch by batch, in constant memory for the tensors, optionally
//! several batches at once on as many threads (Burn's CPU backends keep about one core busy
//! at these batch sizes).

use flowood_glow::{Glow, LogLikelihoodValues};
use flowood_host::{MAX_THREADS, map_on_threads};

use crate::batch::ScoreBatch;
use crate::complexity::png_bits_per_dim;
use crate::error::ScoreError;
use crate::model::ScoringModel;
use crate::score::{Score, ScoreInputs};
use crate::scorer::Scorer;
use crate::table::ScoreTable;

/// Computes every score and every per-scale term of a dataset in one pass: each batch goes
/// through each model once, and all scores are derived from those host values.
///
/// Columns of the resulting [`ScoreTable`] (scales numbered `1..=L` as in the paper;
/// every `score_*` column follows "higher = more normal"):
/// - [`Score::column`] of each of [`DatasetScorer::scores`]: `score_log_p`, `score_neg_bpd`,
///   `score_lp{i}` for every scale but the last, `score_final_scale`; with a general model
///   `score_ratio` and `score_ratio_lp{i}` for every scale; with input complexity
///   `score_complexity` (`-S`);
/// - with input complexity: `png_bpd`;
/// - for each model `m` in `in` (and `general`): `m_log_p` (nats), `m_bpd`, and per scale
///   `m_F{i}`, `m_A{i}`, `m_N{i}`, `m_lp{i}` (flow log-det, prior log-det, Gaussian term,
///   contribution).
#[derive(Debug, Clone)]
pub struct DatasetScorer {
    in_model: ScoringModel,
    general: Option<ScoringModel>,
    complexity: bool,
    threads: usize,
}

impl DatasetScorer {
    /// Scores with the in-distribution model alone (likelihood and per-scale scores).
    pub fn new(in_model: &Glow) -> Result<Self, ScoreError> {
        Ok(Self {
            in_model: ScoringModel::new(in_model, "in-distribution")?,
            general: None,
            complexity: false,
            threads: 1,
        })
    }

    /// Adds the general model (same architecture) for the ratio scores.
    pub fn with_general(mut self, general: &Glow) -> Result<Self, ScoreError> {
        let general = ScoringModel::new(general, "general")?;
        self.in_model.check_same_architecture(&general)?;
        self.general = Some(general);
        Ok(self)
    }

    /// Adds the input-complexity score; every batch must then carry its uint8 images.
    pub fn with_complexity(mut self) -> Self {
        self.complexity = true;
        self
    }

    /// Scores up to `threads` batches at once, one thread each (default 1; clamped to
    /// 1..=[`MAX_THREADS`]).
    /// Worth it on CPU backends (e.g. the number of cores); on a GPU leave 1. The table is
    /// the same, in the same order.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.clamp(1, MAX_THREADS);
        self
    }

    /// The scores of the tables this scorer makes, in column order.
    pub fn scores(&self) -> Vec<Score> {
        Score::all(
            self.in_model.levels(),
            self.general.is_some(),
            self.complexity,
        )
    }

    /// Scores one batch into a table of `batch.len()` rows.
    pub fn score_batch(&self, batch: &ScoreBatch) -> Result<ScoreTable, ScoreError> {
        let in_values = self.in_model.values(&batch.x)?;
        let general = match &self.general {
            Some(g) => Some(g.values(&batch.x)?),
            None => None,
        };
        let png_bpd = match self.complexity {
            true => Some(png_bits_per_dim(batch.require_pixels()?)?),
            false => None,
        };
        let inputs = ScoreInputs {
            in_model: &in_values,
            general: general.as_ref(),
            png_bpd: png_bpd.as_deref(),
        };
        let mut columns = self
            .scores()
            .into_iter()
            .map(|s| Ok((s.column(), s.compute(&inputs)?)))
            .collect::<Result<Vec<_>, ScoreError>>()?;
        if let Some(png_bpd) = png_bpd {
            columns.push(("png_bpd".into(), png_bpd));
        }
        columns.extend(term_columns("in", &in_values));
        if let Some(g) = &general {
            columns.extend(term_columns("general", g));
        }
        ScoreTable::from_columns(columns)
    }

    /// Scores every batch in turn and concatenates the rows.
    ///
    /// After each batch `progress(done, total)` is called with the number of images scored
    /// so far and `total_images` as given (`None` if unknown). At most `threads` batches'
    /// tensors are alive at a time (see [`with_threads`](Self::with_threads)).
    pub fn score_stream(
        &self,
        batches: impl IntoIterator<Item = ScoreBatch>,
        total_images: Option<usize>,
        mut progress: impl FnMut(usize, Option<usize>),
    ) -> Result<ScoreTable, ScoreError> {
        let mut table = ScoreTable::default();
        let mut batches = batches.into_iter();
        loop {
            let group: Vec<ScoreBatch> = batches.by_ref().take(self.threads).collect();
            if group.is_empty() {
                return Ok(table);
            }
            for part in map_on_threads(group.iter().collect(), |b| self.score_batch(b)) {
                table.extend(part?)?;
                progress(table.len(), total_images);
            }
        }
    }
}

/// Runs any [`Scorer`] over a stream of batches, returning one score per image in order and
/// calling `progress(done, total)` after each batch like [`DatasetScorer::score_stream`].
pub fn stream_scores<S: Scorer + ?Sized>(
    scorer: &S,
    batches: impl IntoIterator<Item = ScoreBatch>,
    total_images: Option<usize>,
    mut progress: impl FnMut(usize, Option<usize>),
) -> Result<Vec<f64>, ScoreError> {
    let mut scores = Vec::new();
    for batch in batches {
        scores.extend(scorer.score(&batch)?);
        progress(scores.len(), total_images);
    }
    Ok(scores)
}

/// `{prefix}_log_p`, `{prefix}_bpd` and `{prefix}_{F,A,N,lp}{i}` for every scale.
fn term_columns(prefix: &str, values: &LogLikelihoodValues) -> Vec<(String, Vec<f64>)> {
    let mut columns = vec![
        (format!("{prefix}_log_p"), values.total.clone()),
        (format!("{prefix}_bpd"), values.bits_per_dim.clone()),
    ];
    for (i, s) in values.scales.iter().enumerate() {
        let n = i + 1;
        columns.push((format!("{prefix}_F{n}"), s.flow_logdet.clone()));
        columns.push((format!("{prefix}_A{n}"), s.prior_logdet.clone()));
        columns.push((format!("{prefix}_N{n}"), s.gaussian.clone()));
        columns.push((format!("{prefix}_lp{n}"), s.lp.clone()));
    }
    columns
}
