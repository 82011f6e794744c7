//! The supervised variant: per-class diagonal Gaussians on the latents.
//!
//! With the paper's prior, `log p(x) = sum_i (F_i + A_i) + log N(u; 0, I)` where `u` is the
//! concatenation of all ActNorm-normalised latents. The class-conditional model replaces the
//! standard normal by one diagonal Gaussian per class, `log p(x|c) = sum_i (F_i + A_i) +
//! log N(u; mu_c, diag(exp(log_std_c))^2)`, and scores `log p_in(x) = logsumexp_c log p(x|c)
//! - log n_classes`.

use std::f64::consts::PI;

use burn::module::{Module, Param};
use burn::tensor::activation::softplus;
use burn::tensor::{Device, Tensor, TensorData};
use flowood_glow::Glow;

use crate::error::ObjectiveError;

/// Learned per-class means and log-stds over all `D` latent dimensions (zero-initialised, so
/// every class starts as the standard normal).
#[derive(Module, Debug)]
pub struct ClassConditionalHead {
    /// `[n_classes, D]`.
    pub means: Param<Tensor<2>>,
    /// `[n_classes, D]`.
    pub log_stds: Param<Tensor<2>>,
}

impl ClassConditionalHead {
    /// A head for `n_classes` classes over `dims = C * H * W` latent dimensions.
    pub fn new(n_classes: usize, dims: usize, device: &Device) -> Self {
        let zeros = || Param::from_tensor(Tensor::zeros([n_classes, dims], device));
        Self {
            means: zeros(),
            log_stds: zeros(),
        }
    }

    /// `log p(x|c)` for every image and class, `[B, n_classes]` (nats).
    pub fn class_log_likelihoods(
        &self,
        glow: &Glow,
        x: Tensor<4>,
    ) -> Result<Tensor<2>, ObjectiveError> {
        let encoded = glow.encode_with_likelihood(x)?;
        let scales = &encoded.log_likelihood.scales;
        let base = scales
            .iter()
            .map(|s| s.flow_logdet.clone() + s.prior_logdet.clone())
            .reduce(|a, b| a + b)
            .ok_or_else(|| ObjectiveError::Shape("a Glow without scales".into()))?;
        let mut parts = Vec::with_capacity(scales.len());
        for (z, scale) in encoded.latents.into_iter().zip(&glow.scales) {
            parts.push(
                scale
                    .prior
                    .normalize(z)
                    .ok_or(ObjectiveError::UnsupportedPrior)?
                    .flatten::<2>(1, 3),
            );
        }
        let u = Tensor::cat(parts, 1);
        Ok(self.gaussian_log_density(u) + base.unsqueeze_dim(1))
    }

    /// `log N(u_b; mu_c, diag(sigma_c^2))` for every row `b` of `u: [B, D]` and class `c`.
    pub fn gaussian_log_density(&self, u: Tensor<2>) -> Tensor<2> {
        let [_, d] = u.dims();
        let means = self.means.val().unsqueeze_dim::<3>(0);
        let log_stds = self.log_stds.val().unsqueeze_dim::<3>(0);
        let z = (u.unsqueeze_dim::<3>(1) - means) * log_stds.clone().neg().exp();
        let per_dim = z.powi_scalar(2).mul_scalar(-0.5) - log_stds;
        per_dim
            .sum_dim(2)
            .squeeze_dim::<2>(2)
            .sub_scalar(0.5 * d as f64 * (2.0 * PI).ln())
    }

    /// `log p_in(x) = logsumexp_c log p(x|c) - log n_classes`, `[B]`.
    pub fn log_likelihood(class_log_likelihoods: Tensor<2>) -> Tensor<1> {
        let [_, k] = class_log_likelihoods.dims();
        let max = class_log_likelihoods.clone().max_dim(1).detach();
        let shifted = (class_log_likelihoods - max.clone()).exp().sum_dim(1).log() + max;
        shifted.squeeze_dim::<1>(1).sub_scalar((k as f64).ln())
    }
}

/// `mean_b [-log p(x_b|y_b) + D ln 256] + lambda * mean_{b, c != y_b} BCE((log p(x_b|c) -
/// log p_g(x_b)) / T, 0)`: the NLL under the true class plus a term pushing every wrong
/// class below the general model. `BCE(z, 0) = softplus(z)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassConditionalLoss {
    /// Weight of the wrong-class term (default 6000, as the outlier loss).
    pub lambda: f64,
    /// Temperature of the log-ratio (default 1000).
    pub temperature: f64,
}

impl Default for ClassConditionalLoss {
    fn default() -> Self {
        Self {
            lambda: 6000.0,
            temperature: 1000.0,
        }
    }
}

impl ClassConditionalLoss {
    /// The loss from `class_ll: [B, K]` (`log p(x|c)`), labels `[B]` in `0..K`, the general
    /// model's `log p_g(x)` (`[B]`, detached here) and the input dimension `D`.
    pub fn loss(
        &self,
        class_ll: Tensor<2>,
        labels: &[i64],
        logp_general: Tensor<1>,
        dims: usize,
    ) -> Result<Tensor<1>, ObjectiveError> {
        let [b, k] = class_ll.dims();
        if labels.len() != b || logp_general.dims() != [b] {
            return Err(ObjectiveError::Shape(format!(
                "{b} images, {} labels, general log-likelihoods {:?}",
                labels.len(),
                logp_general.dims()
            )));
        }
        if let Some(&label) = labels.iter().find(|&&l| l < 0 || l as usize >= k) {
            return Err(ObjectiveError::LabelOutOfRange { label, classes: k });
        }
        let device = class_ll.device();
        let true_mask = one_hot(labels, k, &device);
        let true_ll = (class_ll.clone() * true_mask.clone())
            .sum_dim(1)
            .squeeze_dim::<1>(1);
        let nll = true_ll.neg().add_scalar(dims as f64 * 256f64.ln()).mean();
        let ratio =
            (class_ll - logp_general.detach().unsqueeze_dim(1)).div_scalar(self.temperature);
        let wrong = true_mask.neg().add_scalar(1.0);
        let bce = (softplus(ratio, 1.0) * wrong)
            .sum()
            .div_scalar((b * (k - 1)).max(1) as f64);
        Ok(nll + bce.mul_scalar(self.lambda))
    }
}

/// `[B, K]` float one-hot rows of `labels`.
fn one_hot(labels: &[i64], k: usize, device: &Device) -> Tensor<2> {
    let mut values = vec![0.0f32; labels.len() * k];
    for (row, &label) in labels.iter().enumerate() {
        values[row * k + label as usize] = 1.0;
    }
    Tensor::from_data(TensorData::new(values, [labels.len(), k]), device)
}
