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

impl FlowOutput {
    /// The identity's output: `x` itself, with a zero log-determinant.
    pub fn identity(x: Tensor<4>) -> Self {
        Self {
            logdet: zero_logdet(&x),
            output: x,
        }
    }

    /// Applies `layer` to this output; the log-determinants add (the chain rule).
    pub fn then(self, layer: impl FnOnce(Tensor<4>) -> FlowOutput) -> Self {
        let next = layer(self.output);
        Self {
            output: next.output,
            logdet: self.logdet + next.logdet,
        }
    }

    /// [`FlowOutput::then`] for a step that also gives something back (the initialised layer
    /// of [`InvertibleLayer::initialize`]).
    pub fn then_with<T>(self, layer: impl FnOnce(Tensor<4>) -> (T, FlowOutput)) -> (T, Self) {
        let (made, next) = layer(self.output);
        let out = Self {
            output: next.output,
            logdet: self.logdet + next.logdet,
        };
        (made, out)
    }
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

/// A sequence of layers is itself an invertible layer: applied first to last (log-dets add),
/// inverted last to first, initialised in order, each on the output of the ones before it.
impl<L: InvertibleLayer> InvertibleLayer for Vec<L> {
    fn forward(&self, x: Tensor<4>) -> FlowOutput {
        self.iter().fold(FlowOutput::identity(x), |acc, layer| {
            acc.then(|h| layer.forward(h))
        })
    }

    fn inverse(&self, y: Tensor<4>) -> Tensor<4> {
        self.iter().rev().fold(y, |h, layer| layer.inverse(h))
    }

    fn initialize(self, x: Tensor<4>) -> (Self, FlowOutput) {
        let mut acc = FlowOutput::identity(x);
        let mut layers = Vec::with_capacity(self.len());
        for layer in self {
            let (layer, out) = acc.then_with(|h| layer.initialize(h));
            layers.push(layer);
            acc = out;
        }
        (layers, acc)
    }
}

/// A zero log-determinant for a batch of `batch` samples on the device of `like`.
pub fn zero_logdet(like: &Tensor<4>) -> Tensor<1> {
    let [batch, ..] = like.dims();
    Tensor::zeros([batch], &like.device())
}
