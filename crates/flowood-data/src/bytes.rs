//! Bounded streaming reads (with transparent gzip) and a bounds-checked big/little-endian
//! cursor, shared by the binary format parsers so that no parser indexes past the end of user
//! data and no compressed stream inflates past the sizes its header declares.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};

/// Opens the regular file at `path` ([`flowood_host::open_regular`]: a device or a named pipe
/// would hang the read), its error naming the file.
pub(crate) fn open_regular(path: &Path) -> Result<File> {
    flowood_host::open_regular(path).map_err(|e| DataError::io(path, e))
}

/// The whole of the regular file at `path` ([`flowood_host::read_regular`]), its error
/// naming the file.
pub(crate) fn read_regular(path: &Path) -> Result<Vec<u8>> {
    flowood_host::read_regular(path).map_err(|e| DataError::io(path, e))
}

/// Bytes reserved up front by [`Stream::read_up_to`]; beyond that the buffer grows only with
/// the data actually read, so a header declaring terabytes costs nothing until they arrive.
const INITIAL_RESERVE: u64 = 1 << 20;

/// A file read front to back; if it starts with the gzip magic `1f 8b` it is decompressed on
/// the fly, so that `.gz` and raw copies of a dataset are read by the same code. Reads take
/// an explicit byte count, which keeps a decompression bomb from inflating further than the
/// header of the data says it should.
pub(crate) struct Stream {
    path: PathBuf,
    reader: Box<dyn Read>,
    gzip: bool,
    /// Bytes of (decompressed) data read so far.
    pos: u64,
}

impl Stream {
    /// Opens `path` and detects gzip from its first two bytes.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let mut buffered = BufReader::new(open_regular(path)?);
        let head = buffered.fill_buf().map_err(|e| DataError::io(path, e))?;
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn Read> = if gzip {
            Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            gzip,
            pos: 0,
        })
    }

    /// The next `n` bytes, or fewer where the data ends first.
    pub(crate) fn read_up_to(&mut self, n: u64) -> Result<Vec<u8>> {
        let reserve = usize::try_from(n.min(INITIAL_RESERVE)).unwrap_or(0);
        let mut out = Vec::with_capacity(reserve);
        let read = (&mut self.reader).take(n).read_to_end(&mut out);
        self.pos += out.len() as u64;
        read.map_err(|e| self.read_error(e))?;
        Ok(out)
    }

    /// Whether the data ends here (reads at most one more byte).
    pub(crate) fn at_end(&mut self) -> Result<bool> {
        Ok(self.read_up_to(1)?.is_empty())
    }

    /// Offset of the next byte in the (decompressed) data.
    pub(crate) fn offset(&self) -> u64 {
        self.pos
    }

    fn read_error(&self, e: std::io::Error) -> DataError {
        if self.gzip {
            DataError::Format {
                path: self.path.clone(),
                offset: 0,
                message: format!(
                    "gzip stream is corrupt or truncated after {} decompressed bytes: {e}",
                    self.pos
                ),
            }
        } else {
            DataError::io(&self.path, e)
        }
    }
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
