//! Repeatable `NAME=VALUE` flags (`eval --ood`, `analyze --model` and `--data`): the name
//! labels a CSV column, a JSON key and plot files.

use std::str::FromStr;

use crate::error::CliError;
use crate::train_args::parse_arg;

/// clap parser for `NAME=VALUE`, the name letters, digits, `_` and `-` only (it names
/// columns and files).
pub fn parse_named<T: FromStr>(spec: &str) -> Result<(String, T), String>
where
    T::Err: std::fmt::Display,
{
    let (name, value) = spec
        .split_once('=')
        .ok_or_else(|| format!("`{spec}` is not NAME=VALUE"))?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if name.is_empty() || !name.chars().all(allowed) {
        return Err(format!(
            "name `{name}` must be letters, digits, `_` or `-` (it names columns and files)"
        ));
    }
    Ok((name.to_string(), parse_arg(value)?))
}

/// A usage error if a name of `flag` is given twice (each names its own reports).
pub fn check_unique<T>(flag: &str, named: &[(String, T)]) -> Result<(), CliError> {
    let mut seen = std::collections::HashSet::new();
    match named.iter().find(|(name, _)| !seen.insert(name.as_str())) {
        Some((name, _)) => Err(CliError::Usage(format!(
            "{flag} name `{name}` is given twice"
        ))),
        None => Ok(()),
    }
}
