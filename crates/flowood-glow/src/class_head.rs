//! The class-conditional head of the supervised variant: one learned diagonal Gaussian per
//! class on the normalised latents, scored as a mixture (docs/method.md, "Supervised
//! variant").
//!
//! With the paper's prior, scale i contributes `F_i + A_i + N_i` with `N_i = log N(u_i; 0, I)`
//! of its normalised latent `u_i = ActNorm_i(z_i)`. The head replaces the standard normal by
//! `N(mu_c, diag(sigma_c^2))` for class c over all `D` latent dimensions, so
//! `log p(x|c) = sum_i (F_i + A_i + N_i) + Delta_c`, where `Delta_c = sum_i Delta_{i,c}` and
//! `Delta_{i,c} = log N(u_i; mu_{c,i}, sigma_{c,i}^2) - log N(u_i; 0, I)` over scale i's
//! dimensions. The model's density is the mixture with uniform class weights,
//! `log p(x) = logsumexp_c log p(x|c) - log K`.
//!
//! The per-scale decomposition stays exact: with the posterior weights
//! `w = softmax_c log p(x|c)`,
//!
//! ```text
//! log p(x) = sum_i (F_i + A_i + N_i + sum_c w_c Delta_{i,c}) + (H(w) - log K),
//! ```
//!
//! because `logsumexp_c Delta_c = sum_c w_c Delta_c + H(w)`. Each scale's Gaussian term becomes
//! its posterior-weighted class density `sum_c w_c N_{i,c}`; the mixture term
//! `H(w) - log K = -KL(w || uniform)`, in `[-log K, 0]`, is the evidence about the class, a
//! property of the whole image, and is added to the last scale's `N_L`. A zero head
//! (`mu = 0`, `log sigma = 0`) gives `Delta = 0`, `w` uniform and a mixture term of 0: exactly
//! the unsupervised model.

use burn::module::{Module, Param};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use flowood_flows::trainable;

use crate::likelihood::ScaleTerms;

/// Learned per-class means and log-stds over all `D` normalised latent dimensions, scales
/// concatenated in order (see [`crate::GlowConfig::latent_offset`]).
#[derive(Module, Debug)]
pub struct ClassHead {
    /// `mu`, `[K, D]`.
    pub means: Param<Tensor<2>>,
    /// `log sigma`, `[K, D]`.
    pub log_stds: Param<Tensor<2>>,
}

/// The per-scale terms of the mixture and the class log-likelihoods of one forward pass.
pub(crate) struct Mixture {
    /// `F_i`, `A_i`, `N_i` (mixture form, see the module docs) and `lp_i` of every scale.
    pub scales: Vec<ScaleTerms>,
    /// `log p(x|c)`, `[B, K]`.
    pub class_log_likelihoods: Tensor<2>,
}

impl ClassHead {
    /// A zero head for `classes` classes over `dims` latent dimensions: every class starts as
    /// the standard normal, so the model's density is unchanged.
    pub fn new(classes: usize, dims: usize, device: &Device) -> Self {
        let zeros = || trainable(vec![0.0; classes * dims], [classes, dims], device);
        Self {
            means: zeros(),
            log_stds: zeros(),
        }
    }

    /// Number of classes K.
    pub fn classes(&self) -> usize {
        self.means.dims()[0]
    }

    /// The mixture form of the per-scale terms: `scales` are the unsupervised terms
    /// (`N_i = log N(u_i; 0, I)`), `normalized[i]` is `u_i` flattened to `[B, d_i]` and
    /// `offsets[i]` where its dimensions start.
    pub(crate) fn mix(
        &self,
        scales: Vec<ScaleTerms>,
        normalized: Vec<Tensor<2>>,
        offsets: &[usize],
    ) -> Mixture {
        let deltas: Vec<Tensor<2>> = normalized
            .into_iter()
            .zip(offsets)
            .map(|(u, &offset)| self.density_shift(u, offset))
            .collect();
        let delta = sum_all(deltas.clone());
        let weights = softmax(delta.clone(), 1);
        let evidence = log_mean_exp(delta.clone()) - weighted(&weights, delta.clone());
        let base = sum_all(scales.iter().map(|s| s.lp.clone()).collect());
        let last = scales.len() - 1;
        let scales = scales
            .into_iter()
            .zip(deltas)
            .enumerate()
            .map(|(i, (s, d))| {
                let mut gaussian = s.gaussian + weighted(&weights, d);
                if i == last {
                    gaussian = gaussian + evidence.clone();
                }
                ScaleTerms::new(s.flow_logdet, s.prior_logdet, gaussian)
            })
            .collect();
        Mixture {
            scales,
            class_log_likelihoods: delta + base.unsqueeze_dim(1),
        }
    }

    /// `Delta_{i,c}` of the latent dimensions `offset..offset + d` for `u: [B, d]`, `[B, K]`:
    /// `sum_j (u_j^2 - ((u_j - mu_cj) / sigma_cj)^2) / 2 - log sigma_cj`, exactly 0 for a zero
    /// head.
    fn density_shift(&self, u: Tensor<2>, offset: usize) -> Tensor<2> {
        let [_, d] = u.dims();
        let means = self.means.val().narrow(1, offset, d).unsqueeze_dim::<3>(0);
        let log_stds = self
            .log_stds
            .val()
            .narrow(1, offset, d)
            .unsqueeze_dim::<3>(0);
        let u = u.unsqueeze_dim::<3>(1);
        let scaled = (u.clone() - means) * log_stds.clone().neg().exp();
        let per_dim = (u.powi_scalar(2) - scaled.powi_scalar(2)).mul_scalar(0.5) - log_stds;
        per_dim.sum_dim(2).squeeze_dim::<2>(2)
    }

    /// Maps standard-normal noise `eps: [n, C, H, W]` of the latent dimensions starting at
    /// `offset` to the Gaussian of each image's class (`classes`, `[n]`): `mu_c + sigma_c eps`.
    pub fn sample(&self, eps: Tensor<4>, offset: usize, classes: &[usize]) -> Tensor<4> {
        let [n, c, h, w] = eps.dims();
        let rows = Tensor::<1, Int>::from_data(
            TensorData::new(classes.iter().map(|&k| k as i64).collect(), [classes.len()]),
            &eps.device(),
        );
        let pick = |p: &Param<Tensor<2>>| {
            p.val()
                .select(0, rows.clone())
                .narrow(1, offset, c * h * w)
                .reshape([n, c, h, w])
        };
        pick(&self.means) + eps * pick(&self.log_stds).exp()
    }
}

/// `sum_c w_c t_c` per row of `t: [B, K]`, `[B]`.
fn weighted(weights: &Tensor<2>, t: Tensor<2>) -> Tensor<1> {
    (weights.clone() * t).sum_dim(1).squeeze_dim::<1>(1)
}

/// `log mean_c exp(t_c)` per row of `t: [B, K]`, `[B]`; exactly 0 for a zero row.
fn log_mean_exp(t: Tensor<2>) -> Tensor<1> {
    let max = t.clone().max_dim(1).detach();
    let mean = (t - max.clone()).exp().mean_dim(1).log() + max;
    mean.squeeze_dim::<1>(1)
}

/// The sum of equally shaped tensors, in order.
fn sum_all<const D: usize>(parts: Vec<Tensor<D>>) -> Tensor<D> {
    parts
        .into_iter()
        .reduce(|a, b| a + b)
        .unwrap_or_else(|| unreachable!("a Glow has at least one scale"))
}
