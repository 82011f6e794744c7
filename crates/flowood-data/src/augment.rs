//! Training augmentation: random translation (zero fill), optional horizontal flip and
//! optional photometric change.

use rand::Rng;

use crate::photometric::Photometric;

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
}

impl Augment {
    /// Translation only (digits, Fashion-MNIST, SVHN).
    pub fn translate() -> Self {
        Self {
            max_shift: 0.1,
            hflip: false,
            photometric: None,
        }
    }

    /// Translation and horizontal flip (natural photos, CIFAR).
    pub fn translate_flip() -> Self {
        Self {
            max_shift: 0.1,
            hflip: true,
            photometric: None,
        }
    }

    /// The same augmentation with a photometric change added (or removed).
    pub fn with_photometric(self, photometric: Option<Photometric>) -> Self {
        Self {
            photometric,
            ..self
        }
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
        let image = &image[..c * h * w];
        let table = self.photometric.map(|p| p.draw_table(image, rng));
        let value = |v: u8| table.as_ref().map_or(v, |t| t[usize::from(v)]);
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
                            value(src[sy as usize * w + sx])
                        } else {
                            0
                        };
                }
            }
        }
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
