//! Seeded, resumable batching of an [`ImageSet`] into Burn tensors, with augmentation and
//! dequantisation done in parallel and one or more batches prepared ahead in the background.
//!
//! Every random choice is a pure function of `(seed, epoch, position)`: the epoch order of
//! `(seed, epoch)`, and the noise and augmentation of the image at position `p` of that order
//! of `(seed, epoch, p)`. A trainer therefore checkpoints just `(epoch, next batch index)` and
//! resumes bit-for-bit, whatever the number of threads.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::augment::Augment;
use crate::dataset::ImageSet;
use crate::dequantize::{Dequantize, dequantize_into};
use crate::error::{DataError, Result};

/// How batches are drawn and prepared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchConfig {
    /// Images per batch.
    pub batch_size: usize,
    /// Shuffle the order every epoch (otherwise the set order is kept).
    pub shuffle: bool,
    /// Drop the last, incomplete batch of an epoch.
    pub drop_last: bool,
    /// Training noise or the deterministic evaluation offset.
    pub dequantize: Dequantize,
    /// Augmentation, if any.
    pub augment: Option<Augment>,
    /// Seed of the order, noise and augmentation.
    pub seed: u64,
}

impl BatchConfig {
    /// Training: shuffled, incomplete last batch dropped, noise dequantisation, `augment`.
    pub fn train(batch_size: usize, augment: Option<Augment>, seed: u64) -> Self {
        Self {
            batch_size,
            shuffle: true,
            drop_last: true,
            dequantize: Dequantize::Train,
            augment,
            seed,
        }
    }

    /// Evaluation: set order, every image once, half-bin offset, no augmentation.
    pub fn eval(batch_size: usize) -> Self {
        Self {
            batch_size,
            shuffle: false,
            drop_last: false,
            dequantize: Dequantize::Eval,
            augment: None,
            seed: 0,
        }
    }
}

/// A prepared batch in host memory.
#[derive(Debug, Clone, PartialEq)]
pub struct HostBatch {
    /// Model inputs, NCHW.
    pub data: Vec<f32>,
    /// `[n, c, h, w]`.
    pub shape: [usize; 4],
    /// Labels of the images, when the set has them.
    pub labels: Option<Vec<u16>>,
    /// Index of each image in the set.
    pub indices: Vec<usize>,
}

impl HostBatch {
    /// The inputs as a float tensor on `device`.
    pub fn to_tensor(&self, device: &Device) -> Tensor<4> {
        Tensor::from_data(TensorData::new(self.data.clone(), self.shape), device)
    }

    /// The inputs as a float tensor on `device`, without copying the host buffer first.
    pub fn into_tensor(self, device: &Device) -> Tensor<4> {
        Tensor::from_data(TensorData::new(self.data, self.shape), device)
    }

    /// The labels as an integer tensor on `device`.
    pub fn labels_tensor(&self, device: &Device) -> Option<Tensor<1, Int>> {
        let labels = self.labels.as_ref()?;
        let values: Vec<i64> = labels.iter().map(|&l| i64::from(l)).collect();
        Some(Tensor::from_data(
            TensorData::new(values, [labels.len()]),
            device,
        ))
    }
}

/// Draws batches from a shared set.
#[derive(Debug, Clone)]
pub struct Batcher {
    set: Arc<ImageSet>,
    config: BatchConfig,
}

impl Batcher {
    /// A batcher over `set`; the set is shared, not copied, with background workers.
    pub fn new(set: impl Into<Arc<ImageSet>>, config: BatchConfig) -> Result<Self> {
        if config.batch_size == 0 {
            return Err(DataError::InvalidArgument(
                "batch size must be positive".into(),
            ));
        }
        Ok(Self {
            set: set.into(),
            config,
        })
    }

    /// The set batches are drawn from.
    pub fn set(&self) -> &ImageSet {
        &self.set
    }

    /// The configuration.
    pub fn config(&self) -> &BatchConfig {
        &self.config
    }

    /// Number of batches in one epoch.
    pub fn batches_per_epoch(&self) -> usize {
        let (n, b) = (self.set.len(), self.config.batch_size);
        if self.config.drop_last {
            n / b
        } else {
            n.div_ceil(b)
        }
    }

