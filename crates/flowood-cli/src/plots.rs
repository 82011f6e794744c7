//! PNG plots of `flowood eval` and `analyze`: histograms (in vs OOD) and ROC curves.
//!
//! Text is drawn with DejaVu Sans (Debian `fonts-dejavu-core`), read at run time from
//! `$FLOWOOD_FONT` or the usual system path, so the binary needs no font library.

use std::path::Path;
use std::sync::OnceLock;

use flowood::host::{AtomicWriteError, write_atomically};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::error::CliError;

const FONT_PATHS: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];
const SIZE: (u32, u32) = (800, 500);
/// The "tab10" colours.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Registers the font once per process.
fn font() -> Result<(), CliError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let candidates: Vec<String> = std::env::var("FLOWOOD_FONT").into_iter().chain(FONT_PATHS.map(String::from)).collect();
            let bytes = candidates
                .iter()
                .find_map(|p| std::fs::read(p).ok())
                .ok_or_else(|| format!("no font for the plots: set FLOWOOD_FONT or install fonts-dejavu-core (looked in {candidates:?})"))?;
            register_font("sans-serif", FontStyle::Normal, Box::leak(bytes.into_boxed_slice()))
                .map_err(|_| "the plot font could not be read".to_string())
        })
        .clone()
        .map_err(CliError::Usage)
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("drawing {}: {e}", path.display()))
}

/// Draws a PNG at `path` through a temporary file (`flowood_host::write_atomically`).
fn write_png(
    path: &Path,
    draw: impl FnOnce(&Path) -> Result<(), CliError>,
) -> Result<(), CliError> {
    font()?;
    write_atomically(path, draw).map_err(|e| match e {
        AtomicWriteError::Write(e) => e,
        AtomicWriteError::Io(e) => plot_err(path, e),
    })
}

/// Overlaid, normalised histograms of the values of each named set (finite values only) on
/// one axis, described by `x_desc`.
pub fn histogram(
    path: &Path,
    title: &str,
    x_desc: &str,
    sets: &[(&str, &[f64])],
) -> Result<(), CliError> {
    write_png(path, |tmp| draw_histogram(tmp, title, x_desc, sets))
}

fn draw_histogram(
    path: &Path,
    title: &str,
    x_desc: &str,
    sets: &[(&str, &[f64])],
) -> Result<(), CliError> {
    let finite: Vec<Vec<f64>> = sets
        .iter()
        .map(|(_, s)| s.iter().copied().filter(|v| v.is_finite()).collect())
        .collect();
    let (lo, hi) = robust_range(finite.iter().flatten().copied());
    let bins = 60;
    let width = (hi - lo) / bins as f64;
    let densities: Vec<Vec<f64>> = finite
        .iter()
        .map(|s| normalised_counts(s, lo, width, bins))
        .collect();
    let top = densities.iter().flatten().copied().fold(0.0, f64::max) * 1.1;
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, 0.0..top.max(1e-12))
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("density")
        .draw()
        .map_err(|e| plot_err(path, e))?;
    for (i, ((name, _), density)) in sets.iter().zip(&densities).enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let bars = density.iter().enumerate().map(|(b, &d)| {
            let x0 = lo + b as f64 * width;
            Rectangle::new([(x0, 0.0), (x0 + width, d)], color.mix(0.35).filled())
        });
        chart
            .draw_series(bars)
            .map_err(|e| plot_err(path, e))?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))
}

/// ROC curves (false positive rate on OOD vs true positive rate on in-distribution) of
/// each named curve, with the chance diagonal.
pub fn roc(path: &Path, title: &str, curves: &[(String, Vec<(f64, f64)>)]) -> Result<(), CliError> {
    write_png(path, |tmp| draw_roc(tmp, title, curves))
}

fn draw_roc(
    path: &Path,
    title: &str,
    curves: &[(String, Vec<(f64, f64)>)],
) -> Result<(), CliError> {
    let root = BitMapBackend::new(path, (600, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("false positive rate (OOD called normal)")
        .y_desc("true positive rate (in-distribution called normal)")
        .draw()
        .map_err(|e| plot_err(path, e))?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
        .map_err(|e| plot_err(path, e))?;
    for (i, (name, points)) in curves.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| plot_err(path, e))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))
}

/// The 0.5th to 99.5th percentile of the values (so a few extreme scores do not squash the
/// histogram), widened if degenerate.
fn robust_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return (0.0, 1.0);
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let (lo, hi) = (at(0.005), at(0.995));
    if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

/// Histogram counts over `bins` bins from `lo`, normalised to unit area; values outside
/// fall in the end bins.
fn normalised_counts(values: &[f64], lo: f64, width: f64, bins: usize) -> Vec<f64> {
    let mut counts = vec![0.0; bins];
    for &v in values {
        let b = ((v - lo) / width).floor().clamp(0.0, (bins - 1) as f64) as usize;
        counts[b] += 1.0;
    }
    let total = values.len().max(1) as f64 * width;
    counts.iter().map(|c| c / total).collect()
}
