//! RGB to grey conversion with the luma weights of the method (0.2989, 0.5870, 0.1140).

use rayon::prelude::*;

use crate::dataset::ImageSet;
use crate::error::{DataError, Result};

/// Weights of R, G and B in the grey value (ITU-R BT.601 luma, as in MATLAB's `rgb2gray`).
pub const GREY_WEIGHTS: [f32; 3] = [0.2989, 0.5870, 0.1140];

/// Grey value of one RGB pixel, rounded to the nearest integer.
pub fn grey_value(r: u8, g: u8, b: u8) -> u8 {
    let [wr, wg, wb] = GREY_WEIGHTS;
    let v = wr * f32::from(r) + wg * f32::from(g) + wb * f32::from(b);
    v.round().clamp(0.0, 255.0) as u8
}

impl ImageSet {
    /// The same images with one grey channel. Grey sets are returned unchanged; sets with a
    /// channel count other than 1 or 3 are an error.
    pub fn to_grey(&self) -> Result<ImageSet> {
        let [n, c, h, w] = self.shape();
        match c {
            1 => return Ok(self.clone()),
            3 => {}
            _ => {
                return Err(DataError::InvalidArgument(format!(
                    "grey conversion needs 1 or 3 channels, found {c}"
                )));
            }
        }
        let plane = h * w;
        let mut out = vec![0; n * plane];
        if plane > 0 {
            out.par_chunks_mut(plane)
                .zip(self.pixels().par_chunks(3 * plane))
                .for_each(|(dst, src)| {
                    let (r, gb) = src.split_at(plane);
                    let (g, b) = gb.split_at(plane);
                    for (i, d) in dst.iter_mut().enumerate() {
                        *d = grey_value(r[i], g[i], b[i]);
                    }
                });
        }
        ImageSet::new(out, [n, 1, h, w], self.labels().map(<[u16]>::to_vec))
    }
}
