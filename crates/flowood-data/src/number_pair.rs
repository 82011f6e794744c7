//! Settings written as two comma-separated numbers on the command line (`4,0.5`).

use crate::error::DataError;

/// Parses `A,B` (spaces allowed around each number). `usage` names the format in the error,
/// e.g. "photometric augmentation must be CONTRAST,BRIGHTNESS (e.g. 4,0.5)".
pub(crate) fn parse_number_pair(spec: &str, usage: &str) -> Result<(f32, f32), DataError> {
    let bad = || DataError::InvalidArgument(format!("{usage}, got `{spec}`"));
    let (a, b) = spec.split_once(',').ok_or_else(bad)?;
    let a = a.trim().parse().map_err(|_| bad())?;
    let b = b.trim().parse().map_err(|_| bad())?;
    Ok((a, b))
}
