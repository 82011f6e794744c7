//! The whole Glow's flow log-det equals log|det J| of x -> latents (f64, central differences).
//!
//! Squeeze and split only permute coordinates, so for the map from an image to its
//! concatenated latents `log |det J| = sum_i F_i`, and with the paper prior's ActNorms
//! applied as well, `sum_i (F_i + A_i)`.

mod common;

use std::sync::OnceLock;

use burn::tensor::{Device, FloatDType, Tensor};
use common::{images, tiny};
use flowood_flows::InvertibleLayer;
use flowood_flows::testing::perturb_parameters;
use flowood_flows::testing::{numerical_logdet, relative_diff};
use flowood_flows::to_host;
use flowood_glow::{Architecture, Glow, GlowConfig, PriorKind, ScalePrior};

/// The f64 CPU device (configured once per process, before any tensor).
fn f64_device() -> Device {
    static DEVICE: OnceLock<Device> = OnceLock::new();
    DEVICE
        .get_or_init(|| {
            let mut device = Device::flex();
            device.configure(FloatDType::F64).unwrap();
            device
        })
        .clone()
}

/// A Glow of `config`, initialised on real images, its parameters moved off their initial
/// values (where log-det bugs can hide).
fn perturbed(config: GlowConfig, device: &Device) -> Glow {
    let glow = config
        .init(device, 1)
        .unwrap()
        .initialize(&[images(32, 2, device)])
        .unwrap();
    perturb_parameters(glow, 0.02, 3)
}

/// All latents of `b`, flattened and concatenated per image.
fn latent_vector(glow: &Glow, b: Tensor<4>) -> Tensor<2> {
    let parts = glow.encode(b).unwrap().into_iter();
    Tensor::cat(parts.map(|z| z.flatten(1, 3)).collect(), 1)
}

#[test]
fn glow_logdet_matches_the_full_jacobian() {
    let device = f64_device();
    let glow = perturbed(tiny(PriorKind::ActNormGaussian), &device);
    let x = images(1, 4, &device);

    let ll = glow.log_likelihood(x.clone()).unwrap().to_host();
    let flow: f64 = ll.scales.iter().map(|s| s.flow_logdet[0]).sum();
    let with_prior: f64 = ll
        .scales
        .iter()
        .map(|s| s.flow_logdet[0] + s.prior_logdet[0])
        .sum();

    let numeric = numerical_logdet(|b| latent_vector(&glow, b), &x, 1e-5);
    assert!(
        relative_diff(flow, numeric) < 1e-4,
        "sum F_i {flow} vs Jacobian {numeric}"
    );

    let normalised =
        |b: Tensor<4>| {
            let parts =
                glow.encode(b).unwrap().into_iter().zip(&glow.scales).map(
                    |(z, scale)| match &scale.prior {
                        ScalePrior::ActNorm(a) => a.actnorm.forward(z).output.flatten(1, 3),
                        _ => unreachable!("paper prior"),
                    },
                );
            Tensor::cat(parts.collect(), 1)
        };
    let numeric = numerical_logdet(normalised, &x, 1e-5);
    assert!(
        relative_diff(with_prior, numeric) < 1e-4,
        "sum F_i + A_i {with_prior} vs Jacobian {numeric}"
    );
    assert!(to_host(glow.log_likelihood(x).unwrap().total)[0].is_finite());
}

/// `sum_i F_i` of a local Glow (8x8 images in four 4x4 tiles, L = 2) and of a dense Glow
/// (8x8, L = 2) against the Jacobian of x -> latents: the tiling only permutes coordinates.
#[test]
fn local_and_dense_glow_logdets_match_the_full_jacobian() {
    let device = f64_device();
    for architecture in [Architecture::Local { patch: 4 }, Architecture::Dense] {
        let config = GlowConfig {
            architecture,
            ..tiny(PriorKind::ActNormGaussian)
        };
        let glow = perturbed(config, &device);
        let x = images(1, 4, &device);
        let ll = glow.log_likelihood(x.clone()).unwrap().to_host();
        let flow: f64 = ll.scales.iter().map(|s| s.flow_logdet[0]).sum();
        let numeric = numerical_logdet(|b| latent_vector(&glow, b), &x, 1e-5);
        assert!(
            relative_diff(flow, numeric) < 1e-4,
            "{architecture:?}: sum F_i {flow} vs Jacobian {numeric}"
        );
    }
}
