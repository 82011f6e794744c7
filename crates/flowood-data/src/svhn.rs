//! SVHN cropped digits (`train_32x32.mat`, `test_32x32.mat`, `extra_32x32.mat`).
//!
//! Each file is a MAT file with `X`, a 32x32x3xN uint8 array (column-major), and `y`, an Nx1
//! array of labels 1..10 where 10 stands for the digit 0. Labels are returned as digits 0..9.

use std::path::Path;

use crate::dataset::ImageSet;
use crate::error::{DataError, Result};
use crate::layout::column_major_planes_to_row_major;
use crate::mat::{MatArray, MatData, Variables, read_mat_where};

/// Reads an SVHN MAT file (compressed or not) into a labelled RGB set.
pub fn read_svhn(path: impl AsRef<Path>) -> Result<ImageSet> {
    let path = path.as_ref();
    // Only X and y are decoded: a file holding other large variables reads in the memory of X.
    let mut vars = read_mat_where(path, &|name| name == "X" || name == "y")?;
    let x = take_variable(path, &mut vars, "X")?;
    let y = take_variable(path, &mut vars, "y")?;
    let [h, w, c, n] = image_dims(path, &x)?;
    let MatData::U8(pixels) = x.data else {
        return Err(format_error(path, "`X` is not stored as uint8"));
    };
    let labels = digit_labels(path, &y.data)?;
    if labels.len() != n {
        return Err(DataError::CountMismatch {
            images_path: path.to_path_buf(),
            images: n,
            labels_path: path.to_path_buf(),
            labels: labels.len(),
        });
    }
    let images = column_major_planes_to_row_major(&pixels, h, w);
    ImageSet::new(images, [n, c, h, w], Some(labels))
}

/// Removes the named variable from those read, or reports which variables there are.
fn take_variable(path: &Path, vars: &mut Variables, name: &str) -> Result<MatArray> {
    match vars.arrays.iter().position(|a| a.name == name) {
        Some(i) => Ok(vars.arrays.swap_remove(i)),
        None => Err(DataError::MissingVariable {
            path: path.to_path_buf(),
            name: name.to_string(),
            found: vars
                .arrays
                .iter()
                .map(|a| a.name.clone())
                .chain(vars.skipped.iter().cloned())
                .collect(),
        }),
    }
}

/// `[h, w, c, n]` from `X`'s dimensions; MATLAB drops trailing singleton dimensions, so a
/// single image comes as `h x w x 3`.
fn image_dims(path: &Path, x: &MatArray) -> Result<[usize; 4]> {
    match x.dims[..] {
        [h, w, c, n] => Ok([h, w, c, n]),
        [h, w, c] => Ok([h, w, c, 1]),
        _ => Err(format_error(
            path,
            &format!("`X` has dimensions {:?}, expected h x w x c x n", x.dims),
        )),
    }
}

/// Maps labels 1..10 to digits (10 -> 0); anything else is an error.
fn digit_labels(path: &Path, y: &MatData) -> Result<Vec<u16>> {
    (0..y.len())
        .map(|i| match y.get(i) {
            Some(10.0) => Ok(0),
            Some(v) if (0.0..10.0).contains(&v) && v.fract() == 0.0 => Ok(v as u16),
            v => Err(format_error(
                path,
                &format!("label {i} of `y` is {v:?}, expected an integer 1..10"),
            )),
        })
        .collect()
}

fn format_error(path: &Path, message: &str) -> DataError {
    DataError::Format {
        path: path.to_path_buf(),
        offset: 0,
        message: message.to_string(),
    }
}
