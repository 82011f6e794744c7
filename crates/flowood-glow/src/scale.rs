//! One scale of the multiscale Glow: squeeze, K flow steps, split, and the prior of its latent.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use flowood_flows::{
    DenseStep, FlowOutput, FlowStep, InvertibleLayer, LazyRng, merge, split, squeeze, unsqueeze,
};

use crate::config::{Architecture, GlowConfig, PriorKind};
use crate::error::GlowError;
use crate::likelihood::ScaleTerms;
use crate::prior::{PriorTerms, ScalePrior};

/// Scale i of a Glow: it squeezes its input, applies K flow steps (log-dets `F_i`), then (for
/// i < L) splits off half the channels as the latent `z_i`, which its prior scores (`A_i`,
/// `N_i`); the last scale keeps everything as `z_L`.
///
/// The K steps are convolutional ([`FlowStep`]s, in `steps`) or, in a dense Glow, fully
/// connected ([`DenseStep`]s, in `dense_steps`); the other list is empty. Keeping them apart
/// keeps the tensor names of convolutional models unchanged.
#[derive(Module, Debug)]
pub struct GlowScale {
    /// The convolutional flow steps, applied first to last (empty in a dense Glow).
    pub steps: Vec<FlowStep>,
    /// The dense flow steps, applied first to last (empty unless the Glow is dense).
    pub dense_steps: Vec<DenseStep>,
    /// The prior of the scale's latent.
    pub prior: ScalePrior,
    /// Whether the scale splits its output (every scale but the last).
    #[module(skip)]
    pub splits: bool,
}

/// What one scale makes of its input.
#[derive(Debug, Clone)]
pub struct ScaleOutput {
    /// The half passed on to the next scale; `None` on the last scale.
    pub kept: Option<Tensor<4>>,
    /// `F_i`, `A_i`, `N_i` and `lp_i` of the scale.
    pub terms: ScaleTerms,
    /// The latent `z_i` (before the prior's own transform).
    pub latent: Tensor<4>,
}

impl GlowScale {
    /// Scale `i` (0-based) of the Glow `config` describes; initial parameters come from `rng`.
    pub fn new(
        config: &GlowConfig,
        i: usize,
        rng: &mut impl LazyRng,
        device: &Device,
    ) -> Result<Self, GlowError> {
        let c = config.flow_channels(i);
        let s = config.scale_size(i);
        let (h, kind, k) = (
            config.hidden_channels,
            config.coupling,
            config.steps_per_level,
        );
        let (steps, dense_steps) = match config.architecture {
            Architecture::Dense => (
                Vec::new(),
                (0..k)
                    .map(|_| DenseStep::new([c, s, s], h, kind, rng, device))
                    .collect::<Result<_, _>>()?,
            ),
            Architecture::Conv | Architecture::Local { .. } => (
                (0..k)
                    .map(|_| FlowStep::new(c, h, kind, rng, device))
                    .collect::<Result<_, _>>()?,
                Vec::new(),
            ),
        };
        let shape = config.prior_shape(i);
        let splits = i + 1 < config.levels;
        let prior = match (config.prior, splits) {
            (PriorKind::ActNormGaussian, _) => ScalePrior::actnorm(shape, device)?,
            (PriorKind::ConditionalSplit, true) => {
                ScalePrior::conditional(c - shape[0], shape[0], rng, device)
            }
            (PriorKind::ConditionalSplit, false) => ScalePrior::learned(shape, device),
        };
        Ok(Self {
            steps,
            dense_steps,
            prior,
            splits,
        })
    }

    /// Runs the scale on `h` (the input image or the previous scale's kept half).
    pub fn forward(&self, h: Tensor<4>) -> Result<ScaleOutput, GlowError> {
        Ok(self.head(self.flow(h)?))
    }

    /// The squeeze and the K flow steps of the scale on `h`: their output and `F_i`.
    pub fn flow(&self, h: Tensor<4>) -> Result<FlowOutput, GlowError> {
        Ok(self
            .steps
            .forward(squeeze(h)?)
            .then(|x| self.dense_steps.forward(x)))
    }

    /// What follows the flow steps: the split of their output and the prior of the latent.
    pub fn head(&self, flow: FlowOutput) -> ScaleOutput {
        let (latent, kept) = split_if(self.splits, flow.output);
        let prior = self.prior.terms(latent.clone(), kept.as_ref());
        ScaleOutput::new(flow.logdet, prior, latent, kept)
    }

    /// Data-dependent initialisation of the scale's ActNorms on `h`, then [`Self::forward`]
    /// with the new parameters.
    pub fn initialize(self, h: Tensor<4>) -> Result<(Self, ScaleOutput), GlowError> {
        let Self {
            steps,
            dense_steps,
            prior,
            splits,
        } = self;
        let (steps, flow) = steps.initialize(squeeze(h)?);
        let (dense_steps, flow): (_, FlowOutput) = flow.then_with(|x| dense_steps.initialize(x));
        let (latent, kept) = split_if(splits, flow.output);
        let (prior, terms) = prior.initialize(latent.clone(), kept.as_ref());
        let out = ScaleOutput::new(flow.logdet, terms, latent, kept);
        let scale = Self {
            steps,
            dense_steps,
            prior,
            splits,
        };
        Ok((scale, out))
    }

    /// The scale's input, from its latent `z` and the half it kept (`None` on the last scale).
    pub fn inverse(&self, z: Tensor<4>, kept: Option<Tensor<4>>) -> Tensor<4> {
        let flow = match kept {
            Some(kept) => merge(z, kept),
            None => z,
        };
        unsqueeze(self.steps.inverse(self.dense_steps.inverse(flow)))
    }

    /// Whether every ActNorm of the scale (steps and prior) has been initialised.
    pub fn is_initialized(&self) -> bool {
        let prior_ready = match &self.prior {
            ScalePrior::ActNorm(a) => a.actnorm.is_initialized(),
            _ => true,
        };
        prior_ready
            && self.steps.iter().all(|s| s.actnorm.is_initialized())
            && self.dense_steps.iter().all(|s| s.actnorm.is_initialized())
    }
}

impl ScaleOutput {
    fn new(
        flow_logdet: Tensor<1>,
        prior: PriorTerms,
        latent: Tensor<4>,
        kept: Option<Tensor<4>>,
    ) -> Self {
        Self {
            kept,
            terms: ScaleTerms::new(flow_logdet, prior.logdet, prior.gaussian),
            latent,
        }
    }
}

/// The latent and the kept half of a scale's flow output if the scale `splits`; otherwise the
/// whole output is the latent (the last scale keeps nothing).
fn split_if(splits: bool, out: Tensor<4>) -> (Tensor<4>, Option<Tensor<4>>) {
    if splits {
        let (z, kept) = split(out);
        (z, Some(kept))
    } else {
        (out, None)
    }
}
