//! IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST...), raw or gzip-compressed.
//!
//! Format: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, then
//! one big-endian `u32` per dimension and the data in row-major order. Image files have three
//! dimensions `[n, rows, cols]`, label files one `[n]`.

use std::path::{Path, PathBuf};

use crate::bytes::{Cursor, Endian, Stream};
use crate::dataset::ImageSet;
use crate::error::{DataError, Result};

/// IDX type code for unsigned bytes, the only one used by image datasets.
const TYPE_U8: u8 = 0x08;

/// Reads an IDX image file into a grey set without labels.
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<ImageSet> {
    let path = path.as_ref();
    let (pixels, dims) = read_idx_u8(path, 3)?;
    ImageSet::new(pixels, [dims[0], 1, dims[1], dims[2]], None)
}

/// Reads an IDX label file.
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u16>> {
    let (labels, _) = read_idx_u8(path.as_ref(), 1)?;
    Ok(labels.into_iter().map(u16::from).collect())
}

/// Reads an image file and its label file (in parallel) into one labelled set.
pub fn read_idx(images: impl AsRef<Path>, labels: impl AsRef<Path>) -> Result<ImageSet> {
    let (images_path, labels_path) = (images.as_ref(), labels.as_ref());
    let (set, labels) = rayon::join(
        || read_idx_images(images_path),
        || read_idx_labels(labels_path),
    );
    let (set, labels) = (set?, labels?);
    if set.len() != labels.len() {
        return Err(DataError::CountMismatch {
            images_path: images_path.to_path_buf(),
            images: set.len(),
            labels_path: labels_path.to_path_buf(),
            labels: labels.len(),
        });
    }
    let (pixels, shape, _) = set.into_parts();
    ImageSet::new(pixels, shape, Some(labels))
}

/// Reads any IDX image file, with labels from `labels` if given, else from the label file
/// beside it if there is one ([`idx_labels_beside`]), else without labels.
pub fn read_idx_file(images: impl AsRef<Path>, labels: Option<&Path>) -> Result<ImageSet> {
    let images = images.as_ref();
    match labels
        .map(Path::to_path_buf)
        .or_else(|| idx_labels_beside(images))
    {
        Some(labels) => read_idx(images, labels),
        None => read_idx_images(images),
    }
}

/// The label file published beside an IDX image file, if it exists: the same name with
/// `images-idx3` replaced by `labels-idx1` (the MNIST convention, kept by Fashion-MNIST,
/// KMNIST and EMNIST), compressed or not.
pub fn idx_labels_beside(images: &Path) -> Option<PathBuf> {
    let name = images.file_name()?.to_str()?;
    if !name.contains("images-idx3") {
        return None;
    }
    let labels = name.replace("images-idx3", "labels-idx1");
    let stem = labels.strip_suffix(".gz").unwrap_or(&labels);
    [labels.clone(), stem.to_string(), format!("{stem}.gz")]
        .into_iter()
        .map(|candidate| images.with_file_name(candidate))
        .find(|candidate| candidate.is_file())
}

/// Reads an unsigned-byte IDX file with `ndims` dimensions; returns its data and dimensions.
///
/// The data is read (and, for `.gz`, inflated) only up to the size the header declares, and
/// one byte past it to detect trailing data, so a compressed file cannot expand further.
fn read_idx_u8(path: &Path, ndims: u8) -> Result<(Vec<u8>, Vec<usize>)> {
    let mut stream = Stream::open(path)?;
    let header_len = 4 + 4 * u64::from(ndims);
    let header = stream.read_up_to(header_len)?;
    let dims = parse_header(path, &header, ndims)?;
    let expected = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| format_error(path, 4, "dimensions overflow"))?;
    let data = stream.read_up_to(expected)?;
    if (data.len() as u64) < expected {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            offset: header_len,
            expected,
            found: data.len() as u64,
        });
    }
    if !stream.at_end()? {
        let message = format!("trailing bytes after the {expected} bytes the header declares");
        return Err(format_error(path, stream.offset() - 1, &message));
    }
    Ok((data, dims))
}

/// Checks the magic number and reads the dimensions.
fn parse_header(path: &Path, raw: &[u8], ndims: u8) -> Result<Vec<usize>> {
    let mut cursor = Cursor::new(path, raw, 0, Endian::Big);
    let magic = cursor.u32()?;
    let expected = u32::from(TYPE_U8) << 8 | u32::from(ndims);
    if magic != expected {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            offset: 0,
            expected: format!("{expected:#010x}"),
            found: format!("{magic:#010x}"),
        });
    }
    (0..ndims)
        .map(|_| cursor.u32().map(|d| d as usize))
        .collect()
}

fn format_error(path: &Path, offset: u64, message: &str) -> DataError {
    DataError::Format {
        path: path.to_path_buf(),
        offset,
        message: message.to_string(),
    }
}
