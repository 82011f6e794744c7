//! Adamax against values computed by hand from its definition.

use burn::module::{Module, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use flowood_train::AdamaxConfig;

#[derive(Module, Debug)]
struct One {
    w: Param<Tensor<1>>,
}

/// Loss `sum(c * w)`, whose gradient is the constant `c`.
fn step(model: One, optim: &mut burn::optim::ModuleOptimizer, c: [f32; 2], lr: f64) -> One {
    let device = model.w.device();
    let loss = (model.w.val() * Tensor::<1>::from_data(TensorData::from(c), &device)).sum();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    optim.step(lr, model, grads)
}

fn values(model: &One) -> Vec<f32> {
    model
        .w
        .val()
        .into_data()
        .convert::<f32>()
        .try_to_vec()
        .unwrap()
}

#[test]
fn two_steps_match_the_hand_computed_update() {
    let device = Device::flex().autodiff();
    let mut model = One {
        w: Param::from_tensor(Tensor::from_data(TensorData::from([1.0f32, -2.0]), &device)),
    };
    let mut optim = AdamaxConfig::new()
        .with_weight_decay(0.1)
        .with_epsilon(0.0)
        .init();
    let lr = 0.01;

    // Step 1, w = (1, -2), c = (0.5, -3): g = c + 0.1 w = (0.6, -3.2);
    // m = 0.1 g = (0.06, -0.32); u = |g| = (0.6, 3.2); w -= lr / (1 - 0.9) * m / u = 0.1 * (0.1, -0.1).
    model = step(model, &mut optim, [0.5, -3.0], lr);
    let w1: [f64; 2] = [1.0 - 0.01, -2.0 + 0.01];
    for (got, want) in values(&model).iter().zip(w1) {
        assert!((*got as f64 - want).abs() < 1e-6, "{got} vs {want}");
    }

    // Step 2, c = (0.1, 0): g = (0.1 + 0.1 * 0.99, 0.1 * -1.99) = (0.199, -0.199);
    // m = 0.9 m + 0.1 g; u = max(0.999 u, |g|); w -= lr / (1 - 0.81) * m / u.
    model = step(model, &mut optim, [0.1, 0.0], lr);
    let g = [0.1 + 0.1 * w1[0], 0.1 * w1[1]];
    let m = [0.9 * 0.06 + 0.1 * g[0], 0.9 * -0.32 + 0.1 * g[1]];
    let u = [
        (0.999f64 * 0.6).max(g[0].abs()),
        (0.999f64 * 3.2).max(g[1].abs()),
    ];
    let w2: Vec<f64> = (0..2)
        .map(|i| w1[i] - lr / (1.0 - 0.81) * m[i] / u[i])
        .collect();
    for (got, want) in values(&model).iter().zip(w2) {
        assert!((*got as f64 - want).abs() < 1e-6, "{got} vs {want}");
    }
}
