//! The 80 Million Tiny Images binary (`tiny_images.bin`), read by index without loading it.
//!
//! The file is a plain sequence of 3072-byte records (79,302,017 of them, 227 GB), each a
//! 32x32x3 image stored channel by channel with column-major pixels. Records are read with
//! positioned reads (`pread`), so many threads can read at once through one handle.

use std::fs::File;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::bytes::open_regular;
use crate::dataset::ImageSet;
use crate::error::{DataError, Result};
use crate::layout::column_major_planes_to_row_major;

/// Bytes per record.
const RECORD: usize = 3 * 32 * 32;

/// An open Tiny Images file.
#[derive(Debug)]
pub struct TinyImages {
    file: File,
    path: PathBuf,
    len: usize,
}

impl TinyImages {
    /// Opens the file and checks that it holds whole records.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = open_regular(&path)?;
        let bytes = file.metadata().map_err(|e| DataError::io(&path, e))?.len();
        let whole = bytes / RECORD as u64 * RECORD as u64;
        if whole != bytes {
            return Err(DataError::Truncated {
                path,
                offset: whole,
                expected: RECORD as u64,
                found: bytes - whole,
            });
        }
        let len = usize::try_from(bytes / RECORD as u64)
            .map_err(|_| DataError::InvalidArgument("file too large for this platform".into()))?;
        Ok(Self { file, path, len })
    }

    /// Number of images in the file.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the file holds no image.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Image `index` as CHW bytes (3x32x32).
    pub fn read(&self, index: usize) -> Result<Vec<u8>> {
        if index >= self.len {
            return Err(DataError::InvalidArgument(format!(
                "{}: index {index} out of range for {} images",
                self.path.display(),
                self.len
            )));
        }
        let mut record = vec![0; RECORD];
        let offset = (index * RECORD) as u64;
        read_exact_at(&self.file, &mut record, offset).map_err(|e| DataError::io(&self.path, e))?;
        Ok(column_major_planes_to_row_major(&record, 32, 32))
    }

    /// The images at `indices`, read in parallel, as an unlabelled set.
    pub fn read_many(&self, indices: &[usize]) -> Result<ImageSet> {
        let records = indices
            .par_iter()
            .map(|&i| self.read(i))
            .collect::<Result<Vec<_>>>()?;
        ImageSet::new(records.concat(), [indices.len(), 3, 32, 32], None)
    }
}

/// Positioned read that does not move a shared file cursor.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Positioned read that does not move a shared file cursor.
#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}
