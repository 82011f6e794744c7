//! The channel-major matrix-product convolutions equal Burn's `conv2d`, in value and in gradient.

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor};
use flowood_flows::testing::max_abs_diff;
use flowood_flows::{host_tensor, normal_values};
use flowood_flows::{same_conv, swap_batch_channels};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn random(shape: [usize; 4], seed: u64, device: &Device) -> Tensor<4> {
    let mut rng = StdRng::seed_from_u64(seed);
    host_tensor(
        normal_values(&mut rng, shape.iter().product(), 1.0),
        shape,
        device,
    )
}

/// [`same_conv`] on a batch-major `x`.
fn channel_major_conv(x: Tensor<4>, w: Tensor<4>) -> Tensor<4> {
    swap_batch_channels(same_conv(swap_batch_channels(x), w))
}

fn reference(x: Tensor<4>, w: Tensor<4>) -> Tensor<4> {
    let [_, _, k, _] = w.dims();
    conv2d(
        x,
        w,
        None,
        ConvOptions::new([1, 1], [k / 2, k / 2], [1, 1], 1),
    )
}

/// (C_in, C_out, k): unfold path, shift path, pointwise path.
const CASES: [(usize, usize, usize); 4] = [(2, 16, 3), (16, 4, 3), (8, 8, 1), (3, 5, 5)];
/// Spatial sizes: a feature map, and the `1x1` of the flattened tensors of dense steps.
const SIZES: [(usize, usize); 2] = [(6, 5), (1, 1)];

#[test]
fn values_match_conv2d_without_autodiff() {
    let device = Device::flex();
    for (h, wd) in SIZES {
        for (i, (c_in, c_out, k)) in CASES.into_iter().enumerate() {
            let x = random([3, c_in, h, wd], i as u64, &device);
            let w = random([c_out, c_in, k, k], 10 + i as u64, &device);
            let err = max_abs_diff(channel_major_conv(x.clone(), w.clone()), reference(x, w));
            assert!(err < 1e-4, "case {i} at {h}x{wd}: {err}");
        }
    }
}

#[test]
fn values_and_gradients_match_conv2d_with_autodiff() {
    let device = Device::flex().autodiff();
    for ((h, wd), (i, (c_in, c_out, k))) in SIZES
        .into_iter()
        .flat_map(|size| CASES.into_iter().enumerate().map(move |case| (size, case)))
    {
        let x = random([3, c_in, h, wd], i as u64, &device).require_grad();
        let w = random([c_out, c_in, k, k], 10 + i as u64, &device).require_grad();
        let probe = random([3, c_out, h, wd], 20 + i as u64, &device);
        let ours = channel_major_conv(x.clone(), w.clone());
        let theirs = reference(x.clone(), w.clone());
        assert!(max_abs_diff(ours.clone().inner(), theirs.clone().inner()) < 1e-4);
        let g_ours = (ours * probe.clone()).sum().backward();
        let g_theirs = (theirs * probe).sum().backward();
        let dx = max_abs_diff(x.grad(&g_ours).unwrap(), x.grad(&g_theirs).unwrap());
        let dw = max_abs_diff(w.grad(&g_ours).unwrap(), w.grad(&g_theirs).unwrap());
        assert!(
            dx < 1e-3 && dw < 1e-3,
            "case {i} at {h}x{wd}: dx {dx}, dw {dw}"
        );
    }
}
