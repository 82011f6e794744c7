//! Metrics against hand-computed values, ties, degenerate input and a brute-force count.

use flowood_scores::MetricError;
use flowood_scores::metrics::{
    Class, aupr_in, aupr_out, auroc, evaluate, fpr_at_95_tpr, roc_curve,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn perfect_separation() {
    let (i, o) = ([0.9, 0.8, 0.7], [0.1, 0.2]);
    let m = evaluate(&i, &o).unwrap();
    assert_eq!(
        (m.auroc, m.aupr_in, m.aupr_out, m.fpr_at_95_tpr),
        (1.0, 1.0, 1.0, 0.0)
    );
    // Reversed roles: every OOD image looks more normal.
    close(auroc(&o, &i).unwrap(), 0.0);
    close(fpr_at_95_tpr(&o, &i).unwrap(), 1.0);
}

#[test]
fn ties_by_hand() {
    let (i, o) = ([3.0, 2.0, 2.0, 1.0], [2.0, 1.0, 0.0]);
    // Pairs won: 3 + 2 * (2 + 1/2) + (1 + 1/2) = 9.5 of 12.
    close(auroc(&i, &o).unwrap(), 9.5 / 12.0);
    // Steps (desc): R 1/4 at P 1, +2/4 at P 3/4, +1/4 at P 4/6.
    close(aupr_in(&i, &o).unwrap(), 0.25 + 0.375 + 1.0 / 6.0);
    // Steps (asc, OOD positive): +1/3 at P 1, +1/3 at P 2/3, +1/3 at P 1/2.
    close(aupr_out(&i, &o).unwrap(), 13.0 / 18.0);
    // k = ceil(0.95 * 4) = 4: threshold 1; OOD >= 1 are {2, 1}.
    close(fpr_at_95_tpr(&i, &o).unwrap(), 2.0 / 3.0);
}

#[test]
fn fpr_threshold_is_the_kth_highest_and_ties_count_as_normal() {
    let i: Vec<f64> = (1..=20).map(f64::from).collect();
    // k = ceil(0.95 * 20) = 19: threshold = 2 (19th highest). OOD >= 2: 19.5 and 2.
    close(fpr_at_95_tpr(&i, &[19.5, 1.5, 0.5, 2.0]).unwrap(), 0.5);
    // n_in = 100: k = 95 exactly, threshold = 6.
    let i: Vec<f64> = (1..=100).map(f64::from).collect();
    close(fpr_at_95_tpr(&i, &[6.0, 5.9, 7.0, 0.0]).unwrap(), 0.5);
    // n_in = 21: k = ceil(19.95) = 20, threshold = 2.
    let i: Vec<f64> = (1..=21).map(f64::from).collect();
    close(fpr_at_95_tpr(&i, &[2.0, 1.0]).unwrap(), 0.5);
}

#[test]
fn all_equal_scores_give_auroc_one_half_exactly() {
    let m = evaluate(&[5.0, 5.0, 5.0], &[5.0, 5.0]).unwrap();
    assert_eq!(m.auroc, 0.5);
    close(m.aupr_in, 3.0 / 5.0);
    close(m.aupr_out, 2.0 / 5.0);
    close(m.fpr_at_95_tpr, 1.0);
    assert_eq!(auroc(&[-0.0], &[0.0]).unwrap(), 0.5, "-0 and 0 tie");
}

#[test]
fn non_finite_scores_are_most_anomalous_and_counted() {
    let (i, o) = ([f64::NAN, 1.0], [0.0, f64::INFINITY]);
    let m = evaluate(&i, &o).unwrap();
    // NaN -> -inf, inf -> -inf: 1 beats both, -inf loses to 0 and ties -inf: 2.5 of 4.
    close(m.auroc, 0.625);
    assert_eq!((m.nonfinite_in, m.nonfinite_ood), (1, 1));
    assert_eq!((m.n_in, m.n_ood), (2, 2));
    // An OOD NaN is caught first when OOD is the positive class.
    close(aupr_out(&[1.0, 2.0], &[f64::NAN]).unwrap(), 1.0);
    // More than 5% non-finite in-distribution: the threshold is -inf, FPR 1.
    close(fpr_at_95_tpr(&[f64::NAN, 1.0], &[-5.0]).unwrap(), 1.0);
}

#[test]
fn empty_class_is_an_error() {
    assert_eq!(
        evaluate(&[], &[1.0]),
        Err(MetricError::EmptyClass(Class::InDistribution))
    );
    assert_eq!(auroc(&[1.0], &[]), Err(MetricError::EmptyClass(Class::Ood)));
    assert!(aupr_in(&[], &[]).is_err());
    assert!(fpr_at_95_tpr(&[1.0], &[]).is_err());
}

#[test]
fn display_is_percent_with_one_decimal() {
    let m = evaluate(&[3.0, 2.0, 2.0, 1.0], &[2.0, 1.0, 0.0, f64::NAN]).unwrap();
    let text = m.to_string();
    assert!(text.starts_with("AUROC 84.4  AUPR-in "), "{text}");
    assert!(text.contains("FPR@95%TPR 50.0"), "{text}");
    assert!(text.contains("OOD: 4 images, 1 non-finite"), "{text}");
}

/// Mann-Whitney U / (n_in n_ood) by comparing every pair, non-finite as -inf.
fn brute_force_auroc(i: &[f64], o: &[f64]) -> f64 {
    let fix = |s: f64| if s.is_finite() { s } else { f64::NEG_INFINITY };
    let mut u = 0.0;
    for &a in i {
        for &b in o {
            let (a, b) = (fix(a), fix(b));
            u += if a > b {
                1.0
            } else if a == b {
                0.5
            } else {
                0.0
            };
        }
    }
    u / (i.len() * o.len()) as f64
}

#[test]
fn auroc_equals_brute_force_mann_whitney_on_random_data() {
    let mut rng = StdRng::seed_from_u64(7);
    for trial in 0..200 {
        let draw = |rng: &mut StdRng, n: usize, shift: f64| -> Vec<f64> {
            (0..n)
                .map(|_| match rng.random_range(0..20) {
                    0 => f64::NAN,
                    // Coarse values make many ties, within and across classes.
                    k => (f64::from(k) + shift).round() / 2.0,
                })
                .collect()
        };
        let n_in = rng.random_range(1..60);
        let n_ood = rng.random_range(1..60);
        let shift = f64::from(trial % 5);
        let i = draw(&mut rng, n_in, shift);
        let o = draw(&mut rng, n_ood, 0.0);
        let fast = auroc(&i, &o).unwrap();
        assert!((fast - brute_force_auroc(&i, &o)).abs() < 1e-12);
    }
}

#[test]
fn roc_curve_by_hand_and_its_area_is_the_auroc() {
    let (i, o) = ([3.0, 2.0, 2.0, 1.0], [2.0, 1.0, 0.0]);
    // Distinct scores 3, 2, 1, 0: (FPR, TPR) at or above each.
    let expected = [
        (0.0, 0.0),
        (0.0, 0.25),
        (1.0 / 3.0, 0.75),
        (2.0 / 3.0, 1.0),
        (1.0, 1.0),
    ];
    let curve = roc_curve(&i, &o).unwrap();
    assert_eq!(curve.len(), expected.len());
    for (p, e) in curve.iter().zip(expected) {
        close(p.0, e.0);
        close(p.1, e.1);
    }
    let mut rng = StdRng::seed_from_u64(8);
    for _ in 0..50 {
        let i: Vec<f64> = (0..rng.random_range(1..40))
            .map(|_| f64::from(rng.random_range(0..9)))
            .collect();
        let o: Vec<f64> = (0..rng.random_range(1..40))
            .map(|_| f64::from(rng.random_range(0..7)))
            .collect();
        let area: f64 = roc_curve(&i, &o)
            .unwrap()
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
            .sum();
        assert!((area - auroc(&i, &o).unwrap()).abs() < 1e-12);
    }
    assert!(matches!(
        roc_curve(&[], &o),
        Err(MetricError::EmptyClass(Class::InDistribution))
    ));
}
