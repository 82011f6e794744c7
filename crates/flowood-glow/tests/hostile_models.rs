//! Model files and configurations a user may hand over: absurd sizes, weights no Glow can
//! have, corrupt or mismatched files. Each is a typed error naming the file, field or tensor.

mod common;

use burn::module::{Param, ParamId};
use burn::tensor::{Device, Int, Tensor, TensorData};
use common::{saved_tiny, tiny};
use flowood_glow::{CHECKSUM_KEY, Glow, GlowConfig, GlowError, PriorKind, config_path};

fn int_param(values: Vec<i64>) -> Param<Tensor<1, Int>> {
    let n = values.len();
    let tensor = Tensor::<1, Int>::from_data(TensorData::new(values, [n]), &Device::flex());
    Param::initialized(ParamId::new(), tensor)
}

fn invalid_tensor(err: GlowError) -> (String, String) {
    match err {
        GlowError::InvalidWeights { tensor, reason, .. } => (tensor, reason),
        other => panic!("expected InvalidWeights, got {other:?}"),
    }
}

#[test]
fn absurd_sizes_are_refused_before_allocating() {
    let base = tiny(PriorKind::ActNormGaussian);
    let cases = [
        (
            "levels",
            GlowConfig {
                levels: 4_294_967_297,
                ..base.clone()
            },
        ),
        (
            "hidden_channels",
            GlowConfig {
                hidden_channels: 1_000_000_000,
                ..base.clone()
            },
        ),
        (
            "steps_per_level",
            GlowConfig {
                steps_per_level: 100_000_000,
                ..base.clone()
            },
        ),
        (
            "image_size",
            GlowConfig {
                image_size: usize::MAX,
                ..base.clone()
            },
        ),
        (
            "in_channels",
            GlowConfig {
                in_channels: 1 << 40,
                ..base.clone()
            },
        ),
        // Each field within its bound, but the whole model far too large.
        (
            "hidden_channels",
            GlowConfig {
                hidden_channels: 16384,
                steps_per_level: 1024,
                ..base.clone()
            },
        ),
    ];
    for (field, config) in cases {
        match config.validate() {
            Err(GlowError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected InvalidConfig, got {other:?}"),
        }
        assert!(config.init(&Device::flex(), 0).is_err());
    }
    assert!(base.validate().is_ok());
}

#[test]
fn the_parameter_estimate_is_close_to_the_real_count() {
    use burn::module::Module;
    for config in [tiny(PriorKind::ActNormGaussian), GlowConfig::small(1)] {
        let actual = config.init(&Device::flex(), 0).unwrap().num_params();
        let estimate = config.parameter_estimate().unwrap();
        let ratio = estimate as f64 / actual as f64;
        assert!((0.8..1.5).contains(&ratio), "{estimate} vs {actual}");
    }
}

#[test]
fn an_absurd_sample_count_is_an_error() {
    let glow = tiny(PriorKind::ActNormGaussian)
        .init(&Device::flex(), 0)
        .unwrap();
    for n in [100_000_000_000, usize::MAX] {
        assert!(matches!(
            glow.sample(n, 0.7, 0),
            Err(GlowError::InvalidArgument { name: "n", .. })
        ));
    }
}

#[test]
fn a_model_json_with_absurd_sizes_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = saved_tiny(dir.path(), 3);
    let json = std::fs::read_to_string(config_path(&path)).unwrap();
    let json = json.replace("\"levels\": 2", "\"levels\": 4294967297");
    std::fs::write(config_path(&path), json).unwrap();
    let err = Glow::load(&path, &Device::flex()).unwrap_err();
    assert!(err.to_string().contains("model.json"), "{err}");
    let GlowError::ConfigFile { source, .. } = err else {
        panic!("expected ConfigFile, got {err:?}");
    };
    assert!(
        matches!(
            *source,
            GlowError::InvalidConfig {
                field: "levels",
                ..
            }
        ),
        "{source:?}"
    );
}

/// A change made to a model before it is saved.
type Corruption = Box<dyn Fn(&mut Glow)>;

