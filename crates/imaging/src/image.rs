//! A DICOM image opened from a file or bytes: identifiers, frames decoded
//! to stored and modality values, and rendering to RGBA.

use crate::error::{ImagingError, Result};
use crate::pixels::{self, Layout, Photometric, RawFrame, Samples, StoredFrame, MAX_FRAME_BYTES};
use crate::window::{Linear, RgbaFrame, Voi, VoiFunction, VoiLut, Window};
use dicom_core::value::{PrimitiveValue, Value};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_encoding::transfer_syntax::{Endianness, TransferSyntaxIndex};
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use dicom_pixeldata::PixelDecoder;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use serde::Serialize;
use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

/// The transfer syntax of a file, as the registry knows it.
#[derive(Debug, Clone)]
struct Syntax {
    uid: String,
    name: String,
    encapsulated: bool,
    big_endian: bool,
}

/// A window stored in the file: Window Center/Width and its explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileWindow {
    pub center: f64,
    pub width: f64,
    pub explanation: Option<String>,
}

/// What the viewer and `dicom info` show about an image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageInfo {
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub study_instance_uid: Option<String>,
    pub study_date: Option<String>,
    pub study_description: Option<String>,
    pub series_instance_uid: Option<String>,
    pub series_number: Option<String>,
    pub series_description: Option<String>,
    pub sop_instance_uid: Option<String>,
    pub sop_class_uid: Option<String>,
    pub instance_number: Option<String>,
    pub modality: Option<String>,
    pub rows: u32,
    pub columns: u32,
    pub frames: u32,
    pub samples_per_pixel: u16,
    pub transfer_syntax_uid: String,
    pub transfer_syntax: String,
    pub photometric: Photometric,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub signed: bool,
    /// Row spacing, column spacing in mm (Pixel Spacing, else Imager Pixel Spacing).
    pub pixel_spacing: Option<[f64; 2]>,
    pub rescale_slope: f64,
    pub rescale_intercept: f64,
    pub windows: Vec<FileWindow>,
    pub voi_lut_function: VoiFunction,
    /// Entries in the VOI LUT Sequence.
    pub voi_luts: usize,
    pub slice_location: Option<f64>,
}

/// One row of the tag browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagEntry {
    /// `(gggg,eeee)`.
    pub tag: String,
    pub vr: String,
    /// The standard keyword; empty for private and unknown tags.
    pub keyword: String,
    /// The value as text, cut at [`MAX_VALUE_CHARS`] characters; binary
    /// values are shown by length.
    pub value: String,
    /// 0 for the top level, +1 inside each sequence item.
    pub depth: u32,
}

/// Value text in [`TagEntry`] is cut after this many characters.
pub const MAX_VALUE_CHARS: usize = 80;

/// Modality values (stored values × Rescale Slope + Rescale Intercept) of
/// one monochrome frame, in the units of Rescale Type (HU for CT).
#[derive(Debug, Clone, PartialEq)]
pub struct ModalityFrame {
    pub rows: u32,
    pub columns: u32,
    pub values: Vec<f64>,
}

/// An opened DICOM image.
pub struct Image {
    obj: DefaultDicomObject,
    syntax: Syntax,
    layout: Layout,
    info: ImageInfo,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// Runs `f`, turning a panic inside the DICOM libraries into an error.
/// Only calls dominated by dicom-rs are guarded: a panic in this crate's
/// own pixel and window code must stay visible to the fuzz target.
fn guarded<T>(what: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(ImagingError::Internal(what)))
}

/// An error and its causes, as one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

/// Where a Part 10 file's "DICM" marker is: after the 128-byte preamble, or
/// at the start of a file without one. Tried in that order, as dicom-rs
/// does; None when neither holds it.
pub fn dicm_at(bytes: &[u8]) -> Option<usize> {
    [128, 0]
        .into_iter()
        .find(|&at| bytes.get(at..at + 4) == Some(b"DICM"))
}

