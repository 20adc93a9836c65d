//! The public API on small files built in memory: identifiers, stored and
//! modality values, windows, colour, frames and the errors for broken files.

mod common;

use clinicdesk_imaging::{Image, ImagingError, Photometric, Preset, Samples, VoiFunction, Window};
use common::{el, file, image, text, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE};
use dicom_core::value::{DataSetSequence, PrimitiveValue};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

fn grey(f: &clinicdesk_imaging::RgbaFrame) -> Vec<u8> {
    f.pixels
        .chunks_exact(4)
        .map(|p| {
            assert_eq!((p[0], p[1], p[3]), (p[2], p[2], 255));
            p[0]
        })
        .collect()
}

#[test]
fn ct_in_every_native_syntax_gives_the_same_values() {
    let want: Vec<i64> = (0..16).map(|i| i * 200 - 100).collect();
    for ts in [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE] {
        let img = Image::from_bytes(&common::ct(ts)).expect(ts);
        let info = img.info();
        assert_eq!((info.rows, info.columns, info.frames), (4, 4, 1));
        assert_eq!(info.modality.as_deref(), Some("CT"));
        assert_eq!(info.patient_id.as_deref(), Some("TEST-1"));
        assert_eq!(info.transfer_syntax_uid, ts);
        assert!(info.signed);
        assert_eq!(info.rescale_intercept, -1024.0);
        let s = img.stored_frame(0).unwrap();
        assert!(matches!(s.samples, Samples::I16(_)));
        assert_eq!(s.samples.to_i64(), want, "{ts}");
        let m = img.modality_frame(0).unwrap();
        assert_eq!(m.values[0], -1124.0);
        assert_eq!(m.values[15], 2900.0 - 1024.0);
    }
}

#[test]
fn the_file_window_and_presets_follow_the_linear_function() {
    let img = Image::from_bytes(&common::ct(EXPLICIT_LE)).unwrap();
    // HU = stored - 1024; window 40/400 is black up to -160, white above 239.
    let g = grey(&img.render_rgba(0, Window::from_file_default()).unwrap());
    let hu: Vec<f64> = (0..16).map(|i| f64::from(i * 200 - 100 - 1024)).collect();
    for (g, hu) in g.iter().zip(&hu) {
        let want = if *hu <= -160.0 {
            0.0
        } else if *hu > 239.0 {
            255.0
        } else {
            ((hu - 39.5) / 399.0 + 0.5) * 255.0
        };
        assert_eq!(f64::from(*g), want.round(), "HU {hu}");
    }
    // Stored 1100 is HU 76: inside the window, (76 - 39.5) / 399 + 0.5 of the way.
    assert_eq!(g[6], ((36.5f64 / 399.0 + 0.5) * 255.0).round() as u8);
    let lung = grey(&img.render_rgba(0, Window::preset(Preset::Lung)).unwrap());
    // Lung (-600/1500) is black up to -1350 HU and white above 149:
    // -1124 HU is ((-1124 + 600.5) / 1499 + 0.5) of the way, 276 HU white.
    assert_eq!(lung[0], 38);
    assert_eq!(lung[7], 255);
    assert_eq!(lung[15], 255);
    let custom = grey(&img.render_rgba(0, Window::custom(-1124.0, 1.0)).unwrap());
    assert_eq!(custom[0], 255);
    assert_eq!(custom[1], 255);
    assert!(matches!(
        img.render_rgba(0, Window::custom(0.0, 0.0)),
        Err(ImagingError::InvalidWindow(_))
    ));
}

fn mono(photometric: &str, values: Vec<u16>, extra: Vec<DataElement<InMemDicomObject>>) -> Image {
    let n = values.len() as u16;
    let obj = image(
        1,
        n,
        photometric,
        16,
        false,
        PrimitiveValue::U16(values.into()),
        extra,
    );
    Image::from_bytes(&file(obj, EXPLICIT_LE)).unwrap()
}

#[test]
fn without_a_window_the_full_range_is_used_and_monochrome1_is_inverted() {
    let m2 = mono("MONOCHROME2", vec![100, 150, 200], vec![]);
    assert_eq!(
        grey(&m2.render_rgba(0, Window::from_file_default()).unwrap()),
        [0, 128, 255]
    );
    let m1 = mono("MONOCHROME1", vec![100, 150, 200], vec![]);
    assert_eq!(
        grey(&m1.render_rgba(0, Window::from_file_default()).unwrap()),
        [255, 127, 0]
    );
}

