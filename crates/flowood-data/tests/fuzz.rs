//! Every parser of dataset files fed a few thousand mutations of real, valid files (MNIST test
//! digits written as IDX, gzip IDX, CIFAR-10/100 records, SVHN MAT files plain and compressed,
//! Tiny Images records, PNG and JPEG): no panic, every error names the file, and no parse
//! allocates more than a few times the bytes of its input and of the images it returns.
//! Images that parse are also prepared for a model (grey or RGB, resized), as the CLI does.

mod common;

use std::io::Cursor;
use std::path::Path;
use std::sync::LazyLock;

use common::{gzip, idx_bytes, mat_file, real_data, svhn_vars};
use flowood_data::{
    ImageSet, Prepare, TinyImages, read_cifar10, read_cifar100, read_idx, read_idx_images,
    read_idx_labels, read_image, read_svhn,
};
use flowood_host::fuzz::{Campaign, CountingAllocator, fuzz_file};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

/// Real digits in each seed file.
const SEED_IMAGES: usize = 8;
/// Side of an MNIST digit, and of the 32x32 formats.
const MNIST: usize = 28;
const SIDE: usize = 32;

/// The first [`SEED_IMAGES`] MNIST test digits, read once (before any test measures its
/// heap: the whole file is 7.8 MB).
fn digits() -> &'static ImageSet {
    static DIGITS: LazyLock<ImageSet> = LazyLock::new(|| {
        let mnist = real_data("mnist");
        let set = read_idx(
            mnist.join("t10k-images-idx3-ubyte"),
            mnist.join("t10k-labels-idx1-ubyte"),
        )
        .unwrap();
        set.subset(&(0..SEED_IMAGES).collect::<Vec<_>>()).unwrap()
    });
    &DIGITS
}

/// The digits as 32x32 RGB (zero-padded, grey in every channel), NCHW, and their labels.
fn rgb32(set: &ImageSet) -> (Vec<u8>, Vec<u16>) {
    let pad = (SIDE - MNIST) / 2;
    let mut out = vec![0; set.len() * 3 * SIDE * SIDE];
    for i in 0..set.len() {
        let image = set.image(i).unwrap();
        for ch in 0..3 {
            for row in 0..MNIST {
                let at = ((i * 3 + ch) * SIDE + row + pad) * SIDE + pad;
                out[at..at + MNIST].copy_from_slice(&image[row * MNIST..(row + 1) * MNIST]);
            }
        }
    }
    (out, set.labels().unwrap().to_vec())
}

/// CIFAR records: `label_bytes` copies of the label (CIFAR-100: coarse, then fine), pixels.
fn cifar_records(pixels: &[u8], labels: &[u16], label_bytes: usize) -> Vec<u8> {
    let plane = 3 * SIDE * SIDE;
    let mut out = Vec::new();
    for (i, &label) in labels.iter().enumerate() {
        out.extend(std::iter::repeat_n(label as u8, label_bytes));
        out.extend_from_slice(&pixels[i * plane..(i + 1) * plane]);
    }
    out
}

