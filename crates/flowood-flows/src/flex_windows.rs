//! [`same_windows`](crate::same_windows) on Flex, each one pass over a typed vector, forward
//! and backward.
//!
//! With Burn's operations the padding, the window slices and their concatenation or sum
//! write the data three more times: a `perf` profile of small-configuration scoring put 6% of
//! the samples in Flex's slice writes (the padding), 7% in its strided copies and 3% in
//! `memset`. This Burn backend extension writes each output once. Forward, the values are
//! those of the Burn operations (the sums add the windows in the same order). The two
//! operations are each other's adjoints with the shifts mirrored (tap `t` shifted by the
//! offset of tap `k*k - 1 - t`), which is their backward pass under autodiff.

use burn::backend::{Backend, Flex, backend_extension, tensor::FloatTensor};
use burn::tensor::{Bytes, DType, Device, Tensor};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn_flex::{FlexTensor, Layout};

/// The windows written once on Flex (see the module documentation). With `mirrored`, tap `t`
/// takes the shift of tap `k*k - 1 - t`.
#[backend_extension(Flex: cfg(feature = "flex"), Autodiff: cfg(feature = "flex"))]
pub trait SameWindowOps: Backend {
    /// `[C, B, H, W]` to `[k*k*C, B, H, W]`: channel `tap * C + c` is channel `c` shifted by
    /// the tap's offset, zero where the shift leaves the image.
    fn unfold_windows(x: FloatTensor<Self>, k: usize, mirrored: bool) -> FloatTensor<Self>;
    /// `[k*k*C, B, H, W]` to `[C, B, H, W]`: the sum over taps of channel block `tap` shifted
    /// by the tap's offset, zero where the shift leaves the image.
    fn sum_shifted_windows(taps: FloatTensor<Self>, k: usize, mirrored: bool) -> FloatTensor<Self>;
}

/// Whether the windows of `x` come from this extension: on Flex, 32-bit floats.
pub(crate) fn applies(x: &Tensor<4>) -> bool {
    x.device() == Device::flex() && x.dtype() == DType::F32
}

/// [`same_windows::unfold`](crate::same_windows::unfold) written once.
pub(crate) fn unfold(x: Tensor<4>, k: usize) -> Tensor<4> {
    let out =
        <burn::backend::Dispatch as SameWindowOps>::unfold_windows(x.into_dispatch(), k, false);
    Tensor::from_dispatch(out)
}

/// [`same_windows::sum_shifted`](crate::same_windows::sum_shifted) written once.
pub(crate) fn sum_shifted(taps: Tensor<4>, k: usize) -> Tensor<4> {
    let out = <burn::backend::Dispatch as SameWindowOps>::sum_shifted_windows(
        taps.into_dispatch(),
        k,
        false,
    );
    Tensor::from_dispatch(out)
}

/// The shift of tap `tap` of a `k x k` kernel over `h x w` images, mirrored or not.
fn tap_shift(tap: usize, k: usize, mirrored: bool, h: usize, w: usize) -> Shift {
    Shift::of(if mirrored { k * k - 1 - tap } else { tap }, k, h, w)
}

impl SameWindowOps for Flex {
    fn unfold_windows(x: FlexTensor, k: usize, mirrored: bool) -> FlexTensor {
        let x = contiguous(x);
        let [c, b, h, w] = dims(&x);
        let src = values(&x);
        let mut out = Vec::with_capacity(k * k * src.len());
        for tap in 0..k * k {
            let shift = tap_shift(tap, k, mirrored, h, w);
            for plane in src.chunks_exact(h * w) {
                shift.push_window(plane, &mut out);
            }
        }
        f32_tensor(out, [k * k * c, b, h, w])
    }