#[test]
fn loaded_weights_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (glow, _) = saved_tiny(dir.path(), 3);
    let c = glow.scales[0].steps[0].invconv.sign.dims()[0];
    let cases: Vec<(Corruption, &str, &str)> = vec![
        (
            Box::new(move |g| {
                g.scales[0].steps[1].invconv.permutation = int_param(vec![c as i64; c])
            }),
            "scales.0.steps.1.invconv.permutation",
            "outside",
        ),
        (
            Box::new(move |g| g.scales[1].steps[0].invconv.permutation = int_param(vec![0; c * 2])),
            "scales.1.steps.0.invconv.permutation",
            "repeats",
        ),
        (
            Box::new(move |g| g.scales[0].steps[2].invconv.sign = int_param(vec![0; c])),
            "scales.0.steps.2.invconv.sign",
            "not +1 or -1",
        ),
        (
            Box::new(|g| {
                let log_s = g.scales[0].steps[0].invconv.log_s.val();
                g.scales[0].steps[0].invconv.log_s = Param::from_tensor(log_s.mul_scalar(f32::NAN));
            }),
            "scales.0.steps.0.invconv.log_s",
            "NaN",
        ),
    ];
    for (k, (corrupt, tensor, reason)) in cases.into_iter().enumerate() {
        let mut bad = glow.clone();
        corrupt(&mut bad);
        let path = dir.path().join(format!("bad-{k}.bpk"));
        bad.save(&path).unwrap();
        let (found, why) = invalid_tensor(Glow::load(&path, &Device::flex()).unwrap_err());
        assert_eq!(found, tensor);
        assert!(why.contains(reason), "{why}");
    }
}

#[test]
fn the_checksum_catches_corrupt_and_mismatched_files() {
    let dir = tempfile::tempdir().unwrap();
    let (glow, path) = saved_tiny(dir.path(), 3);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(config_path(&path)).unwrap()).unwrap();
    let recorded = json[CHECKSUM_KEY].as_u64().unwrap();
    assert_eq!(
        recorded,
        u64::from(crc32fast::hash(&std::fs::read(&path).unwrap()))
    );
    // One flipped bit in the last weight.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = Glow::load(&path, &Device::flex()).unwrap_err();
    assert!(matches!(err, GlowError::ChecksumMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("model.bpk"));
    // Files written before the checksum existed have no key: they load unchecked.
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let mut old = json.clone();
    old.as_object_mut().unwrap().remove(CHECKSUM_KEY);
    std::fs::write(config_path(&path), old.to_string()).unwrap();
    let loaded = Glow::load(&path, &Device::flex()).unwrap();
    assert_eq!(loaded.config, glow.config);
}

#[test]
fn imported_safetensors_weights_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (glow, _) = saved_tiny(dir.path(), 3);
    let c = glow.scales[0].steps[0].invconv.sign.dims()[0];
    let mut bad = glow.clone();
    // An index past the channels made the first forward pass panic inside the backend.
    bad.scales[0].steps[0].invconv.permutation = int_param(vec![c as i64 + 4; c]);
    let path = dir.path().join("bad.safetensors");
    bad.export_safetensors(&path).unwrap();
    let fresh = glow.config.init(&Device::flex(), 0).unwrap();
    let (tensor, reason) = invalid_tensor(fresh.import_safetensors(&path).unwrap_err());
    assert_eq!(tensor, "scales.0.steps.0.invconv.permutation");
    assert!(reason.contains("outside"), "{reason}");
}

#[test]
fn a_burnpack_header_declaring_more_metadata_than_the_file_holds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = saved_tiny(dir.path(), 3);
    let mut bytes = std::fs::read(&path).unwrap();
    // Bytes 6..10 hold the metadata size; Burn allocated what they declare before reading.
    bytes[6..10].copy_from_slice(&(64u32 << 20).to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let fresh = tiny(PriorKind::ActNormGaussian)
        .init(&Device::flex(), 0)
        .unwrap();
    let err = fresh.load_weights(&path).unwrap_err().to_string();
    assert!(
        err.contains("model.bpk") && err.contains("declares 67108864 bytes of metadata"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn a_model_file_that_is_a_pipe_or_device_is_refused_not_read_forever() {
    let dir = tempfile::tempdir().unwrap();
    let (glow, path) = saved_tiny(dir.path(), 3);
    // model.bpk replaced by a named pipe: opening it blocked until a writer came.
    std::fs::remove_file(&path).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let config = glow.config.clone();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let load = Glow::load(&path, &Device::flex()).unwrap_err().to_string();
        let fresh = config.init(&Device::flex(), 0).unwrap();
        let import = fresh
            .import_safetensors(std::path::Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        send.send((load, import))
    });
    // A hang fails the test (the thread is left behind) instead of stalling the suite.
    let (load, import) = receive
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("a read hung");
    assert!(
        load.contains("model.bpk") && load.contains("not a regular file"),
        "{load}"
    );
    assert!(
        import.contains("/dev/zero") && import.contains("not a regular file"),
        "{import}"
    );
}
