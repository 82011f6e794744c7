//! Flags that choose the architecture of a new model.

use clap::{Args, ValueEnum};
use flowood::glow::{Architecture, CouplingKind, GlowConfig, LOCAL_PATCH, PriorKind};

/// A named architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// 32x32, L=3, K=8, 128 hidden channels (CPU-sized).
    Small,
    /// 32x32, L=3, K=32, 512 hidden channels (the paper's).
    Paper,
}

/// Coupling transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CouplingArg {
    /// `yb = (xb + t) * sigmoid(r + 2)`.
    Affine,
    /// `yb = xb + t`.
    Additive,
}

/// Prior on the per-scale latents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PriorArg {
    /// Per-scale ActNorm + N(0, I) (the paper's; scales independent).
    Paper,
    /// openai's conditional split prior.
    Conditional,
}

/// How the scales see the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// The usual convolutional Glow.
    Conv,
    /// One Glow shared by all non-overlapping tiles (`--patch`); log p is their sum.
    Local,
    /// Fully connected flow steps over each scale's flattened tensor.
    Dense,
}

/// Architecture flags of `flowood train`.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Architecture preset; the explicit flags below override its values.
    #[arg(long, value_enum, default_value = "small")]
    pub preset: Preset,
    /// Number of scales L.
    #[arg(long)]
    pub levels: Option<usize>,
    /// Flow steps per scale K.
    #[arg(long)]
    pub steps_per_level: Option<usize>,
    /// Hidden channels of each coupling network.
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Input image side (images are resized to it).
    #[arg(long, default_value_t = 32)]
    pub image_size: usize,
    /// Image channels: 1 (grey; colour data is converted) or 3.
    #[arg(long, default_value_t = 1)]
    pub channels: usize,
    /// Coupling transform.
    #[arg(long, value_enum, default_value = "affine")]
    pub coupling: CouplingArg,
    /// Prior on the latents.
    #[arg(long, value_enum, default_value = "paper")]
    pub prior: PriorArg,
    /// Convolutional, local (per tile) or dense flow steps; with `dense`, `--hidden` is the
    /// width of each coupling MLP.
    #[arg(long, value_enum, default_value = "conv")]
    pub model: ModelKind,
    /// Tile side of `--model local`.
    #[arg(long, default_value_t = LOCAL_PATCH)]
    pub patch: usize,
}

impl ModelArgs {
    /// The configuration these flags describe.
    pub fn config(&self) -> GlowConfig {
        let base = match self.preset {
            Preset::Small => GlowConfig::small(self.channels),
            Preset::Paper => GlowConfig::paper(self.channels),
        };
        GlowConfig {
            image_size: self.image_size,
            levels: self.levels.unwrap_or(base.levels),
            steps_per_level: self.steps_per_level.unwrap_or(base.steps_per_level),
            hidden_channels: self.hidden.unwrap_or(base.hidden_channels),
            coupling: match self.coupling {
                CouplingArg::Affine => CouplingKind::Affine,
                CouplingArg::Additive => CouplingKind::Additive,
            },
            prior: match self.prior {
                PriorArg::Paper => PriorKind::ActNormGaussian,
                PriorArg::Conditional => PriorKind::ConditionalSplit,
            },
            architecture: match self.model {
                ModelKind::Conv => Architecture::Conv,
                ModelKind::Local => Architecture::Local { patch: self.patch },
                ModelKind::Dense => Architecture::Dense,
            },
            ..base
        }
    }
}
