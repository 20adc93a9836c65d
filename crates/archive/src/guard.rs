//! A first look at a file before dicom-rs reads it: every element's
//! declared length must fit in the bytes that are left. dicom-rs allocates
//! and fills a buffer of the declared length before it finds the file too
//! short, so one damaged length (say 0xE0000000) would cost gigabytes and
//! minutes; here it costs a scan of the headers.

const UNDEFINED: u32 = 0xFFFF_FFFF;
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
const DEFLATED: &str = "1.2.840.10008.1.2.1.99";
const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);

/// Explicit VRs whose length field is 32 bits (PS3.5 7.1.2).
fn long_vr(vr: &[u8]) -> bool {
    matches!(
        vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"SV"
            | b"UV"
    )
}

struct Reader<'a> {
    bytes: &'a [u8],
    big: bool,
}

impl Reader<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.bytes.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
}

fn too_long(tag: (u16, u16), len: u32, left: usize) -> String {
    format!(
        "the DICOM data set could not be read: the element ({:04X},{:04X}) claims {len} bytes but only {left} remain; the file is damaged or cut off",
        tag.0, tag.1
    )
}

/// Checks the element lengths of a Part 10 file. Structures it cannot
/// follow are left for dicom-rs to judge; only impossible lengths are
/// refused.
pub fn check_lengths(file: &[u8]) -> Result<(), String> {
    let start = if file.get(128..132) == Some(b"DICM") {
        132
    } else if file.get(..4) == Some(b"DICM") {
        4
    } else {
        return Ok(());
    };
    // The file meta group: explicit VR little endian, always.
    let meta = Reader {
        bytes: &file[start..],
        big: false,
    };
    let mut pos = 0;
    let mut syntax = String::new();
    while meta.u16(pos) == Some(0x0002) {
        let elem = meta.u16(pos + 2).unwrap_or(0);
        let vr = meta.bytes.get(pos + 4..pos + 6).unwrap_or(b"");
        let (len, header) = if long_vr(vr) {
            (meta.u32(pos + 8).unwrap_or(0), 12)
        } else {
            (u32::from(meta.u16(pos + 6).unwrap_or(0)), 8)
        };
        if pos + header > meta.bytes.len() {
            // Cut off inside a header: dicom-rs says so in its own words.
            return Ok(());
        }
        let left = meta.bytes.len() - (pos + header);
        if len as usize > left {
            return Err(too_long((0x0002, elem), len, left));
        }
        if elem == 0x0010 {
            syntax =
                String::from_utf8_lossy(&meta.bytes[pos + header..pos + header + len as usize])
                    .trim_matches([' ', '\0'])
                    .to_string();
        }
        pos += header + len as usize;
    }
    if syntax == DEFLATED {
        // Compressed: dicom-rs inflates it first; nothing to scan here.
        return Ok(());
    }
    let data = Reader {
        bytes: file.get(start + pos..).unwrap_or_default(),
        big: syntax == EXPLICIT_BE,
    };
    scan(&data, syntax != IMPLICIT_LE)
}

/// Walks the data set's headers in order. Sequences and items are entered
/// (their contents are more elements); other values are stepped over once
/// their length is known to fit.
fn scan(r: &Reader, explicit: bool) -> Result<(), String> {
    let mut pos = 0;
    let mut fragments = false;
    while pos + 8 <= r.bytes.len() {
        let (Some(group), Some(elem)) = (r.u16(pos), r.u16(pos + 2)) else {
            return Ok(());
        };
        let tag = (group, elem);
        if group == 0xFFFE {
            let len = r.u32(pos + 4).unwrap_or(0);
            pos += 8;
            let left = r.bytes.len() - pos;
            match elem {
                0xE000 if len != UNDEFINED && len as usize > left => {
                    return Err(too_long(tag, len, left))
                }
                // A fragment of encapsulated pixel data: raw bytes.
                0xE000 if fragments => pos += len as usize,
                0xE0DD => fragments = false,
                _ => {}
            }
            continue;
        }
        let (vr, len, header): (&[u8], u32, usize) = if explicit {
            let vr = r.bytes.get(pos + 4..pos + 6).unwrap_or(b"");
            // Bytes that are no VR are read as UN by dicom-rs: a 32-bit length.
            if long_vr(vr) || !vr.iter().all(u8::is_ascii_uppercase) {
                (vr, r.u32(pos + 8).unwrap_or(0), 12)
            } else {
                (vr, u32::from(r.u16(pos + 6).unwrap_or(0)), 8)
            }
        } else {
            (b"", r.u32(pos + 4).unwrap_or(0), 8)
        };
        pos += header;
        let left = r.bytes.len().saturating_sub(pos);
        if len == UNDEFINED {
            // A sequence (or UN holding one), or encapsulated pixel data.
            fragments = tag == PIXEL_DATA;
            continue;
        }
        if len as usize > left {
            return Err(too_long(tag, len, left));
        }
        if vr != b"SQ" {
            pos += len as usize;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(data_set: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 128];
        f.extend_from_slice(b"DICM");
        // (0002,0010) UI "1.2.840.10008.1.2.1" (explicit VR little endian), padded.
        f.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I', 20, 0]);
        f.extend_from_slice(b"1.2.840.10008.1.2.1\0");
        f.extend_from_slice(data_set);
        f
    }

    #[test]
    fn impossible_lengths_are_refused_before_any_allocation() {
        // (0008,0008) CS, 4 bytes: fine.
        let ok = file(&[
            0x08, 0x00, 0x08, 0x00, b'C', b'S', 4, 0, b'A', b'B', b'C', b'D',
        ]);
        assert_eq!(check_lengths(&ok), Ok(()));
        // (0008,1115) SQ claiming 0xE0000000 bytes.
        let bad = file(&[0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0, 0, 0, 0xE0]);
        let err = check_lengths(&bad).unwrap_err();
        assert!(err.contains("(0008,1115) claims 3758096384 bytes"), "{err}");
        // Encapsulated pixel data with a fragment longer than the file.
        let mut px = vec![
            0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        px.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
        px.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 1, 0, 0]);
        let err = check_lengths(&file(&px)).unwrap_err();
        assert!(err.contains("(FFFE,E000) claims 256 bytes"), "{err}");
    }
}
