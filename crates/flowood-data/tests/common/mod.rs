//! Helpers shared by the integration tests: locating the real data and writing small files
//! in the published formats.

#![allow(dead_code)] // each test binary uses a different subset of the helpers

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};

/// The directory of one real dataset under `$FLOWOOD_DATA`. Fails (never skips) when the
/// variable is unset or the directory is missing.
pub fn real_data(name: &str) -> PathBuf {
    let dir = match flowood_data::data_dir() {
        Ok(root) => root.join(name),
        Err(e) => panic!("{e}"),
    };
    assert!(
        dir.is_dir(),
        "{} is missing: run `scripts/fetch-data.sh \"$FLOWOOD_DATA\"`",
        dir.display()
    );
    dir
}

/// An IDX file of unsigned bytes with the given dimensions.
pub fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// Gzip-compresses a buffer.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A deterministic pseudo-random byte sequence (no RNG crate needed in tests).
pub fn bytes(n: usize, seed: u32) -> Vec<u8> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 24) as u8
        })
        .collect()
}

/// Element types and array classes of MATLAB level-5 files used by the writers below.
pub const MI_INT8: u32 = 1;
pub const MI_UINT8: u32 = 2;
pub const MI_INT32: u32 = 5;
pub const MI_UINT32: u32 = 6;
pub const MI_DOUBLE: u32 = 9;
pub const MI_MATRIX: u32 = 14;
pub const MI_COMPRESSED: u32 = 15;
pub const CLASS_DOUBLE: u32 = 6;
pub const CLASS_INT8: u32 = 8;
pub const CLASS_UINT8: u32 = 9;

/// A MATLAB variable to write: name, class, dimensions, stored element type and raw data.
pub struct MatVar {
    pub name: &'static str,
    pub class: u32,
    pub dims: Vec<u32>,
    pub kind: u32,
    pub data: Vec<u8>,
}

/// The 128-byte little-endian level-5 header.
pub fn mat_header() -> Vec<u8> {
    let mut h = b"MATLAB 5.0 MAT-file, Platform: GLNXA64, Created by: flowood tests".to_vec();
    h.resize(116, b' ');
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&0x0100u16.to_le_bytes());
    h.extend_from_slice(b"IM");
    h
}

/// One data element (tag + data + padding to 8), using the small-element form when the data
/// fits in 4 bytes and `small` is set.
pub fn mat_element(kind: u32, data: &[u8], small: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if small && data.len() <= 4 {
        out.extend_from_slice(&(((data.len() as u32) << 16) | kind).to_le_bytes());
        out.extend_from_slice(data);
        out.resize(8, 0);
        return out;
    }
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(8) * 8, 0);
    out
}

/// A complete `miMATRIX` element for `var`.
pub fn mat_matrix(var: &MatVar) -> Vec<u8> {
    let mut body = Vec::new();
    let mut flags = var.class.to_le_bytes().to_vec();
    flags.extend_from_slice(&[0; 4]);
    body.extend(mat_element(MI_UINT32, &flags, false));
    let dims: Vec<u8> = var.dims.iter().flat_map(|d| d.to_le_bytes()).collect();
    body.extend(mat_element(MI_INT32, &dims, false));
    body.extend(mat_element(MI_INT8, var.name.as_bytes(), true));
    body.extend(mat_element(var.kind, &var.data, false));
    mat_element(MI_MATRIX, &body, false)
}

/// A MAT file with the given variables, each wrapped in `miCOMPRESSED` when `compressed`.
pub fn mat_file(vars: &[MatVar], compressed: bool) -> Vec<u8> {
    let mut out = mat_header();
    for var in vars {
        let matrix = mat_matrix(var);
        if compressed {
            let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
            enc.write_all(&matrix).unwrap();
            let z = enc.finish().unwrap();
            out.extend_from_slice(&MI_COMPRESSED.to_le_bytes());
            out.extend_from_slice(&(z.len() as u32).to_le_bytes());
            out.extend_from_slice(&z);
        } else {
            out.extend(matrix);
        }
    }
    out
}

/// SVHN-style variables for `n` images: `X` (32x32x3xn, uint8, column-major, built from the
/// NCHW `images`) and `y` (n x 1 doubles, digit 0 stored as 10).
pub fn svhn_vars(images: &[u8], digits: &[u16]) -> Vec<MatVar> {
    let n = digits.len();
    let mut x = vec![0u8; images.len()];
    for img in 0..n {
        for ch in 0..3 {
            for row in 0..32 {
                for col in 0..32 {
                    let nchw = ((img * 3 + ch) * 32 + row) * 32 + col;
                    let colmajor = row + 32 * (col + 32 * (ch + 3 * img));
                    x[colmajor] = images[nchw];
                }
            }
        }
    }
    let y: Vec<u8> = digits
        .iter()
        .flat_map(|&d| f64::from(if d == 0 { 10 } else { d }).to_le_bytes())
        .collect();
    vec![
        MatVar {
            name: "X",
            class: CLASS_UINT8,
            dims: vec![32, 32, 3, n as u32],
            kind: MI_UINT8,
            data: x,
        },
        MatVar {
            name: "y",
            class: CLASS_DOUBLE,
            dims: vec![n as u32, 1],
            kind: MI_DOUBLE,
            data: y,
        },
    ]
}
