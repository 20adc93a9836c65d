//! Dictation below the window: a recording imported into an encounter is
//! transcribed by the real model, kept in the encrypted store, drafted into
//! the physician's note with ICD-10-CM and drug suggestions from the real
//! code sets, and its audio removed when the note is signed.
//!
//! Data: CLINICDESK_TEST_DATA (scripts/fetch-code-sets.sh and
//! scripts/fetch-speech-data.sh) and CLINICDESK_MODEL (models/obtain.sh).
//! Without them a test is skipped with the reason, except under CI.

mod common;

use base64::Engine;
use clinicdesk_demo::morning_zone;
use clinicdesk_desktop::*;
use clinicdesk_drafting::{draft, Style};
use clinicdesk_keys::Keychain;
use clinicdesk_store::{claims, terminology, DictationState, Store, Unlock};
use common::{book_and_check_in, login, PASSWORD};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn missing(what: &str) -> Option<PathBuf> {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} (required under CI)"
    );
    eprintln!("skipped: {what}");
    None
}

fn data(rel: &str, fetch: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fetched")
        });
    let f = dir.join(rel);
    if f.is_file() {
        Some(f)
    } else {
        missing(&format!("{} is missing; run {fetch}", f.display()))
    }
}

fn model() -> Option<PathBuf> {
    match std::env::var_os("CLINICDESK_MODEL") {
        Some(p) if Path::new(&p).is_file() => Some(PathBuf::from(p)),
        _ => missing("CLINICDESK_MODEL does not name a model file; run models/obtain.sh"),
    }
}

/// The demo clinic with both code sets loaded.
fn clinic(dir: &Path) -> Option<()> {
    let codes = data("icd10cm/icd10cm.tsv", "scripts/fetch-code-sets.sh")?;
    let drugs = data("drugs/drug-names.tsv", "scripts/fetch-code-sets.sh")?;
    clinicdesk_demo::open_all_day(dir, morning_zone(), Keychain::default(), PASSWORD).unwrap();
    let mut store = Store::open(dir, &Unlock::default()).unwrap();
    let admin = store.login("admin", PASSWORD).unwrap();
    let rows = claims::parse_icd10cm_tsv(&std::fs::read_to_string(codes).unwrap()).unwrap();
    store.import_icd10cm(&admin, rows, "icd10cm.tsv").unwrap();
    let rows = terminology::parse_drug_names_tsv(&std::fs::read_to_string(drugs).unwrap()).unwrap();
    store
        .import_drug_names(&admin, rows, "drug-names.tsv")
        .unwrap();
    Some(())
}

/// A checked-in visit, with the physician at the desk; its encounter id.
fn encounter(desk: &mut Desk) -> String {
    login(desk, "reception");
    let patient = desk
        .register_patient(&RegisterInput {
            patient: PatientFields {
                given_name: "Ada".into(),
                family_name: "Quill".into(),
                birth_date: "1980-02-29".into(),
                sex: Some("female".into()),
                ..Default::default()
            },
            coverage: None,
        })
        .unwrap();
    let visit_id = book_and_check_in(desk, &patient.id);
    login(desk, "drhale");
    desk.open_encounter(&AppointmentRef {
        appointment_id: visit_id,
    })
    .unwrap()
    .encounter
    .id
}

fn scribe(desk: &Desk, dir: &Path, model: &Path) -> (Scribe, Arc<Mutex<Vec<ScribeUpdate>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let s = Scribe::new(dir, desk.unlock(), move |u| {
        sink.lock().unwrap().push(u.clone())
    })
    .with_model(model);
    (s, seen)
}

fn import(scribe: &Scribe, desk: &mut Desk, encounter_id: &str, file: &Path) -> ScribeUpdate {
    let bytes = std::fs::read(file).unwrap();
    let session = desk.scribe_session().unwrap();
    scribe
        .import(
            &session,
            &ImportAudioInput {
                encounter_id: encounter_id.into(),
                file_name: file.file_name().unwrap().to_string_lossy().into(),
                data_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            },
        )
        .unwrap()
}

