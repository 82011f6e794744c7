//! Builds a small Glow, initialises it on Fashion-MNIST, and prints the per-scale
//! log-likelihood terms of one test batch.
//!
//! ```text
//! bash scripts/fetch-data.sh data
//! cargo run --release --example per_scale_likelihood            # fresh model
//! cargo run --release --example per_scale_likelihood -- model.bpk   # a trained model
//! ```
//! Data come from `$FLOWOOD_DATA`.

use std::path::Path;

use burn::module::Module;
use flowood::backend::parse_device;
use flowood::data::{BatchConfig, Batcher, Split, data_dir, load_fashion_mnist};
use flowood::glow::{Glow, GlowConfig};

const BATCH: usize = 64;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = parse_device("flex")?;
    let dir = data_dir()?.join("fashion-mnist");
    let train = load_fashion_mnist(&dir, Split::Train)?.resize_bilinear(32, 32)?;
    let test = load_fashion_mnist(&dir, Split::Test)?.resize_bilinear(32, 32)?;

    let glow = match std::env::args().nth(1) {
        Some(path) => Glow::load(Path::new(&path), &device)?,
        None => {
            // Data-dependent ActNorm init on 4 evaluation-style batches of the training set.
            let init = Batcher::new(train, BatchConfig::eval(BATCH))?;
            let batches: Vec<_> = init
                .epoch(0, 0, 1)
                .take(4)
                .map(|b| b.into_tensor(&device))
                .collect();
            GlowConfig::small(1)
                .init(&device, 0)?
                .initialize(&batches)?
        }
    }
    .valid();

    let eval = Batcher::new(test, BatchConfig::eval(BATCH))?;
    let batch = eval.batch(0, 0).ok_or("empty test set")?;
    let ll = glow.log_likelihood(batch.into_tensor(&device))?.to_host();

    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "Fashion-MNIST test, first {} images, mean over the batch (nats):",
        ll.len()
    );
    println!("| scale | F_i (flow log-det) | A_i (prior log-det) | N_i (Gaussian) | lp_i |");
    println!("|---|---|---|---|---|");
    for (i, s) in ll.scales.iter().enumerate() {
        let row = [&s.flow_logdet, &s.prior_logdet, &s.gaussian, &s.lp].map(|v| mean(v));
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            i + 1,
            row[0],
            row[1],
            row[2],
            row[3]
        );
    }
    println!(
        "log p(x) = {:.1} nats, {:.3} bits/dim",
        mean(&ll.total),
        mean(&ll.bits_per_dim)
    );
    Ok(())
}
