//! The same model gives the same numbers on every backend: each layer and a small Glow, run on
//! the device under test and on the CPU reference (Flex), agree on outputs, inverses, log-dets,
//! per-scale terms and gradients to a relative 1e-4, and a short training run on the device
//! lowers the loss on real Fashion-MNIST images.
//!
//! The device under test is `FLOWOOD_TEST_DEVICE` (`wgpu`, `cuda`, `cuda:1`, `ndarray`), by
//! default the first non-CPU backend compiled in. Built only with a second backend:
//!
//! ```text
//! CUBECL_AUTOTUNE_LEVEL=minimal cargo test --release --features wgpu --test backends
//! FLOWOOD_TEST_DEVICE=cuda cargo test --release --features cuda --test backends
//! ```
#![cfg(all(
    feature = "flex",
    any(feature = "wgpu", feature = "cuda", feature = "ndarray")
))]

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use flowood::backend::{compiled_backends, parse_device};
use flowood::data::{Augment, BatchConfig, Batcher, Split, data_dir, load_fashion_mnist};
use flowood::flows::testing::perturb_parameters;
use flowood::flows::testing::{random_batch, scaled_max_error};
use flowood::flows::to_host;
use flowood::flows::{ActNorm, Coupling, CouplingKind, FlowStep, InvConv1x1, InvertibleLayer};
use flowood::glow::{Glow, GlowConfig, LogLikelihood, PriorKind};
use flowood::train::{TrainConfig, TrainData, Trainer, evaluate_bits_per_dim};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Largest allowed difference, relative to the largest magnitude of the reference tensor.
const TOLERANCE: f64 = 1e-4;

/// The device under test.
fn device() -> Device {
    let name = std::env::var("FLOWOOD_TEST_DEVICE").unwrap_or_else(|_| {
        compiled_backends()
            .into_iter()
            .find(|b| *b != "flex")
            .expect("a second backend is compiled in")
            .to_string()
    });
    parse_device(&name).unwrap_or_else(|e| panic!("{e}"))
}

fn reference() -> Device {
    Device::flex()
}

/// Uniform values in the model's input range, offset so ActNorm init has work to do.
fn input(shape: [usize; 4], seed: u64, device: &Device) -> Tensor<4> {
    random_batch(shape, seed, 0.1, device)
}

/// Asserts `max |actual - expected| <= TOLERANCE * max(max |expected|, 1e-3)`.
fn assert_close(what: &str, actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    assert!(actual.iter().all(|v| v.is_finite()), "{what}: non-finite");
    let error = scaled_max_error(actual, expected, 1e-3);
    assert!(
        error <= TOLERANCE,
        "{what}: max difference {error:e} of the expected values' scale"
    );
}

fn assert_tensors_close<const D: usize>(what: &str, actual: Tensor<D>, expected: Tensor<D>) {
    assert_eq!(actual.dims(), expected.dims(), "{what}: shapes differ");
    assert_close(what, &to_host(actual), &to_host(expected));
}

/// Every float parameter's gradient, by parameter id, as host values.
struct CollectGrads<'a> {
    grads: &'a GradientsParams,
    out: Vec<(ParamId, Vec<f64>)>,
}

impl ModuleVisitor for CollectGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let grad = self
            .grads
            .get::<D>(param.id)
            .map(to_host)
            .unwrap_or_default();
        self.out.push((param.id, grad));
    }
}

/// Gradients of `loss(module)` with respect to every float parameter, the module moved to the
/// autodiff version of `device`.
fn gradients<M: Module>(
    module: &M,
    device: &Device,
    loss: impl Fn(&M, &Device) -> Tensor<1>,
) -> Vec<(ParamId, Vec<f64>)> {
    let module = module.clone().to_device(device).train();
    let device = device.clone().autodiff();
    let grads = GradientsParams::from_grads(loss(&module, &device).backward(), &module);
    let mut collect = CollectGrads {
        grads: &grads,
        out: Vec::new(),
    };
    module.visit(&mut collect);
    collect.out
}

fn assert_gradients_close(
    what: &str,
    actual: &[(ParamId, Vec<f64>)],
    expected: &[(ParamId, Vec<f64>)],
) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what}: parameter counts differ"
    );
    for (i, ((id_a, a), (id_e, e))) in actual.iter().zip(expected).enumerate() {
        assert_eq!(id_a, id_e, "{what}: parameter order differs");
        assert!(
            !e.is_empty(),
            "{what}: parameter {i} has no gradient on the CPU"
        );
        assert_close(&format!("{what}: gradient of parameter {i}"), a, e);
    }
}

