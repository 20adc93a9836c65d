//! Importing DICOM instances into the store: read every file's
//! identifiers, group the instances by study, then store each study in one
//! transaction. A bad file is reported with its reason and the rest go on;
//! a study is stored whole or not at all.

use crate::meta::{read_meta, MetaError};
use crate::sources::{gather, Candidate};
use clinicdesk_domain::Permission;
use clinicdesk_store::{
    Incoming, InstanceOutcome, LinkState, Session, Store, StoreError, StudyImport,
};
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Receiving instances from the PACS.
    Receiving,
    /// Reading each file's identifiers.
    Reading,
    /// Writing studies into the store.
    Storing,
}

/// Where a long import is, for a progress bar: `done` of `total` files in
/// the current phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub done: usize,
    pub total: usize,
}

/// A file (or PACS part) that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotImported {
    pub source: String,
    pub reason: String,
}

/// How one study fared.
#[derive(Debug, Clone, Serialize)]
pub struct StudyResult {
    pub study_uid: String,
    /// `None` when none of its instances could be stored.
    pub link_state: Option<LinkState>,
    pub link_issues: Vec<String>,
    pub imported: usize,
    pub already_present: usize,
    pub failed: usize,
}

/// The summary of an import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub imported: usize,
    pub already_present: usize,
    /// Files that should have been images and could not be imported.
    pub failed: Vec<NotImported>,
    /// Files met in folders that are not DICOM (viewer programs, READMEs).
    pub skipped: Vec<NotImported>,
    pub studies: Vec<StudyResult>,
}

impl ImportReport {
    /// Studies held until someone confirms whose they are.
    pub fn needs_confirmation(&self) -> impl Iterator<Item = &StudyResult> {
        self.studies
            .iter()
            .filter(|s| s.link_state == Some(LinkState::NeedsConfirmation))
    }
}

/// Where an instance's bytes are.
enum Body {
    /// Read again when its study is stored, so only one file is in memory
    /// at a time however large the import.
    File(PathBuf),
    Memory(Vec<u8>),
}

struct Pending {
    source: String,
    body: Body,
}

/// Imports files, folders (recursively) and DICOMDIRs.
pub fn import_paths(
    store: &mut Store,
    session: &Session,
    paths: &[PathBuf],
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, StoreError> {
    session.require(Permission::ImagingImport)?;
    let gathered = gather(paths);
    let mut report = ImportReport::default();
    for (source, reason) in gathered.problems {
        report.failed.push(NotImported { source, reason });
    }
    let items = gathered
        .files
        .into_iter()
        .map(|Candidate { path, named }| (path.display().to_string(), Body::File(path), named));
    let origin = format!(
        "{} ({})",
        if paths.len() == 1 { "a path" } else { "paths" },
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    run(store, session, items.collect(), &origin, report, progress)
}

/// Imports instances already in memory (a PACS retrieve): each with a name
/// for the report and its Part 10 bytes. `origin` names the import in the
/// audit trail.
pub fn import_bytes(
    store: &mut Store,
    session: &Session,
    parts: Vec<(String, Vec<u8>)>,
    origin: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, StoreError> {
    session.require(Permission::ImagingImport)?;
    let items = parts
        .into_iter()
        .map(|(source, bytes)| (source, Body::Memory(bytes), true))
        .collect();
    run(
        store,
        session,
        items,
        origin,
        ImportReport::default(),
        progress,
    )
}

fn run(
    store: &mut Store,
    session: &Session,
    items: Vec<(String, Body, bool)>,
    origin: &str,
    mut report: ImportReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, StoreError> {
    // Pass 1: identifiers, grouped by study in the order first met.
    let total = items.len();
    let mut order: Vec<String> = Vec::new();
    let mut by_study: HashMap<String, Vec<Pending>> = HashMap::new();
    for (i, (source, body, named)) in items.into_iter().enumerate() {
        let read = match &body {
            Body::File(path) => std::fs::read(path)
                .map_err(|e| MetaError::Invalid(format!("cannot be read: {e}")))
                .and_then(|b| read_meta(&b)),
            Body::Memory(bytes) => read_meta(bytes),
        };
        match read {
            Ok(meta) => {
                let group = by_study.entry(meta.study_uid.clone()).or_insert_with(|| {
                    order.push(meta.study_uid.clone());
                    Vec::new()
                });
                group.push(Pending { source, body });
            }
            Err(e @ (MetaError::NotDicom | MetaError::Directory)) if !named => {
                report.skipped.push(NotImported {
                    source,
                    reason: e.to_string(),
                })
            }
            Err(e) => report.failed.push(NotImported {
                source,
                reason: e.to_string(),
            }),
        }
        progress(Progress {
            phase: Phase::Reading,
            done: i + 1,
            total,
        });
    }
    // Pass 2: one transaction per study.
    let to_store: usize = by_study.values().map(Vec::len).sum();
    let mut done = 0;
    for study_uid in order {
        let pending = by_study.remove(&study_uid).unwrap_or_default();
        let sources: Vec<String> = pending.iter().map(|p| p.source.clone()).collect();
        let incoming = pending.into_iter().map(|p| {
            let read = match p.body {
                Body::File(path) => std::fs::read(&path)
                    .map_err(|e| format!("cannot be read: {e}"))
                    .and_then(|b| read_meta(&b).map(|m| (m, b)).map_err(|e| e.to_string())),
                Body::Memory(b) => read_meta(&b).map(|m| (m, b)).map_err(|e| e.to_string()),
            };
            Incoming {
                source: p.source,
                read,
            }
        });
        let result = store.import_study(session, &study_uid, incoming, origin, |_, _| {
            done += 1;
            progress(Progress {
                phase: Phase::Storing,
                done,
                total: to_store,
            });
        });
        match result {
            Ok(study) => add_study(&mut report, study),
            // The study's transaction was rolled back: none of it is stored.
            Err(e) => {
                let failed = sources.len();
                for source in sources {
                    report.failed.push(NotImported {
                        source,
                        reason: format!("its study {study_uid} could not be stored: {e}"),
                    });
                }
                report.studies.push(StudyResult {
                    study_uid,
                    link_state: None,
                    link_issues: Vec::new(),
                    imported: 0,
                    already_present: 0,
                    failed,
                });
            }
        }
    }
    Ok(report)
}

fn add_study(report: &mut ImportReport, study: StudyImport) {
    let mut result = StudyResult {
        study_uid: study.study_uid,
        link_state: study.link_state,
        link_issues: study.link_issues,
        imported: 0,
        already_present: 0,
        failed: 0,
    };
    for (source, outcome) in study.outcomes {
        match outcome {
            InstanceOutcome::Imported => result.imported += 1,
            InstanceOutcome::AlreadyPresent => result.already_present += 1,
            InstanceOutcome::Failed(reason) => {
                result.failed += 1;
                report.failed.push(NotImported { source, reason });
            }
        }
    }
    report.imported += result.imported;
    report.already_present += result.already_present;
    report.studies.push(result);
}
