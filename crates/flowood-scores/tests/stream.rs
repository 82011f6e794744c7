//! Streaming a dataset batch by batch gives the same table as one big batch; CSV output.

mod common;

use burn::tensor::Device;
use common::{random_pixels, tiny_glow};
use flowood_scores::{
    DatasetScorer, LikelihoodScorer, Pixels, ScoreBatch, ScoreError, ScoreTable, stream_scores,
};

/// Splits 8 images into batches of 3, 2 and 3.
fn batches(all: &Pixels) -> Vec<ScoreBatch> {
    let data = all.data();
    [(0, 3), (3, 5), (5, 8)]
        .iter()
        .map(|&(a, b)| {
            let part = Pixels::new(data[a * 64..b * 64].to_vec(), [b - a, 1, 8, 8]).unwrap();
            ScoreBatch::from_pixels(part, &Device::flex())
        })
        .collect()
}

fn full_scorer() -> DatasetScorer {
    DatasetScorer::new(&tiny_glow(1))
        .unwrap()
        .with_general(&tiny_glow(2))
        .unwrap()
        .with_complexity()
}

#[test]
fn streaming_equals_one_big_batch_and_reports_progress() {
    let all = random_pixels(8, 11);
    let whole = full_scorer()
        .score_batch(&ScoreBatch::from_pixels(all.clone(), &Device::flex()))
        .unwrap();
    // One batch at a time, and several at once on threads (2 leaves a group of one).
    for threads in [1, 2, 3] {
        let scorer = full_scorer().with_threads(threads);
        let mut calls = Vec::new();
        let streamed = scorer
            .score_stream(batches(&all), Some(8), |done, total| {
                calls.push((done, total))
            })
            .unwrap();
        assert_eq!(calls, vec![(3, Some(8)), (5, Some(8)), (8, Some(8))]);
        assert_eq!(streamed.names(), whole.names());
        assert_eq!(streamed.len(), 8);
        for name in whole.names() {
            let (a, b) = (whole.column(name).unwrap(), streamed.column(name).unwrap());
            for (x, y) in a.iter().zip(b) {
                assert!(
                    (x - y).abs() < 1e-4 * (1.0 + x.abs()),
                    "{name}, {threads} threads: {x} vs {y}"
                );
            }
        }
    }
}

#[test]
fn table_has_every_score_and_per_scale_term() {
    let table = full_scorer()
        .score_batch(&ScoreBatch::from_pixels(
            random_pixels(2, 1),
            &Device::flex(),
        ))
        .unwrap();
    for name in [
        "score_log_p",
        "score_neg_bpd",
        "score_lp1",
        "score_final_scale",
        "score_ratio",
        "score_ratio_lp1",
        "score_ratio_lp2",
        "score_complexity",
        "png_bpd",
        "in_log_p",
        "in_bpd",
        "in_F1",
        "in_A1",
        "in_N1",
        "in_lp1",
        "in_lp2",
        "general_N2",
        "general_lp2",
    ] {
        assert_eq!(table.column(name).map(<[f64]>::len), Some(2), "{name}");
    }
    let lp1 = table.column("in_lp1").unwrap();
    let (f1, a1, n1) = (
        table.column("in_F1").unwrap(),
        table.column("in_A1").unwrap(),
        table.column("in_N1").unwrap(),
    );
    for r in 0..2 {
        assert!((f1[r] + a1[r] + n1[r] - lp1[r]).abs() < 1e-3 * (1.0 + lp1[r].abs()));
    }
    assert_eq!(table.column("score_lp1"), table.column("in_lp1"));
    assert_eq!(table.column("score_final_scale"), table.column("in_lp2"));
    assert_eq!(
        table.column("score_lp2"),
        None,
        "the last scale is score_final_scale"
    );
}

#[test]
fn complexity_needs_pixels_in_every_batch() {
    let batch = ScoreBatch::new(ScoreBatch::from_pixels(random_pixels(2, 1), &Device::flex()).x);
    assert!(matches!(
        full_scorer().score_stream([batch], None, |_, _| {}),
        Err(ScoreError::MissingPixels)
    ));
}

#[test]
fn any_scorer_streams_like_one_batch() {
    let glow = tiny_glow(1);
    let scorer = LikelihoodScorer::log_p(&glow).unwrap();
    let all = random_pixels(8, 11);
    let mut done = 0;
    let streamed = stream_scores(&scorer, batches(&all), None, |d, _| done = d).unwrap();
    let whole =
        flowood_scores::Scorer::score(&scorer, &ScoreBatch::from_pixels(all, &Device::flex()))
            .unwrap();
    assert_eq!(done, 8);
    for (x, y) in whole.iter().zip(&streamed) {
        assert!((x - y).abs() < 1e-4 * (1.0 + x.abs()));
    }
}

#[test]
fn csv_has_a_header_and_one_row_per_image() {
    let table = full_scorer()
        .score_batch(&ScoreBatch::from_pixels(
            random_pixels(3, 1),
            &Device::flex(),
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scores.csv");
    table.write_csv(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("image,score_log_p,score_neg_bpd,"));
    let width = table.names().len() + 1;
    assert!(lines.iter().all(|l| l.split(',').count() == width));
    assert!(lines[2].starts_with("1,"));
    let first: f64 = lines[1].split(',').nth(1).unwrap().parse().unwrap();
    assert_eq!(first, table.column("score_log_p").unwrap()[0]);
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(files, 1, "no temporary file is left behind");
}

#[test]
fn tables_with_different_columns_do_not_concatenate() {
    let mut a = ScoreTable::from_columns(vec![("x".into(), vec![1.0])]).unwrap();
    let b = ScoreTable::from_columns(vec![("y".into(), vec![2.0])]).unwrap();
    assert!(matches!(a.extend(b), Err(ScoreError::TableMismatch { .. })));
    assert!(
        ScoreTable::from_columns(vec![("x".into(), vec![1.0]), ("x".into(), vec![2.0])]).is_err()
    );
    assert!(ScoreTable::from_columns(vec![("x".into(), vec![1.0]), ("y".into(), vec![])]).is_err());
}
