//! The `flowood` binary: help, one-line errors, and a training run killed with SIGKILL that
//! resumes to weights bit-identical to an uninterrupted run.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use flowood::burn::tensor::Device;
use flowood::data::data_dir;
use flowood::glow::Glow;

mod common;
use common::{digits, eval_cmd, fashion, flowood, run_err, run_ok, score_cmd, tiny_train};

/// The number printed right after `label` in `text`.
fn number_after(text: &str, label: &str) -> f64 {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("no `{label}` in {text}"))
        + label.len();
    let number = text[start..].split_whitespace().next().unwrap_or_default();
    number
        .parse()
        .unwrap_or_else(|_| panic!("`{number}` after `{label}`"))
}

fn weights(path: &Path) -> Vec<(String, Vec<u8>)> {
    flowood::flows::testing::parameter_bytes(&Glow::load(path, &Device::flex()).unwrap())
}

/// `flowood score` of `data` with `model` as both the in-distribution and the general model,
/// plus `extra` flags; asserts that it succeeded.
fn score_against_itself(model: &str, data: &str, extra: &[&str], out: &str) -> Output {
    let mut flags = vec!["--general", model];
    flags.extend_from_slice(extra);
    run_ok(score_cmd(model, data, Path::new(out), &flags))
}

#[test]
fn help_explains_every_flag() {
    let out = flowood(["train", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--data",
        "--preset",
        "--levels",
        "--steps-per-level",
        "--hidden",
        "--batch-size",
        "--max-steps",
        "--epochs",
        "--seed",
        "--validation",
        "--photometric",
        "--zoom-out",
        "--threads",
        "--device",
        "--out",
        "--resume",
    ] {
        assert!(text.contains(flag), "train --help lacks {flag}");
    }
    let text = String::from_utf8_lossy(&flowood(["finetune", "--help"]).stdout).into_owned();
    for flag in [
        "--from",
        "--outlier-loss",
        "--general",
        "--general-data",
        "--general-photometric",
        "--general-zoom-out",
        "--lambda",
        "--temperature",
    ] {
        assert!(text.contains(flag), "finetune --help lacks {flag}");
    }
    // The objective flags are unset unless given (so that a run can refuse them), and the
    // help still shows the value an unset flag stands for.
    let lambda = flowood::objectives::OutlierLoss::default().lambda;
    assert!(text.contains(&format!("[default: {lambda}]")), "{text}");
}

#[test]
fn bad_input_gives_one_line_and_a_failure_code() {
    for args in [
        vec!["train", "--data", "nonsense:x", "--out", "/tmp/never"],
        vec![
            "train",
            "--data",
            "fashion-mnist:/nonexistent",
            "--out",
            "/tmp/never",
        ],
        vec![
            "--device",
            "cuda",
            "train",
            "--data",
            "fashion-mnist:/nonexistent",
            "--out",
            "/tmp/never",
        ],
        vec![
            "finetune",
            "--from",
            "/nonexistent/model.bpk",
            "--data",
            "mnist:/x",
            "--out",
            "/tmp/never",
        ],
    ] {
        let out = flowood(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error:"), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn sigkilled_run_resumes_to_bit_identical_weights() {
    let straight = tempfile::tempdir().unwrap();
    run_ok(tiny_train(straight.path(), 60));

    let killed = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowood"))
        .args(tiny_train(killed.path(), 60))
        .spawn()
        .unwrap();
    let latest = killed.path().join("checkpoints/latest");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !std::fs::read_to_string(&latest).is_ok_and(|s| s.as_str() >= "step-00000004") {
        assert!(Instant::now() < deadline, "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !killed.path().join("model.bpk").exists(),
        "the run finished before it was killed"
    );

    let mut resume = tiny_train(killed.path(), 60);
    resume.push("--resume".into());
    run_ok(resume);
    assert_eq!(
        weights(&killed.path().join("model.bpk")),
        weights(&straight.path().join("model.bpk"))
    );
}

#[test]
fn sample_writes_a_png_grid() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(tiny_train(dir.path(), 2));
    let model = dir.path().join("model.bpk").display().to_string();
    let png = dir.path().join("grid.png");
    let out = flowood([
        "sample",
        "--model",
        &model,
        "--n",
        "10",
        "--columns",
        "4",
        "--out",
        &png.display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    // 4 columns and 3 rows of 32x32 images with 2 pixels of padding around each.
    assert_eq!((be(16), be(20)), (4 * 34 + 2, 3 * 34 + 2));
    let bad = flowood([
        "sample",
        "--model",
        &model,
        "--n",
        "0",
        "--out",
        &png.display().to_string(),
    ]);
    assert!(!bad.status.success());
}

#[test]
fn score_and_eval_write_their_reports() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(tiny_train(dir.path(), 2));
    let model = dir.path().join("model.bpk").display().to_string();
    let mnist = format!(
        "mnist:{}",
        data_dir()
            .expect("set FLOWOOD_DATA")
            .join("mnist")
            .display()
    );

    let csv = dir.path().join("scores.csv");
    score_against_itself(
        &model,
        &mnist,
        &["--complexity", "--threads", "3"],
        &csv.display().to_string(),
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let one_thread = dir.path().join("scores-1.csv");
    score_against_itself(
        &model,
        &mnist,
        &["--complexity", "--threads", "1"],
        &one_thread.display().to_string(),
    );
    assert!(
        std::fs::read_to_string(&one_thread).unwrap() == text,
        "scoring on 3 threads must give the same table as on one"
    );
    assert_eq!(
        text.lines().count(),
        10_001,
        "header + the 10000 MNIST test images"
    );
    let header = text.lines().next().unwrap();
    for column in [
        "score_log_p",
        "score_ratio",
        "score_lp1",
        "score_final_scale",
        "score_complexity",
        "in_F1",
        "in_A2",
        "in_N2",
        "in_lp2",
        "general_lp1",
    ] {
        assert!(
            header.split(',').any(|c| c == column),
            "{column} missing from {header}"
        );
    }

    let out = dir.path().join("eval");
    let ood = format!("mnist={mnist}");
    run_ok(eval_cmd(
        &model,
        &fashion(),
        &ood,
        &out,
        &["--general", &model],
    ));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("eval.json")).unwrap()).unwrap();
    assert_eq!(
        report["in"],
        fashion(),
        "the report names the data as given"
    );
    assert_eq!(report["ood"]["mnist"], mnist);
    let ratio = &report["metrics"]["mnist"]["ratio"];
    // A model against itself: every ratio is 0, all tied, so AUROC is exactly one half.
    assert_eq!(ratio["auroc"], 0.5);
    let auroc = report["metrics"]["mnist"]["log_p"]["auroc"]
        .as_f64()
        .unwrap();
    assert!((0.0..=1.0).contains(&auroc));
    assert_eq!(report["metrics"]["mnist"]["log_p"]["n_ood"], 10_000);
    let typicality = &report["typicality"];
    assert_eq!(typicality["fit_images"], 5_000);
    let rows = typicality["rows"].as_array().unwrap();
    let sizes: Vec<u64> = rows
        .iter()
        .map(|r| r["batch_size"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [1, 2, 5, 10, 25]);
    for row in rows {
        // Odd- and even-numbered test images are alike: about the 5% aimed at.
        let false_alarm = row["false_alarm"].as_f64().unwrap();
        assert!((0.01..0.1).contains(&false_alarm), "{row}");
        let detection = row["detection"][0]["rate"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&detection), "{row}");
    }
    for file in [
        "eval.md",
        "eval.csv",
        "hist-log_p.png",
        "hist-ratio.png",
        "roc-mnist.png",
    ] {
        assert!(out.join(file).exists(), "{file}");
    }
}

#[test]
fn validation_split_replaces_the_test_set_and_must_leave_training_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = tiny_train(dir.path(), 2);
    args.extend(["--validation", "100"].map(String::from));
    let out = run_ok(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("validation bits/dim: "), "{text}");
    assert!(!text.contains("test bits/dim"), "{text}");
    let trained = number_after(&text, "validation bits/dim: ");

    // `score --validation` scores the same held-out images, so it finds the same bits/dim.
    let model = dir.path().join("model.bpk").display().to_string();
    let csv = dir.path().join("validation.csv").display().to_string();
    let out = score_against_itself(&model, &fashion(), &["--validation", "100"], &csv);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 101);
    let scored = number_after(&text, "\nmodel: mean bits/dim ");
    assert!((scored - trained).abs() < 1e-3, "{scored} vs {trained}");
    assert_eq!(scored, number_after(&text, "general model: mean bits/dim "));

    let mut args = tiny_train(&dir.path().join("all"), 2);
    args.extend(["--validation", "60000"].map(String::from));
    let err = run_err(&args);
    assert!(err.contains("leaves nothing to train on"), "{err}");
    assert!(err.contains("60000 images"), "{err}");
}

#[test]
fn photometric_and_zoom_out_training_runs_and_bad_settings_fail() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = tiny_train(dir.path(), 2);
    args.extend(["--photometric", "4,0.5", "--zoom-out", "0.5,0.4"].map(String::from));
    run_ok(&args);
    assert!(dir.path().join("model.bpk").exists());

    let mut args = tiny_train(&dir.path().join("bad"), 2);
    args.extend(["--photometric", "0.5,0.5"].map(String::from));
    let err = run_err(&args);
    assert!(
        err.contains("contrast must be a finite factor >= 1"),
        "{err}"
    );

    let mut args = tiny_train(&dir.path().join("bad-zoom"), 2);
    args.extend(["--zoom-out", "0.5,0"].map(String::from));
    let err = run_err(&args);
    assert!(err.contains("zoom-out scale must be in (0, 1]"), "{err}");
}