/// Initialises `layer` on data (on the reference), perturbs it, then checks that forward,
/// log-det, inverse and gradients agree between the device and the reference.
fn assert_layer_matches<L>(name: &str, layer: L, shape: [usize; 4])
where
    L: InvertibleLayer + Module,
{
    let (cpu, gpu) = (reference(), device());
    let (layer, _) = layer.initialize(input(shape, 1, &cpu));
    let layer = perturb_parameters(layer, 0.02, 7);
    let on_gpu = layer.clone().to_device(&gpu);
    let expected = layer.forward(input(shape, 2, &cpu));
    let actual = on_gpu.forward(input(shape, 2, &gpu));
    assert_tensors_close(
        &format!("{name} output"),
        actual.output.clone(),
        expected.output.clone(),
    );
    assert_tensors_close(&format!("{name} log-det"), actual.logdet, expected.logdet);
    assert_tensors_close(
        &format!("{name} inverse"),
        on_gpu.inverse(actual.output),
        layer.inverse(expected.output),
    );
    let loss = |m: &L, d: &Device| {
        let out = m.forward(input(shape, 2, d));
        (out.output.powi_scalar(2).sum() - out.logdet.sum()).reshape([1])
    };
    assert_gradients_close(
        name,
        &gradients(&layer, &gpu, loss),
        &gradients(&layer, &cpu, loss),
    );
}

#[test]
fn actnorm_matches_the_cpu() {
    let cpu = reference();
    assert_layer_matches(
        "actnorm",
        ActNorm::per_channel(4, &cpu).unwrap(),
        [3, 4, 4, 4],
    );
    assert_layer_matches(
        "per-element actnorm",
        ActNorm::per_element([4, 4, 4], &cpu).unwrap(),
        [3, 4, 4, 4],
    );
}

#[test]
fn actnorm_initialises_the_same_on_the_device() {
    let (cpu, gpu) = (reference(), device());
    let layer = ActNorm::per_channel(4, &cpu).unwrap();
    let (on_cpu, out_cpu) = layer.clone().initialize(input([8, 4, 4, 4], 3, &cpu));
    let (on_gpu, out_gpu) = layer
        .to_device(&gpu)
        .initialize(input([8, 4, 4, 4], 3, &gpu));
    assert!(on_gpu.is_initialized());
    assert_tensors_close("initialised output", out_gpu.output, out_cpu.output);
    assert_tensors_close("log-scale", on_gpu.log_scale.val(), on_cpu.log_scale.val());
    assert_tensors_close("bias", on_gpu.bias.val(), on_cpu.bias.val());
}

#[test]
fn invconv_matches_the_cpu() {
    let mut rng = StdRng::seed_from_u64(3);
    let layer = InvConv1x1::new(6, &mut rng, &reference()).unwrap();
    assert_layer_matches("invconv", layer, [3, 6, 4, 4]);
}

#[test]
fn couplings_match_the_cpu() {
    for kind in [CouplingKind::Affine, CouplingKind::Additive] {
        let mut rng = StdRng::seed_from_u64(4);
        let layer = Coupling::new(4, 8, kind, &mut rng, &reference()).unwrap();
        assert_layer_matches(&format!("{kind:?} coupling"), layer, [3, 4, 4, 4]);
    }
}

#[test]
fn flow_step_matches_the_cpu() {
    let mut rng = StdRng::seed_from_u64(6);
    let layer = FlowStep::new(4, 8, CouplingKind::Affine, &mut rng, &reference()).unwrap();
    assert_layer_matches("flow step", layer, [3, 4, 4, 4]);
}

/// A grey Glow with two scales and hidden width 8 (the tiny models of the tests).
fn grey(image_size: usize, steps_per_level: usize) -> GlowConfig {
    GlowConfig {
        image_size,
        levels: 2,
        steps_per_level,
        hidden_channels: 8,
        ..GlowConfig::small(1)
    }
}

/// The tiny Glow of the Glow tests (1x8x8, L = 2, K = 3), initialised and perturbed on the CPU.
fn tiny_glow(prior: PriorKind) -> Glow {
    let cpu = reference();
    let config = GlowConfig {
        prior,
        ..grey(8, 3)
    };
    let glow = config.init(&cpu, 0).unwrap();
    let glow = glow.initialize(&[input([16, 1, 8, 8], 1, &cpu)]).unwrap();
    perturb_parameters(glow, 0.02, 5)
}

