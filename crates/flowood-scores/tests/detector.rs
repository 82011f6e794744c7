//! The `Detector` on real images (Fashion-MNIST in-distribution, MNIST as anomalies, resized
//! to the tiny models' 8x8 by the detector itself): the calibrated threshold keeps the asked
//! share of held-out images, the false-positive rate is the metric's, a saved detector scores
//! bit-identically after loading, and bad input gives typed errors.

mod common;

use burn::tensor::Device;
use flowood_data::{ImageSet, Split, data_dir, load_fashion_mnist, load_mnist};
use flowood_flows::testing::perturb_parameters;
use flowood_glow::{Glow, GlowConfig};
use flowood_scores::{
    DETECTOR_FILE, Detector, Pixels, Scale, Score, ScoreBatch, ScoreError, metrics,
};

/// The directory of one real dataset under `$FLOWOOD_DATA`.
fn real(name: &str) -> std::path::PathBuf {
    data_dir().expect("set FLOWOOD_DATA").join(name)
}

/// The images `from..from + n` of `set`.
fn part(set: ImageSet, from: usize, n: usize) -> ImageSet {
    set.subset(&(from..from + n).collect::<Vec<_>>()).unwrap()
}

fn fashion(split: Split, from: usize, n: usize) -> ImageSet {
    part(
        load_fashion_mnist(real("fashion-mnist"), split).unwrap(),
        from,
        n,
    )
}

fn mnist(split: Split, from: usize, n: usize) -> ImageSet {
    part(load_mnist(real("mnist"), split).unwrap(), from, n)
}

/// A tiny Glow initialised on 64 images of `set` (resized to 8x8), moved off its init point.
fn model_of(config: GlowConfig, set: ImageSet, seed: u64) -> Glow {
    let device = Device::flex();
    let set = set.resize_bilinear(8, 8).unwrap();
    let pixels = Pixels::new(set.pixels().to_vec(), set.shape()).unwrap();
    let x = ScoreBatch::from_pixels(pixels, &device).x;
    let glow = config
        .init(&device, seed)
        .unwrap()
        .initialize(&[x])
        .unwrap();
    perturb_parameters(glow, 0.02, seed + 1)
}

fn in_model() -> Glow {
    model_of(common::tiny_config(), fashion(Split::Train, 0, 64), 1)
}

fn general_model() -> Glow {
    model_of(common::tiny_config(), mnist(Split::Train, 0, 64), 3)
}

fn ratio_detector() -> Detector {
    Detector::new(in_model(), Some(general_model()), Score::Ratio)
        .unwrap()
        .with_threads(2)
}

#[test]
fn the_threshold_keeps_at_least_the_target_share_of_held_out_images() {
    let held_out = fashion(Split::Test, 0, 300);
    let scores = [
        Score::LogP,
        Score::Scale(Scale::Final),
        Score::Ratio,
        Score::Complexity,
    ];
    for kind in scores {
        let general = kind.needs_general().then(general_model);
        let mut detector = Detector::new(in_model(), general, kind).unwrap();
        for target in [0.5, 0.9, 0.95, 1.0] {
            let calibration = detector.calibrate(&held_out, target, None).unwrap().clone();
            assert!(
                calibration.tpr >= target,
                "{kind:?} {target}: {calibration:?}"
            );
            // Scores of real images do not tie, so the threshold keeps ceil(target * n).
            assert!(
                calibration.tpr < target + 1.0 / 300.0 + 1e-12,
                "{calibration:?}"
            );
            assert_eq!(calibration.held_out, 300);
            let normal = detector
                .predict(&held_out)
                .unwrap()
                .iter()
                .filter(|p| !p.anomalous)
                .count();
            assert_eq!(normal as f64 / 300.0, calibration.tpr);
        }
    }
}

#[test]
fn the_false_positive_rate_is_the_metric_at_that_tpr() {
    let held_out = fashion(Split::Test, 0, 300);
    let anomalies = mnist(Split::Test, 0, 200);
    let mut detector = ratio_detector();
    let calibration = detector
        .calibrate(&held_out, 0.95, Some(&anomalies))
        .unwrap()
        .clone();
    let expected = metrics::fpr_at_95_tpr(
        &detector.score(&held_out).unwrap(),
        &detector.score(&anomalies).unwrap(),
    )
    .unwrap();
    assert_eq!(calibration.fpr, Some(expected));
    assert_eq!(calibration.anomalies, Some(200));
    let passed = detector
        .predict(&anomalies)
        .unwrap()
        .iter()
        .filter(|p| !p.anomalous)
        .count();
    assert_eq!(Some(passed as f64 / 200.0), calibration.fpr);
}

