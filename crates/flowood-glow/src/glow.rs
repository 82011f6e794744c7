//! The multiscale Glow: squeeze, K flow steps and split per scale, with a per-scale prior.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use flowood_flows::{FlowOutput, host_tensor, normal_values};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::class_head::{ClassHead, Mixture};
use crate::config::GlowConfig;
use crate::error::GlowError;
use crate::likelihood::LogLikelihood;
use crate::scale::{GlowScale, ScaleOutput};
use crate::tiles::{from_tiles, terms_per_image, to_tiles};

/// Most values (`n * C * H * W`) one [`Glow::sample`] call draws: 2^28, 1 GiB of f32, so that
/// an absurd `n` is an error rather than an allocation failure.
pub const MAX_SAMPLE_VALUES: usize = 1 << 28;

/// A multiscale Glow (Kingma & Dhariwal 2018) as configured in docs/method.md.
///
/// A sequence of [`GlowScale`]s: scale i squeezes its input, applies K flow steps, then (for
/// i < L) splits off half the channels as the latent `z_i`; the last scale keeps everything as
/// `z_L`. Each latent is scored by its own prior, which gives the per-scale decomposition
/// `log p(x) = sum_i lp_i`, `lp_i = F_i + A_i + N_i` (see [`LogLikelihood`]).
///
/// A supervised model (`config.classes`) also has a [`ClassHead`]: its density is the mixture
/// of one Gaussian per class on the latents, decomposed per scale as that module describes.
///
/// A local Glow ([`crate::Architecture::Local`]) runs the scales on every tile of the image
/// as one batch; each term of an image is then the sum of its tiles' terms, and its latents
/// are its tiles' latents laid out as the tiles are. A dense Glow differs only inside the
/// scales.
#[derive(Module, Debug)]
pub struct Glow {
    /// The scales, first (finest) first.
    pub scales: Vec<GlowScale>,
    /// The class-conditional head of a supervised model (`config.classes`), else `None`.
    pub class_head: Option<ClassHead>,
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
    /// `log p(x|c)` of every class, `[B, K]`, for a supervised model; `None` otherwise.
    pub class_log_likelihoods: Option<Tensor<2>>,
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
        let class_head = self
            .classes
            .map(|classes| ClassHead::new(classes, self.dims(), device));
        Ok(Glow {
            scales,
            class_head,
            config: self.clone(),
        })
    }
}

impl Glow {
    /// `log p(x)` of a batch `x: [B, C, H, W]` on the model's input scale, per scale (for a
    /// supervised model, the class mixture).
    pub fn log_likelihood(&self, x: Tensor<4>) -> Result<LogLikelihood, GlowError> {
        Ok(self.encode_with_likelihood(x)?.log_likelihood)
    }

    /// The per-scale latents `z_1 .. z_L` of `x`.
    pub fn encode(&self, x: Tensor<4>) -> Result<Vec<Tensor<4>>, GlowError> {
        Ok(self.encode_with_likelihood(x)?.latents)
    }

    /// One forward pass giving both the log-likelihood and the latents.
    pub fn encode_with_likelihood(&self, x: Tensor<4>) -> Result<Encoded, GlowError> {
        self.encode_through(x, |_, scale, h| scale.flow(h))
    }

    /// [`Glow::encode_with_likelihood`] with `flow(i, scale, h)` running the flow steps of
    /// scale `i` on its input `h` (the split, priors and class head run here).
    pub(crate) fn encode_through(
        &self,
        x: Tensor<4>,
        mut flow: impl FnMut(usize, &GlowScale, Tensor<4>) -> Result<FlowOutput, GlowError>,
    ) -> Result<Encoded, GlowError> {
        self.check_input(&x)?;
        let n = self.config.tiles_per_side();
        let scales = self.scales.iter().enumerate();
        let (_, outputs) = up_through(scales, to_tiles(x, n), |(i, scale), h| {
            Ok(((), scale.head(flow(i, scale, h)?)))
        })?;
        let (scales, latents): (Vec<_>, Vec<_>) = outputs
            .into_iter()
            .map(|o| (terms_per_image(o.terms, n), from_tiles(o.latent, n)))
            .unzip();
        let (scales, class_log_likelihoods) = match &self.class_head {
            None => (scales, None),
            Some(head) => {
                let normalized = self.normalized(&latents)?;
                let offsets: Vec<usize> = (0..self.config.levels)
                    .map(|i| self.config.latent_offset(i))
                    .collect();
                let Mixture {
                    scales,
                    class_log_likelihoods,
                } = head.mix(scales, normalized, &offsets);
                (scales, Some(class_log_likelihoods))
            }
        };
        Ok(Encoded {
            log_likelihood: LogLikelihood::from_scales(scales, self.config.dims()),
            latents,
            class_log_likelihoods,
        })
    }

