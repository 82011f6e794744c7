//! A safetensors header written in one order, so that exporting the same weights twice gives
//! the same bytes (and the same sha256 on a model card).
//!
//! The safetensors writer keeps the file's metadata (`__metadata__`) in a hash map, whose
//! order changes from one run to the next; the tensors themselves come out in a fixed order.
//! [`sort_header`] rewrites the header of a written file with every JSON object's keys in
//! sorted order. A header lists each tensor with its byte range in the data that follows, so
//! reordering its keys leaves every tensor where it was.

use std::path::Path;

use serde_json::{Map, Value};

/// Bytes of the little-endian header length that starts a safetensors file.
const LENGTH_BYTES: usize = 8;

/// The header is padded with spaces to a multiple of this many bytes, as the format's own
/// writer does (it keeps the data that follows aligned).
const HEADER_ALIGNMENT: usize = 8;

/// Rewrites the safetensors file at `path` with its header's keys sorted (see the module
/// docs). An error says what about the file is wrong; the file is then left as it was.
pub(crate) fn sort_header(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let (header, data) = split(&bytes)?;
    let header: Value =
        serde_json::from_slice(header).map_err(|e| format!("its header is not JSON: {e}"))?;
    let mut out = serde_json::to_vec(&sorted(header)).map_err(|e| e.to_string())?;
    out.resize(out.len().next_multiple_of(HEADER_ALIGNMENT), b' ');
    let mut file = Vec::with_capacity(LENGTH_BYTES + out.len() + data.len());
    file.extend_from_slice(&(out.len() as u64).to_le_bytes());
    file.extend_from_slice(&out);
    file.extend_from_slice(data);
    std::fs::write(path, file).map_err(|e| e.to_string())
}

/// The header's JSON bytes and the tensor data after them.
fn split(bytes: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let (length, rest) = bytes
        .split_first_chunk::<LENGTH_BYTES>()
        .ok_or("it is shorter than a safetensors header length")?;
    let length = usize::try_from(u64::from_le_bytes(*length))
        .ok()
        .filter(|&n| n <= rest.len())
        .ok_or("its header length runs past the end of the file")?;
    Ok(rest.split_at(length))
}

/// `value` with the keys of every object in it inserted in sorted order (whichever map
/// `serde_json` is built with, sorted or insertion-ordered, then writes them sorted).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors file with `header` and `data`, padded as the format's writer pads it.
    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut h = header.as_bytes().to_vec();
        h.resize(h.len().next_multiple_of(HEADER_ALIGNMENT), b' ');
        let mut out = (h.len() as u64).to_le_bytes().to_vec();
        out.extend(h);
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn metadata_in_either_order_gives_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let tensor = r#""w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#;
        let data = 1.5f32.to_le_bytes();
        let mut written = Vec::new();
        for meta in [r#"{"b":"2","a":"1"}"#, r#"{"a":"1","b":"2"}"#] {
            let path = dir.path().join("m.safetensors");
            let header = format!(r#"{{"__metadata__":{meta},{tensor}}}"#);
            std::fs::write(&path, file(&header, &data)).unwrap();
            sort_header(&path).unwrap();
            written.push(std::fs::read(&path).unwrap());
        }
        assert_eq!(written[0], written[1]);
        let (header, rest) = split(&written[0]).unwrap();
        let header = std::str::from_utf8(header).unwrap();
        assert!(
            header.starts_with(r#"{"__metadata__":{"a":"1","b":"2"},"w":"#),
            "{header}"
        );
        assert_eq!(header.len() % HEADER_ALIGNMENT, 0);
        assert_eq!(rest, data, "the tensor data follows the header unchanged");
    }

    #[test]
    fn a_header_running_past_the_end_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let mut bytes = file("{}", &[]);
        bytes[0] = 200;
        std::fs::write(&path, &bytes).unwrap();
        let err = sort_header(&path).unwrap_err();
        assert!(err.contains("past the end"), "{err}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "the file is left as it was"
        );
        std::fs::write(&path, [0u8; 3]).unwrap();
        assert!(sort_header(&path).unwrap_err().contains("shorter"));
    }
}