fn assert_likelihoods_close(what: &str, actual: &LogLikelihood, expected: &LogLikelihood) {
    let (a, e) = (actual.to_host(), expected.to_host());
    assert_close(&format!("{what}: log p(x)"), &a.total, &e.total);
    for (i, (sa, se)) in a.scales.iter().zip(&e.scales).enumerate() {
        let scale = i + 1;
        assert_close(
            &format!("{what}: F_{scale}"),
            &sa.flow_logdet,
            &se.flow_logdet,
        );
        assert_close(
            &format!("{what}: A_{scale}"),
            &sa.prior_logdet,
            &se.prior_logdet,
        );
        assert_close(&format!("{what}: N_{scale}"), &sa.gaussian, &se.gaussian);
        assert_close(&format!("{what}: lp_{scale}"), &sa.lp, &se.lp);
    }
}

#[test]
fn glow_matches_the_cpu() {
    let (cpu, gpu) = (reference(), device());
    for prior in [PriorKind::ActNormGaussian, PriorKind::ConditionalSplit] {
        let what = format!("{prior:?} glow");
        let glow = tiny_glow(prior);
        let on_gpu = glow.clone().to_device(&gpu);
        let expected = glow
            .encode_with_likelihood(input([4, 1, 8, 8], 2, &cpu))
            .unwrap();
        let actual = on_gpu
            .encode_with_likelihood(input([4, 1, 8, 8], 2, &gpu))
            .unwrap();
        assert_likelihoods_close(&what, &actual.log_likelihood, &expected.log_likelihood);
        for (i, (a, e)) in actual.latents.iter().zip(&expected.latents).enumerate() {
            assert_tensors_close(&format!("{what}: z_{}", i + 1), a.clone(), e.clone());
        }
        assert_tensors_close(
            &format!("{what}: decode"),
            on_gpu.decode(&actual.latents).unwrap(),
            glow.decode(&expected.latents).unwrap(),
        );
        let loss = |m: &Glow, d: &Device| {
            m.log_likelihood(input([4, 1, 8, 8], 2, d))
                .unwrap()
                .nll()
                .mean()
        };
        assert_gradients_close(
            &what,
            &gradients(&glow, &gpu, loss),
            &gradients(&glow, &cpu, loss),
        );
    }
}

#[test]
fn glow_initialises_the_same_on_the_device() {
    let (cpu, gpu) = (reference(), device());
    let fresh = grey(8, 2).init(&cpu, 0).unwrap();
    let on_cpu = fresh
        .clone()
        .initialize(&[input([16, 1, 8, 8], 1, &cpu)])
        .unwrap();
    let on_gpu = fresh
        .to_device(&gpu)
        .initialize(&[input([16, 1, 8, 8], 1, &gpu)])
        .unwrap();
    assert!(on_gpu.is_initialized());
    let expected = on_cpu.log_likelihood(input([4, 1, 8, 8], 2, &cpu)).unwrap();
    let actual = on_gpu.log_likelihood(input([4, 1, 8, 8], 2, &gpu)).unwrap();
    assert_likelihoods_close("initialised on the device", &actual, &expected);
}

#[test]
fn training_on_the_device_lowers_the_loss() {
    let gpu = device();
    let images = |split, n: usize| {
        let set = load_fashion_mnist(
            data_dir().expect("set FLOWOOD_DATA").join("fashion-mnist"),
            split,
        )
        .expect("run scripts/fetch-data.sh data");
        set.subset(&(0..n).collect::<Vec<_>>())
            .unwrap()
            .resize_bilinear(16, 16)
            .unwrap()
    };
    let data = TrainData {
        train: Batcher::new(
            images(Split::Train, 256),
            BatchConfig::train(16, Some(Augment::translate()), 0),
        )
        .unwrap(),
        test: Some(Batcher::new(images(Split::Test, 64), BatchConfig::eval(32)).unwrap()),
        general: None,
    };
    let glow_config = grey(16, 1);
    let train_config = TrainConfig {
        batch_size: 16,
        max_steps: 30,
        checkpoint_every: 30,
        eval_every: 0,
        init_batches: 2,
        learning_rate: 2e-3,
        ..TrainConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let trainer = Trainer::new(train_config, &gpu, dir.path()).unwrap();
    let model = glow_config.init(&gpu, 0).unwrap();
    let (trained, summary) = trainer.fit(model, None, &data, false).unwrap();
    let test = data.test.as_ref().unwrap();
    let before = {
        let fresh = glow_config.init(&gpu, 0).unwrap();
        let first = data.train.batch(0, 0).unwrap().into_tensor(&gpu);
        let fresh = fresh.initialize(&[first]).unwrap();
        evaluate_bits_per_dim(&fresh, test, 2, &gpu).unwrap()
    };
    let after = evaluate_bits_per_dim(&trained.valid(), test, 2, &gpu).unwrap();
    assert_eq!(summary.steps, 30);
    assert!(
        after < before - 0.1,
        "test bits/dim {before:.3} -> {after:.3}"
    );
}
