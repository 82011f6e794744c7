//! Writing a file or folder so that readers see either the old one or the complete new one,
//! never a half-written one, even if the process dies in the middle.

use std::fs::File;
use std::io;
use std::path::Path;

use thiserror::Error;

/// Why [`write_atomically`] failed.
#[derive(Debug, Error)]
pub enum AtomicWriteError<E> {
    /// Staging, syncing or renaming failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The caller's writer failed.
    #[error("{0}")]
    Write(E),
}

impl From<AtomicWriteError<io::Error>> for io::Error {
    fn from(e: AtomicWriteError<io::Error>) -> Self {
        match e {
            AtomicWriteError::Io(e) | AtomicWriteError::Write(e) => e,
        }
    }
}

/// Writes `path` by calling `write` with a temporary path in a fresh hidden folder next to
/// `path`, then syncing the file and renaming it onto `path`.
///
/// `write` may create a file or a folder there. A folder already at `path` is replaced. On any
/// failure the temporary copy is removed and `path` is left as it was.
pub fn write_atomically<T, E>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, AtomicWriteError<E>> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staging = tempfile::Builder::new()
        .prefix(".flowood-write-")
        .tempdir_in(dir)?;
    let tmp = staging.path().join(name);
    let value = write(&tmp).map_err(AtomicWriteError::Write)?;
    if tmp.is_dir() {
        if path.is_dir() {
            std::fs::remove_dir_all(path)?;
        }
    } else {
        File::open(&tmp)?.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(value)
}

/// Writes `contents` to `path` through [`write_atomically`].
pub fn write_file_atomically(path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    Ok(write_atomically(path, |tmp| std::fs::write(tmp, contents))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.txt");
        write_file_atomically(&path, "old").unwrap();
        let result = write_atomically(&path, |tmp| {
            std::fs::write(tmp, "half")?;
            Err::<(), io::Error>(io::Error::other("writer failed"))
        });
        assert!(matches!(result, Err(AtomicWriteError::Write(_))));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_replaces_the_folder_of_the_same_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("step");
        for text in ["first", "second"] {
            write_atomically(&path, |tmp| {
                std::fs::create_dir(tmp)?;
                std::fs::write(tmp.join("state.json"), text)
            })
            .unwrap();
        }
        let state = std::fs::read_to_string(path.join("state.json")).unwrap();
        assert_eq!(state, "second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
