//! Medical images kept in the encrypted store: the patient/study/series/
//! instance index and each instance's DICOM file as a BLOB, so no
//! plaintext copy exists anywhere. The store knows no DICOM: callers read
//! the identifiers out of each file ([`InstanceMeta`]) and hand them over
//! with its bytes.
//!
//! A study is written in one transaction, so it is never half there. It is
//! linked to the clinic's patient whose MRN is the images' Patient ID when
//! name and birth date agree too; otherwise it waits, with the differences
//! listed, until someone allowed to decides ([`Store::confirm_study`]).
//! These tables are never change-logged: instances stay on the desktop
//! that imported them, the PACS is the clinic's shared copy.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::patients::patient_id_by_mrn;
use crate::session::Session;
use crate::store::Store;
use crate::write::{new_id, Tx};
use clinicdesk_domain::validate;
use clinicdesk_domain::Permission;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// What the index keeps of one DICOM instance, read from its file.
/// Dates are `YYYY-MM-DD`; text is trimmed, and empty text is `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InstanceMeta {
    pub patient_id: Option<String>,
    /// As written in the file: `Family^Given^Middle^Prefix^Suffix`.
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    pub study_uid: String,
    pub study_date: Option<String>,
    pub study_time: Option<String>,
    pub accession_number: Option<String>,
    pub study_description: Option<String>,
    pub series_uid: String,
    pub modality: Option<String>,
    pub series_number: Option<i64>,
    pub series_description: Option<String>,
    pub sop_instance_uid: String,
    pub sop_class_uid: String,
    pub transfer_syntax_uid: String,
    pub instance_number: Option<i64>,
    pub slice_location: Option<f64>,
    pub rows: Option<i64>,
    pub columns: Option<i64>,
    pub frames: Option<i64>,
}

/// One instance offered to [`Store::import_study`]: where it came from (a
/// path, "PACS part 3") and either its identifiers and bytes or why it
/// could not be read.
#[derive(Debug)]
pub struct Incoming {
    pub source: String,
    pub read: std::result::Result<(InstanceMeta, Vec<u8>), String>,
}

/// What became of one offered instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "kebab-case")]
pub enum InstanceOutcome {
    Imported,
    /// An instance with the same SOP Instance UID is already stored; nothing changed.
    AlreadyPresent,
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkState {
    Linked,
    NeedsConfirmation,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Linked => "linked",
            LinkState::NeedsConfirmation => "needs-confirmation",
        }
    }

    fn parse(s: &str) -> LinkState {
        if s == "linked" {
            LinkState::Linked
        } else {
            LinkState::NeedsConfirmation
        }
    }
}

/// How one study's import went.
#[derive(Debug, Clone, Serialize)]
pub struct StudyImport {
    pub study_uid: String,
    /// Unset when no instance of the study could be stored.
    pub study_id: Option<String>,
    pub link_state: Option<LinkState>,
    /// Why the study waits for confirmation.
    pub link_issues: Vec<String>,
    pub outcomes: Vec<(String, InstanceOutcome)>,
}

/// A study in the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudySummary {
    pub id: String,
    pub study_uid: String,
    pub link_state: LinkState,
    pub link_issues: Vec<String>,
    /// The clinic's patient, once linked.
    pub patient_id: Option<String>,
    pub mrn: Option<String>,
    pub patient_name: Option<String>,
    pub dicom_patient_id: Option<String>,
    pub dicom_patient_name: Option<String>,
    pub dicom_birth_date: Option<String>,
    pub study_date: Option<String>,
    pub study_time: Option<String>,
    pub accession_number: Option<String>,
    pub description: Option<String>,
    pub modalities: Vec<String>,
    pub series: i64,
    pub instances: i64,
    pub bytes: i64,
    pub imported_at: i64,
}

