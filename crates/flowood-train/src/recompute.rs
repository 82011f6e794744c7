//! Training with recomputed activations: Burn's balanced gradient checkpointing, which keeps
//! the outputs of matrix products for the backward pass and recomputes the element-wise
//! operations between them instead of storing theirs.
//!
//! Burn refuses to mix tensors of two checkpointing strategies in one operation, so the
//! model's parameters and every batch must be created on the checkpointing device itself.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Int, Tensor};
use flowood_glow::Glow;

/// The autodiff device of training on `device`, checkpointing when `recompute` is set
/// ([`TrainConfig::recompute`](crate::TrainConfig::recompute)).
pub fn autodiff_device(device: &Device, recompute: bool) -> Device {
    let autodiff = device.clone().autodiff();
    match recompute {
        true => autodiff.gradient_checkpointing(),
        false => autodiff,
    }
}

/// `model` trainable on `autodiff` (from [`autodiff_device`]), parameter ids kept.
pub(crate) fn trainable_on(model: Glow, autodiff: &Device) -> Glow {
    if same_strategy(&model.device(), autodiff) {
        return model.train();
    }
    model.valid().map(&mut Recreate(autodiff.clone()))
}

/// `x` as a tensor of `autodiff` (a copy only when its strategy differs).
pub(crate) fn tensor_on<const D: usize>(x: Tensor<D>, autodiff: &Device) -> Tensor<D> {
    if same_strategy(&x.device(), autodiff) {
        return x.autodiff();
    }
    Tensor::from_data(x.into_data(), autodiff)
}

/// Whether a tensor of `device`, given autodiff, would have `autodiff`'s strategy (a device
/// without autodiff gets Burn's default one).
fn same_strategy(device: &Device, autodiff: &Device) -> bool {
    let default = device.clone().without_autodiff().autodiff();
    let strategy = device
        .gradient_checkpointing_strategy()
        .or(default.gradient_checkpointing_strategy());
    strategy == autodiff.gradient_checkpointing_strategy()
}

/// Rebuilds every parameter from its values on the device (moving a tensor between devices
/// that differ only in strategy keeps the old strategy).
struct Recreate(Device);

impl ModuleMapper for Recreate {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let device = self.0.clone();
        param
            .map(|t| Tensor::from_data(t.into_data(), &device))
            .set_require_grad(true)
    }

    fn map_int<const D: usize>(&mut self, param: Param<Tensor<D, Int>>) -> Param<Tensor<D, Int>> {
        let device = self.0.clone();
        param.map(|t| Tensor::from_data(t.into_data(), &device))
    }
}
