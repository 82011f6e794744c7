//! Configuration of a multiscale Glow.

use flowood_flows::CouplingKind;
use serde::{Deserialize, Serialize};

use crate::error::GlowError;

/// Which prior scores the latents of each scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorKind {
    /// The paper's prior: each latent passes a per-element ActNorm and is scored under
    /// `N(0, I)`; scales are independent, so per-scale contributions are well separated.
    #[default]
    ActNormGaussian,
    /// The openai Glow prior: a zero-initialised conv of the kept half predicts the mean and
    /// log-std of each split latent; the last scale has a learned mean and log-std.
    ConditionalSplit,
}

/// Architecture of a multiscale Glow (docs/method.md, "Architecture").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlowConfig {
    /// Image channels (1 grey, 3 RGB).
    pub in_channels: usize,
    /// Height and width of the (square) input image.
    pub image_size: usize,
    /// Number of scales L.
    pub levels: usize,
    /// Flow steps per scale K.
    pub steps_per_level: usize,
    /// Hidden channels of each coupling network.
    pub hidden_channels: usize,
    /// Affine (paper) or additive coupling.
    pub coupling: CouplingKind,
    /// Prior on the per-scale latents.
    pub prior: PriorKind,
}

impl GlowConfig {
    /// The paper's configuration: 32x32, L = 3, K = 32, 512 hidden channels, affine coupling.
    pub fn paper(in_channels: usize) -> Self {
        Self {
            in_channels,
            image_size: 32,
            levels: 3,
            steps_per_level: 32,
            hidden_channels: 512,
            coupling: CouplingKind::Affine,
            prior: PriorKind::ActNormGaussian,
        }
    }

    /// A CPU-sized configuration: 32x32, L = 3, K = 8, 128 hidden channels.
    pub fn small(in_channels: usize) -> Self {
        Self {
            steps_per_level: 8,
            hidden_channels: 128,
            ..Self::paper(in_channels)
        }
    }

    /// Checks every field; the model can be built iff this succeeds.
    pub fn validate(&self) -> Result<(), GlowError> {
        let positive = [
            ("in_channels", self.in_channels),
            ("image_size", self.image_size),
            ("levels", self.levels),
            ("steps_per_level", self.steps_per_level),
            ("hidden_channels", self.hidden_channels),
        ];
        if let Some((field, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(GlowError::InvalidConfig {
                field,
                reason: "must be at least 1".into(),
            });
        }
        let factor = 1usize
            .checked_shl(self.levels as u32)
            .filter(|f| *f <= self.image_size)
            .ok_or(GlowError::ImageSizeNotDivisible {
                size: self.image_size,
                levels: self.levels,
                factor: 1usize.checked_shl(self.levels as u32).unwrap_or(usize::MAX),
            })?;
        if !self.image_size.is_multiple_of(factor) {
            return Err(GlowError::ImageSizeNotDivisible {
                size: self.image_size,
                levels: self.levels,
                factor,
            });
        }
        Ok(())
    }

    /// Number of dimensions `D = C * H * W` of an input image.
    pub fn dims(&self) -> usize {
        self.in_channels * self.image_size * self.image_size
    }

    /// Channels entering the flow steps of scale `i` (0-based), after its squeeze.
    pub fn flow_channels(&self, i: usize) -> usize {
        // Scale 0 sees 4C; each split halves and each squeeze quadruples: 4C * 2^i.
        self.in_channels * 4 * (1 << i)
    }

    /// Spatial size of scale `i` (0-based) after its squeeze.
    pub fn scale_size(&self, i: usize) -> usize {
        self.image_size >> (i + 1)
    }

    /// Shape `[C, H, W]` of the latent `z_i` leaving scale `i` (0-based).
    ///
    /// For RGB 32x32 and L = 3: 6x16x16, 12x8x8, 48x4x4.
    pub fn latent_shape(&self, i: usize) -> [usize; 3] {
        let c = self.flow_channels(i);
        let s = self.scale_size(i);
        if i + 1 == self.levels {
            [c, s, s]
        } else {
            [c / 2, s, s]
        }
    }

    /// Shapes of all latents, first scale first.
    pub fn latent_shapes(&self) -> Vec<[usize; 3]> {
        (0..self.levels).map(|i| self.latent_shape(i)).collect()
    }
}
