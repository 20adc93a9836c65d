//! ClinicDesk Scribe: speech to text for dictation, entirely on this
//! computer. Nothing here uses the network.

pub mod convert;
pub mod error;

pub use error::{Error, Result};
