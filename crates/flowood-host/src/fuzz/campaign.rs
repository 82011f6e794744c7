//! One parser fed a few thousand mutated files, and what it did with them.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::fuzz::alloc_meter::peak_allocation_during;
use crate::fuzz::mutator::{Mutation, Mutator};

/// Heap a parse may always use (buffers, thread pools, a backend's first-use caches).
pub const ALLOWANCE: usize = 16 << 20;
/// Heap a parse may use per byte of its input plus its output, beyond [`ALLOWANCE`].
pub const BYTES_PER_BYTE: usize = 8;

/// Something a parser did with one input that it must never do with user input.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Which input (0-based; inputs are replayed by the campaign's name and number).
    pub input: usize,
    /// The mutations that made it from its seed.
    pub mutations: Vec<Mutation>,
    /// What went wrong: the panic message, the error that does not name the file, or the
    /// allocation that exceeded the budget.
    pub problem: String,
}

/// The outcome of fuzzing one parser.
#[derive(Debug, Clone, Default)]
pub struct Campaign {
    /// The parser's name.
    pub name: String,
    /// Mutated inputs run (the seeds not included).
    pub inputs: usize,
    /// Inputs the parser accepted (a mutation can leave a file valid).
    pub accepted: usize,
    /// Inputs the parser refused with an error naming the file.
    pub rejected: usize,
    /// How often each kind of mutation was applied.
    pub mutations: BTreeMap<Mutation, usize>,
    /// Panics, errors not naming the file, and allocations over budget; empty when the
    /// parser passed.
    pub findings: Vec<Finding>,
    /// The largest heap peak of one parse, in bytes.
    pub largest_peak: usize,
    /// The longest parse.
    pub slowest: Duration,
    /// Time for the whole campaign.
    pub elapsed: Duration,
}

impl Campaign {
    /// One line: inputs, accepted, rejected, findings, peak heap and time.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} inputs, {} accepted, {} rejected, {} findings; largest heap peak {:.1} MiB, \
             slowest {:.0} ms, {:.1} s in all",
            self.name,
            self.inputs,
            self.accepted,
            self.rejected,
            self.findings.len(),
            self.largest_peak as f64 / f64::from(1 << 20),
            self.slowest.as_secs_f64() * 1e3,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Feeds `parse` the `seeds` (each must be accepted) and then `inputs` mutations of them
/// (mutator seeded from `name`, biased towards the first `header` bytes), each written to
/// `file` first. `parse` returns the bytes of what it made, or its error message.
///
/// A finding is recorded when `parse` panics, when its error does not name `file`, or when
/// its heap peak exceeds [`BYTES_PER_BYTE`] times input plus output bytes plus
/// [`ALLOWANCE`] (measured only with the [`CountingAllocator`](crate::fuzz::CountingAllocator)
/// installed as the global allocator).
pub fn fuzz_file(
    name: &str,
    seeds: &[Vec<u8>],
    header: usize,
    inputs: usize,
    file: &Path,
    mut parse: impl FnMut(&Path) -> Result<usize, String>,
) -> Campaign {
    let start = Instant::now();
    let mut campaign = Campaign {
        name: name.to_string(),
        ..Campaign::default()
    };
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for (i, seed) in seeds.iter().enumerate() {
        write(file, seed);
        if let Err(e) = parse(file) {
            campaign.findings.push(Finding {
                input: i,
                mutations: Vec::new(),
                problem: format!("seed {i} is refused: {e}"),
            });
        }
    }
    let mut mutator = Mutator::new(seed_of(name), header);
    for input in 0..inputs {
        let (bytes, mutations) = mutator.mutate(&seeds[input % seeds.len()]);
        for &m in &mutations {
            *campaign.mutations.entry(m).or_default() += 1;
        }
        write(file, &bytes);
        let began = Instant::now();
        let (outcome, peak) =
            peak_allocation_during(|| catch_unwind(AssertUnwindSafe(|| parse(file))));
        campaign.slowest = campaign.slowest.max(began.elapsed());
        campaign.largest_peak = campaign.largest_peak.max(peak);
        campaign.inputs += 1;
        let output = match &outcome {
            Ok(Ok(output)) => *output,
            _ => 0,
        };
        let mut problems = Vec::new();
        match outcome {
            Ok(Ok(_)) => campaign.accepted += 1,
            Ok(Err(e)) if e.contains(&file_name) => campaign.rejected += 1,
            Ok(Err(e)) => problems.push(format!("error does not name {file_name}: {e}")),
            Err(panic) => problems.push(format!("panic: {}", panic_message(&*panic))),
        }
        let budget = BYTES_PER_BYTE * (bytes.len() + output) + ALLOWANCE;
        if peak > budget {
            problems.push(format!(
                "heap peak {peak} bytes for {} input and {output} output bytes",
                bytes.len()
            ));
        }
        campaign
            .findings
            .extend(problems.into_iter().map(|problem| Finding {
                input,
                mutations: mutations.clone(),
                problem,
            }));
    }
    campaign.elapsed = start.elapsed();
    campaign
}

fn write(file: &Path, bytes: &[u8]) {
    if let Err(e) = std::fs::write(file, bytes) {
        panic!("writing the fuzz input {}: {e}", file.display());
    }
}

/// A mutator seed from a campaign name (FNV-1a), so each campaign replays on its own.
fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
