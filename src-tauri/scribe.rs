//! Dictation commands. The scribe runs beside the desk (not inside its
//! lock), so recording and transcribing never hold up other screens; each
//! command takes the logged-in user from the desk and hands over.

use crate::commands::{desk, Answer, DeskState};
use clinicdesk_desktop::{self as desktop, Scribe, ScribeUpdate};
use clinicdesk_store::{AudioRetention, Dictation};
use tauri::{AppHandle, Emitter, Runtime, State};

/// Every change of the dictation in progress goes to the screens as a
/// `scribe` event; a finished one also refreshes them (a new transcript).
pub fn notify<R: Runtime>(app: &AppHandle<R>, update: &ScribeUpdate) {
    let _ = app.emit("scribe", update);
}

#[tauri::command(async)]
pub fn scribe_status(
    state: State<'_, DeskState>,
    scribe: State<'_, Scribe>,
) -> Answer<desktop::ScribeStatus> {
    desk(&state).activity()?;
    Ok(scribe.status())
}

#[tauri::command(async)]
pub fn record_dictation(
    state: State<'_, DeskState>,
    scribe: State<'_, Scribe>,
    input: desktop::RecordInput,
) -> Answer<ScribeUpdate> {
    let session = desk(&state).scribe_session()?;
    scribe.record(&session, &input)
}

#[tauri::command(async)]
pub fn import_dictation(
    state: State<'_, DeskState>,
    scribe: State<'_, Scribe>,
    input: desktop::ImportAudioInput,
) -> Answer<ScribeUpdate> {
    let session = desk(&state).scribe_session()?;
    scribe.import(&session, &input)
}

#[tauri::command(async)]
pub fn retry_dictation(
    state: State<'_, DeskState>,
    scribe: State<'_, Scribe>,
    input: desktop::DictationRef,
) -> Answer<ScribeUpdate> {
    let session = desk(&state).scribe_session()?;
    scribe.retry(&session, &input)
}

#[tauri::command(async)]
pub fn stop_dictation(scribe: State<'_, Scribe>) -> Answer<()> {
    scribe.stop()
}

#[tauri::command(async)]
pub fn cancel_dictation(scribe: State<'_, Scribe>) -> Answer<()> {
    scribe.cancel()
}

#[tauri::command(async)]
pub fn dictations(
    state: State<'_, DeskState>,
    input: desktop::EncounterRef,
) -> Answer<Vec<Dictation>> {
    desk(&state).dictations(&input)
}

#[tauri::command(async)]
pub fn discard_dictation(
    state: State<'_, DeskState>,
    input: desktop::DictationRef,
) -> Answer<Dictation> {
    desk(&state).discard_dictation(&input)
}

#[tauri::command(async)]
pub fn draft_from_dictation<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, DeskState>,
    input: desktop::DraftFromDictationInput,
) -> Answer<desktop::DictationDraft> {
    let out = desk(&state).draft_from_dictation(&input)?;
    crate::commands::changed(&app);
    Ok(out)
}

#[tauri::command(async)]
pub fn audio_retention(state: State<'_, DeskState>) -> Answer<AudioRetention> {
    desk(&state).audio_retention()
}

#[tauri::command(async)]
pub fn set_audio_retention(
    state: State<'_, DeskState>,
    input: desktop::RetentionInput,
) -> Answer<AudioRetention> {
    desk(&state).set_audio_retention(&input)
}