    /// The order in which epoch `epoch` visits the set: a seeded permutation when shuffling,
    /// else `0..n`. Same `(seed, epoch)`, same order.
    pub fn epoch_order(&self, epoch: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.set.len()).collect();
        if self.config.shuffle {
            let seed = mix(&[self.config.seed, epoch, u64::MAX]);
            order.shuffle(&mut StdRng::seed_from_u64(seed));
        }
        order
    }

    /// Batch `index` of epoch `epoch`, or `None` past the end of the epoch.
    pub fn batch(&self, epoch: u64, index: usize) -> Option<HostBatch> {
        self.batch_from_order(&self.epoch_order(epoch), epoch, index)
    }

    /// Iterates over epoch `epoch` from batch `start` on, preparing up to `ahead` batches in a
    /// background thread while the caller trains on the current one (`ahead = 0` prepares
    /// each batch on demand in the calling thread).
    pub fn epoch(&self, epoch: u64, start: usize, ahead: usize) -> EpochBatches {
        let order = self.epoch_order(epoch);
        if ahead == 0 {
            return EpochBatches(Source::Inline(self.clone(), order, epoch, start));
        }
        let (sender, receiver) = sync_channel(ahead);
        let batcher = self.clone();
        std::thread::spawn(move || {
            let mut index = start;
            while let Some(batch) = batcher.batch_from_order(&order, epoch, index) {
                if sender.send(batch).is_err() {
                    break; // the consumer stopped early
                }
                index += 1;
            }
        });
        EpochBatches(Source::Background(receiver))
    }

    fn batch_from_order(&self, order: &[usize], epoch: u64, index: usize) -> Option<HostBatch> {
        let b = self.config.batch_size;
        let start = index.checked_mul(b)?;
        let end = (start + b).min(order.len());
        if index >= self.batches_per_epoch() || start >= end {
            return None;
        }
        Some(self.prepare(&order[start..end], epoch, start))
    }

    /// Augments and dequantises the images at `indices` (positions `first..` of the epoch).
    fn prepare(&self, indices: &[usize], epoch: u64, first: usize) -> HostBatch {
        let [_, c, h, w] = self.set.shape();
        let size = c * h * w;
        let mut data = vec![0.0; indices.len() * size];
        data.par_chunks_mut(size.max(1))
            .zip(indices.par_iter().enumerate())
            .for_each_init(
                || vec![0u8; size],
                |scratch, (out, (k, &i))| {
                    let seed = mix(&[self.config.seed, epoch, (first + k) as u64]);
                    let mut rng = StdRng::seed_from_u64(seed);
                    let image = self.set.image(i).unwrap_or_default();
                    let pixels = match &self.config.augment {
                        Some(aug) => {
                            aug.apply_into(image, [c, h, w], &mut rng, scratch);
                            &scratch[..]
                        }
                        None => image,
                    };
                    dequantize_into(pixels, self.config.dequantize, &mut rng, out);
                },
            );
        HostBatch {
            data,
            shape: [indices.len(), c, h, w],
            labels: self
                .set
                .labels()
                .map(|l| indices.iter().map(|&i| l[i]).collect()),
            indices: indices.to_vec(),
        }
    }
}

/// The batches of one epoch (an iterator of [`HostBatch`]), from [`Batcher::epoch`].
#[derive(Debug)]
pub struct EpochBatches(Source);

/// Where the batches of an epoch come from.
#[derive(Debug)]
enum Source {
    /// Prepared on demand: the batcher, the epoch order, the epoch and the next batch index.
    Inline(Batcher, Vec<usize>, u64, usize),
    /// Prepared ahead by a worker thread.
    Background(Receiver<HostBatch>),
}

impl Iterator for EpochBatches {
    type Item = HostBatch;

    fn next(&mut self) -> Option<HostBatch> {
        match &mut self.0 {
            Source::Inline(batcher, order, epoch, next) => {
                let batch = batcher.batch_from_order(order, *epoch, *next)?;
                *next += 1;
                Some(batch)
            }
            Source::Background(receiver) => receiver.recv().ok(),
        }
    }
}

/// Mixes several words into one seed (SplitMix64 finaliser over a running hash), so that
/// nearby `(seed, epoch, position)` triples give unrelated random streams.
fn mix(words: &[u64]) -> u64 {
    words.iter().fold(0x9E37_79B9_7F4A_7C15, |acc, &w| {
        let mut z = (acc ^ w).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476C_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}