#[test]
fn data_parallel_training_runs_and_bad_thread_counts_fail() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = tiny_train(dir.path(), 2);
    args.extend(["--threads", "2"].map(String::from));
    run_ok(&args);
    assert!(dir.path().join("model.bpk").exists());
    let state =
        std::fs::read_to_string(dir.path().join("checkpoints/step-00000002/state.json")).unwrap();
    assert!(state.contains("\"threads\": 2"), "{state}");

    let mut args = tiny_train(&dir.path().join("zero"), 2);
    args.extend(["--threads", "0"].map(String::from));
    let err = run_err(&args);
    assert!(
        err.contains("--threads") && err.contains("at least 1"),
        "{err}"
    );

    let err = run_err(score_cmd(
        "m.bpk",
        "mnist:x",
        Path::new("s.csv"),
        &["--threads", "two"],
    ));
    assert!(err.contains("`two` is not a whole number"), "{err}");
    // A count no machine has cores for is refused, not run (it hung in the shard search).
    let too_many = (flowood::host::MAX_THREADS + 1).to_string();
    let err = run_err(score_cmd(
        "m.bpk",
        "mnist:x",
        Path::new("s.csv"),
        &["--threads", &too_many],
    ));
    assert!(err.contains("at most"), "{err}");
}

#[test]
fn pretrained_models_are_taken_by_name_wherever_a_model_is() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("grey32.safetensors");
    run_ok([
        "export",
        "--model",
        "pretrained:grey32",
        "--out",
        &st.display().to_string(),
    ]);
    // The export is the shipped model: its configuration beside it, and the same weights.
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("grey32.json")).unwrap())
            .unwrap();
    assert_eq!(config["in_channels"], 1);
    let device = Device::default();
    let shipped = flowood::pretrained::Pretrained::Grey32
        .load(&device)
        .unwrap();
    let config: flowood::glow::GlowConfig = serde_json::from_value(config).unwrap();
    let exported = config
        .init(&device, 7)
        .unwrap()
        .import_safetensors(&st)
        .unwrap();
    let x = flowood::burn::tensor::Tensor::<4>::zeros([2, 1, 32, 32], &device);
    let (a, b) = (
        shipped.log_likelihood(x.clone()).unwrap().to_host().total,
        exported.log_likelihood(x).unwrap().to_host().total,
    );
    assert_eq!(a, b);
    let png = dir.path().join("grid.png").display().to_string();
    run_ok([
        "sample",
        "--model",
        "pretrained:grey32",
        "--n",
        "4",
        "--out",
        &png,
    ]);
    let err = run_err([
        "sample",
        "--model",
        "pretrained:grey64",
        "--n",
        "4",
        "--out",
        &png,
    ]);
    assert!(err.contains("grey64") && err.contains("grey32"), "{err}");
}

