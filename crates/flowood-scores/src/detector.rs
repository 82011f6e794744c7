//! A ready-to-use anomaly detector: one [`Score`], a threshold calibrated on held-out
//! in-distribution images, and a directory that holds the models and the settings together.
//!
//! ```no_run
//! use flowood_glow::Glow;
//! use flowood_scores::{Detector, Score};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let device = burn::tensor::Device::default();
//! # let held_out: flowood_data::ImageSet = todo!();
//! # let (anomalies, new_images) = (held_out.clone(), held_out.clone());
//! let in_model = Glow::load("runs/fashion/model.bpk".as_ref(), &device)?;
//! let general = Glow::load("runs/general/model.bpk".as_ref(), &device)?;
//! let mut detector = Detector::new(in_model, Some(general), Score::Ratio)?;
//! let calibration = detector.calibrate(&held_out, 0.95, Some(&anomalies))?;
//! println!("threshold {:.1}, FPR {:?}", calibration.threshold, calibration.fpr);
//! for p in detector.predict(&new_images)? {
//!     println!("{:.1} {}", p.score, if p.anomalous { "anomalous" } else { "normal" });
//! }
//! detector.save("detector".as_ref())?; // Detector::load("detector".as_ref(), &device)
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use flowood_data::{ImageSet, Prepare};
use flowood_glow::Glow;
use flowood_host::{MAX_THREADS, map_on_threads, write_file_atomically};
use serde::{Deserialize, Serialize};

use crate::batch::{Pixels, ScoreBatch};
use crate::complexity::png_bits_per_dim;
use crate::error::ScoreError;
use crate::model::ScoringModel;
use crate::score::{Score, ScoreInputs};

/// Images per scoring batch.
const BATCH: usize = 256;

/// Name of the settings file in a detector directory.
pub const DETECTOR_FILE: &str = "detector.json";

/// Value of the `format` field of [`DETECTOR_FILE`].
const FORMAT: &str = "flowood-detector";

/// Version of the [`DETECTOR_FILE`] layout this crate writes and reads.
const VERSION: u32 = 1;

/// The threshold a detector flags by, and how it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// An image is normal iff its score is finite and `>= threshold`.
    pub threshold: f64,
    /// The true-positive rate asked for (share of in-distribution images kept as normal).
    pub target_tpr: f64,
    /// The share of the held-out in-distribution images kept as normal (`>= target_tpr`).
    pub tpr: f64,
    /// How many held-out in-distribution images were scored.
    pub held_out: usize,
    /// The share of the held-out anomalies kept as normal (false positives), if any were given.
    pub fpr: Option<f64>,
    /// How many held-out anomalies were scored, if any.
    pub anomalies: Option<usize>,
}

impl Calibration {
    /// Whether `score` counts as normal: non-finite scores are always anomalous.
    pub fn is_normal(&self, score: f64) -> bool {
        score.is_finite() && score >= self.threshold
    }

    /// Fails unless the fields are consistent (finite threshold, rates in `[0, 1]`).
    fn validate(&self) -> Result<(), String> {
        let rate = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} {v} is not in [0, 1]"))
            }
        };
        if !self.threshold.is_finite() {
            return Err(format!("threshold {} is not finite", self.threshold));
        }
        check_target_tpr(self.target_tpr)?;
        rate("tpr", self.tpr)?;
        self.fpr.map_or(Ok(()), |fpr| rate("fpr", fpr))
    }
}

/// One image's verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// The detector's score (higher = more normal).
    pub score: f64,
    /// Whether the score falls below the calibrated threshold (or is not finite).
    pub anomalous: bool,
}

/// What [`DETECTOR_FILE`] holds.
#[derive(Debug, Serialize, Deserialize)]
struct Settings {
    format: String,
    version: u32,
    /// [`Score::name`].
    score: String,
    calibration: Option<Calibration>,
}

/// An anomaly detector: an in-distribution model, optionally a general model, the [`Score`]
/// computed from them and, once calibrated, a threshold.
///
/// Images are converted to the model's channels and size (RGB to grey, bilinear resize) before
/// scoring, so any [`ImageSet`] of 1, 3 or the model's channels can be passed.
pub struct Detector {
    in_model: Glow,
    general: Option<Glow>,
    score: Score,
    scoring: (ScoringModel, Option<ScoringModel>),
    calibration: Option<Calibration>,
    threads: usize,
}

