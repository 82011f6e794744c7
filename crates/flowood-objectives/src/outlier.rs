//! The paper's outlier loss (Schirrmeister et al. 2020, Eq. 2).

use burn::tensor::Tensor;
use burn::tensor::activation::softplus;
use serde::{Deserialize, Serialize};

/// `L = mean_in NLL(x_in) + lambda * mean_g softplus((log p_in(x_g) - log p_g(x_g)) / T)`.
///
/// Fine-tunes the in-distribution model so that general-distribution images `x_g` get a lower
/// likelihood under it than under the general model. The general model is frozen: its
/// log-likelihoods are detached here, so no gradient reaches it whatever device it is on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OutlierLoss {
    /// Weight of the outlier term (default 6000).
    pub lambda: f64,
    /// Temperature dividing the log-ratio (default 1000).
    pub temperature: f64,
}

impl Default for OutlierLoss {
    fn default() -> Self {
        Self {
            lambda: 6000.0,
            temperature: 1000.0,
        }
    }
}

impl OutlierLoss {
    /// The full loss from per-image tensors (each `[B]`, nats): the in-distribution model's
    /// NLL on `x_in`, its `log p` on `x_g`, and the general model's `log p` on `x_g`.
    pub fn loss(
        &self,
        nll_in: Tensor<1>,
        logp_in_on_general: Tensor<1>,
        logp_general_on_general: Tensor<1>,
    ) -> Tensor<1> {
        nll_in.mean()
            + self
                .outlier_term(logp_in_on_general, logp_general_on_general)
                .mul_scalar(self.lambda)
    }

    /// `mean_g softplus((log p_in(x_g) - log p_g(x_g)) / T)`, the general model detached.
    pub fn outlier_term(
        &self,
        logp_in_on_general: Tensor<1>,
        logp_general_on_general: Tensor<1>,
    ) -> Tensor<1> {
        let ratio =
            (logp_in_on_general - logp_general_on_general.detach()).div_scalar(self.temperature);
        softplus(ratio, 1.0).mean()
    }
}
