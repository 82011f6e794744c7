//! The multiscale Glow: squeeze, K flow steps and split per scale, with a per-scale prior.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use flowood_flows::{host_tensor, normal_values};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::config::GlowConfig;
use crate::error::GlowError;
use crate::likelihood::LogLikelihood;
use crate::scale::{GlowScale, ScaleOutput};

/// Most values (`n * C * H * W`) one [`Glow::sample`] call draws: 2^28, 1 GiB of f32, so that
/// an absurd `n` is an error rather than an allocation failure.
pub const MAX_SAMPLE_VALUES: usize = 1 << 28;

/// A multiscale Glow (Kingma & Dhariwal 2018) as configured in docs/method.md.
///
/// A sequence of [`GlowScale`]s: scale i squeezes its input, applies K flow steps, then (for
/// i < L) splits off half the channels as the latent `z_i`; the last scale keeps everything as
/// `z_L`. Each latent is scored by its own prior, which gives the per-scale decomposition
/// `log p(x) = sum_i lp_i`, `lp_i = F_i + A_i + N_i` (see [`LogLikelihood`]).
#[derive(Module, Debug)]
pub struct Glow {
    /// The scales, first (finest) first.
    pub scales: Vec<GlowScale>,
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
        let scales = (0..self.levels)
            .map(|i| GlowScale::new(self, i, &mut rng, device))
            .collect::<Result<_, _>>()?;
        Ok(Glow {
            scales,
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
        let (_, outputs) = up_through(self.scales.iter(), x, |scale, h| {
            Ok(((), scale.forward(h)?))
        })?;
        Ok(Encoded::new(outputs, self.config.dims()))
    }

    /// Maps latents (as from [`Glow::encode`]) back to images.
    pub fn decode(&self, latents: &[Tensor<4>]) -> Result<Tensor<4>, GlowError> {
        self.check_latents(latents)?;
        Ok(self.generate(|i, _| latents[i].clone()))
    }

    /// Draws `n` images with prior noise scaled by `temperature` (0.7 is customary).
    ///
    /// Noise comes from the host RNG seeded with `seed`. At most [`MAX_SAMPLE_VALUES`] values
    /// are drawn per call.
    pub fn sample(&self, n: usize, temperature: f64, seed: u64) -> Result<Tensor<4>, GlowError> {
        if n == 0 {
            return Err(GlowError::InvalidArgument {
                name: "n",
                reason: "must be at least 1".into(),
            });
        }
        if n.checked_mul(self.config.dims())
            .is_none_or(|values| values > MAX_SAMPLE_VALUES)
        {
            return Err(GlowError::InvalidArgument {
                name: "n",
                reason: format!(
                    "{n} samples of {} values exceed the limit of {MAX_SAMPLE_VALUES} values per call",
                    self.config.dims()
                ),
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
        Ok(self.generate(|i, kept| {
            let eps = noise(self.config.latent_shape(i));
            self.scales[i].prior.sample(eps, kept)
        }))
    }

    /// Runs the scales backwards, last first; `latent(i, kept)` supplies `z_i` given the half
    /// kept at scale i (`None` for the last scale, which keeps nothing).
    fn generate(
        &self,
        mut latent: impl FnMut(usize, Option<&Tensor<4>>) -> Tensor<4>,
    ) -> Tensor<4> {
        let image = self
            .scales
            .iter()
            .enumerate()
            .rev()
            .fold(None, |kept, (i, scale)| {
                let z = latent(i, kept.as_ref());
                Some(scale.inverse(z, kept))
            });
        image.unwrap_or_else(|| unreachable!("a Glow has at least one scale"))
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
        let x = Tensor::cat(batches.to_vec(), 0);
        let (scales, _) = up_through(self.scales, x, GlowScale::initialize)?;
        Ok(Self {
            scales,
            config: self.config,
        })
    }

    /// Whether data-dependent initialisation has run (it is saved with the model).
    pub fn is_initialized(&self) -> bool {
        self.scales.iter().all(GlowScale::is_initialized)
    }

    /// The device the parameters live on.
    pub fn device(&self) -> Device {
        self.devices()
            .into_iter()
            .next()
            .unwrap_or_else(|| unreachable!("a Glow has parameters"))
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

impl Encoded {
    /// The log-likelihood and latents of the outputs of every scale, first scale first.
    fn new(outputs: Vec<ScaleOutput>, dims: usize) -> Self {
        let (scales, latents) = outputs.into_iter().map(|o| (o.terms, o.latent)).unzip();
        Self {
            log_likelihood: LogLikelihood::from_scales(scales, dims),
            latents,
        }
    }
}

/// Feeds `x` up through `scales`, each scale's kept half into the next, with `step` running
/// one scale; returns what `step` made of each scale (e.g. the initialised scale) and the
/// outputs of all scales.
fn up_through<S, T>(
    scales: impl IntoIterator<Item = S>,
    x: Tensor<4>,
    mut step: impl FnMut(S, Tensor<4>) -> Result<(T, ScaleOutput), GlowError>,
) -> Result<(Vec<T>, Vec<ScaleOutput>), GlowError> {
    let mut made = Vec::new();
    let mut outputs: Vec<ScaleOutput> = Vec::new();
    let mut h = x;
    for scale in scales {
        let (t, out) = step(scale, h)?;
        h = out.kept.clone().unwrap_or_else(|| out.latent.clone());
        made.push(t);
        outputs.push(out);
    }
    Ok((made, outputs))
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
