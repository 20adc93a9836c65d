//! Dictation audio and transcripts in the encrypted store: written piece by
//! piece, readable back, audited, and removed by the retention setting.

mod common;

use clinicdesk_domain::validate::NoteFormat;
use clinicdesk_domain::Role;
use clinicdesk_store::*;
use common::*;

fn encounter(c: &mut Clinic) -> Encounter {
    let ada = c.patient("Ada", "Lovelace");
    let a = c.book_at(&ada, c.later_today(30)).unwrap();
    c.store.check_in(&c.desk, &a.id).unwrap();
    c.store.open_encounter(&c.doctor, &a.id).unwrap()
}

fn tone(secs: f32) -> Vec<f32> {
    (0..(secs * 16_000.0) as usize)
        .map(|i| (i as f32 * 0.05).sin() * 0.5)
        .collect()
}

fn segment(start: f64, text: &str) -> DictatedSegment {
    DictatedSegment {
        start_secs: start,
        end_secs: start + 2.0,
        text: text.into(),
    }
}

fn bullet_note(c: &mut Clinic, e: &Encounter, body: &str) -> Note {
    c.store
        .save_draft(
            &c.doctor,
            &e.id,
            None,
            NoteFormat::Bullets,
            &NoteContent {
                body: body.into(),
                ..Default::default()
            },
        )
        .unwrap()
}

/// Records two pieces of audio and their text, and finishes.
fn dictate(c: &mut Clinic, e: &Encounter) -> Dictation {
    let d = c
        .store
        .start_dictation(&c.doctor, &e.id, DictationSource::Microphone, None)
        .unwrap();
    assert_eq!(d.state, DictationState::Recording);
    c.store
        .add_dictation_audio(&c.doctor, &d.id, &tone(1.5))
        .unwrap();
    c.store
        .add_dictation_segments(&c.doctor, &d.id, &[segment(0.0, "Cough for three days.")])
        .unwrap();
    let secs = c
        .store
        .add_dictation_audio(&c.doctor, &d.id, &tone(1.0))
        .unwrap();
    assert!((secs - 2.5).abs() < 1e-6, "{secs}");
    c.store.dictation_transcribing(&c.doctor, &d.id).unwrap();
    c.store
        .add_dictation_segments(&c.doctor, &d.id, &[segment(2.0, " Lungs are clear. ")])
        .unwrap();
    c.store.dictation_done(&c.doctor, &d.id, 2.5).unwrap()
}

