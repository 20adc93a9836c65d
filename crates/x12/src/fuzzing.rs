//! What the fuzz target and the no-panic property test run on any input:
//! read, build every typed model, write back and read again. Reading must
//! never panic; a valid input must round-trip to the same segments.

use crate::envelope::{read, Document};
use crate::segment::Values;
use crate::syntax::Delimiters;
use crate::transactions::model;
use crate::write::{write_document, WriteOptions};

fn values(doc: &Document<'_>) -> Vec<Values> {
    doc.segments()
        .filter(|s| s.tag != "ISA")
        .map(|s| s.values())
        .collect()
}

/// Panics only when a round trip loses or changes data.
pub fn exercise(data: &[u8]) {
    let parsed = read(data);
    for tx in parsed.document.transactions() {
        let _ = model(tx);
        for s in tx.segments() {
            let _ = (s.el(0), s.el(99), s.component(1, 0), s.component(2, 7));
            let _ = (s.repetitions(3), s.element_count(), s.values());
        }
    }
    if !parsed.errors.is_empty() {
        return;
    }
    let own = write_document(&parsed.document, WriteOptions::default())
        .expect("a valid document writes with its own delimiters");
    let again = read(own.as_bytes());
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    let before = values(&parsed.document);
    assert_eq!(values(&again.document), before);
    let opts = WriteOptions {
        delimiters: Some(Delimiters::default()),
        line_breaks: true,
    };
    // Refused when a value holds one of the new delimiters; fine.
    if let Ok(other) = write_document(&parsed.document, opts) {
        let back = read(other.as_bytes());
        assert!(back.errors.is_empty(), "{:?}\n{other}", back.errors);
        assert_eq!(values(&back.document), before);
    }
}
