//! Turns what a physician dictated into a draft note: sentences sorted into
//! SOAP sections (or bullets), concise or detailed, with the problems named
//! and their ICD-10-CM candidates, and the medications mentioned with dose
//! and frequency. Rules only, on this computer; the code set and drug names
//! come from the caller ([`Terminology`]), so this crate needs no store.
//! The physician reviews, edits and signs the draft like any other note.

mod compose;
pub mod medications;
pub mod problems;
pub mod sections;
pub mod text;

pub use compose::{draft, Detail, Draft, Layout, Style};
pub use medications::{Medication, MedicationAction};
pub use problems::{CodeCandidate, Problem};
pub use sections::Section;

/// A drug name as the lexicon knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DrugName {
    /// The generic name, as written on a prescription ("Acetaminophen").
    pub name: String,
    /// The spoken name was a brand ("Tylenol").
    pub brand: bool,
}

/// The reference data drafting looks things up in.
pub trait Terminology {
    /// Billable ICD-10-CM codes whose descriptions contain every one of
    /// `words` (lower case), as `(code, description)`, at most `limit`.
    fn diagnoses(&self, words: &[&str], limit: usize) -> Vec<(String, String)>;
    /// The drug a spoken name (lower case, single spaces) names, if any.
    fn drug(&self, spoken: &str) -> Option<DrugName>;
}
