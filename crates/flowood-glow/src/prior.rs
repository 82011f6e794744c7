//! Priors on the per-scale latents, split into the terms the per-scale decomposition needs.

use std::f64::consts::PI;

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use flowood_flows::trainable;
use flowood_flows::{ActNorm, FlowError, InvertibleLayer};
use flowood_flows::{ConvInit, SameConv, swap_batch_channels};
use rand::Rng;

/// The two prior terms of one scale, per sample (shape `[B]`).
#[derive(Debug, Clone)]
pub struct PriorTerms {
    /// `A_i`: log-det of the prior's own transform (0 where it has none).
    pub logdet: Tensor<1>,
    /// `N_i`: log-density of the (transformed) latent under its Gaussian.
    pub gaussian: Tensor<1>,
}

/// The prior of one scale.
#[derive(Module, Debug)]
pub enum ScalePrior {
    /// Per-element ActNorm, then `N(0, I)` (the paper's prior).
    ActNorm(ActNormPrior),
    /// Mean and log-std predicted from the kept half (openai split prior).
    Conditional(ConditionalPrior),
    /// Learned mean and log-std (openai prior of the last scale).
    Learned(LearnedPrior),
}

/// `N(ActNorm(z); 0, I)`.
#[derive(Module, Debug)]
pub struct ActNormPrior {
    /// Per-element ActNorm over the latent.
    pub actnorm: ActNorm,
}

/// `N(z; mean(h), exp(logs(h))^2)` with `[mean, logs] = conv3x3(h)`, zero-initialised.
#[derive(Module, Debug)]
pub struct ConditionalPrior {
    /// Predicts `2 * C_z` channels from the kept half: means first, then log-stds.
    pub conv: SameConv,
}

/// `N(z; mean, exp(logs)^2)` with learned, zero-initialised per-element parameters.
#[derive(Module, Debug)]
pub struct LearnedPrior {
    /// `[1, 2 * C_z, H, W]`: means first, then log-stds.
    pub mean_logs: Param<Tensor<4>>,
}

impl ScalePrior {
    /// The paper's prior for a latent of shape `[C, H, W]`.
    pub fn actnorm(shape: [usize; 3], device: &Device) -> Result<Self, FlowError> {
        Ok(Self::ActNorm(ActNormPrior {
            actnorm: ActNorm::per_element(shape, device)?,
        }))
    }

    /// The openai split prior for a latent of `c_z` channels conditioned on `c_kept` channels.
    pub fn conditional(c_kept: usize, c_z: usize, rng: &mut impl Rng, device: &Device) -> Self {
        let conv = SameConv::new(c_kept, 2 * c_z, 3, ConvInit::Zero, rng, device);
        Self::Conditional(ConditionalPrior { conv })
    }

    /// The openai top prior for a latent of shape `[C, H, W]`.
    pub fn learned(shape: [usize; 3], device: &Device) -> Self {
        let [c, h, w] = shape;
        let mean_logs = trainable(vec![0.0; 2 * c * h * w], [1, 2 * c, h, w], device);
        Self::Learned(LearnedPrior { mean_logs })
    }

    /// `A_i` and `N_i` for latent `z` given the kept half `kept` (last scale: `None`).
    pub fn terms(&self, z: Tensor<4>, kept: Option<&Tensor<4>>) -> PriorTerms {
        match self {
            Self::ActNorm(p) => {
                let out = p.actnorm.forward(z);
                PriorTerms {
                    logdet: out.logdet,
                    gaussian: standard_log_density(out.output),
                }
            }
            _ => {
                let (mean, logs) = self.mean_logs(&z, kept);
                let [b, ..] = z.dims();
                let logdet = Tensor::zeros([b], &z.device());
                PriorTerms {
                    logdet,
                    gaussian: gaussian_log_density(z, mean, logs),
                }
            }
        }
    }

    /// The latent after the prior's own transform, for the ActNorm prior (whose Gaussian is
    /// then standard); `None` for the Gaussian priors, which have no such transform.
    pub fn normalize(&self, z: Tensor<4>) -> Option<Tensor<4>> {
        match self {
            Self::ActNorm(p) => Some(p.actnorm.normalize(z)),
            _ => None,
        }
    }

    /// Runs data-dependent initialisation (ActNorm prior only), then [`Self::terms`].
    pub fn initialize(self, z: Tensor<4>, kept: Option<&Tensor<4>>) -> (Self, PriorTerms) {
        match self {
            Self::ActNorm(p) => {
                let (actnorm, out) = p.actnorm.initialize(z);
                let terms = PriorTerms {
                    logdet: out.logdet,
                    gaussian: standard_log_density(out.output),
                };
                (Self::ActNorm(ActNormPrior { actnorm }), terms)
            }
            other => {
                let terms = other.terms(z, kept);
                (other, terms)
            }
        }
    }

    /// Maps standard-normal noise `eps` (already scaled by the temperature) to a latent.
    pub fn sample(&self, eps: Tensor<4>, kept: Option<&Tensor<4>>) -> Tensor<4> {
        match self {
            Self::ActNorm(p) => p.actnorm.inverse(eps),
            _ => {
                let (mean, logs) = self.mean_logs(&eps, kept);
                mean + eps * logs.exp()
            }
        }
    }

    /// Mean and log-std of the Gaussian prior variants, broadcastable to `like`.
    fn mean_logs(&self, like: &Tensor<4>, kept: Option<&Tensor<4>>) -> (Tensor<4>, Tensor<4>) {
        let params = match (self, kept) {
            (Self::Conditional(p), Some(h)) => {
                swap_batch_channels(p.conv.forward(swap_batch_channels(h.clone())))
            }
            (Self::Learned(p), _) => p.mean_logs.val(),
            // A conditional prior always sits below a split, which provides `kept`; the
            // standard normal is the only sensible reading otherwise.
            _ => Tensor::zeros(double_channels(like.dims()), &like.device()),
        };
        let [_, c2, _, _] = params.dims();
        (
            params.clone().narrow(1, 0, c2 / 2),
            params.narrow(1, c2 / 2, c2 / 2),
        )
    }
}

fn double_channels([b, c, h, w]: [usize; 4]) -> [usize; 4] {
    [b, 2 * c, h, w]
}

/// Per-sample `log N(x; 0, I)` summed over all dimensions.
fn standard_log_density(x: Tensor<4>) -> Tensor<1> {
    let [_, c, h, w] = x.dims();
    let d = (c * h * w) as f64;
    flatten_sum(x.powi_scalar(2))
        .mul_scalar(-0.5)
        .sub_scalar(0.5 * d * (2.0 * PI).ln())
}

/// Per-sample `log N(x; mean, exp(logs)^2)` summed over all dimensions.
fn gaussian_log_density(x: Tensor<4>, mean: Tensor<4>, logs: Tensor<4>) -> Tensor<1> {
    let [_, c, h, w] = x.dims();
    let d = (c * h * w) as f64;
    let z = (x - mean) * logs.clone().neg().exp();
    let per_dim = z.powi_scalar(2).mul_scalar(-0.5) - logs;
    flatten_sum(per_dim).sub_scalar(0.5 * d * (2.0 * PI).ln())
}

/// Sums `[B, C, H, W]` over everything but the batch, giving `[B]`.
fn flatten_sum(x: Tensor<4>) -> Tensor<1> {
    let [b, ..] = x.dims();
    x.reshape([b as i64, -1]).sum_dim(1).reshape([b])
}
