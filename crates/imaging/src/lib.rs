//! DICOM images for ClinicDesk: open a Part 10 file, read its identifiers
//! and tags, decode its frames to stored and modality values, and render a
//! frame to 8-bit RGBA through a window for the viewer.
//!
//! Decoding uses dicom-rs (`dicom-object`, `dicom-pixeldata`) for the data
//! set and the compressed transfer syntaxes; native pixel data, colour
//! conversion and windowing are done here. `docs/imaging.md` lists the
//! supported transfer syntaxes and photometric interpretations and how the
//! decoded values compare with pydicom's.
//!
//! No input makes this crate panic: every problem is an [`ImagingError`]
//! saying what is wrong. dicom-rs can panic on some malformed input, so
//! each call into it runs under [`std::panic::catch_unwind`] and a panic
//! becomes [`ImagingError::Internal`] (the panic message is still printed
//! by the default panic hook).
//!
//! ```no_run
//! use clinicdesk_imaging::{Image, Preset, Window};
//! let image = Image::open("ct.dcm")?;
//! println!("{:?} {}×{}", image.info().modality, image.info().columns, image.info().rows);
//! let rgba = image.render_rgba(0, Window::preset(Preset::Lung))?;
//! assert_eq!(rgba.pixels.len(), (rgba.width * rgba.height * 4) as usize);
//! # Ok::<(), clinicdesk_imaging::ImagingError>(())
//! ```

pub mod error;
#[doc(hidden)]
pub mod fuzzing;
mod image;
mod lengths;
mod pixels;
mod rle;
mod tags;
mod window;

pub use error::{ImagingError, Result};
pub use image::{dicm_at, FileWindow, Image, ImageInfo, ModalityFrame, TagEntry, MAX_VALUE_CHARS};
pub use lengths::check_lengths;
pub use pixels::{Photometric, Samples, StoredFrame};
pub use window::{Preset, RgbaFrame, VoiFunction, Window};
