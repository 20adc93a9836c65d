//! Opening, decoding and rendering never panic, whatever the bytes:
//! arbitrary input, and real files mutated (bytes changed, cut, inserted).
//! The same entry point as the cargo-fuzz target fuzz/fuzz_targets/dicom_open.rs.

mod common;

use clinicdesk_imaging::fuzzing::exercise;
use proptest::prelude::*;
use std::sync::OnceLock;

/// Small files in many encodings: built here, plus pydicom's when fetched.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut s = vec![
            common::ct(common::EXPLICIT_LE),
            common::ct(common::IMPLICIT_LE),
            common::ct(common::EXPLICIT_BE),
        ];
        if let Some(dir) = common::fetched() {
            // Small files (a few kB each), one or more per decoder.
            for name in [
                "CT_small.dcm",
                "MR_small_RLE.dcm",
                "MR_small_jpeg_ls_lossless.dcm",
                "MR_small_jp2klossless.dcm",
                "SC_rgb_small_odd_jpeg.dcm",
                "SC_rgb_small_odd_big_endian.dcm",
                "SC_rgb_gdcm_KY.dcm",
                "SC_rgb_rle_2frame.dcm",
                "SC_rgb_jpeg_dcmtk.dcm",
                "JPEGLSNearLossless_08.dcm",
                "rtdose_expb_1frame.dcm",
                "image_dfl.dcm",
            ] {
                s.push(std::fs::read(dir.join(name)).expect("fetched file"));
            }
        }
        s
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Delete(usize, usize),
    Insert(usize, u8),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Lengths and VRs live in the first few hundred bytes of small files;
    // bias positions there, where parsers break.
    let pos = prop_oneof![0usize..600, any::<usize>()];
    let byte = prop_oneof![Just(0u8), Just(0xFF), Just(0x7F), any::<u8>()];
    prop_oneof![
        (pos.clone(), byte.clone()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (pos.clone(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (pos.clone(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = data.len().max(1);
        match *m {
            Mutation::Set(i, b) => {
                if let Some(x) = data.get_mut(i % len) {
                    *x = b;
                }
            }
            Mutation::Delete(i, n) => {
                let start = (i % len).min(data.len());
                let end = (start + n).min(data.len());
                data.drain(start..end);
            }
            Mutation::Insert(i, b) => data.insert((i % len).min(data.len()), b),
            Mutation::Truncate(i) => data.truncate(i % len),
        }
    }
    data
}

proptest! {
    // Few cases: a mutated element length makes dicom-rs zero-fill up to
    // 4 GB before failing (docs/imaging.md), so each case can take seconds.
    // The fuzz target is where long runs belong.
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        exercise(&data);
        let mut dicm = vec![0u8; 128];
        dicm.extend_from_slice(b"DICM");
        dicm.extend_from_slice(&data);
        exercise(&dicm);
    }

    #[test]
    fn mutated_files_never_panic(
        seed in any::<usize>(),
        muts in prop::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let data = apply(seeds[seed % seeds.len()].clone(), &muts);
        exercise(&data);
    }
}

#[test]
fn the_seeds_themselves_open_and_render() {
    for s in seeds() {
        let image = clinicdesk_imaging::Image::from_bytes(s).expect("seed opens");
        image
            .render_rgba(0, clinicdesk_imaging::Window::from_file_default())
            .expect("seed renders");
        exercise(s);
    }
}
