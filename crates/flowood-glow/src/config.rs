//! Configuration of a multiscale Glow.

use flowood_flows::CouplingKind;
use serde::{Deserialize, Serialize};

use crate::error::GlowError;

/// Largest accepted number of image channels.
pub const MAX_IN_CHANNELS: usize = 16;
/// Largest accepted image side.
pub const MAX_IMAGE_SIZE: usize = 1024;
/// Largest accepted number of flow steps per scale (the paper uses 32).
pub const MAX_STEPS_PER_LEVEL: usize = 1024;
/// Largest accepted number of hidden channels (the paper uses 512).
pub const MAX_HIDDEN_CHANNELS: usize = 16384;
/// Largest accepted number of classes of the class-conditional head (labels are `u16`).
pub const MAX_CLASSES: usize = 1 << 16;
/// Largest accepted number of weights (2^30: 4 GiB of f32, 12 GiB with Adamax's two moments).
pub const MAX_PARAMETERS: usize = 1 << 30;

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

/// How the scales of a Glow see the image (docs/method.md, "Local and dense Glow").
///
/// Stored in `model.json` as `{"kind": "local", "patch": 8}` or `{"kind": "dense"}`; a
/// convolutional model's file has no such field (as files written before it existed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Architecture {
    /// The usual Glow: convolutional flow steps over the whole image.
    #[default]
    Conv,
    /// One convolutional Glow shared by all non-overlapping `patch x patch` tiles of the image;
    /// `log p(image)` is the sum over its tiles, so the model sees only local statistics.
    Local {
        /// Side of the square tiles; the image side must be a multiple of it, and it must be
        /// divisible by `2^levels` (one squeeze per scale).
        patch: usize,
    },
    /// The usual squeeze/split scales, but each scale's tensor flattened and passed through
    /// fully connected flow steps ([`flowood_flows::DenseStep`]), whose coupling MLPs have
    /// `hidden_channels` units per hidden layer.
    Dense,
}

impl Architecture {
    /// Whether this is the usual convolutional Glow.
    pub fn is_conv(&self) -> bool {
        *self == Self::Conv
    }
}

