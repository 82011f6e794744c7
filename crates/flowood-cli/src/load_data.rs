//! Loading a data set for a command, reporting the files that could not be used.

use std::path::PathBuf;

use flowood::data::{DataSource, ImageSet, Prepare, Split};

use crate::error::CliError;

/// Skipped files named one by one in the warning; the rest are counted.
const NAMED_SKIPS: usize = 10;

/// The split a command scores: the test split where the set has one, else every image.
pub fn scored_split(source: &DataSource) -> Split {
    if source.has_test_split() {
        Split::Test
    } else {
        Split::Train
    }
}

/// The images a command scores: with `validation > 0` the last `validation` images of the
/// training split (what `train --validation N` kept out of training), else [`scored_split`].
pub fn load_scored(
    source: &DataSource,
    validation: usize,
    prepare: Prepare,
    strict: bool,
) -> Result<ImageSet, CliError> {
    if validation > 0 {
        let train = load_split(source, Split::Train, prepare, strict)?;
        return Ok(train.hold_out(validation)?.1);
    }
    load_split(source, scored_split(source), prepare, strict)
}

/// Loads `split` of `source`. Files that were found but could not be decoded are reported on
/// stderr (how many, and which); with `strict`, any such file is an error instead. A split
/// without images is an error ([`CliError::NoImages`]): every command would otherwise report
/// nothing as success.
pub fn load_split(
    source: &DataSource,
    split: Split,
    prepare: Prepare,
    strict: bool,
) -> Result<ImageSet, CliError> {
    Ok(load_split_with_files(source, split, prepare, strict)?.0)
}

/// [`load_split`], with the file each image came from (folders only; empty otherwise).
pub fn load_split_with_files(
    source: &DataSource,
    split: Split,
    prepare: Prepare,
    strict: bool,
) -> Result<(ImageSet, Vec<PathBuf>), CliError> {
    let mut loaded = source.load(split, prepare)?;
    let files = std::mem::take(&mut loaded.files);
    if !loaded.skipped.is_empty() && !strict {
        eprintln!(
            "warning: {}: {} files could not be used and were skipped (--strict makes this an error):",
            source.path.display(),
            loaded.skipped.len()
        );
        for skipped in loaded.skipped.iter().take(NAMED_SKIPS) {
            eprintln!("  {}", skipped.error);
        }
        if loaded.skipped.len() > NAMED_SKIPS {
            eprintln!("  ... and {} more", loaded.skipped.len() - NAMED_SKIPS);
        }
    }
    let images = loaded.images(strict)?;
    if images.is_empty() {
        return Err(CliError::NoImages {
            path: source.path.clone(),
            part: split_name(source, split),
        });
    }
    Ok((images, files))
}

/// How messages name `split` of `source`.
fn split_name(source: &DataSource, split: Split) -> &'static str {
    match split {
        _ if !source.has_test_split() => "the set",
        Split::Train => "the training split",
        Split::Test => "the test split",
    }
}
