//! CIFAR-10 and CIFAR-100 "binary version" files.
//!
//! Each file is a sequence of fixed-size records: the label byte(s), then 3072 pixel bytes
//! (1024 red, 1024 green, 1024 blue, each plane row-major 32x32), which is already CHW.
//! CIFAR-10 (`data_batch_1.bin`..`data_batch_5.bin`, `test_batch.bin`) has one label byte;
//! CIFAR-100 (`train.bin`, `test.bin`) has a coarse (0..19) then a fine (0..99) label byte.

use std::path::Path;

use rayon::prelude::*;

use crate::bytes::read_regular;
use crate::dataset::ImageSet;
use crate::error::{DataError, Result};

/// Bytes of pixels per record.
const PIXELS: usize = 3 * 32 * 32;

/// CIFAR-100 images with both label sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cifar100 {
    /// The images, labelled with the 100 fine classes.
    pub images: ImageSet,
    /// The 20 coarse (superclass) labels, one per image.
    pub coarse_labels: Vec<u16>,
}

/// Reads one CIFAR-10 binary batch file.
pub fn read_cifar10(path: impl AsRef<Path>) -> Result<ImageSet> {
    let path = path.as_ref();
    let raw = read_regular(path)?;
    let mut labels = parse_records(path, &raw, &[10])?;
    let images = pixels(&raw, 1);
    ImageSet::new(images, [labels[0].len(), 3, 32, 32], labels.pop())
}

/// Reads one CIFAR-100 binary file (`train.bin` or `test.bin`).
pub fn read_cifar100(path: impl AsRef<Path>) -> Result<Cifar100> {
    let path = path.as_ref();
    let raw = read_regular(path)?;
    let mut labels = parse_records(path, &raw, &[20, 100])?;
    let fine = labels.pop();
    let coarse_labels = labels.pop().unwrap_or_default();
    let images = ImageSet::new(pixels(&raw, 2), [coarse_labels.len(), 3, 32, 32], fine)?;
    Ok(Cifar100 {
        images,
        coarse_labels,
    })
}

/// Checks the record structure and returns one label vector per label byte, each validated
/// against its number of classes.
fn parse_records(path: &Path, raw: &[u8], classes: &[u16]) -> Result<Vec<Vec<u16>>> {
    let record = classes.len() + PIXELS;
    let whole = raw.len() / record * record;
    if raw.is_empty() || whole != raw.len() {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            offset: whole as u64,
            expected: record as u64,
            found: (raw.len() - whole) as u64,
        });
    }
    let mut out = Vec::with_capacity(classes.len());
    for (k, &n_classes) in classes.iter().enumerate() {
        let labels: Vec<u16> = raw.chunks_exact(record).map(|r| u16::from(r[k])).collect();
        if let Some(i) = labels.iter().position(|&l| l >= n_classes) {
            return Err(DataError::Format {
                path: path.to_path_buf(),
                offset: (i * record + k) as u64,
                message: format!("label {} is not below {n_classes}", labels[i]),
            });
        }
        out.push(labels);
    }
    Ok(out)
}

/// Copies the pixel part of every record into one NCHW buffer.
fn pixels(raw: &[u8], label_bytes: usize) -> Vec<u8> {
    let record = label_bytes + PIXELS;
    let mut out = vec![0; raw.len() / record * PIXELS];
    out.par_chunks_mut(PIXELS)
        .zip(raw.par_chunks_exact(record))
        .for_each(|(dst, rec)| dst.copy_from_slice(&rec[label_bytes..]));
    out
}
