//! Data parallelism inside a step: the shard count divides the batches, and the gradients
//! summed over shards equal the whole batch's, for the NLL and for the outlier loss, on real
//! Fashion-MNIST and MNIST images.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use flowood_data::{
    BatchConfig, Batcher, ImageSet, Split, data_dir, load_fashion_mnist, load_mnist,
};
use flowood_flows::testing::assert_same_gradients;
use flowood_glow::{Architecture, CouplingKind, Glow, GlowConfig, GlowError, PriorKind};
use flowood_objectives::OutlierLoss;
use flowood_train::{ParallelPass, TrainingPass, data_parallel, shard_count};

fn first_images(set: ImageSet, n: usize) -> Batcher {
    let set = set
        .subset(&(0..n).collect::<Vec<_>>())
        .unwrap()
        .resize_bilinear(32, 32)
        .unwrap();
    Batcher::new(set, BatchConfig::eval(n)).unwrap()
}

/// 16 Fashion-MNIST and 16 MNIST test images, as one batch each on `device`.
fn batches(device: &Device) -> (Tensor<4>, Tensor<4>) {
    let dir = data_dir().expect("set FLOWOOD_DATA");
    let fashion = load_fashion_mnist(dir.join("fashion-mnist"), Split::Test)
        .expect("run scripts/fetch-data.sh data");
    let mnist = load_mnist(dir.join("mnist"), Split::Test).expect("run scripts/fetch-data.sh data");
    let tensor = |set| {
        first_images(set, 16)
            .batch(0, 0)
            .unwrap()
            .into_tensor(device)
    };
    (tensor(fashion), tensor(mnist))
}

fn glow(device: &Device, seed: u64, init: &Tensor<4>) -> Glow {
    GlowConfig {
        in_channels: 1,
        image_size: 32,
        levels: 2,
        steps_per_level: 2,
        hidden_channels: 8,
        coupling: CouplingKind::Affine,
        prior: PriorKind::ActNormGaussian,
        classes: None,
        architecture: Architecture::Conv,
    }
    .init(device, seed)
    .unwrap()
    .initialize(std::slice::from_ref(init))
    .unwrap()
}

/// Asserts that two passes have the same loss and gradients, relative to each gradient's
/// largest entry.
fn assert_same_pass<R>(model: &Glow, whole: &ParallelPass<R>, sharded: &ParallelPass<R>) {
    assert!(
        (whole.loss - sharded.loss).abs() <= 1e-5 * whole.loss.abs(),
        "loss {} vs {}",
        whole.loss,
        sharded.loss
    );
    assert_same_gradients(model, &whole.grads, &sharded.grads, 1e-4, "sharded pass");
}

#[test]
fn shard_count_is_the_largest_divisor_of_every_batch_up_to_threads() {
    for threads in 0..=9 {
        for sizes in [vec![64], vec![63], vec![64, 48], vec![7], vec![12, 18]] {
            let count = shard_count(threads, &sizes);
            assert!(count >= 1 && count <= threads.max(1), "{threads} {sizes:?}");
            assert!(sizes.iter().all(|n| n % count == 0), "{threads} {sizes:?}");
            let larger = (count + 1..=threads).find(|s| sizes.iter().all(|n| n % s == 0));
            assert_eq!(larger, None, "{threads} {sizes:?} -> {count}");
        }
    }
    // Never more shards than images, and no search through an absurd thread count.
    assert_eq!(shard_count(usize::MAX, &[64, 48]), 16);
    assert_eq!(shard_count(usize::MAX, &[5]), 5);
    assert_eq!(shard_count(3, &[]), 1);
}

#[test]
fn sharded_nll_gradients_equal_the_whole_batch() {
    let device = Device::flex().autodiff();
    let (x, _) = batches(&device);
    let model = glow(&device, 0, &x);
    let pass = |shards: usize, recompute: bool| {
        let x = x.clone().chunk(shards, 0);
        data_parallel(&model, x, recompute, |m: &TrainingPass<'_>, x| {
            Ok::<_, GlowError>((m.log_likelihood(x)?.nll().mean(), ()))
        })
        .unwrap()
    };
    let whole = pass(1, false);
    assert_eq!(whole.reports.len(), 1);
    for (shards, recompute) in [(2, false), (4, false), (1, true), (2, true)] {
        let sharded = pass(shards, recompute);
        assert_eq!(sharded.reports.len(), shards);
        assert_same_pass(&model, &whole, &sharded);
    }
}

#[test]
fn sharded_outlier_loss_gradients_equal_the_whole_batch() {
    let device = Device::flex();
    let (x, general_x) = batches(&device);
    let general = glow(&device, 7, &general_x);
    let model = glow(&device, 3, &x).train();
    let loss = OutlierLoss {
        lambda: 6000.0,
        temperature: 1000.0,
    };
    let pass = |shards: usize, recompute: bool| {
        let pairs: Vec<_> = x
            .clone()
            .chunk(shards, 0)
            .into_iter()
            .zip(general_x.clone().chunk(shards, 0))
            .collect();
        data_parallel(
            &model,
            pairs,
            recompute,
            |m: &TrainingPass<'_>, (x, g): (Tensor<4>, Tensor<4>)| {
                let nll = m.log_likelihood(x.autodiff())?.nll();
                let on_model = m.log_likelihood(g.clone().autodiff())?.total;
                let frozen = Tensor::from_inner(general.log_likelihood(g)?.total);
                Ok::<_, GlowError>((loss.loss(nll, on_model, frozen), ()))
            },
        )
        .unwrap()
    };
    let whole = pass(1, false);
    assert_same_pass(&model, &whole, &pass(2, false));
    assert_same_pass(&model, &whole, &pass(2, true));
}
