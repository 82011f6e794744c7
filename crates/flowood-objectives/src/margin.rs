//! The Outlier Exposure margin loss (Hendrycks et al. 2019), the paper's baseline.

use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use serde::{Deserialize, Serialize};

/// `mean relu(margin + NLL_in(x_in).detached - NLL_in(x_g))`, pairing image i of the
/// in-distribution batch with image i of the general batch.
///
/// Pushes the NLL of general images at least `margin` nats above that of in-distribution
/// images. docs/method.md writes the margin as `D`; [`MarginLoss::per_dimension`] gives that
/// default (one nat per input dimension).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MarginLoss {
    /// Margin in nats per image.
    pub margin: f64,
}

impl MarginLoss {
    /// Margin `D = C * H * W` nats (one per dimension), the default of docs/method.md.
    pub fn per_dimension(dims: usize) -> Self {
        Self {
            margin: dims as f64,
        }
    }

    /// The margin term from per-image NLLs (`[B]` each, nats); add the in-distribution NLL
    /// for the full objective. Batches of different sizes are paired up to the shorter one.
    pub fn loss(&self, nll_in: Tensor<1>, nll_general: Tensor<1>) -> Tensor<1> {
        let [n_in] = nll_in.dims();
        let [n_g] = nll_general.dims();
        let n = n_in.min(n_g);
        let nll_in = nll_in.detach().narrow(0, 0, n);
        relu(nll_in.add_scalar(self.margin) - nll_general.narrow(0, 0, n)).mean()
    }
}