#[test]
fn a_dictation_keeps_its_audio_and_text_in_order() {
    let mut c = clinic();
    let e = encounter(&mut c);
    let d = dictate(&mut c, &e);
    assert_eq!(d.state, DictationState::Done);
    assert_eq!(d.transcript, "Cough for three days. Lungs are clear.");
    assert_eq!(d.segments.len(), 2);
    assert!((d.audio_secs - 2.5).abs() < 1e-6);
    let audio = c.store.dictation_audio(&c.doctor, &d.id).unwrap();
    assert_eq!(audio.len(), 40_000);
    let original = tone(1.5);
    assert!((audio[100] - original[100]).abs() < 1e-3);

    // Finished text is final; a second finish is refused.
    let err = c
        .store
        .add_dictation_segments(&c.doctor, &d.id, &[segment(9.0, "more")])
        .unwrap_err();
    assert!(err.to_string().contains("finished"), "{err}");
    assert!(c.store.dictation_done(&c.doctor, &d.id, 2.5).is_err());
    assert!(c
        .store
        .add_dictation_audio(&c.doctor, &d.id, &tone(0.1))
        .is_err());

    let listed = c.store.encounter_dictations(&c.doctor, &e.id).unwrap();
    assert_eq!(listed, vec![d.clone()]);
    let rows = c
        .store
        .audit_report(
            &c.admin,
            &AuditFilter {
                category: Some("dictation".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    for want in ["start", "finish", "read-audio", "list"] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    assert!(rows
        .iter()
        .all(|r| r.patient_id.as_deref() == Some(e.patient_id.as_str())));
}

#[test]
fn only_the_physician_who_recorded_adds_to_a_dictation() {
    let mut c = clinic();
    let e = encounter(&mut c);
    let err = c
        .store
        .start_dictation(&c.desk, &e.id, DictationSource::Microphone, None)
        .unwrap_err();
    assert!(matches!(err, StoreError::Denied { .. }), "{err}");
    let d = c
        .store
        .start_dictation(&c.doctor, &e.id, DictationSource::File, Some("visit.m4a"))
        .unwrap();
    let other = user(&mut c.store, &c.admin, "turing", Role::Physician, None);
    let err = c
        .store
        .add_dictation_audio(&other, &d.id, &tone(0.5))
        .unwrap_err();
    assert!(err.to_string().contains("someone else"), "{err}");
    assert!(c.store.dictation_audio(&c.desk, &d.id).is_err());
}

#[test]
fn signing_the_note_removes_the_audio_but_keeps_the_text() {
    let mut c = clinic();
    let e = encounter(&mut c);
    let d = dictate(&mut c, &e);
    let note = bullet_note(&mut c, &e, &d.transcript);
    c.store
        .link_dictation_note(&c.doctor, &d.id, &note.id)
        .unwrap();
    c.store.sign_note(&c.doctor, &note.id).unwrap();
    let after = c.store.dictation(&c.doctor, &d.id).unwrap();
    assert!(after.audio_removed_at.is_some());
    assert_eq!(after.audio_secs, 0.0);
    assert_eq!(after.transcript, d.transcript);
    assert_eq!(after.note_id.as_deref(), Some(note.id.as_str()));
    assert!(c
        .store
        .dictation_audio(&c.doctor, &d.id)
        .unwrap()
        .is_empty());
    let err = c.store.retry_dictation(&c.doctor, &d.id).unwrap_err();
    assert!(err.to_string().contains("done"), "{err}");
}

#[test]
fn other_retention_settings_keep_the_audio_after_signing() {
    let mut c = clinic();
    assert_eq!(c.store.audio_retention().unwrap(), AudioRetention::OnSign);
    assert!(c
        .store
        .set_audio_retention(&c.doctor, AudioRetention::Keep)
        .is_err());
    c.store
        .set_audio_retention(&c.admin, AudioRetention::DaysAfterSign { days: 30 })
        .unwrap();
    let e = encounter(&mut c);
    let d = dictate(&mut c, &e);
    let note = bullet_note(&mut c, &e, "x");
    c.store.sign_note(&c.doctor, &note.id).unwrap();
    assert_eq!(c.store.apply_audio_retention().unwrap(), 0);
    assert!(c.store.dictation(&c.doctor, &d.id).unwrap().audio_secs > 0.0);

    // Switching to "when signed" removes what is now due.
    c.store
        .set_audio_retention(&c.admin, AudioRetention::OnSign)
        .unwrap();
    let after = c.store.dictation(&c.doctor, &d.id).unwrap();
    assert_eq!(after.audio_secs, 0.0);
    assert!(c
        .store
        .set_audio_retention(&c.admin, AudioRetention::DaysAfterSign { days: 0 })
        .is_err());
}

#[test]
fn a_stopped_transcription_can_run_again_from_the_saved_audio() {
    let mut c = clinic();
    let e = encounter(&mut c);
    let d = c
        .store
        .start_dictation(&c.doctor, &e.id, DictationSource::Microphone, None)
        .unwrap();
    c.store
        .add_dictation_audio(&c.doctor, &d.id, &tone(1.0))
        .unwrap();
    c.store
        .add_dictation_segments(&c.doctor, &d.id, &[segment(0.0, "half")])
        .unwrap();
    let failed = c
        .store
        .dictation_failed(&c.doctor, &d.id, "the model could not be loaded")
        .unwrap();
    assert_eq!(
        failed.error.as_deref(),
        Some("the model could not be loaded")
    );
    let again = c.store.retry_dictation(&c.doctor, &d.id).unwrap();
    assert_eq!(again.state, DictationState::Transcribing);
    assert!(again.segments.is_empty());
    assert!(again.audio_secs > 0.0);

    // Discarding removes audio and text for good.
    c.store.dictation_cancelled(&c.doctor, &d.id).unwrap();
    let gone = c.store.discard_dictation(&c.doctor, &d.id).unwrap();
    assert_eq!(gone.audio_secs, 0.0);
    assert!(gone.transcript.is_empty());
}

#[test]
fn drug_names_are_imported_and_looked_up_as_spoken() {
    let mut c = clinic();
    let rows = terminology::parse_drug_names_tsv(
        "tylenol\tAcetaminophen\t1\nvitamin d\tErgocalciferol\t0\n",
    )
    .unwrap();
    assert!(c
        .store
        .import_drug_names(&c.doctor, rows.clone(), "test")
        .is_err());
    assert_eq!(
        c.store.import_drug_names(&c.admin, rows, "test").unwrap(),
        2
    );
    assert_eq!(
        c.store.drug_name("Vitamin  D").unwrap(),
        Some(("Ergocalciferol".to_string(), false))
    );
    assert_eq!(c.store.drug_name("aspirin").unwrap(), None);
    assert_eq!(c.store.drug_name_count().unwrap(), 2);
}
