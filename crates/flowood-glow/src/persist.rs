//! Saving and loading a Glow: Burn's burnpack format, and safetensors for other frameworks.
//!
//! The model keeps scale i's flow steps and prior together (`scales.{i}.steps`,
//! `scales.{i}.prior`); files written before that held them as `levels.{i}` and `priors.{i}`,
//! and load through [`LEGACY_NAMES`]. Safetensors exports keep those documented names
//! ([`EXPORT_NAMES`]).
//!
//! Files are written through `flowood_host::write_atomically`, so a crash never leaves a
//! half-written model behind.

use std::io::Read;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::burn_pack::{HEADER_SIZE, Header};
use burn::store::{BurnpackStore, ModuleSnapshot, SafetensorsStore};
use burn::tensor::Device;
use flowood_host::write_atomically;

use crate::config::GlowConfig;
use crate::error::GlowError;
use crate::glow::Glow;
use crate::safetensors_header::sort_header;

/// Metadata key holding the JSON [`GlowConfig`] in exported safetensors files.
pub const CONFIG_METADATA_KEY: &str = "flowood.glow_config";

/// Tensor names of files written before a scale was one module, mapped to the model's
/// (applied in order, as regular expressions).
const LEGACY_NAMES: [(&str, &str); 2] = [
    (r"^priors\.(\d+)\.", "scales.$1.prior."),
    (r"^levels\.(\d+)\.", "scales.$1."),
];

/// The model's tensor names mapped to the documented safetensors names (the inverse of
/// [`LEGACY_NAMES`]).
const EXPORT_NAMES: [(&str, &str); 2] = [
    (r"^scales\.(\d+)\.prior\.", "priors.$1."),
    (r"^scales\.(\d+)\.", "levels.$1."),
];

/// Key of `model.json` holding the CRC-32 of `model.bpk`, so that a corrupt weight file, or a
/// weight file and a configuration from different saves, are refused on load. Files written
/// before it existed have no such key and load unchecked.
pub const CHECKSUM_KEY: &str = "weights_crc32";

impl Glow {
    /// Saves the weights (burnpack, at `path`), then the configuration with the weights'
    /// checksum (JSON, at [`config_path`]`(path)`), each through a temporary file and a rename.
    pub fn save(&self, path: &Path) -> Result<(), GlowError> {
        write_atomically(path, |tmp| self.clone().save_file(tmp))
            .map_err(|e| io_err("saving model to", path, e))?;
        let mut json = serde_json::to_value(&self.config)
            .map_err(|e| io_err("serialising config for", path, e))?;
        if let Some(fields) = json.as_object_mut() {
            fields.insert(CHECKSUM_KEY.into(), file_checksum(path)?.into());
        }
        let json = serde_json::to_string_pretty(&json)
            .map_err(|e| io_err("serialising config for", path, e))?;
        let config = config_path(path);
        write_atomically(&config, |tmp| std::fs::write(tmp, &json))
            .map_err(|e| io_err("saving config to", &config, e))
    }

    /// Loads a model saved by [`Glow::save`] onto `device`, configuration included.
    ///
    /// The configuration is validated, the weights' checksum compared with the one in
    /// `model.json` (if it has one) and the weights checked (see [`Glow::load_weights`]).
    /// The data-dependent initialisation state is part of the file, so a loaded model is not
    /// re-initialised by [`Glow::initialize`].
    pub fn load(path: &Path, device: &Device) -> Result<Self, GlowError> {
        let cfg = config_path(path);
        let json = flowood_host::read_regular_to_string(&cfg)
            .map_err(|e| io_err("reading config", &cfg, e))?;
        let json: serde_json::Value =
            serde_json::from_str(&json).map_err(|e| io_err("parsing config", &cfg, e))?;
        let recorded = json.get(CHECKSUM_KEY).cloned();
        let config: GlowConfig =
            serde_json::from_value(json).map_err(|e| io_err("parsing config", &cfg, e))?;
        let model = config
            .validate()
            .and_then(|()| config.init(device, 0))
            .map_err(|e| GlowError::ConfigFile {
                path: cfg.clone(),
                source: Box::new(e),
            })?;
        if let Some(recorded) = recorded {
            let found = file_checksum(path)?;
            if recorded.as_u64() != Some(u64::from(found)) {
                return Err(GlowError::ChecksumMismatch {
                    path: path.to_path_buf(),
                    recorded: recorded.to_string(),
                    found,
                });
            }
        }
        model.load_weights(path)
    }

    /// Loads weights saved by [`Glow::save`] into this model (same configuration), and checks
    /// them. Every tensor must be present with the right shape, and no other tensor; every
    /// value must be finite, every LU permutation a permutation and every sign +-1.
    pub fn load_weights(mut self, path: &Path) -> Result<Self, GlowError> {
        check_declared_metadata(path)?;
        let store = BurnpackStore::from_file(path).auto_extension(false);
        let mut store = LEGACY_NAMES
            .iter()
            .fold(store, |s, (from, to)| s.with_remap_pattern(from, *to));
        let result = self
            .load_from(&mut store)
            .map_err(|e| io_err("loading model from", path, e))?;
        if !result.unused.is_empty() {
            return Err(io_err("loading model from", path, format!("{result}")));
        }
        self.checked(path)
    }

