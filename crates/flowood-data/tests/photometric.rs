//! Photometric augmentation: ranges, clipping, parsing, and its place in `Augment`.

use flowood_data::{Augment, DataError, Photometric};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// A 16x16 grey ramp 64..=191 (mean 127.5, no saturated pixel).
fn ramp() -> Vec<u8> {
    (0..256).map(|i| 64 + (i / 2) as u8).collect()
}

#[test]
fn neutral_settings_leave_pixels_alone() {
    let p = Photometric::new(1.0, 0.0).unwrap();
    let table = p.draw_table(&ramp(), &mut StdRng::seed_from_u64(0));
    assert!(table.iter().enumerate().all(|(v, &t)| usize::from(t) == v));
}

#[test]
fn tables_are_monotone_clipped_and_span_the_contrast_range() {
    let p = Photometric::new(4.0, 0.0).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let (mut flatter, mut steeper, mut saturated) = (false, false, false);
    for _ in 0..200 {
        let table = p.draw_table(&ramp(), &mut rng);
        assert!(table.windows(2).all(|w| w[0] <= w[1]), "not monotone");
        // Without a brightness shift the image mean (127.5) stays where it is.
        let middle = (f32::from(table[127]) + f32::from(table[128])) / 2.0;
        assert!((middle - 127.5).abs() <= 0.5, "mean moved to {middle}");
        let slope = (f32::from(table[191]) - f32::from(table[64])) / 127.0;
        assert!((0.23..=4.001).contains(&slope), "slope {slope}");
        flatter |= slope < 0.6;
        steeper |= slope > 1.8;
        saturated |= table[64] == 0 && table[191] == 255;
    }
    assert!(flatter && steeper && saturated);
}

#[test]
fn brightness_shifts_flat_images_within_its_range() {
    let p = Photometric::new(1.0, 0.5).unwrap();
    let flat = vec![100u8; 64];
    let mut rng = StdRng::seed_from_u64(2);
    let values: Vec<u8> = (0..200)
        .map(|_| p.draw_table(&flat, &mut rng)[100])
        .collect();
    assert!(values.iter().all(|&v| v <= 228)); // 100 + 0.5 * 255, rounded
    assert!(values.contains(&0), "no draw clipped to black");
    assert!(values.iter().any(|&v| v > 200));
}

#[test]
fn augment_applies_it_before_the_zero_fill() {
    let aug = Augment::translate().with_photometric(Some(Photometric::new(1.0, 0.5).unwrap()));
    let image = vec![100u8; 2 * 20 * 20];
    let mut rng = StdRng::seed_from_u64(3);
    let mut changed = false;
    for _ in 0..50 {
        let mut out = vec![7u8; image.len()];
        aug.apply_into(&image, [2, 20, 20], &mut rng, &mut out);
        let centre = out[10 * 20 + 10];
        // Every pixel is either the changed value or the black fill, in both channels.
        assert!(out.iter().all(|&v| v == centre || v == 0));
        assert_eq!(out[..400], out[400..]);
        changed |= centre != 100;
    }
    assert!(changed);
}

#[test]
fn bad_settings_are_refused() {
    for spec in [
        "4", "0.5,0.2", "4,1.5", "4,-0.1", "x,0.5", "nan,0", "inf,0.5",
    ] {
        let err = spec.parse::<Photometric>().unwrap_err();
        assert!(
            matches!(err, DataError::InvalidArgument(_)),
            "{spec}: {err}"
        );
    }
    assert_eq!(
        "4, 0.5".parse::<Photometric>().unwrap(),
        Photometric::new(4.0, 0.5).unwrap()
    );
}
