//! Tiny Glows and random images shared by the scorer tests.

#![allow(dead_code)]

use burn::tensor::Device;
use flowood_flows::testing::perturb_parameters;
use flowood_glow::{Architecture, CouplingKind, Glow, GlowConfig, PriorKind};
use flowood_scores::{Pixels, ScoreBatch};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// 1x8x8 images, 2 scales of 2 steps, 8 hidden channels.
pub fn tiny_config() -> GlowConfig {
    GlowConfig {
        in_channels: 1,
        image_size: 8,
        levels: 2,
        steps_per_level: 2,
        hidden_channels: 8,
        coupling: CouplingKind::Affine,
        prior: PriorKind::ActNormGaussian,
        classes: None,
        architecture: Architecture::Conv,
    }
}

/// `n` random grey 8x8 images (seeded).
pub fn random_pixels(n: usize, seed: u64) -> Pixels {
    let mut rng = StdRng::seed_from_u64(seed);
    let data = (0..n * 64).map(|_| rng.random::<u8>()).collect();
    Pixels::new(data, [n, 1, 8, 8]).unwrap()
}

/// A batch of `n` random images on the flex device.
pub fn random_batch(n: usize, seed: u64) -> ScoreBatch {
    ScoreBatch::from_pixels(random_pixels(n, seed), &Device::flex())
}

/// A tiny Glow initialised on random images, then perturbed away from its special init point.
pub fn tiny_glow(seed: u64) -> Glow {
    let device = Device::flex();
    let glow = tiny_config().init(&device, seed).unwrap();
    let init = random_batch(16, seed + 100);
    let glow = glow.initialize(&[init.x]).unwrap();
    perturb_parameters(glow, 0.02, seed + 200)
}
