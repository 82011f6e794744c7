//! Runs that fail are reported as failures: scoring an empty set, a model whose every
//! log-likelihood overflows, and a second training run in a folder another run holds. Scores
//! that are only partly non-finite are reported with their count.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flowood::burn::module::Param;
use flowood::burn::tensor::Device;
use flowood::data::{data_dir, eval_value};
use flowood::glow::Glow;

mod common;
use common::{eval_cmd, fashion, flowood, run_err, run_ok, score_cmd, tiny_train};

/// Side of an MNIST image.
const SIDE: usize = 28;

/// An IDX file of the first `digits` MNIST test images followed by `black` all-zero images.
fn digits_then_black(dir: &Path, digits: usize, black: usize) -> String {
    let mnist = data_dir().expect("set FLOWOOD_DATA").join("mnist");
    let raw = std::fs::read(mnist.join("t10k-images-idx3-ubyte")).unwrap();
    let mut idx = raw[..16 + digits * SIDE * SIDE].to_vec();
    idx.resize(idx.len() + black * SIDE * SIDE, 0);
    idx[4..8].copy_from_slice(&((digits + black) as u32).to_be_bytes());
    let file = dir.join(format!("digits-{digits}-black-{black}.idx"));
    std::fs::write(&file, idx).unwrap();
    format!("idx:{}", file.display())
}

/// A trained tiny model (`model.bpk` in `dir`) and the same model with its first ActNorm
/// made to overflow: every weight finite, but `exp(88) * (x - x_black)` (about `1.6e38` for a
/// white pixel) overflows `f32` in the layers after it for every image with a pixel that is
/// not black, while an all-black image maps to exactly 0 and keeps a finite log-likelihood.
fn fine_and_overflowing(dir: &Path) -> (String, String) {
    run_ok(tiny_train(dir, 2));
    let fine = dir.join("model.bpk");
    let mut glow = Glow::load(&fine, &Device::flex()).unwrap();
    let actnorm = &mut glow.scales[0].steps[0].actnorm;
    let bias = actnorm.bias.val();
    let log_scale = actnorm.log_scale.val();
    actnorm.bias = Param::from_tensor(bias.zeros_like().add_scalar(-eval_value(0)));
    actnorm.log_scale = Param::from_tensor(log_scale.zeros_like().add_scalar(88.0));
    let overflowing = dir.join("overflowing.bpk");
    glow.save(&overflowing).unwrap();
    (path_arg(&fine), path_arg(&overflowing))
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn scoring_an_empty_set_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = fine_and_overflowing(dir.path());
    let empty = digits_then_black(dir.path(), 0, 0);
    let csv = dir.path().join("scores.csv");
    let err = run_err(score_cmd(&model, &empty, &csv, &[]));
    assert!(
        err.contains("digits-0-black-0.idx: the set holds no images"),
        "{err}"
    );
    assert!(!csv.exists(), "a CSV of no rows was written");
    let eval = dir.path().join("eval");
    let ood = format!("empty={empty}");
    let err = run_err(eval_cmd(&model, &fashion(), &ood, &eval, &[]));
    assert!(err.contains("holds no images"), "{err}");
    assert!(!eval.join("eval.json").exists());
}

