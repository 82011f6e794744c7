//! Comparing two sets of gradients of one module, parameter by parameter (e.g. a sharded or
//! recomputed backward pass against the plain one).

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use super::check::scaled_max_error;
use crate::host::to_host;

/// Every float parameter's gradient in `grads`, in the module's order, as host values;
/// parameters without a gradient are left out.
pub fn gradient_values<M: Module>(module: &M, grads: &GradientsParams) -> Vec<Vec<f64>> {
    struct Collect<'a>(&'a GradientsParams, Vec<Vec<f64>>);
    impl ModuleVisitor for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.0.get::<D>(param.id) {
                self.1.push(to_host(g));
            }
        }
    }
    let mut collect = Collect(grads, Vec::new());
    module.visit(&mut collect);
    collect.1
}

/// Asserts that `actual` holds gradients for as many of `module`'s parameters as `expected`
/// (at least one), each within `tolerance` of its expected tensor's largest value
/// ([`scaled_max_error`]); `what` names the case in the panic message.
pub fn assert_same_gradients<M: Module>(
    module: &M,
    expected: &GradientsParams,
    actual: &GradientsParams,
    tolerance: f64,
    what: &str,
) {
    let (expected, actual) = (
        gradient_values(module, expected),
        gradient_values(module, actual),
    );
    assert!(!expected.is_empty(), "{what}: no gradients");
    assert_eq!(
        expected.len(),
        actual.len(),
        "{what}: gradients of other parameters"
    );
    for (i, (e, a)) in expected.iter().zip(&actual).enumerate() {
        let error = scaled_max_error(a, e, 1e-12);
        assert!(
            error <= tolerance,
            "{what}: parameter {i} differs by {error} of its scale"
        );
    }
}
