//! `flowood train`/`finetune --supervised`: a model fine-tuned on Fashion-MNIST's labels
//! carries its class head in model.json, every score of `flowood score` is computed from it,
//! and data without labels or a missing general model are one-line errors.

mod common;

use common::{digits, fashion, run_err, run_ok, score_cmd, tiny_train};

#[test]
fn finetune_supervised_saves_the_head_and_scores_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let general_dir = dir.path().join("general");
    run_ok(tiny_train(&general_dir, 1));
    let general = general_dir.join("model.bpk").display().to_string();
    let out = dir.path().join("supervised");
    let finetune = |steps: &str, resume: bool| {
        let mut args: Vec<String> = [
            "finetune",
            "--from",
            &general,
            "--supervised",
            "--general",
            &general,
            "--data",
            &fashion(),
            "--validation",
            "2000",
            "--batch-size",
            "16",
            "--max-steps",
            steps,
            "--checkpoint-every",
            "1",
            "--eval-batches",
            "1",
            "--quiet",
            "--out",
            &out.display().to_string(),
        ]
        .map(String::from)
        .to_vec();
        if resume {
            args.push("--resume".into());
        }
        run_ok(args)
    };
    finetune("1", false);
    finetune("2", true);
    let json = std::fs::read_to_string(out.join("model.json")).unwrap();
    assert!(json.contains("\"classes\": 10"), "{json}");

    let (idx, _) = digits(dir.path(), 8);
    let csv = dir.path().join("scores.csv");
    let model = out.join("model.bpk").display().to_string();
    run_ok(score_cmd(
        &model,
        &idx,
        &csv,
        &["--general", &general, "--complexity"],
    ));
    let text = std::fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 8);
    for column in [
        "score_log_p",
        "score_final_scale",
        "score_ratio",
        "score_complexity",
    ] {
        let i = header.iter().position(|c| *c == column).unwrap();
        assert!(rows.iter().all(|r| r[i].is_finite()), "{column}");
    }
}

#[test]
fn supervised_training_without_labels_or_general_model_fails_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(tiny_train(&dir.path().join("general"), 1));
    let general = dir.path().join("general/model.bpk").display().to_string();
    let (idx, _) = digits(dir.path(), 40);
    let with = |data: &str, extra: &[&str]| {
        let mut args = tiny_train(&dir.path().join("out"), 1);
        let at = args.iter().position(|a| a == "--data").unwrap();
        args[at + 1] = data.to_string();
        args.push("--supervised".into());
        args.extend(extra.iter().map(|s| s.to_string()));
        run_err(args)
    };
    let err = with(&idx, &["--general", &general]);
    assert!(err.contains("this data has none"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let err = with(&fashion(), &[]);
    assert!(err.contains("--supervised needs --general"), "{err}");
}