/// One instance of a study, for the viewer's series strip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceRow {
    pub sop_instance_uid: String,
    pub sop_class_uid: String,
    pub instance_number: Option<i64>,
    pub slice_location: Option<f64>,
    pub rows: Option<i64>,
    pub columns: Option<i64>,
    pub frames: Option<i64>,
    pub transfer_syntax_uid: String,
    pub size: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesRow {
    pub series_uid: String,
    pub modality: Option<String>,
    pub series_number: Option<i64>,
    pub description: Option<String>,
    /// In instance number order, then slice location.
    pub instances: Vec<InstanceRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyDetail {
    pub study: StudySummary,
    pub series: Vec<SeriesRow>,
}

/// An instance's file, read back for the viewer.
#[derive(Debug, Clone)]
pub struct StoredInstance {
    pub sop_instance_uid: String,
    pub study_uid: String,
    pub patient_id: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct StudyFilter {
    /// The clinic patient's MRN: that patient's linked studies.
    pub patient_mrn: Option<String>,
    /// Only studies in this state.
    pub state: Option<LinkState>,
}

/// The Patient ID as the clinic writes MRNs (trimmed, upper case).
fn normal_mrn(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

/// A DICOM person name, `Family^Given^Middle^…`, as (family, given, middle),
/// from its alphabetic group (before any `=`).
fn name_parts(pn: &str) -> (String, String, String) {
    let alphabetic = pn.split('=').next().unwrap_or("");
    let mut parts = alphabetic.split('^').map(str::trim);
    let family = parts.next().unwrap_or("").to_string();
    let given = parts.next().unwrap_or("").to_string();
    let middle = parts.next().unwrap_or("").to_string();
    (family, given, middle)
}

/// The clinic patient a study's images name, and what does not agree.
struct LinkDecision {
    patient_id: Option<String>,
    issues: Vec<String>,
}

fn decide_link(conn: &rusqlite::Connection, meta: &InstanceMeta) -> Result<LinkDecision> {
    let unlinked = |issue: String| LinkDecision {
        patient_id: None,
        issues: vec![issue],
    };
    let Some(pid) = meta.patient_id.as_deref().filter(|p| !p.trim().is_empty()) else {
        return Ok(unlinked("the images carry no patient ID".into()));
    };
    let mrn = normal_mrn(pid);
    let id = match patient_id_by_mrn(conn, &mrn) {
        Ok(id) => id,
        // Shared by two patients until staff resolve it: link by hand.
        Err(StoreError::Conflict(why)) => return Ok(unlinked(why)),
        Err(e) => return Err(e),
    };
    let patient: Option<(String, String, String, String, String, String)> = conn
        .prepare_cached(
            "SELECT id, given_name, family_name, given_key, family_key, birth_date
             FROM patients WHERE id = ?1",
        )?
        .query_row([&id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .optional()?;
    let Some((id, given, family, given_key, family_key, birth_date)) = patient else {
        return Ok(unlinked(format!(
            "no patient has MRN {mrn} (the images' patient ID)"
        )));
    };
    let mut issues = Vec::new();
    match meta
        .patient_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        None => issues.push("the images carry no patient name".to_string()),
        Some(pn) => {
            let (f, g, m) = name_parts(pn);
            let family_ok = validate::search_key(&f) == family_key;
            let given_ok = validate::search_key(&g) == given_key
                || validate::search_key(&format!("{g}{m}")) == given_key;
            if !(family_ok && given_ok) {
                issues.push(format!(
                    "the name differs: the images say {pn}, the clinic has {family}, {given}"
                ));
            }
        }
    }
    match meta.birth_date.as_deref() {
        None => issues.push("the images carry no birth date".to_string()),
        Some(d) if d != birth_date => issues.push(format!(
            "the birth date differs: the images say {d}, the clinic has {birth_date}"
        )),
        Some(_) => {}
    }
    Ok(LinkDecision {
        patient_id: issues.is_empty().then_some(id),
        issues,
    })
}

/// The study row an import adds to.
struct StudyRow {
    id: String,
    patient_id: Option<String>,
    state: LinkState,
    issues: Vec<String>,
    dicom_patient_id: Option<String>,
}

fn load_study_row(conn: &rusqlite::Connection, study_uid: &str) -> Result<Option<StudyRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, patient_id, link_state, link_issues, dicom_patient_id
             FROM imaging_studies WHERE study_uid = ?1",
        )?
        .query_row([study_uid], |r| {
            Ok(StudyRow {
                id: r.get(0)?,
                patient_id: r.get(1)?,
                state: LinkState::parse(&r.get::<_, String>(2)?),
                issues: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                dicom_patient_id: r.get(4)?,
            })
        })
        .optional()?)
}

fn exists(conn: &rusqlite::Connection, sql: &str, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([key], |r| r.get::<_, i64>(0))
        .optional()?
        .is_some())
}

