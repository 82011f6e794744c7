//! Numerical checks of invertible maps: reconstruction error and the log-determinant of the
//! full Jacobian by central differences.

use burn::module::Module;
use burn::store::ModuleSnapshot;
use burn::tensor::{Device, Tensor};
use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::host::{host_tensor, to_host};

/// A seeded batch of values uniform in the model's input range `[-0.5, 0.5)`, plus `shift`
/// (a non-zero shift gives ActNorm's data-dependent init a mean to remove). The same seed gives
/// the same values on every device.
pub fn random_batch(shape: [usize; 4], seed: u64, shift: f64, device: &Device) -> Tensor<4> {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = shape.iter().product();
    let values = (0..n)
        .map(|_| rng.random_range(-0.5..0.5) + shift)
        .collect();
    host_tensor(values, shape, device)
}

/// Largest absolute elementwise difference between two tensors of the same shape.
pub fn max_abs_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f64 {
    to_host((a - b).abs().max())
        .first()
        .copied()
        .unwrap_or(f64::NAN)
}

/// `log |det J|` of `f` at the single sample `x: [1, C, H, W]`, with `J` built column by column
/// by central differences of step `eps` (all 2D perturbed inputs go through `f` as one
/// batch). `f` must map `[N, C, H, W]` to `N` outputs of the same total size `D`.
///
/// Use a device configured for f64: in f32 the differences are too noisy to be meaningful.
pub fn numerical_logdet(f: impl Fn(Tensor<4>) -> Tensor<2>, x: &Tensor<4>, eps: f64) -> f64 {
    let [_, c, h, w] = x.dims();
    let d = c * h * w;
    let base = to_host(x.clone());
    let mut inputs = Vec::with_capacity(2 * d * d);
    for j in 0..d {
        for sign in [1.0, -1.0] {
            let mut v = base.clone();
            v[j] += sign * eps;
            inputs.extend(v);
        }
    }
    let batch = host_tensor(inputs, [2 * d, c, h, w], &x.device());
    let out = to_host(f(batch));
    let jacobian = DMatrix::from_fn(d, d, |i, j| {
        (out[(2 * j) * d + i] - out[(2 * j + 1) * d + i]) / (2.0 * eps)
    });
    let lu = jacobian.lu();
    lu.u().diagonal().iter().map(|u| u.abs().ln()).sum()
}

/// `max |actual - expected|` over `max(max |expected|, floor)`: the largest difference relative
/// to the reference's scale (for comparing whole tensors, such as gradients, whose entries
/// range over orders of magnitude).
pub fn scaled_max_error(actual: &[f64], expected: &[f64], floor: f64) -> f64 {
    let scale = expected.iter().fold(floor, |m, v| m.max(v.abs()));
    let worst = actual
        .iter()
        .zip(expected)
        .map(|(a, e)| (a - e).abs())
        .fold(0.0, f64::max);
    worst / scale
}

/// Relative difference `|a - b| / max(|a|, |b|, 1)`.
pub fn relative_diff(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1.0)
}

/// Every parameter of `module` (float and integer) as `(name, raw bytes)`, for exact
/// comparisons of weights (e.g. a resumed run against an uninterrupted one).
pub fn parameter_bytes<M: Module>(module: &M) -> Vec<(String, Vec<u8>)> {
    module
        .collect(None, None, false)
        .into_iter()
        .map(|t| {
            let bytes = t.to_bytes().map(|b| b.to_vec()).unwrap_or_default();
            (t.name, bytes)
        })
        .collect()
}