impl Detector {
    /// A detector thresholding `score` (for example [`Score::Ratio`] or
    /// `Score::Scale(Scale::Final)`). The models must be data-initialised (trained or loaded);
    /// `general` is required by the ratio scores and refused by the others.
    pub fn new(in_model: Glow, general: Option<Glow>, score: Score) -> Result<Self, ScoreError> {
        if score.needs_general() != general.is_some() {
            let reason = if score.needs_general() {
                format!("the {} score needs a general model", score.name())
            } else {
                format!("the {} score uses no general model", score.name())
            };
            return Err(ScoreError::InvalidArgument {
                name: "general",
                reason,
            });
        }
        let scoring_in = ScoringModel::new(&in_model, "in-distribution")?;
        if let Score::Scale(scale) | Score::ScaleRatio(scale) = score {
            scoring_in.check_scale(scale.index(scoring_in.levels()))?;
        }
        let scoring_general = match &general {
            Some(g) => {
                let g = ScoringModel::new(g, "general")?;
                scoring_in.check_same_architecture(&g)?;
                Some(g)
            }
            None => None,
        };
        Ok(Self {
            in_model,
            general,
            score,
            scoring: (scoring_in, scoring_general),
            calibration: None,
            threads: 1,
        })
    }

    /// Scores `threads` batches at once, one thread each (clamped to 1..=[`MAX_THREADS`]). On
    /// Flex and NdArray set it to the number of cores; on GPU devices leave 1.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.clamp(1, MAX_THREADS);
        self
    }

    /// The score this detector thresholds.
    pub fn score_kind(&self) -> Score {
        self.score
    }

    /// The threshold and its calibration, once [`calibrate`](Self::calibrate) ran (or the
    /// detector was loaded with one).
    pub fn calibration(&self) -> Option<&Calibration> {
        self.calibration.as_ref()
    }

    /// Channels and size of the models' input.
    pub fn prepare(&self) -> Prepare {
        Prepare {
            channels: self.in_model.config.in_channels,
            size: self.in_model.config.image_size,
        }
    }

    /// One score per image, in order (higher = more normal; non-finite where the density is).
    pub fn score(&self, images: &ImageSet) -> Result<Vec<f64>, ScoreError> {
        let set = self.prepare().apply(images.clone())?;
        let [n, c, h, w] = set.shape();
        let per_image = c * h * w;
        let device = self.in_model.device();
        let batches: Vec<(usize, usize)> = (0..n)
            .step_by(BATCH)
            .map(|start| (start, BATCH.min(n - start)))
            .collect();
        let mut scores = Vec::with_capacity(n);
        for group in batches.chunks(self.threads) {
            let parts = map_on_threads(group.to_vec(), |(start, len)| {
                let bytes = &set.pixels()[start * per_image..(start + len) * per_image];
                let pixels = Pixels::new(bytes.to_vec(), [len, c, h, w])?;
                self.score_batch(&ScoreBatch::from_pixels(pixels, &device))
            });
            for part in parts {
                scores.extend(part?);
            }
        }
        Ok(scores)
    }

    /// The score of every image of one batch.
    fn score_batch(&self, batch: &ScoreBatch) -> Result<Vec<f64>, ScoreError> {
        let (in_model, general) = &self.scoring;
        let in_values = in_model.values(&batch.x)?;
        let general = general.as_ref().map(|g| g.values(&batch.x)).transpose()?;
        let png_bpd = match self.score {
            Score::Complexity => Some(png_bits_per_dim(batch.require_pixels()?)?),
            _ => None,
        };
        self.score.compute(&ScoreInputs {
            in_model: &in_values,
            general: general.as_ref(),
            png_bpd: png_bpd.as_deref(),
        })
    }

    /// Chooses the threshold that keeps at least `target_tpr` of `held_out` (in-distribution
    /// images the models were not trained on) as normal, and, given held-out `anomalies`,
    /// measures the false-positive rate at that threshold.
    ///
    /// With `k = ceil(target_tpr * n)`, the threshold is the k-th highest held-out score, the
    /// rule of [`metrics::fpr_at_95_tpr`](crate::metrics::fpr_at_95_tpr). Fails if
    /// `target_tpr` is not in `(0, 1]`, `held_out` is empty, or the k-th score is not finite.
    pub fn calibrate(
        &mut self,
        held_out: &ImageSet,
        target_tpr: f64,
        anomalies: Option<&ImageSet>,
    ) -> Result<&Calibration, ScoreError> {
        check_target_tpr(target_tpr).map_err(|reason| ScoreError::InvalidArgument {
            name: "target_tpr",
            reason,
        })?;
        let scores = self.score(held_out)?;
        let threshold = threshold_for(&scores, target_tpr)?;
        let kept = |scores: &[f64]| {
            let normal = scores
                .iter()
                .filter(|&&s| s.is_finite() && s >= threshold)
                .count();
            normal as f64 / scores.len().max(1) as f64
        };
        let anomaly_scores = anomalies.map(|set| self.score(set)).transpose()?;
        Ok(self.calibration.insert(Calibration {
            threshold,
            target_tpr,
            tpr: kept(&scores),
            held_out: scores.len(),
            fpr: anomaly_scores.as_deref().map(kept),
            anomalies: anomaly_scores.as_ref().map(Vec::len),
        }))
    }

    /// Score and verdict of every image, in order. Fails before calibration.
    pub fn predict(&self, images: &ImageSet) -> Result<Vec<Prediction>, ScoreError> {
        let calibration = self.calibration.as_ref().ok_or(ScoreError::NotCalibrated)?;
        Ok(self
            .score(images)?
            .into_iter()
            .map(|score| Prediction {
                score,
                anomalous: !calibration.is_normal(score),
            })
            .collect())
    }

    /// Writes the detector as one directory: `in/model.bpk` (+ `model.json`),
    /// `general/model.bpk` for the ratio scores, and [`DETECTOR_FILE`] with the score's name
    /// and the calibration. Each file is written to a temporary name and renamed.
    pub fn save(&self, dir: &Path) -> Result<(), ScoreError> {
        let io = |path: &Path, source| ScoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        for (role, model) in [
            ("in", Some(&self.in_model)),
            ("general", self.general.as_ref()),
        ] {
            if let Some(model) = model {
                let folder = dir.join(role);
                std::fs::create_dir_all(&folder).map_err(|e| io(&folder, e))?;
                model.save(&model_path(dir, role))?;
            }
        }
        let settings = Settings {
            format: FORMAT.into(),
            version: VERSION,
            score: self.score.name(),
            calibration: self.calibration.clone(),
        };
        let path = dir.join(DETECTOR_FILE);
        let json = serde_json::to_string_pretty(&settings)
            .map_err(|e| io(&path, std::io::Error::other(e)))?;
        write_file_atomically(&path, json).map_err(|e| io(&path, e))
    }

    /// Reads a directory written by [`save`](Self::save), models on `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<Self, ScoreError> {
        let path = dir.join(DETECTOR_FILE);
        let bad = |reason: String| ScoreError::BadDetector {
            path: path.clone(),
            reason,
        };
        let text =
            flowood_host::read_regular_to_string(&path).map_err(|source| ScoreError::Io {
                path: path.clone(),
                source,
            })?;
        let settings: Settings = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if settings.format != FORMAT || settings.version != VERSION {
            return Err(bad(format!(
                "format `{}` version {}, expected `{FORMAT}` version {VERSION}",
                settings.format, settings.version
            )));
        }
        if let Some(calibration) = &settings.calibration {
            calibration.validate().map_err(bad)?;
        }
        let in_model = Glow::load(&model_path(dir, "in"), device)?;
        let levels = in_model.config.levels;
        let score = Score::from_name(&settings.score, levels).ok_or_else(|| {
            bad(format!(
                "`{}` is not a score of a model with {levels} scales",
                settings.score
            ))
        })?;
        let general = score
            .needs_general()
            .then(|| Glow::load(&model_path(dir, "general"), device))
            .transpose()?;
        let mut detector = Self::new(in_model, general, score)?;
        detector.calibration = settings.calibration;
        Ok(detector)
    }
}

