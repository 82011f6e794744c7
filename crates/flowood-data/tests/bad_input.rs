//! Every kind of bad input gives its typed error, naming the file; nothing panics.

mod common;

use common::{bytes, gzip, idx_bytes, mat_file, svhn_vars, write};
use flowood_data::{
    DataError, TinyImages, read_cifar10, read_cifar100, read_folder, read_idx, read_idx_images,
    read_image, read_mat, read_svhn,
};

/// Asserts that the error message names the file.
fn names_file(err: &DataError, name: &str) {
    assert!(
        err.to_string().contains(name),
        "`{err}` does not name {name}"
    );
}

#[test]
fn truncated_idx_reports_offset_and_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = idx_bytes(&[2, 28, 28], &bytes(2 * 784, 1));
    file.truncate(file.len() - 100);
    let path = write(dir.path(), "short-idx3-ubyte", &file);
    let err = read_idx_images(&path).unwrap_err();
    match &err {
        DataError::Truncated {
            offset,
            expected,
            found,
            ..
        } => assert_eq!((*offset, *expected, *found), (16, 1568, 1468)),
        other => panic!("expected Truncated, got {other:?}"),
    }
    names_file(&err, "short-idx3-ubyte");
    // A header cut short is also a truncation.
    let path = write(dir.path(), "tiny-header", &[0, 0, 8, 3, 0, 0]);
    assert!(matches!(
        read_idx_images(path),
        Err(DataError::Truncated { offset: 4, .. })
    ));
}

#[test]
fn truncated_gzip_is_a_format_error() {
    let dir = tempfile::tempdir().unwrap();
    let gz = gzip(&idx_bytes(&[100, 28, 28], &bytes(78400, 2)));
    let path = write(dir.path(), "cut.gz", &gz[..gz.len() / 2]);
    let err = read_idx_images(&path).unwrap_err();
    assert!(matches!(err, DataError::Format { .. }), "{err:?}");
    names_file(&err, "cut.gz");
}

#[test]
fn wrong_magic_number() {
    let dir = tempfile::tempdir().unwrap();
    // A label file (1 dimension) given where images (3 dimensions) are expected.
    let path = write(dir.path(), "labels-idx1-ubyte", &idx_bytes(&[2], &[1, 2]));
    let err = read_idx_images(&path).unwrap_err();
    match &err {
        DataError::BadMagic {
            offset,
            expected,
            found,
            ..
        } => assert_eq!(
            (*offset, expected.as_str(), found.as_str()),
            (0, "0x00000803", "0x00000801")
        ),
        other => panic!("expected BadMagic, got {other:?}"),
    }
    names_file(&err, "labels-idx1-ubyte");
}

#[test]
fn image_label_count_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let images = write(dir.path(), "img", &idx_bytes(&[3, 2, 2], &[0; 12]));
    let labels = write(dir.path(), "lab", &idx_bytes(&[2], &[0, 1]));
    let err = read_idx(&images, &labels).unwrap_err();
    assert!(matches!(
        err,
        DataError::CountMismatch {
            images: 3,
            labels: 2,
            ..
        }
    ));
    names_file(&err, "img");
    names_file(&err, "lab");
}

