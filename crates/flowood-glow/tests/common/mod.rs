//! The tiny model and inputs shared by the Glow test binaries.

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor};
use flowood_flows::testing::random_batch;
use flowood_glow::{Architecture, CouplingKind, Glow, GlowConfig, PriorKind};

/// The small test configuration: 1x8x8, L = 2, K = 3, hidden 8.
pub fn tiny(prior: PriorKind) -> GlowConfig {
    GlowConfig {
        in_channels: 1,
        image_size: 8,
        levels: 2,
        steps_per_level: 3,
        hidden_channels: 8,
        coupling: CouplingKind::Affine,
        prior,
        classes: None,
        architecture: Architecture::Conv,
    }
}

/// `n` 1x8x8 images of uniform values in the model's input range.
pub fn images(n: usize, seed: u64, device: &Device) -> Tensor<4> {
    random_batch([n, 1, 8, 8], seed, 0.0, device)
}

/// A data-initialised tiny model (weights from `seed`), saved in `dir` as `model.bpk`.
#[allow(dead_code)] // used by the binaries that load saved files
pub fn saved_tiny(dir: &Path, seed: u64) -> (Glow, PathBuf) {
    let device = Device::flex();
    let glow = tiny(PriorKind::ActNormGaussian)
        .init(&device, seed)
        .unwrap();
    let glow = glow.initialize(&[images(16, 1, &device)]).unwrap();
    let path = dir.join("model.bpk");
    glow.save(&path).unwrap();
    (glow, path)
}

/// The JSON header of `glow` exported as safetensors (into `dir`): tensor name to its dtype,
/// shape and offsets. A safetensors file starts with the header's length (u64,
/// little-endian), then the header.
#[allow(dead_code)] // used by the binaries that check the exported names
pub fn safetensors_header(glow: &Glow, dir: &Path) -> serde_json::Map<String, serde_json::Value> {
    let path = dir.join("model.safetensors");
    glow.export_safetensors(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    serde_json::from_slice(&bytes[8..8 + len]).unwrap()
}
