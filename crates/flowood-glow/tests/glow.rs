//! The whole multiscale Glow: invertibility, the per-scale decomposition, persistence,
//! sampling and input validation (f32 on the CPU backend).

mod common;

use burn::tensor::{Device, Tensor};
use common::{images, safetensors_header, tiny};
use flowood_flows::testing::max_abs_diff;
use flowood_flows::testing::perturb_parameters;
use flowood_flows::to_host;
use flowood_glow::{Glow, GlowConfig, GlowError, PriorKind};

const NOISE: f64 = 0.02;

/// An initialised, perturbed tiny Glow.
fn model(prior: PriorKind) -> Glow {
    let device = Device::flex();
    let glow = tiny(prior).init(&device, 1).unwrap();
    let glow = glow
        .initialize(&[images(16, 2, &device), images(16, 3, &device)])
        .unwrap();
    perturb_parameters(glow, NOISE, 4)
}

#[test]
fn decode_inverts_encode() {
    for prior in [PriorKind::ActNormGaussian, PriorKind::ConditionalSplit] {
        let glow = model(prior);
        let x = images(4, 5, &glow.device());
        let latents = glow.encode(x.clone()).unwrap();
        let shapes: Vec<_> = latents.iter().map(|z| z.dims()).collect();
        assert_eq!(shapes, vec![[4, 2, 4, 4], [4, 8, 2, 2]]);
        let err = max_abs_diff(glow.decode(&latents).unwrap(), x);
        assert!(err < 1e-5, "{prior:?}: reconstruction error {err}");
    }
}

#[test]
fn per_scale_terms_sum_exactly_to_the_total() {
    let glow = model(PriorKind::ActNormGaussian);
    let ll = glow
        .log_likelihood(images(6, 6, &glow.device()))
        .unwrap()
        .to_host();
    assert_eq!(ll.len(), 6);
    for b in 0..ll.len() {
        // Device sums are f32: redo them in f32, in the same order, and demand equality.
        let lp: Vec<f32> = ll.scales.iter().map(|s| s.lp[b] as f32).collect();
        assert_eq!(
            lp.iter().skip(1).fold(lp[0], |a, v| a + v),
            ll.total[b] as f32
        );
        for s in &ll.scales {
            let sum = (s.flow_logdet[b] as f32 + s.prior_logdet[b] as f32) + s.gaussian[b] as f32;
            assert_eq!(sum, s.lp[b] as f32);
        }
        let bpd = 8.0 - ll.total[b] / (64.0 * std::f64::consts::LN_2);
        assert!((bpd - ll.bits_per_dim[b]).abs() < 1e-4);
    }
}

#[test]
fn changing_the_last_scale_changes_only_its_contribution() {
    let glow = model(PriorKind::ActNormGaussian);
    let x = images(3, 7, &glow.device());
    let before = glow.log_likelihood(x.clone()).unwrap().to_host();
    let mut changed = glow.clone();
    let last = changed.scales.len() - 1;
    let scale = &mut changed.scales[last];
    scale.steps = perturb_parameters(scale.steps.clone(), 0.05, 8);
    scale.prior = perturb_parameters(scale.prior.clone(), 0.05, 9);
    let after = changed.log_likelihood(x).unwrap().to_host();
    assert_eq!(before.scales[0], after.scales[0]);
    assert_ne!(before.scales[last].lp, after.scales[last].lp);
    assert_ne!(before.total, after.total);
}

#[test]
fn gaussian_term_is_the_standard_normal_density_of_the_normalised_latent() {
    let glow = model(PriorKind::ActNormGaussian);
    let x = images(2, 10, &glow.device());
    let encoded = glow.encode_with_likelihood(x).unwrap();
    let ll = encoded.log_likelihood.to_host();
    for (i, z) in encoded.latents.into_iter().enumerate() {
        let flowood_glow::ScalePrior::ActNorm(prior) = &glow.scales[i].prior else {
            unreachable!()
        };
        let a = flowood_flows::InvertibleLayer::forward(&prior.actnorm, z);
        let d = a.output.dims()[1..].iter().product::<usize>();
        let values = to_host(a.output);
        for b in 0..2 {
            let sq: f64 = values[b * d..(b + 1) * d].iter().map(|v| v * v).sum();
            let expected = -0.5 * sq - 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln();
            assert!((expected - ll.scales[i].gaussian[b]).abs() < 1e-3 * expected.abs().max(1.0));
        }
    }
}

#[test]
fn save_load_and_safetensors_round_trips_are_bit_identical() {
    let glow = model(PriorKind::ActNormGaussian);
    let x = images(4, 11, &glow.device());
    let expected = glow.log_likelihood(x.clone()).unwrap().to_host();
    let dir = tempfile::tempdir().unwrap();

    let path = dir.path().join("model.bpk");
    glow.save(&path).unwrap();
    let loaded = Glow::load(&path, &Device::flex()).unwrap();
    assert_eq!(loaded.config, glow.config);
    assert!(loaded.is_initialized());
    assert_eq!(
        loaded.log_likelihood(x.clone()).unwrap().to_host(),
        expected
    );

    // A loaded model is never re-initialised: initialize() is a no-op on it.
    let reinit = loaded
        .initialize(&[images(8, 12, &Device::flex())])
        .unwrap();
    assert_eq!(
        reinit.log_likelihood(x.clone()).unwrap().to_host(),
        expected
    );

    let st = dir.path().join("model.safetensors");
    glow.export_safetensors(&st).unwrap();
    let fresh = glow.config.init(&Device::flex(), 99).unwrap();
    assert!(!fresh.is_initialized());
    let imported = fresh.import_safetensors(&st).unwrap();
    assert!(imported.is_initialized());
    assert_eq!(imported.log_likelihood(x).unwrap().to_host(), expected);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        3,
        "only model.bpk, model.json, model.safetensors: {leftovers:?}"
    );
}