impl Tx<'_> {
    fn create_study(&mut self, meta: &InstanceMeta) -> Result<StudyRow> {
        let link = decide_link(self.conn(), meta)?;
        let state = if link.patient_id.is_some() {
            LinkState::Linked
        } else {
            LinkState::NeedsConfirmation
        };
        let id = new_id();
        let issues = serde_json::to_string(&link.issues).unwrap_or_else(|_| "[]".into());
        let now = self.now();
        let user = self.session().user_id.clone();
        self.conn()
            .prepare_cached(
                "INSERT INTO imaging_studies (id, study_uid, patient_id, link_state, link_issues,
                    dicom_patient_id, dicom_patient_name, dicom_birth_date, study_date, study_time,
                    accession_number, description, imported_at, imported_by, linked_at, linked_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(params![
                id,
                meta.study_uid,
                link.patient_id,
                state.as_str(),
                issues,
                meta.patient_id,
                meta.patient_name,
                meta.birth_date,
                meta.study_date,
                meta.study_time,
                meta.accession_number,
                meta.study_description,
                now,
                user,
                link.patient_id.as_ref().map(|_| now),
                link.patient_id.as_ref().map(|_| user.clone()),
            ])?;
        Ok(StudyRow {
            id,
            patient_id: link.patient_id,
            state,
            issues: link.issues,
            dicom_patient_id: meta.patient_id.clone(),
        })
    }

    /// The series' id, creating it under `study_id`; an error when the
    /// series UID already belongs to another study.
    fn series_id(&mut self, study_id: &str, meta: &InstanceMeta) -> Result<String> {
        let found: Option<(String, String)> = self
            .conn()
            .prepare_cached("SELECT id, study_id FROM imaging_series WHERE series_uid = ?1")?
            .query_row([&meta.series_uid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match found {
            Some((id, study)) if study == study_id => Ok(id),
            Some(_) => Err(StoreError::Conflict(format!(
                "its series {} is already stored under another study",
                meta.series_uid
            ))),
            None => {
                let id = new_id();
                self.conn()
                    .prepare_cached(
                        "INSERT INTO imaging_series (id, study_id, series_uid, modality, series_number, description)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute(params![
                        id,
                        study_id,
                        meta.series_uid,
                        meta.modality,
                        meta.series_number,
                        meta.series_description
                    ])?;
                Ok(id)
            }
        }
    }

    fn insert_instance(
        &mut self,
        series_id: &str,
        meta: &InstanceMeta,
        bytes: &[u8],
    ) -> Result<()> {
        let id = new_id();
        self.conn()
            .prepare_cached(
                "INSERT INTO imaging_instances (id, series_id, sop_instance_uid, sop_class_uid,
                    transfer_syntax_uid, instance_number, slice_location, rows, columns, frames,
                    size, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                id,
                series_id,
                meta.sop_instance_uid,
                meta.sop_class_uid,
                meta.transfer_syntax_uid,
                meta.instance_number,
                meta.slice_location,
                meta.rows,
                meta.columns,
                meta.frames,
                bytes.len() as i64,
                self.now(),
            ])?;
        self.conn()
            .prepare_cached("INSERT INTO imaging_files (instance_id, bytes) VALUES (?1, ?2)")?
            .execute(params![id, bytes])?;
        Ok(())
    }

    /// Stores one offered instance of `study`, or says why not. Database
    /// failures are errors (they end the whole study's transaction).
    fn import_one(
        &mut self,
        study_uid: &str,
        study: &mut Option<StudyRow>,
        meta: &InstanceMeta,
        bytes: &[u8],
    ) -> Result<InstanceOutcome> {
        if meta.study_uid != study_uid {
            return Ok(InstanceOutcome::Failed(format!(
                "it belongs to study {}, not {study_uid}",
                meta.study_uid
            )));
        }
        if exists(
            self.conn(),
            "SELECT 1 FROM imaging_instances WHERE sop_instance_uid = ?1",
            &meta.sop_instance_uid,
        )? {
            return Ok(InstanceOutcome::AlreadyPresent);
        }
        let row = match study {
            Some(row) => row,
            None => study.insert(self.create_study(meta)?),
        };
        let theirs = meta.patient_id.as_deref().map(normal_mrn);
        let ours = row.dicom_patient_id.as_deref().map(normal_mrn);
        if theirs != ours {
            return Ok(InstanceOutcome::Failed(format!(
                "it names patient ID {}, but study {study_uid} is stored for patient ID {}",
                theirs.as_deref().unwrap_or("(none)"),
                ours.as_deref().unwrap_or("(none)")
            )));
        }
        let study_id = row.id.clone();
        let series_id = match self.series_id(&study_id, meta) {
            Ok(id) => id,
            Err(StoreError::Conflict(why)) => return Ok(InstanceOutcome::Failed(why)),
            Err(e) => return Err(e),
        };
        self.insert_instance(&series_id, meta, bytes)?;
        Ok(InstanceOutcome::Imported)
    }
}

