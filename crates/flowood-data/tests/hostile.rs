//! Hostile input: folders whose links loop, decompression bombs, images too large to decode,
//! files that are really folders. Each case gets a clear error (or is handled) in bounded
//! time and memory.

mod common;

use std::io::Write;
use std::path::Path;

use common::{
    CLASS_INT8, MI_COMPRESSED, MI_INT8, MatVar, bytes, gzip, idx_bytes, mat_file, mat_header,
    svhn_vars, write,
};
use flate2::Compression;
use flate2::write::ZlibEncoder;
use flowood_data::{
    DataError, DataSource, MAX_DECODE_BYTES, PhotoTileConfig, Prepare, Split, list_images,
    load_mnist, photo_tiles, read_cifar10, read_folder, read_idx_images, read_image, read_mat,
    read_svhn, tiles_per_photo,
};

/// A small PNG at `path`.
fn png(path: &Path, seed: u8) {
    image::RgbImage::from_pixel(12, 9, image::Rgb([seed, 2, 3]))
        .save(path)
        .unwrap();
}

/// Peak resident memory of this process so far, in bytes (Linux).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[cfg(unix)]
#[test]
fn folder_symlink_loops_are_walked_once() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    png(&d.join("one.png"), 1);
    std::fs::create_dir(d.join("sub")).unwrap();
    png(&d.join("sub/two.png"), 2);
    // Two links to the folder itself (each a loop), one to a sibling, one to the same file.
    symlink(".", d.join("a")).unwrap();
    symlink(".", d.join("b")).unwrap();
    symlink("sub", d.join("again")).unwrap();
    symlink("one.png", d.join("link.png")).unwrap();
    let files = list_images(d).unwrap();
    assert_eq!(files, vec![d.join("one.png"), d.join("sub/two.png")]);
    let folder = read_folder(d, 8).unwrap();
    assert_eq!(folder.images.len(), 2);
    assert!(folder.skipped.is_empty());
}

#[test]
fn gzip_idx_bomb_stops_at_the_declared_size() {
    let dir = tempfile::tempdir().unwrap();
    // A header for 200 images, then 2 GiB of zeros: 32 gzip members of 64 MiB each.
    let header = idx_bytes(&[200, 28, 28], &[]);
    let member = gzip(&vec![0u8; 64 << 20]);
    let mut bomb = gzip(&header);
    (0..32).for_each(|_| bomb.extend_from_slice(&member));
    let path = write(dir.path(), "bomb-idx3-ubyte.gz", &bomb);
    let before = peak_rss();
    let err = read_idx_images(&path).unwrap_err();
    let grown = peak_rss().saturating_sub(before);
    match &err {
        DataError::Format {
            offset, message, ..
        } => {
            assert_eq!(*offset, 16 + 200 * 28 * 28);
            assert!(message.contains("trailing"), "{message}");
        }
        other => panic!("expected a trailing-data error, got {other:?}"),
    }
    assert!(err.to_string().contains("bomb-idx3-ubyte.gz"));
    assert!(grown < 64 << 20, "peak memory grew by {grown} bytes");
}

#[test]
fn zlib_mat_bomb_stops_at_the_declared_size() {
    let dir = tempfile::tempdir().unwrap();
    // An miMATRIX tag declaring 64 bytes, then 1 GiB of zeros in the same zlib stream.
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
    enc.write_all(&14u32.to_le_bytes()).unwrap();
    enc.write_all(&64u32.to_le_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    (0..1024).for_each(|_| enc.write_all(&zeros).unwrap());
    let z = enc.finish().unwrap();
    let mut file = mat_header();
    file.extend_from_slice(&MI_COMPRESSED.to_le_bytes());
    file.extend_from_slice(&(z.len() as u32).to_le_bytes());
    file.extend_from_slice(&z);
    let path = write(dir.path(), "bomb.mat", &file);
    let before = peak_rss();
    let err = read_mat(&path).unwrap_err();
    let grown = peak_rss().saturating_sub(before);
    assert!(err.to_string().contains("bomb.mat"), "{err}");
    assert!(grown < 64 << 20, "peak memory grew by {grown} bytes");
}

/// A PNG that declares `width x height` RGB pixels but holds (almost) no data.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, no interlace
    let mut crc = flate2::Crc::new();
    crc.update(&ihdr);
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    let idat = b"IDAT\x78\x9c";
    let mut crc = flate2::Crc::new();
    crc.update(idat);
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(idat);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out
}

#[test]
fn huge_images_are_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    const { assert!(12000 * 12000 * 3 > MAX_DECODE_BYTES) };
    let path = write(dir.path(), "huge.png", &png_header_only(12000, 12000));
    let before = peak_rss();
    let err = read_image(&path).unwrap_err();
    assert!(peak_rss().saturating_sub(before) < 64 << 20);
    match &err {
        DataError::Format { message, .. } => assert!(message.contains("too large"), "{message}"),
        other => panic!("expected Format, got {other:?}"),
    }
    assert!(err.to_string().contains("huge.png"));
}

/// `read` run on another thread, or `None` if it has not returned within 20 seconds (the
/// thread is then left behind: a hang must fail the test, not stall the suite).
fn within_a_while<T: Send + 'static>(read: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || send.send(read()));
    receive
        .recv_timeout(std::time::Duration::from_secs(20))
        .ok()
}