impl Image {
    /// Opens a DICOM Part 10 file.
    pub fn open(path: impl AsRef<Path>) -> Result<Image> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ImagingError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Image::from_bytes(&bytes)
    }

    /// Reads a DICOM Part 10 file from memory (with or without the 128-byte
    /// preamble).
    pub fn from_bytes(bytes: &[u8]) -> Result<Image> {
        if dicm_at(bytes).is_none() {
            return Err(ImagingError::NotDicom(
                "no \"DICM\" marker after a 128-byte preamble: not a Part 10 file with file meta information"
                    .into(),
            ));
        }
        crate::lengths::check_lengths(bytes)?;
        let obj = guarded("reading the data set", || {
            OpenFileOptions::new()
                .read_preamble(ReadPreamble::Auto)
                .from_reader(bytes)
                .map_err(|e| {
                    unreadable_syntax(bytes).unwrap_or_else(|| ImagingError::Malformed(chain(&e)))
                })
        })?;
        guarded("reading the image attributes", || Image::new(obj))
    }

    fn new(obj: DefaultDicomObject) -> Result<Image> {
        let uid = obj
            .meta()
            .transfer_syntax()
            .trim_matches([' ', '\0'])
            .to_string();
        let ts = TransferSyntaxRegistry
            .get(&uid)
            .ok_or_else(|| ImagingError::UnknownTransferSyntax(uid.clone()))?;
        let syntax = Syntax {
            name: ts.name().to_string(),
            encapsulated: ts.is_encapsulated_pixel_data(),
            big_endian: ts.endianness() == Endianness::Big,
            uid,
        };
        if obj.get(tags::PIXEL_DATA).is_none() {
            let what = [
                text(&obj, tags::MODALITY).map(|m| format!("modality {m}")),
                text(&obj, tags::SOP_CLASS_UID).map(|c| format!("SOP class {c}")),
            ];
            let what: Vec<String> = what.into_iter().flatten().collect();
            let what = if what.is_empty() {
                "no Pixel Data (7FE0,0010)".to_string()
            } else {
                what.join(", ")
            };
            return Err(ImagingError::NoPixelData(what));
        }
        if !ts.can_decode_all() {
            return Err(ImagingError::UnsupportedTransferSyntax {
                uid: syntax.uid,
                name: syntax.name,
            });
        }
        let layout = layout(&obj)?;
        let info = info(&obj, &syntax, &layout)?;
        Ok(Image {
            obj,
            syntax,
            layout,
            info,
        })
    }

    /// Every element of the file, for the tag browser.
    pub fn tags(&self) -> Result<Vec<TagEntry>> {
        guarded("listing the tags", || Ok(crate::tags::list(&self.obj)))
    }

    pub fn info(&self) -> &ImageInfo {
        &self.info
    }

    /// Number of frames (1 for single-frame images).
    pub fn frames(&self) -> u32 {
        self.layout.frames
    }

    fn check_frame(&self, frame: u32) -> Result<()> {
        if frame >= self.layout.frames {
            return Err(ImagingError::FrameOutOfRange {
                frame,
                frames: self.layout.frames,
            });
        }
        Ok(())
    }

    /// Frame `frame` (from 0) as stored values: decompressed, unused high
    /// bits corrected, colour as interleaved RGB; no rescale or window.
    pub fn stored_frame(&self, frame: u32) -> Result<StoredFrame> {
        self.check_frame(frame)?;
        self.decode(frame)
    }

    fn decode(&self, frame: u32) -> Result<StoredFrame> {
        let layout = &self.layout;
        if self.syntax.uid == RLE_LOSSLESS {
            let fragment = self.fragment(frame)?;
            let data = crate::rle::decode(layout, fragment, frame)?;
            let raw = RawFrame {
                bytes: Cow::Owned(data),
                bit_offset: 0,
                big_endian: false,
                photometric: layout.photometric,
                planar: false,
            };
            return pixels::to_stored(layout, raw, frame);
        }
        if self.syntax.encapsulated {
            self.check_codestream(frame)?;
            let px = guarded("decoding the pixel data", || {
                self.obj
                    .decode_pixel_data_frame(frame)
                    .map_err(|e| ImagingError::Decode {
                        frame,
                        syntax: self.syntax.name.clone(),
                        message: chain(&e),
                    })
            })?;
            let need = layout.frame_bytes();
            let data = px.data();
            if data.len() < need {
                return Err(ImagingError::Decode {
                    frame,
                    syntax: self.syntax.name.clone(),
                    message: format!(
                        "the codec gave {} bytes, the frame needs {need}",
                        data.len()
                    ),
                });
            }
            let photometric = if layout.samples == 3 {
                Photometric::Rgb
            } else {
                layout.photometric
            };
            let raw = RawFrame {
                bytes: Cow::Borrowed(&data[..need]),
                bit_offset: 0,
                big_endian: false,
                photometric,
                planar: false,
            };
            return pixels::to_stored(layout, raw, frame);
        }
        let el = self
            .obj
            .get(tags::PIXEL_DATA)
            .ok_or(ImagingError::MissingAttribute("Pixel Data (7FE0,0010)"))?;
        let data: Cow<'_, [u8]> = match el.value() {
            Value::Primitive(PrimitiveValue::U8(v)) => Cow::Borrowed(&v[..]),
            // OW is read as 16-bit words in host order. 32-bit samples need
            // the file's byte order back; 8-bit samples in OW are in the
            // words' little-endian order whatever the syntax (as pydicom reads
            // them).
            Value::Primitive(PrimitiveValue::U16(v)) => {
                if self.syntax.big_endian && layout.bits_allocated > 8 {
                    Cow::Owned(v.iter().flat_map(|w| w.to_be_bytes()).collect())
                } else if cfg!(target_endian = "little") {
                    Cow::Borrowed(bytemuck_u16(v))
                } else {
                    Cow::Owned(v.iter().flat_map(|w| w.to_le_bytes()).collect())
                }
            }
            Value::Primitive(p) => Cow::Owned(p.to_bytes().into_owned()),
            Value::PixelSequence(_) => {
                return Err(ImagingError::Malformed(format!(
                    "encapsulated pixel data in a file whose transfer syntax ({}) is native",
                    self.syntax.name
                )))
            }
            Value::Sequence(_) => {
                return Err(ImagingError::Malformed(
                    "Pixel Data (7FE0,0010) is a sequence".into(),
                ))
            }
        };
        let raw = pixels::native_frame(layout, data, frame, self.syntax.big_endian)?;
        pixels::to_stored(layout, raw, frame)
    }

    /// A JPEG or JPEG 2000 stream says its own size; when it is not the
    /// image's, decoding would give the wrong number of pixels anyway, and
    /// a damaged size must not make the codec allocate and decode a huge
    /// image first.
    fn check_codestream(&self, frame: u32) -> Result<()> {
        let Some(Value::PixelSequence(seq)) = self.obj.get(tags::PIXEL_DATA).map(|e| e.value())
        else {
            return Ok(());
        };
        let fragments = seq.fragments();
        let first = if fragments.len() == self.layout.frames as usize {
            fragments.get(frame as usize)
        } else if self.layout.frames == 1 {
            fragments.first()
        } else {
            None
        };
        let Some((w, h)) = first.and_then(|f| codestream_size(f)) else {
            return Ok(());
        };
        if (w, h) != (self.layout.cols, self.layout.rows) {
            return Err(ImagingError::Decode {
                frame,
                syntax: self.syntax.name.clone(),
                message: format!(
                    "the compressed stream is {w} × {h} pixels, the file says {} × {}",
                    self.layout.cols, self.layout.rows
                ),
            });
        }
        Ok(())
    }

    /// The one fragment holding frame `frame` (RLE has one per frame).
    fn fragment(&self, frame: u32) -> Result<&[u8]> {
        let Some(Value::PixelSequence(seq)) = self.obj.get(tags::PIXEL_DATA).map(|e| e.value())
        else {
            return Err(ImagingError::Malformed(format!(
                "{} pixel data that is not encapsulated",
                self.syntax.name
            )));
        };
        let fragments = seq.fragments();
        if fragments.len() != self.layout.frames as usize {
            return Err(ImagingError::Decode {
                frame,
                syntax: self.syntax.name.clone(),
                message: format!(
                    "{} fragments for {} frames (one per frame expected)",
                    fragments.len(),
                    self.layout.frames
                ),
            });
        }
        Ok(&fragments[frame as usize])
    }

    /// Modality values of a monochrome frame (Rescale Slope/Intercept).
    pub fn modality_frame(&self, frame: u32) -> Result<ModalityFrame> {
        if !self.layout.photometric.is_monochrome() {
            return Err(ImagingError::Unsupported(format!(
                "modality values are defined for monochrome images, this one is {}",
                self.layout.photometric.name()
            )));
        }
        let s = self.stored_frame(frame)?;
        let (slope, intercept) = self.rescale(frame);
        let values = (0..s.samples.len())
            .filter_map(|i| s.samples.get(i))
            .map(|v| v as f64 * slope + intercept)
            .collect();
        Ok(ModalityFrame {
            rows: s.rows,
            columns: s.columns,
            values,
        })
    }

    /// Rescale slope and intercept for `frame`: the frame's functional
    /// group, the shared one, or the top level; identity when absent.
    pub fn rescale(&self, frame: u32) -> (f64, f64) {
        let seq = tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE;
        let slope = find_float(&self.obj, frame, seq, tags::RESCALE_SLOPE)
            .filter(|s| *s != 0.0 && s.is_finite())
            .unwrap_or(1.0);
        let intercept = find_float(&self.obj, frame, seq, tags::RESCALE_INTERCEPT)
            .filter(|s| s.is_finite())
            .unwrap_or(0.0);
        (slope, intercept)
    }

    /// The file's window (center, width, function) for `frame`: the
    /// frame's functional group, the shared one, or the top level.
    pub fn file_window(&self, frame: u32) -> Option<(f64, f64, VoiFunction)> {
        match self.file_voi(frame)? {
            Voi::Window(l) => Some((l.center, l.width, l.function)),
            Voi::Lut(_) => None,
        }
    }

    /// Whether the file's own VOI LUT (not a window) maps its values to grey.
    pub fn has_voi_lut(&self, frame: u32) -> bool {
        matches!(self.file_voi(frame), Some(Voi::Lut(_)))
    }

    /// The file's window for `frame`, else its first VOI LUT.
    fn file_voi(&self, frame: u32) -> Option<Voi> {
        let seq = tags::FRAME_VOILUT_SEQUENCE;
        let center = find_float(&self.obj, frame, seq, tags::WINDOW_CENTER);
        let width = find_float(&self.obj, frame, seq, tags::WINDOW_WIDTH);
        let function = find(&self.obj, frame, seq, tags::VOILUT_FUNCTION)
            .and_then(|e| e.to_str().ok())
            .and_then(|s| VoiFunction::parse(&s))
            .unwrap_or_default();
        if let (Some(c), Some(w)) = (center, width) {
            if let Ok(l) = Linear::new(c, w, function) {
                return Some(Voi::Window(l));
            }
        }
        voi_luts(&self.obj).into_iter().next().map(Voi::Lut)
    }

    /// Renders frame `frame` as 8-bit RGBA: monochrome through the window
    /// (MONOCHROME1 inverted), palette colour through its tables, RGB
    /// scaled to 8 bits.
    pub fn render_rgba(&self, frame: u32, window: Window) -> Result<RgbaFrame> {
        let stored = self.stored_frame(frame)?;
        self.render(frame, &stored, window)
    }

    fn render(&self, frame: u32, s: &StoredFrame, window: Window) -> Result<RgbaFrame> {
        let n = self.layout.pixels();
        let mut out = vec![255u8; n * 4];
        match s.photometric {
            Photometric::Monochrome1 | Photometric::Monochrome2 => {
                let (slope, intercept) = self.rescale(frame);
                let Some((lo, hi)) = s.samples.range() else {
                    return Ok(rgba(s, out));
                };
                let voi = match window {
                    Window::Custom { center, width } => {
                        Voi::Window(Linear::new(center, width, VoiFunction::Linear)?)
                    }
                    Window::FileDefault => match self.file_voi(frame) {
                        Some(v) => v,
                        None => {
                            // The frame's full range, from black to white.
                            let (a, b) =
                                (lo as f64 * slope + intercept, hi as f64 * slope + intercept);
                            let (a, b) = (a.min(b), a.max(b));
                            // Chosen so that a maps to 0 and b to 255.
                            let center = a + 0.5 + (b - a) / 2.0;
                            Voi::Window(Linear::new(center, b - a + 1.0, VoiFunction::Linear)?)
                        }
                    },
                };
                let invert = s.photometric == Photometric::Monochrome1;
                let grey = |v: i64| -> u8 {
                    let y = voi.eval(v as f64 * slope + intercept).round() as u8;
                    if invert {
                        255 - y
                    } else {
                        y
                    }
                };
                // One evaluation per distinct stored value, not per pixel.
                let span = (hi - lo) as usize;
                if span <= (1 << 20) {
                    let lut: Vec<u8> = (lo..=hi).map(grey).collect();
                    write_grey(&s.samples, lo, &lut, &mut out);
                } else {
                    for (i, px) in out.chunks_exact_mut(4).enumerate() {
                        let g = grey(s.samples.get(i).unwrap_or(lo));
                        px[..3].fill(g);
                    }
                }
            }
            Photometric::PaletteColor => {
                let tables = palette(&self.obj)?;
                for (i, px) in out.chunks_exact_mut(4).enumerate() {
                    let v = s.samples.get(i).unwrap_or(0);
                    for (c, t) in tables.iter().enumerate() {
                        px[c] = t.lookup(v);
                    }
                }
            }
            _ => {
                // RGB (YCbCr was converted when decoding): scale to 8 bits.
                let shift = u32::from(self.layout.bits_stored.saturating_sub(8));
                for (i, px) in out.chunks_exact_mut(4).enumerate() {
                    for (c, out) in px[..3].iter_mut().enumerate() {
                        let v = s.samples.get(i * 3 + c).unwrap_or(0).max(0);
                        *out = (v >> shift).min(255) as u8;
                    }
                }
            }
        }
        Ok(rgba(s, out))
    }
}

