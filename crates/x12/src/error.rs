//! Errors name the segment they are about (tag, ordinal position in the
//! interchange counting the ISA as 1, and byte offset in the input) and say
//! what is wrong, so a biller can find the spot in the file.

use serde::Serialize;
use std::fmt;

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct At {
    /// Segment identifier, e.g. `SE`.
    pub tag: String,
    /// Ordinal position in the interchange (ISA is 1), or 0 before any segment.
    pub position: usize,
    /// Byte offset of the segment's first byte in the input.
    pub offset: usize,
}

/// The kind of problem, for callers that react to some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// Not UTF-8 text.
    Encoding,
    /// No ISA where an interchange should start, or an ISA whose delimiters
    /// cannot be read.
    Isa,
    /// A segment that is not well formed (bad identifier).
    Syntax,
    /// A segment out of place in the ISA/GS/ST envelope, or a missing trailer.
    Structure,
    /// A trailer count (SE01, GE01, IEA01) that does not match.
    Count,
    /// A trailer control number that does not match its header.
    ControlNumber,
    /// A segment a transaction set requires is missing.
    MissingSegment,
    /// An element is missing or its value is not allowed.
    Element,
    /// A value cannot be written with the chosen delimiters.
    Write,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct Error {
    pub kind: ErrorKind,
    pub at: Option<At>,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, at: Option<At>, message: impl Into<String>) -> Error {
        Error {
            kind,
            at,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) if at.position > 0 => write!(
                f,
                "segment {} ({}) at byte {}: {}",
                at.position, at.tag, at.offset, self.message
            ),
            Some(at) => write!(f, "at byte {}: {}", at.offset, self.message),
            None => f.write_str(&self.message),
        }
    }
}
