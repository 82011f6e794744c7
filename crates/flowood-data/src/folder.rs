//! Folders of PNG/JPEG images (LSUN, CelebA, any photo collection), searched recursively.

use std::collections::HashSet;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use image::{ImageReader, Limits, RgbImage};
use rayon::prelude::*;

use crate::bytes::open_regular;
use crate::dataset::ImageSet;
use crate::error::{DataError, Result};
use crate::layout::rgb_to_chw;
use crate::resize::short_side_centre_crop;

/// File extensions (lower case) treated as images.
const EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// The most memory one image may take to decode, or to resize (256 MiB: a 48-megapixel RGB
/// photo takes 144 MiB), so that a huge image cannot exhaust memory when a few dozen pixels
/// are wanted.
pub const MAX_DECODE_BYTES: u64 = 256 << 20;

/// A file that was found but could not be used, and why.
#[derive(Debug)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// What went wrong with it.
    pub error: DataError,
}

/// The images of a folder, the file each came from, and the files that were skipped.
#[derive(Debug)]
pub struct FolderImages {
    /// The decoded images, RGB, `size x size`, in the order of `files`.
    pub images: ImageSet,
    /// Source file of each image.
    pub files: Vec<PathBuf>,
    /// Unreadable files, with their errors.
    pub skipped: Vec<Skipped>,
    /// Class names, sorted: the first-level subfolders of the folder. Empty unless every
    /// image lies in one; then `images` is labelled with the index of its class here.
    pub classes: Vec<String>,
}

/// All PNG/JPEG files under `dir` (recursively, following the extension case-insensitively),
/// sorted by path so that every run sees the same order.
///
/// Symbolic links are followed, but every folder and file is taken once: a folder already
/// visited (a link to itself or a parent, or a second link to the same folder) is not entered
/// again, so links can neither make the walk loop nor count an image twice.
pub fn list_images(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir.as_ref(), &mut HashSet::new(), &mut out)?;
    out.sort();
    Ok(out)
}

/// Adds the images under `dir` to `out`, skipping anything whose canonical
/// path is in `seen`.
fn walk(dir: &Path, seen: &mut HashSet<PathBuf>, out: &mut Vec<PathBuf>) -> Result<()> {
    let canonical = std::fs::canonicalize(dir).map_err(|e| DataError::io(dir, e))?;
    if !seen.insert(canonical) {
        return Ok(());
    }
    let mut paths = std::fs::read_dir(dir)
        .map_err(|e| DataError::io(dir, e))?
        .map(|entry| entry.map(|e| e.path()).map_err(|e| DataError::io(dir, e)))
        .collect::<Result<Vec<_>>>()?;
    // Real entries before links, so that a file is listed under its own path when a link
    // in the same folder points at it too.
    paths.sort_by_key(|p| (p.is_symlink(), p.clone()));
    for path in paths {
        if path.is_dir() {
            walk(&path, seen, out)?;
        } else if has_image_extension(&path) {
            // A dangling link has no canonical path: kept, so that it is reported as skipped.
            let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.insert(canonical) {
                out.push(path);
            }
        }
    }
    Ok(())
}

fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Decodes one image file (format detected from its content) as 8-bit RGB; an empty
/// (0-pixel) image is an error, since nothing can be resized or cropped from it, and so is
/// one that would take more than [`MAX_DECODE_BYTES`] to decode (checked from its header,
/// before decoding).
pub fn read_image(path: impl AsRef<Path>) -> Result<RgbImage> {
    let path = path.as_ref();
    let image_error = |source| match source {
        image::ImageError::Limits(_) => DataError::Format {
            path: path.to_path_buf(),
            offset: 0,
            message: format!(
                "image too large: decoding it needs more than {} MiB (downscale it first)",
                MAX_DECODE_BYTES >> 20
            ),
        },
        source => DataError::Image {
            path: path.to_path_buf(),
            source,
        },
    };
    let mut reader = ImageReader::new(BufReader::new(open_regular(path)?))
        .with_guessed_format()
        .map_err(|e| DataError::io(path, e))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let img = reader.decode().map_err(image_error)?.to_rgb8();
    if img.width() == 0 || img.height() == 0 {
        return Err(DataError::Format {
            path: path.to_path_buf(),
            offset: 0,
            message: format!("image is {}x{}", img.width(), img.height()),
        });
    }
    Ok(img)
}

/// Reads every image under `dir` with the LSUN protocol: scale so the short side is `size`,
/// then crop the central `size x size` square. Files are decoded in parallel; unreadable ones
/// are listed in [`FolderImages::skipped`]. A folder with no readable image is an error.
///
/// If every image lies in a subfolder (`dir/cat/1.png`, `dir/dog/2.jpg`), the first-level
/// subfolder names are the classes ([`FolderImages::classes`]) and the images are labelled.
pub fn read_folder(dir: impl AsRef<Path>, size: u32) -> Result<FolderImages> {
    let dir = dir.as_ref();
    if size == 0 {
        return Err(DataError::InvalidArgument(
            "image size must be positive".into(),
        ));
    }
    let decoded: Vec<(PathBuf, Result<Vec<u8>>)> = list_images(dir)?
        .into_par_iter()
        .map(|path| {
            let chw = read_image(&path)
                .and_then(|img| short_side_centre_crop(&img, size, &path))
                .map(|img| rgb_to_chw(&img));
            (path, chw)
        })
        .collect();
    let mut pixels = Vec::new();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for (path, result) in decoded {
        match result {
            Ok(chw) => {
                pixels.extend_from_slice(&chw);
                files.push(path);
            }
            Err(error) => skipped.push(Skipped { path, error }),
        }
    }
    if files.is_empty() {
        return Err(DataError::NoImages {
            path: dir.to_path_buf(),
            skipped: skipped.len(),
        });
    }
    let side = size as usize;
    let (classes, labels) = subfolder_labels(dir, &files)?;
    let images = ImageSet::new(pixels, [files.len(), 3, side, side], labels)?;
    Ok(FolderImages {
        images,
        files,
        skipped,
        classes,
    })
}

/// Class names and labels from the first-level subfolder of each file under `dir`; none
/// (no names, no labels) if some file lies directly in `dir`.
fn subfolder_labels(dir: &Path, files: &[PathBuf]) -> Result<(Vec<String>, Option<Vec<u16>>)> {
    let class_of = |file: &PathBuf| -> Option<String> {
        let mut parts = file.strip_prefix(dir).ok()?.components();
        let first = parts.next()?.as_os_str().to_string_lossy().into_owned();
        parts.next().map(|_| first)
    };
    let Some(names) = files.iter().map(class_of).collect::<Option<Vec<String>>>() else {
        return Ok((Vec::new(), None));
    };
    let mut classes = names.clone();
    classes.sort();
    classes.dedup();
    let labels = names
        .iter()
        .map(|name| {
            let index = classes.binary_search(name).unwrap_or_default(); // always found
            u16::try_from(index).map_err(|_| {
                DataError::InvalidArgument(format!(
                    "{}: more than {} class subfolders",
                    dir.display(),
                    u16::MAX
                ))
            })
        })
        .collect::<Result<Vec<u16>>>()?;
    Ok((classes, Some(labels)))
}
