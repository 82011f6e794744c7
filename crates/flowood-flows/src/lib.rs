//! Invertible flow layers for [flowood](https://crates.io/crates/flowood).
//!
//! Every layer follows one contract, [`InvertibleLayer`]: `forward(x)` returns the output and
//! the per-sample log-determinant (shape `[B]`), `inverse(y)` returns the input, and
//! `initialize(x)` runs data-dependent initialisation (ActNorm) before a forward pass.
//! Layers compose into a [`FlowStep`] (ActNorm -> LU 1x1 conv -> coupling), the building
//! block of the multiscale Glow in `flowood-glow`; a [`DenseStep`] (ActNorm -> fixed
//! orthogonal mixing -> fully connected coupling over the flattened tensor) is the block of
//! its dense variant.
//!
//! All layers take a `&Device` and run on any Burn backend; initial parameters are drawn
//! from a seeded host RNG, so the same seed gives the same model on every backend.

mod actnorm;
mod channel_major;
mod conv;
mod coupling;
mod coupling_net;
mod dense_step;
mod error;
#[cfg(feature = "flex")]
mod flex_windows;
mod flow_step;
mod host;
mod invconv;
mod layer;
mod orthogonal_mix;
mod param_init;
mod pointwise;
mod same_windows;
mod split;
mod squeeze;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "flex")]
mod typed_product;

pub use actnorm::ActNorm;
pub use channel_major::{PreparedConv, mix, same_conv, swap_batch_channels};
pub use conv::{ConvInit, SameConv};
pub use coupling::{Coupling, CouplingKind};
pub use coupling_net::CouplingNet;
pub use dense_step::DenseStep;
pub use error::FlowError;
pub use flow_step::FlowStep;
pub use host::{host_tensor, to_host};
pub use invconv::InvConv1x1;
pub use layer::{FlowOutput, InvertibleLayer, zero_logdet};
pub use orthogonal_mix::OrthogonalMix;
pub use param_init::{LazyRng, normal_values, trainable};
pub use pointwise::pointwise;
pub use split::{merge, split};
pub use squeeze::{squeeze, unsqueeze};