    /// Adds a zero class-conditional head for `classes` classes (the start of supervised
    /// fine-tuning: the density is unchanged). A model that already has a head for `classes`
    /// classes is returned unchanged; one with another number of classes is an error.
    pub fn with_class_head(self, classes: usize) -> Result<Self, GlowError> {
        match self.config.classes {
            Some(k) if k == classes => return Ok(self),
            Some(k) => {
                return Err(GlowError::InvalidArgument {
                    name: "classes",
                    reason: format!("the model already has a head for {k} classes, not {classes}"),
                });
            }
            None => {}
        }
        let config = GlowConfig {
            classes: Some(classes),
            ..self.config
        };
        config.validate()?;
        let class_head = Some(ClassHead::new(classes, config.dims(), &self.device()));
        Ok(Self {
            class_head,
            config,
            ..self
        })
    }

    /// The latents after their prior's ActNorm (per tile for a local Glow), each flattened to
    /// `[B, d_i]`: what the class-conditional head models.
    fn normalized(&self, latents: &[Tensor<4>]) -> Result<Vec<Tensor<2>>, GlowError> {
        let n = self.config.tiles_per_side();
        latents
            .iter()
            .zip(&self.scales)
            .map(|(z, scale)| {
                let u = scale
                    .prior
                    .normalize(to_tiles(z.clone(), n))
                    .map(|u| from_tiles(u, n))
                    .ok_or_else(|| GlowError::InvalidConfig {
                        field: "classes",
                        reason: "needs the ActNorm-Gaussian prior".into(),
                    })?;
                Ok(u.flatten::<2>(1, 3))
            })
            .collect()
    }

    /// Maps latents (as from [`Glow::encode`]) back to images.
    pub fn decode(&self, latents: &[Tensor<4>]) -> Result<Tensor<4>, GlowError> {
        self.check_latents(latents)?;
        let n = self.config.tiles_per_side();
        Ok(self.generate(|i, _| to_tiles(latents[i].clone(), n)))
    }

    /// Draws `n` images with prior noise scaled by `temperature` (0.7 is customary).
    ///
    /// A supervised model draws each image's class uniformly, then its latents from that
    /// class's Gaussian. Noise and classes come from host RNGs seeded with `seed`. At most [`MAX_SAMPLE_VALUES`] values
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
        // Classes come from a stream of their own, so that the noise of a seed is the same
        // with and without a head (a zero head samples exactly as the unsupervised model).
        let mut class_rng = StdRng::seed_from_u64(seed.wrapping_add(1));
        let classes: Vec<usize> = match &self.class_head {
            Some(head) => (0..n)
                .map(|_| class_rng.random_range(0..head.classes()))
                .collect(),
            None => Vec::new(),
        };
        let device = self.device();
        let mut noise = |shape: [usize; 3]| {
            let [c, h, w] = shape;
            host_tensor(
                normal_values(&mut rng, n * c * h * w, temperature),
                [n, c, h, w],
                &device,
            )
        };
        let tiles = self.config.tiles_per_side();
        Ok(self.generate(|i, kept| {
            let mut eps = noise(self.config.latent_shape(i));
            if let Some(head) = &self.class_head {
                eps = head.sample(eps, self.config.latent_offset(i), &classes);
            }
            self.scales[i].prior.sample(to_tiles(eps, tiles), kept)
        }))
    }

    /// Runs the scales backwards, last first; `latent(i, kept)` supplies `z_i` (per tile for a
    /// local Glow) given the half kept at scale i (`None` for the last scale, which keeps
    /// nothing). Returns the images.
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
        let tiles = image.unwrap_or_else(|| unreachable!("a Glow has at least one scale"));
        from_tiles(tiles, self.config.tiles_per_side())
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
        let x = to_tiles(
            Tensor::cat(batches.to_vec(), 0),
            self.config.tiles_per_side(),
        );
        let (scales, _) = up_through(self.scales, x, GlowScale::initialize)?;
        Ok(Self { scales, ..self })
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
