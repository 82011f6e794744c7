//! One dense flow step: ActNorm -> fixed orthogonal mixing -> fully connected coupling, over
//! the whole flattened tensor of a scale.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::actnorm::ActNorm;
use crate::coupling::{Coupling, CouplingKind};
use crate::error::FlowError;
use crate::layer::{FlowOutput, InvertibleLayer};
use crate::orthogonal_mix::OrthogonalMix;
use crate::param_init::LazyRng;

/// A flow step that sees its input `[B, C, H, W]` as one vector of `D = C*H*W` values.
///
/// The input is flattened to `[B, D, 1, 1]`, so every sub-layer acts on all `D` dimensions:
/// a per-element ActNorm (log-det `sum(s)`), a fixed random orthogonal mixing (log-det 0) and
/// a coupling whose network is the MLP `D/2 -> hidden -> hidden -> D`
/// ([`Coupling::dense`]). The output has the input's shape. Unlike a [`crate::FlowStep`] it
/// shares nothing across positions: it is the building block of the dense Glow.
#[derive(Module, Debug)]
pub struct DenseStep {
    /// Per-element ActNorm (per channel of the flattened `[B, D, 1, 1]`).
    pub actnorm: ActNorm,
    /// Fixed orthogonal mixing of all `D` dimensions.
    pub mix: OrthogonalMix,
    /// Affine or additive coupling with a fully connected network.
    pub coupling: Coupling,
}

impl DenseStep {
    /// A dense step over inputs of shape `[C, H, W]` (with `C*H*W` even) whose coupling MLP
    /// has `hidden` units per hidden layer.
    pub fn new(
        shape: [usize; 3],
        hidden: usize,
        kind: CouplingKind,
        rng: &mut impl LazyRng,
        device: &Device,
    ) -> Result<Self, FlowError> {
        let dims = shape.iter().product();
        Ok(Self {
            actnorm: ActNorm::per_channel(dims, device)?,
            mix: OrthogonalMix::new(dims, rng, device)?,
            coupling: Coupling::dense(dims, hidden, kind, rng, device)?,
        })
    }
}

/// `x: [B, C, H, W]` as `[B, C*H*W, 1, 1]`.
fn flatten(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c * h * w, 1, 1])
}

impl InvertibleLayer for DenseStep {
    fn forward(&self, x: Tensor<4>) -> FlowOutput {
        let shape = x.dims();
        let out = self
            .actnorm
            .forward(flatten(x))
            .then(|h| self.mix.forward(h))
            .then(|h| self.coupling.forward(h));
        FlowOutput {
            output: out.output.reshape(shape),
            logdet: out.logdet,
        }
    }

    fn inverse(&self, y: Tensor<4>) -> Tensor<4> {
        let shape = y.dims();
        let b = self.coupling.inverse(flatten(y));
        let a = self.mix.inverse(b);
        self.actnorm.inverse(a).reshape(shape)
    }

    fn initialize(self, x: Tensor<4>) -> (Self, FlowOutput) {
        let shape = x.dims();
        let (actnorm, a) = self.actnorm.initialize(flatten(x));
        let (mix, b) = a.then_with(|h| self.mix.initialize(h));
        let (coupling, out) = b.then_with(|h| self.coupling.initialize(h));
        let step = Self {
            actnorm,
            mix,
            coupling,
        };
        let out = FlowOutput {
            output: out.output.reshape(shape),
            logdet: out.logdet,
        };
        (step, out)
    }
}
