//! Training for [flowood](https://crates.io/crates/flowood): the Adamax optimizer of the
//! paper's experiments (Burn 0.22 has none).

pub mod adamax;

pub use adamax::{Adamax, AdamaxConfig, AdamaxState};
