//! The learning-rate schedule: linear warm-up, constant, linear cool-down to zero.

use flowood_train::TrainConfig;

fn schedule(warmup_steps: usize, cooldown_steps: usize, max_steps: usize) -> TrainConfig {
    TrainConfig {
        learning_rate: 1.0,
        warmup_steps,
        cooldown_steps,
        max_steps,
        ..TrainConfig::default()
    }
}

fn rates(config: &TrainConfig) -> Vec<f64> {
    (0..config.max_steps)
        .map(|step| config.learning_rate_at(step))
        .collect()
}

#[test]
fn without_warmup_or_cooldown_the_rate_is_constant() {
    let config = schedule(0, 0, 7);
    assert!(rates(&config).iter().all(|&lr| lr == 1.0));
}

#[test]
fn warmup_rises_linearly_to_the_full_rate_and_stays() {
    let rates = rates(&schedule(4, 0, 10));
    assert_eq!(&rates[..4], &[0.25, 0.5, 0.75, 1.0]);
    assert!(rates[4..].iter().all(|&lr| lr == 1.0));
}

#[test]
fn cooldown_falls_linearly_over_the_last_steps_and_never_reaches_zero() {
    let rates = rates(&schedule(2, 4, 10));
    assert_eq!(&rates[..6], &[0.5, 1.0, 1.0, 1.0, 1.0, 1.0]);
    assert_eq!(&rates[6..], &[1.0, 0.75, 0.5, 0.25]);
    let full = schedule(0, 10, 10);
    let rates = self::rates(&full);
    assert!(rates.windows(2).all(|w| w[1] < w[0]), "{rates:?}");
    assert_eq!(rates[9], 0.1);
}

#[test]
fn a_cooldown_longer_than_the_steps_after_warmup_is_refused() {
    assert!(schedule(4, 6, 10).validate().is_ok());
    assert!(schedule(4, 7, 10).validate().is_err());
    assert!(schedule(0, 11, 10).validate().is_err());
}
