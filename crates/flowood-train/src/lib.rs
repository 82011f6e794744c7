//! Training for [flowood](https://crates.io/crates/flowood): the Adamax optimizer of the
//! paper's experiments (Burn 0.22 has none), the training loop with the non-finite guard and data parallelism over CPU cores,
//! fine-tuning with the outlier loss, checkpoints that resume bit-for-bit, and a metrics file
//! whose records are also reported to a progress callback.

mod adamax;
mod checkpoint;
mod config;
mod data_parallel;
mod error;
mod guard;
mod loss;
mod metrics;
mod run_identity;
mod run_lock;
mod trainer;
mod training_pass;

pub use adamax::{Adamax, AdamaxConfig, AdamaxState};
pub use checkpoint::{Restored, TrainState, load_checkpoint, save_checkpoint};
pub use config::{Objective, TrainConfig};
pub use data_parallel::{ParallelPass, data_parallel, shard_count};
pub use error::TrainError;
pub use guard::{BatchVerdict, batch_verdict};
pub use metrics::MetricsRecord;
pub use run_identity::DataFingerprint;
pub use trainer::{TrainData, TrainSummary, Trainer, evaluate_bits_per_dim};
pub use training_pass::TrainingPass;
