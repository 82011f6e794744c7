//! [`ImageSet`]: the in-memory form every reader produces (uint8, NCHW, optional labels).

use crate::error::{DataError, Result};

/// A set of `n` uint8 images of shape `c x h x w`, stored contiguously in NCHW order, with
/// optional integer labels (class ids as stored by the format, e.g. 0..9 for MNIST).
///
/// Keeping pixels as raw `u8` makes whole datasets small (Fashion-MNIST is 47 MB) and leaves
/// dequantisation, scaling and augmentation to the batch pipeline, where they are random.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSet {
    images: Vec<u8>,
    shape: [usize; 4],
    labels: Option<Vec<u16>>,
}

impl ImageSet {
    /// Builds a set from NCHW pixels and `shape = [n, c, h, w]`, checking that the buffer and
    /// the labels (if any) match `n`.
    pub fn new(images: Vec<u8>, shape: [usize; 4], labels: Option<Vec<u16>>) -> Result<Self> {
        let expected = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if expected != Some(images.len()) {
            return Err(DataError::InvalidArgument(format!(
                "pixel buffer has {} bytes, shape {shape:?} needs {expected:?}",
                images.len()
            )));
        }
        if let Some(labels) = &labels
            && labels.len() != shape[0]
        {
            return Err(DataError::InvalidArgument(format!(
                "{} labels for {} images",
                labels.len(),
                shape[0]
            )));
        }
        Ok(Self {
            images,
            shape,
            labels,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.shape[0]
    }

    /// True when the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.shape[0] == 0
    }

    /// `[n, c, h, w]`.
    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// Channels per image (1 for grey, 3 for RGB).
    pub fn channels(&self) -> usize {
        self.shape[1]
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.shape[2]
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.shape[3]
    }

    /// Bytes per image, `c * h * w`.
    pub fn image_size(&self) -> usize {
        self.shape[1] * self.shape[2] * self.shape[3]
    }

    /// All pixels, NCHW.
    pub fn pixels(&self) -> &[u8] {
        &self.images
    }

    /// The pixels of image `i` (CHW), or `None` past the end.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let size = self.image_size();
        self.images.get(i * size..(i + 1) * size)
    }

    /// Labels, when the format has them.
    pub fn labels(&self) -> Option<&[u16]> {
        self.labels.as_deref()
    }

    /// Splits the set into its pixel buffer, shape and labels.
    pub fn into_parts(self) -> (Vec<u8>, [usize; 4], Option<Vec<u16>>) {
        (self.images, self.shape, self.labels)
    }

    /// Number of images per label value, indexed by label (length = largest label + 1);
    /// empty when the set has no labels.
    pub fn class_counts(&self) -> Vec<usize> {
        let Some(labels) = &self.labels else {
            return Vec::new();
        };
        let classes = labels
            .iter()
            .map(|&l| usize::from(l) + 1)
            .max()
            .unwrap_or(0);
        let mut counts = vec![0; classes];
        for &l in labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }

    /// The images at `indices`, in that order (repeats allowed).
    pub fn subset(&self, indices: &[usize]) -> Result<Self> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(DataError::InvalidArgument(format!(
                "index {bad} out of range for {} images",
                self.len()
            )));
        }
        let size = self.image_size();
        let mut images = Vec::with_capacity(indices.len() * size);
        for &i in indices {
            images.extend_from_slice(&self.images[i * size..(i + 1) * size]);
        }
        let labels = self
            .labels
            .as_ref()
            .map(|l| indices.iter().map(|&i| l[i]).collect());
        let [_, c, h, w] = self.shape;
        Self::new(images, [indices.len(), c, h, w], labels)
    }

    /// Splits off the last `n` images as a held-out set: returns `(rest, held_out)`.
    /// Training on `rest` and measuring on `held_out` chooses settings without the test set;
    /// `n` must leave at least one image in `rest`.
    pub fn hold_out(&self, n: usize) -> Result<(Self, Self)> {
        let len = self.len();
        if n >= len {
            return Err(DataError::InvalidArgument(format!(
                "holding out {n} images leaves nothing: the set has {len} images"
            )));
        }
        let rest = self.subset(&(0..len - n).collect::<Vec<_>>())?;
        let held_out = self.subset(&(len - n..len).collect::<Vec<_>>())?;
        Ok((rest, held_out))
    }

    /// The images whose label is in `classes` (for one-class in-distribution sets).
    /// A set without labels yields an empty set.
    pub fn select_classes(&self, classes: &[u16]) -> Result<Self> {
        let indices: Vec<usize> = match &self.labels {
            Some(labels) => (0..self.len())
                .filter(|&i| classes.contains(&labels[i]))
                .collect(),
            None => Vec::new(),
        };
        self.subset(&indices)
    }

    /// Appends sets of identical image shape; labels are kept only if every part has them.
    pub fn concat(parts: &[ImageSet]) -> Result<Self> {
        let Some(first) = parts.first() else {
            return Err(DataError::InvalidArgument("nothing to concatenate".into()));
        };
        let [_, c, h, w] = first.shape;
        if let Some(odd) = parts.iter().find(|p| p.shape[1..] != first.shape[1..]) {
            return Err(DataError::InvalidArgument(format!(
                "cannot concatenate image shapes {:?} and {:?}",
                &first.shape[1..],
                &odd.shape[1..]
            )));
        }
        let images = parts
            .iter()
            .flat_map(|p| p.images.iter().copied())
            .collect();
        let labels = parts
            .iter()
            .map(|p| p.labels.as_ref())
            .collect::<Option<Vec<_>>>()
            .map(|ls| ls.into_iter().flatten().copied().collect());
        let n = parts.iter().map(ImageSet::len).sum();
        Self::new(images, [n, c, h, w], labels)
    }
}
