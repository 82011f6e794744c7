//! Random perturbation of a module's float parameters.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::Tensor;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::host::host_tensor;
use crate::param_init::normal_values;

/// Adds `N(0, std^2)` noise (seeded) to every float parameter of `module`.
///
/// Fresh flows start at special points (zero-initialised couplings are the identity, ActNorm
/// is the identity before init), where bugs in a log-det or an inverse can hide. Checks of
/// invertibility and log-determinants should move parameters away from there first; about
/// 0.02 is enough without making the check numerically meaningless. Integer buffers (LU
/// permutation and signs, the ActNorm marker) and the fixed matrices of
/// [`crate::OrthogonalMix`] (which must stay orthogonal) are left alone.
pub fn perturb_parameters<M: Module>(module: M, std: f64, seed: u64) -> M {
    let mut mapper = Perturb {
        rng: StdRng::seed_from_u64(seed),
        std,
        fixed_depth: 0,
    };
    module.map(&mut mapper)
}

struct Perturb {
    rng: StdRng,
    std: f64,
    /// How many [`crate::OrthogonalMix`] modules enclose the current parameter.
    fixed_depth: usize,
}

/// Container type Burn reports for an [`crate::OrthogonalMix`].
const FIXED_CONTAINER: &str = "Struct:OrthogonalMix";

impl ModuleMapper for Perturb {
    fn enter_module(&mut self, _name: &str, container_type: &str) {
        if container_type == FIXED_CONTAINER {
            self.fixed_depth += 1;
        }
    }

    fn exit_module(&mut self, _name: &str, container_type: &str) {
        if container_type == FIXED_CONTAINER {
            self.fixed_depth -= 1;
        }
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.fixed_depth > 0 {
            return param;
        }
        let shape: [usize; D] = param.dims();
        let n = shape.iter().product();
        let noise = host_tensor(
            normal_values(&mut self.rng, n, self.std),
            shape,
            &param.device(),
        );
        param.map(|value| value + noise)
    }
}
