//! From uint8 pixels to the model's continuous input `x = v/256 - 0.5`, dequantised.
//!
//! Training adds uniform noise inside each pixel's bin, `x + u` with `u ~ U(0, 1/256)`, so the
//! model learns a density rather than spikes on a lattice. Evaluation adds half a bin, `x +
//! 1/512`, so that scores are deterministic and reproducible.

use rand::Rng;

/// How pixels become model inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dequantize {
    /// `v/256 - 0.5 + u`, `u` uniform in `[0, 1/256)`.
    Train,
    /// `v/256 - 0.5 + 1/512`.
    Eval,
}

/// Bits of noise resolution inside a bin. With 16 bits every input is a multiple of 2^-24
/// in (-0.5, 0.5), which `f32` represents exactly, so noise can never round up into the next
/// bin (a float sample in [0, 1) can: 255 + 0.99999994 rounds to 256 in `f32`).
const NOISE_BITS: u32 = 16;

/// The evaluation input for pixel value `v`: `v/256 - 0.5 + 1/512` (exact in `f32`).
pub fn eval_value(v: u8) -> f32 {
    f32::from(v) / 256.0 - 0.5 + 1.0 / 512.0
}

/// Writes the model inputs for `pixels` into `out` (same length).
pub fn dequantize_into(pixels: &[u8], mode: Dequantize, rng: &mut impl Rng, out: &mut [f32]) {
    match mode {
        Dequantize::Eval => {
            for (o, &v) in out.iter_mut().zip(pixels) {
                *o = eval_value(v);
            }
        }
        Dequantize::Train => {
            let scale = 1.0 / (256.0 * (1u32 << NOISE_BITS) as f32);
            for (o, &v) in out.iter_mut().zip(pixels) {
                let noise = (rng.random::<u32>() >> (32 - NOISE_BITS)) as f32 * scale;
                *o = f32::from(v) / 256.0 - 0.5 + noise;
            }
        }
    }
}
