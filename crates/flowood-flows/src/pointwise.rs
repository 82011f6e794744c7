//! Convolutions expressed as channel-mixing matrix products, which Burn's CPU backend runs
//! several times faster than its direct convolution kernels for the shapes of a Glow.
//!
//! Measured on 2 cores with Flex, batch 64 at 16x16 (forward + backward): a 128 -> 128 1x1
//! convolution 113 ms as `conv2d`, 38 ms as a matrix product; a 3x3 convolution 2 -> 128,
//! 37 ms vs 11 ms through shifted copies; 3x3 128 -> 4, 83 ms vs 32 ms through a product and
//! shifted sums. Forward-only (scoring), `conv2d` with a 1x1 kernel is the faster product.

use burn::tensor::Tensor;
use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};

/// `y[b, o, p] = sum_c w[o, c] x[b, c, p]` at every pixel `p` (a 1x1 convolution).
///
/// A `[B, C, 1, 1]` input (the flattened tensors of dense flow steps) is one matrix product
/// `x W^T` over the whole batch rather than `B` matrix-vector products.
pub fn pointwise(x: Tensor<4>, w: Tensor<2>) -> Tensor<4> {
    let [b, c, h, wd] = x.dims();
    let [c_out, _] = w.dims();
    if h * wd == 1 {
        return x
            .reshape([b, c])
            .matmul(w.transpose())
            .reshape([b, c_out, 1, 1]);
    }
    if direct_conv_is_faster(&x) {
        let kernel = w.reshape([c_out, c, 1, 1]);
        conv2d(x, kernel, None, ConvOptions::new([1, 1], [0, 0], [1, 1], 1))
    } else {
        w.unsqueeze::<3>()
            .matmul(x.reshape([b, c, h * wd]))
            .reshape([b, c_out, h, wd])
    }
}

/// Whether a 1x1 `conv2d` beats the matrix product for `x`: only forward-only on Flex.
#[cfg(feature = "flex")]
fn direct_conv_is_faster(x: &Tensor<4>) -> bool {
    !x.is_autodiff() && x.device() == burn::tensor::Device::flex()
}

/// Whether a 1x1 `conv2d` beats the matrix product for `x`: never without Flex.
#[cfg(not(feature = "flex"))]
fn direct_conv_is_faster(_x: &Tensor<4>) -> bool {
    false
}

/// Stride-1 convolution with an odd square kernel `w: [C_out, C_in, k, k]` and zero "same"
/// padding, computed as one [`pointwise`] product plus shifted copies.
///
/// With fewer input than output channels the input is unfolded (k*k shifted copies stacked
/// along channels) and mixed once; otherwise all k*k kernel taps are applied at once as
/// `C_out * k * k` output channels whose shifted copies are summed. Either way the product
/// sees the smaller side of the convolution expanded k*k times.
pub fn same_conv(x: Tensor<4>, w: Tensor<4>) -> Tensor<4> {
    let [c_out, c_in, k, _] = w.dims();
    if k == 1 {
        return pointwise(x, w.reshape([c_out, c_in]));
    }
    if c_in <= c_out {
        unfold_then_mix(x, w)
    } else {
        mix_then_shift(x, w)
    }
}

/// The `k*k` windows of the zero-padded `x`, in row-major tap order; window `tap` keeps
/// channels `channels(tap)` of `x` and has the spatial size of `x`.
fn shifted_windows(
    x: Tensor<4>,
    k: usize,
    channels: impl Fn(usize) -> std::ops::Range<usize>,
) -> Vec<Tensor<4>> {
    let [b, _, h, w] = x.dims();
    let p = k / 2;
    let padded = x.pad((p, p, p, p), PadMode::Constant(0.0));
    (0..k * k)
        .map(|tap| {
            let (dy, dx) = (tap / k, tap % k);
            padded
                .clone()
                .slice([0..b, channels(tap), dy..dy + h, dx..dx + w])
        })
        .collect()
}

fn unfold_then_mix(x: Tensor<4>, w: Tensor<4>) -> Tensor<4> {
    let [c_out, c_in, k, _] = w.dims();
    let columns = Tensor::cat(shifted_windows(x, k, |_| 0..c_in), 1);
    // Column channel index is tap * C_in + c, so the weight goes to [C_out, k, k, C_in].
    pointwise(
        columns,
        w.permute([0, 2, 3, 1]).reshape([c_out, k * k * c_in]),
    )
}

fn mix_then_shift(x: Tensor<4>, w: Tensor<4>) -> Tensor<4> {
    let [c_out, c_in, k, _] = w.dims();
    // Output channel index is tap * C_out + o, so the weight goes to [k, k, C_out, C_in].
    let taps = pointwise(x, w.permute([2, 3, 0, 1]).reshape([k * k * c_out, c_in]));
    let mut windows = shifted_windows(taps, k, |tap| tap * c_out..(tap + 1) * c_out).into_iter();
    let first = windows
        .next()
        .unwrap_or_else(|| unreachable!("k >= 1, so one tap at least"));
    windows.fold(first, |acc, window| acc + window)
}
