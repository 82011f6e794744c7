//! Spearman's rho against hand-computed values (ties included), the textbook formula without
//! ties, and the error kinds of bad input.

use flowood_scores::CorrelationError;
use flowood_scores::metrics::{Sample, spearman};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn ties_in_one_sample_by_hand() {
    // Ranks of b: 5 -> 1, 6 -> 2, both 7s -> 3.5, 8 -> 5. Deviations from the mean rank 3:
    // a (-2,-1,0,1,2), b (-2,-1,0.5,2,0.5): covariance 8, variances 10 and 9.5.
    let rho = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5.0, 6.0, 7.0, 8.0, 7.0]).unwrap();
    close(rho, 8.0 / 95f64.sqrt());
}

#[test]
fn ties_in_both_samples_by_hand() {
    // Ranks (1.5, 1.5, 3, 4) and (3, 1.5, 1.5, 4); deviations from 2.5 give covariance 2.25
    // and both variances 4.5.
    close(
        spearman(&[1.0, 1.0, 2.0, 3.0], &[2.0, 1.0, 1.0, 3.0]).unwrap(),
        0.5,
    );
}

#[test]
fn minus_zero_ties_with_zero() {
    // Tied, both rank vectors are (1.5, 1.5, 3); untied they would give 0.5.
    close(spearman(&[-0.0, 0.0, 1.0], &[0.0, -0.0, 1.0]).unwrap(), 1.0);
}

#[test]
fn monotone_maps_give_one_and_reversals_minus_one() {
    let x: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.37 - 4.0).collect();
    let up: Vec<f64> = x.iter().map(|v| v.exp()).collect();
    let down: Vec<f64> = x.iter().map(|v| -v * v * v).collect();
    close(spearman(&x, &up).unwrap(), 1.0);
    close(spearman(&x, &down).unwrap(), -1.0);
    close(spearman(&x, &x).unwrap(), 1.0);
}

#[test]
fn without_ties_it_is_the_textbook_formula() {
    // rho = 1 - 6 sum d^2 / (n (n^2 - 1)) for distinct values.
    let mut rng = StdRng::seed_from_u64(7);
    let n = 40usize;
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(&mut rng);
    let a: Vec<f64> = (0..n)
        .map(|i| i as f64 + rng.random::<f64>() * 0.5)
        .collect();
    let b: Vec<f64> = perm.iter().map(|&p| p as f64 * 3.0 - 10.0).collect();
    let d2: f64 = perm
        .iter()
        .enumerate()
        .map(|(i, &p)| (i as f64 - p as f64).powi(2))
        .sum();
    let nf = n as f64;
    close(
        spearman(&a, &b).unwrap(),
        1.0 - 6.0 * d2 / (nf * (nf * nf - 1.0)),
    );
}

#[test]
fn bad_input_gives_its_error_kind() {
    assert_eq!(
        spearman(&[1.0, 2.0, 3.0], &[1.0, 2.0]),
        Err(CorrelationError::LengthMismatch {
            first: 3,
            second: 2
        })
    );
    assert_eq!(spearman(&[1.0], &[2.0]), Err(CorrelationError::TooFew(1)));
    assert_eq!(spearman(&[], &[]), Err(CorrelationError::TooFew(0)));
    assert!(matches!(
        spearman(&[1.0, 2.0, 3.0], &[1.0, f64::NAN, 3.0]),
        Err(CorrelationError::NonFinite { sample: Sample::Second, index: 1, value }) if value.is_nan()
    ));
    assert_eq!(
        spearman(&[f64::NEG_INFINITY, 2.0], &[1.0, 2.0]),
        Err(CorrelationError::NonFinite {
            sample: Sample::First,
            index: 0,
            value: f64::NEG_INFINITY
        })
    );
    assert_eq!(
        spearman(&[4.0, 4.0, 4.0], &[1.0, 2.0, 3.0]),
        Err(CorrelationError::Constant(Sample::First))
    );
    let err = spearman(&[1.0, 2.0], &[3.0, f64::INFINITY]).unwrap_err();
    assert!(
        err.to_string()
            .contains("value 1 of the second sample is inf"),
        "{err}"
    );
}