const SUMMARY_SQL: &str = "SELECT s.id, s.study_uid, s.link_state, s.link_issues, s.patient_id, p.mrn,
        CASE WHEN p.id IS NULL THEN NULL ELSE p.family_name || ', ' || p.given_name END,
        s.dicom_patient_id, s.dicom_patient_name, s.dicom_birth_date, s.study_date, s.study_time,
        s.accession_number, s.description, s.imported_at,
        (SELECT group_concat(DISTINCT se.modality) FROM imaging_series se WHERE se.study_id = s.id),
        (SELECT count(*) FROM imaging_series se WHERE se.study_id = s.id),
        (SELECT count(*) FROM imaging_instances i JOIN imaging_series se ON se.id = i.series_id WHERE se.study_id = s.id),
        (SELECT coalesce(sum(i.size), 0) FROM imaging_instances i JOIN imaging_series se ON se.id = i.series_id WHERE se.study_id = s.id)
    FROM imaging_studies s LEFT JOIN patients p ON p.id = s.patient_id";

fn read_summary(r: &rusqlite::Row) -> rusqlite::Result<StudySummary> {
    let mut modalities: Vec<String> = r
        .get::<_, Option<String>>(15)?
        .unwrap_or_default()
        .split(',')
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect();
    modalities.sort();
    Ok(StudySummary {
        id: r.get(0)?,
        study_uid: r.get(1)?,
        link_state: LinkState::parse(&r.get::<_, String>(2)?),
        link_issues: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
        patient_id: r.get(4)?,
        mrn: r.get(5)?,
        patient_name: r.get(6)?,
        dicom_patient_id: r.get(7)?,
        dicom_patient_name: r.get(8)?,
        dicom_birth_date: r.get(9)?,
        study_date: r.get(10)?,
        study_time: r.get(11)?,
        accession_number: r.get(12)?,
        description: r.get(13)?,
        imported_at: r.get(14)?,
        modalities,
        series: r.get(16)?,
        instances: r.get(17)?,
        bytes: r.get(18)?,
    })
}

fn load_summary(conn: &rusqlite::Connection, study_uid: &str) -> Result<StudySummary> {
    conn.prepare_cached(&format!("{SUMMARY_SQL} WHERE s.study_uid = ?1"))?
        .query_row([study_uid.trim()], read_summary)
        .optional()?
        .ok_or_else(|| StoreError::not_found("study", study_uid))
}

fn no_such_mrn(mrn: &str) -> StoreError {
    StoreError::Invalid(format!("no patient has MRN {mrn}"))
}

/// Listing studies is for whoever may view or import them: the front desk
/// imports a patient's CD and needs to see what is waiting for confirmation.
fn require_list(session: &Session) -> Result<()> {
    if session.can(Permission::ImagingImport) {
        Ok(())
    } else {
        session.require(Permission::ImagingRead)
    }
}

impl Store {
    /// Imports the offered instances of one study in one transaction:
    /// instances already stored are left alone, instances that cannot be
    /// stored are reported with the reason, and the rest are stored together
    /// with the study and series rows they need, or (on a database failure)
    /// nothing is. `on_each` is called after each instance, for progress.
    pub fn import_study(
        &mut self,
        session: &Session,
        study_uid: &str,
        instances: impl IntoIterator<Item = Incoming>,
        origin: &str,
        mut on_each: impl FnMut(&str, &InstanceOutcome),
    ) -> Result<StudyImport> {
        session.require(Permission::ImagingImport)?;
        self.write(session, |tx| {
            let mut study = load_study_row(tx.conn(), study_uid)?;
            let existed = study.is_some();
            let mut outcomes = Vec::new();
            for item in instances {
                let outcome = match &item.read {
                    Err(why) => InstanceOutcome::Failed(why.clone()),
                    Ok((meta, bytes)) => tx.import_one(study_uid, &mut study, meta, bytes)?,
                };
                on_each(&item.source, &outcome);
                outcomes.push((item.source, outcome));
            }
            let added = outcomes
                .iter()
                .filter(|(_, o)| *o == InstanceOutcome::Imported)
                .count();
            if let (Some(row), true) = (&study, added > 0) {
                let mut entry = Entry::new("imaging", "import")
                    .record(&row.id)
                    .detail(format!(
                        "study {study_uid}: {added} instance(s) from {origin}{}",
                        match (existed, row.state) {
                            (true, _) => "; added to a stored study".to_string(),
                            (false, LinkState::Linked) =>
                                "; linked by MRN, name and birth date".into(),
                            (false, LinkState::NeedsConfirmation) =>
                                format!("; needs confirmation: {}", row.issues.join("; ")),
                        }
                    ));
                if let Some(p) = &row.patient_id {
                    entry = entry.patient(p);
                }
                tx.audit(entry)?;
            }
            Ok(StudyImport {
                study_uid: study_uid.to_string(),
                study_id: study.as_ref().map(|s| s.id.clone()),
                link_state: study.as_ref().map(|s| s.state),
                link_issues: study.map(|s| s.issues).unwrap_or_default(),
                outcomes,
            })
        })
    }

