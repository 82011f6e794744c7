//! The metrics file: one JSON object per line, per step and per evaluation.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use flowood_host::write_file_atomically;
use serde::{Deserialize, Serialize};

use crate::error::{TrainError, io_err};

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MetricsRecord {
    /// A training step.
    Step {
        /// Steps done after this one.
        step: usize,
        /// The minimised loss (nats per image; NaN if the step was skipped).
        loss: f64,
        /// Training bits/dim of the batch (finite part).
        bits_per_dim: f64,
        /// Learning rate used.
        learning_rate: f64,
        /// Throughput of this step.
        images_per_second: f64,
        /// Skipped steps so far.
        skipped_steps: usize,
        /// Recomputed steps so far.
        recomputed_steps: usize,
    },
    /// An evaluation on the test set.
    Eval {
        /// Steps done when evaluated.
        step: usize,
        /// Mean test bits/dim.
        test_bits_per_dim: f64,
    },
}

impl MetricsRecord {
    fn step(&self) -> usize {
        match self {
            Self::Step { step, .. } | Self::Eval { step, .. } => *step,
        }
    }
}

/// Appends records to `OUT/metrics.jsonl`.
pub struct MetricsWriter {
    path: PathBuf,
    file: File,
}

impl MetricsWriter {
    /// Opens the metrics file of the run in `out`, dropping records after `resume_step` (a
    /// resumed run repeats those steps).
    pub fn open(out: &Path, resume_step: usize) -> Result<Self, TrainError> {
        let path = out.join("metrics.jsonl");
        // The kept records replace the file atomically, like a checkpoint: a kill at any
        // moment leaves either the old file or the complete new one.
        let kept: String = Self::records_up_to(&path, resume_step)?
            .into_iter()
            .map(|line| line + "\n")
            .collect();
        write_file_atomically(&path, kept).map_err(|e| io_err("rewriting", &path, e))?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| io_err("opening", &path, e))?;
        Ok(Self { path, file })
    }

    fn records_up_to(path: &Path, step: usize) -> Result<Vec<String>, TrainError> {
        let file = match flowood_host::open_regular(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("reading", path, e)),
        };
        let lines = BufReader::new(file).lines().map_while(Result::ok);
        Ok(lines
            .filter(|line| {
                serde_json::from_str::<MetricsRecord>(line).is_ok_and(|r| r.step() <= step)
            })
            .collect())
    }

    /// Appends one record and flushes it, so the file is current if the run is killed.
    pub fn write(&mut self, record: &MetricsRecord) -> Result<(), TrainError> {
        let line = serde_json::to_string(record)
            .map_err(|e| io_err("serialising a record for", &self.path, e))?;
        writeln!(self.file, "{line}").map_err(|e| io_err("writing", &self.path, e))?;
        self.file
            .flush()
            .map_err(|e| io_err("writing", &self.path, e))
    }
}
