//! Training in the memory of one flow step: a forward pass that keeps only each step's input,
//! and a backward pass that recomputes the steps one at a time, last first.
//!
//! A Glow's activations (the coupling networks' hidden layers, 512 channels wide in the paper's
//! model) are what fills memory in training; each flow step's input is tiny beside them (the
//! scale's few channels). [`Glow::encode_taped`] runs the flow steps without a graph, keeps
//! their inputs, and hands the loss leaves for each scale's flow output and `F_i`: the split,
//! the priors and the class head stay in Burn's graph. After the loss's backward,
//! [`StepTape::backward`] walks the steps in reverse: it runs each step again from its stored
//! input with a graph, backpropagates the gradient of its output and of its log-determinant,
//! and passes the gradient of its input on to the step before. The recomputation repeats the
//! forward arithmetic exactly, so the gradients are those of the stored graph up to the order
//! of floating-point sums.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Gradients, Tensor};
use flowood_flows::{FlowOutput, InvertibleLayer, merge, split, squeeze, unsqueeze};

use crate::error::GlowError;
use crate::glow::{Encoded, Glow};
use crate::scale::GlowScale;

/// The stored inputs of one [`Glow::encode_taped`] pass, for [`StepTape::backward`].
#[derive(Debug)]
pub struct StepTape<'m> {
    model: &'m Glow,
    scales: Vec<ScaleTape>,
}

/// One scale's part of a [`StepTape`].
#[derive(Debug)]
struct ScaleTape {
    /// The input of every flow step (plain tensors), first step first: convolutional steps,
    /// then dense ones.
    inputs: Vec<Tensor<4>>,
    /// The leaf standing for the steps' output in the loss's graph.
    output: Tensor<4>,
    /// The leaf standing for `F_i`, the steps' summed log-determinants.
    logdet: Tensor<1>,
}

impl Glow {
    /// [`Glow::encode_with_likelihood`] for training a model on an autodiff device with the
    /// activations of one flow step in memory at a time: the flow steps run without a graph,
    /// and the returned [`StepTape`] backpropagates through them after the loss's backward.
    pub fn encode_taped(&self, x: Tensor<4>) -> Result<(Encoded, StepTape<'_>), GlowError> {
        let plain = self.valid();
        let mut scales = Vec::with_capacity(self.scales.len());
        let encoded = self.encode_through(x, |i, _, h| {
            let (tape, flow) = ScaleTape::record(&plain.scales[i], h.inner())?;
            scales.push(tape);
            Ok(flow)
        })?;
        let tape = StepTape {
            model: self,
            scales,
        };
        Ok((encoded, tape))
    }
}

impl StepTape<'_> {
    /// Backpropagates through the flow steps, last first, given `grads`, the backward of a
    /// loss computed from this pass's [`Encoded`]. Each step's parameter gradients go to
    /// `sink` (one call per step); the parameters of the priors and the class head are in
    /// `grads` already.
    pub fn backward(self, grads: &Gradients, mut sink: impl FnMut(GradientsParams)) {
        let mut kept_grad: Option<Tensor<4>> = None;
        for (i, tape) in self.scales.into_iter().enumerate().rev() {
            let scale = &self.model.scales[i];
            let mut g = leaf_grad(&tape.output, grads);
            if let Some(kept) = kept_grad.take() {
                let (latent, kept_half) = split(g);
                g = merge(latent, kept_half + kept);
            }
            let g_logdet = leaf_grad(&tape.logdet, grads);
            let input_grad = tape.backward(scale, g, g_logdet, i > 0, &mut sink);
            kept_grad = input_grad.map(unsqueeze);
        }
    }
}

impl ScaleTape {
    /// Runs the squeeze and flow steps of `scale` (plain parameters) on `h` without a graph,
    /// keeping each step's input; returns the tape and the leaves for the loss.
    fn record(scale: &GlowScale, h: Tensor<4>) -> Result<(Self, FlowOutput), GlowError> {
        let mut inputs = Vec::with_capacity(scale.steps.len() + scale.dense_steps.len());
        let mut flow = FlowOutput::identity(squeeze(h)?);
        for step in &scale.steps {
            inputs.push(flow.output.clone());
            flow = flow.then(|x| step.forward(x));
        }
        for step in &scale.dense_steps {
            inputs.push(flow.output.clone());
            flow = flow.then(|x| step.forward(x));
        }
        let leaves = FlowOutput {
            output: flow.output.autodiff().require_grad(),
            logdet: flow.logdet.autodiff().require_grad(),
        };
        let tape = Self {
            inputs,
            output: leaves.output.clone(),
            logdet: leaves.logdet.clone(),
        };
        Ok((tape, leaves))
    }

    /// The backward of the scale's flow steps (trainable parameters, `scale`) from the
    /// gradients of their output and of `F_i`; the gradient of the squeezed input if `wanted`.
    fn backward(
        self,
        scale: &GlowScale,
        output_grad: Tensor<4>,
        logdet_grad: Tensor<1>,
        wanted: bool,
        sink: &mut impl FnMut(GradientsParams),
    ) -> Option<Tensor<4>> {
        let (conv_inputs, dense_inputs) = self.inputs.split_at(scale.steps.len());
        let g = back_through(
            &scale.dense_steps,
            dense_inputs,
            output_grad,
            &logdet_grad,
            true,
            sink,
        );
        let g = g.unwrap_or_else(|| {
            unreachable!("every step but the first returns its input's gradient")
        });
        back_through(&scale.steps, conv_inputs, g, &logdet_grad, wanted, sink)
    }
}

/// Backpropagates `output_grad` through `layers`, last first, each recomputed from its stored
/// input, with `logdet_grad` the gradient of every layer's log-determinant (they add up to
/// `F_i`). Returns the gradient of the first layer's input if `wanted` (or `output_grad` itself
/// when there are no layers).
fn back_through<L: InvertibleLayer + Module>(
    layers: &[L],
    inputs: &[Tensor<4>],
    output_grad: Tensor<4>,
    logdet_grad: &Tensor<1>,
    wanted: bool,
    sink: &mut impl FnMut(GradientsParams),
) -> Option<Tensor<4>> {
    let mut g = Some(output_grad);
    for (k, (layer, input)) in layers.iter().zip(inputs).enumerate().rev() {
        let upstream = g.take()?;
        let needs_input = k > 0 || wanted;
        let x = match needs_input {
            true => input.clone().autodiff().require_grad(),
            false => input.clone().autodiff(),
        };
        let out = layer.forward(x.clone());
        let surrogate = (out.output * upstream.autodiff()).sum()
            + (out.logdet * logdet_grad.clone().autodiff()).sum();
        let mut grads = surrogate.backward();
        g = x.grad_remove(&mut grads);
        sink(GradientsParams::from_grads(grads, layer));
    }
    g
}

/// The gradient of `leaf` in `grads`; zero if the loss did not depend on it.
fn leaf_grad<const D: usize>(leaf: &Tensor<D>, grads: &Gradients) -> Tensor<D> {
    leaf.grad(grads)
        .unwrap_or_else(|| Tensor::zeros(leaf.dims(), &leaf.device().inner()))
}
