//! Real Fashion-MNIST images and the tiny Glow shared by the training test binaries.

use flowood_data::{ImageSet, Split, data_dir, load_fashion_mnist};
use flowood_glow::{Architecture, CouplingKind, GlowConfig, PriorKind};

/// The first `n` images of Fashion-MNIST's `split` (with their labels), resized to 32x32.
pub fn images(split: Split, n: usize) -> ImageSet {
    let set = load_fashion_mnist(
        data_dir().expect("set FLOWOOD_DATA").join("fashion-mnist"),
        split,
    )
    .expect("run scripts/fetch-data.sh data");
    set.subset(&(0..n).collect::<Vec<_>>())
        .unwrap()
        .resize_bilinear(32, 32)
        .unwrap()
}

/// A tiny 1x32x32 Glow: L = 2, K = 1, hidden 8.
pub fn tiny() -> GlowConfig {
    GlowConfig {
        in_channels: 1,
        image_size: 32,
        levels: 2,
        steps_per_level: 1,
        hidden_channels: 8,
        coupling: CouplingKind::Affine,
        prior: PriorKind::ActNormGaussian,
        classes: None,
        architecture: Architecture::Conv,
    }
}