#[test]
fn calibrate_builds_a_detector_and_detect_flags_images_below_its_threshold() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(tiny_train(dir.path(), 2));
    let model = dir.path().join("model.bpk").display().to_string();
    let (idx, folder) = digits(dir.path(), 12);
    let detector = dir.path().join("detector");
    let out = run_ok([
        "calibrate",
        "--model",
        &model,
        "--held-out",
        &fashion(),
        "--validation",
        "200",
        "--anomalies",
        &idx,
        "--tpr",
        "0.9",
        "--out",
        &detector.display().to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("final_scale: threshold"), "{stdout}");
    let kept = number_after(&stdout.replace('%', " "), "keeps");
    assert!((90.0..91.0).contains(&kept), "{stdout}");
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(detector.join("detector.json")).unwrap())
            .unwrap();
    let threshold = settings["calibration"]["threshold"].as_f64().unwrap();
    assert_eq!(settings["calibration"]["held_out"], 200);
    assert_eq!(settings["calibration"]["anomalies"], 12);
    assert!(detector.join("in/model.bpk").is_file());

    for (data, files) in [(&idx, false), (&folder, true)] {
        let flags = dir.path().join("flags.csv");
        let out = run_ok([
            "detect",
            "--detector",
            &detector.display().to_string(),
            "--data",
            data,
            "--out",
            &flags.display().to_string(),
        ]);
        let csv = std::fs::read_to_string(&flags).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("image,file,score,anomalous"));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 12);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row[0], i.to_string());
            assert_eq!(
                row[1].ends_with(&format!("digit-{i:02}.png")),
                files,
                "{row:?}"
            );
            let score: f64 = row[2].parse().unwrap();
            assert_eq!(
                row[3],
                if score >= threshold { "0" } else { "1" },
                "{row:?}"
            );
        }
        let flagged = rows.iter().filter(|r| r[3] == "1").count();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.starts_with(&format!("{flagged} of 12 images flagged")),
            "{stdout}"
        );
    }
}