#[test]
fn exporting_the_same_weights_twice_gives_the_same_bytes() {
    // The metadata (the configuration and the writer's own keys) comes from a hash map, whose
    // order changes between maps: a card's sha256 must not.
    let glow = model(PriorKind::ActNormGaussian);
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<Vec<u8>> = (0..4)
        .map(|i| {
            let path = dir.path().join(format!("model-{i}.safetensors"));
            glow.export_safetensors(&path).unwrap();
            std::fs::read(&path).unwrap()
        })
        .collect();
    assert!(files.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn safetensors_names_are_the_documented_ones() {
    let glow = model(PriorKind::ActNormGaussian);
    let dir = tempfile::tempdir().unwrap();
    let header = safetensors_header(&glow, dir.path());
    let names: Vec<&String> = header.keys().collect();
    for expected in [
        "levels.0.steps.0.actnorm.bias",
        "levels.0.steps.0.actnorm.initialized",
        "levels.0.steps.2.invconv.permutation",
        "levels.0.steps.2.invconv.log_s",
        "levels.1.steps.1.coupling.net.conv_in.weight",
        "levels.1.steps.1.coupling.net.conv_out.bias",
        "levels.1.steps.1.coupling.net.norm_hidden.log_scale",
        "levels.1.steps.1.coupling.net.out_logs",
        "priors.0.actnorm.bias",
        "priors.1.actnorm.log_scale",
    ] {
        assert!(
            names.iter().any(|n| *n == expected),
            "missing {expected} in {names:?}"
        );
    }
}

#[test]
fn importing_a_mismatched_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("big.safetensors");
    let mut bigger = tiny(PriorKind::ActNormGaussian);
    bigger.hidden_channels = 16;
    bigger
        .init(&Device::flex(), 0)
        .unwrap()
        .export_safetensors(&st)
        .unwrap();
    let err = tiny(PriorKind::ActNormGaussian)
        .init(&Device::flex(), 0)
        .unwrap()
        .import_safetensors(&st);
    assert!(matches!(err, Err(GlowError::Io { .. })));
    let missing = Glow::load(&dir.path().join("absent.bpk"), &Device::flex());
    assert!(matches!(missing, Err(GlowError::Io { .. })));
}

#[test]
fn samples_are_finite_and_shaped_like_images() {
    for prior in [PriorKind::ActNormGaussian, PriorKind::ConditionalSplit] {
        let glow = model(prior);
        let samples = glow.sample(5, 0.7, 13).unwrap();
        assert_eq!(samples.dims(), [5, 1, 8, 8]);
        assert!(to_host(samples).iter().all(|v| v.is_finite()));
    }
    assert!(matches!(
        model(PriorKind::ActNormGaussian).sample(0, 0.7, 0),
        Err(GlowError::InvalidArgument { .. })
    ));
}

#[test]
fn invalid_configurations_are_typed_errors() {
    let device = Device::flex();
    let mut bad = tiny(PriorKind::ActNormGaussian);
    bad.image_size = 12; // 12 is not divisible by 2^3
    bad.levels = 3;
    assert!(matches!(
        bad.init(&device, 0),
        Err(GlowError::ImageSizeNotDivisible {
            size: 12,
            levels: 3,
            factor: 8
        })
    ));
    let mut too_deep = tiny(PriorKind::ActNormGaussian);
    too_deep.levels = 4; // 8 / 2^4 < 1
    assert!(matches!(
        too_deep.init(&device, 0),
        Err(GlowError::ImageSizeNotDivisible { .. })
    ));
    let mut zero = tiny(PriorKind::ActNormGaussian);
    zero.hidden_channels = 0;
    assert!(matches!(
        zero.init(&device, 0),
        Err(GlowError::InvalidConfig {
            field: "hidden_channels",
            ..
        })
    ));
}

#[test]
fn wrong_input_shapes_are_typed_errors() {
    let glow = model(PriorKind::ActNormGaussian);
    let device = glow.device();
    let rgb = Tensor::<4>::zeros([2, 3, 8, 8], &device);
    assert!(matches!(
        glow.log_likelihood(rgb),
        Err(GlowError::Shape { .. })
    ));
    let small = Tensor::<4>::zeros([2, 1, 4, 4], &device);
    assert!(matches!(glow.encode(small), Err(GlowError::Shape { .. })));
    assert!(matches!(
        glow.decode(&[]),
        Err(GlowError::InvalidArgument { .. })
    ));
    let wrong = vec![
        Tensor::<4>::zeros([1, 2, 4, 4], &device),
        Tensor::<4>::zeros([1, 4, 2, 2], &device),
    ];
    assert!(matches!(glow.decode(&wrong), Err(GlowError::Shape { .. })));
}

#[test]
fn presets_match_the_paper() {
    let paper = GlowConfig::paper(3);
    assert_eq!(
        (paper.levels, paper.steps_per_level, paper.hidden_channels),
        (3, 32, 512)
    );
    assert_eq!(
        paper.latent_shapes(),
        vec![[6, 16, 16], [12, 8, 8], [48, 4, 4]]
    );
    assert_eq!(
        GlowConfig::small(1).latent_shapes(),
        vec![[2, 16, 16], [4, 8, 8], [16, 4, 4]]
    );
}
