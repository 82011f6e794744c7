//! Draws a grid of images from a model: the shipped general model `pretrained:grey32`, or a
//! saved one.
//!
//! ```text
//! cargo run --release --example sample_grid                        # pretrained:grey32
//! cargo run --release --example sample_grid -- runs/fashion/model.bpk grid.png 0.7
//! ```
//!
//! Arguments: the model (a `model.bpk` or `pretrained:NAME`), the PNG to write (default
//! `samples.png`) and the temperature, the standard deviation of the latents (default 0.7:
//! lower temperatures give smoother, more typical images).

use std::path::PathBuf;

use flowood::backend::parse_device;
use flowood::data::{from_model_scale, save_grid};
use flowood::pretrained::ModelSource;

/// Images drawn: an 8x8 grid.
const SAMPLES: usize = 64;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let model: ModelSource = args
        .next()
        .as_deref()
        .unwrap_or("pretrained:grey32")
        .parse()?;
    let out = PathBuf::from(args.next().unwrap_or_else(|| "samples.png".into()));
    let temperature: f64 = args.next().map_or(Ok(0.7), |t| t.parse())?;

    let device = parse_device("flex")?;
    let glow = model.load(&device)?;
    let x = glow.sample(SAMPLES, temperature, 0)?;
    let shape = x.dims();
    let values = x
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| format!("reading the samples back: {e:?}"))?;
    save_grid(&from_model_scale(&values, shape)?, 8, 2, &out)?;
    println!(
        "{SAMPLES} samples of {} at temperature {temperature} -> {}",
        glow.config.image_size,
        out.display()
    );
    Ok(())
}
