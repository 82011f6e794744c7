//! A 2-D convolution with zero "same" padding and host-side initialisation, on channel-major
//! tensors.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use rand::Rng;

use crate::channel_major::PreparedConv;
use crate::param_init::{normal_values, trainable};

/// Square-kernel convolution, stride 1, zero padding that keeps the spatial size, of
/// channel-major `[C, B, H, W]` tensors (see [`swap_batch_channels`](crate::swap_batch_channels)
/// for the conversion, and `channel_major` for why).
///
/// Built here rather than with `burn::nn::conv::Conv2d` so that weights are drawn from the
/// seeded host RNG: a model built from a seed is then identical on every backend.
#[derive(Module, Debug)]
pub struct SameConv {
    /// `[C_out, C_in, k, k]`.
    pub weight: Param<Tensor<4>>,
    /// `[C_out]`, absent for convolutions followed by ActNorm.
    pub bias: Option<Param<Tensor<1>>>,
}

/// How a [`SameConv`] starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConvInit {
    /// Weights `N(0, std^2)`, no bias.
    Normal {
        /// Standard deviation of the weights.
        std: f64,
    },
    /// Weights and bias zero (the last layer of a coupling network, so couplings start as identity).
    Zero,
}

impl SameConv {
    /// A `kernel x kernel` convolution from `c_in` to `c_out` channels.
    pub fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        init: ConvInit,
        rng: &mut impl Rng,
        device: &Device,
    ) -> Self {
        let shape = [c_out, c_in, kernel, kernel];
        let n = shape.iter().product();
        match init {
            ConvInit::Normal { std } => Self {
                weight: trainable(normal_values(rng, n, std), shape, device),
                bias: None,
            },
            ConvInit::Zero => Self {
                weight: trainable(vec![0.0; n], shape, device),
                bias: Some(trainable(vec![0.0; c_out], [c_out], device)),
            },
        }
    }

    /// Applies the convolution to channel-major `x: [C_in, B, H, W]` (through
    /// [`same_conv`](crate::same_conv)).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.prepared().apply(x)
    }

    /// The convolution arranged for applying to several channel-major chunks.
    pub fn prepared(&self) -> PreparedConv {
        PreparedConv::new(self.weight.val(), self.bias.as_ref().map(Param::val))
    }

    /// The convolution `scale * conv(x) + shift` per output channel (`scale`, `shift`:
    /// `[C_out]`), with the scale folded into the weights and the shift into the bias: the
    /// product and one bias pass are the only work over the output, forward and backward.
    pub fn prepared_affine(&self, scale: Tensor<1>, shift: Option<Tensor<1>>) -> PreparedConv {
        let [c_out, ..] = self.weight.dims();
        let weight = self.weight.val() * scale.clone().reshape([c_out, 1, 1, 1]);
        let bias = match (self.bias.as_ref().map(|b| b.val() * scale), shift) {
            (Some(b), Some(t)) => Some(b + t),
            (b, t) => b.or(t),
        };
        PreparedConv::new(weight, bias)
    }
}
