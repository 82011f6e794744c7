//! `flowood sample`: a grid of images drawn from a model.

use std::path::PathBuf;

use clap::Args;
use flowood::burn::module::Module;
use flowood::burn::tensor::Device;
use flowood::data::{from_model_scale, save_grid};
use flowood::pretrained::ModelSource;

use crate::error::CliError;
use crate::train_args::parse_arg;

/// Flags of `flowood sample`.
#[derive(Debug, Clone, Args)]
pub struct SampleArgs {
    /// The model: a model.bpk (with model.json beside it) or `pretrained:NAME`.
    #[arg(long, value_parser = parse_arg::<ModelSource>)]
    pub model: ModelSource,
    /// Number of images.
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Prior temperature: the noise is scaled by it (0.7 is customary; 1 is the model).
    #[arg(long, default_value_t = 0.7)]
    pub temperature: f64,
    /// Seed of the noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Images per row of the grid (default: square).
    #[arg(long)]
    pub columns: Option<usize>,
    /// Output PNG.
    #[arg(long)]
    pub out: PathBuf,
}

/// Draws the samples and writes the grid.
pub fn sample(device: &Device, args: &SampleArgs) -> Result<(), CliError> {
    let glow = args.model.load(device)?.valid();
    let x = glow.sample(args.n, args.temperature, args.seed)?;
    let shape = x.dims();
    let values = x
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| CliError::Usage(format!("reading samples: {e:?}")))?;
    let images = from_model_scale(&values, shape)?;
    let columns = args
        .columns
        .unwrap_or_else(|| (args.n as f64).sqrt().ceil() as usize);
    save_grid(&images, columns, 2, &args.out)?;
    println!(
        "{} samples at temperature {} -> {}",
        args.n,
        args.temperature,
        args.out.display()
    );
    Ok(())
}
