//! Naming data as `KIND:PATH`: any IDX image file through `idx:` (labels explicit, found
//! beside it, or none), class labels from subfolder names for `folder:`, and the errors of
//! bad specs. The IDX checks read the real MNIST and Fashion-MNIST files.

mod common;

use flowood_data::{
    DataError, DataSource, Prepare, SourceKind, Split, load_fashion_mnist, load_mnist, read_folder,
};
use image::{Rgb, RgbImage};

const NATIVE: Prepare = Prepare {
    channels: 1,
    size: 28,
};

fn source(spec: &str) -> DataSource {
    spec.parse().unwrap()
}

#[test]
fn an_idx_file_finds_its_label_file_beside_it() {
    let dir = common::real_data("mnist");
    let spec = format!("idx:{}", dir.join("t10k-images-idx3-ubyte").display());
    let set = source(&spec).load(Split::Train, NATIVE).unwrap().images;
    assert_eq!(set.shape(), [10000, 1, 28, 28]);
    assert_eq!(
        set.class_counts(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert_eq!(set, load_mnist(&dir, Split::Test).unwrap());
}

#[test]
fn an_idx_file_takes_explicit_gzip_labels() {
    let dir = common::real_data("fashion-mnist");
    let spec = format!(
        "idx:{},{}",
        dir.join("train-images-idx3-ubyte.gz").display(),
        dir.join("train-labels-idx1-ubyte.gz").display()
    );
    let parsed = source(&spec);
    assert_eq!(parsed.kind, SourceKind::Idx);
    assert!(parsed.labels.is_some());
    let set = parsed.load(Split::Train, NATIVE).unwrap().images;
    assert_eq!(set.class_counts(), vec![6000; 10]);
    assert_eq!(set, load_fashion_mnist(&dir, Split::Train).unwrap());
}

#[test]
fn an_idx_file_of_any_name_without_labels_is_unlabelled() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("my-export.idx");
    let mnist = common::real_data("mnist");
    std::fs::copy(mnist.join("t10k-images-idx3-ubyte"), &file).unwrap();
    let set = source(&format!("idx:{}", file.display()))
        .load(
            Split::Train,
            Prepare {
                channels: 1,
                size: 32,
            },
        )
        .unwrap()
        .images;
    assert_eq!(set.shape(), [10000, 1, 32, 32]);
    assert!(set.labels().is_none());
}

#[test]
fn idx_sources_have_no_test_split_and_check_their_labels() {
    let dir = common::real_data("fashion-mnist");
    let images = dir.join("t10k-images-idx3-ubyte.gz");
    let test_only = source(&format!("idx:{}", images.display()));
    assert!(!test_only.has_test_split());
    assert!(matches!(
        test_only.load(Split::Test, NATIVE),
        Err(DataError::InvalidArgument(_))
    ));
    // 10,000 test images against the 60,000 training labels.
    let wrong = format!(
        "idx:{},{}",
        images.display(),
        dir.join("train-labels-idx1-ubyte.gz").display()
    );
    assert!(matches!(
        source(&wrong).load(Split::Train, NATIVE),
        Err(DataError::CountMismatch {
            images: 10000,
            labels: 60000,
            ..
        })
    ));
    let missing = format!("idx:{}", dir.join("no-such-file").display());
    assert!(matches!(
        source(&missing).load(Split::Train, NATIVE),
        Err(DataError::Io { .. })
    ));
    assert!("idx:images.idx,".parse::<DataSource>().is_err());
    assert!("idx:".parse::<DataSource>().is_err());
}

#[test]
fn only_idx_sources_read_a_comma_as_the_label_separator() {
    let folder = source("folder:photos,2024");
    assert_eq!(folder.path.to_str(), Some("photos,2024"));
    assert_eq!(folder.labels, None);
}

fn save_png(path: &std::path::Path, shade: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    RgbImage::from_pixel(8, 8, Rgb([shade, shade, shade]))
        .save(path)
        .unwrap();
}

#[test]
fn folder_labels_come_from_subfolder_names() {
    let tmp = tempfile::tempdir().unwrap();
    save_png(&tmp.path().join("dog/a.png"), 10);
    save_png(&tmp.path().join("cat/b.png"), 20);
    save_png(&tmp.path().join("cat/deeper/c.png"), 30);
    let folder = read_folder(tmp.path(), 8).unwrap();
    assert_eq!(folder.classes, ["cat", "dog"]);
    // Files are sorted by path: cat/b, cat/deeper/c, dog/a.
    assert_eq!(folder.images.labels(), Some(&[0, 0, 1][..]));
    let set = source(&format!("folder:{}", tmp.path().display()))
        .load(
            Split::Train,
            Prepare {
                channels: 1,
                size: 8,
            },
        )
        .unwrap()
        .images;
    assert_eq!(set.class_counts(), [2, 1]);
}

#[test]
fn a_folder_with_loose_images_is_unlabelled() {
    let tmp = tempfile::tempdir().unwrap();
    save_png(&tmp.path().join("dog/a.png"), 10);
    save_png(&tmp.path().join("loose.png"), 20);
    let folder = read_folder(tmp.path(), 8).unwrap();
    assert!(folder.classes.is_empty());
    assert!(folder.images.labels().is_none());
}

#[test]
fn a_source_prints_as_the_spec_it_was_parsed_from() {
    for spec in [
        "fashion-mnist:data/fashion-mnist",
        "idx:letters-images.gz,letters-labels.gz",
        "idx:digits.idx",
        "photos:/abs/general-photos",
        "folder:my images,with a comma",
    ] {
        assert_eq!(source(spec).to_string(), spec);
        assert_eq!(source(&source(spec).to_string()), source(spec));
    }
}

#[test]
fn every_kind_parses_from_its_name_and_is_listed_in_the_help_text() {
    let unknown = "sketches:some/path"
        .parse::<DataSource>()
        .unwrap_err()
        .to_string();
    for kind in SourceKind::ALL {
        // A name shared by two kinds would parse to the first of them.
        let parsed = source(&format!("{}:some/path", kind.name()));
        assert_eq!(parsed.kind, kind);
        assert!(
            unknown.contains(kind.name()),
            "{unknown} omits {}",
            kind.name()
        );
    }
}
