//! Loading the standard datasets from their published file names in a directory.
//!
//! Each function takes the directory that holds one dataset's files as published (for
//! example the layout `scripts/fetch-data.sh` produces: `DATA/fashion-mnist`, `DATA/mnist`).

use std::path::{Path, PathBuf};

use crate::cifar::{Cifar100, read_cifar10, read_cifar100};
use crate::dataset::ImageSet;
use crate::error::{DataError, Result};
use crate::idx::read_idx;
use crate::svhn::read_svhn;

/// Environment variable naming the data directory.
pub const DATA_ENV: &str = "FLOWOOD_DATA";

/// Training or test part of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training files.
    Train,
    /// The test files.
    Test,
}

/// The data directory named by `$FLOWOOD_DATA` (for example the folder
/// `scripts/fetch-data.sh DIR` filled).
///
/// There is no fallback: a crate built from crates.io has no workspace to look in, so an
/// unset variable is [`DataError::DataDirUnset`]. Code that knows where its data is passes
/// that path to the loaders directly.
pub fn data_dir() -> Result<PathBuf> {
    match std::env::var_os(DATA_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Err(DataError::DataDirUnset),
    }
}

/// Fashion-MNIST (`train-*-ubyte[.gz]` or `t10k-*-ubyte[.gz]`): 28x28 grey, labels 0..9.
pub fn load_fashion_mnist(dir: impl AsRef<Path>, split: Split) -> Result<ImageSet> {
    load_idx_pair(dir.as_ref(), split)
}

/// MNIST, same file names and format as Fashion-MNIST.
pub fn load_mnist(dir: impl AsRef<Path>, split: Split) -> Result<ImageSet> {
    load_idx_pair(dir.as_ref(), split)
}

fn load_idx_pair(dir: &Path, split: Split) -> Result<ImageSet> {
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let images = raw_or_gz(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels = raw_or_gz(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    read_idx(images, labels)
}

/// `dir/name` if it exists, else `dir/name.gz`. The error says what is actually wrong: the
/// folder is missing or not a folder, a name is a folder, or a file cannot be accessed (with
/// the system's reason), and only when neither name exists that neither does.
fn raw_or_gz(dir: &Path, name: &str) -> Result<PathBuf> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(DataError::io(dir, std::io::Error::other("is not a folder"))),
        Err(e) => return Err(DataError::io(dir, e)),
    }
    let raw = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    for path in [&raw, &gz] {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let message = "is a folder, not an IDX file";
                return Err(DataError::io(path, std::io::Error::other(message)));
            }
            Ok(_) => return Ok(path.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(DataError::io(path, e)),
        }
    }
    let message = format!("neither {name} nor {name}.gz exists (run scripts/fetch-data.sh)");
    let not_found = std::io::Error::new(std::io::ErrorKind::NotFound, message);
    Err(DataError::io(raw, not_found))
}

/// CIFAR-10 binary version (`cifar-10-batches-bin`): the five training batches concatenated
/// in order, or `test_batch.bin`.
pub fn load_cifar10(dir: impl AsRef<Path>, split: Split) -> Result<ImageSet> {
    let dir = dir.as_ref();
    match split {
        Split::Train => {
            let parts = (1..=5)
                .map(|i| read_cifar10(dir.join(format!("data_batch_{i}.bin"))))
                .collect::<Result<Vec<_>>>()?;
            ImageSet::concat(&parts)
        }
        Split::Test => read_cifar10(dir.join("test_batch.bin")),
    }
}

/// CIFAR-100 binary version (`cifar-100-binary`): `train.bin` or `test.bin`.
pub fn load_cifar100(dir: impl AsRef<Path>, split: Split) -> Result<Cifar100> {
    let name = match split {
        Split::Train => "train.bin",
        Split::Test => "test.bin",
    };
    read_cifar100(dir.as_ref().join(name))
}

/// SVHN cropped digits: `train_32x32.mat` or `test_32x32.mat`.
pub fn load_svhn(dir: impl AsRef<Path>, split: Split) -> Result<ImageSet> {
    let name = match split {
        Split::Train => "train_32x32.mat",
        Split::Test => "test_32x32.mat",
    };
    read_svhn(dir.as_ref().join(name))
}
