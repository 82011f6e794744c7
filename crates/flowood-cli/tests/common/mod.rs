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
