//! The convolutional network that predicts a coupling's shift and scale.

use burn::module::{Module, Param};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use rand::Rng;

use crate::actnorm::ActNorm;
use crate::channel_major::swap_batch_channels;
use crate::conv::{ConvInit, SameConv};
use crate::error::FlowError;
use crate::param_init::trainable;

/// Standard deviation of the hidden convolutions' initial weights (docs/method.md).
const HIDDEN_INIT_STD: f64 = 0.05;
/// Kernel side of the first and last convolutions of the convolutional network.
const CONV_KERNEL: usize = 3;
/// The output is multiplied by `exp(OUTPUT_LOG_SCALE_FACTOR * logs)`.
const OUTPUT_LOG_SCALE_FACTOR: f64 = 3.0;

/// conv3x3 -> ActNorm -> ReLU -> conv1x1 -> ActNorm -> ReLU -> zero-init conv3x3 `* exp(3 logs)`.
///
/// The last convolution (weights and bias) and `logs` start at zero, so a fresh coupling
/// is the identity map. With 1x1 kernels throughout ([`CouplingNet::dense`]) on a
/// `[B, D, 1, 1]` input it is a fully connected network (the MLP of a dense flow step).
#[derive(Module, Debug)]
pub struct CouplingNet {
    /// 3x3, input -> hidden, no bias.
    pub conv_in: SameConv,
    /// Per-channel ActNorm after `conv_in`.
    pub norm_in: ActNorm,
    /// 1x1, hidden -> hidden, no bias.
    pub conv_hidden: SameConv,
    /// Per-channel ActNorm after `conv_hidden`.
    pub norm_hidden: ActNorm,
    /// 3x3, hidden -> output, with bias, zero-initialised.
    pub conv_out: SameConv,
    /// `[1, C_out, 1, 1]` per-channel log-scale of the output, zero-initialised.
    pub out_logs: Param<Tensor<4>>,
}

impl CouplingNet {
    /// A network from `c_in` to `c_out` channels through `hidden` channels.
    pub fn new(
        c_in: usize,
        hidden: usize,
        c_out: usize,
        rng: &mut impl Rng,
        device: &Device,
    ) -> Result<Self, FlowError> {
        Self::with_kernel(c_in, hidden, c_out, CONV_KERNEL, rng, device)
    }

    /// The fully connected network `c_in -> hidden -> hidden -> c_out` (all kernels 1x1),
    /// for inputs `[B, c_in, 1, 1]`.
    pub fn dense(
        c_in: usize,
        hidden: usize,
        c_out: usize,
        rng: &mut impl Rng,
        device: &Device,
    ) -> Result<Self, FlowError> {
        Self::with_kernel(c_in, hidden, c_out, 1, rng, device)
    }

    /// The network with `kernel x kernel` first and last convolutions.
    fn with_kernel(
        c_in: usize,
        hidden: usize,
        c_out: usize,
        kernel: usize,
        rng: &mut impl Rng,
        device: &Device,
    ) -> Result<Self, FlowError> {
        if hidden == 0 {
            return Err(FlowError::ZeroSize {
                what: "coupling hidden channels",
            });
        }
        let normal = ConvInit::Normal {
            std: HIDDEN_INIT_STD,
        };
        Ok(Self {
            conv_in: SameConv::new(c_in, hidden, kernel, normal, rng, device),
            norm_in: ActNorm::per_channel(hidden, device)?,
            conv_hidden: SameConv::new(hidden, hidden, 1, normal, rng, device),
            norm_hidden: ActNorm::per_channel(hidden, device)?,
            conv_out: SameConv::new(hidden, c_out, kernel, ConvInit::Zero, rng, device),
            out_logs: trainable(vec![0.0; c_out], [1, c_out, 1, 1], device),
        })
    }

    /// Computes the network output for the conditioning half `xa` (both batch-major).
    ///
    /// The hidden activations are channel-major (see [`swap_batch_channels`]): only the narrow
    /// input and output change layout. Each ActNorm is folded into the convolution before it
    /// ([`ActNorm::channel_affine`]), which gives the same function with fewer passes and less
    /// memory for autodiff.
    pub fn forward(&self, xa: Tensor<4>) -> Tensor<4> {
        let x = swap_batch_channels(xa);
        let h = relu(conv_then_norm(&self.conv_in, &self.norm_in, x));
        let h = relu(conv_then_norm(&self.conv_hidden, &self.norm_hidden, h));
        swap_batch_channels(self.output(h))
    }

    /// Initialises both ActNorms from the data, then computes the output (as [`Self::forward`]).
    pub fn initialize(self, xa: Tensor<4>) -> (Self, Tensor<4>) {
        let (norm_in, h) =
            initialize_after(self.norm_in, self.conv_in.forward(swap_batch_channels(xa)));
        let (norm_hidden, h) =
            initialize_after(self.norm_hidden, self.conv_hidden.forward(relu(h)));
        let net = Self {
            norm_in,
            norm_hidden,
            ..self
        };
        let out = net.output(relu(h));
        (net, swap_batch_channels(out))
    }

    /// `conv_out(h) * exp(3 logs)` of channel-major `h`, the scale folded into `conv_out`.
    fn output(&self, h: Tensor<4>) -> Tensor<4> {
        let [_, c_out, _, _] = self.out_logs.dims();
        let scale = self
            .out_logs
            .val()
            .mul_scalar(OUTPUT_LOG_SCALE_FACTOR)
            .exp()
            .reshape([c_out]);
        self.conv_out.forward_affine(h, scale, None)
    }
}

/// `norm(conv(x))` of channel-major `x` as one convolution; the ActNorms of a coupling
/// network are per channel.
fn conv_then_norm(conv: &SameConv, norm: &ActNorm, x: Tensor<4>) -> Tensor<4> {
    match norm.channel_affine() {
        Some((scale, shift)) => conv.forward_affine(x, scale, Some(shift)),
        None => swap_batch_channels(norm.normalize(swap_batch_channels(conv.forward(x)))),
    }
}

/// Data-dependent initialisation of `norm` from channel-major `h` (ActNorm works batch-major),
/// and the normalised `h`, channel-major.
fn initialize_after(norm: ActNorm, h: Tensor<4>) -> (ActNorm, Tensor<4>) {
    let (norm, h) = norm.initialize_normalize(swap_batch_channels(h));
    (norm, swap_batch_channels(h))
}
