//! Preprocessing and batching: dequantisation, augmentation, seeded order, tensors.

mod common;

use burn::tensor::Device;
use common::bytes;
use flowood_data::{
    Augment, BatchConfig, Batcher, Dequantize, ImageSet, dequantize_into, eval_value, grey_value,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn set(n: usize, c: usize, side: usize) -> ImageSet {
    let labels = (0..n).map(|i| (i % 10) as u16).collect();
    ImageSet::new(
        bytes(n * c * side * side, 7),
        [n, c, side, side],
        Some(labels),
    )
    .unwrap()
}

#[test]
fn eval_dequantisation_is_exactly_half_a_bin() {
    let pixels: Vec<u8> = (0..=255).collect();
    let mut out = vec![0.0; 256];
    dequantize_into(
        &pixels,
        Dequantize::Eval,
        &mut StdRng::seed_from_u64(0),
        &mut out,
    );
    for (v, x) in pixels.iter().zip(&out) {
        assert_eq!(*x, f32::from(*v) / 256.0 - 0.5 + 1.0 / 512.0);
        assert_eq!(*x, eval_value(*v));
        assert_eq!(f64::from(*x), f64::from(*v) / 256.0 - 0.5 + 1.0 / 512.0);
    }
}

#[test]
fn training_noise_stays_inside_the_bin() {
    let pixels: Vec<u8> = (0..=255).cycle().take(256 * 400).collect();
    let mut out = vec![0.0; pixels.len()];
    dequantize_into(
        &pixels,
        Dequantize::Train,
        &mut StdRng::seed_from_u64(1),
        &mut out,
    );
    let mut offsets = Vec::new();
    for (v, x) in pixels.iter().zip(&out) {
        let lo = f32::from(*v) / 256.0 - 0.5;
        let hi = (f32::from(*v) + 1.0) / 256.0 - 0.5;
        assert!(lo <= *x && *x < hi, "v = {v}, x = {x}");
        offsets.push(f64::from(*x - lo) * 256.0);
    }
    let mean = offsets.iter().sum::<f64>() / offsets.len() as f64;
    assert!((mean - 0.5).abs() < 0.01, "noise mean {mean} of a bin");
    assert!(offsets.iter().any(|&o| o < 0.01) && offsets.iter().any(|&o| o > 0.99));
}

#[test]
fn same_seed_same_order_different_seed_different_order() {
    let data = set(1000, 1, 4);
    let a = Batcher::new(data.clone(), BatchConfig::train(64, None, 7)).unwrap();
    let b = Batcher::new(data.clone(), BatchConfig::train(64, None, 7)).unwrap();
    let c = Batcher::new(data, BatchConfig::train(64, None, 8)).unwrap();
    assert_eq!(a.epoch_order(3), b.epoch_order(3));
    assert_ne!(a.epoch_order(3), c.epoch_order(3));
    assert_ne!(a.epoch_order(3), a.epoch_order(4));
    let mut sorted = a.epoch_order(3);
    sorted.sort_unstable();
    assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
    // Batches, noise included, are reproducible and resumable mid-epoch.
    assert_eq!(a.batch(3, 5), b.batch(3, 5));
    assert_eq!(a.epoch(3, 5, 2).next(), a.batch(3, 5));
    assert_eq!(a.epoch(3, 5, 0).next(), a.batch(3, 5));
    assert_ne!(a.batch(3, 5), c.batch(3, 5));
}

#[test]
fn epochs_cover_the_set_once() {
    let data = set(100, 1, 4);
    let train = Batcher::new(data.clone(), BatchConfig::train(32, None, 1)).unwrap();
    assert_eq!(train.batches_per_epoch(), 3);
    let seen: Vec<usize> = train.epoch(0, 0, 2).flat_map(|b| b.indices).collect();
    assert_eq!(seen, train.epoch_order(0)[..96]);
    let eval = Batcher::new(data, BatchConfig::eval(32)).unwrap();
    let batches: Vec<_> = eval.epoch(0, 0, 1).collect();
    assert_eq!(batches.len(), 4);
    assert_eq!(batches[3].shape, [4, 1, 4, 4]);
    assert_eq!(batches[3].indices, [96, 97, 98, 99]);
    assert_eq!(batches[3].labels.as_deref(), Some(&[6, 7, 8, 9][..]));
    assert!(Batcher::new(set(1, 1, 1), BatchConfig::eval(0)).is_err());
}

#[test]
fn translation_keeps_shape_and_zero_fills() {
    let (c, h, w) = (2, 20, 20);
    let image = vec![255u8; c * h * w];
    let aug = Augment::translate();
    let mut rng = StdRng::seed_from_u64(3);
    let mut shifted_some = false;
    for _ in 0..50 {
        let mut out = vec![7u8; c * h * w];
        aug.apply_into(&image, [c, h, w], &mut rng, &mut out);
        let zeros = out.iter().filter(|&&v| v == 0).count();
        assert_eq!(zeros + out.iter().filter(|&&v| v == 255).count(), out.len());
        // At most 2 pixels (10% of 20) shifted in from each side.
        let kept_rows = (0..h).filter(|&y| out[y * w + w / 2] == 255).count();
        let kept_cols = (0..w).filter(|&x| out[(h / 2) * w + x] == 255).count();
        assert!(kept_rows >= h - 2 && kept_cols >= w - 2);
        assert_eq!(zeros, c * (h * w - kept_rows * kept_cols));
        shifted_some |= zeros > 0;
    }
    assert!(shifted_some);
}

#[test]
fn flip_mirrors_rows() {
    let image: Vec<u8> = (0..16).collect();
    let aug = Augment {
        max_shift: 0.0,
        hflip: true,
        photometric: None,
        zoom_out: None,
    };
    let mut rng = StdRng::seed_from_u64(0);
    let mut seen = [false; 2];
    for _ in 0..20 {
        let mut out = vec![0u8; 16];
        aug.apply_into(&image, [1, 4, 4], &mut rng, &mut out);
        let flipped = out[..4] == [3, 2, 1, 0];
        assert!(flipped || out == image);
        seen[usize::from(flipped)] = true;
    }
    assert_eq!(seen, [true, true]);
}

#[test]
fn batches_become_tensors() {
    let device = Device::flex();
    let data = set(10, 3, 8);
    let eval = Batcher::new(data.clone(), BatchConfig::eval(4)).unwrap();
    let batch = eval.batch(0, 1).unwrap();
    let tensor = batch.to_tensor(&device);
    assert_eq!(tensor.dims(), [4, 3, 8, 8]);
    let values = tensor.into_data().try_to_vec::<f32>().unwrap();
    let expected: Vec<f32> = data.pixels()[4 * 192..8 * 192]
        .iter()
        .map(|&v| eval_value(v))
        .collect();
    assert_eq!(values, expected);
    let labels = batch.labels_tensor(&device).unwrap();
    assert_eq!(
        labels.into_data().try_to_vec_as::<i64>().unwrap(),
        [4, 5, 6, 7]
    );
    let train = BatchConfig::train(5, Some(Augment::translate_flip()), 2);
    let batch = Batcher::new(data, train).unwrap().batch(0, 0).unwrap();
    assert_eq!(batch.into_tensor(&device).dims(), [5, 3, 8, 8]);
}

#[test]
fn grey_uses_the_method_weights() {
    assert_eq!(grey_value(255, 255, 255), 255);
    assert_eq!(grey_value(100, 0, 0), 30); // 29.89
    assert_eq!(grey_value(0, 100, 0), 59); // 58.70
    assert_eq!(grey_value(0, 0, 100), 11); // 11.40
    assert_eq!(grey_value(10, 20, 30), 18); // 2.989 + 11.74 + 3.42 = 18.149
    let mut pixels = vec![0u8; 12];
    pixels[..4].fill(10);
    pixels[4..8].fill(20);
    pixels[8..].fill(30);
    let rgb = ImageSet::new(pixels, [1, 3, 2, 2], None).unwrap();
    assert_eq!(rgb.to_grey().unwrap().pixels(), &[18; 4]);
}

#[test]
fn bilinear_resize_28_to_32() {
    // A constant image stays constant; a horizontal ramp stays monotone.
    let flat = ImageSet::new(vec![77; 784], [1, 1, 28, 28], None).unwrap();
    assert_eq!(flat.resize_bilinear(32, 32).unwrap().pixels(), &[77; 1024]);
    let ramp: Vec<u8> = (0..784).map(|i| (i % 28 * 9) as u8).collect();
    let ramp = ImageSet::new(ramp, [1, 1, 28, 28], None).unwrap();
    let big = ramp.resize_bilinear(32, 32).unwrap();
    let row = &big.pixels()[..32];
    assert!(row.windows(2).all(|p| p[0] <= p[1]), "{row:?}");
    assert_eq!((row[0], row[31]), (0, 243));
    // Half-pixel centres: output column 1 samples input x = 1.5*28/32 - 0.5 = 0.8125,
    // i.e. 0.8125 * 9 = 7.31 -> 7.
    assert_eq!(row[1], 7);
}
