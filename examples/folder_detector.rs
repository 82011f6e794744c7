//! A detector for a folder of your own images: train on it, calibrate on a held-out part,
//! flag the images of another folder, save the detector.
//!
//! ```text
//! cargo run --release --example folder_detector -- TRAIN_DIR NEW_DIR [DETECTOR_DIR]
//! FLOWOOD_DATA=data cargo run --release --example folder_detector   # a demo, about 2 minutes
//! ```
//!
//! `TRAIN_DIR` holds normal images (PNG/JPEG, any size, in subfolders or not); every tenth
//! is held out for the threshold, which keeps 95% of them as normal. Each image of `NEW_DIR`
//! is printed with its final-scale score and verdict, and the detector is saved to
//! `DETECTOR_DIR` (default: a temporary folder) for `flowood detect --detector DIR`.
//! Without arguments the demo writes 3000 Fashion-MNIST training images as PNG files, one
//! subfolder per class, as `TRAIN_DIR`, and 8 Fashion-MNIST test images and 8 MNIST digits as
//! `NEW_DIR`. A model this small and this briefly trained separates digits from clothes
//! poorly (docs/experiments.md has what larger models reach): the demo shows the workflow.

mod common;

use std::path::{Path, PathBuf};

use flowood::backend::{default_threads, parse_device};
use flowood::data::{
    DataSource, ImageSet, Prepare, Split, data_dir, load_fashion_mnist, load_mnist, save_grid,
};
use flowood::scores::{Detector, Scale, Score};

/// Training steps of 64 images.
const STEPS: usize = 400;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let demo = tempfile::tempdir()?;
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let (train_dir, new_dir) = match &args[..] {
        [train, new, ..] => (train.clone(), new.clone()),
        [] => write_demo_folders(demo.path())?,
        _ => return Err("usage: folder_detector TRAIN_DIR NEW_DIR [DETECTOR_DIR]".into()),
    };
    let detector_dir = args.get(2).cloned().unwrap_or(demo.path().join("detector"));
    let device = parse_device("flex")?;
    let threads = default_threads(&device);
    let grey32 = Prepare {
        channels: 1,
        size: 32,
    };

    let images = folder(&train_dir)
        .load(Split::Train, grey32)?
        .images(false)?;
    let (train, held_out) = every_tenth_held_out(&images)?;
    println!(
        "{}: {} images for training, {} held out",
        train_dir.display(),
        train.len(),
        held_out.len()
    );
    let model = common::train_tiny(train, STEPS, threads, &device)?;
    let mut detector =
        Detector::new(model, None, Score::Scale(Scale::Final))?.with_threads(threads);
    let calibration = detector.calibrate(&held_out, 0.95, None)?;
    println!(
        "threshold {:.1} nats keeps {:.1}% of the held-out images as normal",
        calibration.threshold,
        100.0 * calibration.tpr
    );

    let new = folder(&new_dir).load(Split::Train, grey32)?;
    let files = new.files.clone();
    for (file, p) in files.iter().zip(detector.predict(&new.images(false)?)?) {
        let verdict = if p.anomalous { "ANOMALOUS" } else { "normal" };
        println!("{:>9}  {:8.1}  {}", verdict, p.score, file.display());
    }
    detector.save(&detector_dir)?;
    println!(
        "detector saved to {} (flowood detect --detector {} --data folder:DIR --out flags.csv)",
        detector_dir.display(),
        detector_dir.display()
    );
    Ok(())
}

fn folder(dir: &Path) -> DataSource {
    DataSource {
        kind: flowood::data::SourceKind::Folder,
        path: dir.to_path_buf(),
        labels: None,
    }
}

/// Images `0, 10, 20, ...` held out, the others for training: spread over every subfolder.
fn every_tenth_held_out(set: &ImageSet) -> Result<(ImageSet, ImageSet), flowood::data::DataError> {
    let (held, kept): (Vec<usize>, Vec<usize>) = (0..set.len()).partition(|i| i % 10 == 0);
    Ok((set.subset(&kept)?, set.subset(&held)?))
}

/// The demo's folders under `root`: `train/<class>/NNNN.png` and `new/{fashion,digit}-N.png`.
fn write_demo_folders(root: &Path) -> Result<(PathBuf, PathBuf), Box<dyn std::error::Error>> {
    const CLASSES: [&str; 10] = [
        "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
        "boot",
    ];
    let data = data_dir()?;
    let fashion = data.join("fashion-mnist");
    let train = load_fashion_mnist(&fashion, Split::Train)?;
    let labels = train
        .labels()
        .ok_or("Fashion-MNIST without labels")?
        .to_vec();
    for i in 0..3000 {
        let class = CLASSES[usize::from(labels[i])];
        let dir = root.join("train").join(class);
        std::fs::create_dir_all(&dir)?;
        save_grid(&train.subset(&[i])?, 1, 0, &dir.join(format!("{i:04}.png")))?;
    }
    let new = root.join("new");
    std::fs::create_dir_all(&new)?;
    let test = load_fashion_mnist(&fashion, Split::Test)?;
    let digits = load_mnist(data.join("mnist"), Split::Test)?;
    for i in 0..8 {
        save_grid(
            &test.subset(&[i])?,
            1,
            0,
            &new.join(format!("fashion-{i}.png")),
        )?;
        save_grid(
            &digits.subset(&[i])?,
            1,
            0,
            &new.join(format!("digit-{i}.png")),
        )?;
    }
    Ok((root.join("train"), new))
}
