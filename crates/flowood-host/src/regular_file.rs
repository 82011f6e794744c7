//! Reading user files that must be regular files. A device such as `/dev/zero` never ends,
//! and opening a named pipe blocks until something writes to it, so a path naming either
//! would hang a read instead of failing it: each is refused before it is opened.

use std::fs::File;
use std::io::{Error, ErrorKind, Read};
use std::path::Path;

/// An error unless `path` is a regular file (links followed); the error says what it is.
pub fn ensure_regular(path: &Path) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        return Ok(());
    }
    let kind = if meta.is_dir() {
        "a folder"
    } else {
        "a device, pipe or socket"
    };
    Err(Error::new(
        ErrorKind::InvalidInput,
        format!("not a regular file: {kind}"),
    ))
}

/// Opens `path` for reading if it is a regular file ([`ensure_regular`]).
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    ensure_regular(path)?;
    File::open(path)
}

/// The whole of the regular file at `path` ([`ensure_regular`]).
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_regular(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The whole of the regular file at `path` as UTF-8 text ([`ensure_regular`]).
pub fn read_regular_to_string(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    open_regular(path)?.read_to_string(&mut text)?;
    Ok(text)
}
