//! The tiny model and inputs shared by the Glow test binaries.

use burn::tensor::{Device, Tensor};
use flowood_flows::testing::random_batch;
use flowood_glow::{CouplingKind, GlowConfig, PriorKind};

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
    }
}

/// `n` 1x8x8 images of uniform values in the model's input range.
pub fn images(n: usize, seed: u64, device: &Device) -> Tensor<4> {
    random_batch([n, 1, 8, 8], seed, 0.0, device)
}
