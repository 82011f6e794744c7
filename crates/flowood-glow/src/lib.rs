//! Multiscale Glow with a typed per-scale log-likelihood, for
//! [flowood](https://crates.io/crates/flowood).
//!
//! ```no_run
//! use burn::tensor::{Device, Tensor};
//! use flowood_glow::GlowConfig;
//!
//! # fn main() -> Result<(), flowood_glow::GlowError> {
//! let device = Device::default();
//! let glow = GlowConfig::small(1).init(&device, 42)?;
//! let x = Tensor::<4>::zeros([8, 1, 32, 32], &device);
//! let glow = glow.initialize(&[x.clone()])?;
//! let ll = glow.log_likelihood(x)?.to_host();
//! for (i, scale) in ll.scales.iter().enumerate() {
//!     println!("lp_{} = {:?}", i + 1, scale.lp);
//! }
//! # Ok(()) }
//! ```
//!
//! # Tensor names (safetensors)
//! [`Glow::export_safetensors`] writes one tensor per parameter, named by its path:
//! - `levels.{i}.steps.{k}.actnorm.{bias,log_scale,initialized}`: ActNorm of step k of scale i
//!   (`bias`, `log_scale` are `[1, C, 1, 1]`; `y = exp(log_scale) * (x + bias)`);
//! - `levels.{i}.steps.{k}.invconv.{permutation,sign,lower,upper,log_s}`: LU 1x1 conv,
//!   `W = P (tril(lower, -1) + I) (triu(upper, 1) + diag(sign * exp(log_s)))`, with
//!   `P[r] = I[permutation[r]]`;
//! - `levels.{i}.steps.{k}.coupling.net.{conv_in,conv_hidden,conv_out}.{weight,bias}`,
//!   `...coupling.net.{norm_in,norm_hidden}.{bias,log_scale,initialized}` and
//!   `...coupling.net.out_logs`: the coupling network (PyTorch conv weight layout);
//! - dense Glow only, in place of `steps`: `levels.{i}.dense_steps.{k}.actnorm.*` (`[1, D, 1, 1]`
//!   for the scale's `D = C*H*W` values), `...dense_steps.{k}.mix.weight` (`[D, D]`, the fixed
//!   orthogonal matrix, `y = Q x`) and `...dense_steps.{k}.coupling.net.*` as above with 1x1
//!   kernels (a fully connected network);
//! - `priors.{i}.actnorm.{bias,log_scale,initialized}` (paper prior, `[1, C, H, W]`),
//!   `priors.{i}.conv.{weight,bias}` (conditional split prior) or `priors.{i}.mean_logs`
//!   (learned top prior);
//! - `class_head.{means,log_stds}` (`[K, D]`, supervised models only): the per-class
//!   Gaussians of [`ClassHead`] on the normalised latents, all scales concatenated in order.
//!
//! Integer tensors (`initialized`, `permutation`, `sign`) are buffers; all float tensors but
//! the fixed `mix.weight` are trained. A local Glow has the tensor names of a convolutional
//! Glow on one tile. The configuration is stored as JSON in the metadata key [`CONFIG_METADATA_KEY`].

mod class_head;
mod config;
mod error;
mod glow;
mod likelihood;
mod persist;
mod prior;
mod safetensors_header;
mod scale;
mod step_tape;
mod tiles;
mod weight_check;

pub use class_head::ClassHead;
pub use config::{
    Architecture, GlowConfig, LOCAL_PATCH, MAX_CLASSES, MAX_HIDDEN_CHANNELS, MAX_IMAGE_SIZE,
    MAX_IN_CHANNELS, MAX_PARAMETERS, MAX_STEPS_PER_LEVEL, PriorKind,
};
pub use error::GlowError;
pub use flowood_flows::CouplingKind;
pub use glow::{Encoded, Glow, MAX_SAMPLE_VALUES};
pub use likelihood::{LogLikelihood, LogLikelihoodValues, ScaleTerms, ScaleValues};
pub use persist::{CHECKSUM_KEY, CONFIG_METADATA_KEY, config_path};
pub use prior::{ActNormPrior, ConditionalPrior, LearnedPrior, PriorTerms, ScalePrior};
pub use scale::{GlowScale, ScaleOutput};
pub use step_tape::StepTape;
