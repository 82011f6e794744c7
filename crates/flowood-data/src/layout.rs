//! Conversion from MATLAB/Fortran column-major pixel planes to the row-major planes of NCHW.
//!
//! SVHN's `X` (32x32x3xN) and each 80M Tiny Images record (32x32x3) store every channel plane
//! column by column; NCHW wants it row by row, so every plane is transposed.

use rayon::prelude::*;

/// Transposes consecutive `h x w` column-major planes (each `h * w` bytes, column `j` at
/// `j * h`) into row-major planes (row `i` at `i * w`). `data.len()` must be a multiple of
/// `h * w`; callers check this against the declared dimensions first.
pub(crate) fn column_major_planes_to_row_major(data: &[u8], h: usize, w: usize) -> Vec<u8> {
    let plane = h * w;
    let mut out = vec![0; data.len()];
    if plane == 0 {
        return out;
    }
    out.par_chunks_mut(plane)
        .zip(data.par_chunks(plane))
        .for_each(|(dst, src)| {
            for (col, column) in src.chunks_exact(h).enumerate() {
                for (row, &v) in column.iter().enumerate() {
                    dst[row * w + col] = v;
                }
            }
        });
    out
}

/// Converts an interleaved RGB image (HWC, as decoders return it) into planar CHW.
pub(crate) fn rgb_to_chw(img: &image::RgbImage) -> Vec<u8> {
    let plane = img.width() as usize * img.height() as usize;
    let mut out = vec![0; 3 * plane];
    for (i, px) in img.pixels().enumerate() {
        for (ch, &v) in px.0.iter().enumerate() {
            out[ch * plane + i] = v;
        }
    }
    out
}
