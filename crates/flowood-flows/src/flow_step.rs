//! One Glow flow step: ActNorm -> invertible 1x1 conv -> coupling.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use rand::Rng;

use crate::actnorm::ActNorm;
use crate::coupling::{Coupling, CouplingKind};
use crate::error::FlowError;
use crate::invconv::InvConv1x1;
use crate::layer::{FlowOutput, InvertibleLayer};

/// ActNorm, then an LU 1x1 convolution, then a coupling; log-dets add up.
#[derive(Module, Debug)]
pub struct FlowStep {
    /// Per-channel ActNorm.
    pub actnorm: ActNorm,
    /// Channel mixing.
    pub invconv: InvConv1x1,
    /// Affine or additive coupling.
    pub coupling: Coupling,
}

impl FlowStep {
    /// A flow step over `channels` (even) with a coupling network of `hidden` channels.
    pub fn new(
        channels: usize,
        hidden: usize,
        kind: CouplingKind,
        rng: &mut impl Rng,
        device: &Device,
    ) -> Result<Self, FlowError> {
        Ok(Self {
            actnorm: ActNorm::per_channel(channels, device)?,
            invconv: InvConv1x1::new(channels, rng, device)?,
            coupling: Coupling::new(channels, hidden, kind, rng, device)?,
        })
    }
}

impl InvertibleLayer for FlowStep {
    fn forward(&self, x: Tensor<4>) -> FlowOutput {
        self.actnorm
            .forward(x)
            .then(|h| self.invconv.forward(h))
            .then(|h| self.coupling.forward(h))
    }

    fn inverse(&self, y: Tensor<4>) -> Tensor<4> {
        let b = self.coupling.inverse(y);
        let a = self.invconv.inverse(b);
        self.actnorm.inverse(a)
    }

    fn initialize(self, x: Tensor<4>) -> (Self, FlowOutput) {
        let (actnorm, a) = self.actnorm.initialize(x);
        let (invconv, b) = a.then_with(|h| self.invconv.initialize(h));
        let (coupling, out) = b.then_with(|h| self.coupling.initialize(h));
        let step = Self {
            actnorm,
            invconv,
            coupling,
        };
        (step, out)
    }
}
