//! Dictations: the audio a physician recorded or imported for an
//! encounter and the text the scribe heard, kept in the encrypted store on
//! this desktop only. Audio and text are written piece by piece as they
//! arrive, so a crash loses at most the last few seconds; the retention
//! setting removes the audio once the encounter's note is signed.

use crate::audit::Entry;
use crate::encounters::load_encounter;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::sync_state::{meta, set_meta};
use crate::write::{new_id, now_seconds, Tx};
use clinicdesk_domain::{Permission, Role};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

/// A recording whose heartbeat is older than this was cut off.
pub const HEARTBEAT_STALE_SECS: i64 = 60;
/// Audio samples per second as stored (16 kHz mono).
pub const SAMPLE_RATE: u32 = 16_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DictationSource {
    Microphone,
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DictationState {
    Recording,
    Transcribing,
    Done,
    Failed,
    Cancelled,
    /// Left recording or transcribing by an app that closed or crashed;
    /// what was saved can be transcribed again.
    Interrupted,
}

impl DictationState {
    fn as_str(self) -> &'static str {
        match self {
            DictationState::Recording => "recording",
            DictationState::Transcribing => "transcribing",
            DictationState::Done => "done",
            DictationState::Failed => "failed",
            DictationState::Cancelled => "cancelled",
            DictationState::Interrupted => "interrupted",
        }
    }

    fn is_live(self) -> bool {
        matches!(
            self,
            DictationState::Recording | DictationState::Transcribing
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DictatedSegment {
    pub start_secs: f64,
    pub end_secs: f64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dictation {
    pub id: String,
    pub encounter_id: String,
    pub patient_id: String,
    pub recorded_by: String,
    pub source: DictationSource,
    pub file_name: Option<String>,
    pub state: DictationState,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub duration_secs: f64,
    pub error: Option<String>,
    pub note_id: Option<String>,
    pub audio_removed_at: Option<i64>,
    /// Seconds of audio kept.
    pub audio_secs: f64,
    pub segments: Vec<DictatedSegment>,
    pub transcript: String,
}

/// When dictation audio is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "kebab-case")]
pub enum AudioRetention {
    /// As soon as a note of the encounter is signed (the default).
    OnSign,
    /// This many days after a note of the encounter is signed.
    DaysAfterSign { days: u32 },
    /// Never removed automatically.
    Keep,
}

impl AudioRetention {
    fn check(self) -> Result<AudioRetention> {
        match self {
            AudioRetention::DaysAfterSign { days } if !(1..=3650).contains(&days) => Err(
                StoreError::invalid("audio can be kept from 1 to 3650 days after signing"),
            ),
            r => Ok(r),
        }
    }

    fn describe(self) -> String {
        match self {
            AudioRetention::OnSign => "remove audio when the note is signed".into(),
            AudioRetention::DaysAfterSign { days } => {
                format!("remove audio {days} days after the note is signed")
            }
            AudioRetention::Keep => "keep audio".into(),
        }
    }
}

const RETENTION_KEY: &str = "scribe.audio_retention";

const COLS: &str = "id, encounter_id, patient_id, recorded_by, source, file_name, state, started_at, heartbeat_at, finished_at, duration_secs, error, note_id, audio_removed_at";

fn read_row(r: &rusqlite::Row, now: i64) -> rusqlite::Result<Dictation> {
    let state = match r.get::<_, String>(6)?.as_str() {
        "recording" => DictationState::Recording,
        "transcribing" => DictationState::Transcribing,
        "done" => DictationState::Done,
        "failed" => DictationState::Failed,
        _ => DictationState::Cancelled,
    };
    let heartbeat: i64 = r.get(8)?;
    let state = if state.is_live() && now - heartbeat > HEARTBEAT_STALE_SECS {
        DictationState::Interrupted
    } else {
        state
    };
    Ok(Dictation {
        id: r.get(0)?,
        encounter_id: r.get(1)?,
        patient_id: r.get(2)?,
        recorded_by: r.get(3)?,
        source: if r.get::<_, String>(4)? == "file" {
            DictationSource::File
        } else {
            DictationSource::Microphone
        },
        file_name: r.get(5)?,
        state,
        started_at: r.get(7)?,
        finished_at: r.get(9)?,
        duration_secs: r.get(10)?,
        error: r.get(11)?,
        note_id: r.get(12)?,
        audio_removed_at: r.get(13)?,
        audio_secs: 0.0,
        segments: Vec::new(),
        transcript: String::new(),
    })
}

/// The dictation's row alone: no text, no audio length.
fn load_row(conn: &rusqlite::Connection, id: &str) -> Result<Dictation> {
    conn.query_row(
        &format!("SELECT {COLS} FROM dictations WHERE id = ?1"),
        [id],
        |r| read_row(r, now_seconds()),
    )
    .optional()?
    .ok_or_else(|| StoreError::not_found("dictation", id))
}

/// Seconds of audio kept for a dictation.
fn audio_secs(conn: &rusqlite::Connection, id: &str) -> Result<f64> {
    let bytes: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(length(pcm)), 0) FROM dictation_audio WHERE dictation_id = ?1",
        )?
        .query_row([id], |r| r.get(0))?;
    Ok(bytes as f64 / 2.0 / f64::from(SAMPLE_RATE))
}

/// The whole dictation: its row, text and audio length.
fn load(conn: &rusqlite::Connection, id: &str) -> Result<Dictation> {
    let mut d = load_row(conn, id)?;
    d.segments = conn
        .prepare_cached(
            "SELECT start_secs, end_secs, text FROM dictation_segments WHERE dictation_id = ?1 ORDER BY seq",
        )?
        .query_map([id], |r| {
            Ok(DictatedSegment {
                start_secs: r.get(0)?,
                end_secs: r.get(1)?,
                text: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    d.transcript = d
        .segments
        .iter()
        .map(|s| s.text.trim())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    d.audio_secs = audio_secs(conn, id)?;
    Ok(d)
}

/// Only the physician who recorded a dictation adds to it or changes it.
/// The row alone: called for every piece of audio and text, it does not
/// read back the text and audio already saved.
fn own(tx: &Tx, id: &str) -> Result<Dictation> {
    let d = load_row(tx.conn(), id)?;
    if d.recorded_by != tx.session().user_id {
        return Err(StoreError::invalid(
            "this dictation was recorded by someone else",
        ));
    }
    Ok(d)
}

fn heartbeat(tx: &Tx, id: &str) -> Result<()> {
    tx.conn()
        .prepare_cached("UPDATE dictations SET heartbeat_at = ?2 WHERE id = ?1")?
        .execute((id, tx.now()))?;
    Ok(())
}

fn to_pcm(samples: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len() * 2);
    for s in samples {
        let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

fn from_pcm(bytes: &[u8], out: &mut Vec<f32>) {
    out.extend(
        bytes
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0),
    );
}

/// Who removes audio under the retention setting: the store itself.
fn retention_session() -> Session {
    Session {
        user_id: "scribe-retention".into(),
        username: "scribe-retention".into(),
        display_name: "Audio retention".into(),
        role: Role::Admin,
        provider_id: None,
    }
}

impl Store {
    /// Starts a dictation for an encounter (physicians writing its note).
    pub fn start_dictation(
        &mut self,
        session: &Session,
        encounter_id: &str,
        source: DictationSource,
        file_name: Option<&str>,
    ) -> Result<Dictation> {
        session.require(Permission::NoteWrite)?;
        let enc = load_encounter(self.conn(), encounter_id)?;
        let id = new_id();
        self.write(session, |tx| {
            tx.conn().execute(
                &format!("INSERT INTO dictations ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'recording', ?7, ?7, NULL, 0, NULL, NULL, NULL)"),
                (
                    &id,
                    encounter_id,
                    &enc.patient_id,
                    &session.user_id,
                    match source {
                        DictationSource::Microphone => "microphone",
                        DictationSource::File => "file",
                    },
                    file_name,
                    tx.now(),
                ),
            )?;
            tx.audit(
                Entry::new("dictation", "start")
                    .patient(&enc.patient_id)
                    .record(&id),
            )
        })?;
        load(self.conn(), &id)
    }

    /// Adds the next piece of audio (16 kHz mono); returns the seconds kept.
    pub fn add_dictation_audio(
        &mut self,
        session: &Session,
        id: &str,
        samples: &[f32],
    ) -> Result<f64> {
        session.require(Permission::NoteWrite)?;
        self.write(session, |tx| {
            let d = own(tx, id)?;
            if d.state != DictationState::Recording {
                return Err(StoreError::Transition(
                    "the recording has ended; no more audio can be added".into(),
                ));
            }
            tx.conn()
                .prepare_cached(
                    "INSERT INTO dictation_audio (dictation_id, seq, pcm)
                     VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM dictation_audio WHERE dictation_id = ?1), ?2)",
                )?
                .execute((id, to_pcm(samples)))?;
            heartbeat(tx, id)?;
            audio_secs(tx.conn(), id)
        })
    }

    /// Adds text the transcriber produced, in order.
    pub fn add_dictation_segments(
        &mut self,
        session: &Session,
        id: &str,
        segments: &[DictatedSegment],
    ) -> Result<()> {
        session.require(Permission::NoteWrite)?;
        self.write(session, |tx| {
            let d = own(tx, id)?;
            if !d.state.is_live() && d.state != DictationState::Interrupted {
                return Err(StoreError::Transition(
                    "the dictation is finished; its text cannot change".into(),
                ));
            }
            let mut ins = tx.conn().prepare_cached(
                "INSERT INTO dictation_segments (dictation_id, seq, start_secs, end_secs, text)
                 VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM dictation_segments WHERE dictation_id = ?1), ?2, ?3, ?4)",
            )?;
            for s in segments {
                if !(s.start_secs.is_finite() && s.end_secs.is_finite()) {
                    return Err(StoreError::invalid("a segment has no valid time"));
                }
                ins.execute((id, s.start_secs, s.end_secs, s.text.trim()))?;
            }
            drop(ins);
            heartbeat(tx, id)
        })
    }

    /// Marks a dictation as still being worked on (long transcriptions).
    pub fn touch_dictation(&mut self, session: &Session, id: &str) -> Result<()> {
        self.write(session, |tx| {
            own(tx, id)?;
            heartbeat(tx, id)
        })
    }

    /// Recording is over; the transcriber finishes the text.
    pub fn dictation_transcribing(&mut self, session: &Session, id: &str) -> Result<Dictation> {
        self.set_state(session, id, DictationState::Transcribing, None, None)
    }

    /// The transcript is complete.
    pub fn dictation_done(
        &mut self,
        session: &Session,
        id: &str,
        duration_secs: f64,
    ) -> Result<Dictation> {
        self.set_state(session, id, DictationState::Done, Some(duration_secs), None)
    }

    /// Transcription failed: the audio stays so it can be tried again.
    pub fn dictation_failed(
        &mut self,
        session: &Session,
        id: &str,
        error: &str,
    ) -> Result<Dictation> {
        self.set_state(session, id, DictationState::Failed, None, Some(error))
    }

    pub fn dictation_cancelled(&mut self, session: &Session, id: &str) -> Result<Dictation> {
        self.set_state(session, id, DictationState::Cancelled, None, None)
    }

    /// Clears the text of a dictation whose transcription stopped (failed,
    /// cancelled, interrupted) so its saved audio can be transcribed again.
    pub fn retry_dictation(&mut self, session: &Session, id: &str) -> Result<Dictation> {
        session.require(Permission::NoteWrite)?;
        self.write(session, |tx| {
            let d = own(tx, id)?;
            match d.state {
                DictationState::Failed | DictationState::Cancelled | DictationState::Interrupted => {}
                _ => {
                    return Err(StoreError::Transition(format!(
                        "the dictation is {}; only a stopped one is transcribed again",
                        d.state.as_str()
                    )))
                }
            }
            if d.audio_removed_at.is_some() || audio_secs(tx.conn(), id)? == 0.0 {
                return Err(StoreError::invalid(
                    "no audio of this dictation is kept, so it cannot be transcribed again",
                ));
            }
            tx.conn()
                .execute("DELETE FROM dictation_segments WHERE dictation_id = ?1", [id])?;
            tx.conn().execute(
                "UPDATE dictations SET state = 'transcribing', error = NULL, finished_at = NULL, heartbeat_at = ?2 WHERE id = ?1",
                (id, tx.now()),
            )?;
            tx.audit(
                Entry::new("dictation", "retry")
                    .patient(&d.patient_id)
                    .record(id),
            )
        })?;
        load(self.conn(), id)
    }

    fn set_state(
        &mut self,
        session: &Session,
        id: &str,
        to: DictationState,
        duration_secs: Option<f64>,
        error: Option<&str>,
    ) -> Result<Dictation> {
        session.require(Permission::NoteWrite)?;
        self.write(session, |tx| {
            let d = own(tx, id)?;
            let allowed = match to {
                DictationState::Transcribing => d.state == DictationState::Recording,
                _ => d.state.is_live() || d.state == DictationState::Interrupted,
            };
            if !allowed {
                return Err(StoreError::Transition(format!(
                    "the dictation is already {}",
                    d.state.as_str()
                )));
            }
            let finished = (!to.is_live()).then_some(tx.now());
            tx.conn().execute(
                "UPDATE dictations SET state = ?2, heartbeat_at = ?3, finished_at = ?4,
                        duration_secs = coalesce(?5, duration_secs), error = ?6 WHERE id = ?1",
                (id, to.as_str(), tx.now(), finished, duration_secs, error),
            )?;
            if !to.is_live() {
                tx.audit(
                    Entry::new("dictation", "finish")
                        .patient(&d.patient_id)
                        .record(id)
                        .detail(to.as_str()),
                )?;
            }
            Ok(())
        })?;
        load(self.conn(), id)
    }

    /// Records a read of a patient's dictation in the audit trail.
    fn audit_dictation(
        &mut self,
        session: &Session,
        action: &'static str,
        patient_id: &str,
        record: &str,
    ) -> Result<()> {
        self.write(session, |tx| {
            tx.audit(
                Entry::new("dictation", action)
                    .patient(patient_id)
                    .record(record),
            )
        })
    }

    /// One dictation with its text (audited: a transcript is PHI).
    pub fn dictation(&mut self, session: &Session, id: &str) -> Result<Dictation> {
        session.require(Permission::NoteRead)?;
        let d = load(self.conn(), id)?;
        self.audit_dictation(session, "read", &d.patient_id, id)?;
        Ok(d)
    }

    /// An encounter's dictations on this desktop, oldest first (audited).
    pub fn encounter_dictations(
        &mut self,
        session: &Session,
        encounter_id: &str,
    ) -> Result<Vec<Dictation>> {
        session.require(Permission::NoteRead)?;
        let enc = load_encounter(self.conn(), encounter_id)?;
        let ids: Vec<String> = self
            .conn()
            .prepare_cached(
                "SELECT id FROM dictations WHERE encounter_id = ?1 ORDER BY started_at, id",
            )?
            .query_map([encounter_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let list = ids
            .iter()
            .map(|id| load(self.conn(), id))
            .collect::<Result<Vec<_>>>()?;
        if !list.is_empty() {
            self.audit_dictation(session, "list", &enc.patient_id, encounter_id)?;
        }
        Ok(list)
    }

    /// The kept audio, 16 kHz mono (audited).
    pub fn dictation_audio(&mut self, session: &Session, id: &str) -> Result<Vec<f32>> {
        session.require(Permission::NoteRead)?;
        let d = load(self.conn(), id)?;
        let mut samples = Vec::new();
        {
            let mut stmt = self.conn().prepare_cached(
                "SELECT pcm FROM dictation_audio WHERE dictation_id = ?1 ORDER BY seq",
            )?;
            let mut rows = stmt.query([id])?;
            while let Some(r) = rows.next()? {
                let bytes: Vec<u8> = r.get(0)?;
                from_pcm(&bytes, &mut samples);
            }
        }
        self.audit_dictation(session, "read-audio", &d.patient_id, id)?;
        Ok(samples)
    }

    /// Records which draft note a dictation became.
    pub fn link_dictation_note(
        &mut self,
        session: &Session,
        id: &str,
        note_id: &str,
    ) -> Result<()> {
        session.require(Permission::NoteWrite)?;
        self.write(session, |tx| {
            let d = own(tx, id)?;
            let note_encounter: Option<String> = tx
                .conn()
                .query_row(
                    "SELECT encounter_id FROM notes WHERE id = ?1",
                    [note_id],
                    |r| r.get(0),
                )
                .optional()?;
            if note_encounter.as_deref() != Some(d.encounter_id.as_str()) {
                return Err(StoreError::invalid(
                    "the note belongs to another encounter than the dictation",
                ));
            }
            tx.conn().execute(
                "UPDATE dictations SET note_id = ?2 WHERE id = ?1",
                (id, note_id),
            )?;
            Ok(())
        })
    }

    /// Removes a dictation's audio and text now (the physician discards it).
    pub fn discard_dictation(&mut self, session: &Session, id: &str) -> Result<Dictation> {
        session.require(Permission::NoteWrite)?;
        self.write(session, |tx| {
            let d = own(tx, id)?;
            if d.state.is_live() {
                return Err(StoreError::Transition(
                    "stop the recording before discarding it".into(),
                ));
            }
            remove_audio(tx, id)?;
            tx.conn().execute(
                "DELETE FROM dictation_segments WHERE dictation_id = ?1",
                [id],
            )?;
            tx.conn().execute(
                "UPDATE dictations SET state = 'cancelled' WHERE id = ?1",
                [id],
            )?;
            tx.audit(
                Entry::new("dictation", "discard")
                    .patient(&d.patient_id)
                    .record(id),
            )
        })?;
        load(self.conn(), id)
    }

    pub fn audio_retention(&self) -> Result<AudioRetention> {
        match meta(self, RETENTION_KEY)? {
            None => Ok(AudioRetention::OnSign),
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                StoreError::Invalid(format!(
                    "the stored audio retention setting cannot be read ({e}); set it again"
                ))
            }),
        }
    }

    /// Sets when dictation audio is removed (administrators), and applies it.
    pub fn set_audio_retention(
        &mut self,
        session: &Session,
        retention: AudioRetention,
    ) -> Result<AudioRetention> {
        session.require(Permission::StoreAdmin)?;
        let retention = retention.check()?;
        let text = serde_json::to_string(&retention)
            .map_err(|e| StoreError::Invalid(format!("the setting cannot be saved: {e}")))?;
        self.write(session, |tx| {
            set_meta(tx.conn(), RETENTION_KEY, &text)?;
            tx.audit(Entry::new("dictation", "set-retention").detail(retention.describe()))
        })?;
        self.apply_audio_retention()?;
        Ok(retention)
    }

    /// Removes the audio the retention setting no longer keeps: that of
    /// finished dictations whose encounter has a note signed long enough
    /// ago. Returns how many dictations lost their audio.
    pub fn apply_audio_retention(&mut self) -> Result<usize> {
        let cutoff = match self.audio_retention()? {
            AudioRetention::Keep => return Ok(0),
            AudioRetention::OnSign => now_seconds(),
            AudioRetention::DaysAfterSign { days } => now_seconds() - i64::from(days) * 86_400,
        };
        let due: Vec<(String, String)> = self
            .conn()
            .prepare(
                "SELECT d.id, d.patient_id FROM dictations d
                 WHERE d.audio_removed_at IS NULL
                   AND d.state NOT IN ('recording', 'transcribing')
                   AND EXISTS (SELECT 1 FROM notes n WHERE n.encounter_id = d.encounter_id
                               AND n.status = 'signed' AND n.signed_at <= ?1)",
            )?
            .query_map([cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if due.is_empty() {
            return Ok(0);
        }
        let session = retention_session();
        self.write(&session, |tx| {
            remove_all_audio(tx, &due, "retention setting")
        })?;
        Ok(due.len())
    }
}

fn remove_audio(tx: &Tx, id: &str) -> Result<()> {
    tx.conn()
        .execute("DELETE FROM dictation_audio WHERE dictation_id = ?1", [id])?;
    tx.conn().execute(
        "UPDATE dictations SET audio_removed_at = ?2 WHERE id = ?1 AND audio_removed_at IS NULL",
        (id, tx.now()),
    )?;
    Ok(())
}

/// Under "remove when signed", signing a note removes the audio of the
/// encounter's finished dictations in the same transaction.
pub(crate) fn on_note_signed(tx: &mut Tx, encounter_id: &str) -> Result<()> {
    let setting: Option<String> = tx
        .conn()
        .query_row(
            "SELECT value FROM store_meta WHERE key = ?1",
            [RETENTION_KEY],
            |r| r.get(0),
        )
        .optional()?;
    let on_sign = match setting {
        None => true,
        Some(text) => matches!(
            serde_json::from_str::<AudioRetention>(&text),
            Ok(AudioRetention::OnSign)
        ),
    };
    if !on_sign {
        return Ok(());
    }
    let due: Vec<(String, String)> = tx
        .conn()
        .prepare_cached(
            "SELECT id, patient_id FROM dictations WHERE encounter_id = ?1
               AND audio_removed_at IS NULL AND state NOT IN ('recording', 'transcribing')",
        )?
        .query_map([encounter_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    remove_all_audio(tx, &due, "note signed")
}

/// Removes the audio of `(dictation, patient)` pairs, each audited.
fn remove_all_audio(tx: &mut Tx, due: &[(String, String)], why: &str) -> Result<()> {
    for (id, patient) in due {
        remove_audio(tx, id)?;
        tx.audit(
            Entry::new("dictation", "remove-audio")
                .patient(patient)
                .record(id)
                .detail(why),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_round_trips_through_16_bit_pcm() {
        let samples = [0.0, 0.5, -0.5, 1.0, -1.0, 2.0];
        let mut back = Vec::new();
        from_pcm(&to_pcm(&samples), &mut back);
        assert_eq!(back.len(), samples.len());
        for (a, b) in samples.iter().zip(&back) {
            assert!((a.clamp(-1.0, 1.0) - b).abs() < 1e-3, "{a} {b}");
        }
    }

    #[test]
    fn retention_days_are_bounded() {
        assert!(AudioRetention::DaysAfterSign { days: 0 }.check().is_err());
        assert!(AudioRetention::DaysAfterSign { days: 30 }.check().is_ok());
        assert_eq!(
            serde_json::to_string(&AudioRetention::DaysAfterSign { days: 7 }).unwrap(),
            r#"{"policy":"days-after-sign","days":7}"#
        );
    }
}
