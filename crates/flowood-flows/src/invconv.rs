//! Invertible 1x1 convolution in LU form (Kingma & Dhariwal 2018, section 3.2).

use burn::module::{Module, Param};
use burn::tensor::{Device, Int, Tensor};
use nalgebra::DMatrix;
use rand::Rng;

use crate::error::FlowError;
use crate::host::{host_tensor, to_host};
use crate::layer::{FlowOutput, InvertibleLayer};
use crate::param_init::{buffer, normal_values, trainable};
use crate::pointwise::pointwise;

/// `y = W x` at every pixel, with `W = P (L + I) (U + diag(sign * exp(log_s)))`.
///
/// `P` and `sign` are fixed buffers; the strictly lower part of `lower`, the strictly upper
/// part of `upper`, and `log_s` are learned. The log-det is `H * W * sum(log_s)`. `W` starts
/// as a random rotation. The inverse builds `W^-1` on the host in f64 (C is at most 48 in
/// the configurations of the paper), which is cheap and exact to f32 precision.
#[derive(Module, Debug)]
pub struct InvConv1x1 {
    /// Permutation `P` as row indices, `[C]`: row `i` of `P` is row `permutation[i]` of `I`.
    pub permutation: Param<Tensor<1, Int>>,
    /// Signs (+1/-1) of the diagonal of `U`, `[C]`.
    pub sign: Param<Tensor<1, Int>>,
    /// `[C, C]`; only the strictly lower triangle is used.
    pub lower: Param<Tensor<2>>,
    /// `[C, C]`; only the strictly upper triangle is used.
    pub upper: Param<Tensor<2>>,
    /// Log of the absolute diagonal of `U`, `[C]`.
    pub log_s: Param<Tensor<1>>,
}

impl InvConv1x1 {
    /// A 1x1 convolution over `channels` channels initialised to a random rotation.
    pub fn new(channels: usize, rng: &mut impl Rng, device: &Device) -> Result<Self, FlowError> {
        if channels == 0 {
            return Err(FlowError::ZeroSize {
                what: "InvConv1x1 channels",
            });
        }
        let gaussian = DMatrix::from_vec(
            channels,
            channels,
            normal_values(rng, channels * channels, 1.0),
        );
        let rotation = gaussian.qr().q();
        let lu = rotation.lu();
        let mut perm = DMatrix::<f64>::identity(channels, channels);
        lu.p().permute_rows(&mut perm);
        let rows = permutation_rows(&perm.transpose());
        let diag = lu.u().diagonal();
        let (mut lower, mut upper) = (lu.l(), lu.u());
        lower.fill_diagonal(0.0);
        upper.fill_diagonal(0.0);
        let c = channels;
        Ok(Self {
            permutation: buffer(rows, [c], device),
            sign: buffer(
                diag.iter().map(|&d| if d < 0.0 { -1 } else { 1 }).collect(),
                [c],
                device,
            ),
            lower: trainable(row_major(&lower), [c, c], device),
            upper: trainable(row_major(&upper), [c, c], device),
            log_s: trainable(diag.iter().map(|d| d.abs().ln()).collect(), [c], device),
        })
    }

    /// The current weight matrix `W`, `[C, C]` (differentiable).
    pub fn weight(&self) -> Tensor<2> {
        let [c, _] = self.lower.dims();
        let device = self.lower.device();
        let eye = Tensor::<2>::eye(c, &device);
        let lower = self.lower.val().tril(-1) + eye.clone();
        let permutation = eye.clone().select(0, self.permutation.val());
        let diag = eye * (self.sign.val().float() * self.log_s.val().exp()).unsqueeze_dim(0);
        let upper = self.upper.val().triu(1) + diag;
        permutation.matmul(lower).matmul(upper)
    }

    /// `W^-1`, computed on the host in f64; NaN if `W` is numerically singular.
    pub fn inverse_weight(&self) -> Tensor<2> {
        let [c, _] = self.lower.dims();
        let w = DMatrix::from_row_slice(c, c, &to_host(self.weight()));
        let inv = w
            .try_inverse()
            .unwrap_or_else(|| DMatrix::from_element(c, c, f64::NAN));
        host_tensor(row_major(&inv), [c, c], &self.lower.device())
    }
}

/// For a permutation matrix, the column holding the 1 of each row.
fn permutation_rows(p: &DMatrix<f64>) -> Vec<i64> {
    p.row_iter()
        .map(|row| row.iter().position(|&v| v > 0.5).unwrap_or(0) as i64)
        .collect()
}

/// The entries of `m` in row-major order.
fn row_major(m: &DMatrix<f64>) -> Vec<f64> {
    m.transpose().as_slice().to_vec()
}

impl InvertibleLayer for InvConv1x1 {
    fn forward(&self, x: Tensor<4>) -> FlowOutput {
        let [batch, _, h, w] = x.dims();
        let logdet = self
            .log_s
            .val()
            .sum()
            .mul_scalar((h * w) as f64)
            .expand([batch]);
        FlowOutput {
            output: pointwise(x, self.weight()),
            logdet,
        }
    }

    fn inverse(&self, y: Tensor<4>) -> Tensor<4> {
        pointwise(y, self.inverse_weight())
    }
}
