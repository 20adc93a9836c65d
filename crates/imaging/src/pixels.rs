//! Stored sample values: native pixel data read straight from the data set,
//! encapsulated frames through dicom-pixeldata's codecs, both corrected for
//! unused high bits and with colour samples interleaved as RGB.

use crate::error::{ImagingError, Result};
use serde::Serialize;
use std::borrow::Cow;

/// The colour model of the pixel data, from Photometric Interpretation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Photometric {
    Monochrome1,
    Monochrome2,
    Rgb,
    YbrFull,
    YbrFull422,
    YbrPartial420,
    YbrRct,
    YbrIct,
    #[serde(rename = "PALETTE COLOR")]
    PaletteColor,
}

impl Photometric {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim_matches([' ', '\0']) {
            "MONOCHROME1" => Self::Monochrome1,
            "MONOCHROME2" => Self::Monochrome2,
            "RGB" => Self::Rgb,
            "YBR_FULL" => Self::YbrFull,
            "YBR_FULL_422" => Self::YbrFull422,
            "YBR_PARTIAL_420" => Self::YbrPartial420,
            "YBR_RCT" => Self::YbrRct,
            "YBR_ICT" => Self::YbrIct,
            "PALETTE COLOR" => Self::PaletteColor,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Monochrome1 => "MONOCHROME1",
            Self::Monochrome2 => "MONOCHROME2",
            Self::Rgb => "RGB",
            Self::YbrFull => "YBR_FULL",
            Self::YbrFull422 => "YBR_FULL_422",
            Self::YbrPartial420 => "YBR_PARTIAL_420",
            Self::YbrRct => "YBR_RCT",
            Self::YbrIct => "YBR_ICT",
            Self::PaletteColor => "PALETTE COLOR",
        }
    }

    pub fn is_monochrome(self) -> bool {
        matches!(self, Self::Monochrome1 | Self::Monochrome2)
    }

    /// Samples per pixel this interpretation requires.
    pub fn samples(self) -> u16 {
        match self {
            Self::Monochrome1 | Self::Monochrome2 | Self::PaletteColor => 1,
            _ => 3,
        }
    }
}

/// The pixel module of an image, checked once when the file is opened.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub rows: u32,
    pub cols: u32,
    pub samples: u16,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub signed: bool,
    pub planar: bool,
    pub photometric: Photometric,
    pub frames: u32,
}

/// Decoded frames larger than this are refused rather than allocated: a
/// damaged Rows or Columns must not take the machine's memory.
pub(crate) const MAX_FRAME_BYTES: usize = 1 << 28;

impl Layout {
    pub fn pixels(&self) -> usize {
        self.rows as usize * self.cols as usize
    }

    /// Bytes of one decoded frame (1-bit samples expanded to a byte each
    /// are not counted here: see `native_frame_bits`).
    pub fn frame_bytes(&self) -> usize {
        self.pixels() * self.samples as usize * (self.bits_allocated as usize).div_ceil(8)
    }

    /// Bits one frame takes in native (uncompressed) pixel data.
    fn native_frame_bits(&self) -> usize {
        let per_pixel = if self.photometric == Photometric::YbrFull422 {
            // Two luminance samples share one blue and one red difference.
            2
        } else {
            self.samples as usize
        };
        self.pixels() * per_pixel * self.bits_allocated as usize
    }
}

/// Sample values of one frame, in the integer type pydicom would use for
/// the same Bits Allocated and Pixel Representation.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    U8(Vec<u8>),
    I8(Vec<i8>),
    U16(Vec<u16>),
    I16(Vec<i16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
}