#[test]
fn a_dictated_visit_becomes_a_draft_note_and_its_audio_goes_when_signed() {
    let (Some(model), Some(wav)) = (
        model(),
        data(
            "speech/dictation/dictation.wav",
            "scripts/fetch-speech-data.sh",
        ),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(()) = clinic(dir.path()) else { return };
    let mut desk = Desk::new(dir.path(), Keychain::default());
    let enc = encounter(&mut desk);
    let (scribe, seen) = scribe(&desk, dir.path(), &model);

    let first = import(&scribe, &mut desk, &enc, &wav);
    assert_eq!(first.phase, ScribePhase::Recording);
    assert_eq!(scribe.active().unwrap().dictation_id, first.dictation_id);
    // One dictation at a time.
    let session = desk.scribe_session().unwrap();
    let busy = scribe
        .import(
            &session,
            &ImportAudioInput {
                encounter_id: enc.clone(),
                file_name: "second.wav".into(),
                data_base64: String::new(),
            },
        )
        .unwrap_err();
    assert_eq!(busy.kind, "scribe-busy");
    let last = scribe.wait().unwrap();
    assert_eq!(last.phase, ScribePhase::Done, "{:?}", last.error);
    let updates = seen.lock().unwrap().clone();
    assert!(updates
        .iter()
        .any(|u| u.phase == ScribePhase::Transcribing
            && u.progress.is_some_and(|p| p > 0.0 && p < 1.0)));
    assert!(last.text.to_lowercase().contains("cough"), "{}", last.text);

    let list = desk
        .dictations(&EncounterRef {
            encounter_id: enc.clone(),
        })
        .unwrap();
    let d = list.iter().find(|d| d.id == last.dictation_id).unwrap();
    assert_eq!(d.state, DictationState::Done);
    assert_eq!(d.transcript, last.text);
    assert!((d.audio_secs - d.duration_secs).abs() < 0.01 && d.audio_secs > 30.0);

    let drafted = desk
        .draft_from_dictation(&DraftFromDictationInput {
            dictation_id: d.id.clone(),
            note_id: None,
        })
        .unwrap();
    let c = &drafted.note.content;
    assert!(c.subjective.to_lowercase().contains("cough"), "{c:?}");
    assert!(c.objective.to_lowercase().contains("lungs"), "{c:?}");
    assert!(c.plan.contains("Acetaminophen"), "{c:?}");
    let codes: Vec<&str> = drafted
        .problems
        .iter()
        .map(|p| p.candidates[0].code.as_str())
        .collect();
    assert!(
        codes.contains(&"J069"),
        "upper respiratory infection in {:?}",
        drafted.problems
    );
    assert!(drafted.code_set_loaded && drafted.drug_names_loaded);

    desk.sign_note(&NoteRef {
        note_id: drafted.note.id.clone(),
    })
    .unwrap();
    let after = desk
        .dictations(&EncounterRef { encounter_id: enc })
        .unwrap();
    let d = after.iter().find(|x| x.id == d.id).unwrap();
    assert_eq!(d.audio_secs, 0.0);
    assert!(d.audio_removed_at.is_some());
    assert_eq!(d.note_id.as_deref(), Some(drafted.note.id.as_str()));
}

#[test]
fn a_file_that_is_not_audio_fails_with_the_reason_and_loses_nothing_else() {
    let Some(model) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    clinicdesk_demo::open_all_day(dir.path(), morning_zone(), Keychain::default(), PASSWORD)
        .unwrap();
    let mut desk = Desk::new(dir.path(), Keychain::default());
    let enc = encounter(&mut desk);
    let (scribe, _) = scribe(&desk, dir.path(), &model);
    let junk = dir.path().join("visit.mp3");
    std::fs::write(&junk, b"this is not an mp3 at all, just text").unwrap();
    import(&scribe, &mut desk, &enc, &junk);
    let last = scribe.wait().unwrap();
    assert_eq!(last.phase, ScribePhase::Failed);
    let why = last.error.unwrap();
    assert!(why.contains("visit.mp3"), "{why}");
    let list = desk
        .dictations(&EncounterRef { encounter_id: enc })
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].state, DictationState::Failed);
    assert_eq!(list[0].error.as_deref(), Some(why.as_str()));
    // Nothing to transcribe again: no audio was kept from it.
    let session = desk.scribe_session().unwrap();
    let e = scribe
        .retry(
            &session,
            &DictationRef {
                dictation_id: list[0].id.clone(),
            },
        )
        .unwrap_err();
    assert!(e.message.to_lowercase().contains("no audio"), "{e}");
}