#[test]
fn a_saved_detector_loads_with_identical_scores_and_threshold() {
    let held_out = fashion(Split::Test, 0, 100);
    let new_images = mnist(Split::Test, 500, 50);
    for general in [true, false] {
        let mut detector = if general {
            ratio_detector()
        } else {
            Detector::new(in_model(), None, Score::Scale(Scale::Final)).unwrap()
        };
        detector.calibrate(&held_out, 0.9, None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        detector.save(dir.path()).unwrap();
        assert!(dir.path().join(DETECTOR_FILE).is_file());
        assert_eq!(dir.path().join("general").exists(), general);
        let loaded = Detector::load(dir.path(), &Device::flex()).unwrap();
        assert_eq!(loaded.score_kind(), detector.score_kind());
        assert_eq!(loaded.calibration(), detector.calibration());
        let bits = |d: &Detector| -> Vec<u64> {
            d.score(&new_images)
                .unwrap()
                .iter()
                .map(|s| s.to_bits())
                .collect()
        };
        assert_eq!(bits(&loaded), bits(&detector));
        assert_eq!(
            loaded.predict(&new_images).unwrap(),
            detector.predict(&new_images).unwrap()
        );
    }
}

#[test]
fn models_that_do_not_fit_the_score_are_refused() {
    let invalid = |r: Result<Detector, ScoreError>, field: &str| match r {
        Err(ScoreError::InvalidArgument { name, .. }) => assert_eq!(name, field),
        other => panic!("expected an invalid `{field}`, got {:?}", other.err()),
    };
    invalid(Detector::new(in_model(), None, Score::Ratio), "general");
    invalid(
        Detector::new(in_model(), Some(general_model()), Score::LogP),
        "general",
    );
    let wider = GlowConfig {
        hidden_channels: 16,
        ..common::tiny_config()
    };
    let other = model_of(wider, mnist(Split::Train, 0, 64), 5);
    assert!(matches!(
        Detector::new(in_model(), Some(other), Score::Ratio),
        Err(ScoreError::ArchitectureMismatch { .. })
    ));
    let fresh = common::tiny_config().init(&Device::flex(), 0).unwrap();
    assert!(matches!(
        Detector::new(fresh, None, Score::Scale(Scale::Final)),
        Err(ScoreError::NotInitialized { .. })
    ));
}

#[test]
fn bad_rates_images_and_order_of_calls_are_errors() {
    let held_out = fashion(Split::Test, 0, 20);
    let mut detector = Detector::new(in_model(), None, Score::LogP).unwrap();
    assert!(matches!(
        detector.predict(&held_out),
        Err(ScoreError::NotCalibrated)
    ));
    for tpr in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                detector.calibrate(&held_out, tpr, None),
                Err(ScoreError::InvalidArgument {
                    name: "target_tpr",
                    ..
                })
            ),
            "tpr {tpr}"
        );
    }
    assert!(detector.calibration().is_none());
    let two_channels = ImageSet::new(vec![0; 2 * 2 * 8 * 8], [2, 2, 8, 8], None).unwrap();
    assert!(matches!(
        detector.score(&two_channels),
        Err(ScoreError::Data(_))
    ));
    assert!(matches!(
        Detector::new(in_model(), None, Score::Scale(Scale::Index(2))),
        Err(ScoreError::ScaleOutOfRange {
            index: 2,
            levels: 2
        })
    ));
}

#[test]
fn broken_detector_directories_are_errors_naming_the_file() {
    let device = Device::flex();
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        Detector::load(empty.path(), &device),
        Err(ScoreError::Io { .. })
    ));

    let dir = tempfile::tempdir().unwrap();
    let mut detector = ratio_detector();
    detector
        .calibrate(&fashion(Split::Test, 0, 50), 0.9, None)
        .unwrap();
    detector.save(dir.path()).unwrap();
    let file = dir.path().join(DETECTOR_FILE);
    let original = std::fs::read_to_string(&file).unwrap();
    for (from, to) in [
        ("\"version\": 1", "\"version\": 2"),
        ("\"target_tpr\": 0.9", "\"target_tpr\": 1.5"),
        ("\"score\": \"ratio\"", "\"score\": \"typicality\""),
        ("{", "{{"),
    ] {
        assert!(original.contains(from), "{from} in {original}");
        std::fs::write(&file, original.replacen(from, to, 1)).unwrap();
        match Detector::load(dir.path(), &device) {
            Err(ScoreError::BadDetector { path, .. }) => assert_eq!(path, file),
            other => panic!("{to}: expected BadDetector, got {:?}", other.err()),
        }
    }
    std::fs::write(&file, &original).unwrap();
    std::fs::remove_dir_all(dir.path().join("general")).unwrap();
    assert!(matches!(
        Detector::load(dir.path(), &device),
        Err(ScoreError::Glow(_))
    ));
}
