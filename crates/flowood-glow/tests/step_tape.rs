//! Recomputing the flow steps one at a time ([`Glow::encode_taped`], [`StepTape::backward`])
//! gives the gradients of Burn's stored graph, for every architecture, prior and the class
//! head, and the same forward values bit for bit.

mod common;

use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::activation::softplus;
use burn::tensor::{Device, Tensor};
use common::{images, tiny};
use flowood_flows::testing::{assert_same_gradients, perturb_parameters};
use flowood_flows::to_host;
use flowood_glow::{Architecture, Encoded, Glow, PriorKind};

/// The tiny model of `architecture` and `prior` (with a class head if `classes`), initialised
/// on images, moved off its initial parameters and made trainable.
fn model(architecture: Architecture, prior: PriorKind, classes: bool) -> Glow {
    let device = Device::flex();
    let config = tiny(prior);
    let config = flowood_glow::GlowConfig {
        architecture,
        ..config
    };
    let glow = config.init(&device, 3).unwrap();
    let glow = glow.initialize(&[images(16, 4, &device)]).unwrap();
    let glow = match classes {
        true => glow.with_class_head(3).unwrap(),
        false => glow,
    };
    perturb_parameters(glow, 0.05, 6).train()
}

/// A loss that weighs the scales, the latents and the class log-likelihoods differently, so
/// that every leaf of the tape gets its own gradient.
fn loss(encoded: Encoded) -> Tensor<1> {
    let ll = encoded.log_likelihood;
    let last = ll.scales.last().unwrap().lp.clone();
    let mut loss = -ll.total.mean() + softplus(last.div_scalar(50.0), 1.0).mean();
    for (i, z) in encoded.latents.into_iter().enumerate() {
        loss = loss + (z.clone() * z).mean().mul_scalar(0.1 * (i + 1) as f64);
    }
    if let Some(classes) = encoded.class_log_likelihoods {
        loss = loss - classes.narrow(1, 0, 1).mean().mul_scalar(0.5);
    }
    loss
}

fn check(architecture: Architecture, prior: PriorKind, classes: bool) {
    let glow = model(architecture, prior, classes);
    let x = images(8, 9, &Device::flex()).autodiff();
    let what = format!("{architecture:?} {prior:?} classes {classes}");

    let stored = glow.encode_with_likelihood(x.clone()).unwrap();
    let stored_total = to_host(stored.log_likelihood.total.clone());
    let full = GradientsParams::from_grads(loss(stored).backward(), &glow);

    let (taped, tape) = glow.encode_taped(x).unwrap();
    assert_eq!(
        to_host(taped.log_likelihood.total.clone()),
        stored_total,
        "{what}"
    );
    let grads = loss(taped).backward();
    let mut accumulator = GradientsAccumulator::<Glow>::new();
    tape.backward(&grads, |step| accumulator.accumulate(&glow, step));
    accumulator.accumulate(&glow, GradientsParams::from_grads(grads, &glow));
    let recomputed = accumulator.grads();

    assert!(full.len() > 10, "{what}: {} gradients", full.len());
    assert_same_gradients(&glow, &full, &recomputed, 1e-4, &what);
}

#[test]
fn recomputed_gradients_equal_the_stored_graphs_for_a_conv_glow() {
    check(Architecture::Conv, PriorKind::ActNormGaussian, false);
    check(Architecture::Conv, PriorKind::ConditionalSplit, false);
}

#[test]
fn recomputed_gradients_equal_the_stored_graphs_with_a_class_head() {
    check(Architecture::Conv, PriorKind::ActNormGaussian, true);
}

#[test]
fn recomputed_gradients_equal_the_stored_graphs_for_local_and_dense_glows() {
    check(
        Architecture::Local { patch: 4 },
        PriorKind::ActNormGaussian,
        false,
    );
    check(Architecture::Dense, PriorKind::ActNormGaussian, false);
}
