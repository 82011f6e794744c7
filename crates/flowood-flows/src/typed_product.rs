//! The coupling networks' matrix product on Flex, with an output written once.
//!
//! Burn 0.22's Flex allocates every matrix product's output with `FlexTensor::empty`, which
//! zero-fills a byte vector and then, because a byte vector promises only 1-byte alignment,
//! copies it into an aligned allocation: the output is written three times before the kernel
//! writes it, and under autodiff so are both gradients' outputs. A `perf` profile of a small
//! training step put 11% of the samples in those copies and 6% in the zero-fills. This product
//! runs the same `gemm` kernel into a typed vector that it never initialises, as a Burn backend
//! extension with its own backward pass (`dC` times `B^T` and `A^T` times `dC`, themselves such
//! products on strided views). A right operand strided the wrong way is copied first
//! ([`rows_contiguous`]); on contiguous operands the arguments, hence the results, are those
//! of Flex's `matmul`.
//!
//! Like Flex's own `matmul` as flowood builds it (Burn without its `rayon` feature), the product
//! runs on the calling thread: flowood spreads a training step over threads by shards of the
//! batch. Only Flex and Autodiff over Flex implement it; [`product`] falls back to `matmul` on
//! every other device.

use burn::backend::{Backend, Flex, backend_extension, tensor::FloatTensor};
use burn::tensor::{Bytes, DType, Device, Tensor};
use burn_autodiff::Autodiff;
use burn_autodiff::NodeId;
use burn_autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind, binary};
use burn_flex::{FlexTensor, Layout};

