//! Model files written by an earlier version of flowood keep loading and give the same
//! log-likelihood: the burnpack files (`Glow::load`) and the safetensors exports
//! (`Glow::import_safetensors`) in `tests/fixtures/`, for both priors.
//!
//! The files hold a 1x8x8 Glow with L = 2, K = 1 and 4 hidden channels (seed 11, initialised
//! on `random_batch([16, 1, 8, 8], 12, 0.0)`, parameters perturbed by 0.02 with seed 13); the
//! expected values are its per-scale contributions on [`input`], computed when the files were
//! written.

use std::path::PathBuf;

use burn::tensor::{Device, Tensor};
use flowood_flows::testing::random_batch;
use flowood_glow::{Glow, GlowConfig, LogLikelihoodValues};

/// Expected `lp_1`, `lp_2` per image (nats) of the ActNorm-prior model.
const ACTNORM: [[f64; 3]; 2] = [
    [32.88679504394531, 27.72266387939453, 27.67914581298828],
    [-47.78709030151367, -46.43375778198242, -36.118865966796875],
];

/// Expected `lp_1`, `lp_2` per image (nats) of the conditional-prior model.
const CONDITIONAL: [[f64; 3]; 2] = [
    [30.66998291015625, 28.634506225585938, 30.375595092773438],
    [-48.921653747558594, -45.00690460205078, -36.92268371582031],
];

/// Largest allowed difference in nats (the values are f32 sums).
const TOLERANCE: f64 = 1e-4;

/// The three images the expected values were computed on.
fn input(device: &Device) -> Tensor<4> {
    random_batch([3, 1, 8, 8], 14, 0.0, device)
}

/// The fixture `name.extension`.
fn fixture(name: &str, extension: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.{extension}"))
}

fn assert_matches(what: &str, ll: &LogLikelihoodValues, expected: &[[f64; 3]; 2]) {
    assert_eq!(ll.scales.len(), expected.len(), "{what}: number of scales");
    for (i, (scale, lp)) in ll.scales.iter().zip(expected).enumerate() {
        for (b, (got, want)) in scale.lp.iter().zip(lp).enumerate() {
            assert!(
                (got - want).abs() < TOLERANCE,
                "{what}: lp_{} of image {b} is {got}, was {want}",
                i + 1
            );
        }
    }
    for (b, total) in ll.total.iter().enumerate() {
        let want: f64 = expected.iter().map(|lp| lp[b]).sum();
        assert!(
            (total - want).abs() < TOLERANCE,
            "{what}: total of image {b}"
        );
    }
}

/// Loads each fixture model with `load` and checks its values.
fn check_every_model(load: impl Fn(&str, &Device) -> Glow) {
    let device = Device::flex();
    for (name, expected) in [
        ("tiny-actnorm", &ACTNORM),
        ("tiny-conditional", &CONDITIONAL),
    ] {
        let glow = load(name, &device);
        assert!(
            glow.is_initialized(),
            "{name}: loaded models are initialised"
        );
        let ll = glow.log_likelihood(input(&device)).unwrap();
        assert_matches(name, &ll.to_host(), expected);
    }
}

#[test]
fn burnpack_files_of_both_priors_load_with_their_values() {
    check_every_model(|name, device| Glow::load(&fixture(name, "bpk"), device).unwrap());
}

#[test]
fn safetensors_exports_of_both_priors_import_with_their_values() {
    check_every_model(|name, device| {
        let json = std::fs::read_to_string(fixture(name, "json")).unwrap();
        let config: GlowConfig = serde_json::from_str(&json).unwrap();
        config
            .init(device, 0)
            .unwrap()
            .import_safetensors(&fixture(name, "safetensors"))
            .unwrap()
    });
}