    fn sum_shifted_windows(taps: FlexTensor, k: usize, mirrored: bool) -> FlexTensor {
        let taps = contiguous(taps);
        let [c_all, b, h, w] = dims(&taps);
        let plane = h * w;
        let src = values(&taps);
        let mut blocks = src.chunks_exact(src.len() / (k * k));
        let first = blocks
            .next()
            .unwrap_or_else(|| unreachable!("a k x k kernel has k*k >= 1 taps"));
        // The first window written, the others added in tap order (the Burn operations' order).
        let mut out = Vec::with_capacity(first.len());
        let shift = tap_shift(0, k, mirrored, h, w);
        for src in first.chunks_exact(plane) {
            shift.push_window(src, &mut out);
        }
        for (tap, block) in (1..).zip(blocks) {
            let shift = tap_shift(tap, k, mirrored, h, w);
            for (dst, src) in out.chunks_exact_mut(plane).zip(block.chunks_exact(plane)) {
                shift.for_each_row(|dst_at, src_at, len| {
                    let dst = &mut dst[dst_at..dst_at + len];
                    dst.iter_mut()
                        .zip(&src[src_at..src_at + len])
                        .for_each(|(d, s)| *d += s);
                });
            }
        }
        f32_tensor(out, [c_all / (k * k), b, h, w])
    }
}

impl<B: Backend + SameWindowOps, C: CheckpointStrategy> SameWindowOps for Autodiff<B, C> {
    fn unfold_windows(
        x: FloatTensor<Autodiff<B, C>>,
        k: usize,
        mirrored: bool,
    ) -> FloatTensor<Autodiff<B, C>> {
        record::<B, C>(Direction::Unfold, x, k, mirrored)
    }

    fn sum_shifted_windows(
        taps: FloatTensor<Autodiff<B, C>>,
        k: usize,
        mirrored: bool,
    ) -> FloatTensor<Autodiff<B, C>> {
        record::<B, C>(Direction::Sum, taps, k, mirrored)
    }
}

/// One of the two operations on the inner backend, recorded for its backward pass when `x`
/// is tracked.
fn record<B: Backend + SameWindowOps, C: CheckpointStrategy>(
    direction: Direction,
    x: FloatTensor<Autodiff<B, C>>,
    k: usize,
    mirrored: bool,
) -> FloatTensor<Autodiff<B, C>> {
    match Windows(direction)
        .prepare::<C>([x.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(
            (k, mirrored),
            direction.apply::<B>(x.into_primitive(), k, mirrored),
        ),
        OpsKind::UnTracked(prep) => {
            prep.finish(direction.apply::<B>(x.into_primitive(), k, mirrored))
        }
    }
}

/// Which of the two operations: stacking the windows or summing them.
#[derive(Debug, Clone, Copy)]
enum Direction {
    Unfold,
    Sum,
}

impl Direction {
    /// The operation on backend `B`.
    fn apply<B: SameWindowOps>(
        self,
        x: FloatTensor<B>,
        k: usize,
        mirrored: bool,
    ) -> FloatTensor<B> {
        match self {
            Direction::Unfold => B::unfold_windows(x, k, mirrored),
            Direction::Sum => B::sum_shifted_windows(x, k, mirrored),
        }
    }

    /// The operation whose mirrored form is this one's adjoint.
    fn adjoint(self) -> Self {
        match self {
            Direction::Unfold => Direction::Sum,
            Direction::Sum => Direction::Unfold,
        }
    }
}

/// The backward pass of either operation: the other one, with the shifts mirrored.
#[derive(Debug)]
struct Windows(Direction);

impl<B: Backend + SameWindowOps> Backward<B, 1> for Windows {
    /// The kernel size and whether the forward shifts were mirrored.
    type State = (usize, bool);

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let (k, mirrored) = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |grad| {
            self.0.adjoint().apply::<B>(grad, k, !mirrored)
        });
    }
}

/// Where window `tap` of a `k x k` kernel reads in an `h x w` image: output pixel `(y, x)`
/// takes input pixel `(y + dy - k/2, x + dx - k/2)` when that lies inside the image.
struct Shift {
    /// Output rows and columns whose input lies inside the image (half-open).
    rows: (usize, usize),
    cols: (usize, usize),
    /// Input row and column of the first of them.
    src_row: usize,
    src_col: usize,
    width: usize,
}

