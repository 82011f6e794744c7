//! Maximum likelihood: NLL in nats per image and bits per dimension.

use burn::tensor::Tensor;
use flowood_glow::LogLikelihood;

/// Mean discrete NLL of the batch in nats per image, `mean(-log p(x) + D ln 256)`.
///
/// This is the loss the general and in-distribution models are trained with.
pub fn nll_loss(ll: &LogLikelihood) -> Tensor<1> {
    ll.nll().mean()
}

/// Mean bits per dimension of the batch, `mean(NLL) / (D ln 2)`.
pub fn bits_per_dim(ll: &LogLikelihood) -> Tensor<1> {
    ll.bits_per_dim().mean()
}
