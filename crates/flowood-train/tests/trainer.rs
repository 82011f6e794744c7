//! The training loop on real Fashion-MNIST images with a tiny Glow: it learns, it resumes
//! bit-for-bit, it checkpoints atomically, the guard skips non-finite steps, fine-tuning
//! with the outlier loss leaves the general model untouched, and recomputing activations
//! changes nothing but memory.

mod common;

use burn::module::Module;
use burn::tensor::Device;
use common::{images, tiny};
use flowood_data::{Augment, BatchConfig, Batcher, Split};
use flowood_glow::{Glow, GlowConfig};
use flowood_objectives::OutlierLoss;
use flowood_train::{BatchVerdict, batch_verdict};
use flowood_train::{
    MetricsRecord, Objective, TrainConfig, TrainData, TrainError, Trainer, evaluate_bits_per_dim,
};

fn config(max_steps: usize) -> TrainConfig {
    TrainConfig {
        batch_size: 16,
        max_steps,
        checkpoint_every: 2,
        eval_every: 0,
        init_batches: 2,
        ..TrainConfig::default()
    }
}

fn data(seed: u64) -> TrainData {
    TrainData {
        train: Batcher::new(
            images(Split::Train, 256),
            BatchConfig::train(16, Some(Augment::translate()), seed),
        )
        .unwrap(),
        test: Some(Batcher::new(images(Split::Test, 64), BatchConfig::eval(32)).unwrap()),
        general: None,
    }
}

/// An initialised tiny general model, and [`data`]`(seed)` with general batches (Fashion-MNIST
/// test images) for the outlier loss.
fn with_general(seed: u64, device: &Device) -> (Glow, TrainData) {
    let data = data(seed);
    let init = data.train.batch(0, 0).unwrap().into_tensor(device);
    let general = tiny()
        .init(device, 5)
        .unwrap()
        .initialize(std::slice::from_ref(&init))
        .unwrap();
    let general_batches =
        Batcher::new(images(Split::Test, 128), BatchConfig::train(16, None, 1)).unwrap();
    let data = TrainData {
        general: Some(general_batches),
        ..data
    };
    (general, data)
}

fn weights(model: &Glow) -> Vec<(String, Vec<u8>)> {
    flowood_flows::testing::parameter_bytes(model)
}

#[test]
fn training_lowers_test_bits_per_dim() {
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let data = data(0);
    let model = tiny().init(&device, 0).unwrap();
    let trainer = Trainer::new(
        TrainConfig {
            learning_rate: 2e-3,
            ..config(30)
        },
        &device,
        dir.path(),
    )
    .unwrap();
    let initialised = model
        .clone()
        .initialize(&[data.train.batch(0, 0).unwrap().into_tensor(&device)])
        .unwrap();
    let before =
        evaluate_bits_per_dim(&initialised, data.test.as_ref().unwrap(), 0, &device).unwrap();
    let (_, summary) = trainer.fit(model, None, &data, false).unwrap();
    let after = summary.test_bits_per_dim.unwrap();
    assert!(after < before - 0.2, "test bits/dim {before} -> {after}");
    assert_eq!(summary.steps, 30);
    assert!(summary.model_path.exists());
    let metrics = std::fs::read_to_string(dir.path().join("metrics.jsonl")).unwrap();
    let records: Vec<MetricsRecord> = metrics
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        records
            .iter()
            .filter(|r| matches!(r, MetricsRecord::Step { .. }))
            .count(),
        30
    );
    assert!(matches!(
        records.last(),
        Some(MetricsRecord::Eval { step: 30, .. })
    ));
}

#[test]
fn resumed_run_ends_bit_identical_to_an_uninterrupted_one() {
    // On one thread and data-parallel on two (thread timing must not change the result).
    for threads in [1, 2] {
        let config = |max_steps| TrainConfig {
            threads,
            ..config(max_steps)
        };
        let device = Device::flex();
        let straight = tempfile::tempdir().unwrap();
        let (full, _) = Trainer::new(config(6), &device, straight.path())
            .unwrap()
            .fit(tiny().init(&device, 1).unwrap(), None, &data(3), false)
            .unwrap();

        let interrupted = tempfile::tempdir().unwrap();
        Trainer::new(config(4), &device, interrupted.path())
            .unwrap()
            .fit(tiny().init(&device, 1).unwrap(), None, &data(3), false)
            .unwrap();
        let latest =
            std::fs::read_to_string(interrupted.path().join("checkpoints/latest")).unwrap();
        assert_eq!(latest, "step-00000004");
        // A fresh, different model is ignored: the checkpoint is what resumes.
        let (resumed, summary) = Trainer::new(config(6), &device, interrupted.path())
            .unwrap()
            .fit(tiny().init(&device, 99).unwrap(), None, &data(3), true)
            .unwrap();
        assert_eq!(summary.steps, 6);
        assert_eq!(weights(&resumed), weights(&full), "threads {threads}");
    }
}

