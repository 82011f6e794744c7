//! The whole Glow's flow log-det equals log|det J| of x -> latents (f64, central differences).
//!
//! Squeeze and split only permute coordinates, so for the map from an image to its
//! concatenated latents `log |det J| = sum_i F_i`, and with the paper prior's ActNorms
//! applied as well, `sum_i (F_i + A_i)`.

use burn::tensor::{Device, FloatDType, Tensor};
use flowood_flows::check::{numerical_logdet, relative_diff};
use flowood_flows::param_init::{host_tensor, to_host};
use flowood_flows::{InvertibleLayer, perturb_parameters};
use flowood_glow::{CouplingKind, GlowConfig, PriorKind, ScalePrior};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn images(n: usize, seed: u64, device: &Device) -> Tensor<4> {
    let mut rng = StdRng::seed_from_u64(seed);
    host_tensor(
        (0..n * 64).map(|_| rng.random_range(-0.5..0.5)).collect(),
        [n, 1, 8, 8],
        device,
    )
}

#[test]
fn glow_logdet_matches_the_full_jacobian() {
    let mut device = Device::flex();
    device.configure(FloatDType::F64).unwrap();
    let config = GlowConfig {
        in_channels: 1,
        image_size: 8,
        levels: 2,
        steps_per_level: 3,
        hidden_channels: 8,
        coupling: CouplingKind::Affine,
        prior: PriorKind::ActNormGaussian,
    };
    let glow = config
        .init(&device, 1)
        .unwrap()
        .initialize(&[images(32, 2, &device)])
        .unwrap();
    let glow = perturb_parameters(glow, 0.02, 3);
    let x = images(1, 4, &device);

    let ll = glow.log_likelihood(x.clone()).unwrap().to_host();
    let flow: f64 = ll.scales.iter().map(|s| s.flow_logdet[0]).sum();
    let with_prior: f64 = ll
        .scales
        .iter()
        .map(|s| s.flow_logdet[0] + s.prior_logdet[0])
        .sum();

    let latents = |b: Tensor<4>| {
        Tensor::cat(
            glow.encode(b)
                .unwrap()
                .into_iter()
                .map(|z| z.flatten(1, 3))
                .collect(),
            1,
        )
    };
    let numeric = numerical_logdet(latents, &x, 1e-5);
    assert!(
        relative_diff(flow, numeric) < 1e-4,
        "sum F_i {flow} vs Jacobian {numeric}"
    );

    let normalised = |b: Tensor<4>| {
        let parts = glow
            .encode(b)
            .unwrap()
            .into_iter()
            .zip(&glow.priors)
            .map(|(z, p)| match p {
                ScalePrior::ActNorm(a) => a.actnorm.forward(z).output.flatten(1, 3),
                _ => unreachable!("paper prior"),
            });
        Tensor::cat(parts.collect(), 1)
    };
    let numeric = numerical_logdet(normalised, &x, 1e-5);
    assert!(
        relative_diff(with_prior, numeric) < 1e-4,
        "sum F_i + A_i {with_prior} vs Jacobian {numeric}"
    );
    assert!(to_host(glow.log_likelihood(x).unwrap().total)[0].is_finite());
}
