//! Importing DICOM instances into the store: read every file's
//! identifiers, group the instances by study, then store each study in
//! transactions of at most [`TRANSACTION_BYTES`]. A bad file is reported
//! with its reason and the rest go on. Each instance is stored whole or not
//! at all, with its audit entry; a study of a thousand slices is not one
//! transaction, because that would hold the store's write lock for many
//! seconds and another writer (a booking, the sync worker) gives up after
//! five. An interrupted import keeps what it committed; importing again
//! adds the rest and skips what is there.

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

    /// Adds the report of a later import (the next series of a study
    /// retrieved series by series): counts add up, a study met again keeps
    /// one entry, with its latest link state.
    pub fn absorb(&mut self, later: ImportReport) {
        self.imported += later.imported;
        self.already_present += later.already_present;
        self.failed.extend(later.failed);
        self.skipped.extend(later.skipped);
        for study in later.studies {
            match self
                .studies
                .iter_mut()
                .find(|s| s.study_uid == study.study_uid)
            {
                Some(s) => {
                    s.imported += study.imported;
                    s.already_present += study.already_present;
                    s.failed += study.failed;
                    if study.link_state.is_some() {
                        s.link_state = study.link_state;
                        s.link_issues = study.link_issues;
                    }
                }
                None => self.studies.push(study),
            }
        }
    }
}

/// Where an instance's bytes are.
enum Body {
    /// Read again when its study is stored, so only one file is in memory
    /// at a time however large the import.
    File(PathBuf),
    Memory(Vec<u8>),
}

/// At most this much DICOM goes into one transaction: about a quarter of
/// a second of SQLCipher writing (32 CT slices of 512×512).
pub const TRANSACTION_BYTES: usize = 16 << 20;

struct Pending {
    source: String,
    body: Body,
    size: usize,
}

/// Consecutive runs of `pending` of at most `limit` bytes each (one
/// instance alone when it is larger).
fn batches(pending: Vec<Pending>, limit: usize) -> Vec<Vec<Pending>> {
    let mut out: Vec<Vec<Pending>> = Vec::new();
    let mut bytes = 0;
    for p in pending {
        match out.last_mut() {
            Some(batch) if bytes + p.size <= limit => {
                bytes += p.size;
                batch.push(p);
            }
            _ => {
                bytes = p.size;
                out.push(vec![p]);
            }
        }
    }
    out
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
                .and_then(|b| read_meta(&b).map(|m| (m, b.len()))),
            Body::Memory(bytes) => read_meta(bytes).map(|m| (m, bytes.len())),
        };
        match read {
            Ok((meta, size)) => {
                let group = by_study.entry(meta.study_uid.clone()).or_insert_with(|| {
                    order.push(meta.study_uid.clone());
                    Vec::new()
                });
                group.push(Pending { source, body, size });
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
    // Pass 2: each study in transactions of at most TRANSACTION_BYTES.
    let to_store: usize = by_study.values().map(Vec::len).sum();
    let mut done = 0;
    for study_uid in order {
        let pending = by_study.remove(&study_uid).unwrap_or_default();
        let mut study: Option<StudyImport> = None;
        let mut unstored: Vec<String> = Vec::new();
        let mut error = None;
        for batch in batches(pending, TRANSACTION_BYTES) {
            if error.is_some() {
                unstored.extend(batch.into_iter().map(|p| p.source));
                continue;
            }
            let sources: Vec<String> = batch.iter().map(|p| p.source.clone()).collect();
            let incoming = batch.into_iter().map(|p| {
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
            let stored = store.import_study(session, &study_uid, incoming, origin, |_, _| {
                done += 1;
                progress(Progress {
                    phase: Phase::Storing,
                    done,
                    total: to_store,
                });
            });
            match stored {
                Ok(part) => match &mut study {
                    Some(whole) => {
                        whole.outcomes.extend(part.outcomes);
                        whole.study_id = part.study_id;
                        whole.link_state = part.link_state;
                        whole.link_issues = part.link_issues;
                    }
                    None => study = Some(part),
                },
                // This batch's transaction was rolled back: none of it is
                // stored; batches before it are.
                Err(e) => {
                    unstored.extend(sources);
                    error = Some(e);
                }
            }
        }
        let mut result = match study {
            Some(study) => add_study(&mut report, study),
            None => StudyResult {
                study_uid: study_uid.clone(),
                link_state: None,
                link_issues: Vec::new(),
                imported: 0,
                already_present: 0,
                failed: 0,
            },
        };
        if let Some(e) = error {
            result.failed += unstored.len();
            for source in unstored {
                report.failed.push(NotImported {
                    source,
                    reason: format!("its study {study_uid} could not be stored: {e}"),
                });
            }
        }
        report.studies.push(result);
    }
    Ok(report)
}

/// Counts a study's outcomes into the report; the caller adds its result.
fn add_study(report: &mut ImportReport, study: StudyImport) -> StudyResult {
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
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(sizes: &[usize]) -> Vec<Pending> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| Pending {
                source: i.to_string(),
                body: Body::Memory(Vec::new()),
                size,
            })
            .collect()
    }

    fn shape(b: &[Vec<Pending>]) -> Vec<Vec<usize>> {
        b.iter()
            .map(|v| v.iter().map(|p| p.size).collect())
            .collect()
    }

    fn study(uid: &str, imported: usize, link: Option<LinkState>) -> StudyResult {
        StudyResult {
            study_uid: uid.into(),
            link_state: link,
            link_issues: Vec::new(),
            imported,
            already_present: 1,
            failed: 0,
        }
    }

    #[test]
    fn reports_of_a_study_s_series_add_up_to_one_entry() {
        let mut whole = ImportReport {
            imported: 4,
            already_present: 1,
            studies: vec![study("1.2", 4, Some(LinkState::NeedsConfirmation))],
            ..Default::default()
        };
        whole.absorb(ImportReport {
            imported: 2,
            already_present: 1,
            failed: vec![NotImported {
                source: "PACS part 3".into(),
                reason: "damaged".into(),
            }],
            studies: vec![
                study("1.2", 2, Some(LinkState::Linked)),
                study("1.3", 0, None),
            ],
            ..Default::default()
        });
        assert_eq!((whole.imported, whole.already_present), (6, 2));
        assert_eq!(whole.failed.len(), 1);
        assert_eq!(whole.studies.len(), 2);
        let s = &whole.studies[0];
        assert_eq!((s.imported, s.already_present), (6, 2));
        assert_eq!(s.link_state, Some(LinkState::Linked));
        assert_eq!(whole.studies[1].study_uid, "1.3");
    }

    #[test]
    fn batches_stay_under_the_limit_and_keep_the_order() {
        let b = batches(sized(&[4, 4, 4, 3, 10, 1]), 10);
        assert_eq!(shape(&b), [vec![4, 4], vec![4, 3], vec![10], vec![1]]);
        let sources: Vec<_> = b.iter().flatten().map(|p| p.source.as_str()).collect();
        assert_eq!(sources, ["0", "1", "2", "3", "4", "5"]);
        // An instance larger than the limit goes alone.
        assert_eq!(
            shape(&batches(sized(&[3, 25, 3]), 10)),
            [vec![3], vec![25], vec![3]]
        );
        assert!(batches(Vec::new(), 10).is_empty());
    }
}
