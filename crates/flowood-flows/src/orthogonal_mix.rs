//! A fixed random orthogonal channel mixing (the mixing layer of a dense flow step).

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use nalgebra::DMatrix;
use rand::Rng;

use crate::error::FlowError;
use crate::layer::{FlowOutput, InvertibleLayer, zero_logdet};
use crate::param_init::{fixed, normal_values};
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
    pub fn new(channels: usize, rng: &mut impl Rng, device: &Device) -> Result<Self, FlowError> {
        if channels == 0 {
            return Err(FlowError::ZeroSize {
                what: "OrthogonalMix channels",
            });
        }
        let gaussian = DMatrix::from_vec(
            channels,
            channels,
            normal_values(rng, channels * channels, 1.0),
        );
        // nalgebra stores column-major: the slice of Q^T is Q in row-major order.
        let q = gaussian.qr().q().transpose();
        Ok(Self {
            weight: fixed(q.as_slice().to_vec(), [channels, channels], device),
        })
    }
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
