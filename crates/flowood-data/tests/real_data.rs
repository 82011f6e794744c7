//! Checks on the real files fetched by `scripts/fetch-data.sh` into `$FLOWOOD_DATA`.
//! Missing files make these tests fail, never skip.
//!
//! Reference values (pixel sums, labels, centre pixels) were computed independently from the
//! files with Python's `gzip` module and plain byte arithmetic, not with this crate.

mod common;

use flowood_data::{
    ImageSet, PhotoTileConfig, Split, load_fashion_mnist, load_mnist, photo_tiles, tiles_per_photo,
};

/// (index, label, pixel sum, pixel at row 14, column 14) of known images.
type Known = [(usize, u16, u64, u8)];

fn check_known(set: &ImageSet, known: &Known) {
    for &(i, label, sum, centre) in known {
        let image = set.image(i).unwrap();
        assert_eq!(set.labels().unwrap()[i], label, "label of image {i}");
        let s: u64 = image.iter().map(|&v| u64::from(v)).sum();
        assert_eq!(s, sum, "pixel sum of image {i}");
        assert_eq!(image[14 * 28 + 14], centre, "centre pixel of image {i}");
    }
}

#[test]
fn fashion_mnist_has_the_published_counts_and_pixels() {
    let dir = common::real_data("fashion-mnist");
    let train = load_fashion_mnist(&dir, Split::Train).unwrap();
    let test = load_fashion_mnist(&dir, Split::Test).unwrap();
    assert_eq!(train.shape(), [60000, 1, 28, 28]);
    assert_eq!(test.shape(), [10000, 1, 28, 28]);
    assert_eq!(train.class_counts(), vec![6000; 10]);
    assert_eq!(test.class_counts(), vec![1000; 10]);
    check_known(
        &train,
        &[(0, 9, 76247, 217), (1, 0, 84598, 204), (123, 2, 42314, 67)],
    );
    check_known(
        &test,
        &[
            (0, 9, 33456, 110),
            (1, 2, 100994, 234),
            (123, 9, 59595, 203),
        ],
    );
}

#[test]
fn mnist_has_the_known_class_counts_and_pixels() {
    let dir = common::real_data("mnist");
    let train = load_mnist(&dir, Split::Train).unwrap();
    let test = load_mnist(&dir, Split::Test).unwrap();
    assert_eq!(train.shape(), [60000, 1, 28, 28]);
    assert_eq!(test.shape(), [10000, 1, 28, 28]);
    assert_eq!(
        train.class_counts(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        test.class_counts(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    check_known(
        &train,
        &[(0, 5, 27525, 240), (1, 0, 31095, 0), (123, 7, 24399, 0)],
    );
    check_known(
        &test,
        &[(0, 7, 18454, 0), (1, 2, 28850, 0), (123, 6, 24260, 194)],
    );
}

#[test]
fn fashion_mnist_becomes_32x32_model_input() {
    let dir = common::real_data("fashion-mnist");
    let test = load_fashion_mnist(&dir, Split::Test).unwrap();
    let resized = test.resize_bilinear(32, 32).unwrap();
    assert_eq!(resized.shape(), [10000, 1, 32, 32]);
    assert_eq!(resized.labels(), test.labels());
    // Interpolation preserves the mean brightness closely.
    let mean = |s: &ImageSet| {
        s.pixels().iter().map(|&v| f64::from(v)).sum::<f64>() / s.pixels().len() as f64
    };
    assert!((mean(&resized) - mean(&test)).abs() < 0.5);
}

#[test]
fn hold_out_keeps_the_last_training_images_apart() {
    let train = load_fashion_mnist(common::real_data("fashion-mnist"), Split::Train).unwrap();
    let (rest, held_out) = train.hold_out(2000).unwrap();
    assert_eq!((rest.len(), held_out.len()), (58000, 2000));
    assert_eq!(held_out.image(0).unwrap(), train.image(58000).unwrap());
    assert_eq!(held_out.image(1999).unwrap(), train.image(59999).unwrap());
    assert_eq!(rest.image(57999).unwrap(), train.image(57999).unwrap());
    // Every image is in exactly one part: the class counts add up to the set's.
    let counts: Vec<usize> = rest
        .class_counts()
        .iter()
        .zip(held_out.class_counts())
        .map(|(a, b)| a + b)
        .collect();
    assert_eq!(counts, train.class_counts());
    assert!(matches!(
        train.hold_out(60000),
        Err(flowood_data::DataError::InvalidArgument(_))
    ));
}

#[test]
fn photo_tiles_split_by_photo_with_the_computed_counts() {
    let dir = common::real_data("photos");
    let config = PhotoTileConfig::default();
    let tiles = photo_tiles(&dir, &config).unwrap();
    assert_eq!(
        tiles.photos.len(),
        43,
        "scripts/fetch-data.sh lays out 43 photos"
    );
    assert!(tiles.skipped.is_empty(), "{:?}", tiles.skipped);
    assert_eq!(tiles.train_photos.len() + tiles.test_photos.len(), 43);
    assert!(
        tiles
            .train_photos
            .iter()
            .all(|p| !tiles.test_photos.contains(p))
    );
    // No photo contributes tiles to both sides.
    assert!(
        tiles
            .train_source
            .iter()
            .all(|p| tiles.train_photos.contains(p))
    );
    assert!(
        tiles
            .test_source
            .iter()
            .all(|p| tiles.test_photos.contains(p))
    );
    // Tile counts follow floor(w'/32) * floor(h'/32) per size, from the header dimensions.
    for (p, path) in tiles.photos.iter().enumerate() {
        let (w, h) = image::image_dimensions(path).unwrap();
        let expected = tiles_per_photo(w, h, &config.short_sides, 32);
        let found = tiles.train_source.iter().chain(&tiles.test_source);
        assert_eq!(
            found.filter(|&&s| s == p).count(),
            expected,
            "{}",
            path.display()
        );
    }
    assert_eq!(tiles.train.shape()[1..], [3, 32, 32]);
    let total = tiles.train.len() + tiles.test.len();
    // 21,392 with the default sizes (the photos are mostly 16:10 and 4:3).
    assert!((20_000..25_000).contains(&total), "{total} tiles");
    let grey = tiles.test.to_grey().unwrap();
    assert_eq!(grey.shape(), [tiles.test.len(), 1, 32, 32]);
}
