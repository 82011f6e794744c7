//! Channel split (a latent leaves the flow) and its inverse merge.

use burn::tensor::Tensor;

/// Splits `[B, C, H, W]` into the first `C/2` channels (the latent that leaves) and the rest
/// (which go on to the next scale).
pub fn split(x: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
    let [_, c, _, _] = x.dims();
    (x.clone().narrow(1, 0, c / 2), x.narrow(1, c / 2, c - c / 2))
}

/// Inverse of [`split`]: concatenates the latent and the kept half along channels.
pub fn merge(z: Tensor<4>, kept: Tensor<4>) -> Tensor<4> {
    Tensor::cat(vec![z, kept], 1)
}
