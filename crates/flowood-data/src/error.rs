//! The one error type of the crate: every failure names the file and what is wrong with it.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, DataError>;

/// Everything that can go wrong while reading or preparing data.
///
/// Each variant carries the offending path so that a user with many files knows which one to
/// look at, and, where it applies, the byte offset and the expected and found values.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read at all.
    #[error("{path}: {source}")]
    Io {
        /// File that failed.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// The file ends before a structure it announces is complete.
    #[error("{path}: truncated at byte {offset}: expected {expected} more bytes, found {found}")]
    Truncated {
        /// File that is too short.
        path: PathBuf,
        /// Offset where the missing data should start.
        offset: u64,
        /// Bytes needed from `offset`.
        expected: u64,
        /// Bytes available from `offset`.
        found: u64,
    },
    /// A magic number or format marker is not the one the format prescribes.
    #[error("{path}: bad magic number at byte {offset}: expected {expected}, found {found}")]
    BadMagic {
        /// File with the wrong marker.
        path: PathBuf,
        /// Offset of the marker.
        offset: u64,
        /// What the format prescribes.
        expected: String,
        /// What the file contains.
        found: String,
    },
    /// A header field or structure is well formed but not what this reader supports or needs.
    #[error("{path}: invalid format at byte {offset}: {message}")]
    Format {
        /// File with the problem.
        path: PathBuf,
        /// Offset of the offending field.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// Images and labels disagree on how many items there are.
    #[error("{images_path} has {images} images but {labels_path} has {labels} labels")]
    CountMismatch {
        /// Image file.
        images_path: PathBuf,
        /// Number of images in it.
        images: usize,
        /// Label file (the same file for formats that store both).
        labels_path: PathBuf,
        /// Number of labels in it.
        labels: usize,
    },
    /// A MATLAB file lacks a variable the reader needs.
    #[error("{path}: MAT file has no variable `{name}` (found: {found:?})")]
    MissingVariable {
        /// MAT file.
        path: PathBuf,
        /// Variable that is missing.
        name: String,
        /// Variables the file does contain.
        found: Vec<String>,
    },
    /// An image file could not be decoded.
    #[error("{path}: cannot decode image: {source}")]
    Image {
        /// Image file.
        path: PathBuf,
        /// Decoder error.
        source: image::ImageError,
    },
    /// A folder (or photo collection) yields no usable image.
    #[error("{path}: no readable images ({skipped} skipped)")]
    NoImages {
        /// Folder searched.
        path: PathBuf,
        /// How many candidate files were unreadable.
        skipped: usize,
    },
    /// `$FLOWOOD_DATA` is not set (or empty), so there is no data directory to look in.
    #[error(
        "FLOWOOD_DATA is not set: set it to the data directory (`scripts/fetch-data.sh DIR` \
         fills one) or pass the dataset's path"
    )]
    DataDirUnset,
    /// Strict loading refused a set in which some files could not be decoded.
    #[error("{count} files could not be used (strict mode), the first {first}: {reason}")]
    SkippedFiles {
        /// How many files were skipped.
        count: usize,
        /// The first of them.
        first: PathBuf,
        /// Why it could not be used.
        reason: String,
    },
    /// An argument is out of range, e.g. an index past the end or a zero batch size.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl DataError {
    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}
