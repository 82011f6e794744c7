//! Every layer inverts its forward pass (f32), with parameters moved off their initial values.

use burn::tensor::{Device, Tensor};
use flowood_flows::testing::perturb_parameters;
use flowood_flows::testing::{max_abs_diff, random_batch};
use flowood_flows::{
    ActNorm, Coupling, CouplingKind, DenseStep, FlowStep, InvConv1x1, InvertibleLayer,
    OrthogonalMix, merge, split, squeeze, unsqueeze,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

const NOISE: f64 = 0.02;
const TOLERANCE: f64 = 1e-5;

/// A batch of values in the model's input range, offset so ActNorm init has work to do.
fn input(shape: [usize; 4], seed: u64, device: &Device) -> Tensor<4> {
    random_batch(shape, seed, 0.1, device)
}

/// Initialises `layer` on data, perturbs it, and checks `inverse(forward(x)) == x`.
fn assert_inverts<L: InvertibleLayer + burn::module::Module>(layer: L, shape: [usize; 4]) {
    let device = Device::flex();
    let (layer, _) = layer.initialize(input(shape, 1, &device));
    let layer = perturb_parameters(layer, NOISE, 7);
    let x = input(shape, 2, &device);
    let out = layer.forward(x.clone());
    assert_eq!(out.logdet.dims(), [shape[0]]);
    let err = max_abs_diff(layer.inverse(out.output), x);
    assert!(err < TOLERANCE, "reconstruction error {err}");
}

#[test]
fn actnorm_per_channel_inverts() {
    assert_inverts(
        ActNorm::per_channel(4, &Device::flex()).unwrap(),
        [3, 4, 4, 4],
    );
}

#[test]
fn actnorm_per_element_inverts() {
    assert_inverts(
        ActNorm::per_element([4, 4, 4], &Device::flex()).unwrap(),
        [3, 4, 4, 4],
    );
}

#[test]
fn invconv_inverts() {
    let mut rng = StdRng::seed_from_u64(3);
    assert_inverts(
        InvConv1x1::new(6, &mut rng, &Device::flex()).unwrap(),
        [3, 6, 4, 4],
    );
}

#[test]
fn affine_coupling_inverts() {
    let mut rng = StdRng::seed_from_u64(4);
    let layer = Coupling::new(4, 8, CouplingKind::Affine, &mut rng, &Device::flex()).unwrap();
    assert_inverts(layer, [3, 4, 4, 4]);
}

#[test]
fn additive_coupling_inverts() {
    let mut rng = StdRng::seed_from_u64(5);
    let layer = Coupling::new(4, 8, CouplingKind::Additive, &mut rng, &Device::flex()).unwrap();
    assert_inverts(layer, [3, 4, 4, 4]);
}

#[test]
fn flow_step_inverts() {
    let mut rng = StdRng::seed_from_u64(6);
    let layer = FlowStep::new(4, 8, CouplingKind::Affine, &mut rng, &Device::flex()).unwrap();
    assert_inverts(layer, [3, 4, 4, 4]);
}

#[test]
fn a_sequence_of_layers_inverts() {
    let mut rng = StdRng::seed_from_u64(8);
    let steps: Vec<FlowStep> = (0..3)
        .map(|_| FlowStep::new(4, 8, CouplingKind::Affine, &mut rng, &Device::flex()).unwrap())
        .collect();
    assert_inverts(steps, [3, 4, 4, 4]);
}

#[test]
fn orthogonal_mix_inverts() {
    let mut rng = StdRng::seed_from_u64(14);
    let layer = OrthogonalMix::new(6, &mut rng, &Device::flex()).unwrap();
    assert_inverts(layer, [3, 6, 4, 4]);
}

#[test]
fn dense_coupling_inverts() {
    for kind in [CouplingKind::Affine, CouplingKind::Additive] {
        let mut rng = StdRng::seed_from_u64(15);
        let layer = Coupling::dense(64, 8, kind, &mut rng, &Device::flex()).unwrap();
        assert_inverts(layer, [3, 64, 1, 1]);
    }
}

#[test]
fn dense_step_inverts() {
    let mut rng = StdRng::seed_from_u64(16);
    let steps: Vec<DenseStep> = (0..2)
        .map(|_| {
            DenseStep::new(
                [4, 4, 4],
                8,
                CouplingKind::Affine,
                &mut rng,
                &Device::flex(),
            )
            .unwrap()
        })
        .collect();
    assert_inverts(steps, [3, 4, 4, 4]);
}

#[test]
fn orthogonal_mix_is_orthogonal_and_stays_fixed_under_perturbation() {
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(17);
    let layer = OrthogonalMix::new(32, &mut rng, &device).unwrap();
    let q = layer.weight.val();
    let gram = q.clone().matmul(q.clone().transpose());
    assert!(max_abs_diff(gram, Tensor::eye(32, &device)) < 1e-5);
    let perturbed = perturb_parameters(layer, 0.1, 1);
    assert_eq!(max_abs_diff(perturbed.weight.val(), q), 0.0);
}

#[test]
fn dense_step_mixes_every_position_a_conv_step_only_its_neighbours() {
    // Changing one pixel changes the whole output of a dense step, but only the 5x5
    // neighbourhood (two 3x3 convolutions) of a conv step's coupling output.
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(18);
    let dense = DenseStep::new([2, 8, 8], 8, CouplingKind::Affine, &mut rng, &device).unwrap();
    let conv = FlowStep::new(2, 8, CouplingKind::Affine, &mut rng, &device).unwrap();
    let x = input([4, 2, 8, 8], 19, &device);
    let (dense, _) = dense.initialize(x.clone());
    let (conv, _) = conv.initialize(x.clone());
    let (dense, conv) = (
        perturb_parameters(dense, NOISE, 20),
        perturb_parameters(conv, NOISE, 21),
    );
    let one = input([1, 2, 8, 8], 22, &device);
    let nudged = one.clone().slice_assign(
        [0..1, 0..2, 0..1, 0..1],
        Tensor::ones([1, 2, 1, 1], &device),
    );
    let changed = |f: &dyn Fn(Tensor<4>) -> Tensor<4>| {
        let diff = flowood_flows::to_host((f(one.clone()) - f(nudged.clone())).abs());
        diff.iter().filter(|d| **d > 1e-7).count()
    };
    assert_eq!(changed(&|x| dense.forward(x).output), 2 * 8 * 8);
    assert!(changed(&|x| conv.forward(x).output) < 2 * 8 * 8);
}

#[test]
fn squeeze_follows_the_documented_channel_order() {
    let device = Device::flex();
    let (c, h, w) = (2, 4, 6);
    let x = input([1, c, h, w], 9, &device);
    let xs = flowood_flows::to_host(x.clone());
    let ys = flowood_flows::to_host(squeeze(x.clone()).unwrap());
    for ci in 0..c {
        for y in 0..h {
            for xx in 0..w {
                let (dy, dx) = (y % 2, xx % 2);
                let out_c = ci * 4 + 2 * dy + dx;
                let out = ys[(out_c * (h / 2) + y / 2) * (w / 2) + xx / 2];
                assert_eq!(out, xs[(ci * h + y) * w + xx]);
            }
        }
    }
    assert_eq!(max_abs_diff(unsqueeze(squeeze(x.clone()).unwrap()), x), 0.0);
}

#[test]
fn squeeze_rejects_odd_sizes() {
    let x = Tensor::<4>::zeros([1, 1, 3, 4], &Device::flex());
    assert!(matches!(
        squeeze(x),
        Err(flowood_flows::FlowError::OddSpatialSize {
            height: 3,
            width: 4
        })
    ));
}

#[test]
fn split_then_merge_is_identity() {
    let x = input([2, 6, 2, 2], 10, &Device::flex());
    let (z, kept) = split(x.clone());
    assert_eq!(z.dims(), [2, 3, 2, 2]);
    assert_eq!(max_abs_diff(merge(z, kept), x), 0.0);
}

#[test]
fn coupling_rejects_odd_channels() {
    let mut rng = StdRng::seed_from_u64(0);
    let err = Coupling::new(3, 8, CouplingKind::Affine, &mut rng, &Device::flex()).unwrap_err();
    assert_eq!(err, flowood_flows::FlowError::OddChannels { channels: 3 });
}

#[test]
fn fresh_coupling_is_identity_on_the_first_half_and_scales_the_second() {
    // Zero-initialised output conv: t = 0, s = sigmoid(2), so yb = xb * sigmoid(2).
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(11);
    let layer = Coupling::new(4, 8, CouplingKind::Affine, &mut rng, &device).unwrap();
    let x = input([2, 4, 4, 4], 12, &device);
    let out = layer.forward(x.clone());
    let s = 1.0 / (1.0 + (-2.0f64).exp());
    let expected = Tensor::cat(
        vec![x.clone().narrow(1, 0, 2), x.narrow(1, 2, 2).mul_scalar(s)],
        1,
    );
    assert!(max_abs_diff(out.output, expected) < 1e-6);
    let logdet = flowood_flows::to_host(out.logdet);
    assert!((logdet[0] - 2.0 * 16.0 * s.ln()).abs() < 1e-4);
}

#[test]
fn actnorm_init_standardises_and_is_remembered() {
    let device = Device::flex();
    let layer = ActNorm::per_channel(4, &device).unwrap();
    assert!(!layer.is_initialized());
    let x = input([16, 4, 4, 4], 13, &device)
        .mul_scalar(3.0)
        .add_scalar(2.0);
    let (layer, out) = layer.initialize(x);
    assert!(layer.is_initialized());
    let y = out.output;
    let mean = flowood_flows::to_host(y.clone().mean_dim(0).mean_dim(2).mean_dim(3));
    let var = flowood_flows::to_host(y.powi_scalar(2).mean_dim(0).mean_dim(2).mean_dim(3));
    for (m, v) in mean.iter().zip(&var) {
        assert!(m.abs() < 1e-5, "mean {m}");
        assert!((v - 1.0).abs() < 1e-4, "variance {v}");
    }
}