/// Width and height from a JPEG or JPEG-LS frame header (SOFn) or a
/// JPEG 2000 SIZ marker; `None` when there is none to read.
fn codestream_size(b: &[u8]) -> Option<(u32, u32)> {
    let be16 = |i: usize| Some(u32::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])));
    let be32 = |i: usize| Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?));
    if b.starts_with(&[0xFF, 0xD8]) {
        let mut i = 2;
        while i + 4 <= b.len() && b[i] == 0xFF {
            let marker = b[i + 1];
            if marker == 0xFF {
                // Fill byte before a marker.
                i += 1;
                continue;
            }
            let len = be16(i + 2)? as usize;
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC); F7 is JPEG-LS.
            let sof = matches!(marker, 0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC))
                || marker == 0xF7;
            if sof {
                let (h, w) = (be16(i + 5)?, be16(i + 7)?);
                // Height 0 is defined later by a DNL marker: nothing to check.
                return (h != 0).then_some((w, h));
            }
            if marker == 0xDA {
                return None;
            }
            i += 2 + len;
        }
        return None;
    }
    // JPEG 2000: SOC then SIZ, possibly inside a JP2 file's boxes.
    let head = &b[..b.len().min(4096)];
    let at = head
        .windows(4)
        .position(|w| w == [0xFF, 0x4F, 0xFF, 0x51])?
        + 2;
    let (x, y, x0, y0) = (
        be32(at + 6)?,
        be32(at + 10)?,
        be32(at + 14)?,
        be32(at + 18)?,
    );
    Some((x.checked_sub(x0)?, y.checked_sub(y0)?))
}