#[test]
fn checkpoints_keep_only_the_latest_complete_folder() {
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    Trainer::new(config(5), &device, dir.path())
        .unwrap()
        .fit(tiny().init(&device, 0).unwrap(), None, &data(0), false)
        .unwrap();
    let mut entries: Vec<String> = std::fs::read_dir(dir.path().join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        vec!["latest".to_string(), "step-00000005".to_string()]
    );
    for file in ["model.bpk", "model.json", "optimizer.bpk", "state.json"] {
        assert!(
            dir.path()
                .join("checkpoints/step-00000005")
                .join(file)
                .exists(),
            "{file}"
        );
    }
}

#[test]
fn guard_skips_steps_whose_loss_is_not_finite() {
    let device = Device::flex();
    let data = data(0);
    let model = tiny()
        .init(&device, 0)
        .unwrap()
        .initialize(&[data.train.batch(0, 0).unwrap().into_tensor(&device)])
        .unwrap();
    let mut broken = model.clone();
    broken.scales[0].steps[0].actnorm.log_scale = broken.scales[0].steps[0]
        .actnorm
        .log_scale
        .clone()
        .map(|t| t.add_scalar(f64::NAN));
    for threads in [1, 2] {
        let config = TrainConfig {
            threads,
            ..config(3)
        };
        let dir = tempfile::tempdir().unwrap();
        // Every step skipped: an error, and no final model presented as the result.
        let result = Trainer::new(config, &device, dir.path()).unwrap().fit(
            broken.clone(),
            None,
            &data,
            false,
        );
        assert!(
            matches!(
                result,
                Err(TrainError::NoProgress {
                    steps: 3,
                    skipped: 3
                })
            ),
            "threads {threads}"
        );
        assert!(!dir.path().join("model.bpk").exists());
    }
}

#[test]
fn batch_verdict_follows_the_quarter_rule() {
    assert_eq!(
        batch_verdict(&[1.0, 2.0, 3.0, 4.0]),
        BatchVerdict::AllFinite
    );
    assert_eq!(
        batch_verdict(&[1.0, f64::NAN, 3.0, f64::INFINITY]),
        BatchVerdict::FinitePart(vec![0, 2])
    );
    assert_eq!(
        batch_verdict(&[1.0, f64::NAN, f64::NAN, f64::NAN]),
        BatchVerdict::Skip
    );
    assert_eq!(
        batch_verdict(&[
            1.0,
            2.0,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN
        ]),
        BatchVerdict::Skip
    );
}

#[test]
fn outlier_fine_tuning_keeps_the_general_model_frozen() {
    let device = Device::flex();
    let (general, data) = with_general(0, &device);
    let general_before = weights(&general);
    let objective = Objective::OutlierRatio(OutlierLoss {
        lambda: 6000.0,
        temperature: 1000.0,
    });
    let dir = tempfile::tempdir().unwrap();
    let start = general.clone();
    // Two threads: each shard takes half the in-distribution and half the general batch.
    let (tuned, summary) = Trainer::new(
        TrainConfig {
            objective,
            threads: 2,
            ..config(3)
        },
        &device,
        dir.path(),
    )
    .unwrap()
    .fit(start, Some(&general), &data, false)
    .unwrap();
    assert_eq!(summary.skipped_steps, 0);
    assert_eq!(weights(&general), general_before);
    assert_ne!(weights(&tuned.valid()), general_before);
    let no_general = Trainer::new(
        TrainConfig {
            objective,
            ..config(1)
        },
        &device,
        dir.path(),
    )
    .unwrap()
    .fit(tiny().init(&device, 0).unwrap(), None, &data, false);
    assert!(matches!(
        no_general,
        Err(TrainError::InvalidSetting {
            name: "objective",
            ..
        })
    ));
}

