//! Adamax (Kingma & Ba 2015, section 7.1) with coupled weight decay, as a Burn optimizer.
//!
//! Burn 0.22 ships no Adamax. The update, per parameter `p` with gradient `g` at step `t`:
//! ```text
//! g = g + weight_decay * p                 (coupled L2, not AdamW)
//! m = beta_1 * m + (1 - beta_1) * g
//! u = max(beta_2 * u, |g| + epsilon)
//! p = p - lr / (1 - beta_1^t) * m / u
//! ```
//! which is PyTorch's `torch.optim.Adamax`, the optimizer of the paper's experiments.

use burn::config::Config;
use burn::optim::{ModuleOptimizer, Optimizer, RecordState, StateSink, StateSource};
use burn::tensor::{Device, Tensor, TensorData};

/// Hyper-parameters of [`Adamax`]; defaults are PyTorch's, weight decay that of docs/method.md.
#[derive(Config, Debug)]
pub struct AdamaxConfig {
    /// Decay of the first moment.
    #[config(default = 0.9)]
    pub beta_1: f64,
    /// Decay of the infinity norm.
    #[config(default = 0.999)]
    pub beta_2: f64,
    /// Added to `|g|` so the denominator never vanishes.
    #[config(default = 1e-8)]
    pub epsilon: f64,
    /// Coupled L2 weight decay, added to the gradient.
    #[config(default = 5e-5)]
    pub weight_decay: f64,
}

/// The Adamax update rule (use through [`AdamaxConfig::init`]).
#[derive(Clone, Debug)]
pub struct Adamax {
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    weight_decay: f64,
}

/// Per-parameter state: step count, first moment and infinity norm.
#[derive(Clone)]
pub struct AdamaxState<const D: usize> {
    /// Number of updates applied so far.
    pub time: usize,
    /// Exponential moving average of the gradient.
    pub moment: Tensor<D>,
    /// Exponentially weighted infinity norm of the gradient.
    pub inf_norm: Tensor<D>,
}

/// Written by hand: Burn's `RecordState` derive only works inside burn-optim. The step count
/// is stored as a one-element integer tensor so it round-trips exactly.
impl<const D: usize> RecordState for AdamaxState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        out.push_tensor(prefix, "time", TensorData::new(vec![self.time as i64], [1]));
        out.push_tensor(prefix, "moment", self.moment.to_data());
        out.push_tensor(prefix, "inf_norm", self.inf_norm.to_data());
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        let time = src
            .take_tensor(prefix, "time")?
            .convert::<i64>()
            .try_to_vec::<i64>()
            .ok()?;
        Some(Self {
            time: usize::try_from(*time.first()?).ok()?,
            moment: Tensor::from_data(src.take_tensor(prefix, "moment")?, device),
            inf_norm: Tensor::from_data(src.take_tensor(prefix, "inf_norm")?, device),
        })
    }
}

impl AdamaxConfig {
    /// The update rule alone.
    pub fn build(&self) -> Adamax {
        Adamax {
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            epsilon: self.epsilon,
            weight_decay: self.weight_decay,
        }
    }

    /// A module optimizer (what a training loop calls `step` on).
    pub fn init(&self) -> ModuleOptimizer {
        ModuleOptimizer::from(self.build())
    }
}

impl Optimizer for Adamax {
    type State<const D: usize> = AdamaxState<D>;

    fn step<const D: usize>(
        &self,
        lr: f64,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let grad = if self.weight_decay == 0.0 {
            grad
        } else {
            grad + tensor.clone().mul_scalar(self.weight_decay)
        };
        let magnitude = grad.clone().abs().add_scalar(self.epsilon);
        let (b1, b2) = (self.beta_1, self.beta_2);
        let state = match state {
            None => AdamaxState {
                time: 1,
                moment: grad.mul_scalar(1.0 - b1),
                inf_norm: magnitude,
            },
            Some(s) => AdamaxState {
                time: s.time + 1,
                moment: s.moment.mul_scalar(b1) + grad.mul_scalar(1.0 - b1),
                inf_norm: s.inf_norm.mul_scalar(b2).max_pair(magnitude),
            },
        };
        let step_size = lr / (1.0 - b1.powi(state.time as i32));
        let update = state
            .moment
            .clone()
            .div(state.inf_norm.clone())
            .mul_scalar(step_size);
        (tensor - update, Some(state))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        AdamaxState {
            time: state.time,
            moment: state.moment.to_device(device),
            inf_norm: state.inf_norm.to_device(device),
        }
    }
}
