//! A reader for the numeric arrays of MATLAB level-5 MAT files (the format of SVHN).
//!
//! Layout: a 128-byte header (text, subsystem offset, version 0x0100, endian indicator "MI"),
//! then data elements, each an 8-byte tag (type, byte count) or a 4-byte "small element" tag
//! with the data packed into the next 4 bytes, padded to 8 bytes. Variables are `miMATRIX`
//! elements, possibly wrapped in zlib-compressed `miCOMPRESSED` elements (MATLAB's default
//! since v7). Only numeric arrays are returned; cells, structs, chars and sparse arrays are
//! skipped. HDF5-based v7.3 files are rejected with a clear error.

use std::io::Read;
use std::path::Path;

use crate::bytes::{Cursor, Endian, read_regular};
use crate::error::{DataError, Result};

const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

/// MATLAB array classes 6 (double) to 15 (uint64) are the numeric ones.
const NUMERIC_CLASSES: std::ops::RangeInclusive<u32> = 6..=15;

/// Header length of a level-5 MAT file.
const HEADER: usize = 128;

/// One numeric variable of a MAT file.
#[derive(Debug, Clone, PartialEq)]
pub struct MatArray {
    /// Variable name.
    pub name: String,
    /// Dimensions in MATLAB order (column-major: the first index varies fastest).
    pub dims: Vec<usize>,
    /// The real part of the values, column-major.
    pub data: MatData,
}

/// Values of a numeric array: bytes stay bytes (images), anything else becomes `f64`.
#[derive(Debug, Clone, PartialEq)]
pub enum MatData {
    /// Stored as `miUINT8`.
    U8(Vec<u8>),
    /// Any other numeric storage type, converted.
    F64(Vec<f64>),
}

impl MatData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            MatData::U8(v) => v.len(),
            MatData::F64(v) => v.len(),
        }
    }

    /// True when there is no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i` as `f64`.
    pub fn get(&self, i: usize) -> Option<f64> {
        match self {
            MatData::U8(v) => v.get(i).map(|&x| f64::from(x)),
            MatData::F64(v) => v.get(i).copied(),
        }
    }
}

/// Reads every numeric variable of a level-5 MAT file, compressed or not.
pub fn read_mat(path: impl AsRef<Path>) -> Result<Vec<MatArray>> {
    Ok(read_mat_where(path.as_ref(), &|_| true)?.arrays)
}

/// The numeric variables of a MAT file that a reader keeps, and the names of those it skipped.
pub(crate) struct Variables<'k> {
    /// Which variables, by name, to decode and keep.
    keep: &'k dyn Fn(&str) -> bool,
    /// The kept variables, in file order.
    pub arrays: Vec<MatArray>,
    /// The names of the numeric variables skipped, in file order.
    pub skipped: Vec<String>,
}

/// The numeric variables of the MAT file at `path` whose names `keep` accepts. The values of
/// the others are never decoded and their bytes are dropped once their name is read, so a file
/// padded with other variables takes the memory of the file and of its largest element, not
/// that of every variable decoded.
pub(crate) fn read_mat_where<'k>(
    path: &Path,
    keep: &'k dyn Fn(&str) -> bool,
) -> Result<Variables<'k>> {
    let raw = read_regular(path)?;
    let endian = parse_header(path, &raw)?;
    let mut cursor = Cursor::new(path, &raw[HEADER..], HEADER as u64, endian);
    let mut vars = Variables {
        keep,
        arrays: Vec::new(),
        skipped: Vec::new(),
    };
    while cursor.remaining() > 0 {
        read_top_element(&mut cursor, &mut vars)?;
    }
    Ok(vars)
}

/// Checks the header and returns the file's byte order.
fn parse_header(path: &Path, raw: &[u8]) -> Result<Endian> {
    let mut cursor = Cursor::new(path, raw, 0, Endian::Little);
    let text = cursor.take(116)?;
    if text.starts_with(b"MATLAB 7.3") {
        return Err(DataError::Format {
            path: path.to_path_buf(),
            offset: 0,
            message: "MATLAB v7.3 (HDF5) files are not supported; save with -v7 or -v6".into(),
        });
    }
    cursor.skip(10)?;
    let endian = match &cursor.array::<2>()? {
        b"IM" => Endian::Little,
        b"MI" => Endian::Big,
        other => return Err(bad_magic(path, 126, "\"IM\" or \"MI\"", other)),
    };
    if !text.starts_with(b"MATLAB") {
        return Err(bad_magic(path, 0, "\"MATLAB\"", &text[..6]));
    }
    Ok(endian)
}

