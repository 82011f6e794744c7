//! The weights of flowood's pretrained `fashion32-outlier` model, embedded in the binary: the
//! Fashion-MNIST Glow `fashion32` fine-tuned further with the outlier loss against the general
//! model `grey32` (grey 32x32, L=3, K=8, hidden 128). The model card (README.md of this crate, also
//! [`CARD`]) says on what, how and for how long. Load it with
//! `flowood_pretrained::Pretrained::Fashion32Outlier.load(&device)`; this crate only holds the
//! bytes, so that each model is a download of its own.

/// The weights, safetensors (tensor names as flowood's `Glow::export_safetensors` writes them).
pub const SAFETENSORS: &[u8] = include_bytes!("../model.safetensors");

/// The model's `GlowConfig`, JSON.
pub const CONFIG_JSON: &str = include_str!("../model.json");

/// The model card (Markdown).
pub const CARD: &str = include_str!("../README.md");
