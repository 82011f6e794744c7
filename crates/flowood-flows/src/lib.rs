//! Invertible flow layers for [flowood](https://crates.io/crates/flowood).
//!
//! Every layer follows one contract, [`InvertibleLayer`]: `forward(x)` returns the output and
//! the per-sample log-determinant (shape `[B]`), `inverse(y)` returns the input, and
//! `initialize(x)` runs data-dependent initialisation (ActNorm) before a forward pass.
//! Layers compose into a [`FlowStep`] (ActNorm -> LU 1x1 conv -> coupling), the building
//! block of the multiscale Glow in `flowood-glow`.
//!
//! All layers take a `&Device` and run on any Burn backend; initial parameters are drawn
//! from a seeded host RNG, so the same seed gives the same model on every backend.

pub mod actnorm;
pub mod check;
pub mod conv;
pub mod coupling;
pub mod coupling_net;
pub mod error;
pub mod flow_step;
pub mod invconv;
pub mod layer;
pub mod param_init;
pub mod perturb;
pub mod pointwise;
pub mod split;
pub mod squeeze;
pub mod threads;

pub use actnorm::ActNorm;
pub use coupling::{Coupling, CouplingKind};
pub use error::FlowError;
pub use flow_step::FlowStep;
pub use invconv::InvConv1x1;
pub use layer::{FlowOutput, InvertibleLayer};
pub use perturb::perturb_parameters;
pub use split::{merge, split};
pub use squeeze::{squeeze, unsqueeze};