#[test]
fn invalid_settings_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "batch_size",
            TrainConfig {
                batch_size: 0,
                ..TrainConfig::default()
            },
        ),
        (
            "learning_rate",
            TrainConfig {
                learning_rate: f64::NAN,
                ..TrainConfig::default()
            },
        ),
        (
            "threads",
            TrainConfig {
                threads: 0,
                ..TrainConfig::default()
            },
        ),
        (
            "cooldown_steps",
            TrainConfig {
                warmup_steps: 600,
                cooldown_steps: 500,
                ..TrainConfig::default()
            },
        ),
    ];
    for (field, config) in cases {
        let bad = Trainer::new(config, &Device::flex(), dir.path());
        assert!(
            matches!(bad, Err(TrainError::InvalidSetting { name, .. }) if name == field),
            "{field}"
        );
    }
}

#[test]
fn objectives_keep_their_checkpoint_format() {
    // The JSON that `state.json` held before the objectives carried their loss values.
    let cases = [
        (Objective::Nll, r#"{"kind":"nll"}"#),
        (
            Objective::OutlierRatio(OutlierLoss {
                lambda: 6000.0,
                temperature: 1000.0,
            }),
            r#"{"kind":"outlier_ratio","lambda":6000.0,"temperature":1000.0}"#,
        ),
        (
            Objective::Margin(flowood_objectives::MarginLoss { margin: 1024.0 }),
            r#"{"kind":"margin","margin":1024.0}"#,
        ),
    ];
    for (objective, json) in cases {
        assert_eq!(serde_json::to_string(&objective).unwrap(), json);
        assert_eq!(serde_json::from_str::<Objective>(json).unwrap(), objective);
    }
}

#[test]
fn resuming_with_other_settings_architecture_or_data_is_refused() {
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    Trainer::new(config(2), &device, dir.path())
        .unwrap()
        .fit(tiny().init(&device, 1).unwrap(), None, &data(3), false)
        .unwrap();
    let resume = |config: TrainConfig, model: GlowConfig, data: &TrainData| {
        Trainer::new(config, &device, dir.path()).unwrap().fit(
            model.init(&device, 1).unwrap(),
            None,
            data,
            true,
        )
    };
    let other_seed = TrainConfig {
        seed: 7,
        ..config(4)
    };
    let wider = GlowConfig {
        hidden_channels: 16,
        ..tiny()
    };
    let mut other_data = data(3);
    other_data.train = Batcher::new(
        images(Split::Test, 256),
        BatchConfig::train(16, Some(Augment::translate()), 3),
    )
    .unwrap();
    let cases = [
        (resume(other_seed, tiny(), &data(3)), "seed"),
        (resume(config(4), wider, &data(3)), "architecture"),
        (resume(config(4), tiny(), &other_data), "training data"),
    ];
    for (result, expected) in cases {
        match result {
            Err(TrainError::ResumeMismatch { setting, .. }) => assert_eq!(setting, expected),
            Err(other) => panic!("{expected}: expected ResumeMismatch, got {other}"),
            Ok(_) => panic!("{expected}: resumed a different run"),
        }
    }
    // The same run resumes; more steps are allowed.
    let (_, summary) = resume(config(4), tiny(), &data(3)).unwrap();
    assert_eq!(summary.steps, 4);
}

#[test]
fn a_run_with_a_cooldown_resumes_only_to_the_same_last_step() {
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let cooling = |max_steps| TrainConfig {
        cooldown_steps: 2,
        ..config(max_steps)
    };
    let run = |config: TrainConfig, resume| {
        Trainer::new(config, &device, dir.path()).unwrap().fit(
            tiny().init(&device, 1).unwrap(),
            None,
            &data(3),
            resume,
        )
    };
    run(cooling(4), false).unwrap();
    match run(cooling(6), true) {
        Err(TrainError::ResumeMismatch { setting, .. }) => assert_eq!(setting, "cooldown_end"),
        other => panic!("moved the cool-down's end: {:?}", other.map(|r| r.1)),
    }
    let (_, summary) = run(cooling(4), true).unwrap();
    assert_eq!(summary.steps, 4);
}

#[test]
fn a_fresh_run_does_not_start_over_an_older_one() {
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let fresh = || {
        Trainer::new(config(2), &device, dir.path()).unwrap().fit(
            tiny().init(&device, 1).unwrap(),
            None,
            &data(3),
            false,
        )
    };
    fresh().unwrap();
    assert!(matches!(fresh(), Err(TrainError::OutputHoldsRun { .. })));
}

#[test]
fn a_second_run_in_the_same_folder_is_refused_while_the_first_runs() {
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    // What a running `fit` holds for its whole duration.
    let held = std::fs::File::create(dir.path().join(".flowood.lock")).unwrap();
    held.lock().unwrap();
    let second = Trainer::new(config(2), &device, dir.path()).unwrap().fit(
        tiny().init(&device, 1).unwrap(),
        None,
        &data(3),
        false,
    );
    assert!(matches!(second, Err(TrainError::OutputLocked { .. })));
    assert!(!dir.path().join("metrics.jsonl").exists());
    held.unlock().unwrap();
    Trainer::new(config(2), &device, dir.path())
        .unwrap()
        .fit(tiny().init(&device, 1).unwrap(), None, &data(3), false)
        .unwrap();
}

#[test]
fn absurd_optimiser_and_objective_numbers_are_refused() {
    let cases = [
        (
            "weight_decay",
            TrainConfig {
                weight_decay: f64::NAN,
                ..config(2)
            },
        ),
        (
            "weight_decay",
            TrainConfig {
                weight_decay: -1e-4,
                ..config(2)
            },
        ),
        (
            "learning_rate",
            TrainConfig {
                learning_rate: f64::INFINITY,
                ..config(2)
            },
        ),
        (
            "temperature",
            TrainConfig {
                objective: Objective::OutlierRatio(OutlierLoss {
                    lambda: 6000.0,
                    temperature: 0.0,
                }),
                ..config(2)
            },
        ),
        (
            "lambda",
            TrainConfig {
                objective: Objective::OutlierRatio(OutlierLoss {
                    lambda: f64::NAN,
                    temperature: 1000.0,
                }),
                ..config(2)
            },
        ),
        (
            "margin",
            TrainConfig {
                objective: Objective::Margin(flowood_objectives::MarginLoss { margin: f64::NAN }),
                ..config(2)
            },
        ),
    ];
    for (name, config) in cases {
        match Trainer::new(config, &Device::flex(), "/nonexistent/never-created") {
            Err(TrainError::InvalidSetting { name: n, .. }) => assert_eq!(n, name),
            Err(other) => panic!("{name}: {other}"),
            Ok(_) => panic!("{name}: accepted"),
        }
    }
}

#[test]
fn a_run_that_diverges_is_an_error_and_saves_no_model() {
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let config = TrainConfig {
        learning_rate: 1e30,
        ..config(3)
    };
    let result = Trainer::new(config, &device, dir.path()).unwrap().fit(
        tiny().init(&device, 1).unwrap(),
        None,
        &data(3),
        false,
    );
    assert!(
        matches!(
            result,
            Err(TrainError::Diverged { .. }
                | TrainError::NoProgress { .. }
                | TrainError::NonFiniteTest { .. })
        ),
        "{:?}",
        result.map(|r| r.1)
    );
    assert!(!dir.path().join("model.bpk").exists());
}

#[test]
fn an_empty_test_set_is_an_error_not_zero_bits_per_dim() {
    let device = Device::flex();
    let model = tiny().init(&device, 0).unwrap();
    let empty = images(Split::Test, 64).subset(&[]).unwrap();
    let test = Batcher::new(empty, BatchConfig::eval(32));
    if let Ok(test) = test {
        assert!(evaluate_bits_per_dim(&model, &test, 0, &device).is_err());
    }
}

#[test]
fn recomputing_flow_steps_gives_the_same_training() {
    // NLL and the outlier loss (two taped forward passes per shard: the training and the general
    // batch), each on two threads, with and without recomputation: the same weights.
    let device = Device::flex();
    let (general, data) = with_general(2, &device);
    let outlier = Objective::OutlierRatio(OutlierLoss {
        lambda: 6000.0,
        temperature: 1000.0,
    });
    for objective in [Objective::Nll, outlier] {
        let run = |recompute| {
            let dir = tempfile::tempdir().unwrap();
            let config = TrainConfig {
                objective,
                threads: 2,
                recompute,
                ..config(3)
            };
            let (model, _) = Trainer::new(config, &device, dir.path())
                .unwrap()
                .fit(
                    tiny().init(&device, 1).unwrap(),
                    Some(&general),
                    &data,
                    false,
                )
                .unwrap();
            weights(&model.valid())
        };
        let (kept, recomputed) = (run(false), run(true));
        assert_ne!(recomputed, weights(&tiny().init(&device, 1).unwrap()));
        assert_eq!(recomputed, kept, "{objective:?}");
    }
}
