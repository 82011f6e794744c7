//! The supervised variant on real Fashion-MNIST images and labels with a tiny Glow: a few
//! steps lower the supervised loss, the general model stays frozen, a run resumes
//! bit-for-bit, and data without labels or a model without a class head are typed errors.

mod common;

use burn::tensor::Device;
use common::{images, tiny};
use flowood_data::{Augment, BatchConfig, Batcher, ImageSet, Split};
use flowood_glow::Glow;
use flowood_objectives::{ClassConditionalLoss, ObjectiveError, OutlierLoss};
use flowood_train::{Objective, TrainConfig, TrainData, TrainError, Trainer};

const CLASSES: usize = 10;

fn objective(outlier: Option<OutlierLoss>) -> Objective {
    Objective::Supervised {
        wrong_class: ClassConditionalLoss::default(),
        outlier,
    }
}

fn config(max_steps: usize, objective: Objective) -> TrainConfig {
    TrainConfig {
        batch_size: 16,
        max_steps,
        checkpoint_every: 2,
        eval_every: 0,
        init_batches: 2,
        learning_rate: 2e-3,
        objective,
        threads: 2,
        ..TrainConfig::default()
    }
}

fn data(train: ImageSet, general: bool) -> TrainData {
    TrainData {
        train: Batcher::new(train, BatchConfig::train(16, Some(Augment::translate()), 0)).unwrap(),
        test: None,
        general: general.then(|| {
            Batcher::new(images(Split::Test, 64), BatchConfig::train(16, None, 1)).unwrap()
        }),
    }
}

/// An initialised tiny model (weights from `seed`), on Fashion-MNIST training images.
fn initialised(seed: u64) -> Glow {
    let device = Device::flex();
    let init = data(images(Split::Train, 64), false)
        .train
        .batch(0, 0)
        .unwrap()
        .into_tensor(&device);
    tiny()
        .init(&device, seed)
        .unwrap()
        .initialize(&[init])
        .unwrap()
}

/// The supervised loss (default weights) of `model` on the first 64 Fashion-MNIST test
/// images and their labels.
fn held_out_loss(model: &Glow, general: &Glow) -> f64 {
    let device = Device::flex();
    let test = images(Split::Test, 64);
    let batch = Batcher::new(test, BatchConfig::eval(64))
        .unwrap()
        .batch(0, 0)
        .unwrap();
    let labels: Vec<i64> = batch
        .labels
        .as_ref()
        .unwrap()
        .iter()
        .map(|&l| l.into())
        .collect();
    let x = batch.into_tensor(&device);
    let class_ll = model
        .encode_with_likelihood(x.clone())
        .unwrap()
        .class_log_likelihoods
        .unwrap();
    let logp_general = general.log_likelihood(x).unwrap().total;
    ClassConditionalLoss::default()
        .loss(class_ll, &labels, logp_general, model.config.dims())
        .unwrap()
        .into_scalar::<f64>()
}

#[test]
fn a_few_supervised_steps_lower_the_loss_and_keep_the_general_model_frozen() {
    let device = Device::flex();
    let general = initialised(5);
    let general_before = flowood_flows::testing::parameter_bytes(&general);
    let start = initialised(0).with_class_head(CLASSES).unwrap();
    let before = held_out_loss(&start, &general);
    let dir = tempfile::tempdir().unwrap();
    let (tuned, summary) = Trainer::new(config(20, objective(None)), &device, dir.path())
        .unwrap()
        .fit(
            start,
            Some(&general),
            &data(images(Split::Train, 256), false),
            false,
        )
        .unwrap();
    assert_eq!(summary.skipped_steps, 0);
    let after = held_out_loss(&tuned, &general);
    assert!(
        after < before - 10.0,
        "held-out supervised loss {before} -> {after}"
    );
    assert_eq!(
        flowood_flows::testing::parameter_bytes(&general),
        general_before
    );
    // The head learned and was saved with the model.
    let saved = Glow::load(&summary.model_path, &device).unwrap();
    assert_eq!(saved.config.classes, Some(CLASSES));
    let head = saved.class_head.unwrap();
    let moved = flowood_flows::to_host(head.means.val().abs().max());
    assert!(moved[0] > 0.0, "the class means never moved");
}

#[test]
fn the_outlier_term_on_general_batches_trains_and_resumes_bit_for_bit() {
    let device = Device::flex();
    let general = initialised(5);
    let objective = objective(Some(OutlierLoss::default()));
    let start = || initialised(0).with_class_head(CLASSES).unwrap();
    let run = |dir: &std::path::Path, steps, resume| {
        Trainer::new(config(steps, objective), &device, dir)
            .unwrap()
            .fit(
                start(),
                Some(&general),
                &data(images(Split::Train, 128), true),
                resume,
            )
            .unwrap()
            .0
    };
    let straight = tempfile::tempdir().unwrap();
    let full = run(straight.path(), 4, false);
    let interrupted = tempfile::tempdir().unwrap();
    run(interrupted.path(), 2, false);
    let resumed = run(interrupted.path(), 4, true);
    assert_eq!(
        flowood_flows::testing::parameter_bytes(&resumed),
        flowood_flows::testing::parameter_bytes(&full)
    );
}

#[test]
fn supervised_training_needs_labels_a_head_and_a_general_model() {
    let device = Device::flex();
    let general = initialised(5);
    let dir = tempfile::tempdir().unwrap();
    let fit = |model: Glow, train: ImageSet, general: Option<&Glow>| {
        Trainer::new(config(1, objective(None)), &device, dir.path())
            .unwrap()
            .fit(model, general, &data(train, false), false)
            .map(|_| ())
    };
    let labelled = images(Split::Train, 64);
    let (pixels, shape, _) = labelled.clone().into_parts();
    let unlabelled = ImageSet::new(pixels, shape, None).unwrap();
    let head = || initialised(0).with_class_head(CLASSES).unwrap();
    assert!(matches!(
        fit(head(), unlabelled, Some(&general)),
        Err(TrainError::NoLabels)
    ));
    assert!(matches!(
        fit(initialised(0), labelled.clone(), Some(&general)),
        Err(TrainError::InvalidSetting {
            name: "objective",
            ..
        })
    ));
    assert!(matches!(
        fit(head(), labelled.clone(), None),
        Err(TrainError::InvalidSetting {
            name: "objective",
            ..
        })
    ));
    let few = initialised(0).with_class_head(3).unwrap();
    assert!(matches!(
        fit(few, labelled, Some(&general)),
        Err(TrainError::Objective(ObjectiveError::LabelOutOfRange {
            classes: 3,
            ..
        }))
    ));
}

#[test]
fn the_supervised_objective_keeps_a_stable_checkpoint_format() {
    let json = r#"{"kind":"supervised","wrong_class":{"lambda":6000.0,"temperature":1000.0},"outlier":null}"#;
    assert_eq!(serde_json::to_string(&objective(None)).unwrap(), json);
    assert_eq!(
        serde_json::from_str::<Objective>(json).unwrap(),
        objective(None)
    );
    let bad = TrainConfig {
        objective: Objective::Supervised {
            wrong_class: ClassConditionalLoss {
                lambda: 6000.0,
                temperature: 0.0,
            },
            outlier: None,
        },
        ..TrainConfig::default()
    };
    assert!(matches!(
        Trainer::new(bad, &Device::flex(), "/nonexistent/never-created"),
        Err(TrainError::InvalidSetting {
            name: "wrong_class_temperature",
            ..
        })
    ));
}