impl Samples {
    pub fn len(&self) -> usize {
        match self {
            Samples::U8(v) => v.len(),
            Samples::I8(v) => v.len(),
            Samples::U16(v) => v.len(),
            Samples::I16(v) => v.len(),
            Samples::U32(v) => v.len(),
            Samples::I32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `i` widened; `None` past the end.
    pub fn get(&self, i: usize) -> Option<i64> {
        Some(match self {
            Samples::U8(v) => i64::from(*v.get(i)?),
            Samples::I8(v) => i64::from(*v.get(i)?),
            Samples::U16(v) => i64::from(*v.get(i)?),
            Samples::I16(v) => i64::from(*v.get(i)?),
            Samples::U32(v) => i64::from(*v.get(i)?),
            Samples::I32(v) => i64::from(*v.get(i)?),
        })
    }

    /// All samples widened to i64 (for comparisons and tests, not rendering).
    pub fn to_i64(&self) -> Vec<i64> {
        (0..self.len()).filter_map(|i| self.get(i)).collect()
    }

    /// The smallest and largest sample; `None` when empty.
    pub fn range(&self) -> Option<(i64, i64)> {
        fn mm<T: Copy + Ord + Into<i64>>(v: &[T]) -> Option<(i64, i64)> {
            let first = *v.first()?;
            let (lo, hi) = v.iter().fold((first, first), |(lo, hi), &x| {
                (if x < lo { x } else { lo }, if x > hi { x } else { hi })
            });
            Some((lo.into(), hi.into()))
        }
        match self {
            Samples::U8(v) => mm(v),
            Samples::I8(v) => mm(v),
            Samples::U16(v) => mm(v),
            Samples::I16(v) => mm(v),
            Samples::U32(v) => mm(v),
            Samples::I32(v) => mm(v),
        }
    }
}

/// One decoded frame of stored values: no rescale, no windowing. Colour
/// frames are interleaved RGB whatever the file's planar configuration;
/// `photometric` says what the samples are after decoding.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFrame {
    pub rows: u32,
    pub columns: u32,
    pub samples_per_pixel: u16,
    pub photometric: Photometric,
    pub samples: Samples,
}

/// How the decoder delivered the bytes: native pixel data keeps the file's
/// byte order, codecs give little-endian samples.
pub(crate) struct RawFrame<'a> {
    pub bytes: Cow<'a, [u8]>,
    /// Bit offset of the frame's first sample (1-bit data is packed across
    /// frame boundaries).
    pub bit_offset: usize,
    pub big_endian: bool,
    /// Photometric interpretation of `bytes` (codecs turn YCbCr into RGB).
    pub photometric: Photometric,
    /// Native data may be colour-by-plane; codecs always interleave.
    pub planar: bool,
}

/// Checks `raw` holds frame `frame` and slices it out of native data.
pub(crate) fn native_frame<'a>(
    layout: &Layout,
    data: Cow<'a, [u8]>,
    frame: u32,
    big_endian: bool,
) -> Result<RawFrame<'a>> {
    let bits = layout.native_frame_bits();
    let start_bit = bits * frame as usize;
    let end_byte = (start_bit + bits).div_ceil(8);
    if data.len() < end_byte {
        let start = start_bit / 8;
        return Err(ImagingError::Truncated {
            frame,
            expected: end_byte - start,
            actual: data.len().saturating_sub(start),
        });
    }
    let start = start_bit / 8;
    let bytes = match data {
        Cow::Borrowed(b) => Cow::Borrowed(&b[start..end_byte]),
        Cow::Owned(b) => Cow::Owned(b[start..end_byte].to_vec()),
    };
    Ok(RawFrame {
        bytes,
        bit_offset: start_bit % 8,
        big_endian,
        photometric: layout.photometric,
        planar: layout.planar,
    })
}

/// Turns a frame's bytes into corrected, interleaved samples.
pub(crate) fn to_stored(layout: &Layout, raw: RawFrame<'_>, frame: u32) -> Result<StoredFrame> {
    let n = layout.pixels();
    let stored = layout.bits_stored;
    let mut photometric = raw.photometric;
    let samples = if photometric == Photometric::YbrFull422 {
        // Only native data reaches here in 4:2:2 form; codecs give RGB.
        photometric = Photometric::Rgb;
        Samples::U8(ybr422_to_rgb(layout, &raw.bytes)?)
    } else {
        let count = n * layout.samples as usize;
        let need = count * (layout.bits_allocated as usize).div_ceil(8);
        if layout.bits_allocated != 1 && raw.bytes.len() < need {
            return Err(ImagingError::Truncated {
                frame,
                expected: need,
                actual: raw.bytes.len(),
            });
        }
        let b = &raw.bytes[..];
        let be = raw.big_endian;
        let mut s = match (layout.bits_allocated, layout.signed) {
            (1, _) => Samples::U8(
                (0..count)
                    .map(|i| {
                        let bit = raw.bit_offset + i;
                        // Bit-packed samples fill each byte from its least
                        // significant bit.
                        b.get(bit / 8).map_or(0, |byte| (byte >> (bit % 8)) & 1)
                    })
                    .collect(),
            ),
            (8, false) => Samples::U8(b[..count].to_vec()),
            (8, true) => Samples::I8(b[..count].iter().map(|&x| x as i8).collect()),
            (16, false) => Samples::U16(words16(b, count, be)),
            (16, true) => Samples::I16(
                words16(b, count, be)
                    .into_iter()
                    .map(|x| x as i16)
                    .collect(),
            ),
            (32, false) => Samples::U32(words32(b, count, be)),
            (32, true) => Samples::I32(
                words32(b, count, be)
                    .into_iter()
                    .map(|x| x as i32)
                    .collect(),
            ),
            (other, _) => {
                return Err(ImagingError::Unsupported(format!(
                    "{other} bits allocated per sample"
                )))
            }
        };
        correct_unused_bits(&mut s, layout.bits_allocated, stored);
        if layout.samples == 3 && raw.planar {
            s = interleave(s, n);
        }
        if photometric == Photometric::YbrFull {
            s = ybr_full_to_rgb(s, stored);
            photometric = Photometric::Rgb;
        }
        s
    };
    Ok(StoredFrame {
        rows: layout.rows,
        columns: layout.cols,
        samples_per_pixel: layout.samples,
        photometric,
        samples,
    })
}