#[cfg(unix)]
#[test]
fn devices_and_named_pipes_are_refused_not_read_forever() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    // /dev/zero never ends; opening a named pipe blocks until a writer comes.
    symlink("/dev/zero", d.join("data_batch_1.bin")).unwrap();
    symlink("/dev/zero", d.join("train_32x32.mat")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(d.join("pipe.png"))
        .status()
        .unwrap();
    assert!(made.success());
    png(&d.join("good.png"), 1);
    let errors = within_a_while(move || {
        let cifar = read_cifar10(d.join("data_batch_1.bin")).unwrap_err();
        let mat = read_mat(d.join("train_32x32.mat")).unwrap_err();
        let folder = read_folder(&d, 8).unwrap();
        (cifar, mat, folder.skipped, folder.files)
    })
    .expect("a read hung");
    let (cifar, mat, skipped, files) = errors;
    for err in [cifar.to_string(), mat.to_string()] {
        assert!(err.contains("not a regular file"), "{err}");
    }
    assert_eq!(files, [dir.path().join("good.png")]);
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0].error.to_string().contains("pipe.png"));
}

#[test]
fn svhn_decodes_only_x_and_y() {
    // Beside X and y, an int8 variable of 64 MiB zeros (64 kB compressed): decoded, as every
    // variable once was, it took 64 MiB inflated plus 512 MiB as f64.
    let dir = tempfile::tempdir().unwrap();
    let mut vars = svhn_vars(&bytes(2 * 3072, 5), &[1, 7]);
    vars.push(MatVar {
        name: "junk",
        class: CLASS_INT8,
        dims: vec![64 << 20, 1],
        kind: MI_INT8,
        data: vec![0; 64 << 20],
    });
    let path = write(dir.path(), "padded.mat", &mat_file(&vars, true));
    drop(vars);
    let before = peak_rss();
    let set = read_svhn(&path).unwrap();
    let grown = peak_rss().saturating_sub(before);
    assert_eq!((set.len(), set.labels()), (2, Some(&[1, 7][..])));
    assert!(grown < 128 << 20, "peak memory grew by {grown} bytes");
    // The variables it skipped are still named when one it needs is missing.
    let mut vars = svhn_vars(&bytes(3072, 5), &[1]);
    vars[1].name = "labels";
    let path = write(dir.path(), "no-y.mat", &mat_file(&vars, false));
    match read_svhn(&path).unwrap_err() {
        DataError::MissingVariable { name, found, .. } => {
            assert_eq!((name.as_str(), found), ("y", vec!["labels".to_string()]));
        }
        other => panic!("expected MissingVariable, got {other:?}"),
    }
}

#[test]
fn thin_strips_are_refused_before_resizing() {
    // 1x100000 pixels, a few kB as PNG: scaled to a short side of 64 (folder) or 512 (photo
    // tiles) it would take gigabytes.
    let dir = tempfile::tempdir().unwrap();
    image::RgbImage::from_pixel(1, 100_000, image::Rgb([9, 9, 9]))
        .save(dir.path().join("strip.png"))
        .unwrap();
    png(&dir.path().join("good.png"), 1);
    let before = peak_rss();
    let folder = read_folder(dir.path(), 64).unwrap();
    let tiles = photo_tiles(dir.path(), &PhotoTileConfig::default()).unwrap();
    assert!(peak_rss().saturating_sub(before) < 64 << 20);
    assert_eq!(folder.files, [dir.path().join("good.png")]);
    for skipped in [&folder.skipped, &tiles.skipped] {
        assert_eq!(skipped.len(), 1);
        let message = skipped[0].error.to_string();
        assert!(
            message.contains("strip.png") && message.contains("1x100000"),
            "{message}"
        );
    }
    assert_eq!(
        tiles_per_photo(12, 9, &[64], 0),
        0,
        "a 0-pixel tile divides nothing"
    );
}

#[test]
fn skipped_files_are_reported_and_refused_in_strict_mode() {
    let dir = tempfile::tempdir().unwrap();
    png(&dir.path().join("good.png"), 1);
    write(dir.path(), "bad.png", b"not a png");
    let source: DataSource = format!("folder:{}", dir.path().display()).parse().unwrap();
    let prepare = Prepare {
        channels: 3,
        size: 8,
    };
    let loaded = source.load(Split::Train, prepare).unwrap();
    assert_eq!(loaded.skipped.len(), 1);
    assert_eq!(loaded.skipped[0].path, dir.path().join("bad.png"));
    assert_eq!(loaded.images.len(), 1);
    let err = source
        .load(Split::Train, prepare)
        .unwrap()
        .images(true)
        .unwrap_err();
    assert!(
        matches!(&err, DataError::SkippedFiles { count: 1, first, .. } if first.ends_with("bad.png")),
        "{err:?}"
    );
    assert_eq!(loaded.images(false).unwrap().len(), 1);
}

#[test]
fn missing_dataset_errors_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    // The folder itself is missing: the error names it, not a file inside it.
    let missing = dir.path().join("nowhere");
    let err = load_mnist(&missing, Split::Train).unwrap_err().to_string();
    assert!(err.contains("nowhere") && !err.contains("neither"), "{err}");
    // A folder where the file should be.
    std::fs::create_dir(dir.path().join("train-images-idx3-ubyte")).unwrap();
    let err = load_mnist(dir.path(), Split::Train)
        .unwrap_err()
        .to_string();
    assert!(err.contains("is a folder"), "{err}");
    // Only when neither name exists is that the message.
    let empty = tempfile::tempdir().unwrap();
    let err = load_mnist(empty.path(), Split::Train)
        .unwrap_err()
        .to_string();
    assert!(err.contains("neither"), "{err}");
    // The data directory is a file.
    let file = write(dir.path(), "plain", &bytes(4, 1));
    let err = load_mnist(&file, Split::Train).unwrap_err().to_string();
    assert!(err.contains("is not a folder"), "{err}");
}