fn rgba(s: &StoredFrame, pixels: Vec<u8>) -> RgbaFrame {
    RgbaFrame {
        width: s.columns,
        height: s.rows,
        pixels,
    }
}

fn write_grey(samples: &Samples, lo: i64, lut: &[u8], out: &mut [u8]) {
    fn go<T: Copy + Into<i64>>(v: &[T], lo: i64, lut: &[u8], out: &mut [u8]) {
        for (x, px) in v.iter().zip(out.chunks_exact_mut(4)) {
            let g = lut[((*x).into() - lo) as usize];
            px[0] = g;
            px[1] = g;
            px[2] = g;
        }
    }
    match samples {
        Samples::U8(v) => go(v, lo, lut, out),
        Samples::I8(v) => go(v, lo, lut, out),
        Samples::U16(v) => go(v, lo, lut, out),
        Samples::I16(v) => go(v, lo, lut, out),
        Samples::U32(v) => go(v, lo, lut, out),
        Samples::I32(v) => go(v, lo, lut, out),
    }
}

fn bytemuck_u16(v: &[u16]) -> &[u8] {
    // SAFETY: u16 has no padding and u8 has alignment 1; the length in
    // bytes is exactly twice the length in words.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), v.len() * 2) }
}

type Elem = dicom_object::mem::InMemElement;

