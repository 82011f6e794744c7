//! Affine and additive coupling layers (Dinh et al. 2016; Kingma & Dhariwal 2018).

use burn::module::Module;
use burn::tensor::activation::log_sigmoid;
use burn::tensor::{Device, Tensor};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::coupling_net::CouplingNet;
use crate::error::FlowError;
use crate::layer::{FlowOutput, InvertibleLayer, zero_logdet};

/// Offset added to the raw scale before the sigmoid, so a fresh coupling scales by
/// `sigmoid(2) ~ 0.88` rather than 0.5.
const SCALE_OFFSET: f64 = 2.0;

/// Which coupling transform to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CouplingKind {
    /// `yb = (xb + t) * sigmoid(r + 2)`: volume-changing, the paper's choice.
    #[default]
    Affine,
    /// `yb = xb + t`: volume-preserving (log-det 0).
    Additive,
}

/// Splits channels into halves `xa, xb`; `xa` passes through and conditions the transform of `xb`.
///
/// For the affine kind the network outputs `C` channels, interleaved: shift `t = h[:, 0::2]`,
/// raw scale `r = h[:, 1::2]`. For the additive kind it outputs `C/2` shift channels.
#[derive(Module, Debug)]
pub struct Coupling {
    /// Network predicting the transform of `xb` from `xa`.
    pub net: CouplingNet,
    /// Affine or additive.
    #[module(skip)]
    pub kind: CouplingKind,
}

/// Shift `t` and log-scale `log s` of the second half (log-scale `None` for additive).
struct Transform {
    shift: Tensor<4>,
    log_scale: Option<Tensor<4>>,
}

impl Coupling {
    /// A coupling over `channels` (must be even) with a network of `hidden` channels.
    pub fn new(
        channels: usize,
        hidden: usize,
        kind: CouplingKind,
        rng: &mut impl Rng,
        device: &Device,
    ) -> Result<Self, FlowError> {
        let c_out = Self::net_outputs(channels, kind)?;
        let net = CouplingNet::new(channels / 2, hidden, c_out, rng, device)?;
        Ok(Self { net, kind })
    }

    /// A coupling over `[B, channels, 1, 1]` inputs (a flattened tensor) whose network is the
    /// fully connected `channels/2 -> hidden -> hidden -> channels` ([`CouplingNet::dense`]).
    pub fn dense(
        channels: usize,
        hidden: usize,
        kind: CouplingKind,
        rng: &mut impl Rng,
        device: &Device,
    ) -> Result<Self, FlowError> {
        let c_out = Self::net_outputs(channels, kind)?;
        let net = CouplingNet::dense(channels / 2, hidden, c_out, rng, device)?;
        Ok(Self { net, kind })
    }

    /// Output channels of the network for a coupling over `channels` (which must be even).
    fn net_outputs(channels: usize, kind: CouplingKind) -> Result<usize, FlowError> {
        if channels == 0 || !channels.is_multiple_of(2) {
            return Err(FlowError::OddChannels { channels });
        }
        Ok(match kind {
            CouplingKind::Affine => channels,
            CouplingKind::Additive => channels / 2,
        })
    }

    /// Interprets the network output `h` according to the coupling kind.
    fn transform(&self, h: Tensor<4>) -> Transform {
        match self.kind {
            CouplingKind::Additive => Transform {
                shift: h,
                log_scale: None,
            },
            CouplingKind::Affine => {
                let [b, c, height, width] = h.dims();
                let pairs = h.reshape([b, c / 2, 2, height, width]);
                let shift = pairs
                    .clone()
                    .narrow(2, 0, 1)
                    .reshape([b, c / 2, height, width]);
                let raw = pairs.narrow(2, 1, 1).reshape([b, c / 2, height, width]);
                Transform {
                    shift,
                    log_scale: Some(log_sigmoid(raw.add_scalar(SCALE_OFFSET))),
                }
            }
        }
    }

    /// Applies a transform to `xa, xb`.
    fn apply(xa: Tensor<4>, xb: Tensor<4>, transform: Transform) -> FlowOutput {
        let shifted = xb + transform.shift;
        match transform.log_scale {
            None => {
                let logdet = zero_logdet(&shifted);
                FlowOutput {
                    output: Tensor::cat(vec![xa, shifted], 1),
                    logdet,
                }
            }
            Some(log_scale) => {
                let [b, ..] = log_scale.dims();
                let yb = shifted * log_scale.clone().exp();
                let logdet = log_scale.reshape([b as i64, -1]).sum_dim(1).squeeze_dim(1);
                FlowOutput {
                    output: Tensor::cat(vec![xa, yb], 1),
                    logdet,
                }
            }
        }
    }
}

/// The two channel halves of `x`.
fn halves(x: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
    let [_, c, _, _] = x.dims();
    (x.clone().narrow(1, 0, c / 2), x.narrow(1, c / 2, c - c / 2))
}

impl InvertibleLayer for Coupling {
    fn forward(&self, x: Tensor<4>) -> FlowOutput {
        let (xa, xb) = halves(x);
        let transform = self.transform(self.net.forward(xa.clone()));
        Self::apply(xa, xb, transform)
    }

    fn inverse(&self, y: Tensor<4>) -> Tensor<4> {
        let (ya, yb) = halves(y);
        let transform = self.transform(self.net.forward(ya.clone()));
        let unscaled = match transform.log_scale {
            Some(log_scale) => yb * log_scale.neg().exp(),
            None => yb,
        };
        Tensor::cat(vec![ya, unscaled - transform.shift], 1)
    }

    fn initialize(self, x: Tensor<4>) -> (Self, FlowOutput) {
        let (xa, xb) = halves(x);
        let (net, h) = self.net.initialize(xa.clone());
        let layer = Self { net, ..self };
        let transform = layer.transform(h);
        (layer, Self::apply(xa, xb, transform))
    }
}
