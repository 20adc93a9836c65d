//! X12 5010 for ClinicDesk: a reader that takes its delimiters from the ISA
//! and checks the ISA/GS/ST envelope, a writer, and typed models of the
//! transaction sets a clinic exchanges with payers and clearinghouses
//! (270/271, 276/277, 277CA, 835, 837P, 999).
//!
//! Reading never panics, whatever the input: every problem is an [`Error`]
//! naming the segment (tag, ordinal position in the interchange, byte offset).
//!
//! ```
//! let x12 = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240105*1230*^*00501*000000001*0*T*:~\
//! GS*HC*SENDER*RECEIVER*20240105*1230*1*X*005010X222A1~ST*837*0001*005010X222A1~BHT*0019*00*1*20240105*1230*CH~\
//! SE*3*0001~GE*1*1~IEA*1*000000001~";
//! let doc = clinicdesk_x12::parse(x12).expect("valid envelope");
//! assert_eq!(doc.transactions().count(), 1);
//! ```

pub mod envelope;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod segment;
pub mod syntax;
pub mod transactions;
pub mod write;

/// The text type of the typed models: values up to 24 bytes (nearly every
/// X12 element) are stored inline, so reading a model allocates little.
/// It derefs to `&str` and serializes as a plain string.
pub use compact_str::CompactString;
pub use envelope::{parse, read, Document, Group, Interchange, Parsed, Transaction};
pub use error::{At, Error, ErrorKind};
pub use segment::{Element, Elements, Fields, Segment, Values};
/// The short lists of the 835 and 837P models: the usual count of items
/// is stored inline. It derefs to a slice and serializes as a sequence.
pub use smallvec::SmallVec;
pub use syntax::Delimiters;
pub use transactions::{model, Model};
pub use write::{to_x12, write_document, EnvelopeHeader, Usage, WriteOptions};
