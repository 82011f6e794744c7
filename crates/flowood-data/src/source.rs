//! Naming a dataset on the command line as `KIND:PATH`, and loading it ready for a model.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::augment::Augment;
use crate::catalog::{
    Split, load_cifar10, load_cifar100, load_fashion_mnist, load_mnist, load_svhn,
};
use crate::dataset::ImageSet;
use crate::error::{DataError, Result};
use crate::folder::{Skipped, read_folder};
use crate::idx::read_idx_file;
use crate::photo_tiles::{PhotoTileConfig, photo_tiles};
use crate::tiny::TinyImages;

/// Defines [`SourceKind`], [`SourceKind::ALL`], [`SourceKind::name`] and [`SOURCE_KINDS`]
/// from one table of `Variant => "name"`, so that a kind is listed once.
macro_rules! source_kinds {
    ($(#[doc = $first_doc:literal])* $first:ident => $first_name:literal,
     $($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// The kinds of data flowood reads.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum SourceKind {
            $(#[doc = $first_doc])* $first,
            $($(#[doc = $doc])* $variant,)*
        }

        impl SourceKind {
            /// Every kind, in the order of [`SOURCE_KINDS`].
            pub const ALL: [SourceKind; 1 + [$($name),*].len()] =
                [SourceKind::$first, $(SourceKind::$variant),*];

            /// The name written before the colon of `KIND:PATH`.
            pub fn name(self) -> &'static str {
                match self {
                    SourceKind::$first => $first_name,
                    $(SourceKind::$variant => $name,)*
                }
            }
        }

        /// The names accepted before the colon.
        pub const SOURCE_KINDS: &str = concat!($first_name $(, ", ", $name)*);
    };
}

source_kinds! {
    /// Fashion-MNIST IDX files in a folder.
    FashionMnist => "fashion-mnist",
    /// MNIST IDX files in a folder.
    Mnist => "mnist",
    /// One IDX image file of any name, raw or `.gz` (labels optional; no train/test split).
    Idx => "idx",
    /// CIFAR-10 binary batches in a folder.
    Cifar10 => "cifar10",
    /// CIFAR-100 binary files in a folder (fine labels).
    Cifar100 => "cifar100",
    /// SVHN `*_32x32.mat` files in a folder.
    Svhn => "svhn",
    /// A folder of PNG/JPEG images (LSUN protocol; labels from subfolder names; no
    /// train/test split).
    Folder => "folder",
    /// A folder of photographs cut into tiles, split by photo.
    Photos => "photos",
    /// An 80M Tiny Images `tiny_images.bin` file (no train/test split).
    Tiny => "tiny",
}

/// A dataset named as `KIND:PATH`, e.g. `fashion-mnist:data/fashion-mnist`, or
/// `idx:IMAGES[,LABELS]` for one IDX image file (labels from `LABELS`, else from the label
/// file beside it if there is one, see [`idx_labels_beside`](crate::idx_labels_beside)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSource {
    /// What the files are.
    pub kind: SourceKind,
    /// Where they are.
    pub path: PathBuf,
    /// The label file of an `idx` source, if named explicitly.
    pub labels: Option<PathBuf>,
}

impl FromStr for DataSource {
    type Err = DataError;

    fn from_str(spec: &str) -> Result<Self> {
        let (kind, path) = spec.split_once(':').ok_or_else(|| {
            DataError::InvalidArgument(format!(
                "`{spec}` is not KIND:PATH (KIND one of {SOURCE_KINDS})"
            ))
        })?;
        let kind = SourceKind::ALL
            .into_iter()
            .find(|k| k.name() == kind)
            .ok_or_else(|| {
                DataError::InvalidArgument(format!(
                    "unknown data kind `{kind}` (one of {SOURCE_KINDS})"
                ))
            })?;
        if path.is_empty() {
            return Err(DataError::InvalidArgument(format!(
                "`{spec}` names no path"
            )));
        }
        let (path, labels) = match path.split_once(',') {
            Some((images, labels)) if kind == SourceKind::Idx => (images, Some(labels)),
            _ => (path, None),
        };
        if labels.is_some_and(str::is_empty) {
            return Err(DataError::InvalidArgument(format!(
                "`{spec}` names an empty label file after the comma"
            )));
        }
        Ok(Self {
            kind,
            path: PathBuf::from(path),
            labels: labels.map(PathBuf::from),
        })
    }
}

/// `KIND:PATH[,LABELS]`, as parsed: what reports record of the data they were made on.
impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.name(), self.path.display())?;
        match &self.labels {
            Some(labels) => write!(f, ",{}", labels.display()),
            None => Ok(()),
        }
    }
}

