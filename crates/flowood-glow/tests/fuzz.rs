//! Model files fed a few thousand mutations of a real saved model: the burnpack weights (with
//! a model.json without checksum, so that the mutated weights reach the parser), the model.json
//! configuration, and exported safetensors. No panic, every error names the file, no load
//! allocates more than a few times the file; a model that loads also scores images without
//! panicking.

mod common;

use std::path::Path;

use burn::tensor::Device;
use common::{images, saved_tiny};
use flowood_glow::{CHECKSUM_KEY, Glow, GlowConfig, GlowError, config_path};
use flowood_host::fuzz::{Campaign, CountingAllocator, fuzz_file};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

/// Scores a few images with a model that loaded (the weights' bytes, as the output size).
fn scored(glow: Result<Glow, GlowError>) -> Result<usize, String> {
    let glow = glow.map_err(|e| e.to_string())?;
    let values = glow
        .log_likelihood(images(4, 2, &Device::flex()))
        .map_err(|e| e.to_string())?
        .to_host();
    assert_eq!(values.len(), 4);
    Ok(4 * glow.config.parameter_estimate().unwrap_or(0))
}

fn campaign(
    name: &str,
    seed: Vec<u8>,
    header: usize,
    inputs: usize,
    file: &Path,
    parse: impl FnMut(&Path) -> Result<usize, String>,
) -> Campaign {
    let campaign = fuzz_file(name, &[seed], header, inputs, file, parse);
    println!("{}", campaign.summary());
    for f in &campaign.findings {
        println!("  input {} ({:?}): {}", f.input, f.mutations, f.problem);
    }
    campaign
}

fn assert_clean(campaign: &Campaign) {
    assert!(campaign.findings.is_empty(), "{}", campaign.summary());
}

#[test]
fn burnpack_weights_survive_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = saved_tiny(dir.path(), 7);
    // Without the checksum (files saved before it existed), the weights reach the parser.
    let json = std::fs::read_to_string(config_path(&path)).unwrap();
    let mut config: serde_json::Value = serde_json::from_str(&json).unwrap();
    config.as_object_mut().unwrap().remove(CHECKSUM_KEY);
    std::fs::write(config_path(&path), config.to_string()).unwrap();
    let seed = std::fs::read(&path).unwrap();
    assert_clean(&campaign("burnpack", seed, 256, 600, &path, |p| {
        scored(Glow::load(p, &Device::flex()))
    }));
}

#[test]
fn model_json_survives_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = saved_tiny(dir.path(), 7);
    let seed = std::fs::read(config_path(&path)).unwrap();
    assert_clean(&campaign(
        "model.json",
        seed,
        256,
        400,
        &config_path(&path),
        |_| scored(Glow::load(&path, &Device::flex())),
    ));
}

#[test]
fn safetensors_survive_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let (glow, _) = saved_tiny(dir.path(), 7);
    let path = dir.path().join("model.safetensors");
    glow.export_safetensors(&path).unwrap();
    let seed = std::fs::read(&path).unwrap();
    let config: GlowConfig = glow.config.clone();
    assert_clean(&campaign("safetensors", seed, 256, 600, &path, |p| {
        let fresh = config.init(&Device::flex(), 0).map_err(|e| e.to_string())?;
        scored(fresh.import_safetensors(p))
    }));
}
