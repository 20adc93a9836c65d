//! RLE Lossless (PS3.5 Annex G), decoded here rather than by dicom-rs,
//! whose decoder stops at 16 bits allocated: RT dose and 32-bit colour
//! images use it too.

use crate::error::{ImagingError, Result};
use crate::pixels::Layout;

const SYNTAX: &str = "RLE Lossless";

fn fail(frame: u32, message: String) -> ImagingError {
    ImagingError::Decode {
        frame,
        syntax: SYNTAX.into(),
        message,
    }
}

/// One frame's fragment to interleaved little-endian samples.
pub(crate) fn decode(layout: &Layout, fragment: &[u8], frame: u32) -> Result<Vec<u8>> {
    let bytes = usize::from(layout.bits_allocated).div_ceil(8);
    let samples = usize::from(layout.samples);
    let expected = bytes * samples;
    let header: Vec<u32> = fragment
        .get(..64)
        .ok_or_else(|| {
            fail(
                frame,
                format!(
                    "the fragment has {} bytes, less than the 64-byte header",
                    fragment.len()
                ),
            )
        })?
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let count = header[0] as usize;
    if count != expected || layout.bits_allocated == 1 {
        return Err(fail(
            frame,
            format!(
                "{count} segments where {samples} samples of {} bits need {expected}",
                layout.bits_allocated
            ),
        ));
    }
    let pixels = layout.pixels();
    let mut out = vec![0u8; pixels * expected];
    for seg in 0..count {
        let start = header[1 + seg] as usize;
        let end = if seg + 1 < count {
            header[2 + seg] as usize
        } else {
            fragment.len()
        };
        let data = fragment.get(start..end).ok_or_else(|| {
            fail(
                frame,
                format!(
                    "segment {} at bytes {start}..{end} is outside the fragment",
                    seg + 1
                ),
            )
        })?;
        // Segments go sample by sample, most significant byte first.
        let (sample, byte) = (seg / bytes, bytes - 1 - seg % bytes);
        let offset = sample * bytes + byte;
        let mut filled = 0;
        let mut put = |b: u8, filled: &mut usize| {
            if *filled < pixels {
                out[*filled * expected + offset] = b;
                *filled += 1;
            }
        };
        let mut i = 0;
        while i < data.len() && filled < pixels {
            let n = data[i] as i8;
            i += 1;
            if n >= 0 {
                let run = data.get(i..i + n as usize + 1).unwrap_or(&data[i..]);
                for &b in run {
                    put(b, &mut filled);
                }
                i += n as usize + 1;
            } else if n != -128 {
                let Some(&b) = data.get(i) else { break };
                for _ in 0..(1 - i32::from(n)) {
                    put(b, &mut filled);
                }
                i += 1;
            }
        }
        if filled < pixels {
            return Err(fail(
                frame,
                format!("segment {} gives {filled} of {pixels} bytes", seg + 1),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::Photometric;

    #[test]
    fn literal_and_repeat_runs_fill_each_byte_plane() {
        let layout = Layout {
            rows: 1,
            cols: 4,
            samples: 1,
            bits_allocated: 16,
            bits_stored: 16,
            signed: false,
            planar: false,
            photometric: Photometric::Monochrome2,
            frames: 1,
        };
        let mut f = vec![0u8; 64];
        f[0] = 2;
        f[4] = 64;
        f[8] = 66;
        // High bytes: 0x01 repeated 4 times; low bytes: literal 1, 2, 3, 4.
        f.extend([0xFD, 0x01, 0x03, 1, 2, 3, 4]);
        let out = decode(&layout, &f, 0).unwrap();
        assert_eq!(out, [1, 1, 2, 1, 3, 1, 4, 1]);
        f.truncate(69);
        assert!(decode(&layout, &f, 0)
            .unwrap_err()
            .to_string()
            .contains("segment 2 gives 2 of 4 bytes"));
    }
}