/// A split as loaded by [`DataSource::load`]: the images, and the files that were found but
/// could not be used.
#[derive(Debug)]
pub struct Loaded {
    /// The usable images, prepared for the model.
    pub images: ImageSet,
    /// Files that could not be decoded, with their errors (folders and photos only).
    pub skipped: Vec<Skipped>,
    /// The file each image came from, in order (folders only; empty for other kinds).
    pub files: Vec<PathBuf>,
}

impl Loaded {
    /// The images; with `strict`, an error naming the first skipped file if any was skipped.
    pub fn images(self, strict: bool) -> Result<ImageSet> {
        match self.skipped.first() {
            Some(first) if strict => Err(DataError::SkippedFiles {
                count: self.skipped.len(),
                first: first.path.clone(),
                reason: first.error.to_string(),
            }),
            _ => Ok(self.images),
        }
    }
}

/// `size` as the `u32` side the image decoders take, refused (not truncated) if larger.
fn image_side(size: usize) -> Result<u32> {
    u32::try_from(size)
        .map_err(|_| DataError::InvalidArgument(format!("image size {size} is too large")))
}

/// How to prepare images for a model: channels (1 converts to grey) and square size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepare {
    /// 1 for grey (RGB sets are converted), 3 for colour.
    pub channels: usize,
    /// Side of the model's square input (images are resized bilinearly if needed).
    pub size: usize,
}

impl DataSource {
    /// Loads one split, converted to `prepare.channels` and resized to `prepare.size`.
    ///
    /// Sets without a published split (idx, folder, tiny) return everything for `Split::Train`
    /// and an error for `Split::Test`. Tiny Images are read in full: use a folder or photo
    /// tiles for large general sets.
    /// Files that were found but could not be decoded (folders and photos) are listed in
    /// [`Loaded::skipped`], never dropped silently.
    pub fn load(&self, split: Split, prepare: Prepare) -> Result<Loaded> {
        let (mut skipped, mut files) = (Vec::new(), Vec::new());
        let set = match self.kind {
            SourceKind::FashionMnist => load_fashion_mnist(&self.path, split)?,
            SourceKind::Mnist => load_mnist(&self.path, split)?,
            SourceKind::Cifar10 => load_cifar10(&self.path, split)?,
            SourceKind::Cifar100 => load_cifar100(&self.path, split)?.images,
            SourceKind::Svhn => load_svhn(&self.path, split)?,
            SourceKind::Photos => {
                let tiles = photo_tiles(
                    &self.path,
                    &PhotoTileConfig {
                        tile: image_side(prepare.size)?,
                        ..PhotoTileConfig::default()
                    },
                )?;
                skipped = tiles.skipped;
                if split == Split::Train {
                    tiles.train
                } else {
                    tiles.test
                }
            }
            SourceKind::Folder | SourceKind::Tiny | SourceKind::Idx if split == Split::Test => {
                return Err(DataError::InvalidArgument(format!(
                    "{} has no test split",
                    self.path.display()
                )));
            }
            SourceKind::Idx => read_idx_file(&self.path, self.labels.as_deref())?,
            SourceKind::Folder => {
                let folder = read_folder(&self.path, image_side(prepare.size)?)?;
                skipped = folder.skipped;
                files = folder.files;
                folder.images
            }
            SourceKind::Tiny => {
                let tiny = TinyImages::open(&self.path)?;
                tiny.read_many(&(0..tiny.len()).collect::<Vec<_>>())?
            }
        };
        Ok(Loaded {
            images: prepare.apply(set)?,
            skipped,
            files,
        })
    }

    /// Whether the set has a published test split (or, for photos, a split by photo).
    pub fn has_test_split(&self) -> bool {
        !matches!(
            self.kind,
            SourceKind::Folder | SourceKind::Tiny | SourceKind::Idx
        )
    }

    /// The augmentation of docs/method.md: translation for all sets, plus horizontal flips for
    /// natural images (photos, folders, Tiny Images, CIFAR), not for digits, Fashion-MNIST,
    /// other IDX sets or SVHN.
    pub fn augmentation(&self) -> Augment {
        match self.kind {
            SourceKind::FashionMnist | SourceKind::Mnist | SourceKind::Idx | SourceKind::Svhn => {
                Augment::translate()
            }
            _ => Augment::translate_flip(),
        }
    }
}

impl Prepare {
    /// Converts `set` to these channels (RGB to grey with [`GREY_WEIGHTS`](crate::GREY_WEIGHTS))
    /// and resizes it bilinearly to this size; other channel changes are errors.
    pub fn apply(&self, set: ImageSet) -> Result<ImageSet> {
        let set = match (self.channels, set.channels()) {
            (1, 3) => set.to_grey()?,
            (want, have) if want == have => set,
            (want, have) => {
                return Err(DataError::InvalidArgument(format!(
                    "the model wants {want} channels, the data has {have}"
                )));
            }
        };
        if set.height() == self.size && set.width() == self.size {
            Ok(set)
        } else {
            set.resize_bilinear(self.size, self.size)
        }
    }
}
