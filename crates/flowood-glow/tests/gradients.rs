//! After data-dependent init, every float parameter of a Glow still receives a gradient
//! (Burn's `Param::map` detaches values, which would silently freeze parameters).

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use flowood_flows::host_tensor;
use flowood_glow::{Architecture, Glow, GlowConfig, PriorKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

struct CountFloat(usize);

impl ModuleVisitor for CountFloat {
    fn visit_float<const D: usize>(&mut self, _param: &Param<Tensor<D>>) {
        self.0 += 1;
    }
}

/// A tiny grey 8x8 Glow of `architecture` and `prior`, initialised on 16 random images, and
/// the gradients of its NLL on them, with the number of float parameters it has.
fn trained_once(
    architecture: Architecture,
    prior: PriorKind,
    seed: u64,
) -> (Glow, GradientsParams, usize) {
    let device = Device::flex().autodiff();
    let mut config = GlowConfig::small(1);
    config.image_size = 8;
    config.levels = 2;
    config.steps_per_level = 2;
    config.hidden_channels = 8;
    config.prior = prior;
    config.architecture = architecture;
    let mut rng = StdRng::seed_from_u64(seed);
    let x = host_tensor(
        (0..16 * 64).map(|_| rng.random_range(-0.5..0.5)).collect(),
        [16, 1, 8, 8],
        &device,
    );
    let glow = config
        .init(&device, 0)
        .unwrap()
        .initialize(std::slice::from_ref(&x))
        .unwrap();
    let loss = glow.log_likelihood(x).unwrap().nll().mean();
    let grads = GradientsParams::from_grads(loss.backward(), &glow);
    let mut count = CountFloat(0);
    glow.visit(&mut count);
    (glow, grads, count.0)
}

#[test]
fn every_float_parameter_gets_a_gradient_after_init() {
    for prior in [PriorKind::ActNormGaussian, PriorKind::ConditionalSplit] {
        let (_, grads, params) = trained_once(Architecture::default(), prior, 0);
        assert_eq!(
            grads.len(),
            params,
            "{prior:?}: parameters without gradient"
        );
    }
}

#[test]
fn a_dense_glow_trains_everything_but_its_fixed_mixings() {
    let (glow, grads, params) = trained_once(Architecture::Dense, PriorKind::ActNormGaussian, 1);
    let mixings = glow.config.levels * glow.config.steps_per_level;
    assert_eq!(grads.len(), params - mixings);
    for scale in &glow.scales {
        for step in &scale.dense_steps {
            assert!(grads.get::<2>(step.mix.weight.id).is_none());
        }
    }
}
