//! What makes a run the same run: a checkpoint resumes only under the settings, architecture
//! and training data it was written with, and a fresh run never starts over an older one.

use flowood_data::ImageSet;
use flowood_glow::GlowConfig;
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::error::TrainError;

/// The training images, identified by their shape and the CRC-32 of their pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// `[N, C, H, W]` of the training set.
    pub shape: [usize; 4],
    /// CRC-32 of its pixels.
    pub crc32: u32,
}

impl DataFingerprint {
    /// The fingerprint of `set`.
    pub fn of(set: &ImageSet) -> Self {
        Self {
            shape: set.shape(),
            crc32: crc32fast::hash(set.pixels()),
        }
    }
}

/// A setting's name and its value as text.
type Setting = (&'static str, String);

/// The settings that define a run: changing any of them on resume would splice two runs.
/// Step counts (unless there is a cool-down), evaluation and checkpoint intervals and threads
/// may change.
fn defining_settings(config: &TrainConfig, model: &GlowConfig) -> Vec<Setting> {
    vec![
        ("architecture", format!("{model:?}")),
        ("seed", config.seed.to_string()),
        ("batch_size", config.batch_size.to_string()),
        ("learning_rate", config.learning_rate.to_string()),
        ("weight_decay", config.weight_decay.to_string()),
        ("warmup_steps", config.warmup_steps.to_string()),
        ("cooldown_steps", config.cooldown_steps.to_string()),
        ("cooldown_end", cooldown_end(config)),
        ("init_batches", config.init_batches.to_string()),
        ("objective", format!("{:?}", config.objective)),
    ]
}

/// The step the cool-down ends at: with one, `max_steps` fixes the learning rate of every
/// step, so a resumed run that moved it would splice two schedules.
fn cooldown_end(config: &TrainConfig) -> String {
    match config.cooldown_steps {
        0 => "none".into(),
        _ => config.max_steps.to_string(),
    }
}

/// Checks that the checkpoint's run (settings, model architecture and data fingerprint, if it
/// recorded one) is the requested one; the error names the first setting that differs.
pub(crate) fn check_same_run(
    checkpoint: (&TrainConfig, &GlowConfig, Option<DataFingerprint>),
    requested: (&TrainConfig, &GlowConfig, DataFingerprint),
) -> Result<(), TrainError> {
    let old = defining_settings(checkpoint.0, checkpoint.1);
    let new = defining_settings(requested.0, requested.1);
    let differing = old.into_iter().zip(new).find(|(a, b)| a.1 != b.1);
    if let Some(((setting, checkpoint), (_, requested))) = differing {
        return Err(TrainError::ResumeMismatch {
            setting,
            checkpoint,
            requested,
        });
    }
    match checkpoint.2 {
        Some(data) if data != requested.2 => Err(TrainError::ResumeMismatch {
            setting: "training data",
            checkpoint: format!("{data:?}"),
            requested: format!("{:?}", requested.2),
        }),
        _ => Ok(()),
    }
}
