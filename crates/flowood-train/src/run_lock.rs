//! One run at a time per output folder: an exclusive lock on `OUT/.flowood.lock`, held for
//! as long as the run, so that two runs cannot overwrite each other's checkpoints and metrics.

use std::fs::{File, TryLockError};
use std::path::Path;

use crate::error::{TrainError, io_err};

/// The lock of an output folder; released when dropped (or when the process dies).
pub(crate) struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock of `out`, failing at once if another run holds it.
    pub(crate) fn acquire(out: &Path) -> Result<Self, TrainError> {
        let path = out.join(".flowood.lock");
        let file = File::create(&path).map_err(|e| io_err("creating", &path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(TrainError::OutputLocked {
                out: out.to_path_buf(),
            }),
            Err(TryLockError::Error(e)) => Err(io_err("locking", &path, e)),
        }
    }
}
