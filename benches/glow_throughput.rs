//! Images per second of one training step (forward, NLL, backward, Adamax update) and of
//! scoring (log-likelihood only), for every backend compiled into this build.
//!
//! ```text
//! cargo bench --bench glow_throughput                      # flex (default features)
//! cargo bench --bench glow_throughput --features ndarray   # adds the ndarray backend
//! FLOWOOD_BENCH_CONFIG=paper FLOWOOD_BENCH_STEPS=3 cargo bench --bench glow_throughput
//! ```
//! `FLOWOOD_BENCH_CONFIG` is `small` (default: grey 1x32x32, L=3, K=8, hidden 128, the
//! configuration of the reference figures), `paper` (RGB 3x32x32, L=3, K=32, hidden 512) or
//! `all`; each with batches of `FLOWOOD_BENCH_BATCH` images (default 64).
//! `FLOWOOD_BENCH_BACKENDS` restricts the backends (comma-separated).
//! Each figure is the median over `FLOWOOD_BENCH_STEPS` (default 10) timed batches after two
//! warm-up batches. `FLOWOOD_BENCH_THREADS` threads (default:
//! `flowood::backend::default_threads`, i.e. every core on flex and ndarray, 1 on GPUs) share
//! the work as in the CLI: training splits each batch into that many shards, scoring runs
//! that many batches at once.
//!
//! `FLOWOOD_BENCH_RECOMPUTE=1` trains with recomputed activations, as `flowood train
//! --recompute` does (flow steps recomputed one at a time in the backward pass).
//!
//! `FLOWOOD_BENCH_SCALING=1` prints instead how the rates scale: every backend and
//! configuration at 1, 2 and all threads, each with the batches of `FLOWOOD_BENCH_BATCHES`
//! (default `16,64,256`), so that a user on a bigger machine can see what to expect.
//!
//! Each cell (backend, configuration, train or score) runs in a fresh process (this binary,
//! started again with `FLOWOOD_BENCH_CELL` set), so that one cell's memory and compiled kernels
//! do not flatter or burden the next. Peak memory (MiB): on GPU backends the largest amount
//! Burn's device allocator held (`Device::memory_pool_usage().bytes_reserved`, read after every
//! batch; pools keep pages, so this bounds the peak from above); on CPU backends the process's
//! peak resident set (`VmHWM`, Linux), which includes the program itself.

