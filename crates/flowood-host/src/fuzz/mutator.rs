//! Random changes to a valid input, seeded, with a bias towards its header.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A kind of change to an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mutation {
    /// One bit inverted.
    BitFlip,
    /// One byte set to a boundary value (0, 1, 0x7f, 0x80, 0xff) or a random one.
    ByteSet,
    /// Four bytes overwritten with a boundary `u32` (0, 1, 2^31, 2^32 - 1, the input's
    /// length, ...) in either byte order: a size or count field blown up.
    FieldBlowUp,
    /// The input cut at a random length.
    Truncate,
    /// Random bytes inserted.
    Insert,
    /// A range of bytes removed.
    Delete,
    /// A range of bytes repeated in place.
    Duplicate,
    /// A run of ASCII digits replaced by an absurd number (`4294967297`, `-1`, `1e300`,
    /// `NaN`, ...): a numeric field of a text format blown up; a bit flip where there is none.
    NumberBlowUp,
}

impl Mutation {
    /// Every kind, in the order [`Mutator`] draws them from.
    pub const ALL: [Mutation; 8] = [
        Mutation::BitFlip,
        Mutation::ByteSet,
        Mutation::FieldBlowUp,
        Mutation::Truncate,
        Mutation::Insert,
        Mutation::Delete,
        Mutation::Duplicate,
        Mutation::NumberBlowUp,
    ];
}

/// Most mutations stacked on one input.
pub const MAX_STACKED: usize = 3;
/// Most bytes inserted, deleted or duplicated at once.
pub const MAX_SPAN: usize = 64;
/// Numbers [`Mutation::NumberBlowUp`] writes.
const ABSURD_NUMBERS: [&str; 10] = [
    "0",
    "-1",
    "4294967297",
    "18446744073709551616",
    "1e300",
    "-1e300",
    "NaN",
    "1.5",
    "99999999999999999999999999",
    "",
];

/// Draws [`Mutation`]s and applies them. Half of all offsets fall in the first `header`
/// bytes, where formats keep the magic numbers, sizes and counts that parsers trust most.
pub struct Mutator {
    rng: StdRng,
    header: usize,
}

impl Mutator {
    /// A mutator drawing from `seed`, biased towards the first `header` bytes.
    pub fn new(seed: u64, header: usize) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            header,
        }
    }

    /// `input` changed by one to [`MAX_STACKED`] random mutations, and their kinds in order.
    pub fn mutate(&mut self, input: &[u8]) -> (Vec<u8>, Vec<Mutation>) {
        let mut bytes = input.to_vec();
        let count = self.rng.random_range(1..=MAX_STACKED);
        let kinds = (0..count)
            .map(|_| Mutation::ALL[self.rng.random_range(0..Mutation::ALL.len())])
            .collect::<Vec<_>>();
        for &kind in &kinds {
            self.apply(kind, &mut bytes);
        }
        (bytes, kinds)
    }

    fn apply(&mut self, kind: Mutation, bytes: &mut Vec<u8>) {
        if bytes.is_empty() && kind != Mutation::Insert {
            return;
        }
        match kind {
            Mutation::BitFlip => self.flip_bit(bytes),
            Mutation::ByteSet => {
                let at = self.offset(bytes.len());
                bytes[at] = match self.rng.random_range(0..6) {
                    0 => 0,
                    1 => 1,
                    2 => 0x7f,
                    3 => 0x80,
                    4 => 0xff,
                    _ => self.rng.random(),
                };
            }
            Mutation::FieldBlowUp => self.blow_up_field(bytes),
            Mutation::Truncate => {
                let len = self.rng.random_range(0..bytes.len());
                bytes.truncate(len);
            }
            Mutation::Insert => {
                let at = self.offset(bytes.len() + 1);
                let n = self.rng.random_range(1..=MAX_SPAN);
                let noise: Vec<u8> = (0..n).map(|_| self.rng.random()).collect();
                bytes.splice(at..at, noise);
            }
            Mutation::Delete => {
                let (start, end) = self.span(bytes.len());
                bytes.drain(start..end);
            }
            Mutation::Duplicate => {
                let (start, end) = self.span(bytes.len());
                let copy = bytes[start..end].to_vec();
                bytes.splice(end..end, copy);
            }
            Mutation::NumberBlowUp => self.blow_up_number(bytes),
        }
    }

    fn flip_bit(&mut self, bytes: &mut [u8]) {
        let at = self.offset(bytes.len());
        bytes[at] ^= 1 << self.rng.random_range(0..8);
    }

    fn blow_up_field(&mut self, bytes: &mut [u8]) {
        let len = bytes.len() as u32;
        let values = [
            0,
            1,
            0x7fff_ffff,
            0x8000_0000,
            u32::MAX,
            0x0001_0000,
            len,
            len * 2,
        ];
        let value = values[self.rng.random_range(0..values.len())];
        let raw = match self.rng.random() {
            true => value.to_be_bytes(),
            false => value.to_le_bytes(),
        };
        let at = self.offset(bytes.len());
        for (dst, src) in bytes[at..].iter_mut().zip(raw) {
            *dst = src;
        }
    }

    fn blow_up_number(&mut self, bytes: &mut Vec<u8>) {
        let starts: Vec<usize> = (0..bytes.len())
            .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()))
            .collect();
        if starts.is_empty() {
            return self.flip_bit(bytes);
        }
        let start = starts[self.rng.random_range(0..starts.len())];
        let end = (start..bytes.len())
            .find(|&i| !bytes[i].is_ascii_digit())
            .unwrap_or(bytes.len());
        let number = ABSURD_NUMBERS[self.rng.random_range(0..ABSURD_NUMBERS.len())];
        bytes.splice(start..end, number.bytes());
    }

    /// An offset below `len` (which is not 0), in the header half of the time.
    fn offset(&mut self, len: usize) -> usize {
        let bound = match self.rng.random() {
            true => self.header.clamp(1, len),
            false => len,
        };
        self.rng.random_range(0..bound)
    }

    /// A range of at most [`MAX_SPAN`] bytes within `0..len` (which is not 0).
    fn span(&mut self, len: usize) -> (usize, usize) {
        let start = self.offset(len);
        let end = (start + self.rng.random_range(1..=MAX_SPAN)).min(len);
        (start, end)
    }
}