#[test]
fn voi_lut_function_and_voi_lut_sequence() {
    let w = |f: &str| {
        vec![
            text(tags::WINDOW_CENTER, VR::DS, "100"),
            text(tags::WINDOW_WIDTH, VR::DS, "100"),
            text(tags::VOILUT_FUNCTION, VR::CS, f),
        ]
    };
    let exact = mono(
        "MONOCHROME2",
        vec![50, 75, 100, 150, 151],
        w("LINEAR_EXACT"),
    );
    assert_eq!(exact.info().voi_lut_function, VoiFunction::LinearExact);
    assert_eq!(
        grey(&exact.render_rgba(0, Window::from_file_default()).unwrap()),
        [0, 64, 128, 255, 255]
    );
    let sig = mono("MONOCHROME2", vec![0, 100, 200], w("SIGMOID"));
    let g = grey(&sig.render_rgba(0, Window::from_file_default()).unwrap());
    // 255 / (1 + e^(-4(x-c)/w)): e^4 gives 4.6 and 250.4.
    assert_eq!(g, [5, 128, 250]);

    let lut = InMemDicomObject::from_element_iter([
        el(
            tags::LUT_DESCRIPTOR,
            VR::US,
            PrimitiveValue::U16(vec![3, 10, 8].into()),
        ),
        el(
            tags::LUT_DATA,
            VR::US,
            PrimitiveValue::U16(vec![0, 51, 255].into()),
        ),
    ]);
    let seq = DataElement::new(
        tags::VOILUT_SEQUENCE,
        VR::SQ,
        DataSetSequence::from(vec![lut]),
    );
    let img = mono("MONOCHROME2", vec![0, 10, 11, 12, 99], vec![seq]);
    assert_eq!(img.info().voi_luts, 1);
    assert_eq!(
        grey(&img.render_rgba(0, Window::from_file_default()).unwrap()),
        [0, 0, 51, 255, 255]
    );
}

#[test]
fn rgb_by_plane_is_interleaved_and_palette_colour_is_looked_up() {
    // Two pixels, colour-by-plane: R = 10, 20; G = 30, 40; B = 50, 60.
    let obj = image(
        1,
        2,
        "RGB",
        8,
        false,
        PrimitiveValue::U8(vec![10, 20, 30, 40, 50, 60].into()),
        vec![el(tags::PLANAR_CONFIGURATION, VR::US, 1u16)],
    );
    let img = Image::from_bytes(&file(obj, EXPLICIT_LE)).unwrap();
    let s = img.stored_frame(0).unwrap();
    assert_eq!(s.samples, Samples::U8(vec![10, 30, 50, 20, 40, 60]));
    let px = img
        .render_rgba(0, Window::from_file_default())
        .unwrap()
        .pixels;
    assert_eq!(px, [10, 30, 50, 255, 20, 40, 60, 255]);
    assert!(img.modality_frame(0).is_err());

    let desc = |t| el(t, VR::US, PrimitiveValue::U16(vec![2, 0, 16].into()));
    let data = |t, a: u16, b: u16| el(t, VR::OW, PrimitiveValue::U16(vec![a, b].into()));
    let obj = image(
        1,
        3,
        "PALETTE COLOR",
        8,
        false,
        PrimitiveValue::U8(vec![0, 1, 9].into()),
        vec![
            desc(tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR),
            desc(tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR),
            desc(tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR),
            data(tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA, 0xFFFF, 0x0000),
            data(tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA, 0x0000, 0x8000),
            data(tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA, 0x0000, 0xFFFF),
        ],
    );
    let img = Image::from_bytes(&file(obj, EXPLICIT_LE)).unwrap();
    assert_eq!(img.info().photometric, Photometric::PaletteColor);
    let px = img
        .render_rgba(0, Window::from_file_default())
        .unwrap()
        .pixels;
    // Index 9 is past the table: it takes the last entry.
    assert_eq!(px, [255, 0, 0, 255, 0, 128, 255, 255, 0, 128, 255, 255]);
}

fn frames3() -> Vec<u8> {
    let obj = image(
        2,
        2,
        "MONOCHROME2",
        8,
        false,
        PrimitiveValue::U8((0..12).collect()),
        vec![text(tags::NUMBER_OF_FRAMES, VR::IS, "3")],
    );
    file(obj, EXPLICIT_LE)
}

#[test]
fn frames_are_counted_and_checked() {
    let img = Image::from_bytes(&frames3()).unwrap();
    assert_eq!(img.frames(), 3);
    assert_eq!(
        img.stored_frame(2).unwrap().samples,
        Samples::U8(vec![8, 9, 10, 11])
    );
    let e = img.render_rgba(3, Window::from_file_default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "frame 3 is out of range: the image has 3 frame(s), numbered from 0"
    );
}

