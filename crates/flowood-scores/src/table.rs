//! A table of scores, one row per image and one named column per score or term, with a CSV
//! writer.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use flowood_host::write_atomically;

use crate::error::ScoreError;

/// Named columns of equal length; row `r` is image `r` in the order the images were scored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreTable {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl ScoreTable {
    /// A table from `(name, values)` pairs; names must be distinct and columns equally long.
    pub fn from_columns(columns: Vec<(String, Vec<f64>)>) -> Result<Self, ScoreError> {
        let (names, columns): (Vec<String>, Vec<Vec<f64>>) = columns.into_iter().unzip();
        if let Some(len) = columns.first().map(Vec::len)
            && let Some(i) = columns.iter().position(|c| c.len() != len)
        {
            return Err(ScoreError::InvalidArgument {
                name: "columns",
                reason: format!(
                    "column `{}` has {} rows, expected {len}",
                    names[i],
                    columns[i].len()
                ),
            });
        }
        if let Some(dup) = names
            .iter()
            .enumerate()
            .find(|(i, n)| names[..*i].contains(n))
        {
            return Err(ScoreError::InvalidArgument {
                name: "columns",
                reason: format!("column `{}` appears twice", dup.1),
            });
        }
        Ok(Self { names, columns })
    }

    /// Number of rows (images).
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The values of column `name`, one per image.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(&self.columns[i])
    }

    /// Appends the rows of `other`, which must have the same columns in the same order
    /// (an empty table without columns takes `other`'s columns).
    pub fn extend(&mut self, other: ScoreTable) -> Result<(), ScoreError> {
        if self.names.is_empty() {
            *self = other;
            return Ok(());
        }
        if self.names != other.names {
            return Err(ScoreError::TableMismatch {
                left: self.names.clone(),
                right: other.names,
            });
        }
        for (column, more) in self.columns.iter_mut().zip(other.columns) {
            column.extend(more);
        }
        Ok(())
    }

    /// Writes the table as CSV: a header `image,<names...>`, then one row per image with its
    /// 0-based index. Numbers use Rust's shortest round-trip form (`NaN`, `inf`, `-inf` for
    /// non-finite values).
    pub fn write_csv_to(&self, mut out: impl Write) -> std::io::Result<()> {
        writeln!(out, "image,{}", self.names.join(","))?;
        for row in 0..self.len() {
            write!(out, "{row}")?;
            for column in &self.columns {
                write!(out, ",{}", column[row])?;
            }
            writeln!(out)?;
        }
        out.flush()
    }

    /// Writes the CSV to `path` atomically (through `flowood_host::write_atomically`), so a
    /// reader never sees a half-written table.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<(), ScoreError> {
        let path = path.as_ref();
        write_atomically(path, |tmp| {
            self.write_csv_to(BufWriter::new(File::create(tmp)?))
        })
        .map_err(|e| ScoreError::Io {
            path: path.to_path_buf(),
            source: e.into(),
        })
    }
}