/// Tile side of the paper's local Glow.
pub const LOCAL_PATCH: usize = 8;

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
    /// Number of classes of the class-conditional head (the supervised variant: one learned
    /// diagonal Gaussian per class on the normalised latents, see [`crate::ClassHead`]);
    /// `None` for the unsupervised model. Absent from the JSON of unsupervised models, so
    /// files written before the head existed load unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<usize>,
    /// Convolutional, local (per tile) or dense flow steps. Absent from the JSON of
    /// convolutional models, so their files (and safetensors metadata) are those written
    /// before the field existed.
    #[serde(default, skip_serializing_if = "Architecture::is_conv")]
    pub architecture: Architecture,
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
            classes: None,
            architecture: Architecture::Conv,
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
    ///
    /// Each field has an upper bound ([`MAX_IN_CHANNELS`], [`MAX_IMAGE_SIZE`],
    /// [`MAX_STEPS_PER_LEVEL`], [`MAX_HIDDEN_CHANNELS`]; `levels` by the image size) and the
    /// whole model at most [`MAX_PARAMETERS`] weights, so that an absurd value (on the command
    /// line or in a model file) is an error before anything is allocated.
    pub fn validate(&self) -> Result<(), GlowError> {
        let bounded = [
            ("in_channels", self.in_channels, MAX_IN_CHANNELS),
            ("image_size", self.image_size, MAX_IMAGE_SIZE),
            ("levels", self.levels, usize::BITS as usize - 1),
            ("steps_per_level", self.steps_per_level, MAX_STEPS_PER_LEVEL),
            ("hidden_channels", self.hidden_channels, MAX_HIDDEN_CHANNELS),
        ];
        for (field, value, max) in bounded {
            if value == 0 || value > max {
                return Err(GlowError::InvalidConfig {
                    field,
                    reason: format!("must be between 1 and {max}, got {value}"),
                });
            }
        }
        self.validate_classes()?;
        let factor = 1usize << self.levels;
        if let Architecture::Local { patch } = self.architecture
            && (patch == 0
                || patch > self.image_size
                || !self.image_size.is_multiple_of(patch)
                || !patch.is_multiple_of(factor))
        {
            return Err(GlowError::PatchSize {
                patch,
                size: self.image_size,
                levels: self.levels,
                factor,
            });
        }
        if factor > self.image_size || !self.image_size.is_multiple_of(factor) {
            return Err(GlowError::ImageSizeNotDivisible {
                size: self.image_size,
                levels: self.levels,
                factor,
            });
        }
        match self.parameter_estimate() {
            Some(n) if n <= MAX_PARAMETERS => Ok(()),
            n => Err(GlowError::InvalidConfig {
                field: "hidden_channels",
                reason: format!(
                    "with {} scales of {} steps the model would have {} weights, more than {MAX_PARAMETERS}",
                    self.levels,
                    self.steps_per_level,
                    n.map_or("too many".to_string(), |n| n.to_string())
                ),
            }),
        }
    }

    /// The class-conditional head needs between 1 and [`MAX_CLASSES`] classes and the
    /// ActNorm-Gaussian prior, whose normalised latents it models.
    fn validate_classes(&self) -> Result<(), GlowError> {
        let Some(classes) = self.classes else {
            return Ok(());
        };
        let reason = if classes == 0 || classes > MAX_CLASSES {
            format!("must be between 1 and {MAX_CLASSES}, got {classes}")
        } else if self.prior != PriorKind::ActNormGaussian {
            "needs the ActNorm-Gaussian prior (the head models its normalised latents)".into()
        } else {
            return Ok(());
        };
        Err(GlowError::InvalidConfig {
            field: "classes",
            reason,
        })
    }

    /// This architecture without the class-conditional head: the flow that a supervised
    /// model shares with the unsupervised model it was fine-tuned from (and with a general
    /// model, for ratios).
    pub fn flow(&self) -> Self {
        Self {
            classes: None,
            ..self.clone()
        }
    }

    /// The number of weights of the model, estimated from its largest parts (the coupling
    /// networks, the channel mixings, the priors and the class-conditional head), `None` on
    /// overflow.
    pub fn parameter_estimate(&self) -> Option<usize> {
        let h = self.hidden_channels;
        let head = self
            .classes
            .unwrap_or(0)
            .checked_mul(self.dims())?
            .checked_mul(2)?;
        (0..self.levels).try_fold(head, |total, i| {
            let c = self.in_channels.checked_mul(4)?.checked_mul(1 << i)?;
            // A conv step mixes `c` channels with 3x3 kernels in and out; a dense step all
            // `d` values of the scale, with 1x1 kernels.
            let (mixed, taps) = match self.architecture {
                Architecture::Dense => (c.checked_mul(self.scale_size(i).pow(2))?, 1),
                _ => (c, 9),
            };
            let net = h
                .checked_mul(h)?
                .checked_add(h.checked_mul(mixed)?.checked_mul(2 * taps)?)?;
            let step = net.checked_add(mixed.checked_mul(mixed)?.checked_mul(2)?)?;
            let prior = c.checked_mul(self.scale_size(i).pow(2))?.checked_mul(2)?;
            total.checked_add(step.checked_mul(self.steps_per_level)?.checked_add(prior)?)
        })
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

    /// Side of the square the scales see: the tile of a local Glow, else the whole image.
    pub fn flow_size(&self) -> usize {
        match self.architecture {
            Architecture::Local { patch } => patch,
            Architecture::Conv | Architecture::Dense => self.image_size,
        }
    }

    /// Tiles per image side: `image_size / patch` for a local Glow, else 1.
    pub fn tiles_per_side(&self) -> usize {
        self.image_size / self.flow_size()
    }

    /// Spatial size of scale `i` (0-based) after its squeeze (per tile for a local Glow).
    pub fn scale_size(&self, i: usize) -> usize {
        self.flow_size() >> (i + 1)
    }

    /// Shape `[C, H, W]` of the latent `z_i` leaving scale `i` (0-based), for the whole image
    /// (a local Glow's tile latents laid out as their tiles are).
    ///
    /// For RGB 32x32 and L = 3: 6x16x16, 12x8x8, 48x4x4, whatever the architecture.
    pub fn latent_shape(&self, i: usize) -> [usize; 3] {
        let [c, s, _] = self.prior_shape(i);
        let side = s * self.tiles_per_side();
        [c, side, side]
    }

    /// Shape `[C, H, W]` of what the prior of scale `i` scores: the latent of one tile for a
    /// local Glow, else [`Self::latent_shape`].
    pub fn prior_shape(&self, i: usize) -> [usize; 3] {
        let c = self.flow_channels(i);
        let s = self.scale_size(i);
        if i + 1 == self.levels {
            [c, s, s]
        } else {
            [c / 2, s, s]
        }
    }

    /// Where the flattened latent of scale `i` (0-based) starts among the `D` latent
    /// dimensions (scales concatenated in order, each flattened `C, H, W`).
    pub fn latent_offset(&self, i: usize) -> usize {
        (0..i)
            .map(|j| self.latent_shape(j).iter().product::<usize>())
            .sum()
    }

    /// Shapes of all latents, first scale first.
    pub fn latent_shapes(&self) -> Vec<[usize; 3]> {
        (0..self.levels).map(|i| self.latent_shape(i)).collect()
    }
}
