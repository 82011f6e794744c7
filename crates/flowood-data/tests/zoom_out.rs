//! Zoom-out augmentation: the shrunk image, its black canvas, its scale range, parsing, and
//! its place in `Augment`.

use flowood_data::{Augment, DataError, Photometric, ZoomOut};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Bounding box `[top, left, bottom, right]` (inclusive) of the non-zero pixels of a plane.
fn bounding_box(plane: &[u8], w: usize) -> Option<[usize; 4]> {
    let lit = plane.iter().enumerate().filter(|&(_, &v)| v != 0);
    lit.fold(None, |bbox, (i, _)| {
        let (y, x) = (i / w, i % w);
        Some(match bbox {
            None => [y, x, y, x],
            Some([t, l, b, r]) => [t.min(y), l.min(x), b.max(y), r.max(x)],
        })
    })
}

#[test]
fn a_flat_image_becomes_a_flat_rectangle_on_black_within_the_scale_range() {
    let z = ZoomOut::new(1.0, 0.4).unwrap();
    let image = vec![200u8; 2 * 32 * 32];
    let mut rng = StdRng::seed_from_u64(0);
    let (mut small, mut large) = (false, false);
    for _ in 0..300 {
        let out = z
            .apply(&image, [2, 32, 32], &mut rng)
            .expect("probability 1");
        assert_eq!(out[..1024], out[1024..], "channels zoomed differently");
        let [t, l, b, r] = bounding_box(&out[..1024], 32).expect("nothing left");
        let (h, w) = (b - t + 1, r - l + 1);
        // round(32 * s) for s in [0.4, 1]: 13..=32 pixels, the same factor on both axes.
        assert!((13..=32).contains(&h) && h == w, "{h}x{w}");
        for y in t..=b {
            assert!(out[y * 32 + l..=y * 32 + r].iter().all(|&v| v == 200));
        }
        let lit = out[..1024].iter().filter(|&&v| v != 0).count();
        assert_eq!(lit, h * w, "pixels outside the rectangle are not black");
        small |= h <= 16;
        large |= h >= 29;
    }
    assert!(small && large, "the scale range is not covered");
}

#[test]
fn the_probability_decides_how_often_an_image_is_zoomed() {
    let image = vec![9u8; 16 * 16];
    let mut rng = StdRng::seed_from_u64(1);
    let never = ZoomOut::new(0.0, 0.5).unwrap();
    assert!((0..100).all(|_| never.apply(&image, [1, 16, 16], &mut rng).is_none()));
    let half = ZoomOut::new(0.5, 0.5).unwrap();
    let zoomed = (0..1000)
        .filter(|_| half.apply(&image, [1, 16, 16], &mut rng).is_some())
        .count();
    assert!((420..=580).contains(&zoomed), "{zoomed} of 1000 zoomed");
}

#[test]
fn shrinking_keeps_the_picture_a_ramp_stays_a_ramp() {
    let z = ZoomOut::new(1.0, 0.5).unwrap();
    // Left-to-right ramp 8..=255 step 8 in a 32x32 plane.
    let image: Vec<u8> = (0..1024).map(|i| (8 * (i % 32 + 1) - 1) as u8).collect();
    let out = z
        .apply(&image, [1, 32, 32], &mut StdRng::seed_from_u64(2))
        .unwrap();
    let [t, l, _, r] = bounding_box(&out, 32).unwrap();
    let row = &out[t * 32 + l..=t * 32 + r];
    assert!(row.windows(2).all(|p| p[0] <= p[1]), "{row:?}");
    assert!(row[0] < 64 && row[row.len() - 1] > 192, "{row:?}");
}

#[test]
fn augment_zooms_after_the_photometric_change_so_the_canvas_stays_black() {
    let aug = Augment::translate()
        .with_photometric(Some(Photometric::new(1.0, 0.5).unwrap()))
        .with_zoom_out(Some(ZoomOut::new(1.0, 0.5).unwrap()));
    let image = vec![100u8; 20 * 20];
    let mut rng = StdRng::seed_from_u64(3);
    let mut brightened_on_black = false;
    for _ in 0..50 {
        let mut out = vec![7u8; image.len()];
        aug.apply_into(&image, [1, 20, 20], &mut rng, &mut out);
        // Every pixel is the changed value or black: the canvas took no brightness shift.
        let value = out.iter().copied().max().unwrap();
        assert!(out.iter().all(|&v| v == value || v == 0));
        brightened_on_black |= value > 100 && out.contains(&0);
    }
    assert!(brightened_on_black);
}

#[test]
fn bad_settings_are_refused() {
    for spec in [
        "0.5", "1.5,0.5", "-0.1,0.5", "0.5,0", "0.5,1.2", "x,0.5", "0.5,nan",
    ] {
        let err = spec.parse::<ZoomOut>().unwrap_err();
        assert!(
            matches!(err, DataError::InvalidArgument(_)),
            "{spec}: {err}"
        );
    }
    assert_eq!(
        "0.5, 0.4".parse::<ZoomOut>().unwrap(),
        ZoomOut::new(0.5, 0.4).unwrap()
    );
}
