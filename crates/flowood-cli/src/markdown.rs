//! Markdown tables of the reports.

use std::fmt::Write as _;

/// The header of a Markdown table: `first`, then `columns`, and the separator line.
pub fn header(first: &str, columns: &[impl AsRef<str>]) -> String {
    let mut md = format!("| {first} |");
    columns.iter().for_each(|c| {
        let _ = write!(md, " {} |", c.as_ref());
    });
    md.push_str("\n|---|");
    columns.iter().for_each(|_| md.push_str("---|"));
    md.push('\n');
    md
}

/// One row of a Markdown table: `first`, then each value as `format` writes it.
pub fn table_row(first: &str, values: &[f64], format: impl Fn(f64) -> String) -> String {
    let mut md = format!("| {first} |");
    values.iter().for_each(|&v| {
        let _ = write!(md, " {} |", format(v));
    });
    md.push('\n');
    md
}
