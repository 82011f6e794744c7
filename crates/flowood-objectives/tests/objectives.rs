//! Each objective against a value computed by hand (numbers from the formulas in docs/method.md,
//! evaluated with Python's `math`).

use burn::tensor::{Device, Tensor, TensorData};
use flowood_glow::{Architecture, CouplingKind, GlowConfig, PriorKind};
use flowood_objectives::{
    ClassConditionalLoss, MarginLoss, ObjectiveError, OutlierLoss, bits_per_dim, nll_loss,
};

fn t1(values: &[f32], device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device)
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f64>()
}

#[test]
fn nll_and_bits_per_dim_follow_the_definitions() {
    let device = Device::flex();
    let config = GlowConfig {
        in_channels: 1,
        image_size: 4,
        levels: 1,
        steps_per_level: 1,
        hidden_channels: 4,
        coupling: CouplingKind::Affine,
        prior: PriorKind::ActNormGaussian,
        classes: None,
        architecture: Architecture::Conv,
    };
    let glow = config.init(&device, 0).unwrap();
    // A fresh model is the identity up to the coupling's sigmoid(2) scale on half the
    // channels: log p(0) = 8 * ln sigmoid(2) - 16/2 * ln(2 pi) for a zero image.
    let ll = glow
        .log_likelihood(Tensor::zeros([2, 1, 4, 4], &device))
        .unwrap();
    let logp = 8.0 * (1.0 / (1.0 + (-2.0f64).exp())).ln() - 8.0 * (2.0 * std::f64::consts::PI).ln();
    let nll = -logp + 16.0 * 256f64.ln();
    assert!((scalar(nll_loss(&ll)) - nll).abs() < 1e-3);
    assert!((scalar(bits_per_dim(&ll)) - nll / (16.0 * std::f64::consts::LN_2)).abs() < 1e-5);
}

#[test]
fn outlier_loss_matches_hand_value_and_freezes_the_general_model() {
    let device = Device::flex().autodiff();
    let nll_in = t1(&[10.0, 20.0], &device);
    let logp_in_g = t1(&[1000.0, -2000.0], &device).require_grad();
    let logp_g_g = t1(&[0.0, 0.0], &device).require_grad();
    let loss = OutlierLoss::default().loss(nll_in, logp_in_g.clone(), logp_g_g.clone());
    // 15 + 6000 * mean(softplus(1), softplus(-2))
    assert!((scalar(loss.clone()) - 4335.569095683586).abs() < 1e-2);
    let grads = loss.backward();
    assert!(logp_in_g.grad(&grads).is_some());
    assert!(
        logp_g_g.grad(&grads).is_none(),
        "no gradient may reach the general model"
    );
}

#[test]
fn margin_loss_pairs_images_and_clips_at_zero() {
    let device = Device::flex();
    let loss =
        MarginLoss { margin: 5.0 }.loss(t1(&[1.0, 2.0, 3.0], &device), t1(&[4.0, 10.0], &device));
    // mean(relu(5 + 1 - 4), relu(5 + 2 - 10)) = mean(2, 0)
    assert!((scalar(loss) - 1.0).abs() < 1e-6);
    assert_eq!(MarginLoss::per_dimension(1024).margin, 1024.0);
}

#[test]
fn class_conditional_loss_matches_hand_value() {
    let device = Device::flex();
    let class_ll = Tensor::<2>::from_data(TensorData::new(vec![-1.0f32, -3.0], [1, 2]), &device);
    let loss = ClassConditionalLoss::default()
        .loss(class_ll, &[0], t1(&[-2.0], &device), 1)
        .unwrap();
    // 1 + ln 256 + 6000 * softplus((-3 + 2) / 1000)
    assert!((scalar(loss) - 4162.42901080412).abs() < 1e-2);
}

#[test]
fn class_conditional_loss_rejects_bad_labels() {
    let device = Device::flex();
    let class_ll = Tensor::<2>::zeros([1, 2], &device);
    let err = ClassConditionalLoss::default().loss(class_ll.clone(), &[2], t1(&[0.0], &device), 1);
    assert!(matches!(
        err,
        Err(ObjectiveError::LabelOutOfRange {
            label: 2,
            classes: 2
        })
    ));
    let err = ClassConditionalLoss::default().loss(class_ll, &[0, 1], t1(&[0.0], &device), 1);
    assert!(matches!(err, Err(ObjectiveError::Shape(_))));
}
