//! A batch to score: the model input tensor and, optionally, the uint8 images it came from.

use burn::tensor::{Device, Tensor, TensorData};
use flowood_data::eval_value;

use crate::error::ScoreError;

/// uint8 images `[B, C, H, W]` (NCHW, row-major), values `v` in `0..=255`.
///
/// The input-complexity score compresses these, not the model input, because PNG sizes are
/// defined on the original 8-bit image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixels {
    data: Vec<u8>,
    shape: [usize; 4],
}

impl Pixels {
    /// Wraps `data` of shape `[B, C, H, W]`; the length must be `B*C*H*W` and no side zero.
    pub fn new(data: Vec<u8>, shape: [usize; 4]) -> Result<Self, ScoreError> {
        if shape.contains(&0) {
            return Err(ScoreError::Pixels(format!(
                "shape {shape:?} has a zero side"
            )));
        }
        let expected = shape.iter().product::<usize>();
        if data.len() != expected {
            return Err(ScoreError::Pixels(format!(
                "{} bytes for shape {shape:?}, expected {expected}",
                data.len()
            )));
        }
        Ok(Self { data, shape })
    }

    /// `[B, C, H, W]`.
    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// Number of images B.
    pub fn len(&self) -> usize {
        self.shape[0]
    }

    /// Always false: a batch has at least one image.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Dimensions per image `D = C*H*W`.
    pub fn dims(&self) -> usize {
        self.shape[1] * self.shape[2] * self.shape[3]
    }

    /// All bytes, image after image.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The deterministic evaluation input `x = v/256 - 0.5 + 1/512` (docs/method.md,
    /// Conventions), as `flowood_data::eval_value` defines it.
    pub fn eval_input(&self, device: &Device) -> Tensor<4> {
        let values: Vec<f32> = self.data.iter().map(|&v| eval_value(v)).collect();
        Tensor::from_data(TensorData::new(values, self.shape), device)
    }
}

/// One batch for the scorers: the model input `x: [B, C, H, W]` on any device and, for the
/// input-complexity score, the uint8 images it was made from.
#[derive(Debug, Clone)]
pub struct ScoreBatch {
    /// Model input on the model's scale, `x = v/256 - 0.5 + 1/512` at evaluation.
    pub x: Tensor<4>,
    /// The original images, if known.
    pub pixels: Option<Pixels>,
}

impl ScoreBatch {
    /// A batch of model inputs only (enough for every score except input complexity).
    pub fn new(x: Tensor<4>) -> Self {
        Self { x, pixels: None }
    }

    /// A batch of model inputs with their uint8 images; the shapes must agree.
    pub fn with_pixels(x: Tensor<4>, pixels: Pixels) -> Result<Self, ScoreError> {
        let dims = x.dims();
        if dims != pixels.shape() {
            return Err(ScoreError::Pixels(format!(
                "pixels have shape {:?} but the tensor has {dims:?}",
                pixels.shape()
            )));
        }
        Ok(Self {
            x,
            pixels: Some(pixels),
        })
    }

    /// A batch built from uint8 images alone, with the evaluation input computed on `device`.
    pub fn from_pixels(pixels: Pixels, device: &Device) -> Self {
        Self {
            x: pixels.eval_input(device),
            pixels: Some(pixels),
        }
    }

    /// Number of images B.
    pub fn len(&self) -> usize {
        self.x.dims()[0]
    }

    /// Whether the batch holds no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The uint8 images, or [`ScoreError::MissingPixels`].
    pub fn require_pixels(&self) -> Result<&Pixels, ScoreError> {
        self.pixels.as_ref().ok_or(ScoreError::MissingPixels)
    }
}