#[test]
fn calibrate_and_detect_refuse_bad_settings_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(tiny_train(dir.path(), 2));
    let model = dir.path().join("model.bpk").display().to_string();
    let out = dir.path().join("detector").display().to_string();
    let calibrate = |extra: &[&str]| {
        let mut args = vec!["calibrate", "--model", &model, "--validation", "50"];
        args.extend_from_slice(extra);
        let held_out = fashion();
        args.extend(["--held-out", &held_out, "--out", &out]);
        run_err(args)
    };
    assert!(calibrate(&["--score", "bogus"]).contains("final_scale"));
    assert!(calibrate(&["--score", "ratio"]).contains("needs a general model"));
    assert!(calibrate(&["--tpr", "1.5"]).contains("not in (0, 1]"));
    let missing = run_err([
        "detect",
        "--detector",
        &dir.path().join("nothing").display().to_string(),
        "--data",
        &fashion(),
        "--out",
        &dir.path().join("flags.csv").display().to_string(),
    ]);
    assert!(missing.contains("detector.json"), "{missing}");
    assert_eq!(missing.trim_end().lines().count(), 1, "{missing}");
}

#[test]
fn an_epoch_count_that_overflows_the_steps_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run").display().to_string();
    let err = run_err([
        "train",
        "--data",
        &fashion(),
        "--epochs",
        "3074457345618258603",
        "--out",
        &out,
    ]);
    assert!(err.contains("--epochs 3074457345618258603"), "{err}");
    assert!(!dir.path().join("run").join("model.bpk").exists());
}