#[test]
fn truncated_cifar_and_bad_labels() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "data_batch_1.bin", &bytes(3073 + 100, 3));
    let err = read_cifar10(&path).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                offset: 3073,
                expected: 3073,
                found: 100,
                ..
            }
        ),
        "{err:?}"
    );
    names_file(&err, "data_batch_1.bin");
    let mut record = vec![0u8, 150];
    record.extend(bytes(3072, 4));
    let path = write(dir.path(), "train.bin", &record);
    let err = read_cifar100(&path).unwrap_err();
    assert!(
        matches!(err, DataError::Format { offset: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn mat_without_expected_variables() {
    let dir = tempfile::tempdir().unwrap();
    let mut vars = svhn_vars(&bytes(3072, 5), &[1]);
    vars.truncate(1); // only X
    let path = write(dir.path(), "no_y.mat", &mat_file(&vars, true));
    let err = read_svhn(&path).unwrap_err();
    match &err {
        DataError::MissingVariable { name, found, .. } => {
            assert_eq!((name.as_str(), found.as_slice()), ("y", &[][..]));
        }
        other => panic!("expected MissingVariable, got {other:?}"),
    }
    names_file(&err, "no_y.mat");
}

#[test]
fn bad_mat_header_and_truncated_mat() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = mat_file(&svhn_vars(&bytes(3072, 5), &[1]), false);
    let path = write(dir.path(), "cut.mat", &file[..file.len() - 200]);
    let err = read_mat(&path).unwrap_err();
    assert!(matches!(err, DataError::Truncated { .. }), "{err:?}");
    names_file(&err, "cut.mat");
    file[126..128].copy_from_slice(b"XX");
    let path = write(dir.path(), "magic.mat", &file);
    assert!(matches!(
        read_mat(path),
        Err(DataError::BadMagic { offset: 126, .. })
    ));
    let path = write(dir.path(), "short.mat", b"MATLAB 5.0");
    assert!(matches!(
        read_mat(path),
        Err(DataError::Truncated { offset: 0, .. })
    ));
}

#[test]
fn truncated_tiny_images() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "tiny_images.bin", &bytes(2 * 3072 + 5, 6));
    let err = TinyImages::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                offset: 6144,
                found: 5,
                ..
            }
        ),
        "{err:?}"
    );
    let ok = write(dir.path(), "ok.bin", &bytes(3072, 6));
    let tiny = TinyImages::open(ok).unwrap();
    assert!(matches!(tiny.read(1), Err(DataError::InvalidArgument(_))));
}

#[test]
fn unreadable_images_are_errors_or_listed_as_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "broken.jpg", b"not a jpeg at all");
    let err = read_image(&bad).unwrap_err();
    assert!(matches!(err, DataError::Image { .. }), "{err:?}");
    names_file(&err, "broken.jpg");
    let err = read_folder(dir.path(), 8).unwrap_err();
    assert!(
        matches!(err, DataError::NoImages { skipped: 1, .. }),
        "{err:?}"
    );

    std::fs::create_dir(dir.path().join("sub")).unwrap();
    image::RgbImage::from_pixel(20, 10, image::Rgb([1, 2, 3]))
        .save(dir.path().join("sub/good.png"))
        .unwrap();
    let folder = read_folder(dir.path(), 8).unwrap();
    assert_eq!(folder.images.len(), 1);
    assert_eq!(folder.skipped.len(), 1);
    assert_eq!(folder.skipped[0].path, bad);
    assert!(matches!(folder.skipped[0].error, DataError::Image { .. }));
}

#[test]
fn missing_files_are_io_errors() {
    let err = read_cifar10("/nonexistent/data_batch_1.bin").unwrap_err();
    assert!(matches!(err, DataError::Io { .. }));
    names_file(&err, "data_batch_1.bin");
}

#[test]
fn corrupted_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mat = mat_file(&svhn_vars(&bytes(2 * 3072, 8), &[1, 2]), false);
    let zmat = mat_file(&svhn_vars(&bytes(2 * 3072, 8), &[1, 2]), true);
    let idx = idx_bytes(&[2, 28, 28], &bytes(2 * 784, 9));
    let gz = gzip(&idx);
    let noise = bytes(4096, 10);
    for (k, original) in [mat, zmat, idx, gz].iter().enumerate() {
        for trial in 0..150 {
            let mut file = original.clone();
            // Overwrite a few bytes in the first kilobyte (headers and tags), sometimes cut.
            for j in 0..3 {
                let at = usize::from(noise[trial * 3 + j]) * 4 % file.len().min(1024);
                file[at] = noise[(trial * 7 + j) % noise.len()];
            }
            if trial % 3 == 0 {
                file.truncate(usize::from(noise[trial]) * file.len() / 256);
            }
            let path = write(dir.path(), &format!("f{k}-{trial}"), &file);
            let _ = read_svhn(&path);
            let _ = read_idx_images(&path);
            let _ = read_cifar10(&path);
        }
    }
}
