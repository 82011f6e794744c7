//! Moving values between host memory and device tensors.

use burn::tensor::{Device, Tensor, TensorData};

/// A tensor in the device's default float type built from host values.
pub fn host_tensor<const D: usize>(
    values: Vec<f64>,
    shape: [usize; D],
    device: &Device,
) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Reads a tensor back to the host as f64 values (row-major).
pub fn to_host<const D: usize>(tensor: Tensor<D>) -> Vec<f64> {
    tensor
        .into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap_or_default()
}