    /// Whether an instance is stored; not PHI (a UID), so not audited. Lets
    /// a retrieve skip what is already here.
    pub fn has_instance(&self, sop_instance_uid: &str) -> Result<bool> {
        exists(
            self.conn(),
            "SELECT 1 FROM imaging_instances WHERE sop_instance_uid = ?1",
            sop_instance_uid.trim(),
        )
    }

    /// The stored studies, newest first; the view is audited with its
    /// filter and count.
    pub fn studies(
        &mut self,
        session: &Session,
        filter: &StudyFilter,
    ) -> Result<Vec<StudySummary>> {
        require_list(session)?;
        let mut patient = None;
        if let Some(m) = &filter.patient_mrn {
            let mrn = normal_mrn(m);
            let id = patient_id_by_mrn(self.conn(), &mrn)?.ok_or_else(|| no_such_mrn(&mrn))?;
            patient = Some((id, mrn));
        }
        let rows: Vec<StudySummary> = {
            let mut stmt = self.conn().prepare_cached(&format!(
                "{SUMMARY_SQL} WHERE (?1 IS NULL OR s.patient_id = ?1) AND (?2 IS NULL OR s.link_state = ?2)
                 ORDER BY s.study_date DESC, s.imported_at DESC"
            ))?;
            let rows = stmt.query_map(
                params![
                    patient.as_ref().map(|(id, _)| id),
                    filter.state.map(LinkState::as_str)
                ],
                read_summary,
            )?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let count = rows.len();
        self.write(session, |tx| {
            let mut detail = vec![format!("{count} studies")];
            if let Some((_, mrn)) = &patient {
                detail.push(format!("patient MRN {mrn}"));
            }
            if let Some(s) = filter.state {
                detail.push(format!("state {}", s.as_str()));
            }
            let mut entry = Entry::new("imaging", "list").detail(detail.join("; "));
            if let Some((id, _)) = &patient {
                entry = entry.patient(id);
            }
            tx.audit(entry)
        })?;
        Ok(rows)
    }

    /// One study with its series and instances, for the viewer; audited.
    pub fn study(&mut self, session: &Session, study_uid: &str) -> Result<StudyDetail> {
        session.require(Permission::ImagingRead)?;
        let study = load_summary(self.conn(), study_uid)?;
        let mut series: Vec<SeriesRow> = Vec::new();
        {
            let mut stmt = self.conn().prepare_cached(
                "SELECT se.series_uid, se.modality, se.series_number, se.description,
                        i.sop_instance_uid, i.sop_class_uid, i.instance_number, i.slice_location,
                        i.rows, i.columns, i.frames, i.transfer_syntax_uid, i.size
                 FROM imaging_series se JOIN imaging_instances i ON i.series_id = se.id
                 WHERE se.study_id = ?1
                 ORDER BY se.series_number, se.series_uid, i.instance_number, i.slice_location, i.sop_instance_uid",
            )?;
            let mut rows = stmt.query([&study.id])?;
            while let Some(r) = rows.next()? {
                let uid: String = r.get(0)?;
                if series.last().is_none_or(|s| s.series_uid != uid) {
                    series.push(SeriesRow {
                        series_uid: uid,
                        modality: r.get(1)?,
                        series_number: r.get(2)?,
                        description: r.get(3)?,
                        instances: Vec::new(),
                    });
                }
                if let Some(s) = series.last_mut() {
                    s.instances.push(InstanceRow {
                        sop_instance_uid: r.get(4)?,
                        sop_class_uid: r.get(5)?,
                        instance_number: r.get(6)?,
                        slice_location: r.get(7)?,
                        rows: r.get(8)?,
                        columns: r.get(9)?,
                        frames: r.get(10)?,
                        transfer_syntax_uid: r.get(11)?,
                        size: r.get(12)?,
                    });
                }
            }
        }
        self.write(session, |tx| {
            let mut entry = Entry::new("imaging", "read-study")
                .record(&study.id)
                .detail(format!("study {}", study.study_uid));
            if let Some(p) = &study.patient_id {
                entry = entry.patient(p);
            }
            tx.audit(entry)
        })?;
        Ok(StudyDetail { study, series })
    }

    /// An instance's DICOM file, for the viewer; the read is audited like
    /// any other PHI read.
    pub fn instance_file(
        &mut self,
        session: &Session,
        sop_instance_uid: &str,
    ) -> Result<StoredInstance> {
        session.require(Permission::ImagingRead)?;
        let uid = sop_instance_uid.trim();
        let found: Option<(String, String, Option<String>, Vec<u8>)> = self
            .conn()
            .prepare_cached(
                "SELECT i.id, s.study_uid, s.patient_id, f.bytes
                 FROM imaging_instances i
                 JOIN imaging_series se ON se.id = i.series_id
                 JOIN imaging_studies s ON s.id = se.study_id
                 JOIN imaging_files f ON f.instance_id = i.id
                 WHERE i.sop_instance_uid = ?1",
            )?
            .query_row([uid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let (id, study_uid, patient_id, bytes) =
            found.ok_or_else(|| StoreError::not_found("stored instance", uid))?;
        self.write(session, |tx| {
            let mut entry = Entry::new("imaging", "read")
                .record(&id)
                .detail(format!("instance {uid} of study {study_uid}"));
            if let Some(p) = &patient_id {
                entry = entry.patient(p);
            }
            tx.audit(entry)
        })?;
        Ok(StoredInstance {
            sop_instance_uid: uid.to_string(),
            study_uid,
            patient_id,
            bytes,
        })
    }

    /// Links a study waiting for confirmation to the patient with `mrn`
    /// (users who may link studies); the decision and the differences it
    /// accepted are audited. Confirming the patient a study is already
    /// linked to changes nothing; a study linked to someone else is refused.
    pub fn confirm_study(
        &mut self,
        session: &Session,
        study_uid: &str,
        mrn: &str,
    ) -> Result<StudySummary> {
        session.require(Permission::ImagingLink)?;
        let uid = study_uid.trim();
        let row =
            load_study_row(self.conn(), uid)?.ok_or_else(|| StoreError::not_found("study", uid))?;
        let mrn = validate::mrn(mrn).map_err(StoreError::Invalid)?;
        let patient_id = patient_id_by_mrn(self.conn(), &mrn)?.ok_or_else(|| no_such_mrn(&mrn))?;
        match (&row.patient_id, row.state) {
            (Some(p), LinkState::Linked) if *p == patient_id => {
                return load_summary(self.conn(), uid)
            }
            (Some(_), LinkState::Linked) => {
                return Err(StoreError::Conflict(format!(
                    "study {uid} is already linked to another patient; it was not changed"
                )))
            }
            _ => {}
        }
        self.write(session, |tx| {
            tx.conn()
                .prepare_cached(
                    "UPDATE imaging_studies SET patient_id = ?2, link_state = 'linked', linked_at = ?3, linked_by = ?4
                     WHERE id = ?1",
                )?
                .execute(params![row.id, patient_id, tx.now(), tx.session().user_id])?;
            tx.audit(
                Entry::new("imaging", "link")
                    .patient(&patient_id)
                    .record(&row.id)
                    .detail(format!(
                        "study {uid} confirmed for MRN {mrn}; accepted: {}",
                        if row.issues.is_empty() {
                            "no differences".to_string()
                        } else {
                            row.issues.join("; ")
                        }
                    )),
            )
        })?;
        load_summary(self.conn(), uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_names_split_at_carets_and_ignore_ideographic_groups() {
        assert_eq!(
            name_parts("Lovelace^Ada^King^^"),
            ("Lovelace".into(), "Ada".into(), "King".into())
        );
        assert_eq!(
            name_parts("Yamada^Tarou=山田^太郎"),
            ("Yamada".into(), "Tarou".into(), String::new())
        );
        assert_eq!(
            name_parts(""),
            (String::new(), String::new(), String::new())
        );
    }
}
