//! What can go wrong reading and rendering a DICOM file. Every message is a
//! sentence a user can act on: it names the syntax, attribute or frame.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImagingError {
    #[error("could not read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not a DICOM Part 10 file: no preamble and "DICM", or no file meta group.
    #[error("not a DICOM file: {0}")]
    NotDicom(String),
    /// The data set itself is broken (bad lengths, cut off, bad encoding).
    #[error("the DICOM data set could not be read: {0}")]
    Malformed(String),
    #[error("the file has no pixel data (it is not an image: {0})")]
    NoPixelData(String),
    #[error("the transfer syntax {name} ({uid}) is not supported")]
    UnsupportedTransferSyntax { uid: String, name: String },
    #[error("the transfer syntax {0} is not a known DICOM transfer syntax")]
    UnknownTransferSyntax(String),
    /// An image layout the decoder does not handle (bits, samples, colour).
    #[error("unsupported image: {0}")]
    Unsupported(String),
    #[error("the attribute {0} is missing")]
    MissingAttribute(&'static str),
    #[error("the attribute {name} has an invalid value: {value}")]
    InvalidAttribute { name: &'static str, value: String },
    #[error(
        "the pixel data is truncated: frame {frame} needs {expected} bytes, the file has {actual}"
    )]
    Truncated {
        frame: u32,
        expected: usize,
        actual: usize,
    },
    #[error("frame {frame} is out of range: the image has {frames} frame(s), numbered from 0")]
    FrameOutOfRange { frame: u32, frames: u32 },
    #[error("frame {frame} could not be decoded from {syntax}: {message}")]
    Decode {
        frame: u32,
        syntax: String,
        message: String,
    },
    #[error("invalid window: {0}")]
    InvalidWindow(String),
    #[error("the image is too large: {0}")]
    TooLarge(String),
    /// The DICOM library panicked on this input; caught and reported.
    #[error("the file could not be processed: the DICOM library failed while {0}")]
    Internal(&'static str),
}

pub type Result<T, E = ImagingError> = std::result::Result<T, E>;
