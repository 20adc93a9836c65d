//! Reading throughput: envelope alone, and envelope plus every typed model,
//! on a large 835 and a large 837P (claims repeated to a few MB).
//! X12_BENCH_OUT=DIR also writes the two files there, so bench/x12.sh can
//! time pyx12 on exactly the same input.

#[path = "../tests/common/mod.rs"]
mod common;

use clinicdesk_x12::{model, read};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

const SIZE: usize = 4 << 20;

fn envelope(data: &[u8]) -> usize {
    let p = read(data);
    assert!(p.errors.is_empty(), "{:?}", p.errors.first());
    p.document.interchanges[0].segment_count
}

fn with_models(data: &[u8]) -> usize {
    let p = read(data);
    assert!(p.errors.is_empty(), "{:?}", p.errors.first());
    p.document
        .transactions()
        .map(|t| match model(t) {
            Some(Ok(_)) => 1,
            other => panic!("no model: {other:?}"),
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let files = [
        ("835", common::large_835(SIZE)),
        ("837P", common::large_837(SIZE)),
    ];
    if let Some(dir) = std::env::var_os("X12_BENCH_OUT") {
        std::fs::create_dir_all(&dir).expect("bench output dir");
        for (name, text) in &files {
            let path = std::path::Path::new(&dir).join(format!("large-{name}.x12"));
            std::fs::write(&path, text).expect("write bench file");
        }
    }
    let mut g = c.benchmark_group("x12");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for (name, text) in &files {
        let data = text.as_bytes();
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(
            format!("{name} envelope ({:.1} MB)", data.len() as f64 / 1e6),
            |b| b.iter(|| envelope(black_box(data))),
        );
        g.bench_function(
            format!("{name} envelope+model ({:.1} MB)", data.len() as f64 / 1e6),
            |b| b.iter(|| with_models(black_box(data))),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