#[test]
fn a_model_whose_every_likelihood_overflows_fails_naming_model_and_set() {
    let dir = tempfile::tempdir().unwrap();
    let (fine, overflowing) = fine_and_overflowing(dir.path());
    let digits = digits_then_black(dir.path(), 20, 0);
    let csv = dir.path().join("scores.csv");
    let out = flowood(score_cmd(&overflowing, &digits, &csv, &[]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("every log-likelihood of the 20 images of")
            && err.contains("digits-20-black-0.idx")
            && err.contains("overflowing.bpk")
            && err.contains("non-finite"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("mean bits/dim"));
    assert!(!csv.exists());
    // As the general model of a ratio, named as such.
    let err = run_err(score_cmd(
        &fine,
        &digits,
        &csv,
        &["--general", &overflowing],
    ));
    assert!(err.contains("overflowing.bpk"), "{err}");
    let eval = dir.path().join("eval");
    let ood = format!("digits={digits}");
    let err = run_err(eval_cmd(&overflowing, &digits, &ood, &eval, &[]));
    assert!(
        err.contains(&format!("the in-distribution set {digits}"))
            && err.contains("overflowing.bpk"),
        "{err}"
    );
    assert!(
        !eval.join("eval.json").exists(),
        "no AUROC of 50 is reported"
    );
}

#[test]
fn partly_non_finite_scores_are_counted_in_warnings_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (_, overflowing) = fine_and_overflowing(dir.path());
    let mixed = digits_then_black(dir.path(), 6, 2);
    let csv = dir.path().join("scores.csv");
    let out = run_ok(score_cmd(&overflowing, &mixed, &csv, &[]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: 6 of 8 images of") && err.contains("overflowing.bpk"),
        "{err}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("(over 2 images; 6 non-finite left out)"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(&csv).unwrap();
    let log_p = column(&csv, "in_log_p");
    assert_eq!(log_p.iter().filter(|v| v.is_finite()).count(), 2);
    assert!(log_p[6..].iter().all(|v| v.is_finite()), "the black images");

    let eval = dir.path().join("eval");
    let ood = format!("mixed={mixed}");
    let out = run_ok(eval_cmd(&overflowing, &mixed, &ood, &eval, &[]));
    let markdown = String::from_utf8_lossy(&out.stdout);
    assert!(
        markdown.contains("rank as the most anomalous")
            && markdown.contains("in-distribution 6, mixed 6"),
        "{markdown}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(eval.join("eval.json")).unwrap()).unwrap();
    assert_eq!(report["metrics"]["mixed"]["log_p"]["nonfinite_ood"], 6);
    assert!(report["nonfinite_scores"].as_str().is_some());
}

#[test]
fn detect_fails_when_every_score_is_non_finite_and_counts_the_ones_that_are() {
    let dir = tempfile::tempdir().unwrap();
    let (fine, overflowing) = fine_and_overflowing(dir.path());
    let detector = dir.path().join("detector");
    run_ok([
        "calibrate",
        "--model",
        &fine,
        "--held-out",
        &fashion(),
        "--validation",
        "100",
        "--out",
        &path_arg(&detector),
    ]);
    // The detector's model swapped for the overflowing one (same architecture).
    std::fs::copy(&overflowing, detector.join("in/model.bpk")).unwrap();
    std::fs::copy(
        dir.path().join("overflowing.json"),
        detector.join("in/model.json"),
    )
    .unwrap();
    let flags = dir.path().join("flags.csv");
    let detect = |data: &str| {
        let detector = path_arg(&detector);
        let flags = path_arg(&flags);
        [
            "detect",
            "--detector",
            &detector,
            "--data",
            data,
            "--out",
            &flags,
        ]
        .map(String::from)
    };
    let err = run_err(detect(&digits_then_black(dir.path(), 4, 0)));
    assert!(
        err.contains("non-finite") && err.contains("detector"),
        "{err}"
    );
    assert!(!flags.exists(), "a failed detect wrote its CSV");

    let out = run_ok(detect(&digits_then_black(dir.path(), 6, 2)));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: 6 of 8 images of"), "{err}");
    let csv = std::fs::read_to_string(&flags).unwrap();
    let flagged: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(
        flagged[..6],
        ["1"; 6],
        "non-finite scores are flagged: {csv}"
    );
}

/// The values of `name` in a CSV with a header line.
fn column(csv: &str, name: &str) -> Vec<f64> {
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let index = header.split(',').position(|c| c == name).unwrap();
    lines
        .map(|l| l.split(',').nth(index).unwrap().parse().unwrap())
        .collect()
}

/// Waits until the run writing into `out` has saved its first checkpoint (it holds the
/// folder's lock from before its first step to the end).
fn wait_for_checkpoint(out: &Path) {
    let latest: PathBuf = out.join("checkpoints/latest");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !latest.exists() {
        assert!(Instant::now() < deadline, "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Sends `signal` (`STOP`, `CONT`) to process `pid`.
fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_second_run_in_a_folder_another_run_holds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let steps = 60;
    let mut first = Command::new(env!("CARGO_BIN_EXE_flowood"))
        .args(tiny_train(dir.path(), steps))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_checkpoint(dir.path());
    // Stopped, the first run keeps its lock for as long as the second one needs.
    signal(first.id(), "STOP");
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run ended before the second started"
    );
    let mut resume = tiny_train(dir.path(), steps);
    resume.push("--resume".into());
    for second in [tiny_train(dir.path(), steps), resume] {
        let err = run_err(second);
        assert!(
            err.contains(&dir.path().display().to_string()) && err.contains("another run"),
            "{err}"
        );
    }
    signal(first.id(), "CONT");
    assert!(first.wait().unwrap().success());
    let metrics = std::fs::read_to_string(dir.path().join("metrics.jsonl")).unwrap();
    let steps_logged = metrics.lines().filter(|l| l.contains("\"step\":")).count();
    assert_eq!(
        steps_logged,
        steps + 1,
        "one line per step and the final test"
    );
    Glow::load(&dir.path().join("model.bpk"), &Device::flex()).unwrap();
}