fn words16(b: &[u8], count: usize, be: bool) -> Vec<u16> {
    let it = b.chunks_exact(2).take(count);
    if be {
        it.map(|c| u16::from_be_bytes([c[0], c[1]])).collect()
    } else {
        it.map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
    }
}

fn words32(b: &[u8], count: usize, be: bool) -> Vec<u32> {
    let it = b.chunks_exact(4).take(count);
    if be {
        it.map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    } else {
        it.map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }
}

/// PS3.5 8.1.1: bits above Bits Stored are not part of the value; they are
/// cleared (unsigned) or filled with the sign bit (signed), as pydicom does.
fn correct_unused_bits(s: &mut Samples, allocated: u16, stored: u16) {
    if stored >= allocated || allocated == 1 {
        return;
    }
    let shift = u32::from(allocated - stored);
    match s {
        Samples::U8(v) => v.iter_mut().for_each(|x| *x = (*x << shift) >> shift),
        Samples::I8(v) => v.iter_mut().for_each(|x| *x = (*x << shift) >> shift),
        Samples::U16(v) => v.iter_mut().for_each(|x| *x = (*x << shift) >> shift),
        Samples::I16(v) => v.iter_mut().for_each(|x| *x = (*x << shift) >> shift),
        Samples::U32(v) => v.iter_mut().for_each(|x| *x = (*x << shift) >> shift),
        Samples::I32(v) => v.iter_mut().for_each(|x| *x = (*x << shift) >> shift),
    }
}

/// Colour-by-plane (RRR..GGG..BBB..) to colour-by-pixel (RGBRGB..).
fn interleave(s: Samples, n: usize) -> Samples {
    fn go<T: Copy>(v: Vec<T>, n: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(v.len());
        for i in 0..n {
            for plane in 0..3 {
                if let Some(x) = v.get(plane * n + i) {
                    out.push(*x);
                }
            }
        }
        out
    }
    match s {
        Samples::U8(v) => Samples::U8(go(v, n)),
        Samples::I8(v) => Samples::I8(go(v, n)),
        Samples::U16(v) => Samples::U16(go(v, n)),
        Samples::I16(v) => Samples::I16(go(v, n)),
        Samples::U32(v) => Samples::U32(go(v, n)),
        Samples::I32(v) => Samples::I32(go(v, n)),
    }
}

/// PS3.3 C.7.6.3.1.2 YBR_FULL to RGB, rounded and clamped to the sample
/// range; pydicom's conversion agrees to within one unit.
fn ybr_to_rgb(y: f64, cb: f64, cr: f64, half: f64, max: f64) -> [f64; 3] {
    let r = y + 1.402 * (cr - half);
    let g = y - 0.344136 * (cb - half) - 0.714136 * (cr - half);
    let b = y + 1.772 * (cb - half);
    [r, g, b].map(|v| v.round().clamp(0.0, max))
}

