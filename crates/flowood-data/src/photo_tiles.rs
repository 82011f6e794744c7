//! Natural photo tiles: the offline stand-in for 80M Tiny Images as a general distribution.
//!
//! Every photograph is resized so that its short side takes each of several sizes, and each
//! resized copy is cut into non-overlapping `tile x tile` squares (a centred grid). Photos,
//! not tiles, are split into train and test with a seed, so no test tile shares a photo with
//! a training tile.

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::dataset::ImageSet;
use crate::error::{DataError, Result};
use crate::folder::{Skipped, list_images, read_image};
use crate::layout::rgb_to_chw;
use crate::resize::{resize_rgb, short_side_size};

/// How to cut tiles and split photos.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoTileConfig {
    /// Tile side in pixels (32 for the model input).
    pub tile: u32,
    /// Short-side sizes each photo is resized to before tiling.
    pub short_sides: Vec<u32>,
    /// Fraction of photos held out for test (rounded; at least one photo on each side when
    /// there are two or more).
    pub test_fraction: f64,
    /// Seed of the photo split.
    pub seed: u64,
}

impl Default for PhotoTileConfig {
    /// 32x32 tiles from short sides 64, 128, 256 and 512; a fifth of the photos for test.
    fn default() -> Self {
        Self {
            tile: 32,
            short_sides: vec![64, 128, 256, 512],
            test_fraction: 0.2,
            seed: 0,
        }
    }
}

/// Tiles of a photo collection, split by photo.
#[derive(Debug)]
pub struct PhotoTiles {
    /// Every photo found, sorted by path; the indices below point into it.
    pub photos: Vec<PathBuf>,
    /// Photos assigned to training (sorted).
    pub train_photos: Vec<usize>,
    /// Photos assigned to test (sorted).
    pub test_photos: Vec<usize>,
    /// Training tiles, RGB, unlabelled.
    pub train: ImageSet,
    /// Test tiles, RGB, unlabelled.
    pub test: ImageSet,
    /// Photo index of each training tile.
    pub train_source: Vec<usize>,
    /// Photo index of each test tile.
    pub test_source: Vec<usize>,
    /// Photos that could not be decoded (they contribute no tile).
    pub skipped: Vec<Skipped>,
}

/// Number of tiles one photo of `width x height` yields: for each short side `s`, the photo
/// scaled to `(w', h')` (short side `s`, long side rounded) gives
/// `floor(w'/tile) * floor(h'/tile)` tiles (none for a tile of 0 pixels).
pub fn tiles_per_photo(width: u32, height: u32, short_sides: &[u32], tile: u32) -> usize {
    if tile == 0 {
        return 0;
    }
    short_sides
        .iter()
        .map(|&s| {
            let (w, h) = short_side_size(width, height, s);
            (w / tile) as usize * (h / tile) as usize
        })
        .sum()
}

/// Builds the tiles of every PNG/JPEG photo under `dir`, decoding photos in parallel.
pub fn photo_tiles(dir: impl AsRef<Path>, config: &PhotoTileConfig) -> Result<PhotoTiles> {
    let dir = dir.as_ref();
    check_config(config)?;
    let photos = list_images(dir)?;
    let (train_photos, test_photos) = split_photos(photos.len(), config);
    let results: Vec<Result<Vec<u8>>> = photos
        .par_iter()
        .map(|p| tiles_of_photo(p, config))
        .collect();
    let mut tiles = Vec::with_capacity(photos.len());
    let mut skipped = Vec::new();
    for (path, result) in photos.iter().zip(results) {
        match result {
            Ok(t) => tiles.push(t),
            Err(error) => {
                skipped.push(Skipped {
                    path: path.clone(),
                    error,
                });
                tiles.push(Vec::new());
            }
        }
    }
    if skipped.len() == photos.len() {
        return Err(DataError::NoImages {
            path: dir.to_path_buf(),
            skipped: skipped.len(),
        });
    }
    let (train, train_source) = gather(&tiles, &train_photos, config.tile)?;
    let (test, test_source) = gather(&tiles, &test_photos, config.tile)?;
    Ok(PhotoTiles {
        photos,
        train_photos,
        test_photos,
        train,
        test,
        train_source,
        test_source,
        skipped,
    })
}

fn check_config(config: &PhotoTileConfig) -> Result<()> {
    if config.tile == 0 || config.short_sides.is_empty() || config.short_sides.contains(&0) {
        return Err(DataError::InvalidArgument(format!(
            "tile size and short sides must be positive: {config:?}"
        )));
    }
    if !(0.0..=1.0).contains(&config.test_fraction) {
        return Err(DataError::InvalidArgument(format!(
            "test fraction {} is not in [0, 1]",
            config.test_fraction
        )));
    }
    Ok(())
}

/// Seeded split of photo indices `0..n` into sorted (train, test).
fn split_photos(n: usize, config: &PhotoTileConfig) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut StdRng::seed_from_u64(config.seed));
    let mut n_test = (config.test_fraction * n as f64).round() as usize;
    if n >= 2 && config.test_fraction > 0.0 && config.test_fraction < 1.0 {
        n_test = n_test.clamp(1, n - 1);
    }
    let mut test = order.split_off(n - n_test.min(n));
    order.sort_unstable();
    test.sort_unstable();
    (order, test)
}

/// Decodes one photo and cuts its tiles at every size, as consecutive CHW tiles. Each size is
/// resized from the previous (larger) copy, which is much cheaper for big photos; the target
/// dimensions are always computed from the original size.
fn tiles_of_photo(path: &Path, config: &PhotoTileConfig) -> Result<Vec<u8>> {
    let photo = read_image(path)?;
    let (width, height) = photo.dimensions();
    let mut sides = config.short_sides.clone();
    sides.sort_unstable_by(|a, b| b.cmp(a));
    let mut out = Vec::new();
    let mut current = photo;
    for side in sides {
        current = resize_rgb(&current, short_side_size(width, height, side), path)?;
        cut_tiles(&current, config.tile, &mut out);
    }
    Ok(out)
}

/// Appends the centred grid of non-overlapping tiles of `img` to `out` (CHW per tile).
fn cut_tiles(img: &image::RgbImage, tile: u32, out: &mut Vec<u8>) {
    let (w, h) = img.dimensions();
    let (nx, ny) = (w / tile, h / tile);
    let (x0, y0) = ((w - nx * tile) / 2, (h - ny * tile) / 2);
    for ty in 0..ny {
        for tx in 0..nx {
            let view = image::imageops::crop_imm(img, x0 + tx * tile, y0 + ty * tile, tile, tile);
            out.extend_from_slice(&rgb_to_chw(&view.to_image()));
        }
    }
}

/// Concatenates the tiles of the chosen photos and records each tile's photo.
fn gather(tiles: &[Vec<u8>], chosen: &[usize], tile: u32) -> Result<(ImageSet, Vec<usize>)> {
    let side = tile as usize;
    let size = 3 * side * side;
    let mut pixels = Vec::new();
    let mut source = Vec::new();
    for &p in chosen {
        pixels.extend_from_slice(&tiles[p]);
        source.extend(std::iter::repeat_n(p, tiles[p].len() / size));
    }
    let set = ImageSet::new(pixels, [source.len(), 3, side, side], None)?;
    Ok((set, source))
}
