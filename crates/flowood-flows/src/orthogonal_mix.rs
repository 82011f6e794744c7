//! A fixed random orthogonal channel mixing (the mixing layer of a dense flow step).

use burn::module::{Module, Param, ParamId};
use burn::tensor::{Device, Shape, Tensor};
use nalgebra::DMatrix;
use rand::Rng;

use crate::error::FlowError;
use crate::host::host_tensor;
use crate::layer::{FlowOutput, InvertibleLayer, zero_logdet};
use crate::param_init::{LazyRng, normal_values, skip_normal_values};
use crate::pointwise::pointwise;

/// `y = Q x` at every pixel, with `Q` a random orthogonal matrix drawn once and never trained.
///
/// `Q` is the Q factor of the QR decomposition of a Gaussian matrix (computed on the host in
/// f64 from the seeded RNG). Being orthogonal, `|det Q| = 1`, so the log-det is 0 and the
/// inverse is `Q^T`. `Q` is saved with the model (a float parameter that never requires a
/// gradient), so a loaded model mixes exactly as the saved one did.
#[derive(Module, Debug)]
pub struct OrthogonalMix {
    /// `[C, C]`, orthogonal; fixed.
    pub weight: Param<Tensor<2>>,
}

impl OrthogonalMix {
    /// A random orthogonal mixing of `channels` channels.
    ///
    /// `rng` moves on past the `channels^2` Gaussian draws of the matrix now, but the draws
    /// and the QR decomposition (O(C^3): minutes for the 3072 dimensions of a colour dense
    /// scale) happen on the weight's first use, from a copy of `rng` taken here: a model
    /// whose weights are then loaded from a file never computes `Q`.
    pub fn new(
        channels: usize,
        rng: &mut impl LazyRng,
        device: &Device,
    ) -> Result<Self, FlowError> {
        if channels == 0 {
            return Err(FlowError::ZeroSize {
                what: "OrthogonalMix channels",
            });
        }
        let draws = rng.clone();
        skip_normal_values(rng, channels * channels);
        let weight = Param::uninitialized(
            ParamId::new(),
            move |device, _| orthogonal(channels, draws, device),
            device.clone(),
            false,
            Shape::new([channels, channels]),
        );
        Ok(Self { weight })
    }
}

/// The Q factor of the QR decomposition of a `channels x channels` standard Gaussian matrix
/// drawn from `rng`, row-major on `device`.
fn orthogonal(channels: usize, mut rng: impl Rng, device: &Device) -> Tensor<2> {
    let gaussian = DMatrix::from_vec(
        channels,
        channels,
        normal_values(&mut rng, channels * channels, 1.0),
    );
    // nalgebra stores column-major: the slice of Q^T is Q in row-major order.
    let q = gaussian.qr().q().transpose();
    host_tensor(q.as_slice().to_vec(), [channels, channels], device)
}

impl InvertibleLayer for OrthogonalMix {
    fn forward(&self, x: Tensor<4>) -> FlowOutput {
        FlowOutput {
            logdet: zero_logdet(&x),
            output: pointwise(x, self.weight.val()),
        }
    }

    fn inverse(&self, y: Tensor<4>) -> Tensor<4> {
        pointwise(y, self.weight.val().transpose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn the_matrix_is_made_on_first_use_from_the_draws_the_rng_moved_past() {
        let device = Device::flex();
        let mut rng = StdRng::seed_from_u64(3);
        let mix = OrthogonalMix::new(5, &mut rng, &device).unwrap();
        assert!(
            !mix.weight.is_initialized(),
            "Q was computed before its first use"
        );

        let mut eager = StdRng::seed_from_u64(3);
        let expected = orthogonal(5, &mut eager, &device);
        assert_eq!(rng.random::<u64>(), eager.random::<u64>());
        let q = mix.weight.val();
        assert!(mix.weight.is_initialized());
        assert_eq!(q.to_data(), expected.to_data());
        let gram = q
            .clone()
            .transpose()
            .matmul(q)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for (k, v) in gram.iter().enumerate() {
            let identity = if k % 6 == 0 { 1.0 } else { 0.0 };
            assert!((v - identity).abs() < 1e-5, "Q^T Q [{k}] = {v}");
        }
    }
}
