//! Every length a DICOM file declares, checked against the bytes it has
//! before dicom-rs reads it. dicom-rs allocates and zero-fills an element's
//! declared length before it finds the file too short, so one damaged
//! length (0xFFFF0000, say) would cost gigabytes and seconds before the
//! error. The walk also bounds how deeply sequences nest, since dicom-rs
//! reads nested sequences by recursion.
//!
//! Only those two faults are reported here. Anything else odd (a truncated
//! header, a missing delimiter) ends the walk quietly and is left to
//! dicom-rs, whose messages say more.

use crate::error::ImagingError;
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::{tags, StandardDataDictionary};
use dicom_encoding::transfer_syntax::{Codec, Endianness, TransferSyntaxIndex};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

/// Sequences in sequences: far deeper than any real file, far shallower
/// than what would exhaust a thread's stack in dicom-rs's recursion.
pub(crate) const MAX_DEPTH: usize = 32;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const ITEM: Tag = Tag(0xFFFE, 0xE000);
const ITEM_END: Tag = Tag(0xFFFE, 0xE00D);
const SEQUENCE_END: Tag = Tag(0xFFFE, 0xE0DD);

#[derive(Clone, Copy)]
struct Encoding {
    explicit: bool,
    big: bool,
}

const EXPLICIT_LE: Encoding = Encoding {
    explicit: true,
    big: false,
};
const IMPLICIT_LE: Encoding = Encoding {
    explicit: false,
    big: false,
};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Data elements: the top level or an item's content.
    Elements,
    /// Items of a sequence.
    Items,
    /// Fragments of encapsulated pixel data.
    Fragments,
}

struct Open {
    kind: Kind,
    /// Where a defined-length container ends; None for delimited ones.
    end: Option<usize>,
    enc: Encoding,
}

/// Checks a Part 10 file (with its 128-byte preamble or starting at
/// "DICM") before dicom-rs reads it.
pub fn check_lengths(bytes: &[u8]) -> Result<(), ImagingError> {
    let Some(magic) = crate::image::dicm_at(bytes) else {
        return Ok(());
    };
    let start = magic + 4;
    // The file meta group is always explicit VR little endian.
    let Some((meta_end, uid)) = walk_meta(bytes, start)? else {
        return Ok(());
    };
    let Some(ts) = TransferSyntaxRegistry.get(uid.trim_matches([' ', '\0'])) else {
        return Ok(());
    };
    if matches!(ts.codec(), Codec::Dataset(_)) {
        // Deflated: the data set is compressed; dicom-rs inflates it first.
        return Ok(());
    }
    let enc = Encoding {
        explicit: ts.uid() != "1.2.840.10008.1.2",
        big: ts.endianness() == Endianness::Big,
    };
    walk(bytes, meta_end, enc)
}

/// Checks the file meta elements; returns where they end and the transfer
/// syntax UID, or None when the group cannot be read (dicom-rs says why).
fn walk_meta(bytes: &[u8], mut pos: usize) -> Result<Option<(usize, String)>, ImagingError> {
    let mut uid = None;
    while let Some(h) = header(bytes, pos, EXPLICIT_LE, Kind::Elements) {
        if h.tag.group() != 0x0002 {
            break;
        }
        if h.len == UNDEFINED {
            return Ok(None);
        }
        let value = fits(bytes, h.tag, h.value_at, h.len)?;
        if h.tag == tags::TRANSFER_SYNTAX_UID {
            uid = Some(String::from_utf8_lossy(value).into_owned());
        }
        pos = h.value_at + value.len();
    }
    Ok(uid.map(|u| (pos, u)))
}

