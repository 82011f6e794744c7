//! Activation normalisation (Kingma & Dhariwal 2018): an affine map with data-dependent init.

use burn::module::{Module, Param};
use burn::tensor::{Device, Int, Tensor};

use crate::error::FlowError;
use crate::layer::{FlowOutput, InvertibleLayer};
use crate::param_init::{buffer, rebuffer, retrain, trainable};

/// Smallest standard deviation the initialisation divides by.
const MIN_STD: f64 = 1e-6;

/// `y = exp(s) * (x + b)`, per channel (conv features) or per element (flattened latents).
///
/// The parameters have shape `[1, C, 1, 1]` (per channel, broadcast over space) or
/// `[1, C, H, W]` (per element); the kind is read off that shape. Data-dependent
/// initialisation sets `b = -mean` and `s = -log(max(std, 1e-6))` over the initialisation
/// data and flips the saved `initialized` marker, so a reloaded model never re-initialises.
#[derive(Module, Debug)]
pub struct ActNorm {
    /// Shift `b`, applied before the scale.
    pub bias: Param<Tensor<4>>,
    /// Log-scale `s`.
    pub log_scale: Param<Tensor<4>>,
    /// `[1]`: 1 once data-dependent init ran, else 0. Saved, never trained.
    pub initialized: Param<Tensor<1, Int>>,
}

impl ActNorm {
    /// Per-channel ActNorm for `channels` feature maps (identity until initialised).
    pub fn per_channel(channels: usize, device: &Device) -> Result<Self, FlowError> {
        Self::with_shape([1, channels, 1, 1], device)
    }

    /// Per-element ActNorm over a `[C, H, W]` latent (identity until initialised).
    pub fn per_element(shape: [usize; 3], device: &Device) -> Result<Self, FlowError> {
        let [c, h, w] = shape;
        Self::with_shape([1, c, h, w], device)
    }

    fn with_shape(shape: [usize; 4], device: &Device) -> Result<Self, FlowError> {
        if shape.contains(&0) {
            return Err(FlowError::ZeroSize {
                what: "ActNorm shape",
            });
        }
        let n = shape.iter().product();
        Ok(Self {
            bias: trainable(vec![0.0; n], shape, device),
            log_scale: trainable(vec![0.0; n], shape, device),
            initialized: buffer(vec![0], [1], device),
        })
    }

    /// `exp(s) * (x + b)` without the log-det (for use inside coupling networks).
    pub fn normalize(&self, x: Tensor<4>) -> Tensor<4> {
        (x + self.bias.val()) * self.log_scale.val().exp()
    }

    /// The per-channel map `exp(s) * (x + b)` as `scale * x + shift`, each `[C]`.
    ///
    /// A convolution followed by this ActNorm is then one convolution with its weights scaled
    /// ([`SameConv::prepared_affine`](crate::conv::SameConv::prepared_affine)): one pass over the
    /// output instead of three, and one activation fewer kept for the backward pass.
    /// `None` for a per-element ActNorm, whose scale varies over space.
    pub fn channel_affine(&self) -> Option<(Tensor<1>, Tensor<1>)> {
        if !self.is_per_channel() {
            return None;
        }
        let [_, c, _, _] = self.bias.dims();
        let scale = self.log_scale.val().exp().reshape([c]);
        let shift = self.bias.val().reshape([c]) * scale.clone();
        Some((scale, shift))
    }

    /// Fits `b` and `s` to `x`, then normalises it (for use inside coupling networks).
    pub fn initialize_normalize(self, x: Tensor<4>) -> (Self, Tensor<4>) {
        let layer = self.fit(x.clone());
        let y = layer.normalize(x);
        (layer, y)
    }

    /// Whether data-dependent initialisation has run (reads one value from the device).
    pub fn is_initialized(&self) -> bool {
        self.initialized.val().into_scalar::<i64>() != 0
    }

    /// True when parameters broadcast over height and width.
    fn is_per_channel(&self) -> bool {
        let [_, _, h, w] = self.bias.dims();
        h == 1 && w == 1
    }

    /// Mean over the axes the parameters are shared across.
    fn shared_mean(&self, x: Tensor<4>) -> Tensor<4> {
        let mean = x.mean_dim(0);
        if self.is_per_channel() {
            mean.mean_dim(2).mean_dim(3)
        } else {
            mean
        }
    }

    /// Sets `b` and `s` from the statistics of `x`, and marks the layer initialised.
    fn fit(self, x: Tensor<4>) -> Self {
        let mean = self.shared_mean(x.clone());
        let var = self.shared_mean((x - mean.clone()).powi_scalar(2));
        let log_scale = var.sqrt().clamp_min(MIN_STD).log().neg();
        let device = mean.device();
        Self {
            bias: retrain(self.bias, mean.neg()),
            log_scale: retrain(self.log_scale, log_scale),
            initialized: rebuffer(self.initialized, Tensor::ones([1], &device)),
        }
    }

    /// Per-sample log-det: `sum(s)` times the number of positions each parameter covers.
    fn logdet(&self, x: &Tensor<4>) -> Tensor<1> {
        let [batch, _, h, w] = x.dims();
        let [_, _, ph, pw] = self.log_scale.dims();
        let positions = (h * w) / (ph * pw);
        self.log_scale
            .val()
            .sum()
            .mul_scalar(positions as f64)
            .expand([batch])
    }
}

impl InvertibleLayer for ActNorm {
    fn forward(&self, x: Tensor<4>) -> FlowOutput {
        let logdet = self.logdet(&x);
        let output = self.normalize(x);
        FlowOutput { output, logdet }
    }

    fn inverse(&self, y: Tensor<4>) -> Tensor<4> {
        y * self.log_scale.val().neg().exp() - self.bias.val()
    }

    fn initialize(self, x: Tensor<4>) -> (Self, FlowOutput) {
        let layer = self.fit(x.clone());
        let out = layer.forward(x);
        (layer, out)
    }
}
