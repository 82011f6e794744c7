//! Photometric augmentation: a random contrast and brightness change, clipped to 0..=255.
//!
//! Not part of the paper's protocol; an option for the general distribution. Well-exposed
//! photographs rarely hold the saturated black or white areas and hard edges that digits and
//! Fashion-MNIST are made of, so a general model trained on them alone gives those low-level
//! patterns a poor likelihood, and the likelihood ratio then measures that gap instead of
//! semantics. Random contrast and brightness (with clipping) put such patterns into the general
//! training data while keeping the photos' textures.

use std::str::FromStr;

use rand::Rng;

use crate::error::DataError;
use crate::number_pair::parse_number_pair;

/// Random contrast and brightness: every pixel of one image becomes
/// `clamp(round(mean + a * (v - mean) + b * 255), 0, 255)`, where `mean` is the image's mean,
/// `a` is log-uniform in `[1/max_contrast, max_contrast]` and `b` uniform in
/// `[-max_brightness, max_brightness]`, both drawn once per image (all channels alike).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Photometric {
    /// Largest contrast factor (at least 1; 1 leaves the contrast alone).
    pub max_contrast: f32,
    /// Largest brightness shift as a fraction of the full range (0 leaves it alone).
    pub max_brightness: f32,
}

impl Photometric {
    /// Checks the ranges: `max_contrast >= 1`, `0 <= max_brightness <= 1`, both finite.
    pub fn new(max_contrast: f32, max_brightness: f32) -> Result<Self, DataError> {
        if !(max_contrast.is_finite() && max_contrast >= 1.0) {
            return Err(DataError::InvalidArgument(format!(
                "photometric contrast must be a finite factor >= 1, got {max_contrast}"
            )));
        }
        if !(0.0..=1.0).contains(&max_brightness) {
            return Err(DataError::InvalidArgument(format!(
                "photometric brightness must be a fraction in 0..=1, got {max_brightness}"
            )));
        }
        Ok(Self {
            max_contrast,
            max_brightness,
        })
    }

    /// Draws this image's change and returns it as a lookup table from old to new value.
    pub fn draw_table(&self, image: &[u8], rng: &mut impl Rng) -> [u8; 256] {
        let log_max = self.max_contrast.ln();
        let contrast = if log_max > 0.0 {
            rng.random_range(-log_max..=log_max).exp()
        } else {
            1.0
        };
        let brightness = if self.max_brightness > 0.0 {
            rng.random_range(-self.max_brightness..=self.max_brightness) * 255.0
        } else {
            0.0
        };
        let mean = image.iter().map(|&v| f64::from(v)).sum::<f64>() / image.len().max(1) as f64;
        let mean = mean as f32;
        std::array::from_fn(|v| {
            (mean + contrast * (v as f32 - mean) + brightness)
                .round()
                .clamp(0.0, 255.0) as u8
        })
    }
}

impl FromStr for Photometric {
    type Err = DataError;

    /// Parses `CONTRAST,BRIGHTNESS`, e.g. `4,0.5`.
    fn from_str(spec: &str) -> Result<Self, DataError> {
        let usage = "photometric augmentation must be CONTRAST,BRIGHTNESS (e.g. 4,0.5)";
        let (contrast, brightness) = parse_number_pair(spec, usage)?;
        Self::new(contrast, brightness)
    }
}