#[test]
fn broken_files_say_what_is_wrong() {
    let e = Image::from_bytes(b"hello").unwrap_err();
    assert!(matches!(e, ImagingError::NotDicom(_)), "{e}");

    // Three frames announced, pixel data for two and a half.
    let mut bytes = frames3();
    let obj = image(
        2,
        2,
        "MONOCHROME2",
        8,
        false,
        PrimitiveValue::U8((0..10).collect()),
        vec![text(tags::NUMBER_OF_FRAMES, VR::IS, "3")],
    );
    bytes.clear();
    bytes.extend(file(obj, EXPLICIT_LE));
    let img = Image::from_bytes(&bytes).unwrap();
    assert!(img.stored_frame(1).is_ok());
    assert_eq!(
        img.stored_frame(2).unwrap_err().to_string(),
        "the pixel data is truncated: frame 2 needs 4 bytes, the file has 2"
    );

    let sr = InMemDicomObject::from_element_iter([
        text(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.88.11"),
        text(tags::MODALITY, VR::CS, "SR"),
    ]);
    let e = Image::from_bytes(&file(sr, EXPLICIT_LE)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the file has no pixel data (it is not an image: modality SR, SOP class 1.2.840.10008.5.1.4.1.1.88.11)"
    );

    let no_rows = {
        let mut o = image(
            1,
            1,
            "MONOCHROME2",
            8,
            false,
            PrimitiveValue::U8(vec![0].into()),
            vec![],
        );
        o.remove_element(tags::ROWS);
        o
    };
    let e = Image::from_bytes(&file(no_rows, EXPLICIT_LE)).unwrap_err();
    assert_eq!(e.to_string(), "the attribute Rows (0028,0010) is missing");

    let e = Image::from_bytes(&common::ct("1.2.840.10008.1.2.4.110")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the transfer syntax JPEG XL Lossless (1.2.840.10008.1.2.4.110) is not supported"
    );
}

/// Where the Pixel Data element's 32-bit length sits in `bytes`.
fn pixel_data_length_at(bytes: &[u8], big_endian: bool) -> usize {
    let tag: &[u8] = if big_endian {
        &[0x7F, 0xE0, 0x00, 0x10]
    } else {
        &[0xE0, 0x7F, 0x10, 0x00]
    };
    let at = bytes
        .windows(4)
        .rposition(|w| w == tag)
        .expect("a Pixel Data element");
    // Explicit VR: tag, "OW", two reserved bytes; implicit VR: tag.
    if bytes[at + 4..at + 6] == *b"OW" || bytes[at + 4..at + 6] == *b"OB" {
        at + 8
    } else {
        at + 4
    }
}

#[test]
fn a_damaged_length_is_refused_before_anything_is_allocated_for_it() {
    for (ts, big) in [
        (EXPLICIT_LE, false),
        (IMPLICIT_LE, false),
        (EXPLICIT_BE, true),
    ] {
        let mut bytes = common::ct(ts);
        let at = pixel_data_length_at(&bytes, big);
        let damaged = 0xFFFF_0000u32;
        let len = if big {
            damaged.to_be_bytes()
        } else {
            damaged.to_le_bytes()
        };
        bytes[at..at + 4].copy_from_slice(&len);
        let left = bytes.len() - (at + 4);
        let e = Image::from_bytes(&bytes).unwrap_err();
        assert!(matches!(e, ImagingError::Malformed(_)), "{ts}: {e}");
        assert!(
            e.to_string().contains(&format!(
                "the element (7FE0,0010) declares 4294901760 bytes but only {left} are left in the file"
            )),
            "{ts}: {e}"
        );
    }
}

/// A CT file with `depth` sequences nested one in the next after its
/// pixel data, each of undefined length and closed by delimiters.
fn nested(depth: usize) -> Vec<u8> {
    let mut bytes = common::ct(EXPLICIT_LE);
    for _ in 0..depth {
        // (FFFA,FFFA) Digital Signatures Sequence, SQ, undefined length,
        // then an item of undefined length.
        bytes.extend([
            0xFA, 0xFF, 0xFA, 0xFF, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        bytes.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
    }
    for _ in 0..depth {
        bytes.extend([0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        bytes.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    }
    bytes
}

#[test]
fn sequences_nested_beyond_reason_are_refused_rather_than_recursed_into() {
    // dicom-rs reads nested sequences by recursion: 200,000 levels (4 MB)
    // would exhaust the thread's stack and take the whole app down.
    let e = Image::from_bytes(&nested(200_000)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the DICOM data set could not be read: its sequences nest more than 32 deep (at (FFFA,FFFA))"
    );
    // Real files nest a few levels; 32 still open.
    let img = Image::from_bytes(&nested(32)).unwrap();
    assert_eq!(img.info().rows, 4);
}

#[test]
fn tags_list_every_element_with_keywords_and_short_values() {
    let img = Image::from_bytes(&common::ct(EXPLICIT_LE)).unwrap();
    let tags = img.tags().unwrap();
    let find = |k: &str| {
        tags.iter()
            .find(|t| t.keyword == k)
            .unwrap_or_else(|| panic!("{k}"))
    };
    assert_eq!(find("TransferSyntaxUID").value, EXPLICIT_LE);
    assert_eq!(find("PatientID").tag, "(0010,0020)");
    assert_eq!(find("PatientID").vr, "LO");
    assert_eq!(find("PixelData").value, "32 bytes");
    assert_eq!(find("WindowWidth").value, "400");
}
