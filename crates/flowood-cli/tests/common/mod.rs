//! What the tests of the `flowood` binary share: running it, and a tiny training run.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

use flowood::data::data_dir;

/// Runs the binary with `args`.
pub fn flowood<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowood"))
        .args(args)
        .output()
        .unwrap()
}

/// Fashion-MNIST as a `--data` value.
pub fn fashion() -> String {
    format!(
        "fashion-mnist:{}",
        data_dir()
            .expect("set FLOWOOD_DATA")
            .join("fashion-mnist")
            .display()
    )
}

/// A tiny, fast training command writing into `out`.
pub fn tiny_train(out: &Path, steps: usize) -> Vec<String> {
    let steps = steps.to_string();
    let out = out.display().to_string();
    [
        "train",
        "--data",
        &fashion(),
        "--levels",
        "2",
        "--steps-per-level",
        "1",
        "--hidden",
        "8",
        "--batch-size",
        "16",
        "--max-steps",
        &steps,
        "--checkpoint-every",
        "2",
        "--eval-every",
        "0",
        "--eval-batches",
        "1",
        "--seed",
        "3",
        "--quiet",
        "--out",
        &out,
    ]
    .map(String::from)
    .to_vec()
}

/// `score --model MODEL --data DATA --out OUT`, then the `extra` flags.
pub fn score_cmd(model: &str, data: &str, out: &Path, extra: &[&str]) -> Vec<String> {
    let out = out.display().to_string();
    let mut args = vec!["score", "--model", model, "--data", data, "--out", &out];
    args.extend_from_slice(extra);
    args.into_iter().map(String::from).collect()
}

/// `eval --model MODEL --in IN --ood OOD --out OUT` (`OOD` as `NAME=KIND:PATH`), then the
/// `extra` flags.
#[allow(
    dead_code,
    reason = "each test binary compiles this module; not every one evaluates"
)]
pub fn eval_cmd(model: &str, in_data: &str, ood: &str, out: &Path, extra: &[&str]) -> Vec<String> {
    let out = out.display().to_string();
    let mut args = vec![
        "eval", "--model", model, "--in", in_data, "--ood", ood, "--out", &out,
    ];
    args.extend_from_slice(extra);
    args.into_iter().map(String::from).collect()
}

/// Runs the binary and asserts that it succeeded.
pub fn run_ok<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    let out = flowood(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs the binary, asserts that it failed and returns its standard error.
pub fn run_err<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> String {
    let out = flowood(args);
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The first `n` MNIST test images as an IDX file of another name (no labels beside it), and
/// the same images as single PNG files in a folder.
#[allow(
    dead_code,
    reason = "each test binary compiles this module; failures.rs makes no digits"
)]
pub fn digits(dir: &Path, n: usize) -> (String, String) {
    let mnist = data_dir().expect("set FLOWOOD_DATA").join("mnist");
    let raw = std::fs::read(mnist.join("t10k-images-idx3-ubyte")).unwrap();
    let mut idx = raw[..16 + n * 28 * 28].to_vec();
    idx[4..8].copy_from_slice(&(n as u32).to_be_bytes());
    let file = dir.join("digits.idx");
    std::fs::write(&file, idx).unwrap();
    let set = flowood::data::read_idx_images(&file).unwrap();
    let folder = dir.join("new-images");
    std::fs::create_dir(&folder).unwrap();
    for i in 0..n {
        let one = set.subset(&[i]).unwrap();
        flowood::data::save_grid(&one, 1, 0, &folder.join(format!("digit-{i:02}.png"))).unwrap();
    }
    (
        format!("idx:{}", file.display()),
        format!("folder:{}", folder.display()),
    )
}