/// `DIR/ROLE/model.bpk`.
fn model_path(dir: &Path, role: &str) -> PathBuf {
    dir.join(role).join("model.bpk")
}

/// Fails unless `tpr` is in `(0, 1]`.
fn check_target_tpr(tpr: f64) -> Result<(), String> {
    if tpr > 0.0 && tpr <= 1.0 {
        Ok(())
    } else {
        Err(format!("target TPR {tpr} is not in (0, 1]"))
    }
}

/// The k-th highest score, `k = ceil(tpr * n)`; non-finite scores rank lowest.
fn threshold_for(scores: &[f64], tpr: f64) -> Result<f64, ScoreError> {
    let invalid = |reason: String| ScoreError::InvalidArgument {
        name: "held_out",
        reason,
    };
    if scores.is_empty() {
        return Err(invalid("no held-out images to calibrate on".into()));
    }
    let mut ranked: Vec<f64> = scores
        .iter()
        .map(|&s| if s.is_finite() { s } else { f64::NEG_INFINITY })
        .collect();
    ranked.sort_by(|a, b| b.total_cmp(a));
    // The product may land a rounding error above an integer (0.95 * 100): take it off first.
    let k = ((tpr * ranked.len() as f64) * (1.0 - 1e-12)).ceil() as usize;
    let threshold = ranked[k.clamp(1, ranked.len()) - 1];
    if threshold.is_finite() {
        Ok(threshold)
    } else {
        let nonfinite = ranked.iter().filter(|s| !s.is_finite()).count();
        Err(invalid(format!(
            "{nonfinite} of {} held-out scores are not finite: no finite threshold keeps {tpr} \
             of them",
            ranked.len()
        )))
    }
}
