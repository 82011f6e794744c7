//! Scorers on tiny Glows: exact identities between scores and the model's own values.

mod common;

use burn::tensor::Device;
use common::{random_batch, random_pixels, tiny_config, tiny_glow};
use flowood_glow::GlowConfig;
use flowood_scores::{
    ComplexityScorer, LikelihoodScorer, RatioScorer, Scale, ScaleRatioScorer, ScaleScorer,
    ScoreBatch, ScoreError, Scorer, png_bits_per_dim,
};

#[test]
fn likelihood_scores_are_log_p_and_minus_bpd() {
    let glow = tiny_glow(1);
    let batch = random_batch(5, 9);
    let values = glow.log_likelihood(batch.x.clone()).unwrap().to_host();
    let log_p = LikelihoodScorer::log_p(&glow).unwrap();
    let neg_bpd = LikelihoodScorer::neg_bits_per_dim(&glow).unwrap();
    assert_eq!(log_p.score(&batch).unwrap(), values.total);
    let expected: Vec<f64> = values.bits_per_dim.iter().map(|b| -b).collect();
    assert_eq!(neg_bpd.score(&batch).unwrap(), expected);
    assert_eq!(
        (log_p.name(), neg_bpd.name()),
        ("log_p".into(), "neg_bpd".into())
    );
}

#[test]
fn ratio_of_a_model_with_itself_is_exactly_zero() {
    let glow = tiny_glow(1);
    let scores = RatioScorer::new(&glow, &glow)
        .unwrap()
        .score(&random_batch(6, 3))
        .unwrap();
    assert_eq!(scores, vec![0.0; 6]);
}

#[test]
fn per_scale_ratios_sum_to_the_total_ratio() {
    let (in_model, general) = (tiny_glow(1), tiny_glow(2));
    let batch = random_batch(6, 3);
    let total = RatioScorer::new(&in_model, &general)
        .unwrap()
        .score(&batch)
        .unwrap();
    let per_scale: Vec<Vec<f64>> = (0..2)
        .map(|i| {
            ScaleRatioScorer::new(&in_model, &general, Scale::Index(i))
                .unwrap()
                .score(&batch)
                .unwrap()
        })
        .collect();
    assert!(total.iter().any(|r| r.abs() > 1.0), "models must differ");
    for (n, t) in total.iter().enumerate() {
        let sum = per_scale[0][n] + per_scale[1][n];
        assert!((sum - t).abs() < 1e-3 * (1.0 + t.abs()), "{sum} vs {t}");
    }
}

#[test]
fn final_scale_score_is_the_models_final_scale_term() {
    let glow = tiny_glow(1);
    let batch = random_batch(4, 5);
    let values = glow.log_likelihood(batch.x.clone()).unwrap().to_host();
    let scorer = ScaleScorer::final_scale(&glow).unwrap();
    assert_eq!(scorer.score(&batch).unwrap(), values.final_scale());
    assert_eq!(scorer.name(), "final_scale");
    let first = ScaleScorer::new(&glow, Scale::Index(0)).unwrap();
    assert_eq!(first.score(&batch).unwrap(), values.scales[0].lp);
    assert_eq!(first.name(), "lp1");
}

#[test]
fn complexity_score_is_png_bpd_minus_model_bpd() {
    let glow = tiny_glow(1);
    let batch = random_batch(4, 5);
    let scorer = ComplexityScorer::new(&glow).unwrap();
    let png = png_bits_per_dim(batch.pixels.as_ref().unwrap()).unwrap();
    let bpd = glow
        .log_likelihood(batch.x.clone())
        .unwrap()
        .to_host()
        .bits_per_dim;
    let expected: Vec<f64> = png.iter().zip(&bpd).map(|(p, m)| p - m).collect();
    assert_eq!(scorer.score(&batch).unwrap(), expected);
    let no_pixels = ScoreBatch::new(batch.x);
    assert!(matches!(
        scorer.score(&no_pixels),
        Err(ScoreError::MissingPixels)
    ));
}

#[test]
fn invalid_models_and_scales_are_typed_errors() {
    let glow = tiny_glow(1);
    let device = Device::flex();
    let fresh = tiny_config().init(&device, 0).unwrap();
    assert!(matches!(
        LikelihoodScorer::log_p(&fresh),
        Err(ScoreError::NotInitialized { .. })
    ));
    let other = GlowConfig {
        hidden_channels: 4,
        ..tiny_config()
    }
    .init(&device, 0)
    .unwrap()
    .initialize(&[random_batch(4, 1).x])
    .unwrap();
    assert!(matches!(
        RatioScorer::new(&glow, &other),
        Err(ScoreError::ArchitectureMismatch { .. })
    ));
    assert!(matches!(
        ScaleScorer::new(&glow, Scale::Index(2)),
        Err(ScoreError::ScaleOutOfRange {
            index: 2,
            levels: 2
        })
    ));
    let wrong_size = ScoreBatch::new(burn::tensor::Tensor::zeros([2, 1, 4, 4], &device));
    assert!(matches!(
        LikelihoodScorer::log_p(&glow).unwrap().score(&wrong_size),
        Err(ScoreError::Glow(_))
    ));
    let pixels = random_pixels(3, 0);
    assert!(matches!(
        ScoreBatch::with_pixels(random_batch(2, 0).x, pixels),
        Err(ScoreError::Pixels(_))
    ));
}

#[test]
fn scorers_accept_inputs_on_an_autodiff_device() {
    let glow = tiny_glow(1);
    let batch = random_batch(3, 4);
    let tracked = ScoreBatch::new(batch.x.clone().autodiff().require_grad());
    let scorer = LikelihoodScorer::log_p(&glow).unwrap();
    assert_eq!(
        scorer.score(&tracked).unwrap(),
        scorer.score(&batch).unwrap()
    );
}
