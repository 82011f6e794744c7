//! Host-side parameter construction, so a model built from a seed is identical on every backend.

use burn::module::{Param, ParamId};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::host::host_tensor;
use rand::Rng;
use rand_distr::StandardNormal;

/// A trainable parameter holding `values` with the given shape.
///
/// Values are given in f64 so a device configured for f64 keeps them exactly.
pub fn trainable<const D: usize>(
    values: Vec<f64>,
    shape: [usize; D],
    device: &Device,
) -> Param<Tensor<D>> {
    Param::from_tensor(host_tensor(values, shape, device))
}

/// An integer buffer: saved with the model, never trained.
///
/// Fixed state (the LU permutation and signs, the ActNorm "initialised" marker) is stored as
/// integer parameters, so every float parameter of a flowood model but the orthogonal mixing
/// matrices of dense flow steps ([`crate::OrthogonalMix`]) is trainable.
pub fn buffer<const D: usize>(
    values: Vec<i64>,
    shape: [usize; D],
    device: &Device,
) -> Param<Tensor<D, Int>> {
    Param::initialized(
        ParamId::new(),
        Tensor::from_data(TensorData::new(values, shape), device),
    )
}

/// A host RNG that a lazily initialised parameter can keep a copy of until its first use
/// (see [`crate::OrthogonalMix::new`]); every seeded RNG of the crates is one.
pub trait LazyRng: Rng + Clone + Send + Sync + 'static {}

impl<R: Rng + Clone + Send + Sync + 'static> LazyRng for R {}

/// Samples `n` values from `N(0, std^2)` with the host RNG.
pub fn normal_values(rng: &mut impl Rng, n: usize, std: f64) -> Vec<f64> {
    standard_normals(rng).take(n).map(|v| std * v).collect()
}

/// Moves `rng` on exactly as [`normal_values`] of `n` values would, keeping none of them.
pub fn skip_normal_values(rng: &mut impl Rng, n: usize) {
    standard_normals(rng).take(n).for_each(drop);
}

/// Endless `N(0, 1)` draws from the host RNG.
fn standard_normals(rng: &mut impl Rng) -> impl Iterator<Item = f64> + '_ {
    std::iter::repeat_with(move || rng.sample::<f64, _>(StandardNormal))
}

/// Replaces the value of a trainable parameter, keeping its id (used by data-dependent init).
///
/// `Param::map` detaches the new value, so gradient tracking is switched back on explicitly.
pub fn retrain<const D: usize>(param: Param<Tensor<D>>, value: Tensor<D>) -> Param<Tensor<D>> {
    param.map(|_| value.detach()).set_require_grad(true)
}

/// Replaces the value of an integer buffer, keeping its id.
pub fn rebuffer<const D: usize>(
    param: Param<Tensor<D, Int>>,
    value: Tensor<D, Int>,
) -> Param<Tensor<D, Int>> {
    param.map(|_| value)
}
