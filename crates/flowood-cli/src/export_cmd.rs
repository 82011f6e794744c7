//! `flowood export`: a model's weights as safetensors, for other frameworks and for shipping.

use std::path::PathBuf;

use clap::Args;
use flowood::burn::tensor::Device;
use flowood::glow::config_path;
use flowood::pretrained::ModelSource;

use crate::error::CliError;
use crate::train_args::parse_arg;

/// Flags of `flowood export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The model: a model.bpk or `pretrained:NAME`.
    #[arg(long, value_parser = parse_arg::<ModelSource>)]
    pub model: ModelSource,
    /// Output safetensors file; its configuration goes beside it as JSON (same name,
    /// extension `json`).
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes the weights (safetensors, configuration in the metadata too) and the configuration.
pub fn export(device: &Device, args: &ExportArgs) -> Result<(), CliError> {
    let glow = args.model.load(device)?;
    glow.export_safetensors(&args.out)?;
    let json = serde_json::to_string_pretty(&glow.config)
        .map_err(|e| CliError::Usage(format!("serialising the configuration: {e}")))?;
    let cfg = config_path(&args.out);
    flowood::host::write_file_atomically(&cfg, json + "\n")
        .map_err(|e| CliError::Usage(format!("writing {}: {e}", cfg.display())))?;
    println!(
        "exported {} to {} and {}",
        args.model,
        args.out.display(),
        cfg.display()
    );
    Ok(())
}
