//! Space-to-depth squeeze and its inverse.

use burn::tensor::Tensor;

use crate::error::FlowError;

/// `(B, C, H, W) -> (B, 4C, H/2, W/2)` with new channel `c * 4 + 2 * dy + dx`.
///
/// Fails on odd height or width.
pub fn squeeze(x: Tensor<4>) -> Result<Tensor<4>, FlowError> {
    let [b, c, h, w] = x.dims();
    if !h.is_multiple_of(2) || !w.is_multiple_of(2) {
        return Err(FlowError::OddSpatialSize {
            height: h,
            width: w,
        });
    }
    Ok(x.reshape([b, c, h / 2, 2, w / 2, 2])
        .permute([0, 1, 3, 5, 2, 4])
        .reshape([b, c * 4, h / 2, w / 2]))
}

/// Inverse of [`squeeze`]: `(B, 4C, H, W) -> (B, C, 2H, 2W)`.
///
/// The channel count must be a multiple of 4 (it always is for a squeezed tensor).
pub fn unsqueeze(y: Tensor<4>) -> Tensor<4> {
    let [b, c4, h, w] = y.dims();
    let c = c4 / 4;
    y.reshape([b, c, 2, 2, h, w])
        .permute([0, 1, 4, 2, 5, 3])
        .reshape([b, c, h * 2, w * 2])
}
