//! The shifted windows of a stride-1 "same" convolution on channel-major `[C, B, H, W]`
//! activations: stacked along channels before a product ([`unfold`]) or summed after one
//! ([`sum_shifted`]).
//!
//! Each window is a slice of a zero-padded copy, and the windows are then concatenated or
//! added. On Flex the same values come from one pass each over a typed vector instead, forward
//! and backward (`flex_windows`).

use burn::tensor::Tensor;
use burn::tensor::ops::PadMode;

/// The `k*k` windows of channel-major `x` stacked along channels, in row-major tap order:
/// channel `tap * C + c` of the result is window `tap` of channel `c`.
pub(crate) fn unfold(x: Tensor<4>, k: usize) -> Tensor<4> {
    #[cfg(feature = "flex")]
    if crate::flex_windows::applies(&x) {
        return crate::flex_windows::unfold(x, k);
    }
    unfold_by_slices(x, k)
}

/// [`unfold`] with Burn's operations: the padded input's windows, concatenated.
pub(crate) fn unfold_by_slices(x: Tensor<4>, k: usize) -> Tensor<4> {
    let [c, ..] = x.dims();
    Tensor::cat(windows(x, k, |_| 0..c), 0)
}

/// The sum over taps of window `tap` of channel block `tap` of `taps: [k*k*C, B, H, W]`.
pub(crate) fn sum_shifted(taps: Tensor<4>, k: usize) -> Tensor<4> {
    #[cfg(feature = "flex")]
    if crate::flex_windows::applies(&taps) {
        return crate::flex_windows::sum_shifted(taps, k);
    }
    sum_shifted_by_slices(taps, k)
}

/// [`sum_shifted`] with Burn's operations: the padded blocks' windows, added in tap order.
pub(crate) fn sum_shifted_by_slices(taps: Tensor<4>, k: usize) -> Tensor<4> {
    let [c, ..] = taps.dims();
    let c_out = c / (k * k);
    let mut windows = windows(taps, k, |tap| tap * c_out..(tap + 1) * c_out).into_iter();
    let first = windows
        .next()
        .unwrap_or_else(|| unreachable!("a k x k kernel has k*k >= 1 windows"));
    windows.fold(first, |acc, t| acc + t)
}

/// The `k*k` windows of the zero-padded `x`, in row-major tap order; window `tap` keeps
/// channels `channels(tap)` of `x` and has the spatial size of `x`.
fn windows(
    x: Tensor<4>,
    k: usize,
    channels: impl Fn(usize) -> std::ops::Range<usize>,
) -> Vec<Tensor<4>> {
    let [_, b, h, w] = x.dims();
    let p = k / 2;
    let padded = x.pad((p, p, p, p), PadMode::Constant(0.0));
    (0..k * k)
        .map(|tap| {
            let (dy, dx) = (tap / k, tap % k);
            padded
                .clone()
                .slice([channels(tap), 0..b, dy..dy + h, dx..dx + w])
        })
        .collect()
}