fn bad_magic(path: &Path, offset: u64, expected: &str, found: &[u8]) -> DataError {
    DataError::BadMagic {
        path: path.to_path_buf(),
        offset,
        expected: expected.to_string(),
        found: format!("{:?}", String::from_utf8_lossy(found)),
    }
}

/// Reads one top-level element into `vars`.
fn read_top_element(cursor: &mut Cursor, vars: &mut Variables) -> Result<()> {
    let offset = cursor.offset();
    let (kind, data) = read_element(cursor)?;
    if kind == MI_COMPRESSED {
        read_compressed(cursor, data, offset, vars)
    } else {
        keep_matrix(cursor, kind, data, offset, vars)
    }
}

/// Reads the variable of an `miMATRIX` element into `vars`; other elements are skipped.
fn keep_matrix(
    cursor: &Cursor,
    kind: u32,
    data: &[u8],
    offset: u64,
    vars: &mut Variables,
) -> Result<()> {
    if kind == MI_MATRIX {
        let mut inner = Cursor::new(cursor.path(), data, offset + 8, cursor.endian());
        parse_matrix(&mut inner, vars)?;
    }
    Ok(())
}

/// Reads the elements of an `miCOMPRESSED` element's zlib stream one at a time, inflating
/// each only up to the size its tag declares (plus padding), so that a small compressed
/// element cannot expand beyond what it claims to hold.
fn read_compressed(cursor: &Cursor, data: &[u8], offset: u64, vars: &mut Variables) -> Result<()> {
    let path = cursor.path();
    let mut zlib = flate2::read::ZlibDecoder::new(data);
    loop {
        let mut plain = inflate_up_to(&mut zlib, 8, path, offset)?;
        if plain.is_empty() {
            return Ok(());
        }
        let body = declared_body_len(&plain, cursor.endian());
        plain.extend(inflate_up_to(&mut zlib, body, path, offset)?);
        let mut inner = Cursor::new(path, &plain, offset + 8, cursor.endian());
        let (kind, data) = read_element(&mut inner)?;
        if kind == MI_COMPRESSED {
            return Err(DataError::Format {
                path: path.to_path_buf(),
                offset,
                message: "compressed element inside a compressed element".into(),
            });
        }
        keep_matrix(&inner, kind, data, offset + 8, vars)?;
    }
}

/// Bytes after an 8-byte tag that its element occupies, padding included: 0 for a small
/// element (data packed in the tag), else the declared byte count rounded up to 8. A tag cut
/// short declares nothing; the cursor then reports the truncation.
fn declared_body_len(tag: &[u8], endian: Endian) -> u64 {
    let words = decode_u32(tag, endian);
    match words.as_slice() {
        [first, len] if first >> 16 == 0 => u64::from(*len).div_ceil(8) * 8,
        _ => 0,
    }
}

/// The next `n` inflated bytes (fewer where the stream ends).
fn inflate_up_to(zlib: &mut impl Read, n: u64, path: &Path, offset: u64) -> Result<Vec<u8>> {
    let mut plain = Vec::with_capacity(usize::try_from(n.min(1 << 20)).unwrap_or(0));
    zlib.take(n)
        .read_to_end(&mut plain)
        .map_err(|e| DataError::Format {
            path: path.to_path_buf(),
            offset,
            message: format!("compressed element does not inflate: {e}"),
        })?;
    Ok(plain)
}

/// Reads a tag and its data (either tag form), then skips the padding to 8 bytes.
/// Compressed elements are not padded; padding missing at the very end is tolerated.
fn read_element<'a>(cursor: &mut Cursor<'a>) -> Result<(u32, &'a [u8])> {
    let first = cursor.u32()?;
    if first >> 16 != 0 {
        let data = cursor.take(4)?;
        return Ok((first & 0xffff, &data[..((first >> 16) as usize).min(4)]));
    }
    let len = cursor.u32()? as usize;
    let data = cursor.take(len)?;
    if first != MI_COMPRESSED {
        let pad = (8 - len % 8) % 8;
        cursor.skip(pad.min(cursor.remaining()))?;
    }
    Ok((first, data))
}

