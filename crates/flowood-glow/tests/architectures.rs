//! The local and dense Glow (docs/method.md, "Local and dense Glow"): invertibility, the
//! per-scale decomposition, the local Glow as a sum over tiles, persistence and validation
//! (f32 on the CPU backend).

mod common;

use burn::tensor::{Device, Tensor};
use common::{safetensors_header, tiny};
use flowood_flows::testing::{max_abs_diff, perturb_parameters, random_batch, relative_diff};
use flowood_flows::to_host;
use flowood_glow::{Architecture, Glow, GlowConfig, GlowError, PriorKind};

const NOISE: f64 = 0.02;

/// The tiny configuration with `architecture`: a local Glow on 16x16 images cut into four
/// 8x8 tiles, a dense Glow on 8x8 images (both L = 2, K = 3, hidden 8).
fn config(architecture: Architecture) -> GlowConfig {
    let size = match architecture {
        Architecture::Local { patch } => 2 * patch,
        _ => 8,
    };
    GlowConfig {
        image_size: size,
        architecture,
        ..tiny(PriorKind::ActNormGaussian)
    }
}

const LOCAL: Architecture = Architecture::Local { patch: 8 };
const BOTH: [Architecture; 2] = [LOCAL, Architecture::Dense];

fn images(config: &GlowConfig, n: usize, seed: u64) -> Tensor<4> {
    let s = config.image_size;
    random_batch([n, 1, s, s], seed, 0.0, &Device::flex())
}

/// An initialised, perturbed model of `architecture`.
fn model(architecture: Architecture) -> Glow {
    let config = config(architecture);
    let glow = config.init(&Device::flex(), 1).unwrap();
    let glow = glow.initialize(&[images(&config, 32, 2)]).unwrap();
    perturb_parameters(glow, NOISE, 4)
}

#[test]
fn decode_inverts_encode_and_latents_have_the_conv_glows_shapes() {
    for architecture in BOTH {
        let glow = model(architecture);
        let x = images(&glow.config, 3, 5);
        let latents = glow.encode(x.clone()).unwrap();
        let shapes: Vec<[usize; 4]> = latents.iter().map(|z| z.dims()).collect();
        let s = glow.config.image_size;
        assert_eq!(shapes, vec![[3, 2, s / 2, s / 2], [3, 8, s / 4, s / 4]]);
        let err = max_abs_diff(glow.decode(&latents).unwrap(), x);
        assert!(err < 1e-5, "{architecture:?}: reconstruction error {err}");
    }
}

#[test]
fn per_scale_terms_sum_exactly_to_the_total() {
    for architecture in BOTH {
        let glow = model(architecture);
        let ll = glow
            .log_likelihood(images(&glow.config, 4, 6))
            .unwrap()
            .to_host();
        for b in 0..ll.len() {
            let lp: Vec<f32> = ll.scales.iter().map(|s| s.lp[b] as f32).collect();
            assert_eq!(lp[0] + lp[1], ll.total[b] as f32, "{architecture:?}");
            for s in &ll.scales {
                let sum =
                    (s.flow_logdet[b] as f32 + s.prior_logdet[b] as f32) + s.gaussian[b] as f32;
                assert_eq!(sum, s.lp[b] as f32, "{architecture:?}");
            }
        }
    }
}

#[test]
fn a_local_glow_scores_an_image_as_the_sum_of_its_tiles() {
    // The same weights in a convolutional Glow on 8x8 images score each tile alone.
    let local = model(LOCAL);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bpk");
    local.save(&path).unwrap();
    let tile_model = GlowConfig {
        image_size: 8,
        architecture: Architecture::Conv,
        ..local.config.clone()
    }
    .init(&Device::flex(), 9)
    .unwrap()
    .load_weights(&path)
    .unwrap();

    let x = images(&local.config, 2, 7);
    let image = local.log_likelihood(x.clone()).unwrap().to_host();
    for b in 0..2 {
        let mut per_scale = [0.0; 2];
        for (r, c) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let tile = x
                .clone()
                .slice([b..b + 1, 0..1, 8 * r..8 * r + 8, 8 * c..8 * c + 8]);
            let ll = tile_model.log_likelihood(tile).unwrap().to_host();
            for (sum, scale) in per_scale.iter_mut().zip(&ll.scales) {
                *sum += scale.lp[0];
            }
        }
        for (i, sum) in per_scale.iter().enumerate() {
            let found = image.scales[i].lp[b];
            assert!(
                relative_diff(*sum, found) < 1e-5,
                "image {b}, scale {i}: {found} vs sum over tiles {sum}"
            );
        }
    }
}

#[test]
fn a_local_glow_ignores_where_its_tiles_are() {
    // Swapping two tiles of an image leaves log p unchanged: only local statistics count.
    let glow = model(LOCAL);
    let x = images(&glow.config, 1, 8);
    let left = x.clone().slice([0..1, 0..1, 0..16, 0..8]);
    let right = x.clone().slice([0..1, 0..1, 0..16, 8..16]);
    let swapped = Tensor::cat(vec![right, left], 3);
    let a = to_host(glow.log_likelihood(x).unwrap().total)[0];
    let b = to_host(glow.log_likelihood(swapped).unwrap().total)[0];
    assert!(relative_diff(a, b) < 1e-6, "{a} vs {b}");
}