#[test]
fn a_cancelled_transcription_keeps_the_audio_to_transcribe_again() {
    let (Some(model), Some(wav)) = (
        model(),
        data(
            "speech/dictation/dictation.wav",
            "scripts/fetch-speech-data.sh",
        ),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    clinicdesk_demo::open_all_day(dir.path(), morning_zone(), Keychain::default(), PASSWORD)
        .unwrap();
    let mut desk = Desk::new(dir.path(), Keychain::default());
    let enc = encounter(&mut desk);
    let (scribe, seen) = scribe(&desk, dir.path(), &model);
    import(&scribe, &mut desk, &enc, &wav);
    // Cancel once transcription is under way.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !seen
        .lock()
        .unwrap()
        .iter()
        .any(|u| u.phase == ScribePhase::Transcribing)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "never started transcribing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    scribe.cancel().unwrap();
    let last = scribe.wait().unwrap();
    assert_eq!(last.phase, ScribePhase::Cancelled);
    assert!(last.error.is_none());
    let d = &desk
        .dictations(&EncounterRef {
            encounter_id: enc.clone(),
        })
        .unwrap()[0];
    assert_eq!(d.state, DictationState::Cancelled);
    assert!(d.audio_secs > 30.0);

    let session = desk.scribe_session().unwrap();
    scribe
        .retry(
            &session,
            &DictationRef {
                dictation_id: d.id.clone(),
            },
        )
        .unwrap();
    let again = scribe.wait().unwrap();
    assert_eq!(again.phase, ScribePhase::Done, "{:?}", again.error);
    assert!(again.text.to_lowercase().contains("cough"));
}

/// Drafting on the real code sets, without speech: the common problems of
/// a primary-care visit get their usual codes first.
#[test]
fn common_problems_get_their_usual_codes_first() {
    let dir = tempfile::tempdir().unwrap();
    let Some(()) = clinic(dir.path()) else { return };
    let store = Store::open(dir.path(), &Unlock::default()).unwrap();
    let terms = StoreTerms(&store);
    let transcript = "The patient is here for follow up of high blood pressure and type 2 diabetes. \
        She also complains of a sore throat and a cough. History of asthma and hyperlipidemia. \
        She is allergic to penicillin. \
        Assessment: hypertension is well controlled. Acute sinusitis. \
        Plan: continue lisinopril 20 mg once a day, start amoxicillin 500 milligrams three times a day, \
        and Tylenol as needed for headache.";
    let d = draft(
        transcript,
        Style::from_preferences("soap", "concise"),
        &terms,
    );
    let first: Vec<(&str, &str)> = d
        .problems
        .iter()
        .map(|p| (p.phrase.as_str(), p.candidates[0].code.as_str()))
        .collect();
    for want in [
        ("high blood pressure", "I10"),
        ("type 2 diabetes", "E119"),
        ("sore throat", "J029"),
        ("cough", "R059"),
        ("asthma", "J45909"),
        ("hyperlipidemia", "E785"),
        ("acute sinusitis", "J0190"),
        ("headache", "R519"),
    ] {
        assert!(first.contains(&want), "{want:?} not first in {first:?}");
    }
    let meds: Vec<String> = d.medications.iter().map(|m| m.line()).collect();
    assert_eq!(
        meds,
        [
            "Penicillins (penicillin) (allergy)",
            "Lisinopril 20 mg daily (continue)",
            "Amoxicillin 500 mg three times daily (start)",
            "Acetaminophen (tylenol) as needed (mentioned)",
        ],
        "{meds:?}"
    );
    assert!(
        d.subjective.contains("Allergies:\nPenicillins"),
        "{}",
        d.subjective
    );
}
