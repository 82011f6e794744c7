//! Helpers for testing invertible layers (feature `testing`): seeded inputs, reconstruction
//! error, the log-determinant of the full Jacobian by central differences, parameter bytes
//! for exact comparisons, gradient comparisons, and parameter perturbation away from the identity.
//!
//! flowood's own tests use them; they are offered so that users can check layers they write.

mod check;
mod gradients;
mod perturb;

pub use check::{
    max_abs_diff, numerical_logdet, parameter_bytes, random_batch, relative_diff, scaled_max_error,
};
pub use gradients::{assert_same_gradients, gradient_values};
pub use perturb::perturb_parameters;
