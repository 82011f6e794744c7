//! The multiscale Glow: squeeze, K flow steps and split per scale, with a per-scale prior.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use flowood_flows::{InvertibleLayer, merge, split, squeeze, unsqueeze};
use flowood_flows::{host_tensor, normal_values};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::config::{GlowConfig, PriorKind};
use crate::error::GlowError;
use crate::likelihood::{LogLikelihood, ScaleTerms};
use crate::prior::ScalePrior;
use crate::scale::ScaleFlow;

/// A multiscale Glow (Kingma & Dhariwal 2018) as configured in docs/method.md.
///
/// Scale i squeezes its input, applies K flow steps, then (for i < L) splits off half the
/// channels as the latent `z_i`; the last scale keeps everything as `z_L`. Each latent is
/// scored by its own prior, which gives the per-scale decomposition
/// `log p(x) = sum_i lp_i`, `lp_i = F_i + A_i + N_i` (see [`LogLikelihood`]).
#[derive(Module, Debug)]
pub struct Glow {
    /// The flow of each scale, first (finest) first.
    pub levels: Vec<ScaleFlow>,
    /// The prior of each scale's latent.
    pub priors: Vec<ScalePrior>,
    /// The architecture this model was built from.
    #[module(skip)]
    pub config: GlowConfig,
}

/// Result of a forward pass: the log-likelihood and the latents it was computed from.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// `log p(x)` and its per-scale terms.
    pub log_likelihood: LogLikelihood,
    /// `z_1 .. z_L`, each `[B, C_i, H_i, W_i]` (before the prior's own transform).
    pub latents: Vec<Tensor<4>>,
}

impl GlowConfig {
    /// Builds a Glow on `device`; all initial parameters come from the host RNG seeded with
    /// `seed`, so a seed gives the same model on every backend.
    pub fn init(&self, device: &Device, seed: u64) -> Result<Glow, GlowError> {
        self.validate()?;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut levels = Vec::with_capacity(self.levels);
        let mut priors = Vec::with_capacity(self.levels);
        for i in 0..self.levels {
            let c = self.flow_channels(i);
            levels.push(ScaleFlow::new(
                c,
                self.steps_per_level,
                self.hidden_channels,
                self.coupling,
                &mut rng,
                device,
            )?);
            let shape = self.latent_shape(i);
            let last = i + 1 == self.levels;
            priors.push(match (self.prior, last) {
                (PriorKind::ActNormGaussian, _) => ScalePrior::actnorm(shape, device)?,
                (PriorKind::ConditionalSplit, false) => {
                    ScalePrior::conditional(c - shape[0], shape[0], &mut rng, device)
                }
                (PriorKind::ConditionalSplit, true) => ScalePrior::learned(shape, device),
            });
        }
        Ok(Glow {
            levels,
            priors,
            config: self.clone(),
        })
    }
}

impl Glow {
    /// `log p(x)` of a batch `x: [B, C, H, W]` on the model's input scale, per scale.
    pub fn log_likelihood(&self, x: Tensor<4>) -> Result<LogLikelihood, GlowError> {
        Ok(self.encode_with_likelihood(x)?.log_likelihood)
    }

    /// The per-scale latents `z_1 .. z_L` of `x`.
    pub fn encode(&self, x: Tensor<4>) -> Result<Vec<Tensor<4>>, GlowError> {
        Ok(self.encode_with_likelihood(x)?.latents)
    }

    /// One forward pass giving both the log-likelihood and the latents.
    pub fn encode_with_likelihood(&self, x: Tensor<4>) -> Result<Encoded, GlowError> {
        self.check_input(&x)?;
        let mut h = x;
        let mut scales = Vec::with_capacity(self.levels.len());
        let mut latents = Vec::with_capacity(self.levels.len());
        for (i, (level, prior)) in self.levels.iter().zip(&self.priors).enumerate() {
            let flow = level.forward(squeeze(h)?);
            let (z, kept) = split_unless_last(flow.output, i + 1 == self.levels.len());
            let terms = prior.terms(z.clone(), kept.as_ref());
            scales.push(ScaleTerms::new(flow.logdet, terms.logdet, terms.gaussian));
            latents.push(z);
            h = kept.unwrap_or_else(|| latents[i].clone());
        }
        let log_likelihood = LogLikelihood::from_scales(scales, self.config.dims());
        Ok(Encoded {
            log_likelihood,
            latents,
        })
    }

    /// Maps latents (as from [`Glow::encode`]) back to images.
    pub fn decode(&self, latents: &[Tensor<4>]) -> Result<Tensor<4>, GlowError> {
        self.check_latents(latents)?;
        let top = latents[latents.len() - 1].clone();
        Ok(self.generate(top, |i, _| latents[i].clone()))
    }

