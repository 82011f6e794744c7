//! Whole-file reading (with transparent gzip) and a bounds-checked big/little-endian cursor,
//! shared by the binary format parsers so that no parser indexes past the end of user data.

use std::io::Read;
use std::path::Path;

use crate::error::{DataError, Result};

/// Reads a whole file; if it starts with the gzip magic `1f 8b` it is decompressed, so that
/// `.gz` and raw copies of a dataset are read by the same call.
pub(crate) fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        gunzip(path, &raw)
    } else {
        Ok(raw)
    }
}

/// Decompresses a (possibly multi-member) gzip buffer.
fn gunzip(path: &Path, raw: &[u8]) -> Result<Vec<u8>> {
    // The trailer stores the uncompressed size mod 2^32: a good capacity hint, bounded so a
    // corrupt trailer cannot make us reserve gigabytes (deflate rarely exceeds 64:1 here).
    let hint = raw
        .get(raw.len().saturating_sub(4)..)
        .and_then(|t| t.try_into().ok())
        .map_or(0, |t: [u8; 4]| u32::from_le_bytes(t) as usize)
        .min(raw.len().saturating_mul(64));
    let mut out = Vec::with_capacity(hint);
    flate2::read::MultiGzDecoder::new(raw)
        .read_to_end(&mut out)
        .map_err(|e| DataError::Format {
            path: path.to_path_buf(),
            offset: 0,
            message: format!(
                "gzip stream is corrupt or truncated after {} decompressed bytes: {e}",
                out.len()
            ),
        })?;
    Ok(out)
}

/// Byte order of multi-byte fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Big,
    Little,
}

/// A cursor over a byte buffer whose reads fail with [`DataError::Truncated`] naming the file
/// and offset instead of panicking.
pub(crate) struct Cursor<'a> {
    path: &'a Path,
    data: &'a [u8],
    pos: usize,
    /// Offset of `data[0]` in the file, so errors report file offsets even for sub-buffers.
    base: u64,
    endian: Endian,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`, which sits at file offset `base`.
    pub(crate) fn new(path: &'a Path, data: &'a [u8], base: u64, endian: Endian) -> Self {
        Self {
            path,
            data,
            pos: 0,
            base,
            endian,
        }
    }

    /// Current position as a file offset.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes left after the current position.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The byte order in use.
    pub(crate) fn endian(&self) -> Endian {
        self.endian
    }

    /// The file this cursor reads.
    pub(crate) fn path(&self) -> &'a Path {
        self.path
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(DataError::Truncated {
                path: self.path.to_path_buf(),
                offset: self.offset(),
                expected: n as u64,
                found: self.remaining() as u64,
            });
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Skips `n` bytes (e.g. padding), failing if they are not there.
    pub(crate) fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }

    /// A `u32` in the cursor's byte order.
    pub(crate) fn u32(&mut self) -> Result<u32> {
        let b: [u8; 4] = self.array()?;
        Ok(match self.endian {
            Endian::Big => u32::from_be_bytes(b),
            Endian::Little => u32::from_le_bytes(b),
        })
    }

    /// A fixed-size array of the next bytes.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}
