//! A coupling network computes each convolution and the ActNorm after it as one convolution
//! with scaled weights; that must be the same function, in value and in gradient, as applying
//! the layers one after the other.

use burn::module::Module;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use flowood_flows::testing::{max_abs_diff, perturb_parameters, random_batch};
use flowood_flows::{CouplingNet, SameConv, swap_batch_channels};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Parameter noise: ActNorm scales and shifts, the zero-initialised output layer and its
/// log-scale all move away from their initial values, so every folded term matters.
const NOISE: f64 = 0.3;

/// `conv_out(relu(norm_hidden(conv_hidden(relu(norm_in(conv_in(x))))))) * exp(3 logs)`,
/// layer by layer, each in the batch-major layout (the convolutions take channel-major tensors).
fn layer_by_layer(net: &CouplingNet, x: Tensor<4>) -> Tensor<4> {
    let conv = |conv: &SameConv, x| swap_batch_channels(conv.forward(swap_batch_channels(x)));
    let h = relu(net.norm_in.normalize(conv(&net.conv_in, x)));
    let h = relu(net.norm_hidden.normalize(conv(&net.conv_hidden, h)));
    conv(&net.conv_out, h) * net.out_logs.val().mul_scalar(3.0).exp()
}

fn network(device: &Device) -> CouplingNet {
    let mut rng = StdRng::seed_from_u64(5);
    let net = CouplingNet::new(2, 16, 4, &mut rng, device).expect("valid sizes");
    perturb_parameters(net, NOISE, 6)
}

#[test]
fn folded_forward_equals_the_layers_applied_in_turn() {
    let device = Device::flex();
    let net = network(&device);
    let x = random_batch([3, 2, 6, 5], 7, 0.0, &device);
    let err = max_abs_diff(net.forward(x.clone()), layer_by_layer(&net, x));
    assert!(err < 1e-5, "max abs difference {err}");
}

#[test]
fn folded_gradients_equal_the_layers_applied_in_turn() {
    let device = Device::flex().autodiff();
    // Two identical copies (same seeds), one autodiff graph each: Burn runs a graph backward once.
    // Perturbed without autodiff, then made trainable: the parameters are leaves with gradients.
    let on_device = || network(&Device::flex()).train();
    let (folded_net, layered_net) = (on_device(), on_device());
    let input = || random_batch([3, 2, 6, 5], 7, 0.0, &device).require_grad();
    let (x_folded, x_layered) = (input(), input());
    let probe = random_batch([3, 4, 6, 5], 8, 0.0, &device);
    let folded = (folded_net.forward(x_folded.clone()) * probe.clone())
        .sum()
        .backward();
    let layered = (layer_by_layer(&layered_net, x_layered.clone()) * probe)
        .sum()
        .backward();
    let pairs = |net: &CouplingNet, x: &Tensor<4>| {
        [
            ("input", x.clone()),
            ("conv_in", net.conv_in.weight.val()),
            ("norm_in.log_scale", net.norm_in.log_scale.val()),
            ("norm_hidden.bias", net.norm_hidden.bias.val()),
            ("conv_out", net.conv_out.weight.val()),
            ("out_logs", net.out_logs.val()),
        ]
    };
    let ours = pairs(&folded_net, &x_folded);
    let reference = pairs(&layered_net, &x_layered);
    for ((name, a), (_, b)) in ours.into_iter().zip(reference) {
        let (ga, gb) = (a.grad(&folded), b.grad(&layered));
        let (ga, gb) = (
            ga.unwrap_or_else(|| panic!("{name}: no gradient")),
            gb.expect("tracked"),
        );
        let err = max_abs_diff(ga, gb);
        assert!(err < 1e-3, "{name}: max abs gradient difference {err}");
    }
}
