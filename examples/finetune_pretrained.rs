//! Fine-tuning from the shipped general model: an in-distribution model in minutes, and the
//! likelihood ratio against the same general model.
//!
//! ```text
//! FLOWOOD_DATA=data cargo run --release --example finetune_pretrained    # about two minutes on 2 cores
//! ```
//!
//! Starts from `pretrained:grey32` (grey 32x32, small preset, trained on tiles of natural
//! photographs), fine-tunes a copy on Fashion-MNIST training images for a few hundred steps
//! (with a linear warm-up: a fresh optimiser at full rate first undoes much of what the
//! pretrained model knows), and prints the AUROC of the raw likelihood and of the likelihood
//! ratio `log p_fashion(x) - log p_general(x)` on Fashion-MNIST test vs MNIST test images.

mod common;

use flowood::backend::{default_threads, parse_device};
use flowood::data::{Split, data_dir, load_fashion_mnist, load_mnist};
use flowood::pretrained::Pretrained;
use flowood::scores::{Detector, Score, metrics};
use flowood::train::TrainConfig;

/// Fine-tuning steps of 64 images, the first `WARMUP` of them warming the rate up.
const STEPS: usize = 150;
const WARMUP: usize = 50;
/// Test images scored of each set (of 10,000).
const SCORED: usize = 2000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = parse_device("flex")?;
    let threads = default_threads(&device);
    let data = data_dir()?;
    let general = Pretrained::Grey32.load(&device)?;
    println!(
        "loaded pretrained:grey32 ({} bytes of weights)",
        Pretrained::Grey32.safetensors().len()
    );

    let settings = TrainConfig {
        max_steps: STEPS,
        warmup_steps: WARMUP,
        threads,
        ..TrainConfig::default()
    };
    let fashion = load_fashion_mnist(data.join("fashion-mnist"), Split::Train)?;
    let fashion_model = common::fit(general.clone(), fashion, settings, &device)?;

    let first = |set: flowood::data::ImageSet| set.subset(&(0..SCORED).collect::<Vec<_>>());
    let normal = first(load_fashion_mnist(data.join("fashion-mnist"), Split::Test)?)?;
    let digits = first(load_mnist(data.join("mnist"), Split::Test)?)?;
    for score in [Score::LogP, Score::Ratio] {
        let general = score.needs_general().then(|| general.clone());
        let detector = Detector::new(fashion_model.clone(), general, score)?.with_threads(threads);
        let auroc = metrics::auroc(&detector.score(&normal)?, &detector.score(&digits)?)?;
        println!(
            "AUROC x100, Fashion-MNIST test vs MNIST test ({SCORED} each), {}: {:.1}",
            score.name(),
            100.0 * auroc
        );
    }
    Ok(())
}
