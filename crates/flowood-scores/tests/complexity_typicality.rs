//! PNG code lengths and the typicality test.

use flowood_scores::{
    Pixels, ScoreError, TypicalityConfig, TypicalityTest, png_bits_per_dim, png_bytes,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A standard normal draw (Box-Muller), to avoid a distribution dependency.
fn normal(rng: &mut impl Rng) -> f64 {
    let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

#[test]
fn png_bpd_of_a_flat_image_is_far_below_noise() {
    let mut rng = StdRng::seed_from_u64(3);
    let noise: Vec<u8> = (0..3 * 32 * 32).map(|_| rng.random()).collect();
    let mut data = vec![0u8; 3 * 32 * 32];
    data.extend(noise);
    let bpd = png_bits_per_dim(&Pixels::new(data, [2, 3, 32, 32]).unwrap()).unwrap();
    assert!(bpd[0] < 0.5, "zeros: {}", bpd[0]);
    assert!(bpd[1] > 7.5, "noise: {}", bpd[1]);
}

#[test]
fn png_holds_the_planar_image_interleaved() {
    // Channel planes R = 10.., G = 100.., B = 200.. of a 2x2 image.
    let planar: Vec<u8> = [10u8, 11, 12, 13, 100, 101, 102, 103, 200, 201, 202, 203].to_vec();
    let bytes = png_bytes(&planar, 3, 2, 2).unwrap();
    let mut file = Vec::new();
    let mut enc = png::Encoder::new(&mut file, 2, 2);
    enc.set_color(png::ColorType::Rgb);
    enc.set_compression(png::Compression::High);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(&[10, 100, 200, 11, 101, 201, 12, 102, 202, 13, 103, 203])
        .unwrap();
    w.finish().unwrap();
    assert_eq!(bytes, file.len());
    assert!(matches!(
        png_bytes(&planar, 2, 2, 3),
        Err(ScoreError::Pixels(_))
    ));
    assert!(matches!(
        png_bytes(&planar, 3, 2, 3),
        Err(ScoreError::Pixels(_))
    ));
}

fn heldout(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| -1000.0 + 20.0 * normal(&mut rng)).collect()
}

#[test]
fn typicality_flags_a_shifted_batch_and_not_one_from_the_heldout_distribution() {
    let config = TypicalityConfig::new(25);
    let test = TypicalityTest::fit(&heldout(2000, 1), None, &config).unwrap();
    // eps ~ 2.58 * 20 / sqrt(25) ~ 10 nats.
    assert!(
        test.epsilon() > 5.0 && test.epsilon() < 15.0,
        "{}",
        test.epsilon()
    );
    assert!((test.entropy() - 1000.0).abs() < 2.0);
    let typical = heldout(25, 99);
    assert!(!test.is_anomalous(&typical).unwrap());
    let unlikely: Vec<f64> = typical.iter().map(|v| v - 100.0).collect();
    assert!(test.is_anomalous(&unlikely).unwrap());
    // Too likely is atypical as well.
    let too_likely: Vec<f64> = typical.iter().map(|v| v + 100.0).collect();
    assert!(test.is_anomalous(&too_likely).unwrap());
    assert!(test.score(&too_likely).unwrap() < test.score(&typical).unwrap());
    let mut broken = typical.clone();
    broken[0] = f64::NAN;
    assert!(test.is_anomalous(&broken).unwrap());
    assert_eq!(test.score(&broken).unwrap(), f64::NEG_INFINITY);
}

#[test]
fn typicality_fit_is_seeded_and_validates_input() {
    let data = heldout(500, 2);
    let config = TypicalityConfig::new(10);
    let a = TypicalityTest::fit(&data, Some(1000.0), &config).unwrap();
    let b = TypicalityTest::fit(&data, Some(1000.0), &config).unwrap();
    assert_eq!(a, b);
    assert_eq!((a.entropy(), a.batch_size()), (1000.0, 10));
    let other_seed = TypicalityConfig {
        seed: 1,
        ..config.clone()
    };
    assert_ne!(
        TypicalityTest::fit(&data, Some(1000.0), &other_seed).unwrap(),
        a
    );
    assert!(TypicalityTest::fit(&[], None, &config).is_err());
    assert!(TypicalityTest::fit(&[1.0, f64::INFINITY], None, &config).is_err());
    assert!(TypicalityTest::fit(&data, Some(f64::NAN), &config).is_err());
    let bad = TypicalityConfig {
        quantile: 0.0,
        ..config.clone()
    };
    assert!(TypicalityTest::fit(&data, None, &bad).is_err());
    let bad = TypicalityConfig {
        batch_size: 0,
        ..config
    };
    assert!(TypicalityTest::fit(&data, None, &bad).is_err());
    assert!(a.is_anomalous(&[]).is_err());
}

#[test]
fn typicality_flags_about_its_false_alarm_rate_of_same_distribution_batches() {
    let config = TypicalityConfig {
        quantile: 0.95,
        ..TypicalityConfig::new(5)
    };
    let test = TypicalityTest::fit(&heldout(4000, 1), None, &config).unwrap();
    let same = test.flagged_share(&heldout(4000, 5), 4000, 7).unwrap();
    // 5% expected; the binomial standard error of 4000 batches is 0.35%.
    assert!((0.03..0.07).contains(&same), "{same}");
    assert_eq!(
        test.flagged_share(&heldout(4000, 5), 4000, 7).unwrap(),
        same
    );
}

#[test]
fn typicality_detects_a_small_shift_only_in_large_batches() {
    // OOD log p 15 nats (0.75 standard deviations) lower: a single image is rarely flagged
    // (12% expected), a batch of 25 almost always (96%).
    let shifted: Vec<f64> = heldout(4000, 3).iter().map(|v| v - 15.0).collect();
    let rate = |m: usize| {
        let config = TypicalityConfig {
            quantile: 0.95,
            ..TypicalityConfig::new(m)
        };
        let test = TypicalityTest::fit(&heldout(4000, 1), None, &config).unwrap();
        test.flagged_share(&shifted, 2000, 0).unwrap()
    };
    let (one, many) = (rate(1), rate(25));
    assert!(one < 0.3, "{one}");
    assert!(many > 0.9, "{many}");
    // Far away, even single images are flagged; a non-finite value flags its batch.
    let far: Vec<f64> = shifted.iter().map(|v| v - 200.0).collect();
    let test = TypicalityTest::fit(&heldout(4000, 1), None, &TypicalityConfig::new(1)).unwrap();
    assert_eq!(test.flagged_share(&far, 500, 0).unwrap(), 1.0);
    assert_eq!(test.flagged_share(&[f64::NAN], 10, 0).unwrap(), 1.0);
    assert!(matches!(
        test.flagged_share(&[], 10, 0),
        Err(ScoreError::InvalidArgument { name: "logp", .. })
    ));
    assert!(matches!(
        test.flagged_share(&far, 0, 0),
        Err(ScoreError::InvalidArgument {
            name: "batches",
            ..
        })
    ));
}