fn walk(bytes: &[u8], mut pos: usize, enc: Encoding) -> Result<(), ImagingError> {
    let mut open = vec![Open {
        kind: Kind::Elements,
        end: Some(bytes.len()),
        enc,
    }];
    while let Some(top) = open.last() {
        if top.end.is_some_and(|end| pos >= end) {
            open.pop();
            continue;
        }
        let (kind, enc) = (top.kind, top.enc);
        let Some(h) = header(bytes, pos, enc, kind) else {
            return Ok(());
        };
        pos = h.value_at;
        let opens = match (kind, h.tag) {
            (Kind::Elements, ITEM_END) | (Kind::Items | Kind::Fragments, SEQUENCE_END) => {
                open.pop();
                continue;
            }
            (Kind::Items, ITEM) => Some((Kind::Elements, enc)),
            (Kind::Fragments, ITEM) => None,
            (Kind::Items | Kind::Fragments, _) => return Ok(()),
            (Kind::Elements, tag) => contents(tag, h.vr, h.len, enc),
        };
        match (opens, h.len) {
            (Some((kind, enc)), len) => {
                let end = if len == UNDEFINED {
                    None
                } else {
                    Some(pos + fits(bytes, h.tag, pos, len)?.len())
                };
                let depth = open.iter().filter(|o| o.kind == Kind::Items).count();
                if kind == Kind::Items && depth >= MAX_DEPTH {
                    return Err(ImagingError::Malformed(format!(
                        "its sequences nest more than {MAX_DEPTH} deep (at {})",
                        show(h.tag)
                    )));
                }
                open.push(Open { kind, end, enc });
            }
            // An undefined length on anything else is not readable; dicom-rs says so.
            (None, UNDEFINED) => return Ok(()),
            (None, len) => pos += fits(bytes, h.tag, pos, len)?.len(),
        }
    }
    Ok(())
}

/// What an element holds when it holds more than a value: items (a
/// sequence) or fragments (encapsulated pixel data), in which encoding.
fn contents(tag: Tag, vr: Option<VR>, len: u32, enc: Encoding) -> Option<(Kind, Encoding)> {
    match vr {
        Some(VR::SQ) => Some((Kind::Items, enc)),
        // UN of undefined length is a sequence in implicit VR (PS3.5 6.2.2).
        Some(VR::UN) if len == UNDEFINED => Some((Kind::Items, IMPLICIT_LE)),
        Some(VR::OB | VR::OW) if len == UNDEFINED && tag == tags::PIXEL_DATA => {
            Some((Kind::Fragments, enc))
        }
        Some(_) => None,
        // Implicit VR: the dictionary says which tags are sequences, and an
        // undefined length can only be one.
        None if len == UNDEFINED => Some((Kind::Items, enc)),
        None => StandardDataDictionary
            .by_tag(tag)
            .filter(|e| e.vr().relaxed() == VR::SQ)
            .map(|_| (Kind::Items, enc)),
    }
}

struct Header {
    tag: Tag,
    /// None in implicit VR and for items and delimiters.
    vr: Option<VR>,
    len: u32,
    value_at: usize,
}

