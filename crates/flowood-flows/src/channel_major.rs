//! The channel-major layout `[C, B, H, W]` of a coupling network's activations, and the
//! stride-1 "same" convolutions computed in it as single matrix products.
//!
//! In the batch-major layout `[B, C, H, W]` a 1x1 convolution is `B` products of
//! `[C_out, C] x [C, H*W]`, and its weight gradient `B` products summed afterwards; at the
//! paper configuration's 512 hidden channels and the last scale's 4x4 pixels each of those has
//! an inner dimension of 16 and writes a 512x512 matrix that is then reduced. Channel-major,
//! the same convolution is one product `[C_out, C] x [C, B*H*W]` whose gradients are one
//! product each, with the batch and the pixels as the inner dimension. A coupling network
//! converts its narrow input and output (the flow's channels) and keeps its wide hidden
//! activations channel-major.

use burn::tensor::Tensor;

use crate::pointwise::{direct_conv1x1, forward_only_on_flex};
use crate::same_windows;

/// `[B, C, H, W]` to `[C, B, H, W]` and back (the map is its own inverse): a view, copied by
/// the first operation that needs contiguous data.
pub fn swap_batch_channels(x: Tensor<4>) -> Tensor<4> {
    x.swap_dims(0, 1)
}

/// `y[o, ...] = sum_c w[o, c] x[c, ...]` for channel-major `x`: a 1x1 convolution as one
/// matrix product over the whole batch (forward-only on Flex, its direct 1x1 `conv2d` of
/// one image `B*H` pixels high, the faster kernel there).
pub fn mix(x: Tensor<4>, w: Tensor<2>) -> Tensor<4> {
    let [c, b, h, wd] = x.dims();
    let [c_out, _] = w.dims();
    if forward_only_on_flex(&x) {
        return direct_conv1x1(x.reshape([1, c, b * h, wd]), w).reshape([c_out, b, h, wd]);
    }
    product(w, x.reshape([c, b * h * wd])).reshape([c_out, b, h, wd])
}

/// `lhs` times `rhs`: on Flex the product whose outputs, forward and backward, are written
/// once (`typed_product`), elsewhere `matmul`.
#[cfg(feature = "flex")]
use crate::typed_product::product;

/// `lhs` times `rhs` (`matmul`: without Flex there is no typed product).
#[cfg(not(feature = "flex"))]
fn product(lhs: Tensor<2>, rhs: Tensor<2>) -> Tensor<2> {
    lhs.matmul(rhs)
}

/// Stride-1 convolution of channel-major `x: [C_in, B, H, W]` with an odd square kernel
/// `w: [C_out, C_in, k, k]` and zero "same" padding, as one [`mix`] plus shifted copies
/// (see [`PreparedConv`]).
pub fn same_conv(x: Tensor<4>, w: Tensor<4>) -> Tensor<4> {
    PreparedConv::new(w, None).apply(x)
}

/// A stride-1 "same" convolution plus per-channel bias, its weight arranged once as the matrix
/// of its product, so that a batch applied in chunks arranges it once.
///
/// With fewer input than output channels the input is unfolded (k*k shifted copies stacked
/// along channels) and mixed once; otherwise all k*k kernel taps are applied at once as
/// `C_out * k * k` output channels whose shifted copies are summed. Either way the product
/// sees the smaller side of the convolution expanded k*k times.
pub struct PreparedConv {
    matrix: Tensor<2>,
    form: ConvForm,
    bias: Option<Tensor<1>>,
}

/// Which side of a [`PreparedConv`] the matrix product expands.
enum ConvForm {
    /// A 1x1 kernel: the product alone.
    Pointwise,
    /// `k x k`, the input channels unfolded before the product.
    Unfold { k: usize },
    /// `k x k`, the output channels shifted and summed after the product.
    Shift { k: usize },
}

impl PreparedConv {
    /// The convolution with weight `w: [C_out, C_in, k, k]` (odd `k`) and bias `[C_out]`.
    pub fn new(w: Tensor<4>, bias: Option<Tensor<1>>) -> Self {
        let [c_out, c_in, k, _] = w.dims();
        let (matrix, form) = if k == 1 {
            (w.reshape([c_out, c_in]), ConvForm::Pointwise)
        } else if c_in <= c_out {
            // Column channel index is tap * C_in + c, so the weight goes to [C_out, k, k, C_in].
            let matrix = w.permute([0, 2, 3, 1]).reshape([c_out, k * k * c_in]);
            (matrix, ConvForm::Unfold { k })
        } else {
            // Output channel index is tap * C_out + o, so the weight goes to [k, k, C_out, C_in].
            let matrix = w.permute([2, 3, 0, 1]).reshape([k * k * c_out, c_in]);
            (matrix, ConvForm::Shift { k })
        };
        Self { matrix, form, bias }
    }

    /// The convolution of channel-major `x: [C_in, B, H, W]`, plus the bias.
    pub fn apply(&self, x: Tensor<4>) -> Tensor<4> {
        let y = match self.form {
            ConvForm::Pointwise => mix(x, self.matrix.clone()),
            ConvForm::Unfold { k } => mix(same_windows::unfold(x, k), self.matrix.clone()),
            ConvForm::Shift { k } => same_windows::sum_shifted(mix(x, self.matrix.clone()), k),
        };
        match &self.bias {
            Some(bias) => {
                let [c] = bias.dims();
                y + bias.clone().reshape([c, 1, 1, 1])
            }
            None => y,
        }
    }
}
