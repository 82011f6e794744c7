//! The input-complexity score (Serra et al., ICLR 2020): `S = bpd_model(x) - bpd_png(x)`.
//!
//! A generic lossless compressor estimates how complex an image is; subtracting its code
//! length from the model's removes the part of the likelihood that only reflects complexity.
//! Higher `S` is more anomalous, so the score is `-S` (higher = more normal).

use flowood_glow::Glow;
use png::{BitDepth, ColorType, Compression, Encoder};
use rayon::prelude::*;

use crate::batch::{Pixels, ScoreBatch};
use crate::error::ScoreError;
use crate::model::ScoringModel;
use crate::score::{Score, ScoreInputs};
use crate::scorer::Scorer;

/// Size in bytes of the whole PNG file (signature, chunks, checksums) of one uint8 image
/// given as `[C, H, W]` (C = 1 grey or 3 RGB), at maximum compression.
///
/// Maximum compression is png's [`Compression::High`]: zlib level 9 (`flate2` "best") with
/// the adaptive per-row filter, the equivalent of OpenCV's `IMWRITE_PNG_COMPRESSION = 9`
/// used by Serra et al.
pub fn png_bytes(
    image: &[u8],
    channels: usize,
    height: usize,
    width: usize,
) -> Result<usize, ScoreError> {
    let color = match channels {
        1 => ColorType::Grayscale,
        3 => ColorType::Rgb,
        c => {
            return Err(ScoreError::Pixels(format!(
                "PNG needs 1 (grey) or 3 (RGB) channels, got {c}"
            )));
        }
    };
    if image.len() != channels * height * width {
        return Err(ScoreError::Pixels(format!(
            "{} bytes for a {channels}x{height}x{width} image",
            image.len()
        )));
    }
    let (w, h) = (dimension(width)?, dimension(height)?);
    let mut file = Vec::new();
    let mut encoder = Encoder::new(&mut file, w, h);
    encoder.set_color(color);
    encoder.set_depth(BitDepth::Eight);
    encoder.set_compression(Compression::High);
    let png_error = |e: png::EncodingError| ScoreError::Png(e.to_string());
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer
        .write_image_data(&interleave(image, channels, height * width))
        .map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(file.len())
}

/// A PNG side length as `u32`.
fn dimension(side: usize) -> Result<u32, ScoreError> {
    u32::try_from(side).map_err(|_| ScoreError::Pixels(format!("side {side} too large for PNG")))
}

/// Planar `[C, H*W]` to interleaved `[H*W, C]`, the layout PNG rows use.
fn interleave(image: &[u8], channels: usize, pixels: usize) -> Vec<u8> {
    (0..pixels * channels)
        .map(|k| image[(k % channels) * pixels + k / channels])
        .collect()
}

/// `bpd_png = 8 * bytes / D` of every image of `pixels`, compressed in parallel.
pub fn png_bits_per_dim(pixels: &Pixels) -> Result<Vec<f64>, ScoreError> {
    let [_, c, h, w] = pixels.shape();
    let dims = pixels.dims() as f64;
    pixels
        .data()
        .par_chunks(pixels.dims())
        .map(|image| png_bytes(image, c, h, w).map(|bytes| 8.0 * bytes as f64 / dims))
        .collect()
}

/// Scores an image by `-S = -(bpd_model(x) - bpd_png(x))`; needs the uint8 images of the
/// batch ([`ScoreBatch::with_pixels`] or [`ScoreBatch::from_pixels`]).
#[derive(Debug, Clone)]
pub struct ComplexityScorer {
    model: ScoringModel,
}

impl ComplexityScorer {
    /// Builds the scorer on the in-distribution model.
    pub fn new(model: &Glow) -> Result<Self, ScoreError> {
        Ok(Self {
            model: ScoringModel::new(model, "in-distribution")?,
        })
    }
}

impl Scorer for ComplexityScorer {
    fn name(&self) -> String {
        Score::Complexity.name()
    }

    fn score(&self, batch: &ScoreBatch) -> Result<Vec<f64>, ScoreError> {
        let png_bpd = png_bits_per_dim(batch.require_pixels()?)?;
        let values = self.model.values(&batch.x)?;
        Score::Complexity.compute(&ScoreInputs {
            png_bpd: Some(&png_bpd),
            ..ScoreInputs::of(&values)
        })
    }
}
