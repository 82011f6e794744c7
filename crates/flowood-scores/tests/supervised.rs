//! Every scorer on a supervised model (a Glow with a class-conditional head): each scores the
//! model's class mixture without knowing about the head, and ratios pair it with an
//! unsupervised general model of the same flow.

mod common;

use common::{random_batch, tiny_glow};
use flowood_flows::testing::perturb_parameters;
use flowood_glow::Glow;
use flowood_scores::{
    ComplexityScorer, DatasetScorer, LikelihoodScorer, RatioScorer, Scale, ScaleRatioScorer,
    ScaleScorer, Scorer,
};

/// A tiny supervised model: [`tiny_glow`] with a perturbed 4-class head.
fn supervised() -> Glow {
    let mut glow = tiny_glow(1).with_class_head(4).unwrap();
    glow.class_head = glow.class_head.map(|h| perturb_parameters(h, 0.5, 3));
    glow
}

#[test]
fn every_scorer_scores_the_class_mixture() {
    let (model, general) = (supervised(), tiny_glow(2));
    let batch = random_batch(5, 9);
    let mixture = model.log_likelihood(batch.x.clone()).unwrap().to_host();
    let flow_only = tiny_glow(1)
        .log_likelihood(batch.x.clone())
        .unwrap()
        .to_host();
    assert_ne!(mixture.total, flow_only.total, "the head must change log p");
    let general_values = general.log_likelihood(batch.x.clone()).unwrap().to_host();

    let log_p = LikelihoodScorer::log_p(&model)
        .unwrap()
        .score(&batch)
        .unwrap();
    assert_eq!(log_p, mixture.total);
    let final_scale = ScaleScorer::final_scale(&model)
        .unwrap()
        .score(&batch)
        .unwrap();
    assert_eq!(final_scale, mixture.final_scale());
    let ratio = RatioScorer::new(&model, &general)
        .unwrap()
        .score(&batch)
        .unwrap();
    let expected: Vec<f64> = mixture
        .total
        .iter()
        .zip(&general_values.total)
        .map(|(a, b)| a - b)
        .collect();
    for (r, e) in ratio.iter().zip(&expected) {
        assert!((r - e).abs() < 1e-9 * (1.0 + e.abs()), "{r} vs {e}");
    }
    let last_ratio = ScaleRatioScorer::new(&model, &general, Scale::Final)
        .unwrap()
        .score(&batch)
        .unwrap();
    assert_eq!(last_ratio.len(), 5);
    let complexity = ComplexityScorer::new(&model)
        .unwrap()
        .score(&batch)
        .unwrap();
    assert!(complexity.iter().all(|v| v.is_finite()));

    // The whole table, as `flowood score` and `flowood eval` compute it.
    let table = DatasetScorer::new(&model)
        .unwrap()
        .with_general(&general)
        .unwrap()
        .with_complexity()
        .score_batch(&batch)
        .unwrap();
    assert_eq!(
        table.column("score_log_p").unwrap(),
        mixture.total.as_slice()
    );
    assert_eq!(
        table.column("score_final_scale").unwrap(),
        mixture.final_scale()
    );
    assert_eq!(table.column("score_ratio").unwrap(), ratio.as_slice());
}
