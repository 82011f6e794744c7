//! The typed per-scale log-likelihood (docs/method.md, "The per-scale decomposition").

use std::f64::consts::LN_2;

use burn::tensor::Tensor;
use flowood_flows::to_host;

/// Terms of scale i, per image (each `[B]`, nats).
#[derive(Debug, Clone)]
pub struct ScaleTerms {
    /// `F_i`: summed log-dets of the scale's K flow steps.
    pub flow_logdet: Tensor<1>,
    /// `A_i`: log-det of the scale's prior transform (ActNorm), 0 for Gaussian priors.
    pub prior_logdet: Tensor<1>,
    /// `N_i`: log-density of the latent under the prior's Gaussian.
    pub gaussian: Tensor<1>,
    /// `lp_i = F_i + A_i + N_i`, the contribution of the scale to `log p(x)`.
    pub lp: Tensor<1>,
}

impl ScaleTerms {
    /// Bundles the three terms and computes `lp_i = F_i + A_i + N_i`.
    pub fn new(flow_logdet: Tensor<1>, prior_logdet: Tensor<1>, gaussian: Tensor<1>) -> Self {
        let lp = flow_logdet.clone() + prior_logdet.clone() + gaussian.clone();
        Self {
            flow_logdet,
            prior_logdet,
            gaussian,
            lp,
        }
    }
}

/// `log p(x)` of a batch, decomposed per scale, as device tensors (differentiable).
///
/// Densities are continuous on the model's input scale `x = v/256 - 0.5`, in nats per image.
/// `total = lp_1 + ... + lp_L`, summed in that order, so the host values of
/// [`LogLikelihood::to_host`] add up exactly.
#[derive(Debug, Clone)]
pub struct LogLikelihood {
    /// Per-scale terms, first (finest) scale first.
    pub scales: Vec<ScaleTerms>,
    /// `log p(x)`, `[B]`.
    pub total: Tensor<1>,
    /// `D = C * H * W` of the input.
    pub dims: usize,
}

impl LogLikelihood {
    /// Sums the per-scale contributions into the total.
    pub(crate) fn from_scales(scales: Vec<ScaleTerms>, dims: usize) -> Self {
        let total = scales
            .iter()
            .map(|s| s.lp.clone())
            .reduce(|acc, lp| acc + lp)
            .unwrap_or_else(|| unreachable!("a Glow has at least one scale"));
        Self {
            scales,
            total,
            dims,
        }
    }

    /// `NLL(x) = -log p(x) + D ln 256`: the discrete negative log-likelihood in nats, `[B]`.
    pub fn nll(&self) -> Tensor<1> {
        self.total
            .clone()
            .neg()
            .add_scalar(self.dims as f64 * 256f64.ln())
    }

    /// Bits per dimension `NLL / (D ln 2)`, `[B]`.
    pub fn bits_per_dim(&self) -> Tensor<1> {
        self.nll().div_scalar(self.dims as f64 * LN_2)
    }

    /// Reads every term back to the host.
    pub fn to_host(&self) -> LogLikelihoodValues {
        let scales = self
            .scales
            .iter()
            .map(|s| ScaleValues {
                flow_logdet: host(&s.flow_logdet),
                prior_logdet: host(&s.prior_logdet),
                gaussian: host(&s.gaussian),
                lp: host(&s.lp),
            })
            .collect();
        LogLikelihoodValues {
            scales,
            total: host(&self.total),
            bits_per_dim: host(&self.bits_per_dim()),
        }
    }
}

fn host(t: &Tensor<1>) -> Vec<f64> {
    to_host(t.clone())
}

/// Host copy of one scale's terms, one value per image.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleValues {
    /// `F_i` per image.
    pub flow_logdet: Vec<f64>,
    /// `A_i` per image.
    pub prior_logdet: Vec<f64>,
    /// `N_i` per image.
    pub gaussian: Vec<f64>,
    /// `lp_i` per image.
    pub lp: Vec<f64>,
}

/// Host copy of a [`LogLikelihood`]: per image and per scale.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLikelihoodValues {
    /// Per-scale terms, first scale first.
    pub scales: Vec<ScaleValues>,
    /// `log p(x)` per image (nats).
    pub total: Vec<f64>,
    /// Bits per dimension per image.
    pub bits_per_dim: Vec<f64>,
}

impl LogLikelihoodValues {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.total.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.total.is_empty()
    }

    /// The final-scale contribution `lp_L` per image (the paper's final-scale score).
    pub fn final_scale(&self) -> &[f64] {
        self.scales.last().map(|s| s.lp.as_slice()).unwrap_or(&[])
    }
}
