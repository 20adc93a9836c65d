//! What an import did, resource by resource.

use crate::error::Problem;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Import what can be imported and report the rest. By default one
    /// invalid resource refuses the whole import and nothing is written.
    pub skip_invalid: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Resources written, with the ClinicDesk record each became.
    pub imported: Vec<ImportedResource>,
    /// Resources deliberately not written, and why.
    pub skipped: Vec<SkippedResource>,
    /// Resources that could not be imported (only with `skip_invalid`).
    pub invalid: Vec<Problem>,
    /// Elements of imported resources that ClinicDesk has no field for.
    pub ignored: Vec<IgnoredElement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedResource {
    /// `Patient/example`, or the fullUrl of a resource without an id.
    pub resource: String,
    pub local_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedResource {
    pub resource: String,
    pub reason: String,
    /// The record it already is, for resources imported before.
    pub local_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IgnoredElement {
    pub resource: String,
    /// `telecom[2]`, `name[1]`, `contact`, …
    pub element: String,
    pub reason: String,
}

impl ImportReport {
    /// The ClinicDesk id a resource was imported as (or already was).
    pub fn local_id(&self, resource: &str) -> Option<&str> {
        self.imported
            .iter()
            .find(|r| r.resource == resource)
            .map(|r| r.local_id.as_str())
            .or_else(|| {
                self.skipped
                    .iter()
                    .find(|s| s.resource == resource)
                    .and_then(|s| s.local_id.as_deref())
            })
    }

    /// Why a resource was not imported, if it was invalid.
    pub fn problems_of(&self, resource: &str) -> Vec<&str> {
        self.invalid
            .iter()
            .filter(|p| p.resource == resource)
            .map(|p| p.message.as_str())
            .collect()
    }

    pub fn ignored_in(&self, resource: &str) -> Vec<&IgnoredElement> {
        self.ignored
            .iter()
            .filter(|i| i.resource == resource)
            .collect()
    }
}
