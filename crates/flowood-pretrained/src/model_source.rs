//! Where a model comes from: a saved file or a pretrained name.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use burn::tensor::Device;
use flowood_glow::Glow;

use crate::error::PretrainedError;
use crate::pretrained::Pretrained;

/// The prefix that names a pretrained model instead of a file (`pretrained:grey32`).
pub const PRETRAINED_PREFIX: &str = "pretrained:";

/// A model to load: `pretrained:NAME`, or the path of a file saved by `Glow::save` (with its
/// `.json` configuration beside it). Everything that takes a model path takes this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A model file (`model.bpk`).
    File(PathBuf),
    /// A model shipped with flowood.
    Pretrained(Pretrained),
}

impl ModelSource {
    /// Loads the model on `device`.
    pub fn load(&self, device: &Device) -> Result<Glow, PretrainedError> {
        match self {
            ModelSource::File(path) => Ok(Glow::load(path, device)?),
            ModelSource::Pretrained(p) => p.load(device),
        }
    }
}

impl FromStr for ModelSource {
    type Err = PretrainedError;

    /// `pretrained:NAME` names a shipped model (an unknown name is an error listing the known
    /// ones); anything else is a file path.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.strip_prefix(PRETRAINED_PREFIX) {
            Some(name) => Ok(ModelSource::Pretrained(name.parse()?)),
            None => Ok(ModelSource::File(PathBuf::from(text))),
        }
    }
}

impl fmt::Display for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSource::File(path) => write!(f, "{}", path.display()),
            ModelSource::Pretrained(p) => write!(f, "{PRETRAINED_PREFIX}{p}"),
        }
    }
}
