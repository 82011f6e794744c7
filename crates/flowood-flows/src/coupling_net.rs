//! The convolutional network that predicts a coupling's shift and scale.

use burn::module::{Module, Param};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use rand::Rng;

use crate::actnorm::ActNorm;
use crate::channel_major::{PreparedConv, swap_batch_channels};
use crate::conv::{ConvInit, SameConv};
use crate::error::FlowError;
use crate::param_init::trainable;
use crate::pointwise::forward_only_on_flex;

/// Standard deviation of the hidden convolutions' initial weights (docs/method.md).
const HIDDEN_INIT_STD: f64 = 0.05;
/// Kernel side of the first and last convolutions of the convolutional network.
const CONV_KERNEL: usize = 3;
/// The output is multiplied by `exp(OUTPUT_LOG_SCALE_FACTOR * logs)`.
const OUTPUT_LOG_SCALE_FACTOR: f64 = 3.0;
/// Size in bytes that one hidden activation of a forward-only chunk of the batch aims at
/// (see [`CouplingNet::forward`]): 2 MiB, about a core's share of a server CPU's last-level
/// cache. 1, 2 and 4 MiB scored the paper configuration equally fast (docs/benchmarks.md).
const CACHE_CHUNK_BYTES: usize = 2 << 20;

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
    /// memory for autodiff. Forward-only on the CPU (Flex) the batch goes through in chunks of
    /// images whose hidden activations fit in the cache, so that the bias and ReLU passes
    /// between the matrix products read and write cache rather than memory; each image's
    /// output is the same as in one pass over the whole batch.
    pub fn forward(&self, xa: Tensor<4>) -> Tensor<4> {
        let layers = self.prepared();
        let [batch, ..] = xa.dims();
        let images = self.images_per_chunk(&xa);
        if images >= batch {
            return layers.apply(xa);
        }
        let chunks = xa.split(images, 0).into_iter();
        Tensor::cat(chunks.map(|x| layers.apply(x)).collect(), 0)
    }

    /// How many images of `xa` one forward pass takes: the whole batch under autodiff (whose
    /// graph keeps every activation anyway) and off the CPU (where each pass is a kernel
    /// launch), otherwise as many as keep a hidden activation within [`CACHE_CHUNK_BYTES`].
    fn images_per_chunk(&self, xa: &Tensor<4>) -> usize {
        if !forward_only_on_flex(xa) {
            return usize::MAX;
        }
        let [_, _, h, w] = xa.dims();
        let [hidden, ..] = self.conv_hidden.weight.dims();
        let image_bytes = hidden * h * w * xa.dtype().size();
        (CACHE_CHUNK_BYTES / image_bytes.max(1)).max(1)
    }

    /// The three convolutions with the ActNorms and the output scale folded in, arranged once
    /// for every chunk of a batch.
    fn prepared(&self) -> PreparedNet<'_> {
        PreparedNet {
            input: NormedConv::new(&self.conv_in, &self.norm_in),
            hidden: NormedConv::new(&self.conv_hidden, &self.norm_hidden),
            output: self.prepared_output(),
        }
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
        let out = net.prepared_output().apply(relu(h));
        (net, swap_batch_channels(out))
    }

    /// `conv_out(h) * exp(3 logs)`, the scale folded into `conv_out`.
    fn prepared_output(&self) -> PreparedConv {
        let [_, c_out, _, _] = self.out_logs.dims();
        let scale = self
            .out_logs
            .val()
            .mul_scalar(OUTPUT_LOG_SCALE_FACTOR)
            .exp()
            .reshape([c_out]);
        self.conv_out.prepared_affine(scale, None)
    }
}

/// A [`CouplingNet`] ready to apply to batch-major chunks.
struct PreparedNet<'a> {
    input: NormedConv<'a>,
    hidden: NormedConv<'a>,
    output: PreparedConv,
}

impl PreparedNet<'_> {
    /// The network's output for the conditioning half `xa` (both batch-major).
    fn apply(&self, xa: Tensor<4>) -> Tensor<4> {
        let x = swap_batch_channels(xa);
        let h = relu(self.input.apply(x));
        let h = relu(self.hidden.apply(h));
        swap_batch_channels(self.output.apply(h))
    }
}

/// `norm(conv(x))` of channel-major `x`: one convolution for a per-channel ActNorm (the kind a
/// coupling network builds), the two in turn otherwise.
enum NormedConv<'a> {
    Folded(PreparedConv),
    Separate(PreparedConv, &'a ActNorm),
}

impl<'a> NormedConv<'a> {
    fn new(conv: &SameConv, norm: &'a ActNorm) -> Self {
        match norm.channel_affine() {
            Some((scale, shift)) => Self::Folded(conv.prepared_affine(scale, Some(shift))),
            None => Self::Separate(conv.prepared(), norm),
        }
    }

    fn apply(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Folded(conv) => conv.apply(x),
            Self::Separate(conv, norm) => {
                swap_batch_channels(norm.normalize(swap_batch_channels(conv.apply(x))))
            }
        }
    }
}

/// Data-dependent initialisation of `norm` from channel-major `h` (ActNorm works batch-major),
/// and the normalised `h`, channel-major.
fn initialize_after(norm: ActNorm, h: Tensor<4>) -> (ActNorm, Tensor<4>) {
    let (norm, h) = norm.initialize_normalize(swap_batch_channels(h));
    (norm, swap_batch_channels(h))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::testing::{max_abs_diff, perturb_parameters, random_batch};

    /// A network of 512 hidden channels (2 in, 4 out).
    fn wide_network(device: &Device) -> CouplingNet {
        let mut rng = StdRng::seed_from_u64(3);
        CouplingNet::new(2, 512, 4, &mut rng, device).expect("valid sizes")
    }

    /// At 512 hidden channels and 32x32 pixels one image's hidden activation takes all of
    /// [`CACHE_CHUNK_BYTES`], so every image of the batch is a chunk of its own.
    #[test]
    fn chunked_forward_equals_one_pass_over_the_batch() {
        let device = Device::flex();
        let net = perturb_parameters(wide_network(&device), 0.3, 4);
        let x = random_batch([3, 2, 32, 32], 5, 0.0, &device);
        assert_eq!(net.images_per_chunk(&x), 1);
        let whole = net.prepared().apply(x.clone());
        let scale = max_abs_diff(whole.clone(), whole.zeros_like());
        let err = max_abs_diff(net.forward(x), whole);
        assert!(
            err <= 1e-6 * scale,
            "max abs difference {err} at scale {scale}"
        );
    }

    /// Under autodiff the batch is one pass: its graph keeps every activation anyway.
    #[test]
    fn autodiff_forward_takes_the_whole_batch() {
        let device = Device::flex().autodiff();
        let net = wide_network(&device);
        let x = random_batch([3, 2, 32, 32], 5, 0.0, &device);
        assert_eq!(net.images_per_chunk(&x), usize::MAX);
    }
}