use std::process::Command;
use std::time::Instant;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use flowood::backend::{compiled_backends, default_threads, parse_device};
use flowood::glow::{Glow, GlowConfig};
use flowood::host::map_on_threads;
use flowood::train::{AdamaxConfig, data_parallel, shard_count};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Images per batch unless `FLOWOOD_BENCH_BATCH` says otherwise (the reference figures' batch).
const DEFAULT_BATCH: usize = 64;
const WARMUP: usize = 2;
const LEARNING_RATE: f64 = 5e-4;
/// Set in the child process that measures one cell: `BACKEND:CONFIG:train|score`.
const CELL_ENV: &str = "FLOWOOD_BENCH_CELL";
/// Images per batch.
const BATCH_ENV: &str = "FLOWOOD_BENCH_BATCH";
/// Threads sharing the work.
const THREADS_ENV: &str = "FLOWOOD_BENCH_THREADS";

fn main() {
    // As the `flowood` binary does: glibc otherwise maps and unmaps every large buffer.
    flowood::host::keep_freed_memory();
    if let Ok(cell) = std::env::var(CELL_ENV) {
        run_cell(&cell);
        return;
    }
    println!(
        "| backend | config | batch | threads | train images/s | train peak MiB | score images/s | score peak MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let scaling = std::env::var("FLOWOOD_BENCH_SCALING").is_ok_and(|v| v == "1");
    for (name, device) in wanted_backends() {
        for key in config_keys() {
            let settings = match scaling {
                true => scaling_settings(&device),
                false => vec![(batch_size(), threads(&device))],
            };
            for (batch, threads) in settings {
                let train = measure_in_child(name, key, "train", batch, threads);
                let score = measure_in_child(name, key, "score", batch, threads);
                println!(
                    "| {name} | {} | {batch} | {threads} | {train} | {score} |",
                    config(key).0
                );
            }
        }
    }
}

/// The compiled backends `FLOWOOD_BENCH_BACKENDS` asks for (all by default) that start; a
/// table row for each that does not.
fn wanted_backends() -> Vec<(&'static str, Device)> {
    let wanted = std::env::var("FLOWOOD_BENCH_BACKENDS").ok();
    compiled_backends()
        .into_iter()
        .filter(|name| {
            wanted
                .as_ref()
                .is_none_or(|w| w.split(',').any(|b| b == *name))
        })
        .filter_map(|name| match parse_device(name) {
            Ok(device) => Some((name, device)),
            Err(e) => {
                println!("| {name} | - | - | - | {e} | | | |");
                None
            }
        })
        .collect()
}

/// (batch, threads) of the scaling table: 1, 2 and all threads, each with every batch of
/// `FLOWOOD_BENCH_BATCHES`.
fn scaling_settings(device: &Device) -> Vec<(usize, usize)> {
    let batches = std::env::var("FLOWOOD_BENCH_BATCHES").unwrap_or_else(|_| "16,64,256".into());
    let batches: Vec<usize> = batches
        .split(',')
        .map(|b| match b.trim().parse() {
            Ok(n) if n > 0 => n,
            _ => panic!("FLOWOOD_BENCH_BATCHES must be positive integers, got {b:?}"),
        })
        .collect();
    let mut thread_counts = vec![1, 2, default_threads(device)];
    thread_counts.sort_unstable();
    thread_counts.dedup();
    thread_counts
        .into_iter()
        .flat_map(|t| batches.iter().map(move |&b| (b, t)))
        .collect()
}

/// The configurations `FLOWOOD_BENCH_CONFIG` asks for.
fn config_keys() -> Vec<&'static str> {
    match std::env::var("FLOWOOD_BENCH_CONFIG").as_deref() {
        Ok("paper") => vec!["paper"],
        Ok("all") => vec!["small", "paper"],
        _ => vec!["small"],
    }
}

fn config(key: &str) -> (&'static str, GlowConfig) {
    match key {
        "paper" => ("paper RGB 3x32x32 L3 K32 h512", GlowConfig::paper(3)),
        _ => ("small grey 1x32x32 L3 K8 h128", GlowConfig::small(1)),
    }
}

/// Runs one cell in a fresh process with `batch` images per batch on `threads` threads; its
/// two table columns (images/s, peak MiB).
fn measure_in_child(backend: &str, key: &str, kind: &str, batch: usize, threads: usize) -> String {
    let exe = std::env::current_exe().expect("the benchmark knows its own path");
    let out = Command::new(exe)
        .env(CELL_ENV, format!("{backend}:{key}:{kind}"))
        .env(BATCH_ENV, batch.to_string())
        .env(THREADS_ENV, threads.to_string())
        .output()
        .expect("the benchmark can start itself");
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.lines().last() {
        Some(line) if out.status.success() => line.to_string(),
        _ => format!("failed: {} |", String::from_utf8_lossy(&out.stderr).trim()),
    }
}

/// Measures one cell in this process and prints its two table columns.
fn run_cell(cell: &str) {
    let parts: Vec<&str> = cell.split(':').collect();
    let [backend, key, kind] = parts[..] else {
        panic!("{CELL_ENV} must be BACKEND:CONFIG:KIND, got {cell}");
    };
    let device = parse_device(backend).unwrap_or_else(|e| panic!("{e}"));
    let steps = env_usize("FLOWOOD_BENCH_STEPS", 10);
    let config = config(key).1;
    let measured = match kind {
        "train" => train_images_per_second(&device, &config, steps, threads(&device)),
        _ => score_images_per_second(&device, &config, steps, threads(&device)),
    };
    println!(
        "{:.1} | {}",
        measured.images_per_second,
        mib(measured.peak_bytes)
    );
}

/// Training threads on `device`: `FLOWOOD_BENCH_THREADS`, else the CLI's default.
fn threads(device: &Device) -> usize {
    env_usize(THREADS_ENV, default_threads(device))
}

/// Images per batch: `FLOWOOD_BENCH_BATCH`, else [`DEFAULT_BATCH`].
fn batch_size() -> usize {
    match env_usize(BATCH_ENV, DEFAULT_BATCH) {
        0 => panic!("FLOWOOD_BENCH_BATCH must be at least 1"),
        n => n,
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A batch of uniform values in the model's input range (throughput does not depend on content).
fn batch(config: &GlowConfig, seed: u64, device: &Device) -> Tensor<4> {
    let mut rng = StdRng::seed_from_u64(seed);
    let shape = [
        batch_size(),
        config.in_channels,
        config.image_size,
        config.image_size,
    ];
    let values: Vec<f32> = (0..shape.iter().product())
        .map(|_| rng.random_range(-0.5..0.5))
        .collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn model(config: &GlowConfig, device: &Device) -> Glow {
    let glow = config.init(device, 0).expect("valid preset");
    glow.initialize(&[batch(config, 1, device)])
        .expect("valid batch")
}

fn train_images_per_second(
    device: &Device,
    config: &GlowConfig,
    steps: usize,
    threads: usize,
) -> Measured {
    let recompute = std::env::var("FLOWOOD_BENCH_RECOMPUTE").is_ok_and(|v| v == "1");
    // Initialised without a graph: data-dependent init on the autodiff device would hold a
    // whole forward pass's activations.
    let mut glow = model(config, device).train();
    let device = device.clone().autodiff();
    let mut optim = AdamaxConfig::new().init();
    let x = batch(config, 2, &device);
    let shards = shard_count(threads, &[batch_size()]);
    measure(&device, steps, 1, || {
        let pass = data_parallel(&glow, x.clone().chunk(shards, 0), recompute, |glow, x| {
            glow.log_likelihood(x).map(|ll| (ll.nll().mean(), ()))
        })
        .expect("valid batch");
        glow = optim.step(LEARNING_RATE, glow.clone(), pass.grads);
        assert!(pass.loss.is_finite(), "training diverged in the benchmark");
    })
}

/// Scoring `threads` batches at once, one thread each, as `flowood score` and `eval` do.
fn score_images_per_second(
    device: &Device,
    config: &GlowConfig,
    steps: usize,
    threads: usize,
) -> Measured {
    let glow = model(config, device).valid();
    let x = batch(config, 3, device);
    let score = || {
        let total = glow.log_likelihood(x.clone()).expect("valid batch").total;
        let _ = total.into_data();
    };
    measure(device, steps, threads, || {
        map_on_threads(vec![(); threads], |()| score());
    })
}

/// Throughput and peak memory of one benchmark cell.
struct Measured {
    images_per_second: f64,
    peak_bytes: Option<u64>,
}

/// Runs `step` (`batches` batches) for the warm-up and `steps` timed rounds (each waits for
/// the device to finish); median rate in images/s, and the peak memory seen.
fn measure(device: &Device, steps: usize, batches: usize, mut step: impl FnMut()) -> Measured {
    let mut peak = None;
    let mut run = || {
        step();
        device.sync().expect("the device finishes its work");
        peak = peak.max(memory_in_use(device));
    };
    (0..WARMUP).for_each(|_| run());
    let mut rates: Vec<f64> = (0..steps.max(1))
        .map(|_| {
            let start = Instant::now();
            run();
            (batch_size() * batches) as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    Measured {
        images_per_second: rates[rates.len() / 2],
        peak_bytes: peak,
    }
}

/// Bytes the device's allocator reserves (GPU backends), else the process's peak resident set.
fn memory_in_use(device: &Device) -> Option<u64> {
    match device.memory_pool_usage() {
        Some(usage) => Some(usage.bytes_reserved),
        None => peak_rss(),
    }
}

/// `VmHWM` of this process in bytes (Linux), if readable.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "n/a".into(),
        |b| format!("{:.0}", b as f64 / (1 << 20) as f64),
    )
}
