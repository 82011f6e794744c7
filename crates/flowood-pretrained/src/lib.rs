//! flowood's pretrained models, by name.
//!
//! A likelihood-ratio detector needs a *general* model: the same Glow trained once, for long,
//! on a broad distribution of natural images. This crate ships such models (and the
//! in-distribution models fine-tuned from them), each with a model card, so nobody has to
//! retrain them:
//!
//! ```no_run
//! use burn::tensor::Device;
//! use flowood_pretrained::{ModelSource, Pretrained};
//!
//! # fn main() -> Result<(), flowood_pretrained::PretrainedError> {
//! let device = Device::default();
//! let general = Pretrained::Grey32.load(&device)?; // or "grey32".parse::<Pretrained>()?
//! let same: ModelSource = "pretrained:grey32".parse()?; // what the CLI's model flags take
//! println!("{} ({} bytes of weights)", general.config.dims(), Pretrained::Grey32.safetensors().len());
//! # let _ = same; Ok(()) }
//! ```
//!
//! Each model's weights are a crate of their own (`flowood-model-NAME`, under 10 MB as
//! crates.io requires), pulled in by the cargo feature of the model's name; all are on by
//! default. The model card of each is [`Pretrained::card`].

mod error;
mod model_source;
mod pretrained;

pub use error::PretrainedError;
pub use model_source::{ModelSource, PRETRAINED_PREFIX};
pub use pretrained::Pretrained;