impl Shift {
    fn of(tap: usize, k: usize, h: usize, w: usize) -> Self {
        let p = k / 2;
        let (dy, dx) = (tap / k, tap % k);
        let span = |offset: usize, n: usize| {
            // Output indices i with 0 <= i + offset - p < n.
            let first = p.saturating_sub(offset).min(n);
            let end = (n + p).saturating_sub(offset).min(n).max(first);
            (first, end)
        };
        let rows = span(dy, h);
        let cols = span(dx, w);
        Self {
            rows,
            cols,
            src_row: (rows.0 + dy).saturating_sub(p),
            src_col: (cols.0 + dx).saturating_sub(p),
            width: w,
        }
    }

    /// Appends the window of one `h x w` plane `src` to `out`, row by row: zeros where the
    /// shift leaves the image, the shifted pixels elsewhere.
    fn push_window(&self, src: &[f32], out: &mut Vec<f32>) {
        let h = src.len() / self.width;
        let zeros = |out: &mut Vec<f32>, n: usize| out.resize(out.len() + n, 0.0);
        if self.cols.0 == self.cols.1 {
            // Every column leaves the image (a kernel wider than twice the image).
            return zeros(out, src.len());
        }
        zeros(out, self.rows.0 * self.width);
        for i in 0..self.rows.1 - self.rows.0 {
            let at = (self.src_row + i) * self.width + self.src_col;
            zeros(out, self.cols.0);
            out.extend_from_slice(&src[at..at + self.cols.1 - self.cols.0]);
            zeros(out, self.width - self.cols.1);
        }
        zeros(out, (h - self.rows.1) * self.width);
    }

    /// Calls `f(dst_offset, src_offset, len)` for each output row's run of inside pixels,
    /// offsets within one `h x w` plane.
    fn for_each_row(&self, mut f: impl FnMut(usize, usize, usize)) {
        let len = self.cols.1 - self.cols.0;
        if len == 0 {
            return;
        }
        for (i, y) in (self.rows.0..self.rows.1).enumerate() {
            let src_y = self.src_row + i;
            f(
                y * self.width + self.cols.0,
                src_y * self.width + self.src_col,
                len,
            );
        }
    }
}

/// The four dimensions of a Flex tensor.
fn dims(x: &FlexTensor) -> [usize; 4] {
    let shape = x.layout().shape();
    assert_eq!(
        shape.num_dims(),
        4,
        "same windows take [C, B, H, W] tensors"
    );
    [shape[0], shape[1], shape[2], shape[3]]
}

/// `x` itself when contiguous, else a contiguous copy.
fn contiguous(x: FlexTensor) -> FlexTensor {
    if x.layout().contiguous_offsets().is_some() {
        x
    } else {
        x.to_contiguous()
    }
}

/// The values of contiguous `x` in row-major order.
fn values(x: &FlexTensor) -> &[f32] {
    let (start, end) = x
        .layout()
        .contiguous_offsets()
        .unwrap_or_else(|| unreachable!("the tensor was made contiguous"));
    &x.storage::<f32>()[start..end]
}

