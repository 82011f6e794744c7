//! Loading a data set for a command, reporting the files that could not be used.

use flowood::data::{DataSource, ImageSet, Prepare, Split};

use crate::error::CliError;

/// Skipped files named one by one in the warning; the rest are counted.
const NAMED_SKIPS: usize = 10;

/// Loads `split` of `source`. Files that were found but could not be decoded are reported on
/// stderr (how many, and which); with `strict`, any such file is an error instead.
pub fn load_split(
    source: &DataSource,
    split: Split,
    prepare: Prepare,
    strict: bool,
) -> Result<ImageSet, CliError> {
    let loaded = source.load(split, prepare)?;
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
    Ok(loaded.images(strict)?)
}
