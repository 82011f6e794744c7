//! Zoom-out augmentation: the image shrunk and placed at a random position on a black canvas.
//!
//! Not part of the paper's protocol; an option for the general distribution. Fashion-MNIST and
//! digits are objects on a black background, which photo tiles never show: a general model of
//! tiles alone gives those black areas and the edges around them a poor likelihood, and the
//! likelihood ratio then rewards any image with much black background (MNIST most of all).
//! Shrinking some tiles onto black canvases puts such backgrounds into the general data while
//! the content stays photographic.

use std::str::FromStr;

use image::imageops::{self, FilterType};
use image::{ImageBuffer, Luma};
use rand::Rng;

use crate::error::DataError;
use crate::number_pair::parse_number_pair;

/// With probability `probability`, an image is resized (antialiased) by a factor drawn
/// uniformly from `[min_scale, 1]` and pasted at a uniformly drawn position of an otherwise
/// black canvas of the original size (all channels alike).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoomOut {
    /// Chance that an image is zoomed out (0..=1).
    pub probability: f32,
    /// Smallest scale factor (in (0, 1]).
    pub min_scale: f32,
}

/// Where one zoomed-out image lands: its size and top-left corner on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Placement {
    size: [u32; 2],
    corner: [u32; 2],
}

impl ZoomOut {
    /// Checks the ranges: `0 <= probability <= 1` and `0 < min_scale <= 1`.
    pub fn new(probability: f32, min_scale: f32) -> Result<Self, DataError> {
        if !(0.0..=1.0).contains(&probability) {
            return Err(DataError::InvalidArgument(format!(
                "zoom-out probability must be in 0..=1, got {probability}"
            )));
        }
        if !(min_scale > 0.0 && min_scale <= 1.0) {
            return Err(DataError::InvalidArgument(format!(
                "zoom-out scale must be in (0, 1], got {min_scale}"
            )));
        }
        Ok(Self {
            probability,
            min_scale,
        })
    }

    /// Zooms one CHW image of shape `[c, h, w]` out, or returns `None` when this draw leaves
    /// it alone.
    pub fn apply(
        &self,
        image: &[u8],
        [c, h, w]: [usize; 3],
        rng: &mut impl Rng,
    ) -> Option<Vec<u8>> {
        let place = self.draw(h as u32, w as u32, rng)?;
        let mut out = vec![0; c * h * w];
        for (src, dst) in image.chunks_exact(h * w).zip(out.chunks_exact_mut(h * w)) {
            paste_shrunk(src, [h as u32, w as u32], place, dst);
        }
        Some(out)
    }

    fn draw(&self, h: u32, w: u32, rng: &mut impl Rng) -> Option<Placement> {
        if h == 0 || w == 0 || rng.random::<f32>() >= self.probability {
            return None;
        }
        let scale = rng.random_range(self.min_scale..=1.0);
        let side = |n: u32| ((n as f32 * scale).round() as u32).clamp(1, n);
        let size = [side(h), side(w)];
        let corner = [
            rng.random_range(0..=h - size[0]),
            rng.random_range(0..=w - size[1]),
        ];
        Some(Placement { size, corner })
    }
}

/// Resizes one `h x w` plane to the placement's size and writes it at its corner of `dst`
/// (a zeroed `h x w` plane).
fn paste_shrunk(src: &[u8], [h, w]: [u32; 2], place: Placement, dst: &mut [u8]) {
    let plane = ImageBuffer::<Luma<u8>, &[u8]>::from_raw(w, h, src).expect("plane holds h*w bytes");
    let [sh, sw] = place.size;
    let small = imageops::resize(&plane, sw, sh, FilterType::Triangle);
    for (x, y, &Luma([v])) in small.enumerate_pixels() {
        let (y, x) = (
            (y + place.corner[0]) as usize,
            (x + place.corner[1]) as usize,
        );
        dst[y * w as usize + x] = v;
    }
}

impl FromStr for ZoomOut {
    type Err = DataError;

    /// Parses `PROBABILITY,MIN_SCALE`, e.g. `0.5,0.4`.
    fn from_str(spec: &str) -> Result<Self, DataError> {
        let usage = "zoom-out must be PROBABILITY,MIN_SCALE (e.g. 0.5,0.4)";
        let (probability, min_scale) = parse_number_pair(spec, usage)?;
        Self::new(probability, min_scale)
    }
}
