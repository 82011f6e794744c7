//! Checkpoints: everything needed to continue a run exactly where it stopped.
//!
//! A checkpoint is a folder `OUT/checkpoints/step-NNNNNNNN/` holding the model (`model.bpk`,
//! `model.json`), the optimizer state (`optimizer.bpk`) and the loop state (`state.json`).
//! It is written under a temporary name and renamed when complete; then `OUT/checkpoints/latest`
//! (the folder's name) is replaced the same way, and older checkpoints are removed (both
//! through `flowood_host::write_atomically`). A crash at any moment leaves `latest` naming a complete checkpoint.
//!
//! The data order, dequantisation noise and augmentation are pure functions of the seed, the
//! epoch and the position in it (see `flowood_data::Batcher`), so `(epoch, next batch)` is
//! the whole random state of a run.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use flowood_glow::Glow;
use flowood_host::{AtomicWriteError, write_atomically, write_file_atomically};
use serde::{Deserialize, Serialize};

use crate::adamax::AdamaxConfig;
use crate::config::TrainConfig;
use crate::error::{TrainError, io_err};
use crate::run_identity::DataFingerprint;

/// The loop's position and counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Optimiser steps taken (including skipped ones).
    pub step: usize,
    /// Current epoch of the training data.
    pub epoch: u64,
    /// Index of the next batch in that epoch.
    pub next_batch: usize,
    /// Current epoch of the general-distribution data (outlier objectives).
    pub general_epoch: u64,
    /// Next batch in that epoch.
    pub general_next_batch: usize,
    /// Steps skipped because a gradient was not finite, or too few images were.
    pub skipped_steps: usize,
    /// Steps whose loss was recomputed on the finite part of the batch.
    pub recomputed_steps: usize,
    /// The settings of the run.
    pub config: TrainConfig,
    /// The training data of the run (absent in checkpoints written before it was recorded).
    #[serde(default)]
    pub data: Option<DataFingerprint>,
}

impl TrainState {
    /// The state of a run that has not started.
    pub fn new(config: TrainConfig) -> Self {
        Self {
            step: 0,
            epoch: 0,
            next_batch: 0,
            general_epoch: 0,
            general_next_batch: 0,
            skipped_steps: 0,
            recomputed_steps: 0,
            config,
            data: None,
        }
    }
}

/// A checkpoint read back from disk.
pub struct Restored {
    /// The model, on the requested device.
    pub model: Glow,
    /// The optimizer with its state.
    pub optimizer: ModuleOptimizer,
    /// The loop state.
    pub state: TrainState,
}

fn checkpoints_dir(out: &Path) -> PathBuf {
    out.join("checkpoints")
}

/// Writes a checkpoint of the run in `out` and makes it the latest; returns its folder.
pub fn save_checkpoint(
    out: &Path,
    model: &Glow,
    optimizer: &ModuleOptimizer,
    state: &TrainState,
) -> Result<PathBuf, TrainError> {
    let root = checkpoints_dir(out);
    let name = format!("step-{:08}", state.step);
    let dir = root.join(&name);
    std::fs::create_dir_all(&root).map_err(|e| io_err("creating checkpoint folder", &root, e))?;
    write_atomically(&dir, |tmp| write_checkpoint(tmp, model, optimizer, state)).map_err(|e| {
        match e {
            AtomicWriteError::Write(e) => e,
            AtomicWriteError::Io(e) => io_err("finishing checkpoint", &dir, e),
        }
    })?;
    let latest = root.join("latest");
    write_file_atomically(&latest, &name).map_err(|e| io_err("updating", &latest, e))?;
    remove_older(&root, &name);
    Ok(dir)
}

/// Writes the files of a checkpoint into the new folder `dir`.
fn write_checkpoint(
    dir: &Path,
    model: &Glow,
    optimizer: &ModuleOptimizer,
    state: &TrainState,
) -> Result<(), TrainError> {
    std::fs::create_dir(dir).map_err(|e| io_err("creating checkpoint folder", dir, e))?;
    model.save(&dir.join("model.bpk"))?;
    let optim_path = dir.join("optimizer.bpk");
    optimizer
        .save(&optim_path)
        .map_err(|e| io_err("saving optimizer state to", &optim_path, e))?;
    let json =
        serde_json::to_string_pretty(state).map_err(|e| io_err("serialising state for", dir, e))?;
    let state_path = dir.join("state.json");
    write_synced(&state_path, json.as_bytes()).map_err(|e| io_err("writing", &state_path, e))
}

/// Writes `bytes` to `path` and flushes them to the disk, so that a checkpoint that `latest`
/// names survives a power cut.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Best-effort removal of every other checkpoint folder (complete or not).
fn remove_older(root: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.path().is_dir() && name != keep {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether `out` holds a checkpoint (its `checkpoints/latest` exists).
pub fn has_checkpoint(out: &Path) -> bool {
    checkpoints_dir(out).join("latest").exists()
}

/// The latest complete checkpoint of the run in `out`, if there is one.
pub fn load_checkpoint(out: &Path, device: &Device) -> Result<Option<Restored>, TrainError> {
    let root = checkpoints_dir(out);
    let latest = root.join("latest");
    let name = match flowood_host::read_regular_to_string(&latest) {
        Ok(name) => name,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("reading", &latest, e)),
    };
    let dir = root.join(name.trim());
    let state_path = dir.join("state.json");
    let json = flowood_host::read_regular_to_string(&state_path)
        .map_err(|e| io_err("reading", &state_path, e))?;
    let state: TrainState =
        serde_json::from_str(&json).map_err(|e| io_err("parsing", &state_path, e))?;
    let model = Glow::load(&dir.join("model.bpk"), device)?;
    let optim_path = dir.join("optimizer.bpk");
    let optimizer = optimizer_for(&state.config)
        .load(&optim_path)
        .map_err(|e| io_err("loading optimizer state from", &optim_path, e))?;
    Ok(Some(Restored {
        model,
        optimizer,
        state,
    }))
}

/// A fresh Adamax for the run's settings.
pub fn optimizer_for(config: &TrainConfig) -> ModuleOptimizer {
    AdamaxConfig::new()
        .with_weight_decay(config.weight_decay)
        .init()
}
