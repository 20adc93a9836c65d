//! Encounters and clinical notes. A note is a draft until signed; a signed
//! note never changes (the schema refuses it too), corrections are addenda.

use crate::audit::Entry;
use crate::booking::load_appointment;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::write::{int, new_id, opt_text, text, Tx};
use clinicdesk_domain::validate::NoteFormat;
use clinicdesk_domain::{AppointmentStatus, Permission};
use rusqlite::OptionalExtension;
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Encounter {
    pub id: String,
    pub patient_id: String,
    pub provider_id: String,
    pub location_id: Option<String>,
    pub appointment_id: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct AdHocEncounter {
    pub patient_id: String,
    pub provider_id: String,
    pub location_id: Option<String>,
    pub reason: Option<String>,
}

/// The sections of a note. SOAP notes use the four sections, bullet notes `body`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct NoteContent {
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
    pub body: String,
}

impl NoteContent {
    fn is_empty(&self) -> bool {
        [
            &self.subjective,
            &self.objective,
            &self.assessment,
            &self.plan,
            &self.body,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }

    fn hash(&self, format: NoteFormat) -> String {
        let doc = serde_json::json!([
            format.as_str(),
            self.subjective,
            self.objective,
            self.assessment,
            self.plan,
            self.body
        ]);
        hex::encode(Sha256::digest(doc.to_string().as_bytes()))
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Note {
    pub id: String,
    pub encounter_id: String,
    pub patient_id: String,
    pub author_id: String,
    pub format: NoteFormat,
    pub content: NoteContent,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub signed_at: Option<i64>,
    pub signed_by: Option<String>,
    /// SHA-256 of the signed content, so a copy can be checked against it.
    pub content_hash: Option<String>,
    pub addenda: Vec<Addendum>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Addendum {
    pub id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: i64,
}

const ENCOUNTER_COLS: &str = "id, patient_id, provider_id, location_id, appointment_id, status, reason, started_at, ended_at";
const NOTE_COLS: &str = "id, encounter_id, patient_id, author_id, format, subjective, objective, assessment, plan, body, status, created_at, updated_at, signed_at, signed_by, content_hash";
const MAX_SECTION: usize = 100_000;

fn read_encounter(r: &rusqlite::Row) -> rusqlite::Result<Encounter> {
    Ok(Encounter {
        id: r.get(0)?,
        patient_id: r.get(1)?,
        provider_id: r.get(2)?,
        location_id: r.get(3)?,
        appointment_id: r.get(4)?,
        status: r.get(5)?,
        reason: r.get(6)?,
        started_at: r.get(7)?,
        ended_at: r.get(8)?,
    })
}

fn read_note(r: &rusqlite::Row) -> rusqlite::Result<Note> {
    Ok(Note {
        id: r.get(0)?,
        encounter_id: r.get(1)?,
        patient_id: r.get(2)?,
        author_id: r.get(3)?,
        format: r.get::<_, String>(4)?.parse().unwrap_or(NoteFormat::Soap),
        content: NoteContent {
            subjective: r.get(5)?,
            objective: r.get(6)?,
            assessment: r.get(7)?,
            plan: r.get(8)?,
            body: r.get(9)?,
        },
        status: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
        signed_at: r.get(13)?,
        signed_by: r.get(14)?,
        content_hash: r.get(15)?,
        addenda: Vec::new(),
    })
}

pub(crate) fn load_encounter(conn: &rusqlite::Connection, id: &str) -> Result<Encounter> {
    conn.query_row(
        &format!("SELECT {ENCOUNTER_COLS} FROM encounters WHERE id = ?1"),
        [id],
        read_encounter,
    )
    .optional()?
    .ok_or_else(|| StoreError::not_found("encounter", id))
}

fn load_note(conn: &rusqlite::Connection, id: &str) -> Result<Note> {
    let mut note = conn
        .query_row(
            &format!("SELECT {NOTE_COLS} FROM notes WHERE id = ?1"),
            [id],
            read_note,
        )
        .optional()?
        .ok_or_else(|| StoreError::not_found("note", id))?;
    let mut stmt = conn.prepare_cached("SELECT id, author_id, body, created_at FROM note_addenda WHERE note_id = ?1 ORDER BY created_at, rowid")?;
    note.addenda = stmt
        .query_map([id], |r| {
            Ok(Addendum {
                id: r.get(0)?,
                author_id: r.get(1)?,
                body: r.get(2)?,
                created_at: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(note)
}

fn check_sections(c: &NoteContent) -> Result<()> {
    for (name, s) in [
        ("subjective", &c.subjective),
        ("objective", &c.objective),
        ("assessment", &c.assessment),
        ("plan", &c.plan),
        ("body", &c.body),
    ] {
        if s.len() > MAX_SECTION {
            return Err(StoreError::invalid(format!(
                "the {name} section is longer than {MAX_SECTION} characters"
            )));
        }
    }
    Ok(())
}

impl Tx<'_> {
    /// Opens (or returns the already open) encounter of a checked-in appointment.
    pub fn open_encounter(&mut self, appointment_id: &str) -> Result<String> {
        self.session().require(Permission::EncounterOpen)?;
        let existing: Option<String> = self
            .conn()
            .query_row(
                "SELECT id FROM encounters WHERE appointment_id = ?1",
                [appointment_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let a = load_appointment(self.conn(), appointment_id)?;
        use AppointmentStatus::*;
        if !matches!(a.status, Arrived | Roomed | WithProvider | Completed) {
            return Err(StoreError::Transition(format!(
                "the patient has not been checked in (the appointment is {})",
                a.status.label().to_lowercase()
            )));
        }
        let id = new_id();
        self.insert(
            "encounters",
            &id,
            vec![
                ("patient_id", text(&a.patient_id)),
                ("provider_id", text(&a.provider_id)),
                ("location_id", text(&a.location_id)),
                ("appointment_id", text(appointment_id)),
                ("status", text("in-progress")),
                ("reason", opt_text(a.reason.clone())),
                ("started_at", int(self.now())),
            ],
        )?;
        self.audit(
            Entry::new("encounter", "create")
                .patient(&a.patient_id)
                .record(&id),
        )?;
        Ok(id)
    }

    pub fn open_ad_hoc_encounter(&mut self, e: &AdHocEncounter) -> Result<String> {
        self.session().require(Permission::EncounterOpen)?;
        crate::patients::load_patient(self.conn(), &e.patient_id)?;
        let provider_ok: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM providers WHERE id = ?1)",
            [&e.provider_id],
            |r| r.get(0),
        )?;
        if !provider_ok {
            return Err(StoreError::not_found("provider", &e.provider_id));
        }
        let reason = clinicdesk_domain::validate::text("reason", e.reason.as_deref(), 500)
            .map_err(StoreError::Invalid)?;
        let id = new_id();
        self.insert(
            "encounters",
            &id,
            vec![
                ("patient_id", text(&e.patient_id)),
                ("provider_id", text(&e.provider_id)),
                ("location_id", opt_text(e.location_id.clone())),
                ("status", text("in-progress")),
                ("reason", opt_text(reason)),
                ("started_at", int(self.now())),
            ],
        )?;
        self.audit(
            Entry::new("encounter", "create")
                .patient(&e.patient_id)
                .record(&id)
                .detail("ad hoc"),
        )?;
        Ok(id)
    }

    /// Creates the draft note of an encounter, or saves over the caller's draft.
    pub fn save_draft(
        &mut self,
        encounter_id: &str,
        note_id: Option<&str>,
        format: NoteFormat,
        content: &NoteContent,
    ) -> Result<String> {
        self.session().require(Permission::NoteWrite)?;
        check_sections(content)?;
        let enc = load_encounter(self.conn(), encounter_id)?;
        let fields = vec![
            ("format", text(format.as_str())),
            ("subjective", text(&content.subjective)),
            ("objective", text(&content.objective)),
            ("assessment", text(&content.assessment)),
            ("plan", text(&content.plan)),
            ("body", text(&content.body)),
            ("updated_at", int(self.now())),
        ];
        let id = match note_id {
            Some(id) => {
                let note = load_note(self.conn(), id)?;
                if note.encounter_id != encounter_id {
                    return Err(StoreError::invalid(
                        "that note belongs to another encounter",
                    ));
                }
                if note.status == "signed" {
                    return Err(StoreError::Transition(
                        "the note is signed and cannot change; add an addendum instead".into(),
                    ));
                }
                self.update("notes", id, fields)?;
                id.to_string()
            }
            None => {
                let id = new_id();
                let mut f = fields;
                f.extend([
                    ("encounter_id", text(encounter_id)),
                    ("patient_id", text(&enc.patient_id)),
                    ("author_id", text(&self.session().user_id)),
                    ("status", text("draft")),
                    ("created_at", int(self.now())),
                ]);
                self.insert("notes", &id, f)?;
                id
            }
        };
        self.audit(
            Entry::new("note", "write")
                .patient(&enc.patient_id)
                .record(&id),
        )?;
        Ok(id)
    }

    pub fn sign_note(&mut self, note_id: &str) -> Result<()> {
        self.session().require(Permission::NoteSign)?;
        let note = load_note(self.conn(), note_id)?;
        if note.status == "signed" {
            return Err(StoreError::Transition("the note is already signed".into()));
        }
        if note.content.is_empty() {
            return Err(StoreError::invalid("an empty note cannot be signed"));
        }
        let hash = note.content.hash(note.format);
        self.update(
            "notes",
            note_id,
            vec![
                ("status", text("signed")),
                ("signed_at", int(self.now())),
                ("signed_by", text(&self.session().user_id)),
                ("content_hash", text(hash)),
            ],
        )?;
        self.audit(
            Entry::new("note", "sign")
                .patient(&note.patient_id)
                .record(note_id),
        )?;
        crate::dictations::on_note_signed(self, &note.encounter_id)
    }

    pub fn add_addendum(&mut self, note_id: &str, body: &str) -> Result<String> {
        self.session().require(Permission::NoteWrite)?;
        let note = load_note(self.conn(), note_id)?;
        if note.status != "signed" {
            return Err(StoreError::Transition(
                "the note is still a draft; edit it instead of adding an addendum".into(),
            ));
        }
        let body = body.trim();
        if body.is_empty() {
            return Err(StoreError::invalid("an addendum needs some text"));
        }
        if body.len() > MAX_SECTION {
            return Err(StoreError::invalid(format!(
                "an addendum is at most {MAX_SECTION} characters"
            )));
        }
        let id = new_id();
        self.insert(
            "note_addenda",
            &id,
            vec![
                ("note_id", text(note_id)),
                ("author_id", text(&self.session().user_id)),
                ("body", text(body)),
                ("created_at", int(self.now())),
            ],
        )?;
        self.audit(
            Entry::new("note", "addendum")
                .patient(&note.patient_id)
                .record(&id),
        )?;
        Ok(id)
    }
}

impl Store {
    pub fn open_encounter(&mut self, session: &Session, appointment_id: &str) -> Result<Encounter> {
        let id = self.write(session, |tx| tx.open_encounter(appointment_id))?;
        load_encounter(self.conn(), &id)
    }

    pub fn open_ad_hoc_encounter(
        &mut self,
        session: &Session,
        e: &AdHocEncounter,
    ) -> Result<Encounter> {
        let id = self.write(session, |tx| tx.open_ad_hoc_encounter(e))?;
        load_encounter(self.conn(), &id)
    }

    pub fn encounter(&mut self, session: &Session, id: &str) -> Result<Encounter> {
        session.require(Permission::EncounterRead)?;
        let e = load_encounter(self.conn(), id)?;
        self.write(session, |tx| {
            tx.audit(
                Entry::new("encounter", "read")
                    .patient(&e.patient_id)
                    .record(id),
            )
        })?;
        Ok(e)
    }

    pub fn finish_encounter(&mut self, session: &Session, id: &str) -> Result<Encounter> {
        session.require(Permission::EncounterOpen)?;
        let e = load_encounter(self.conn(), id)?;
        if e.status != "in-progress" {
            return Err(StoreError::Transition(format!(
                "the encounter is already {}",
                e.status
            )));
        }
        self.write(session, |tx| {
            tx.update(
                "encounters",
                id,
                vec![("status", text("finished")), ("ended_at", int(tx.now()))],
            )?;
            tx.audit(
                Entry::new("encounter", "finish")
                    .patient(&e.patient_id)
                    .record(id),
            )
        })?;
        load_encounter(self.conn(), id)
    }

    pub fn save_draft(
        &mut self,
        session: &Session,
        encounter_id: &str,
        note_id: Option<&str>,
        format: NoteFormat,
        content: &NoteContent,
    ) -> Result<Note> {
        let id = self.write(session, |tx| {
            tx.save_draft(encounter_id, note_id, format, content)
        })?;
        load_note(self.conn(), &id)
    }

    pub fn sign_note(&mut self, session: &Session, note_id: &str) -> Result<Note> {
        self.write(session, |tx| tx.sign_note(note_id))?;
        load_note(self.conn(), note_id)
    }

    pub fn add_addendum(&mut self, session: &Session, note_id: &str, body: &str) -> Result<Note> {
        self.write(session, |tx| tx.add_addendum(note_id, body))?;
        load_note(self.conn(), note_id)
    }

    /// A note with its addenda; reading a note body is audited.
    pub fn note(&mut self, session: &Session, note_id: &str) -> Result<Note> {
        session.require(Permission::NoteRead)?;
        let note = load_note(self.conn(), note_id)?;
        self.write(session, |tx| {
            tx.audit(
                Entry::new("note", "read")
                    .patient(&note.patient_id)
                    .record(note_id),
            )
        })?;
        Ok(note)
    }

    /// The notes of an encounter, without their bodies unless the reader may see them.
    pub fn encounter_notes(&mut self, session: &Session, encounter_id: &str) -> Result<Vec<Note>> {
        session.require(Permission::NoteRead)?;
        let e = load_encounter(self.conn(), encounter_id)?;
        let ids: Vec<String> = {
            let mut stmt = self
                .conn()
                .prepare("SELECT id FROM notes WHERE encounter_id = ?1 ORDER BY created_at")?;
            let v = stmt
                .query_map([encounter_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            v
        };
        let notes = ids
            .iter()
            .map(|id| load_note(self.conn(), id))
            .collect::<Result<Vec<_>>>()?;
        self.write(session, |tx| {
            tx.audit(
                Entry::new("note", "read")
                    .patient(&e.patient_id)
                    .record(encounter_id)
                    .detail(format!("{} notes", notes.len())),
            )
        })?;
        Ok(notes)
    }
}
