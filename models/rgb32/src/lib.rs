//! The weights of flowood's pretrained `rgb32` general model, embedded in the binary: a
//! multiscale Glow (colour 3x32x32, L=3, K=8, hidden 128) trained on tiles of natural
//! photographs. The model card (README.md of this crate, also [`CARD`]) says on what, how and
//! for how long.
//!
//! Load it with `flowood_pretrained::Pretrained::Rgb32.load(&device)`; this crate only holds
//! the bytes, so that each model is a download of its own.

/// The weights, safetensors (tensor names as flowood's `Glow::export_safetensors` writes them).
pub const SAFETENSORS: &[u8] = include_bytes!("../model.safetensors");

/// The model's `GlowConfig`, JSON.
pub const CONFIG_JSON: &str = include_str!("../model.json");

/// The model card (Markdown).
pub const CARD: &str = include_str!("../README.md");