/// A flag that the chosen objective would not use is refused before any work, so that nobody
/// believes a run used a general model or general data it ignored.
#[test]
fn flags_the_objective_would_ignore_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let photos = format!(
        "photos:{}",
        data_dir().unwrap().join("general-photos").display()
    );
    let finetune = |extra: &[&str]| {
        let mut args = vec!["finetune", "--from", "pretrained:fashion32", "--data"];
        let data = fashion();
        args.push(&data);
        args.extend_from_slice(extra);
        args.extend(["--max-steps", "1", "--out", out.to_str().unwrap()]);
        run_err(&args)
    };
    let err = finetune(&["--general", "pretrained:grey32"]);
    assert!(err.contains("--general is used only by"), "{err}");
    let err = finetune(&["--general-data", &photos]);
    assert!(
        err.contains("--general-data is used only by --outlier-loss"),
        "{err}"
    );
    let err = finetune(&["--general-zoom-out", "0.75,0.25"]);
    assert!(err.contains("--general-data"), "{err}");
    let with_ratio = ["--outlier-loss", "ratio", "--general", "pretrained:grey32"];
    let err = finetune(
        &[
            &with_ratio[..],
            &["--general-data", &photos, "--margin", "5"],
        ]
        .concat(),
    );
    assert!(
        err.contains("--margin is used only by --outlier-loss margin"),
        "{err}"
    );
    let ratio_only = "--lambda and --temperature are used only by --outlier-loss ratio";
    let err = finetune(&["--lambda", "100"]);
    assert!(err.contains(ratio_only), "{err}");
    let err = finetune(&[
        "--outlier-loss",
        "margin",
        "--general-data",
        &photos,
        "--temperature",
        "5",
    ]);
    assert!(err.contains(ratio_only), "{err}");

    let train = |extra: &[&str]| {
        let mut args = tiny_train(&out, 1);
        args.extend(extra.iter().map(|s| s.to_string()));
        run_err(&args)
    };
    let err = train(&["--general", "pretrained:grey32"]);
    assert!(err.contains("--general is used only by"), "{err}");
    let err = train(&["--wrong-class-temperature", "10"]);
    assert!(err.contains("are used only by --supervised"), "{err}");
    assert!(!out.exists(), "a refused run created its output folder");
}

#[test]
fn ood_names_that_would_break_reports_or_repeat_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mnist = format!("mnist:{}", data_dir().unwrap().join("mnist").display());
    let eval = |ood: &[String]| {
        let mut args = vec![
            "eval".to_string(),
            "--model".into(),
            "pretrained:grey32".into(),
            "--in".into(),
            fashion(),
            "--out".into(),
            dir.path().join("eval").display().to_string(),
        ];
        for o in ood {
            args.extend(["--ood".to_string(), o.clone()]);
        }
        run_err(args)
    };
    for bad in ["a,b", "../x", "", "a b"] {
        let err = eval(&[format!("{bad}={mnist}")]);
        assert!(
            err.contains("--ood") && err.contains("must be letters"),
            "{bad}: {err}"
        );
    }
    let err = eval(&[format!("m={mnist}"), format!("m={mnist}")]);
    assert!(err.contains("`m` is given twice"), "{err}");
    assert!(!dir.path().join("eval").exists());
}