    /// Draws `n` images with prior noise scaled by `temperature` (0.7 is customary).
    ///
    /// Noise comes from the host RNG seeded with `seed`.
    pub fn sample(&self, n: usize, temperature: f64, seed: u64) -> Result<Tensor<4>, GlowError> {
        if n == 0 {
            return Err(GlowError::InvalidArgument {
                name: "n",
                reason: "must be at least 1".into(),
            });
        }
        if !temperature.is_finite() || temperature < 0.0 {
            return Err(GlowError::InvalidArgument {
                name: "temperature",
                reason: format!("must be finite and non-negative, got {temperature}"),
            });
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let device = self.device();
        let mut noise = |shape: [usize; 3]| {
            let [c, h, w] = shape;
            host_tensor(
                normal_values(&mut rng, n * c * h * w, temperature),
                [n, c, h, w],
                &device,
            )
        };
        let last = self.levels.len() - 1;
        let top = self.priors[last].sample(noise(self.config.latent_shape(last)), None);
        Ok(self.generate(top, |i, kept| {
            self.priors[i].sample(noise(self.config.latent_shape(i)), Some(kept))
        }))
    }

    /// Runs the scales backwards from the top latent; `latent(i, kept)` supplies `z_i` for
    /// each lower scale given the half kept at that scale.
    fn generate(
        &self,
        top: Tensor<4>,
        mut latent: impl FnMut(usize, &Tensor<4>) -> Tensor<4>,
    ) -> Tensor<4> {
        let last = self.levels.len() - 1;
        let mut h = unsqueeze(self.levels[last].inverse(top));
        for i in (0..last).rev() {
            let z = latent(i, &h);
            h = unsqueeze(self.levels[i].inverse(merge(z, h)));
        }
        h
    }

    /// Data-dependent initialisation of every ActNorm from `batches` (about 10 batches of 64),
    /// which are concatenated so each ActNorm sees all of them.
    ///
    /// A model that is already initialised (e.g. loaded from a file) is returned unchanged:
    /// initialisation never runs twice.
    pub fn initialize(self, batches: &[Tensor<4>]) -> Result<Self, GlowError> {
        if self.is_initialized() {
            return Ok(self);
        }
        if batches.is_empty() {
            return Err(GlowError::InvalidArgument {
                name: "batches",
                reason: "need at least one batch".into(),
            });
        }
        batches.iter().try_for_each(|b| self.check_input(b))?;
        let mut h = Tensor::cat(batches.to_vec(), 0);
        let mut levels = Vec::with_capacity(self.levels.len());
        let mut priors = Vec::with_capacity(self.levels.len());
        for (i, (level, prior)) in self.levels.into_iter().zip(self.priors).enumerate() {
            let (level, flow) = level.initialize(squeeze(h)?);
            let (z, kept) = split_unless_last(flow.output, i + 1 == self.config.levels);
            let (prior, _) = prior.initialize(z.clone(), kept.as_ref());
            levels.push(level);
            priors.push(prior);
            h = kept.unwrap_or(z);
        }
        Ok(Self {
            levels,
            priors,
            config: self.config,
        })
    }

    /// Whether data-dependent initialisation has run (it is saved with the model).
    pub fn is_initialized(&self) -> bool {
        let prior_ready = self.priors.iter().all(|p| match p {
            ScalePrior::ActNorm(a) => a.actnorm.is_initialized(),
            _ => true,
        });
        prior_ready && self.levels.iter().all(ScaleFlow::is_initialized)
    }

    /// The device the parameters live on.
    pub fn device(&self) -> Device {
        self.levels[0].steps[0].actnorm.bias.device()
    }

    /// Checks that `x` is `[B, C, S, S]` for the configured channels and size.
    pub fn check_input(&self, x: &Tensor<4>) -> Result<(), GlowError> {
        let c = &self.config;
        check_shape("x", &x.dims(), [c.in_channels, c.image_size, c.image_size])
    }

    fn check_latents(&self, latents: &[Tensor<4>]) -> Result<(), GlowError> {
        let expected = self.config.latent_shapes();
        if latents.len() != expected.len() {
            return Err(GlowError::InvalidArgument {
                name: "latents",
                reason: format!(
                    "expected {} latents (one per scale), got {}",
                    expected.len(),
                    latents.len()
                ),
            });
        }
        let batch = latents[0].dims()[0];
        for (i, (z, shape)) in latents.iter().zip(expected).enumerate() {
            check_shape(&format!("latents[{i}]"), &z.dims(), shape)?;
            if z.dims()[0] != batch {
                return Err(GlowError::Shape {
                    tensor: format!("latents[{i}]"),
                    found: z.dims().to_vec(),
                    expected: format!("batch size {batch} like latents[0]"),
                });
            }
        }
        Ok(())
    }
}

/// Splits a scale's output into its latent and the kept half; the last scale keeps nothing.
fn split_unless_last(out: Tensor<4>, last: bool) -> (Tensor<4>, Option<Tensor<4>>) {
    if last {
        (out, None)
    } else {
        let (z, kept) = split(out);
        (z, Some(kept))
    }
}

/// Checks `[B, C, H, W]` against `[C, H, W]` with any `B >= 1`.
fn check_shape(name: &str, dims: &[usize; 4], chw: [usize; 3]) -> Result<(), GlowError> {
    if dims[0] == 0 || dims[1..] != chw {
        return Err(GlowError::Shape {
            tensor: name.to_string(),
            found: dims.to_vec(),
            expected: format!("[B, {}, {}, {}] with B >= 1", chw[0], chw[1], chw[2]),
        });
    }
    Ok(())
}
