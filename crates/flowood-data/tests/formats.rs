//! Readers on small files written by the tests in the published formats.

mod common;

use common::{bytes, gzip, idx_bytes, mat_file, svhn_vars, write};
use flowood_data::{
    MatData, Split, TinyImages, load_cifar10, load_cifar100, read_cifar10, read_idx,
    read_idx_images, read_mat, read_svhn,
};

#[test]
fn idx_raw_and_gz_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let pixels = bytes(3 * 4 * 5, 1);
    let raw = idx_bytes(&[3, 4, 5], &pixels);
    let labels = idx_bytes(&[3], &[7, 0, 9]);
    let a = read_idx(
        write(dir.path(), "i", &raw),
        write(dir.path(), "l", &labels),
    )
    .unwrap();
    let b = read_idx(
        write(dir.path(), "i.gz", &gzip(&raw)),
        write(dir.path(), "l.gz", &gzip(&labels)),
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.shape(), [3, 1, 4, 5]);
    assert_eq!(a.pixels(), &pixels[..]);
    assert_eq!(a.labels(), Some(&[7, 0, 9][..]));
    assert_eq!(
        read_idx_images(dir.path().join("i")).unwrap().labels(),
        None
    );
}

/// CIFAR-10 record: label, then R, G, B planes.
fn cifar10_record(label: u8, seed: u32) -> (Vec<u8>, Vec<u8>) {
    let pixels = bytes(3072, seed);
    let mut rec = vec![label];
    rec.extend_from_slice(&pixels);
    (rec, pixels)
}

#[test]
fn cifar10_batches_are_read_and_concatenated() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for b in 1..=5u8 {
        let mut file = Vec::new();
        for k in 0..2u8 {
            let (rec, pixels) = cifar10_record(b + k, u32::from(b * 10 + k));
            file.extend(rec);
            expected.push((b + k, pixels));
        }
        write(dir.path(), &format!("data_batch_{b}.bin"), &file);
    }
    let (test_rec, test_pixels) = cifar10_record(3, 99);
    write(dir.path(), "test_batch.bin", &test_rec);

    let train = load_cifar10(dir.path(), Split::Train).unwrap();
    assert_eq!(train.shape(), [10, 3, 32, 32]);
    for (i, (label, pixels)) in expected.iter().enumerate() {
        assert_eq!(train.labels().unwrap()[i], u16::from(*label));
        assert_eq!(train.image(i).unwrap(), &pixels[..]);
    }
    let test = read_cifar10(dir.path().join("test_batch.bin")).unwrap();
    assert_eq!(test.labels(), Some(&[3][..]));
    assert_eq!(test.image(0).unwrap(), &test_pixels[..]);
    // Channel planes are kept: the red plane is the first 1024 pixel bytes of the record.
    assert_eq!(&test.image(0).unwrap()[..1024], &test_rec[1..1025]);
}

#[test]
fn cifar100_has_coarse_and_fine_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = Vec::new();
    for (k, (coarse, fine)) in [(19u8, 99u8), (0, 5), (7, 42)].into_iter().enumerate() {
        file.extend([coarse, fine]);
        file.extend(bytes(3072, k as u32));
    }
    write(dir.path(), "test.bin", &file);
    let set = load_cifar100(dir.path(), Split::Test).unwrap();
    assert_eq!(set.coarse_labels, vec![19, 0, 7]);
    assert_eq!(set.images.labels(), Some(&[99, 5, 42][..]));
    assert_eq!(set.images.image(2).unwrap(), &bytes(3072, 2)[..]);
}

fn svhn_roundtrip(compressed: bool) {
    let dir = tempfile::tempdir().unwrap();
    let images = bytes(4 * 3072, 5);
    let digits = [0u16, 3, 9, 1];
    let file = mat_file(&svhn_vars(&images, &digits), compressed);
    let path = write(dir.path(), "test_32x32.mat", &file);
    let set = read_svhn(&path).unwrap();
    assert_eq!(set.shape(), [4, 3, 32, 32]);
    assert_eq!(set.pixels(), &images[..]);
    assert_eq!(set.labels(), Some(&digits[..]));
    let vars = read_mat(&path).unwrap();
    let names: Vec<_> = vars.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["X", "y"]);
    assert_eq!(vars[0].dims, [32, 32, 3, 4]);
    assert_eq!(vars[1].data, MatData::F64(vec![10.0, 3.0, 9.0, 1.0]));
}

#[test]
fn svhn_uncompressed_mat() {
    svhn_roundtrip(false);
}

#[test]
fn svhn_compressed_mat() {
    svhn_roundtrip(true);
}

#[test]
fn svhn_pixel_layout_is_column_major() {
    // X(row=1, col=2, ch=0, n=0) is byte 1 + 32*2 of X: in NCHW it is row 1, column 2.
    let dir = tempfile::tempdir().unwrap();
    let mut images = vec![0u8; 3072];
    images[32 + 2] = 200;
    let mut vars = svhn_vars(&images, &[5]);
    assert_eq!(vars[0].data[1 + 32 * 2], 200);
    vars[0].dims = vec![32, 32, 3]; // MATLAB drops the trailing singleton dimension
    let path = write(dir.path(), "one.mat", &mat_file(&vars, true));
    let set = read_svhn(path).unwrap();
    assert_eq!(set.image(0).unwrap()[32 + 2], 200);
    assert_eq!(set.labels(), Some(&[5][..]));
}

#[test]
fn tiny_images_are_read_by_index() {
    let dir = tempfile::tempdir().unwrap();
    // Records are channel-major with column-major pixels: byte 1024*ch + 32*col + row.
    let records: Vec<Vec<u8>> = (0..5).map(|k| bytes(3072, 40 + k)).collect();
    let path = write(dir.path(), "tiny_images.bin", &records.concat());
    let tiny = TinyImages::open(&path).unwrap();
    assert_eq!(tiny.len(), 5);
    let image = tiny.read(3).unwrap();
    for (ch, row, col) in [(0, 0, 1), (1, 5, 7), (2, 31, 30)] {
        assert_eq!(
            image[ch * 1024 + row * 32 + col],
            records[3][ch * 1024 + col * 32 + row]
        );
    }
    let set = tiny.read_many(&[4, 0, 3]).unwrap();
    assert_eq!(set.shape(), [3, 3, 32, 32]);
    assert_eq!(set.image(2).unwrap(), &image[..]);
}
