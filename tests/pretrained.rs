//! The shipped pretrained models: the weights are what the model card says (checksum, held-out
//! bits/dim recomputed on the real photos), loading by name works, bad names are typed errors.

use std::path::PathBuf;

use burn::module::Module;
use flowood::backend::parse_device;
use flowood::burn;
use flowood::data::{BatchConfig, Batcher, DataSource, Prepare, Split, data_dir};
use flowood::pretrained::{ModelSource, Pretrained, PretrainedError};

/// The value in the card's table row that starts with `label`.
fn card_row<'a>(card: &'a str, label: &str) -> &'a str {
    let row = card
        .lines()
        .find(|l| l.starts_with(&format!("| {label} |")))
        .unwrap_or_else(|| panic!("the card has no row `{label}`"));
    row.trim_end_matches('|').rsplit('|').next().unwrap().trim()
}

#[test]
fn every_card_states_the_sha256_of_its_weights() {
    assert!(!Pretrained::ALL.is_empty());
    for p in Pretrained::ALL {
        let stated = card_row(p.card(), "model.safetensors sha256").trim_matches('`');
        assert_eq!(stated, p.sha256(), "{p}: card and weights disagree");
    }
}

#[test]
fn exporting_a_loaded_model_gives_back_the_shipped_bytes() {
    let device = parse_device("flex").unwrap();
    let dir = tempfile::tempdir().unwrap();
    for p in Pretrained::ALL {
        let glow = p.load(&device).unwrap();
        assert_eq!(glow.config, p.config().unwrap());
        let path = dir.path().join(format!("{p}.safetensors"));
        glow.export_safetensors(&path).unwrap();
        // Every tensor was read (none left at its initial value) and written back unchanged,
        // in the same bytes: an export is deterministic, so a card's sha256 is reproducible.
        let written = std::fs::read(&path).unwrap();
        let (header, data) = split_safetensors(&written);
        let (shipped_header, shipped_data) = split_safetensors(p.safetensors());
        assert_eq!(header, shipped_header, "{p}");
        assert!(data == shipped_data, "{p}: tensor data differs");
        assert!(
            written == p.safetensors(),
            "{p}: same tensors and header, other bytes"
        );
    }
}

/// A safetensors file's header (parsed) and its tensor data.
fn split_safetensors(bytes: &[u8]) -> (serde_json::Value, &[u8]) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    (header, &bytes[8 + n..])
}

#[test]
fn names_parse_and_unknown_names_list_the_known_ones() {
    for p in Pretrained::ALL {
        assert_eq!(p.name().parse::<Pretrained>().unwrap(), *p);
        let source: ModelSource = format!("pretrained:{p}").parse().unwrap();
        assert_eq!(source, ModelSource::Pretrained(*p));
        assert_eq!(source.to_string(), format!("pretrained:{p}"));
    }
    let err = "pretrained:grey64".parse::<ModelSource>().unwrap_err();
    assert!(
        matches!(&err, PretrainedError::UnknownName { name, available } if name == "grey64" && available.contains("grey32")),
        "{err}"
    );
    let file: ModelSource = "runs/x/model.bpk".parse().unwrap();
    assert_eq!(file, ModelSource::File(PathBuf::from("runs/x/model.bpk")));
}

/// Mean bits/dim of `glow` on every image of `set`'s evaluation batches.
fn mean_bits_per_dim(glow: &flowood::glow::Glow, set: flowood::data::ImageSet) -> f64 {
    let device = parse_device("flex").unwrap();
    let batches = Batcher::new(set, BatchConfig::eval(256)).unwrap();
    let (mut sum, mut n) = (0.0, 0usize);
    for i in 0..batches.batches_per_epoch() {
        let x = batches.batch(0, i).unwrap().into_tensor(&device);
        let bpd = glow.log_likelihood(x).unwrap().to_host().bits_per_dim;
        sum += bpd.iter().sum::<f64>();
        n += bpd.len();
    }
    sum / n as f64
}

/// Fails unless the card's row `label` states `glow`'s mean bits/dim on `set` (to the 4
/// decimals the card prints).
fn assert_card_states(p: Pretrained, label: &str, set: flowood::data::ImageSet) {
    let device = parse_device("flex").unwrap();
    let glow = p.load(&device).unwrap().valid();
    let stated: f64 = card_row(p.card(), label).parse().unwrap();
    let measured = mean_bits_per_dim(&glow, set);
    assert!(
        (measured - stated).abs() < 5e-4,
        "{p}: card says {stated} for `{label}`, the weights give {measured}"
    );
}

/// `KIND:DIR` under the data directory, loaded at `channels`x32x32 (the pretrained models' size).
fn load(kind: &str, dir: &str, split: Split, channels: usize) -> flowood::data::ImageSet {
    let source: DataSource = format!("{kind}:{}", data_dir().unwrap().join(dir).display())
        .parse()
        .unwrap();
    let prepare = Prepare { channels, size: 32 };
    let loaded = source.load(split, prepare).unwrap();
    assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
    loaded.images
}

#[test]
fn the_general_cards_held_out_bits_per_dim_is_recomputed_on_the_unseen_photos() {
    let label = "held-out bits/dim, test tiles of unseen photos";
    for (p, channels) in [(Pretrained::Grey32, 1), (Pretrained::Rgb32, 3)] {
        assert_eq!(p.config().unwrap().in_channels, channels, "{p}");
        let tiles = load("photos", "general-photos", Split::Test, channels);
        assert_card_states(p, label, tiles);
    }
}

#[test]
fn every_cards_held_out_fashion_mnist_bits_per_dim_is_recomputed() {
    // The last 2000 training images: held out of every model's training and fine-tuning.
    let (_, held_out) = load("fashion-mnist", "fashion-mnist", Split::Train, 1)
        .hold_out(2000)
        .unwrap();
    let label = "held-out bits/dim, last 2000 Fashion-MNIST training images";
    let grey = Pretrained::ALL
        .iter()
        .filter(|p| p.config().unwrap().in_channels == 1);
    for p in grey {
        assert_card_states(*p, label, held_out.clone());
    }
}