/// Parses the sub-elements of an `miMATRIX` into `vars`: a numeric variable `vars` keeps is
/// decoded and kept, another numeric one is named in its skipped list, anything else ignored.
fn parse_matrix(cursor: &mut Cursor, vars: &mut Variables) -> Result<()> {
    if cursor.remaining() == 0 {
        return Ok(()); // empty matrix element: MATLAB writes these for [] values
    }
    let flags = expect_element(cursor, &[MI_UINT32], "array flags")?;
    let class = decode_u32(flags, cursor.endian())
        .first()
        .copied()
        .unwrap_or(0)
        & 0xff;
    if !NUMERIC_CLASSES.contains(&class) {
        return Ok(());
    }
    let dims = expect_element(cursor, &[MI_INT32], "dimensions")?;
    let dims: Vec<usize> = decode_u32(dims, cursor.endian())
        .into_iter()
        .map(|d| d as usize)
        .collect();
    let name = expect_element(cursor, &[MI_INT8], "array name")?;
    let name = String::from_utf8_lossy(name).into_owned();
    if !(vars.keep)(&name) {
        vars.skipped.push(name);
        return Ok(());
    }
    let offset = cursor.offset();
    let (kind, real) = read_element(cursor)?;
    let data = decode_numeric(cursor, kind, real, offset)?;
    let count = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if count != Some(data.len()) {
        return Err(DataError::Format {
            path: cursor.path().to_path_buf(),
            offset,
            message: format!(
                "variable `{name}` has dimensions {dims:?} but {} values",
                data.len()
            ),
        });
    }
    vars.arrays.push(MatArray { name, dims, data });
    Ok(())
}

/// Reads an element and checks its type.
fn expect_element<'a>(cursor: &mut Cursor<'a>, kinds: &[u32], what: &str) -> Result<&'a [u8]> {
    let offset = cursor.offset();
    let (kind, data) = read_element(cursor)?;
    if kinds.contains(&kind) {
        Ok(data)
    } else {
        Err(DataError::Format {
            path: cursor.path().to_path_buf(),
            offset,
            message: format!("{what}: expected element type {kinds:?}, found {kind}"),
        })
    }
}

/// Decodes `u32`s (also used for the `i32` dimensions, which are never negative).
fn decode_u32(data: &[u8], endian: Endian) -> Vec<u32> {
    data.chunks_exact(4)
        .map(|c| {
            let b = [c[0], c[1], c[2], c[3]];
            match endian {
                Endian::Big => u32::from_be_bytes(b),
                Endian::Little => u32::from_le_bytes(b),
            }
        })
        .collect()
}

/// Converts the stored values of a numeric element.
fn decode_numeric(cursor: &Cursor, kind: u32, data: &[u8], offset: u64) -> Result<MatData> {
    let big = cursor.endian() == Endian::Big;
    let values: Vec<f64> = match kind {
        MI_UINT8 => return Ok(MatData::U8(data.to_vec())),
        MI_INT8 => data.iter().map(|&b| f64::from(b as i8)).collect(),
        MI_INT16 => convert::<2>(data, big, |b| f64::from(i16::from_le_bytes(b))),
        MI_UINT16 => convert::<2>(data, big, |b| f64::from(u16::from_le_bytes(b))),
        MI_INT32 => convert::<4>(data, big, |b| f64::from(i32::from_le_bytes(b))),
        MI_UINT32 => convert::<4>(data, big, |b| f64::from(u32::from_le_bytes(b))),
        MI_SINGLE => convert::<4>(data, big, |b| f64::from(f32::from_le_bytes(b))),
        MI_DOUBLE => convert::<8>(data, big, f64::from_le_bytes),
        MI_INT64 => convert::<8>(data, big, |b| i64::from_le_bytes(b) as f64),
        MI_UINT64 => convert::<8>(data, big, |b| u64::from_le_bytes(b) as f64),
        other => {
            return Err(DataError::Format {
                path: cursor.path().to_path_buf(),
                offset,
                message: format!("unsupported numeric element type {other}"),
            });
        }
    };
    Ok(MatData::F64(values))
}

/// Converts `N`-byte values; big-endian input is reversed first so `f` always sees LE bytes.
fn convert<const N: usize>(data: &[u8], big: bool, f: impl Fn([u8; N]) -> f64) -> Vec<f64> {
    data.chunks_exact(N)
        .map(|c| {
            let mut b = [0; N];
            b.copy_from_slice(c);
            if big {
                b.reverse();
            }
            f(b)
        })
        .collect()
}
