//! Import 1,000 CT instances from a folder into a fresh encrypted store:
//! read and index every file, then store each study in one transaction.
//! Target: 1,000 instances in at most 10 s.
//!
//! The instances are pydicom's CT_small.dcm (from
//! scripts/fetch-dicom-data.sh) tiled to 512×512, the size of a clinical
//! CT slice (about 0.5 MB each), written 1,000 times with new study,
//! series and instance UIDs: 4 studies of 250 slices.

#[path = "../tests/common/mod.rs"]
mod common;

use clinicdesk_archive::import_paths;
use common::{clinic, fetched, relabel, Ids};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use std::time::Duration;

const INSTANCES: u32 = 1_000;
const PER_STUDY: u32 = 250;

/// CT_small.dcm tiled 4×4 to 512×512.
fn clinical_slice(original: &[u8]) -> Vec<u8> {
    let mut obj = dicom_object::OpenFileOptions::new()
        .from_reader(original)
        .expect("CT_small.dcm opens");
    let int = |t| obj.element(t).unwrap().to_int::<usize>().unwrap();
    let (rows, cols) = (int(tags::ROWS), int(tags::COLUMNS));
    let words: Vec<u16> = obj
        .element(tags::PIXEL_DATA)
        .unwrap()
        .to_multi_int::<u16>()
        .expect("16-bit native pixel data");
    let mut tiled = Vec::with_capacity(rows * cols * 16);
    for r in 0..rows * 4 {
        let src = (r % rows) * cols;
        for _ in 0..4 {
            tiled.extend_from_slice(&words[src..src + cols]);
        }
    }
    let us = |t, v: usize| DataElement::new(t, VR::US, PrimitiveValue::from(v as u16));
    obj.put(us(tags::ROWS, rows * 4));
    obj.put(us(tags::COLUMNS, cols * 4));
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(tiled.into()),
    ));
    let mut out = Vec::new();
    obj.write_all(&mut out).expect("write the tiled slice");
    out
}

/// This process's user + system CPU time (Linux), to tell the import's own
/// cost from time spent waiting for a busy machine's cores.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Clock ticks: 100 per second on Linux.
    Some((utime + stime) / 100.0)
}

fn import(c: &mut Criterion) {
    let Some(data) = fetched() else {
        eprintln!("import bench skipped: run scripts/fetch-dicom-data.sh first");
        return;
    };
    let original = std::fs::read(data.join("pydicom/CT_small.dcm")).expect("CT_small.dcm");
    let slice = clinical_slice(&original);
    let files = tempfile::tempdir().expect("temp dir");
    let mut total_bytes = 0;
    for i in 0..INSTANCES {
        let ids = Ids::new("BENCH-1", "BENCH^CT", "19700101", i / PER_STUDY, 1, i + 1);
        let bytes = relabel(&slice, &ids);
        total_bytes += bytes.len();
        std::fs::write(files.path().join(format!("{i:04}.dcm")), bytes).expect("write");
    }
    eprintln!(
        "{INSTANCES} instances, {:.0} MB in all",
        total_bytes as f64 / 1e6
    );
    let paths = vec![files.path().to_path_buf()];

    // One run outside criterion, to say where the time goes.
    {
        let dir = tempfile::tempdir().expect("store dir");
        let (mut store, session) = clinic(dir.path());
        let cpu_before = cpu_seconds();
        let started = std::time::Instant::now();
        let mut reading_done = None;
        let report = import_paths(&mut store, &session, &paths, &mut |p| {
            if p.phase == clinicdesk_archive::Phase::Storing && reading_done.is_none() {
                reading_done = Some(started.elapsed());
            }
        })
        .expect("import");
        assert_eq!(report.imported, INSTANCES as usize);
        let total = started.elapsed();
        let reading = reading_done.unwrap_or_default();
        let cpu = cpu_seconds().zip(cpu_before).map(|(a, b)| a - b);
        eprintln!(
            "one run: {total:.2?} in all: reading identifiers {reading:.2?}, storing {:.2?}; CPU time {}",
            total - reading,
            cpu.map_or("unknown".into(), |c| format!("{c:.2} s"))
        );
    }

    let mut group = c.benchmark_group("archive");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.bench_function("import 1,000 CT instances (512x512) from a folder", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("store dir");
                let (store, session) = clinic(dir.path());
                (dir, store, session)
            },
            |(dir, mut store, session)| {
                let report =
                    import_paths(&mut store, &session, &paths, &mut |_| {}).expect("import");
                assert_eq!(report.imported, INSTANCES as usize);
                // Dropped outside the measurement by criterion.
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, import);
criterion_main!(benches);
