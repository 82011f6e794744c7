//! The one contract every invertible layer follows.

use burn::tensor::Tensor;

/// Result of a forward pass through an invertible layer.
#[derive(Debug, Clone)]
pub struct FlowOutput {
    /// The transformed tensor, `[B, C, H, W]`.
    pub output: Tensor<4>,
    /// Per-sample `log |det J|` of the transformation, shape `[B]`, in nats.
    pub logdet: Tensor<1>,
}

/// An invertible map `x -> y` with a tractable log-determinant.
///
/// Every layer of flowood implements it: `forward` returns the output and the per-sample
/// log-determinant, `inverse` returns the input, and `inverse(forward(x).output) == x` up to
/// floating point error. Layers with data-dependent initialisation (ActNorm and everything
/// containing one) override [`InvertibleLayer::initialize`].
pub trait InvertibleLayer: Sized {
    /// Maps `x` to `y` and reports `log |det dy/dx|` per sample.
    fn forward(&self, x: Tensor<4>) -> FlowOutput;

    /// Maps `y` back to `x`.
    fn inverse(&self, y: Tensor<4>) -> Tensor<4>;

    /// Runs data-dependent initialisation on `x` (all initialisation batches, concatenated),
    /// then the forward pass with the new parameters. Layers without such state just forward.
    fn initialize(self, x: Tensor<4>) -> (Self, FlowOutput) {
        let out = self.forward(x);
        (self, out)
    }
}

/// A zero log-determinant for a batch of `batch` samples on the device of `like`.
pub fn zero_logdet(like: &Tensor<4>) -> Tensor<1> {
    let [batch, ..] = like.dims();
    Tensor::zeros([batch], &like.device())
}