/// `tag` in frame `frame`'s functional group `seq`, the shared functional
/// group, or the top level of the data set.
fn find<'a>(obj: &'a InMemDicomObject, frame: u32, seq: Tag, tag: Tag) -> Option<&'a Elem> {
    let in_group = |groups: Tag, index: usize| -> Option<&'a Elem> {
        let item = obj.get(groups)?.items()?.get(index)?;
        item.get(seq)?.items()?.first()?.get(tag)
    };
    in_group(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, frame as usize)
        .or_else(|| in_group(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, 0))
        .or_else(|| obj.get(tag))
}

fn find_float(obj: &InMemDicomObject, frame: u32, seq: Tag, tag: Tag) -> Option<f64> {
    find(obj, frame, seq, tag)?
        .to_multi_float64()
        .ok()?
        .first()
        .copied()
}

fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let s = obj.get(tag)?.to_str().ok()?;
    let s = s.trim_matches([' ', '\0']);
    (!s.is_empty()).then(|| s.to_string())
}

fn uint(obj: &InMemDicomObject, tag: Tag, name: &'static str) -> Result<Option<u32>> {
    let Some(e) = obj.get(tag) else {
        return Ok(None);
    };
    e.to_int::<u32>()
        .map(Some)
        .map_err(|_| ImagingError::InvalidAttribute {
            name,
            value: e.to_str().map(|s| s.into_owned()).unwrap_or_default(),
        })
}

