//! A saved detector's `detector.json` fed a few hundred mutations: no panic, every error names
//! the file, no load allocates out of proportion; a detector that loads also flags images
//! without panicking. (The model files beside it are fuzzed in flowood-glow.)

mod common;

use std::path::Path;

use burn::tensor::Device;
use common::{random_pixels, tiny_glow};
use flowood_data::ImageSet;
use flowood_host::fuzz::{CountingAllocator, fuzz_file};
use flowood_scores::{DETECTOR_FILE, Detector, Score};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

/// `n` random grey 8x8 images as a set.
fn images(n: usize, seed: u64) -> ImageSet {
    let pixels = random_pixels(n, seed);
    ImageSet::new(pixels.data().to_vec(), pixels.shape(), None).unwrap()
}

#[test]
fn detector_json_survives_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let mut detector = Detector::new(tiny_glow(1), Some(tiny_glow(2)), Score::Ratio).unwrap();
    detector.calibrate(&images(32, 3), 0.95, None).unwrap();
    detector.save(dir.path()).unwrap();
    let file = dir.path().join(DETECTOR_FILE);
    let seed = std::fs::read(&file).unwrap();
    let probe = images(4, 4);
    let campaign = fuzz_file("detector.json", &[seed], 256, 300, &file, |_: &Path| {
        let detector = Detector::load(dir.path(), &Device::flex()).map_err(|e| e.to_string())?;
        // A file left without its calibration loads, and then refuses to predict: the
        // detector's state, not the file, is at fault there.
        Ok(detector.predict(&probe).map_or(0, |p| p.len()))
    });
    println!("{}", campaign.summary());
    for f in &campaign.findings {
        println!("  input {} ({:?}): {}", f.input, f.mutations, f.problem);
    }
    assert!(campaign.findings.is_empty(), "{}", campaign.summary());
}
