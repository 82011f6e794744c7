//! Datasets and input pipeline for flowood.
//!
//! Readers turn files in their published formats into an [`ImageSet`] (uint8, NCHW, optional
//! labels): IDX (MNIST, Fashion-MNIST, any IDX image file), CIFAR-10/100 binary, SVHN MAT files, 80M Tiny Images,
//! folders of PNG/JPEG images, and tiles cut from natural photographs (the offline general
//! distribution). [`Batcher`] turns a set into seeded, resumable batches of dequantised,
//! augmented Burn tensors (`x = v/256 - 0.5`, noise in training, `+1/512` in evaluation).
//!
//! Bad input never panics: every failure is a [`DataError`] naming the file and the problem.

mod augment;
mod batcher;
mod bytes;
mod catalog;
mod cifar;
mod dataset;
mod dequantize;
mod error;
mod folder;
mod grey;
mod grid;
mod idx;
mod layout;
mod mat;
mod number_pair;
mod photo_tiles;
mod photometric;
mod resize;
mod source;
mod svhn;
mod tiny;
mod zoom_out;

pub use augment::Augment;
pub use batcher::{BatchConfig, Batcher, EpochBatches, HostBatch};
pub use catalog::{
    DATA_ENV, Split, data_dir, load_cifar10, load_cifar100, load_fashion_mnist, load_mnist,
    load_svhn,
};
pub use cifar::{Cifar100, read_cifar10, read_cifar100};
pub use dataset::ImageSet;
pub use dequantize::{Dequantize, dequantize_into, eval_value};
pub use error::{DataError, Result};
pub use folder::{FolderImages, MAX_DECODE_BYTES, Skipped, list_images, read_folder, read_image};
pub use grey::{GREY_WEIGHTS, grey_value};
pub use grid::{from_model_scale, save_grid};
pub use idx::{idx_labels_beside, read_idx, read_idx_file, read_idx_images, read_idx_labels};
pub use mat::{MatArray, MatData, read_mat};
pub use photo_tiles::{PhotoTileConfig, PhotoTiles, photo_tiles, tiles_per_photo};
pub use photometric::Photometric;
pub use resize::short_side_size;
pub use source::{DataSource, Loaded, Prepare, SOURCE_KINDS, SourceKind};
pub use svhn::read_svhn;
pub use tiny::TinyImages;
pub use zoom_out::ZoomOut;