#[test]
fn save_load_and_safetensors_round_trips_are_bit_identical() {
    for architecture in BOTH {
        let glow = model(architecture);
        let x = images(&glow.config, 3, 11);
        let expected = glow.log_likelihood(x.clone()).unwrap().to_host();
        let dir = tempfile::tempdir().unwrap();

        let path = dir.path().join("model.bpk");
        glow.save(&path).unwrap();
        let loaded = Glow::load(&path, &Device::flex()).unwrap();
        assert_eq!(loaded.config, glow.config);
        assert!(loaded.is_initialized());
        let found = loaded.log_likelihood(x.clone()).unwrap().to_host();
        assert_eq!(found, expected, "{architecture:?}");

        let st = dir.path().join("model.safetensors");
        glow.export_safetensors(&st).unwrap();
        let imported = glow
            .config
            .init(&Device::flex(), 99)
            .unwrap()
            .import_safetensors(&st)
            .unwrap();
        let found = imported.log_likelihood(x).unwrap().to_host();
        assert_eq!(found, expected, "{architecture:?}");
    }
}

/// A dense Glow's mixing matrices take minutes to compute at colour sizes (a QR decomposition
/// each); the ones a load replaces must never be computed.
#[test]
fn loading_a_dense_glow_never_computes_the_mixings_it_replaces() {
    let glow = model(Architecture::Dense);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bpk");
    glow.save(&path).unwrap();
    let fresh = glow.config.init(&Device::flex(), 7).unwrap();
    // A clone shares the lazy state: computing the original would initialise it too.
    let probe = fresh.scales[0].dense_steps[0].mix.weight.clone();
    let loaded = fresh.load_weights(&path).unwrap();
    assert!(
        !probe.is_initialized(),
        "loading computed a mixing it replaced"
    );
    let mixing = |g: &Glow| g.scales[0].dense_steps[0].mix.weight.val().into_data();
    assert_eq!(mixing(&loaded), mixing(&glow));
}

#[test]
fn dense_safetensors_names_are_the_documented_ones() {
    let glow = model(Architecture::Dense);
    let dir = tempfile::tempdir().unwrap();
    let header = safetensors_header(&glow, dir.path());
    for (name, shape) in [
        ("levels.0.dense_steps.0.actnorm.bias", vec![1, 64, 1, 1]),
        ("levels.0.dense_steps.2.mix.weight", vec![64, 64]),
        ("levels.1.dense_steps.1.mix.weight", vec![32, 32]),
        (
            "levels.0.dense_steps.0.coupling.net.conv_in.weight",
            vec![8, 32, 1, 1],
        ),
        (
            "levels.0.dense_steps.0.coupling.net.conv_out.weight",
            vec![64, 8, 1, 1],
        ),
        ("priors.0.actnorm.bias", vec![1, 2, 4, 4]),
    ] {
        let found = header
            .get(name)
            .and_then(|t| t.get("shape"))
            .unwrap_or_else(|| panic!("missing {name}"));
        assert_eq!(found, &serde_json::json!(shape), "{name}");
    }
    assert!(
        !header.keys().any(|k| k.contains(".steps.")),
        "no conv steps"
    );
}

#[test]
fn a_file_with_a_non_orthogonal_mixing_is_refused() {
    let mut glow = model(Architecture::Dense);
    let mix = &mut glow.scales[0].dense_steps[1].mix;
    mix.weight = burn::module::Param::from_tensor(mix.weight.val().mul_scalar(2.0));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bpk");
    glow.save(&path).unwrap();
    let err = Glow::load(&path, &Device::flex()).unwrap_err();
    let GlowError::InvalidWeights { tensor, .. } = err else {
        panic!("expected InvalidWeights, got {err}");
    };
    assert_eq!(tensor, "scales.0.dense_steps.1.mix.weight");
}

#[test]
fn bad_patch_sizes_are_typed_errors() {
    let device = Device::flex();
    // 6 does not divide 16; 4 is not divisible by 2^3; 32 is larger than the image; 0.
    for (patch, levels) in [(6, 2), (4, 3), (32, 2), (0, 2)] {
        let bad = GlowConfig {
            image_size: 16,
            levels,
            architecture: Architecture::Local { patch },
            ..tiny(PriorKind::ActNormGaussian)
        };
        assert!(
            matches!(
                bad.init(&device, 0),
                Err(GlowError::PatchSize { patch: p, size: 16, .. }) if p == patch
            ),
            "patch {patch}, levels {levels}"
        );
    }
}

#[test]
fn model_files_without_an_architecture_are_conv_glows() {
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/fashion32/model.json"
    );
    let json = std::fs::read_to_string(shipped).unwrap();
    assert!(
        !json.contains("architecture"),
        "the shipped file predates the field"
    );
    let old: GlowConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(old.architecture, Architecture::Conv);
    old.validate().unwrap();
    let shipped: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        serde_json::to_value(&old).unwrap(),
        shipped,
        "a conv model's JSON is unchanged"
    );
    let written = serde_json::to_value(config(LOCAL)).unwrap();
    assert_eq!(
        written["architecture"],
        serde_json::json!({"kind": "local", "patch": 8})
    );
}

#[test]
fn a_zero_class_head_changes_nothing_on_local_and_dense_glows() {
    for architecture in BOTH {
        let glow = model(architecture);
        let zero = glow.clone().with_class_head(3).unwrap();
        let x = images(&glow.config, 4, 12);
        assert_eq!(
            zero.log_likelihood(x.clone()).unwrap().to_host(),
            glow.log_likelihood(x).unwrap().to_host(),
            "{architecture:?}"
        );
        let samples = |g: &Glow| to_host(g.sample(2, 0.7, 13).unwrap().flatten::<1>(0, 3));
        assert_eq!(samples(&zero), samples(&glow), "{architecture:?}");
    }
}
