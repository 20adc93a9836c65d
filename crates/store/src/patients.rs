//! Patients, their insurance coverages, and patient search.

use crate::audit::Entry;
use crate::error::{OrInvalid, Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::write::{int, new_id, opt_text, text, Fields, Tx};
use clinicdesk_domain::validate::{self, Relationship, Sex};
use clinicdesk_domain::Permission;
use rand::Rng;
use rusqlite::OptionalExtension;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Patient {
    pub id: String,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    pub sex: Sex,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub active: bool,
    /// Empty unless the reader may see coverage.
    pub coverages: Vec<Coverage>,
}

impl Patient {
    pub fn display_name(&self) -> String {
        format!("{}, {}", self.family_name, self.given_name)
    }
}

/// The fields of a patient as entered; `mrn` is assigned when left empty.
#[derive(Debug, Clone, Default)]
pub struct PatientInput {
    pub mrn: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    pub sex: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PatientSummary {
    pub id: String,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    pub sex: Sex,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Coverage {
    pub id: String,
    pub patient_id: String,
    pub priority: i64,
    pub payer_name: String,
    pub payer_id: String,
    pub member_id: String,
    pub group_number: Option<String>,
    pub subscriber_name: String,
    pub relationship: Relationship,
    pub active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct CoverageInput {
    pub priority: i64,
    pub payer_name: String,
    pub payer_id: String,
    pub member_id: String,
    pub group_number: Option<String>,
    /// Defaults to the patient when the relationship is "self".
    pub subscriber_name: Option<String>,
    pub relationship: Option<String>,
}

/// A checked patient, ready to write.
struct CleanPatient {
    fields: Fields,
    mrn: Option<String>,
}

fn clean(p: &PatientInput, today: chrono::NaiveDate) -> Result<CleanPatient> {
    let given = validate::name("given name", &p.given_name).or_invalid()?;
    let family = validate::name("family name", &p.family_name).or_invalid()?;
    let dob = validate::birth_date(&p.birth_date, today).or_invalid()?;
    let sex: Sex = p.sex.as_deref().unwrap_or("unknown").parse().or_invalid()?;
    let phone = p
        .phone
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(validate::phone)
        .transpose()
        .or_invalid()?;
    let email = p
        .email
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(validate::email)
        .transpose()
        .or_invalid()?;
    let mrn = p
        .mrn
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(validate::mrn)
        .transpose()
        .or_invalid()?;
    let field =
        |name: &str, v: &Option<String>, max| validate::text(name, v.as_deref(), max).or_invalid();
    Ok(CleanPatient {
        mrn,
        fields: vec![
            ("given_name", text(&given)),
            ("family_name", text(&family)),
            ("given_key", text(validate::search_key(&given))),
            ("family_key", text(validate::search_key(&family))),
            ("birth_date", text(dob.to_string())),
            ("sex", text(sex.as_str())),
            (
                "phone_digits",
                opt_text(phone.as_deref().map(validate::phone_digits)),
            ),
            ("phone", opt_text(phone)),
            ("email", opt_text(email)),
            (
                "address_line",
                opt_text(field("address", &p.address_line, 200)?),
            ),
            ("city", opt_text(field("city", &p.city, 100)?)),
            ("state", opt_text(field("state", &p.state, 50)?)),
            (
                "postal_code",
                opt_text(field("postal code", &p.postal_code, 20)?),
            ),
            ("country", opt_text(field("country", &p.country, 60)?)),
        ],
    })
}

const PATIENT_COLS: &str = "id, mrn, given_name, family_name, birth_date, sex, phone, email, address_line, city, state, postal_code, country, active";
const SUMMARY_COLS: &str = "id, mrn, given_name, family_name, birth_date, sex, phone";
const COVERAGE_COLS: &str =
    "id, patient_id, priority, payer_name, payer_id, member_id, group_number, subscriber_name, relationship, active";

fn read_patient(r: &rusqlite::Row) -> rusqlite::Result<Patient> {
    Ok(Patient {
        id: r.get(0)?,
        mrn: r.get(1)?,
        given_name: r.get(2)?,
        family_name: r.get(3)?,
        birth_date: r.get(4)?,
        sex: r.get::<_, String>(5)?.parse().unwrap_or(Sex::Unknown),
        phone: r.get(6)?,
        email: r.get(7)?,
        address_line: r.get(8)?,
        city: r.get(9)?,
        state: r.get(10)?,
        postal_code: r.get(11)?,
        country: r.get(12)?,
        active: r.get(13)?,
        coverages: Vec::new(),
    })
}

fn read_summary(r: &rusqlite::Row) -> rusqlite::Result<PatientSummary> {
    Ok(PatientSummary {
        id: r.get(0)?,
        mrn: r.get(1)?,
        given_name: r.get(2)?,
        family_name: r.get(3)?,
        birth_date: r.get(4)?,
        sex: r.get::<_, String>(5)?.parse().unwrap_or(Sex::Unknown),
        phone: r.get(6)?,
    })
}

fn read_coverage(r: &rusqlite::Row) -> rusqlite::Result<Coverage> {
    Ok(Coverage {
        id: r.get(0)?,
        patient_id: r.get(1)?,
        priority: r.get(2)?,
        payer_name: r.get(3)?,
        payer_id: r.get(4)?,
        member_id: r.get(5)?,
        group_number: r.get(6)?,
        subscriber_name: r.get(7)?,
        relationship: r
            .get::<_, String>(8)?
            .parse()
            .unwrap_or(Relationship::Other),
        active: r.get(9)?,
    })
}

pub(crate) fn load_patient(conn: &rusqlite::Connection, id: &str) -> Result<Patient> {
    conn.prepare_cached(&format!(
        "SELECT {PATIENT_COLS} FROM patients WHERE id = ?1"
    ))?
    .query_row([id], read_patient)
    .optional()?
    .ok_or_else(|| StoreError::not_found("patient", id))
}

/// The patient with `mrn`, if any. Two patients registered offline on
/// different computers may share one until staff resolve the conflict;
/// then the MRN names nobody for certain, and saying so beats guessing.
pub(crate) fn patient_id_by_mrn(conn: &rusqlite::Connection, mrn: &str) -> Result<Option<String>> {
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id FROM patients WHERE mrn = ?1 ORDER BY id LIMIT 2")?
        .query_map([mrn], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    match ids.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ => Err(StoreError::Conflict(format!(
            "MRN {mrn} belongs to more than one patient (registered on different computers while offline); give one of them another MRN under Conflicts, or use the patient's record"
        ))),
    }
}

fn mrn_taken(conn: &rusqlite::Connection, mrn: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM patients WHERE mrn = ?1)")?
        .query_row([mrn], |r| r.get(0))?)
}

impl Tx<'_> {
    /// Registers a patient inside a larger transaction (imports, the demo clinic).
    pub fn add_patient(&mut self, p: &PatientInput) -> Result<String> {
        self.session().require(Permission::PatientWrite)?;
        let today = self.zone().today();
        let clean = clean(p, today)?;
        let mrn = match clean.mrn {
            Some(m) => {
                if mrn_taken(self.conn(), &m)? {
                    return Err(StoreError::Conflict(format!(
                        "MRN {m} already belongs to another patient"
                    )));
                }
                m
            }
            None => loop {
                let m = format!("CD{:08}", rand::thread_rng().gen_range(0..100_000_000u32));
                if !mrn_taken(self.conn(), &m)? {
                    break m;
                }
            },
        };
        let id = new_id();
        let mut fields = clean.fields;
        fields.insert(0, ("mrn", text(&mrn)));
        fields.push(("active", int(1)));
        fields.push(("created_at", int(self.now())));
        fields.push(("updated_at", int(self.now())));
        self.insert("patients", &id, fields)?;
        self.audit(
            Entry::new("demographics", "create")
                .patient(&id)
                .record(&id),
        )?;
        Ok(id)
    }

    pub fn add_coverage(&mut self, patient_id: &str, c: &CoverageInput) -> Result<String> {
        self.session().require(Permission::CoverageWrite)?;
        let patient = load_patient(self.conn(), patient_id)?;
        if !(1..=3).contains(&c.priority) {
            return Err(StoreError::invalid(
                "coverage priority is 1 (primary), 2 (secondary) or 3 (tertiary)",
            ));
        }
        let code = |field: &str, v: &str| -> Result<String> {
            let t = v.trim();
            if t.is_empty()
                || t.len() > 80
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_ .".contains(c))
            {
                Err(StoreError::invalid(format!(
                    "{field} '{v}' must be 1 to 80 letters or digits"
                )))
            } else {
                Ok(t.to_string())
            }
        };
        let payer_name = validate::name("payer name", &c.payer_name).or_invalid()?;
        let payer_id = code("payer id", &c.payer_id)?;
        let member_id = code("member id", &c.member_id)?;
        let group = c
            .group_number
            .as_deref()
            .filter(|g| !g.trim().is_empty())
            .map(|g| code("group number", g))
            .transpose()?;
        let relationship: Relationship = c
            .relationship
            .as_deref()
            .unwrap_or("self")
            .parse()
            .or_invalid()?;
        let subscriber = match (&c.subscriber_name, relationship) {
            (Some(s), _) => validate::name("subscriber name", s).or_invalid()?,
            (None, Relationship::SelfInsured) => {
                format!("{} {}", patient.given_name, patient.family_name)
            }
            (None, _) => {
                return Err(StoreError::invalid(
                    "the subscriber's name is required when the patient is not the subscriber",
                ))
            }
        };
        let existing: Option<String> = self
            .conn()
            .query_row(
                "SELECT payer_name FROM coverages WHERE patient_id = ?1 AND priority = ?2 AND active = 1",
                (patient_id, c.priority),
                |r| r.get(0),
            )
            .optional()?;
        if let Some(payer) = existing {
            return Err(StoreError::Conflict(format!(
                "{} already has an active coverage at priority {} ({payer}); end it first",
                patient.display_name(),
                c.priority
            )));
        }
        let id = new_id();
        self.insert(
            "coverages",
            &id,
            vec![
                ("patient_id", text(patient_id)),
                ("priority", int(c.priority)),
                ("payer_name", text(payer_name)),
                ("payer_id", text(payer_id)),
                ("member_id", text(member_id)),
                ("group_number", opt_text(group)),
                ("subscriber_name", text(subscriber)),
                ("relationship", text(relationship.as_str())),
                ("active", int(1)),
            ],
        )?;
        self.audit(
            Entry::new("coverage", "create")
                .patient(patient_id)
                .record(&id),
        )?;
        Ok(id)
    }
}

impl Store {
    pub fn add_patient(&mut self, session: &Session, p: &PatientInput) -> Result<Patient> {
        let id = self.write(session, |tx| tx.add_patient(p))?;
        load_patient(self.conn(), &id)
    }

    /// Opens a patient's record; the read is audited.
    pub fn patient(&mut self, session: &Session, id: &str) -> Result<Patient> {
        session.require(Permission::PatientRead)?;
        let mut p = load_patient(self.conn(), id)?;
        let with_coverage = session.can(Permission::CoverageRead);
        if with_coverage {
            p.coverages = self.coverages_of(id)?;
        }
        self.write(session, |tx| {
            tx.audit(
                Entry::new("demographics", "read")
                    .patient(id)
                    .record(id)
                    .detail(if with_coverage { "with coverage" } else { "" }),
            )
        })?;
        Ok(p)
    }

    /// By id or MRN.
    pub fn find_patient(&mut self, session: &Session, key: &str) -> Result<Patient> {
        let id = match load_patient(self.conn(), key) {
            Ok(p) => p.id,
            Err(_) => patient_id_by_mrn(self.conn(), &key.trim().to_ascii_uppercase())?
                .ok_or_else(|| StoreError::not_found("patient", key))?,
        };
        self.patient(session, &id)
    }

    pub fn update_patient(
        &mut self,
        session: &Session,
        id: &str,
        p: &PatientInput,
    ) -> Result<Patient> {
        session.require(Permission::PatientWrite)?;
        let before = load_patient(self.conn(), id)?;
        let clean = clean(p, self.zone().today())?;
        let mut changed: Fields = Vec::new();
        {
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT {} FROM patients WHERE id = ?1",
                clean
                    .fields
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?;
            let old: Vec<rusqlite::types::Value> = stmt.query_row([id], |r| {
                (0..clean.fields.len())
                    .map(|i| r.get(i))
                    .collect::<rusqlite::Result<Vec<_>>>()
            })?;
            for ((col, new), old) in clean.fields.into_iter().zip(old) {
                if new != old {
                    changed.push((col, new));
                }
            }
        }
        if let Some(m) = clean.mrn.filter(|m| *m != before.mrn) {
            if mrn_taken(self.conn(), &m)? {
                return Err(StoreError::Conflict(format!(
                    "MRN {m} already belongs to another patient"
                )));
            }
            changed.push(("mrn", text(m)));
        }
        if !changed.is_empty() {
            let names: Vec<&str> = changed
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| !c.ends_with("_key") && *c != "phone_digits")
                .collect();
            self.write(session, |tx| {
                changed.push(("updated_at", int(tx.now())));
                tx.update("patients", id, changed)?;
                tx.audit(
                    Entry::new("demographics", "update")
                        .patient(id)
                        .record(id)
                        .detail(names.join(", ")),
                )
            })?;
        }
        self.patient(session, id)
    }

    pub fn add_coverage(
        &mut self,
        session: &Session,
        patient_id: &str,
        c: &CoverageInput,
    ) -> Result<Coverage> {
        let id = self.write(session, |tx| tx.add_coverage(patient_id, c))?;
        Ok(self.conn().query_row(
            &format!("SELECT {COVERAGE_COLS} FROM coverages WHERE id = ?1"),
            [&id],
            read_coverage,
        )?)
    }

    pub fn end_coverage(&mut self, session: &Session, coverage_id: &str) -> Result<()> {
        session.require(Permission::CoverageWrite)?;
        let c = self
            .conn()
            .query_row(
                &format!("SELECT {COVERAGE_COLS} FROM coverages WHERE id = ?1"),
                [coverage_id],
                read_coverage,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("coverage", coverage_id))?;
        self.write(session, |tx| {
            tx.update("coverages", coverage_id, vec![("active", int(0))])?;
            tx.audit(
                Entry::new("coverage", "end")
                    .patient(&c.patient_id)
                    .record(coverage_id),
            )
        })
    }

    pub(crate) fn coverages_of(&self, patient_id: &str) -> Result<Vec<Coverage>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COVERAGE_COLS} FROM coverages WHERE patient_id = ?1 ORDER BY active DESC, priority"
        ))?;
        let v = stmt
            .query_map([patient_id], read_coverage)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Finds patients by name prefix ("Lovelace", "Love, Ad", "Ada Love"),
    /// date of birth (1815-12-10 or 12/10/1815), MRN or phone number.
    pub fn search_patients(
        &mut self,
        session: &Session,
        query: &str,
        limit: usize,
    ) -> Result<Vec<PatientSummary>> {
        session.require(Permission::PatientRead)?;
        let limit = limit.clamp(1, 200);
        let found = search(self.conn(), query, limit)?;
        let n = found.len();
        self.write(session, |tx| {
            tx.audit(Entry::new("demographics", "search").detail(format!("{n} found")))
        })?;
        Ok(found)
    }
}