fn ybr_full_to_rgb(s: Samples, stored: u16) -> Samples {
    let max = ((1u64 << stored.min(32)) - 1) as f64;
    let half = ((1u64 << stored.min(32)) / 2) as f64;
    fn go<T: Copy + Into<f64>>(v: &[T], half: f64, max: f64, back: impl Fn(f64) -> T) -> Vec<T> {
        let mut out = Vec::with_capacity(v.len());
        for px in v.chunks_exact(3) {
            let rgb = ybr_to_rgb(px[0].into(), px[1].into(), px[2].into(), half, max);
            out.extend(rgb.map(&back));
        }
        out
    }
    match s {
        Samples::U8(v) => Samples::U8(go(&v, half, max, |x| x as u8)),
        Samples::U16(v) => Samples::U16(go(&v, half, max, |x| x as u16)),
        Samples::U32(v) => Samples::U32(go(&v, half, max, |x| x as u32)),
        // Signed colour samples are not valid DICOM; left as they are.
        other => other,
    }
}

/// Native YBR_FULL_422: each pair of pixels is Y1 Y2 Cb Cr (8 bits only).
fn ybr422_to_rgb(layout: &Layout, b: &[u8]) -> Result<Vec<u8>> {
    if layout.bits_allocated != 8 || !layout.cols.is_multiple_of(2) {
        return Err(ImagingError::Unsupported(format!(
            "native YBR_FULL_422 with {} bits allocated and {} columns (8 bits and an even width are supported)",
            layout.bits_allocated, layout.cols
        )));
    }
    let n = layout.pixels();
    let mut out = Vec::with_capacity(n * 3);
    for q in b.chunks_exact(4).take(n / 2) {
        for y in [q[0], q[1]] {
            let rgb = ybr_to_rgb(y.into(), q[2].into(), q[3].into(), 128.0, 255.0);
            out.extend(rgb.map(|v| v as u8));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(bits: u16, stored: u16, signed: bool) -> Layout {
        Layout {
            rows: 1,
            cols: 2,
            samples: 1,
            bits_allocated: bits,
            bits_stored: stored,
            signed,
            planar: false,
            photometric: Photometric::Monochrome2,
            frames: 1,
        }
    }

    fn raw(bytes: &[u8], big_endian: bool) -> RawFrame<'_> {
        RawFrame {
            bytes: Cow::Borrowed(bytes),
            bit_offset: 0,
            big_endian,
            photometric: Photometric::Monochrome2,
            planar: false,
        }
    }

    #[test]
    fn signed_samples_are_sign_extended_from_bits_stored() {
        // 12 bits stored: 0x0FFF is -1, and junk above bit 11 is dropped.
        let f = to_stored(
            &layout(16, 12, true),
            raw(&[0xFF, 0x0F, 0x00, 0xF8], false),
            0,
        )
        .unwrap();
        assert_eq!(f.samples, Samples::I16(vec![-1, -2048]));
        let f = to_stored(
            &layout(16, 12, false),
            raw(&[0xFF, 0xFF, 0x00, 0x08], false),
            0,
        )
        .unwrap();
        assert_eq!(f.samples, Samples::U16(vec![4095, 2048]));
    }

    #[test]
    fn big_endian_words_are_swapped() {
        let f = to_stored(
            &layout(16, 16, false),
            raw(&[0x01, 0x02, 0x00, 0x10], true),
            0,
        )
        .unwrap();
        assert_eq!(f.samples, Samples::U16(vec![0x0102, 0x0010]));
    }

    #[test]
    fn short_data_is_reported_as_truncated() {
        let e = to_stored(&layout(16, 16, false), raw(&[1, 2, 3], false), 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the pixel data is truncated: frame 4 needs 4 bytes, the file has 3"
        );
    }

    #[test]
    fn one_bit_frames_are_unpacked_across_byte_boundaries() {
        let mut l = layout(1, 1, false);
        l.cols = 3;
        // Frames of 3 bits: frame 1 is bits 3..6 of 0b0010_1000.
        let f = native_frame(&l, Cow::Owned(vec![0b0010_1000]), 1, false).unwrap();
        let s = to_stored(&l, f, 1).unwrap();
        assert_eq!(s.samples, Samples::U8(vec![1, 0, 1]));
        assert!(matches!(
            native_frame(&l, Cow::Owned(vec![0]), 3, false),
            Err(ImagingError::Truncated { frame: 3, .. })
        ));
    }

    #[test]
    fn ybr_full_grey_and_red() {
        assert_eq!(ybr_to_rgb(128.0, 128.0, 128.0, 128.0, 255.0), [128.0; 3]);
        // Y 76, Cb 85, Cr 255 is pure red in full-range BT.601.
        assert_eq!(
            ybr_to_rgb(76.0, 85.0, 255.0, 128.0, 255.0),
            [254.0, 0.0, 0.0]
        );
    }
}
