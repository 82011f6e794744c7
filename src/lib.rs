//! # flowood
//!
//! Anomaly detection with deep invertible networks, after Schirrmeister et al., "Understanding
//! Anomaly Detection with Deep Invertible Networks through Hierarchies of Distributions and
//! Features" (NeurIPS 2020), in pure Rust on [Burn](https://burn.dev).
//!
//! This crate re-exports the workspace's crates:
//! - [`flows`]: invertible layers (ActNorm, LU 1x1 conv, couplings, squeeze, split);
//! - [`glow`]: the multiscale Glow with a typed per-scale log-likelihood;
//! - [`data`]: dataset readers, preprocessing, dequantisation, augmentation, batching;
//! - [`objectives`]: NLL/bits-per-dim, outlier loss, margin loss, class-conditional loss;
//! - [`scores`]: anomaly scorers (likelihood, ratio, per-scale, complexity, typicality) and
//!   metrics (AUROC, AUPR, FPR@95TPR);
//! - [`train`]: optimizer and training;
//! - [`host`]: atomic file writes, regular-file reads and work on threads, shared by the crates;
//! - [`pretrained`]: pretrained models by name (`pretrained:grey32`), with model cards;
//!
//! and chooses a backend at run time with [`backend::parse_device`].

pub mod backend;

pub use burn;
pub use flowood_data as data;
pub use flowood_flows as flows;
pub use flowood_glow as glow;
pub use flowood_host as host;
pub use flowood_objectives as objectives;
pub use flowood_pretrained as pretrained;
pub use flowood_scores as scores;
pub use flowood_train as train;

/// The README's Rust example, compiled as a doc-test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