fn header(bytes: &[u8], pos: usize, enc: Encoding, kind: Kind) -> Option<Header> {
    let u16_at = |at: usize| {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if enc.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if enc.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let tag = Tag(u16_at(pos)?, u16_at(pos + 2)?);
    // Items and delimiters carry no VR, whatever the encoding.
    if kind != Kind::Elements || tag.group() == 0xFFFE || !enc.explicit {
        return Some(Header {
            tag,
            vr: None,
            len: u32_at(pos + 4)?,
            value_at: pos + 8,
        });
    }
    let vr_bytes: [u8; 2] = bytes.get(pos + 4..pos + 6)?.try_into().ok()?;
    // As dicom-rs reads them: bytes that are no VR are UN.
    let vr = VR::from_binary(vr_bytes).unwrap_or(VR::UN);
    // PS3.5 7.1.2: these VRs have two reserved bytes and a 32-bit length.
    let long = matches!(
        vr,
        VR::OB
            | VR::OD
            | VR::OF
            | VR::OL
            | VR::OV
            | VR::OW
            | VR::SQ
            | VR::SV
            | VR::UC
            | VR::UN
            | VR::UR
            | VR::UT
            | VR::UV
    );
    let (len, value_at) = if long {
        (u32_at(pos + 8)?, pos + 12)
    } else {
        (u32::from(u16_at(pos + 6)?), pos + 8)
    };
    Some(Header {
        tag,
        vr: Some(vr),
        len,
        value_at,
    })
}

/// The `len` bytes at `at`, or the error that says they are not there.
fn fits(bytes: &[u8], tag: Tag, at: usize, len: u32) -> Result<&[u8], ImagingError> {
    let left = bytes.len().saturating_sub(at);
    usize::try_from(len)
        .ok()
        .and_then(|n| bytes.get(at..at.checked_add(n)?))
        .ok_or_else(|| {
            ImagingError::Malformed(format!(
                "the element {} declares {len} bytes but only {left} are left in the file",
                show(tag)
            ))
        })
}

fn show(tag: Tag) -> String {
    format!("({:04X},{:04X})", tag.group(), tag.element())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Part 10 file in explicit VR little endian holding `data_set`.
    fn file(data_set: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 128];
        f.extend_from_slice(b"DICM");
        // (0002,0010) UI "1.2.840.10008.1.2.1", padded to 20 bytes.
        f.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I', 20, 0]);
        f.extend_from_slice(b"1.2.840.10008.1.2.1\0");
        f.extend_from_slice(data_set);
        f
    }

    fn refused(f: &[u8]) -> String {
        check_lengths(f).unwrap_err().to_string()
    }

    #[test]
    fn lengths_that_fit_pass() {
        // (0008,0008) CS, 4 bytes.
        let ok = file(&[
            0x08, 0x00, 0x08, 0x00, b'C', b'S', 4, 0, b'A', b'B', b'C', b'D',
        ]);
        check_lengths(&ok).unwrap();
    }

    #[test]
    fn impossible_lengths_are_refused() {
        // (0008,1115) SQ claiming 0xE0000000 bytes.
        let sq = file(&[0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0, 0, 0, 0xE0]);
        assert!(refused(&sq).contains("(0008,1115) declares 3758096384 bytes"));
        // Bytes that are no VR: dicom-rs reads a 32-bit length, and so does the check.
        let no_vr = file(&[0x08, 0x00, 0x16, 0x00, b'z', b'z', 0, 0, 0, 0, 0, 0xE0]);
        assert!(refused(&no_vr).contains("(0008,0016) declares 3758096384 bytes"));
        // Encapsulated pixel data with a fragment longer than the file.
        let mut px = vec![
            0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        px.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
        px.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 1, 0, 0]);
        assert!(refused(&file(&px)).contains("(FFFE,E000) declares 256 bytes but only 0 are left"));
        // A meta element claiming more than the file.
        let mut meta = vec![0u8; 128];
        meta.extend_from_slice(b"DICM");
        meta.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I', 0xFF, 0x7F]);
        assert!(refused(&meta).contains("(0002,0010) declares 32767 bytes"));
    }

    #[test]
    fn elements_inside_items_are_checked_too() {
        // (0008,1115) SQ of undefined length, one item of undefined length
        // holding (0008,1150) UI claiming 0x7FFF bytes.
        let mut nested = vec![
            0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        nested.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        nested.extend_from_slice(&[0x08, 0x00, 0x50, 0x11, b'U', b'I', 0xFF, 0x7F]);
        assert!(refused(&file(&nested)).contains("(0008,1150) declares 32767 bytes"));
    }

    #[test]
    fn what_it_cannot_follow_is_left_to_dicom_rs() {
        // No marker, a cut-off header, an unknown transfer syntax.
        check_lengths(b"hello").unwrap();
        check_lengths(&file(&[0x08, 0x00, 0x08])).unwrap();
        let mut f = file(&[]);
        f[132 + 8..132 + 28].copy_from_slice(b"1.2.3.4.5.6.7.8.9\0\0\0");
        f.extend_from_slice(&[0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0, 0, 0, 0xE0]);
        check_lengths(&f).unwrap();
    }
}
