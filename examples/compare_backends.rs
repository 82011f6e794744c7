//! Runs the same model on every backend compiled in and compares the results and the speed
//! with the default CPU backend, Flex.
//!
//! ```text
//! FLOWOOD_DATA=data cargo run --release --example compare_backends                  # Flex alone
//! FLOWOOD_DATA=data cargo run --release --example compare_backends --features wgpu  # + WGPU
//! FLOWOOD_DATA=data cargo run --release --example compare_backends --features cuda,ndarray
//! ```
//!
//! A model built from one seed is the same on every backend (its weights come from a host
//! RNG), so its log-likelihoods of the same 256 Fashion-MNIST test images must agree to float
//! rounding; the example prints the largest difference from Flex and the scoring rate. For
//! careful timings use the benchmark, `cargo bench --bench glow_throughput`.

use std::time::Instant;

use flowood::backend::{compiled_backends, parse_device};
use flowood::burn::tensor::Device;
use flowood::data::{Split, data_dir, load_fashion_mnist};
use flowood::glow::{Glow, GlowConfig};
use flowood::scores::{Pixels, ScoreBatch};

/// Images scored on each backend.
const IMAGES: usize = 256;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let set = load_fashion_mnist(data_dir()?.join("fashion-mnist"), Split::Test)?
        .subset(&(0..IMAGES).collect::<Vec<_>>())?
        .resize_bilinear(32, 32)?;
    let pixels = Pixels::new(set.pixels().to_vec(), set.shape())?;
    let config = GlowConfig::small(1);

    let flex = parse_device("flex")?;
    let reference = log_p(&model(&config, &pixels, &flex)?, &pixels, &flex)?.0;
    println!("| backend | largest |log p - log p (flex)| (nats) | score images/s |");
    println!("|---|---|---|");
    for name in compiled_backends() {
        let device = match parse_device(name) {
            Ok(device) => device,
            Err(e) => {
                println!("| {name} | not started: {e} | |");
                continue;
            }
        };
        let glow = model(&config, &pixels, &device)?;
        log_p(&glow, &pixels, &device)?; // warm-up: kernels compiled, memory allocated
        let (values, rate) = log_p(&glow, &pixels, &device)?;
        let largest = values
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        println!("| {name} | {largest:.2e} | {rate:.1} |");
    }
    Ok(())
}

/// The small preset from seed 0, data-initialised on the images on `device`.
fn model(
    config: &GlowConfig,
    pixels: &Pixels,
    device: &Device,
) -> Result<Glow, Box<dyn std::error::Error>> {
    let x = ScoreBatch::from_pixels(pixels.clone(), device).x;
    Ok(config.init(device, 0)?.initialize(&[x])?)
}

/// `log p(x)` of every image, and images per second (the device synchronised by reading back).
fn log_p(
    glow: &Glow,
    pixels: &Pixels,
    device: &Device,
) -> Result<(Vec<f64>, f64), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let x = ScoreBatch::from_pixels(pixels.clone(), device).x;
    let values = glow.log_likelihood(x)?.to_host().total;
    Ok((values, pixels.len() as f64 / start.elapsed().as_secs_f64()))
}
