//! Measures how long loading all of Fashion-MNIST (train and test, gzip IDX) takes.
//!
//! `cargo run --release -p flowood-data --example load_time [DIR]`, where DIR holds the four
//! `*-ubyte.gz` files (default: `$FLOWOOD_DATA/fashion-mnist`).

use std::path::PathBuf;
use std::time::Instant;

use flowood_data::{Split, data_dir, load_fashion_mnist};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = match std::env::args().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => data_dir()?.join("fashion-mnist"),
    };
    let mut best = f64::INFINITY;
    for run in 1..=5 {
        let start = Instant::now();
        let (train, test) = rayon::join(
            || load_fashion_mnist(&dir, Split::Train),
            || load_fashion_mnist(&dir, Split::Test),
        );
        let (train, test) = (train?, test?);
        let seconds = start.elapsed().as_secs_f64();
        best = best.min(seconds);
        println!(
            "run {run}: loaded {} train + {} test images in {:.1} ms",
            train.len(),
            test.len(),
            seconds * 1e3
        );
    }
    println!(
        "best: {:.1} ms ({} threads)",
        best * 1e3,
        rayon::current_num_threads()
    );
    Ok(())
}
