//! The 1x1 convolution of the flow steps' channel mixing (the LU 1x1 convolution, the dense
//! steps' orthogonal mixing) on batch-major `[B, C, H, W]` tensors, as a matrix product, which
//! Burn's CPU backend runs several times faster than its direct convolution kernels for the
//! shapes of a Glow: on 2 cores with Flex, batch 64 at 16x16, forward and backward, a 128 ->
//! 128 1x1 convolution took 113 ms as `conv2d` and 38 ms as a matrix product. Forward-only
//! (scoring), `conv2d` with a 1x1 kernel is the faster product. The coupling networks'
//! convolutions are channel-major (`channel_major`).

use burn::tensor::Tensor;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;

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
    if forward_only_on_flex(&x) {
        direct_conv1x1(x, w)
    } else {
        w.unsqueeze::<3>()
            .matmul(x.reshape([b, c, h * wd]))
            .reshape([b, c_out, h, wd])
    }
}

/// Burn's direct 1x1 `conv2d` of batch-major `x` with `w: [C_out, C]`: the faster kernel
/// forward-only on Flex ([`forward_only_on_flex`]).
pub(crate) fn direct_conv1x1(x: Tensor<4>, w: Tensor<2>) -> Tensor<4> {
    let [c_out, c] = w.dims();
    let kernel = w.reshape([c_out, c, 1, 1]);
    conv2d(x, kernel, None, ConvOptions::new([1, 1], [0, 0], [1, 1], 1))
}

/// Whether `x` is computed forward-only (no autodiff) on Flex, where a 1x1 `conv2d` beats the
/// matrix product and coupling networks run in cache-sized chunks of the batch.
#[cfg(feature = "flex")]
pub(crate) fn forward_only_on_flex(x: &Tensor<4>) -> bool {
    !x.is_autodiff() && x.device() == burn::tensor::Device::flex()
}

/// Whether `x` is computed forward-only on Flex: never without Flex.
#[cfg(not(feature = "flex"))]
pub(crate) fn forward_only_on_flex(_x: &Tensor<4>) -> bool {
    false
}