fn required(obj: &InMemDicomObject, tag: Tag, name: &'static str) -> Result<u32> {
    uint(obj, tag, name)?.ok_or(ImagingError::MissingAttribute(name))
}

fn layout(obj: &InMemDicomObject) -> Result<Layout> {
    let rows = required(obj, tags::ROWS, "Rows (0028,0010)")?;
    let cols = required(obj, tags::COLUMNS, "Columns (0028,0011)")?;
    let bits_allocated = required(obj, tags::BITS_ALLOCATED, "Bits Allocated (0028,0100)")?;
    let bits_stored =
        uint(obj, tags::BITS_STORED, "Bits Stored (0028,0101)")?.unwrap_or(bits_allocated);
    let samples = uint(
        obj,
        tags::SAMPLES_PER_PIXEL,
        "Samples per Pixel (0028,0002)",
    )?
    .unwrap_or(1);
    let signed = uint(
        obj,
        tags::PIXEL_REPRESENTATION,
        "Pixel Representation (0028,0103)",
    )?
    .unwrap_or(0)
        == 1;
    let planar = uint(
        obj,
        tags::PLANAR_CONFIGURATION,
        "Planar Configuration (0028,0006)",
    )?
    .unwrap_or(0)
        == 1;
    let frames = match obj.get(tags::NUMBER_OF_FRAMES) {
        None => 1,
        Some(e) => match e
            .to_str()
            .ok()
            .as_deref()
            .map(|s| s.trim_matches([' ', '\0']))
        {
            Some("") => 1,
            Some(s) => s
                .parse::<u32>()
                .map_err(|_| ImagingError::InvalidAttribute {
                    name: "Number of Frames (0028,0008)",
                    value: s.to_string(),
                })?,
            None => 1,
        },
    };
    let pi_text = text(obj, tags::PHOTOMETRIC_INTERPRETATION).ok_or(
        ImagingError::MissingAttribute("Photometric Interpretation (0028,0004)"),
    )?;
    let photometric = Photometric::parse(&pi_text).ok_or_else(|| {
        ImagingError::Unsupported(format!("photometric interpretation {pi_text}"))
    })?;
    let invalid = |name: &'static str, v: u32| ImagingError::InvalidAttribute {
        name,
        value: v.to_string(),
    };
    if rows == 0 || rows > u32::from(u16::MAX) {
        return Err(invalid("Rows (0028,0010)", rows));
    }
    if cols == 0 || cols > u32::from(u16::MAX) {
        return Err(invalid("Columns (0028,0011)", cols));
    }
    if frames == 0 {
        return Err(invalid("Number of Frames (0028,0008)", frames));
    }
    if !matches!(bits_allocated, 1 | 8 | 16 | 32) {
        return Err(ImagingError::Unsupported(format!(
            "{bits_allocated} bits allocated per sample (1, 8, 16 and 32 are supported)"
        )));
    }
    if bits_stored == 0 || bits_stored > bits_allocated {
        return Err(invalid("Bits Stored (0028,0101)", bits_stored));
    }
    if samples != u32::from(photometric.samples()) {
        return Err(ImagingError::InvalidAttribute {
            name: "Samples per Pixel (0028,0002)",
            value: format!("{samples} with photometric interpretation {pi_text}"),
        });
    }
    let layout = Layout {
        rows,
        cols,
        samples: samples as u16,
        bits_allocated: bits_allocated as u16,
        bits_stored: bits_stored as u16,
        signed,
        planar,
        photometric,
        frames,
    };
    if layout.frame_bytes() > MAX_FRAME_BYTES {
        return Err(ImagingError::TooLarge(format!(
            "{rows} × {cols} × {samples} samples of {bits_allocated} bits per frame"
        )));
    }
    Ok(layout)
}