fn search(conn: &rusqlite::Connection, query: &str, limit: usize) -> Result<Vec<PatientSummary>> {
    let q = query.trim();
    if q.is_empty() {
        return Err(StoreError::invalid(
            "type part of a name, a date of birth, an MRN or a phone number",
        ));
    }
    let mut out: Vec<PatientSummary> = Vec::new();
    let push_all =
        |out: &mut Vec<PatientSummary>, sql: &str, params: &[&dyn rusqlite::ToSql]| -> Result<()> {
            let mut stmt = conn.prepare_cached(sql)?;
            for row in stmt.query_map(params, read_summary)? {
                let row = row?;
                if out.len() < limit && !out.iter().any(|p| p.id == row.id) {
                    out.push(row);
                }
            }
            Ok(())
        };
    let lim = limit as i64;
    if let Some(dob) = as_date(q) {
        push_all(
            &mut out,
            &format!("SELECT {SUMMARY_COLS} FROM patients WHERE birth_date = ?1 ORDER BY family_key, given_key LIMIT ?2"),
            &[&dob, &lim],
        )?;
        return Ok(out);
    }
    let digits = validate::phone_digits(q);
    if q.chars().any(|c| c.is_ascii_digit()) {
        push_all(
            &mut out,
            &format!("SELECT {SUMMARY_COLS} FROM patients WHERE mrn = ?1"),
            &[&q.to_ascii_uppercase()],
        )?;
        if digits.len() >= 7
            && q.chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            let with_country = format!("1{digits}");
            push_all(
                &mut out,
                &format!("SELECT {SUMMARY_COLS} FROM patients WHERE phone_digits IN (?1, ?2) ORDER BY family_key LIMIT ?3"),
                &[&digits, &with_country, &lim],
            )?;
        }
        return Ok(out);
    }
    // Names: "family, given" is explicit; otherwise try every reading.
    let by_family = format!(
        "SELECT {SUMMARY_COLS} FROM patients WHERE family_key GLOB ?1 AND given_key GLOB ?2 ORDER BY family_key, given_key LIMIT ?3"
    );
    let by_given = format!(
        "SELECT {SUMMARY_COLS} FROM patients WHERE given_key GLOB ?1 AND family_key GLOB ?2 ORDER BY given_key, family_key LIMIT ?3"
    );
    let glob = |s: &str| format!("{}*", validate::search_key(s));
    if let Some((family, given)) = q.split_once(',') {
        push_all(&mut out, &by_family, &[&glob(family), &glob(given), &lim])?;
        return Ok(out);
    }
    let words: Vec<&str> = q.split_whitespace().collect();
    match words.as_slice() {
        [one] => {
            push_all(&mut out, &by_family, &[&glob(one), &"*", &lim])?;
            push_all(&mut out, &by_given, &[&glob(one), &"*", &lim])?;
        }
        [first, rest @ ..] => {
            let last = rest.join(" ");
            push_all(&mut out, &by_family, &[&glob(&last), &glob(first), &lim])?;
            push_all(&mut out, &by_family, &[&glob(first), &glob(&last), &lim])?;
        }
        [] => {}
    }
    Ok(out)
}

fn as_date(q: &str) -> Option<String> {
    use chrono::NaiveDate;
    NaiveDate::parse_from_str(q, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(q, "%m/%d/%Y"))
        .ok()
        .map(|d| d.to_string())
}
