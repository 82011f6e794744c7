//! The K flow steps of one scale, composed into one invertible layer.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use flowood_flows::{CouplingKind, FlowError, FlowOutput, FlowStep, InvertibleLayer};
use rand::Rng;

/// K flow steps applied in order; their log-dets add up to `F_i`.
#[derive(Module, Debug)]
pub struct ScaleFlow {
    /// The flow steps, applied first to last.
    pub steps: Vec<FlowStep>,
}

impl ScaleFlow {
    /// `steps` flow steps over `channels` channels with couplings of `hidden` channels.
    pub fn new(
        channels: usize,
        steps: usize,
        hidden: usize,
        kind: CouplingKind,
        rng: &mut impl Rng,
        device: &Device,
    ) -> Result<Self, FlowError> {
        let steps = (0..steps)
            .map(|_| FlowStep::new(channels, hidden, kind, rng, device))
            .collect::<Result<_, _>>()?;
        Ok(Self { steps })
    }

    /// Whether every ActNorm of the scale has been initialised.
    pub fn is_initialized(&self) -> bool {
        self.steps.iter().all(|s| s.actnorm.is_initialized())
    }
}

impl InvertibleLayer for ScaleFlow {
    fn forward(&self, x: Tensor<4>) -> FlowOutput {
        let [b, ..] = x.dims();
        let init = FlowOutput {
            logdet: Tensor::zeros([b], &x.device()),
            output: x,
        };
        self.steps.iter().fold(init, |acc, step| {
            let out = step.forward(acc.output);
            FlowOutput {
                output: out.output,
                logdet: acc.logdet + out.logdet,
            }
        })
    }

    fn inverse(&self, y: Tensor<4>) -> Tensor<4> {
        self.steps.iter().rev().fold(y, |h, step| step.inverse(h))
    }

    fn initialize(self, x: Tensor<4>) -> (Self, FlowOutput) {
        let [b, ..] = x.dims();
        let mut acc = FlowOutput {
            logdet: Tensor::zeros([b], &x.device()),
            output: x,
        };
        let mut steps = Vec::with_capacity(self.steps.len());
        for step in self.steps {
            let (step, out) = step.initialize(acc.output);
            acc = FlowOutput {
                output: out.output,
                logdet: acc.logdet + out.logdet,
            };
            steps.push(step);
        }
        (Self { steps }, acc)
    }
}
