//! Resizing: bilinear resampling of uint8 sets (28x28 digits to 32x32) and short-side
//! resizing of decoded photos (LSUN protocol and photo tiles).

use std::path::Path;

use image::RgbImage;
use image::imageops::{self, FilterType};
use rayon::prelude::*;

use crate::dataset::ImageSet;
use crate::error::{DataError, Result};
use crate::folder::MAX_DECODE_BYTES;

impl ImageSet {
    /// Every image resampled to `height x width` by bilinear interpolation with pixel centres
    /// at half-integer positions (the convention of PIL and `align_corners = false`), rounded
    /// to the nearest integer. Used to bring 28x28 MNIST-like sets to the 32x32 model input.
    pub fn resize_bilinear(&self, height: usize, width: usize) -> Result<ImageSet> {
        let [n, c, h, w] = self.shape();
        if height == 0 || width == 0 || h == 0 || w == 0 {
            return Err(DataError::InvalidArgument(format!(
                "cannot resize {h}x{w} images to {height}x{width}"
            )));
        }
        let rows = taps(h, height);
        let cols = taps(w, width);
        let mut out = vec![0; n * c * height * width];
        out.par_chunks_mut(height * width)
            .zip(self.pixels().par_chunks(h * w))
            .for_each(|(dst, src)| resample_plane(src, w, &rows, &cols, dst));
        ImageSet::new(
            out,
            [n, c, height, width],
            self.labels().map(<[u16]>::to_vec),
        )
    }
}

/// Source index pair and weight of the second one, for each output coordinate.
fn taps(input: usize, output: usize) -> Vec<(usize, usize, f32)> {
    let scale = input as f32 / output as f32;
    (0..output)
        .map(|o| {
            let pos = ((o as f32 + 0.5) * scale - 0.5).clamp(0.0, (input - 1) as f32);
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(input - 1);
            (lo, hi, pos - lo as f32)
        })
        .collect()
}

/// Bilinear interpolation of one plane of width `w` into `dst`.
fn resample_plane(
    src: &[u8],
    w: usize,
    rows: &[(usize, usize, f32)],
    cols: &[(usize, usize, f32)],
    dst: &mut [u8],
) {
    let px = |y: usize, x: usize| f32::from(src[y * w + x]);
    for (oy, &(y0, y1, fy)) in rows.iter().enumerate() {
        for (ox, &(x0, x1, fx)) in cols.iter().enumerate() {
            let top = px(y0, x0) * (1.0 - fx) + px(y0, x1) * fx;
            let bottom = px(y1, x0) * (1.0 - fx) + px(y1, x1) * fx;
            let v = top * (1.0 - fy) + bottom * fy;
            dst[oy * cols.len() + ox] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Size `(width, height)` of an image of size `(width, height)` scaled so that its shorter
/// side becomes `short` (the longer side is rounded to the nearest pixel).
pub fn short_side_size(width: u32, height: u32, short: u32) -> (u32, u32) {
    let scale = |long: u32, side: u32| {
        ((f64::from(long) * f64::from(short) / f64::from(side)).round() as u32).max(1)
    };
    if width <= height {
        (short, scale(height, width))
    } else {
        (scale(width, height), short)
    }
}

/// Resizes `img` (decoded from `path`) to `(width, height)` with a triangle (bilinear)
/// filter, which the `image` crate widens when shrinking, so large photos are averaged rather
/// than aliased. A resize that would take more than [`MAX_DECODE_BYTES`] is an error naming
/// the file: a thin strip of a few pixels (1x100000, a few kB as PNG) scaled to a short side
/// of 512 would need a 79 GB image.
pub(crate) fn resize_rgb(
    img: &RgbImage,
    (width, height): (u32, u32),
    path: &Path,
) -> Result<RgbImage> {
    let bytes = resize_bytes(img.width(), (width, height));
    if bytes > u128::from(MAX_DECODE_BYTES) {
        return Err(DataError::Format {
            path: path.to_path_buf(),
            offset: 0,
            message: format!(
                "image is {}x{}: resizing it to {width}x{height} needs more than {} MiB \
                 (is it a thin strip?)",
                img.width(),
                img.height(),
                MAX_DECODE_BYTES >> 20
            ),
        });
    }
    Ok(imageops::resize(img, width, height, FilterType::Triangle))
}

/// Peak bytes of the `image` crate's resize of an image `source_width` wide to `(width,
/// height)`: its vertical pass writes `source_width x height` RGBA f32 pixels, then the
/// horizontal pass the 8-bit RGB result.
fn resize_bytes(source_width: u32, (width, height): (u32, u32)) -> u128 {
    let height = u128::from(height);
    u128::from(source_width) * height * 16 + u128::from(width) * height * 3
}

/// The LSUN protocol: scale `img` (decoded from `path`) so the short side is `size`, then crop
/// the central square.
pub(crate) fn short_side_centre_crop(img: &RgbImage, size: u32, path: &Path) -> Result<RgbImage> {
    let (w, h) = short_side_size(img.width(), img.height(), size);
    let scaled = resize_rgb(img, (w, h), path)?;
    Ok(imageops::crop_imm(&scaled, (w - size) / 2, (h - size) / 2, size, size).to_image())
}
