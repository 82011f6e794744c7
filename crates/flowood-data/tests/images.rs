//! Image folders (LSUN protocol) and photo tiles on small generated photos.

use flowood_data::{
    ImageSet, PhotoTileConfig, photo_tiles, read_folder, save_grid, tiles_per_photo,
};
use image::{Rgb, RgbImage};

/// A photo whose pixel colour encodes its position, saved as PNG.
fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    })
}

#[test]
fn folder_uses_short_side_and_centre_crop() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    gradient(200, 100)
        .save(dir.path().join("wide.png"))
        .unwrap();
    gradient(60, 120)
        .save(dir.path().join("nested/tall.JPG"))
        .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    let folder = read_folder(dir.path(), 16).unwrap();
    assert!(folder.skipped.is_empty());
    assert_eq!(folder.images.shape(), [2, 3, 16, 16]);
    assert_eq!(folder.files.len(), 2);
    assert!(folder.files[0].ends_with("nested/tall.JPG"));
    // The wide photo is cropped to its middle: red (x) spans about a quarter to three
    // quarters of 255, green (y) the whole range.
    let wide = folder.images.image(1).unwrap();
    let (red, green) = (&wide[..256], &wide[256..512]);
    assert!(
        (50..80).contains(&red[0]) && (175..205).contains(&red[15]),
        "{red:?}"
    );
    assert!(green[0] < 20 && green[255] > 235);
}

#[test]
fn photo_tiles_count_and_split_by_photo() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [(300, 200), (97, 150), (640, 480), (129, 129), (50, 400)];
    for (k, (w, h)) in sizes.iter().enumerate() {
        gradient(*w, *h)
            .save(dir.path().join(format!("p{k}.png")))
            .unwrap();
    }
    std::fs::write(dir.path().join("z-broken.png"), b"garbage").unwrap();
    let config = PhotoTileConfig {
        short_sides: vec![32, 64, 100],
        test_fraction: 0.4,
        seed: 11,
        ..PhotoTileConfig::default()
    };
    let tiles = photo_tiles(dir.path(), &config).unwrap();
    assert_eq!(tiles.photos.len(), 6);
    assert_eq!(tiles.skipped.len(), 1);
    assert!(tiles.skipped[0].path.ends_with("z-broken.png"));
    assert_eq!(tiles.test_photos.len(), 2);
    for (k, &(w, h)) in sizes.iter().enumerate() {
        // Independent count: short side s, long side rounded, floor per axis.
        let expected: usize = [32u32, 64, 100]
            .iter()
            .map(|&s| {
                let (short, long) = (w.min(h), w.max(h));
                let l = (f64::from(long) * f64::from(s) / f64::from(short)).round() as u32;
                ((s / 32) * (l / 32)) as usize
            })
            .sum();
        assert_eq!(tiles_per_photo(w, h, &config.short_sides, 32), expected);
        let found = tiles.train_source.iter().chain(&tiles.test_source);
        assert_eq!(found.filter(|&&p| p == k).count(), expected, "photo {k}");
    }
    for p in &tiles.train_source {
        assert!(!tiles.test_source.contains(p), "photo {p} on both sides");
    }
    assert_eq!(tiles.train.len(), tiles.train_source.len());
    // The split is reproducible and depends on the seed.
    let again = photo_tiles(dir.path(), &config).unwrap();
    assert_eq!(again.test_photos, tiles.test_photos);
    assert_eq!(again.train, tiles.train);
    let other_seeds: Vec<_> = (0..10)
        .map(|seed| {
            let config = PhotoTileConfig {
                seed,
                ..config.clone()
            };
            photo_tiles(dir.path(), &config).unwrap().test_photos
        })
        .collect();
    assert!(other_seeds.iter().any(|t| *t != tiles.test_photos));
}

#[test]
fn a_grid_has_at_most_one_column_per_image() {
    // Two 3x4 grey images: with 2 pixels of padding, two columns make a 2+2*(4+2) = 14 pixel
    // wide grid, whatever the number of columns asked for (it once sized the canvas by it).
    let dir = tempfile::tempdir().unwrap();
    let set = ImageSet::new((0..24).collect(), [2, 1, 3, 4], None).unwrap();
    for columns in [2, 3, usize::MAX] {
        let path = dir.path().join(format!("grid-{columns}.png"));
        save_grid(&set, columns, 2, &path).unwrap();
        let grid = image::open(&path).unwrap().to_luma8();
        assert_eq!(grid.dimensions(), (14, 7), "{columns} columns");
        assert_eq!(grid.get_pixel(2 + 6 + 3, 2 + 2).0, [12 + 2 * 4 + 3]);
    }
    let err = save_grid(&set, 1, usize::MAX, &dir.path().join("x.png")).unwrap_err();
    assert!(err.to_string().contains("too large for a PNG"), "{err}");
}
