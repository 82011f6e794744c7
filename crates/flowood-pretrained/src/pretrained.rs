//! The catalogue of pretrained models: each name, its embedded weights and model card.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use burn::tensor::Device;
use flowood_glow::{Glow, GlowConfig};
use sha2::{Digest, Sha256};

use crate::error::PretrainedError;

/// A pretrained model shipped with flowood (each behind the cargo feature of its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Pretrained {
    /// The general model for grey 32x32 images, trained on tiles of natural photographs: the
    /// `p_general` of the likelihood ratio and the starting point of grey in-distribution models.
    #[cfg(feature = "grey32")]
    Grey32,
    /// The general model for colour 3x32x32 images, trained on tiles of the same photographs.
    #[cfg(feature = "rgb32")]
    Rgb32,
    /// A Fashion-MNIST model (grey 32x32) fine-tuned from [`Pretrained::Grey32`]: the
    /// in-distribution model of the likelihood-ratio and final-scale scores.
    #[cfg(feature = "fashion32")]
    Fashion32,
    /// [`Pretrained::Fashion32`] fine-tuned further with the outlier loss against
    /// [`Pretrained::Grey32`] on batches of photo tiles.
    #[cfg(feature = "fashion32-outlier")]
    Fashion32Outlier,
}

/// What a weights crate (`flowood-model-NAME`) embeds.
struct Files {
    safetensors: &'static [u8],
    config_json: &'static str,
    card: &'static str,
}

impl Pretrained {
    /// Every model this build ships.
    pub const ALL: &'static [Pretrained] = &[
        #[cfg(feature = "grey32")]
        Pretrained::Grey32,
        #[cfg(feature = "rgb32")]
        Pretrained::Rgb32,
        #[cfg(feature = "fashion32")]
        Pretrained::Fashion32,
        #[cfg(feature = "fashion32-outlier")]
        Pretrained::Fashion32Outlier,
    ];

    /// The model's name, as the CLI and [`FromStr`] take it (`pretrained:NAME`).
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "grey32")]
            Pretrained::Grey32 => "grey32",
            #[cfg(feature = "rgb32")]
            Pretrained::Rgb32 => "rgb32",
            #[cfg(feature = "fashion32")]
            Pretrained::Fashion32 => "fashion32",
            #[cfg(feature = "fashion32-outlier")]
            Pretrained::Fashion32Outlier => "fashion32-outlier",
        }
    }

    fn files(self) -> Files {
        match self {
            #[cfg(feature = "grey32")]
            Pretrained::Grey32 => Files {
                safetensors: flowood_model_grey32::SAFETENSORS,
                config_json: flowood_model_grey32::CONFIG_JSON,
                card: flowood_model_grey32::CARD,
            },
            #[cfg(feature = "rgb32")]
            Pretrained::Rgb32 => Files {
                safetensors: flowood_model_rgb32::SAFETENSORS,
                config_json: flowood_model_rgb32::CONFIG_JSON,
                card: flowood_model_rgb32::CARD,
            },
            #[cfg(feature = "fashion32")]
            Pretrained::Fashion32 => Files {
                safetensors: flowood_model_fashion32::SAFETENSORS,
                config_json: flowood_model_fashion32::CONFIG_JSON,
                card: flowood_model_fashion32::CARD,
            },
            #[cfg(feature = "fashion32-outlier")]
            Pretrained::Fashion32Outlier => Files {
                safetensors: flowood_model_fashion32_outlier::SAFETENSORS,
                config_json: flowood_model_fashion32_outlier::CONFIG_JSON,
                card: flowood_model_fashion32_outlier::CARD,
            },
        }
    }

    /// The model's weights, safetensors.
    pub fn safetensors(self) -> &'static [u8] {
        self.files().safetensors
    }

    /// The model's card (Markdown): data, augmentation, architecture, training, held-out
    /// bits/dim and the command that retrains it.
    pub fn card(self) -> &'static str {
        self.files().card
    }

    /// The model's architecture.
    pub fn config(self) -> Result<GlowConfig, PretrainedError> {
        serde_json::from_str(self.files().config_json).map_err(|e| PretrainedError::Config {
            name: self.name(),
            reason: e.to_string(),
        })
    }

    /// Lower-case hex SHA-256 of [`Pretrained::safetensors`], as the model card states it.
    pub fn sha256(self) -> String {
        Sha256::digest(self.safetensors())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Builds the model on `device` with its pretrained weights (data-dependent
    /// initialisation included, so the model is ready to score or fine-tune).
    pub fn load(self, device: &Device) -> Result<Glow, PretrainedError> {
        let origin = format!("pretrained:{}", self.name());
        let glow = self.config()?.init(device, 0)?;
        Ok(glow.import_safetensors_bytes(self.safetensors().to_vec(), Path::new(&origin))?)
    }
}
impl fmt::Display for Pretrained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Pretrained {
    type Err = PretrainedError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.name() == name)
            .ok_or_else(|| PretrainedError::UnknownName {
                name: name.to_string(),
                available: available_names(),
            })
    }
}

/// The names of [`Pretrained::ALL`], comma-separated (`none` when no model feature is on).
fn available_names() -> String {
    let names: Vec<&str> = Pretrained::ALL.iter().map(|p| p.name()).collect();
    if names.is_empty() {
        "none (every model feature is off)".to_string()
    } else {
        names.join(", ")
    }
}