/// Encodes image `i` of `set` (grey) as PNG or JPEG.
fn encoded(set: &ImageSet, i: usize, format: image::ImageFormat) -> Vec<u8> {
    let img = image::GrayImage::from_raw(MNIST as u32, MNIST as u32, set.image(i).unwrap().into())
        .unwrap();
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// The bytes of a parsed set once prepared like a model input (`channels`, 32x32).
fn prepared(set: ImageSet, channels: usize) -> Result<usize, String> {
    let prepare = Prepare {
        channels,
        size: SIDE,
    };
    let input = set.pixels().len();
    let set = prepare.apply(set).map_err(|e| e.to_string())?;
    Ok(input + set.pixels().len())
}

fn images_of(result: flowood_data::Result<ImageSet>, channels: usize) -> Result<usize, String> {
    prepared(result.map_err(|e| e.to_string())?, channels)
}

/// Runs one campaign in `dir` and prints its summary.
fn campaign(
    dir: &Path,
    name: &str,
    seeds: &[Vec<u8>],
    header: usize,
    inputs: usize,
    parse: impl FnMut(&Path) -> Result<usize, String>,
) -> Campaign {
    let file = dir.join(format!("{}.input", name.replace([' ', ','], "-")));
    let campaign = fuzz_file(name, seeds, header, inputs, &file, parse);
    println!("{}", campaign.summary());
    campaign
}

/// Fails listing every finding of every campaign.
fn assert_clean(campaigns: &[Campaign]) {
    let findings: Vec<String> = campaigns
        .iter()
        .flat_map(|c| {
            c.findings.iter().map(|f| {
                format!(
                    "{} input {} ({:?}): {}",
                    c.name, f.input, f.mutations, f.problem
                )
            })
        })
        .collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    let inputs: usize = campaigns.iter().map(|c| c.inputs).sum();
    println!("{inputs} inputs, no findings");
}

#[test]
fn idx_files_survive_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let set = digits();
    let dims = [SEED_IMAGES as u32, MNIST as u32, MNIST as u32];
    let images = idx_bytes(&dims, set.pixels());
    let labels: Vec<u8> = set.labels().unwrap().iter().map(|&l| l as u8).collect();
    let labels = idx_bytes(&[SEED_IMAGES as u32], &labels);
    let grey = |p: &Path| images_of(read_idx_images(p), 1);
    assert_clean(&[
        campaign(
            dir.path(),
            "IDX images",
            std::slice::from_ref(&images),
            16,
            600,
            grey,
        ),
        campaign(
            dir.path(),
            "IDX images, gzip",
            &[gzip(&images)],
            32,
            400,
            grey,
        ),
        campaign(dir.path(), "IDX labels", &[labels], 8, 200, |p| {
            read_idx_labels(p)
                .map(|l| 2 * l.len())
                .map_err(|e| e.to_string())
        }),
    ]);
}

#[test]
fn cifar_files_survive_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, labels) = rgb32(digits());
    let record = 1 + 3 * SIDE * SIDE;
    assert_clean(&[
        campaign(
            dir.path(),
            "CIFAR-10",
            &[cifar_records(&pixels, &labels, 1)],
            record,
            400,
            |p| images_of(read_cifar10(p), 3),
        ),
        campaign(
            dir.path(),
            "CIFAR-100",
            &[cifar_records(&pixels, &labels, 2)],
            record,
            200,
            |p| images_of(read_cifar100(p).map(|c| c.images), 1),
        ),
    ]);
}

#[test]
fn svhn_mat_files_survive_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, labels) = rgb32(digits());
    let vars = svhn_vars(&pixels, &labels);
    let svhn = |p: &Path| images_of(read_svhn(p), 3);
    assert_clean(&[
        campaign(dir.path(), "MAT", &[mat_file(&vars, false)], 256, 500, svhn),
        campaign(
            dir.path(),
            "MAT, zlib",
            &[mat_file(&vars, true)],
            256,
            500,
            svhn,
        ),
    ]);
}

#[test]
fn tiny_images_files_survive_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, _) = rgb32(digits());
    let read_all = |p: &Path| {
        let tiny = TinyImages::open(p).map_err(|e| e.to_string())?;
        images_of(tiny.read_many(&(0..tiny.len()).collect::<Vec<_>>()), 3)
    };
    assert_clean(&[campaign(
        dir.path(),
        "Tiny Images",
        &[pixels],
        0,
        200,
        read_all,
    )]);
}

#[test]
fn image_files_survive_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let set = digits();
    let decode = |p: &Path| {
        let img = read_image(p).map_err(|e| e.to_string())?;
        Ok(3 * img.width() as usize * img.height() as usize)
    };
    let seeds = |format| (0..4).map(|i| encoded(set, i, format)).collect::<Vec<_>>();
    assert_clean(&[
        campaign(
            dir.path(),
            "PNG",
            &seeds(image::ImageFormat::Png),
            64,
            400,
            decode,
        ),
        campaign(
            dir.path(),
            "JPEG",
            &seeds(image::ImageFormat::Jpeg),
            640,
            400,
            decode,
        ),
    ]);
}