/// A matrix product whose output is written once (see the module documentation).
#[backend_extension(Flex: cfg(feature = "flex"), Autodiff: cfg(feature = "flex"))]
pub trait TypedProductOps: Backend {
    /// `lhs: [M, K]` times `rhs: [K, N]`, either of them a strided view.
    fn typed_product(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// `lhs: [M, K]` times `rhs: [K, N]`: the typed product on Flex (with and without autodiff),
/// `matmul` elsewhere. Both give the same values.
pub(crate) fn product(lhs: Tensor<2>, rhs: Tensor<2>) -> Tensor<2> {
    if lhs.device() != Device::flex() {
        return lhs.matmul(rhs);
    }
    let out = <burn::backend::Dispatch as TypedProductOps>::typed_product(
        lhs.into_dispatch(),
        rhs.into_dispatch(),
    );
    Tensor::from_dispatch(out)
}

impl TypedProductOps for Flex {
    fn typed_product(lhs: FlexTensor, rhs: FlexTensor) -> FlexTensor {
        if lhs.dtype() != DType::F32 || rhs.dtype() != DType::F32 {
            return <Flex as burn::backend::ops::FloatTensorOps<Flex>>::float_matmul(lhs, rhs);
        }
        let (m, k) = dims(lhs.layout());
        let (k_rhs, n) = dims(rhs.layout());
        assert_eq!(
            k, k_rhs,
            "typed_product: inner dimensions {k} and {k_rhs} differ"
        );
        let out = gemm_into_vec(&lhs, &rows_contiguous(rhs, m));
        FlexTensor::new(
            Bytes::from_elems(out),
            Layout::contiguous([m, n].into()),
            DType::F32,
        )
    }
}

/// Most output rows for which a right operand strided the wrong way is copied first.
///
/// `gemm` computes a row-major output as its transpose, so `rhs` is the operand it packs into
/// panels: from contiguous rows with vector loads, from a transposed view element by element.
/// A `perf` profile of a small training step put 27% of the step in that packing (the weight
/// gradients `dC X^T`, both of whose operands run along the inner dimension), and copying the
/// view with Flex's tiled copy first made the step 12-17% faster. Each packed value serves every
/// output row, so with many rows the packing weighs less: for the paper configuration's
/// products of 512 rows the copy made training slower (10.0, 11.4 against 9.1, 9.3 images/s
/// in alternating runs).
const COPY_UP_TO_ROWS: usize = 128;

/// `rhs` with its rows contiguous when the product has at most [`COPY_UP_TO_ROWS`] rows `m`
/// (copied if it is a view strided the other way), else `rhs` as it is. After a copy `gemm`
/// takes another path through its kernels, so the product agrees with `matmul` on the strided
/// view to float rounding, not to the bit.
fn rows_contiguous(rhs: FlexTensor, m: usize) -> FlexTensor {
    match strides(rhs.layout()) {
        (_, 1) => rhs,
        _ if m > COPY_UP_TO_ROWS => rhs,
        _ => rhs.to_contiguous(),
    }
}

/// `lhs` times `rhs` (row-major, `[M, N]`) by `gemm`, into a vector it writes once.
// The kernel takes raw pointers, and the output is written before it is read.
#[allow(unsafe_code)]
fn gemm_into_vec(lhs: &FlexTensor, rhs: &FlexTensor) -> Vec<f32> {
    let (m, k) = dims(lhs.layout());
    let n = dims(rhs.layout()).1;
    let mut out = Vec::<f32>::with_capacity(m * n);
    let (lhs_rs, lhs_cs) = strides(lhs.layout());
    let (rhs_rs, rhs_cs) = strides(rhs.layout());
    let lhs_data: &[f32] = lhs.storage();
    let rhs_data: &[f32] = rhs.storage();
    // SAFETY: both views lie inside their storage (Flex's layouts are checked when made),
    // `out` has room for `m * n` values, and `gemm` with `read_dst = false` writes every one
    // of them without reading any, so they are initialised when the length is set.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs_data.as_ptr().add(lhs.layout().start_offset()),
            lhs_cs,
            lhs_rs,
            rhs_data.as_ptr().add(rhs.layout().start_offset()),
            rhs_cs,
            rhs_rs,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
        out.set_len(m * n);
    }
    out
}

/// `(rows, columns)` of a 2-D layout.
fn dims(layout: &Layout) -> (usize, usize) {
    let shape = layout.shape();
    assert_eq!(shape.num_dims(), 2, "typed_product takes matrices");
    (shape[0], shape[1])
}

/// `(row stride, column stride)` of a 2-D layout, in elements.
fn strides(layout: &Layout) -> (isize, isize) {
    let strides = layout.strides();
    (strides[0], strides[1])
}

impl<B: Backend + TypedProductOps, C: CheckpointStrategy> TypedProductOps for Autodiff<B, C> {
    /// Burn's autodiff `matmul` with the typed product forward and backward: each operand is
    /// kept (checkpointed) only when the other one needs its gradient.
    fn typed_product(
        lhs: FloatTensor<Autodiff<B, C>>,
        rhs: FloatTensor<Autodiff<B, C>>,
    ) -> FloatTensor<Autodiff<B, C>> {
        let (lhs_tracked, rhs_tracked) = (lhs.is_tracked(), rhs.is_tracked());
        match Product
            .prepare::<C>([lhs.node(), rhs.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let lhs_state = rhs_tracked.then(|| prep.checkpoint(&lhs));
                let rhs_state = lhs_tracked.then(|| prep.checkpoint(&rhs));
                let out = B::typed_product(lhs.into_primitive(), rhs.into_primitive());
                prep.finish((lhs_state, rhs_state), out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(B::typed_product(lhs.into_primitive(), rhs.into_primitive()))
            }
        }
    }
}

/// The backward pass of `C = A B`: `dA = dC B^T`, `dB = A^T dC`.
#[derive(Debug)]
struct Product;

impl<B: Backend + TypedProductOps> Backward<B, 2> for Product {
    /// The checkpointed operands, each present when the other one is tracked.
    type State = (Option<NodeId>, Option<NodeId>);

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let (lhs, rhs) = ops.state;
        let lhs = lhs.map(|lhs| checkpointer.retrieve_node_output::<FloatTensor<B>>(lhs));
        let rhs = rhs.map(|rhs| checkpointer.retrieve_node_output::<FloatTensor<B>>(rhs));
        binary::<B, _, _>(
            ops.parents,
            ops.node,
            grads,
            |grad| B::typed_product(grad, B::float_transpose(operand(rhs))),
            |grad| B::typed_product(B::float_transpose(operand(lhs)), grad),
        );
    }
}

/// A checkpointed operand, present whenever the gradient that needs it is asked for.
fn operand<T>(checkpointed: Option<T>) -> T {
    checkpointed.unwrap_or_else(|| unreachable!("kept whenever the other operand is tracked"))
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Tensor};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::product;
    use crate::{host_tensor, normal_values, to_host};