fn info(obj: &DefaultDicomObject, syntax: &Syntax, layout: &Layout) -> Result<ImageInfo> {
    let floats = |tag| {
        obj.get(tag)
            .and_then(|e| e.to_multi_float64().ok())
            .unwrap_or_default()
    };
    let centers = floats(tags::WINDOW_CENTER);
    let widths = floats(tags::WINDOW_WIDTH);
    let explanations: Vec<String> = text(obj, tags::WINDOW_CENTER_WIDTH_EXPLANATION)
        .map(|s| s.split('\\').map(|p| p.trim().to_string()).collect())
        .unwrap_or_default();
    let windows = centers
        .iter()
        .zip(&widths)
        .enumerate()
        .map(|(i, (c, w))| FileWindow {
            center: *c,
            width: *w,
            explanation: explanations.get(i).filter(|s| !s.is_empty()).cloned(),
        })
        .collect();
    let spacing = [tags::PIXEL_SPACING, tags::IMAGER_PIXEL_SPACING]
        .into_iter()
        .find_map(|t| match floats(t)[..] {
            [r, c, ..] => Some([r, c]),
            _ => None,
        });
    let seq = tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE;
    Ok(ImageInfo {
        patient_id: text(obj, tags::PATIENT_ID),
        patient_name: text(obj, tags::PATIENT_NAME),
        study_instance_uid: text(obj, tags::STUDY_INSTANCE_UID),
        study_date: text(obj, tags::STUDY_DATE),
        study_description: text(obj, tags::STUDY_DESCRIPTION),
        series_instance_uid: text(obj, tags::SERIES_INSTANCE_UID),
        series_number: text(obj, tags::SERIES_NUMBER),
        series_description: text(obj, tags::SERIES_DESCRIPTION),
        sop_instance_uid: text(obj, tags::SOP_INSTANCE_UID),
        sop_class_uid: text(obj, tags::SOP_CLASS_UID),
        instance_number: text(obj, tags::INSTANCE_NUMBER),
        modality: text(obj, tags::MODALITY),
        rows: layout.rows,
        columns: layout.cols,
        frames: layout.frames,
        samples_per_pixel: layout.samples,
        transfer_syntax_uid: syntax.uid.clone(),
        transfer_syntax: syntax.name.clone(),
        photometric: layout.photometric,
        bits_allocated: layout.bits_allocated,
        bits_stored: layout.bits_stored,
        signed: layout.signed,
        pixel_spacing: spacing,
        rescale_slope: find_float(obj, 0, seq, tags::RESCALE_SLOPE).unwrap_or(1.0),
        rescale_intercept: find_float(obj, 0, seq, tags::RESCALE_INTERCEPT).unwrap_or(0.0),
        windows,
        voi_lut_function: text(obj, tags::VOILUT_FUNCTION)
            .and_then(|s| VoiFunction::parse(&s))
            .unwrap_or_default(),
        voi_luts: obj
            .get(tags::VOILUT_SEQUENCE)
            .and_then(|e| e.items())
            .map_or(0, <[_]>::len),
        slice_location: obj
            .get(tags::SLICE_LOCATION)
            .and_then(|e| e.to_float64().ok()),
    })
}

