//! Every layer's log-det equals log|det J| of its full Jacobian (central differences, f64).
//!
//! This binary configures the CPU device for f64 before creating any tensor, so it must stay
//! separate from the f32 tests.

use std::sync::OnceLock;

use burn::tensor::{Device, FloatDType, Tensor};
use flowood_flows::testing::perturb_parameters;
use flowood_flows::testing::{numerical_logdet, random_batch, relative_diff};
use flowood_flows::to_host;
use flowood_flows::{
    ActNorm, Coupling, CouplingKind, DenseStep, FlowStep, InvConv1x1, InvertibleLayer,
    OrthogonalMix,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

const NOISE: f64 = 0.02;
const EPS: f64 = 1e-5;
const TOLERANCE: f64 = 1e-4;
const SHAPE: [usize; 4] = [1, 4, 4, 4];

/// The f64 CPU device (configured once per process).
fn device() -> Device {
    static DEVICE: OnceLock<Device> = OnceLock::new();
    DEVICE
        .get_or_init(|| {
            let mut device = Device::flex();
            device
                .configure(FloatDType::F64)
                .expect("configured before any tensor");
            device
        })
        .clone()
}

fn input(shape: [usize; 4], seed: u64) -> Tensor<4> {
    random_batch(shape, seed, 0.0, &device())
}

/// Initialises and perturbs `layer`, then compares its log-det with the Jacobian's.
fn assert_logdet_matches<L: InvertibleLayer + burn::module::Module>(layer: L) {
    let mut init_shape = SHAPE;
    init_shape[0] = 8;
    let (layer, _) = layer.initialize(input(init_shape, 1));
    let layer = perturb_parameters(layer, NOISE, 5);
    let x = input(SHAPE, 2);
    let analytic = to_host(layer.forward(x.clone()).logdet)[0];
    let numeric = numerical_logdet(|b| layer.forward(b).output.flatten(1, 3), &x, EPS);
    let rel = relative_diff(analytic, numeric);
    assert!(
        rel < TOLERANCE,
        "log-det {analytic} vs Jacobian {numeric} (relative {rel})"
    );
}

#[test]
fn device_is_f64() {
    assert_eq!(input(SHAPE, 0).dtype(), burn::tensor::DType::F64);
}

#[test]
fn actnorm_per_channel_logdet() {
    assert_logdet_matches(ActNorm::per_channel(4, &device()).unwrap());
}

#[test]
fn actnorm_per_element_logdet() {
    assert_logdet_matches(ActNorm::per_element([4, 4, 4], &device()).unwrap());
}

#[test]
fn invconv_logdet() {
    let mut rng = StdRng::seed_from_u64(3);
    assert_logdet_matches(InvConv1x1::new(4, &mut rng, &device()).unwrap());
}

#[test]
fn affine_coupling_logdet() {
    let mut rng = StdRng::seed_from_u64(4);
    assert_logdet_matches(Coupling::new(4, 8, CouplingKind::Affine, &mut rng, &device()).unwrap());
}

#[test]
fn additive_coupling_logdet_is_zero_and_exact() {
    let mut rng = StdRng::seed_from_u64(5);
    assert_logdet_matches(
        Coupling::new(4, 8, CouplingKind::Additive, &mut rng, &device()).unwrap(),
    );
}

#[test]
fn flow_step_logdet() {
    let mut rng = StdRng::seed_from_u64(6);
    assert_logdet_matches(FlowStep::new(4, 8, CouplingKind::Affine, &mut rng, &device()).unwrap());
}

#[test]
fn sequence_logdet() {
    let mut rng = StdRng::seed_from_u64(7);
    let steps: Vec<FlowStep> = (0..3)
        .map(|_| FlowStep::new(4, 8, CouplingKind::Affine, &mut rng, &device()).unwrap())
        .collect();
    assert_logdet_matches(steps);
}

#[test]
fn orthogonal_mix_logdet_is_zero_and_exact() {
    let mut rng = StdRng::seed_from_u64(8);
    assert_logdet_matches(OrthogonalMix::new(4, &mut rng, &device()).unwrap());
}

#[test]
fn dense_step_logdet() {
    for kind in [CouplingKind::Affine, CouplingKind::Additive] {
        let mut rng = StdRng::seed_from_u64(9);
        assert_logdet_matches(DenseStep::new([4, 4, 4], 8, kind, &mut rng, &device()).unwrap());
    }
}