    fn random(shape: [usize; 2], seed: u64, device: &Device) -> Tensor<2> {
        let mut rng = StdRng::seed_from_u64(seed);
        host_tensor(
            normal_values(&mut rng, shape[0] * shape[1], 1.0),
            shape,
            device,
        )
    }

    /// Every value of `got` within float rounding (1e-5 relative, at least 1e-5 absolute) of
    /// `expected`'s.
    fn assert_close(got: &[f64], expected: &[f64], what: &str) {
        assert_eq!(got.len(), expected.len(), "{what}");
        for (i, (a, b)) in got.iter().zip(expected).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "{what}: [{i}] {a} vs {b}"
            );
        }
    }

    /// `(M, K, N)`: a coupling network's narrow and wide products, and a large square one.
    const SHAPES: [(usize, usize, usize); 3] = [(4, 9, 7), (16, 3, 200), (200, 200, 200)];

    /// The same kernel with the same arguments as Burn's `matmul` on contiguous operands:
    /// equal to the last bit; on transposed views of contiguous ones equal to float rounding.
    #[test]
    fn equals_matmul_on_contiguous_and_strided_operands() {
        let device = Device::flex();
        for (i, (m, k, n)) in SHAPES.into_iter().enumerate() {
            let seed = 4 * i as u64;
            let (a, b) = (
                random([m, k], seed, &device),
                random([k, n], seed + 1, &device),
            );
            let expected = to_host(a.clone().matmul(b.clone()));
            assert_eq!(to_host(product(a, b)), expected, "{m}x{k}x{n}");
            let a_view = random([k, m], seed + 2, &device).transpose();
            let b_view = random([n, k], seed + 3, &device).transpose();
            let expected = to_host(a_view.clone().matmul(b_view.clone()));
            let got = to_host(product(a_view, b_view));
            assert_close(&got, &expected, &format!("{m}x{k}x{n}, views"));
        }
    }

    /// Gradients of `sum(g * A B)` equal those of Burn's autodiff `matmul` up to float
    /// rounding (an operand copied to contiguous rows lets `gemm` sum in another order), with
    /// both operands trained and with one of them frozen.
    #[test]
    fn gradients_equal_matmuls() {
        let device = Device::flex().autodiff();
        for (i, (m, k, n)) in SHAPES.into_iter().enumerate() {
            for frozen in [None, Some(0), Some(1)] {
                let trained = |t: Tensor<2>, operand| match frozen == Some(operand) {
                    true => t,
                    false => t.require_grad(),
                };
                let a = trained(random([m, k], 2 * i as u64, &device), 0);
                let b = trained(random([k, n], 2 * i as u64 + 1, &device), 1);
                let g = random([m, n], 99, &device);
                let grads = |c: Tensor<2>| {
                    let g = (c * g.clone()).sum().backward();
                    (a.grad(&g).map(to_host), b.grad(&g).map(to_host))
                };
                let expected = grads(a.clone().matmul(b.clone()));
                let got = grads(product(a.clone(), b.clone()));
                let what = format!("{m}x{k}x{n}, frozen {frozen:?}");
                assert_eq!(got.0.is_some(), frozen != Some(0), "{what}");
                assert_eq!(got.1.is_some(), frozen != Some(1), "{what}");
                for (got, expected) in [(got.0, expected.0), (got.1, expected.1)] {
                    assert_close(
                        &got.unwrap_or_default(),
                        &expected.unwrap_or_default(),
                        &what,
                    );
                }
            }
        }
    }
}