    /// This model, or [`GlowError::InvalidWeights`] naming `path` and the first tensor no
    /// Glow can have ([`Glow::first_invalid_tensor`]): a loaded permutation index out of
    /// range would make the backend panic on the first forward pass.
    fn checked(self, path: &Path) -> Result<Self, GlowError> {
        match self.first_invalid_tensor() {
            Some((tensor, reason)) => Err(GlowError::InvalidWeights {
                path: path.to_path_buf(),
                tensor,
                reason,
            }),
            None => Ok(self),
        }
    }

    /// Exports the weights as safetensors with stable names (see the crate docs), the
    /// configuration stored as JSON under the metadata key [`CONFIG_METADATA_KEY`]. The same
    /// weights always give the same bytes (the header's keys are written sorted).
    pub fn export_safetensors(&self, path: &Path) -> Result<(), GlowError> {
        let json = serde_json::to_string(&self.config)
            .map_err(|e| io_err("serialising config for", path, e))?;
        write_atomically(path, |tmp| {
            let store = SafetensorsStore::from_file(tmp)
                .skip_enum_variants(true)
                .metadata(CONFIG_METADATA_KEY, json.clone());
            self.save_into(&mut remapped(store, &EXPORT_NAMES))
                .map_err(|e| e.to_string())?;
            sort_header(tmp)
        })
        .map_err(|e| io_err("exporting safetensors to", path, e))
    }

    /// Imports weights exported by [`Glow::export_safetensors`] (or written by another
    /// framework under the same names) into this model. Every tensor must be present with the
    /// right shape, and the weights are checked as [`Glow::load_weights`] checks them.
    pub fn import_safetensors(self, path: &Path) -> Result<Self, GlowError> {
        flowood_host::ensure_regular(path).map_err(|e| io_err("importing", path, e))?;
        self.import_store(SafetensorsStore::from_file(path), path)
    }

    /// Imports safetensors bytes held in memory (e.g. weights embedded in a binary), named
    /// `origin` in errors; otherwise as [`Glow::import_safetensors`].
    pub fn import_safetensors_bytes(
        self,
        bytes: Vec<u8>,
        origin: &Path,
    ) -> Result<Self, GlowError> {
        self.import_store(SafetensorsStore::from_bytes(Some(bytes)), origin)
    }

    /// Loads every tensor of `store` into this model; a missing or misshapen tensor is an error.
    fn import_store(mut self, store: SafetensorsStore, origin: &Path) -> Result<Self, GlowError> {
        let mut store = remapped(store.skip_enum_variants(true), &LEGACY_NAMES);
        let result = self
            .load_from(&mut store)
            .map_err(|e| io_err("importing safetensors from", origin, e))?;
        if !result.errors.is_empty() || !result.missing.is_empty() {
            return Err(io_err(
                "importing safetensors from",
                origin,
                format!("{result}"),
            ));
        }
        self.checked(origin)
    }
}

/// `store` with the tensor names mapped by `names`.
fn remapped(store: SafetensorsStore, names: &[(&str, &str)]) -> SafetensorsStore {
    names
        .iter()
        .fold(store, |s, (from, to)| s.with_key_remapping(from, *to))
}

/// Where [`Glow::save`] puts the configuration for a model file `path`: `path` with
/// extension `json`.
pub fn config_path(path: &Path) -> PathBuf {
    path.with_extension("json")
}

/// Refuses a burnpack file whose header declares more metadata than the file holds: Burn
/// allocates the declared size (up to 100 MiB) before reading it. Files too short for a
/// header, or with a wrong magic number, are left to Burn's own errors.
fn check_declared_metadata(path: &Path) -> Result<(), GlowError> {
    let mut file = flowood_host::open_regular(path).map_err(|e| io_err("opening", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| io_err("reading", path, e))?
        .len();
    let mut head = [0; HEADER_SIZE];
    if file.read_exact(&mut head).is_err() {
        return Ok(());
    }
    let Ok(header) = Header::from_bytes(&head) else {
        return Ok(());
    };
    let declared = u64::from(header.metadata_size);
    if HEADER_SIZE as u64 + declared > len {
        return Err(io_err(
            "loading model from",
            path,
            format!(
                "its header declares {declared} bytes of metadata, but the file has {len} bytes"
            ),
        ));
    }
    Ok(())
}

/// CRC-32 of the file at `path`.
fn file_checksum(path: &Path) -> Result<u32, GlowError> {
    let bytes = flowood_host::read_regular(path).map_err(|e| io_err("reading", path, e))?;
    Ok(crc32fast::hash(&bytes))
}

fn io_err(action: &'static str, path: &Path, e: impl ToString) -> GlowError {
    GlowError::Io {
        action,
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
