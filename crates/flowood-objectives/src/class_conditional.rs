//! The supervised variant's loss (docs/method.md, "Supervised variant"), on the class
//! log-likelihoods `log p(x|c)` of a Glow with a class-conditional head
//! (`flowood_glow::ClassHead`, whose mixture is the model's `log p(x)`).

use burn::tensor::activation::softplus;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::error::ObjectiveError;

/// `mean_b [-log p(x_b|y_b) + D ln 256] + lambda * mean_{b, c != y_b} BCE((log p(x_b|c) -
/// log p_g(x_b)) / T, 0)`: the NLL under the true class plus a term pushing every wrong
/// class below the general model. `BCE(z, 0) = softplus(z)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
