//! Model outputs back to pixels, and image grids saved as PNG (for samples).

use std::path::Path;

use flowood_host::{AtomicWriteError, write_atomically};
use image::{ExtendedColorType, ImageFormat};

use crate::dataset::ImageSet;
use crate::error::{DataError, Result};

/// Converts model-scale values `x` (NCHW, `x = v/256 - 0.5`) to pixels `v = floor((x + 0.5) *
/// 256)`, clamped to 0..=255 (non-finite values become 0).
pub fn from_model_scale(values: &[f32], shape: [usize; 4]) -> Result<ImageSet> {
    let pixels = values
        .iter()
        .map(|&x| {
            if x.is_finite() {
                ((x + 0.5) * 256.0).floor().clamp(0.0, 255.0) as u8
            } else {
                0
            }
        })
        .collect();
    ImageSet::new(pixels, shape, None)
}

/// Tiles the images of `set` into a grid of `columns` columns (at most one per image: more
/// would only be blank) with `padding` pixels of white between them, and writes it as PNG to
/// `path` (through `flowood_host::write_atomically`). A grid wider or taller than a PNG can
/// be is an error.
pub fn save_grid(set: &ImageSet, columns: usize, padding: usize, path: &Path) -> Result<()> {
    let [n, c, h, w] = set.shape();
    if n == 0 || columns == 0 || !(c == 1 || c == 3) {
        return Err(DataError::InvalidArgument(format!(
            "cannot grid {n} images of {c} channels in {columns} columns"
        )));
    }
    let columns = columns.min(n);
    let rows = n.div_ceil(columns);
    let (width, height) = (
        grid_side(columns, w, padding)?,
        grid_side(rows, h, padding)?,
    );
    // Interleaved (HWC) canvas, white background.
    let mut canvas = vec![255u8; width as usize * height as usize * c];
    for i in 0..n {
        let (ox, oy) = (
            i % columns * (w + padding) + padding,
            i / columns * (h + padding) + padding,
        );
        for ch in 0..c {
            for y in 0..h {
                for x in 0..w {
                    canvas[((oy + y) * width as usize + ox + x) * c + ch] =
                        set.pixels()[((i * c + ch) * h + y) * w + x];
                }
            }
        }
    }
    let color = if c == 1 {
        ExtendedColorType::L8
    } else {
        ExtendedColorType::Rgb8
    };
    write_atomically(path, |tmp| {
        image::save_buffer_with_format(tmp, &canvas, width, height, color, ImageFormat::Png)
    })
    .map_err(|e| match e {
        AtomicWriteError::Write(source) => DataError::Image {
            path: path.to_path_buf(),
            source,
        },
        AtomicWriteError::Io(source) => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// Pixels along one side of a grid of `cells` images of `side` pixels, `padding` pixels
/// before each and after the last, if a PNG can be that large.
fn grid_side(cells: usize, side: usize, padding: usize) -> Result<u32> {
    side.checked_add(padding)
        .and_then(|cell| cell.checked_mul(cells))
        .and_then(|pixels| pixels.checked_add(padding))
        .and_then(|pixels| u32::try_from(pixels).ok())
        .ok_or_else(|| {
            DataError::InvalidArgument(format!(
                "a grid of {cells} images of {side} pixels is too large for a PNG"
            ))
        })
}
