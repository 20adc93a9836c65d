//! Decode, window and convert to RGBA one 512×512 16-bit CT slice: what
//! the viewer does for every slice shown. Target: under 5 ms.
//!
//! pydicom ships no 512×512 16-bit CT in a native syntax, so the slice is
//! CT_small.dcm (128×128, signed 16-bit, from scripts/fetch-dicom-data.sh)
//! tiled 4×4 and written back with dicom-object: real CT values, real
//! header, the size of a clinical slice.

use clinicdesk_imaging::{Image, Preset, Window};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use std::path::PathBuf;

fn ct_small() -> PathBuf {
    let base = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fetched")
        });
    let f = base.join("pydicom/CT_small.dcm");
    assert!(
        f.is_file(),
        "{} is missing: run scripts/fetch-dicom-data.sh",
        f.display()
    );
    f
}

/// CT_small.dcm tiled `n`×`n`, as a Part 10 file in memory.
fn tiled(n: usize) -> Vec<u8> {
    let mut obj = dicom_object::open_file(ct_small()).expect("CT_small.dcm opens");
    let rows = obj.element(tags::ROWS).unwrap().to_int::<usize>().unwrap();
    let cols = obj
        .element(tags::COLUMNS)
        .unwrap()
        .to_int::<usize>()
        .unwrap();
    let words: Vec<u16> = obj
        .element(tags::PIXEL_DATA)
        .unwrap()
        .to_multi_int::<u16>()
        .expect("16-bit native pixel data");
    let (big_rows, big_cols) = (rows * n, cols * n);
    let mut tiled = Vec::with_capacity(big_rows * big_cols);
    for r in 0..big_rows {
        let src = (r % rows) * cols;
        for _ in 0..n {
            tiled.extend_from_slice(&words[src..src + cols]);
        }
    }
    obj.put(DataElement::new(
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(big_rows as u16),
    ));
    obj.put(DataElement::new(
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(big_cols as u16),
    ));
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(tiled.into()),
    ));
    let mut out = Vec::new();
    obj.write_all(&mut out).expect("write the tiled slice");
    out
}

fn render(c: &mut Criterion) {
    let bytes = tiled(4);
    let image = Image::from_bytes(&bytes).expect("tiled slice opens");
    assert_eq!((image.info().rows, image.info().columns), (512, 512));
    assert_eq!(image.info().bits_allocated, 16);

    c.bench_function("open + decode + window + RGBA, 512x512 CT", |b| {
        b.iter(|| {
            let image = Image::from_bytes(black_box(&bytes)).unwrap();
            image
                .render_rgba(0, Window::preset(Preset::SoftTissue))
                .unwrap()
        })
    });
    c.bench_function("decode + window + RGBA, 512x512 CT (opened)", |b| {
        b.iter(|| {
            image
                .render_rgba(0, black_box(Window::preset(Preset::Lung)))
                .unwrap()
        })
    });
    c.bench_function("stored values, 512x512 CT (opened)", |b| {
        b.iter(|| image.stored_frame(black_box(0)).unwrap())
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