/// A contiguous `f32` Flex tensor of `shape` holding `values`.
fn f32_tensor(values: Vec<f32>, shape: [usize; 4]) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(values),
        Layout::contiguous(shape.into()),
        DType::F32,
    )
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Tensor};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use crate::same_windows::{sum_shifted_by_slices, unfold_by_slices};
    use crate::{host_tensor, normal_values, to_host};

    fn random(shape: [usize; 4], seed: u64) -> Tensor<4> {
        random_on(shape, seed, &Device::flex())
    }

    fn random_on(shape: [usize; 4], seed: u64, device: &Device) -> Tensor<4> {
        let mut rng = StdRng::seed_from_u64(seed);
        let n = shape.iter().product();
        host_tensor(normal_values(&mut rng, n, 1.0), shape, device)
    }

    /// The gradient of `<op(x), g>` for a random `x` of `shape` and cotangent `g`.
    fn gradient(op: impl Fn(Tensor<4>) -> Tensor<4>, shape: [usize; 4], seed: u64) -> Vec<f64> {
        let device = Device::flex().autodiff();
        let x = random_on(shape, seed, &device).require_grad();
        let y = op(x.clone());
        let g = random_on(y.dims(), seed + 1, &device);
        let grads = (y * g).sum().backward();
        to_host(x.grad(&grads).expect("x is tracked"))
    }

    /// `got` equals `expected` up to the rounding of sums taken in another order.
    fn assert_close(got: &[f64], expected: &[f64], what: &str) {
        assert_eq!(got.len(), expected.len(), "{what}");
        for (g, e) in got.iter().zip(expected) {
            assert!(
                (g - e).abs() <= 1e-5 * (1.0 + e.abs()),
                "{what}: {g} against {e}"
            );
        }
    }

    /// `([C, B, H, W], k)`: the coupling networks' 3x3 kernels at every scale's size (down to
    /// 1x1 images, where every shift but the centre leaves the image), a non-square image and
    /// 5x5 kernels wider than their images, up to shifts that leave every row or column.
    const CASES: [([usize; 4], usize); 8] = [
        ([3, 2, 8, 8], 3),
        ([4, 3, 4, 4], 3),
        ([2, 2, 1, 1], 3),
        ([2, 1, 2, 2], 3),
        ([3, 2, 5, 7], 3),
        ([2, 2, 3, 4], 5),
        ([2, 2, 1, 1], 5),
        ([1, 2, 1, 3], 5),
    ];

    /// The windows stacked by this extension equal the padded slices concatenated, to the bit.
    #[test]
    fn unfold_equals_the_burn_operations() {
        for (i, (shape, k)) in CASES.into_iter().enumerate() {
            let x = random(shape, i as u64);
            assert!(super::applies(&x));
            let fast = to_host(super::unfold(x.clone(), k));
            let slices = to_host(unfold_by_slices(x, k));
            assert_eq!(fast, slices, "{shape:?}, k = {k}");
        }
    }

    /// The shifted sum of this extension equals the padded slices added in tap order, to the
    /// bit.
    #[test]
    fn sum_shifted_equals_the_burn_operations() {
        for (i, (shape, k)) in CASES.into_iter().enumerate() {
            let [c, b, h, w] = shape;
            let taps = random([k * k * c, b, h, w], 10 + i as u64);
            let fast = to_host(super::sum_shifted(taps.clone(), k));
            let slices = to_host(sum_shifted_by_slices(taps, k));
            assert_eq!(fast, slices, "{shape:?}, k = {k}");
        }
    }

    /// Under autodiff each operation's backward pass (the other one, mirrored) gives the
    /// gradient of the Burn operations.
    #[test]
    fn gradients_equal_the_burn_operations() {
        for (i, (shape, k)) in CASES.into_iter().enumerate() {
            let seed = 30 + 2 * i as u64;
            let what = format!("{shape:?}, k = {k}");
            let expected = gradient(|x| unfold_by_slices(x, k), shape, seed);
            let got = gradient(|x| super::unfold(x, k), shape, seed);
            assert_close(&got, &expected, &format!("unfold {what}"));
            let [c, b, h, w] = shape;
            let taps = [k * k * c, b, h, w];
            let expected = gradient(|t| sum_shifted_by_slices(t, k), taps, seed);
            let got = gradient(|t| super::sum_shifted(t, k), taps, seed);
            assert_close(&got, &expected, &format!("sum_shifted {what}"));
        }
    }

    /// A strided view (a transposed tensor) gives the windows of its values.
    #[test]
    fn reads_strided_views_by_their_values() {
        let x = random([2, 3, 4, 5], 20).swap_dims(2, 3);
        let fast = to_host(super::unfold(x.clone(), 3));
        let slices = to_host(unfold_by_slices(x, 3));
        assert_eq!(fast, slices);
    }
}