/// When the data set could not be read, whether that is because its
/// transfer syntax is one the registry cannot read (say, deflate when built
/// without it, or an unknown UID): a clearer message than the parse error.
fn unreadable_syntax(bytes: &[u8]) -> Option<ImagingError> {
    let meta =
        dicom_object::meta::FileMetaTable::from_reader(bytes.get(dicm_at(bytes)?..)?).ok()?;
    let uid = meta.transfer_syntax().trim_matches([' ', '\0']).to_string();
    match TransferSyntaxRegistry.get(&uid) {
        Some(ts) if ts.can_decode_dataset() => None,
        Some(ts) => Some(ImagingError::UnsupportedTransferSyntax {
            name: ts.name().to_string(),
            uid,
        }),
        None => Some(ImagingError::UnknownTransferSyntax(uid)),
    }
}

/// A LUT Descriptor (entries, first mapped value, bits) and its data.
fn lut(item: &InMemDicomObject, desc: Tag, data: Tag) -> Option<(u32, i64, u32, Vec<u16>)> {
    let d = item.get(desc)?.to_multi_int::<i64>().ok()?;
    let [n, first, bits] = d[..] else { return None };
    // 0 entries means 65536 (PS3.3 C.11.1.1.1).
    let n = if n == 0 { 65536 } else { n as u32 };
    let words: Vec<u16> = match item.get(data)?.value() {
        Value::Primitive(PrimitiveValue::U16(v)) => v.to_vec(),
        Value::Primitive(PrimitiveValue::U8(v)) => v.iter().map(|&b| u16::from(b)).collect(),
        Value::Primitive(p) => p.to_multi_int::<u16>().ok()?,
        _ => return None,
    };
    if words.is_empty() {
        return None;
    }
    Some((n, first, bits.clamp(1, 16) as u32, words))
}

fn voi_luts(obj: &InMemDicomObject) -> Vec<VoiLut> {
    let Some(items) = obj.get(tags::VOILUT_SEQUENCE).and_then(|e| e.items()) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let (_, first, bits, data) = lut(item, tags::LUT_DESCRIPTOR, tags::LUT_DATA)?;
            Some(VoiLut { first, bits, data })
        })
        .collect()
}

/// One channel of a palette colour lookup table.
struct Palette {
    first: i64,
    shift: u32,
    data: Vec<u16>,
}

impl Palette {
    fn lookup(&self, v: i64) -> u8 {
        let last = self.data.len() as i64 - 1;
        let i = (v - self.first).clamp(0, last) as usize;
        (self.data.get(i).copied().unwrap_or(0) >> self.shift).min(255) as u8
    }
}

fn palette(obj: &InMemDicomObject) -> Result<[Palette; 3]> {
    if obj
        .get(tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA)
        .is_some()
    {
        return Err(ImagingError::Unsupported(
            "segmented palette colour lookup tables".into(),
        ));
    }
    let channel = |desc, data, name| -> Result<Palette> {
        let (_, first, bits, data) =
            lut(obj, desc, data).ok_or(ImagingError::MissingAttribute(name))?;
        // 8-bit tables are sometimes written in 16-bit words; the data, not
        // the descriptor, says which.
        let max = data.iter().copied().max().unwrap_or(0);
        let shift = if bits > 8 || max > 255 { 8 } else { 0 };
        Ok(Palette { first, shift, data })
    };
    Ok([
        channel(
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "Red Palette Color Lookup Table (0028,1101/1201)",
        )?,
        channel(
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "Green Palette Color Lookup Table (0028,1102/1202)",
        )?,
        channel(
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "Blue Palette Color Lookup Table (0028,1103/1203)",
        )?,
    ])
}

#[cfg(test)]
mod tests {
    use super::codestream_size;

    #[test]
    fn codestream_sizes_come_from_sof_and_siz() {
        // SOI, APP0 of length 4, fill byte, SOF0: precision 8, 300 high, 200 wide.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xFF, 0xC0, 0, 11, 8, 1, 44, 0, 200,
        ];
        assert_eq!(codestream_size(&jpeg), Some((200, 300)));
        let mut j2k = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
        for v in [640u32, 480, 0, 10] {
            j2k.extend(v.to_be_bytes());
        }
        assert_eq!(codestream_size(&j2k), Some((640, 470)));
        assert_eq!(codestream_size(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None);
        assert_eq!(codestream_size(&j2k[..12]), None);
    }
}
