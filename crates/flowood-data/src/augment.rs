//! Training augmentation: random translation (zero fill), optional horizontal flip, and
//! optional photometric change and zoom-out.

use std::borrow::Cow;

use rand::Rng;

use crate::photometric::Photometric;
use crate::zoom_out::ZoomOut;

/// Augmentation settings. The method translates every set by up to 10% of the image size
/// and flips only natural images (photos, CIFAR), never digits, Fashion-MNIST or SVHN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Augment {
    /// Largest shift as a fraction of the height (vertical) and width (horizontal); the shift
    /// in pixels is drawn uniformly from `-floor(f*size)..=floor(f*size)` per axis.
    pub max_shift: f32,
    /// Mirror left-right with probability 1/2.
    pub hflip: bool,
    /// Random contrast and brightness, applied before the translation (so the fill stays
    /// black). Off in the method's protocol; see [`Photometric`].
    pub photometric: Option<Photometric>,
    /// Random shrinking onto a black canvas, applied after the photometric change and before
    /// the translation. Off in the method's protocol; see [`ZoomOut`].
    pub zoom_out: Option<ZoomOut>,
}

impl Augment {
    /// Translation only (digits, Fashion-MNIST, SVHN).
    pub fn translate() -> Self {
        Self {
            max_shift: 0.1,
            hflip: false,
            photometric: None,
            zoom_out: None,
        }
    }

    /// Translation and horizontal flip (natural photos, CIFAR).
    pub fn translate_flip() -> Self {
        Self {
            max_shift: 0.1,
            hflip: true,
            photometric: None,
            zoom_out: None,
        }
    }

    /// The same augmentation with a photometric change added (or removed).
    pub fn with_photometric(self, photometric: Option<Photometric>) -> Self {
        Self {
            photometric,
            ..self
        }
    }

    /// The same augmentation with a zoom-out added (or removed).
    pub fn with_zoom_out(self, zoom_out: Option<ZoomOut>) -> Self {
        Self { zoom_out, ..self }
    }

    /// Augments one CHW image of shape `[c, h, w]` into `out`. Pixels shifted in from
    /// outside are 0 (pixel value 0, i.e. black).
    ///
    /// # Panics
    ///
    /// If `image` or `out` holds fewer than `c * h * w` bytes (a caller bug, not bad data).
    pub fn apply_into(
        &self,
        image: &[u8],
        [c, h, w]: [usize; 3],
        rng: &mut impl Rng,
        out: &mut [u8],
    ) {
        let flip = self.hflip && rng.random::<bool>();
        let dy = shift(rng, self.max_shift, h);
        let dx = shift(rng, self.max_shift, w);
        let image = self.stage(&image[..c * h * w], [c, h, w], rng);
        for ch in 0..c {
            let (src, dst) = (&image[ch * h * w..], &mut out[ch * h * w..(ch + 1) * h * w]);
            for y in 0..h {
                for x in 0..w {
                    let sy = y as isize - dy;
                    let sx = x as isize - dx;
                    dst[y * w + x] =
                        if (0..h as isize).contains(&sy) && (0..w as isize).contains(&sx) {
                            let sx = if flip {
                                w - 1 - sx as usize
                            } else {
                                sx as usize
                            };
                            src[sy as usize * w + sx]
                        } else {
                            0
                        };
                }
            }
        }
    }
}

impl Augment {
    /// The image after the photometric change and zoom-out (borrowed when neither is on).
    fn stage<'a>(&self, image: &'a [u8], shape: [usize; 3], rng: &mut impl Rng) -> Cow<'a, [u8]> {
        let mut staged = Cow::Borrowed(image);
        if let Some(photometric) = self.photometric {
            let table = photometric.draw_table(image, rng);
            staged = Cow::Owned(image.iter().map(|&v| table[usize::from(v)]).collect());
        }
        if let Some(zoomed) = self.zoom_out.and_then(|z| z.apply(&staged, shape, rng)) {
            staged = Cow::Owned(zoomed);
        }
        staged
    }
}

/// A uniform integer shift in `-m..=m` with `m = floor(fraction * size)`.
fn shift(rng: &mut impl Rng, fraction: f32, size: usize) -> isize {
    let m = (fraction.max(0.0) * size as f32).floor() as i64;
    if m == 0 {
        0
    } else {
        rng.random_range(-m..=m) as isize
    }
}