#[test]
fn analyze_correlates_models_and_a_model_ranks_like_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_ok(tiny_train(&a, 2));
    let mut other = tiny_train(&b, 2);
    let seed = other.iter().position(|f| f == "--seed").unwrap() + 1;
    other[seed] = "4".into();
    run_ok(other);
    let (a, b) = (
        a.join("model.bpk").display().to_string(),
        b.join("model.bpk").display().to_string(),
    );
    // The same 12 digits twice, as an IDX file and as PNG files.
    let (idx, folder) = digits(dir.path(), 12);
    let out = dir.path().join("analyze");
    let analyze = |models: &[String]| {
        let mut args: Vec<String> = ["analyze", "--general", &b, "--data"]
            .map(String::from)
            .to_vec();
        args.extend([
            format!("idx={idx}"),
            "--data".into(),
            format!("png={folder}"),
        ]);
        for m in models {
            args.extend(["--model".into(), m.clone()]);
        }
        args.extend(["--out".into(), out.display().to_string()]);
        args
    };
    run_ok(analyze(&[
        format!("a={a}"),
        format!("b={b}"),
        format!("again={a}"),
    ]));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("analyze.json")).unwrap()).unwrap();
    for set in report["spearman_log_p"].as_array().unwrap() {
        assert_eq!(set["images"], 12);
        let rho = |i: usize, j: usize| set["rho"][i][j].as_f64().unwrap();
        for (i, j) in [(0, 0), (1, 1), (0, 2), (2, 0)] {
            assert!((rho(i, j) - 1.0).abs() < 1e-12, "{set}");
        }
        assert!((-1.0..=1.0).contains(&rho(0, 1)), "{set}");
        assert_eq!(rho(0, 1), rho(1, 0));
    }
    for model in report["per_model"].as_array().unwrap() {
        let scores = model["scores"].as_array().unwrap();
        assert!(scores.contains(&"lp1".into()) && scores.contains(&"ratio".into()));
        // The second set holds the images of the first: every AUROC is exactly one half.
        let auroc = model["auroc"][0]["auroc"].as_array().unwrap();
        assert_eq!(auroc.len(), scores.len());
        assert!(auroc.iter().all(|v| v == 0.5), "{model}");
        assert_eq!(model["sets"][0]["lp"].as_array().unwrap().len(), 2);
    }
    // b against itself as the general model: every ratio is 0.
    assert_eq!(report["per_model"][1]["sets"][0]["ratio"], 0.0);
    let markdown = std::fs::read_to_string(out.join("analyze.md")).unwrap();
    assert!(markdown.contains("| again | 1.000 |"), "{markdown}");
    for file in ["hist-bpd-a.png", "hist-bpd-again.png", "hist-ratio-b.png"] {
        assert!(out.join(file).is_file(), "{file}");
    }

    let err = run_err(analyze(&[format!("a={a}"), format!("a={b}")]));
    assert!(err.contains("--model name `a` is given twice"), "{err}");
    let err = run_err(analyze(std::slice::from_ref(&a)));
    assert!(err.contains("is not NAME=VALUE"), "{err}");
}

#[test]
fn local_and_dense_models_train_record_their_architecture_and_score() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, _) = digits(dir.path(), 8);
    for (model, expected) in [
        ("local", serde_json::json!({"kind": "local", "patch": 8})),
        ("dense", serde_json::json!({"kind": "dense"})),
    ] {
        let out = dir.path().join(model);
        let mut args = tiny_train(&out, 2);
        args.extend(["--model".into(), model.into()]);
        run_ok(args);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("model.json")).unwrap())
                .unwrap();
        assert_eq!(json["architecture"], expected, "{model}");
        let model_path = out.join("model.bpk").display().to_string();
        let report = out.join("score.csv").display().to_string();
        score_against_itself(&model_path, &idx, &[], &report);
        let rows = std::fs::read_to_string(&report).unwrap().lines().count();
        assert_eq!(rows, 9, "{model}: header + 8 digits");
    }
    let mut bad = tiny_train(&dir.path().join("bad"), 2);
    bad.extend(["--model", "local", "--patch", "6"].map(String::from));
    let err = run_err(bad);
    assert!(
        err.starts_with("error:") && err.contains("patch 6"),
        "{err}"
    );
}
