//! Viewer commands. The viewer reads on its own store connection (not
//! inside the desk's lock), so scrolling a series never waits behind
//! another screen; each command takes the logged-in user from the desk.
//! Frames and thumbnails travel as raw bytes, not JSON.

use crate::commands::{desk, Answer, DeskState};
use clinicdesk_archive::pacs::StudyMatch;
use clinicdesk_desktop::{self as desktop, ImportUpdate, Viewer};
use clinicdesk_imaging::TagEntry;
use tauri::ipc::Response;
use tauri::{AppHandle, Emitter, Runtime, State};

/// Every step of an import goes to the screens as an `image-import` event.
pub fn notify<R: Runtime>(app: &AppHandle<R>, update: &ImportUpdate) {
    let _ = app.emit("image-import", update);
}

#[tauri::command(async)]
pub fn open_series(
    state: State<'_, DeskState>,
    viewer: State<'_, Viewer>,
    input: desktop::SeriesRef,
) -> Answer<Vec<String>> {
    let session = desk(&state).viewer_session()?;
    viewer.open_series(&session, &input)
}

#[tauri::command(async)]
pub fn viewer_frame(
    state: State<'_, DeskState>,
    viewer: State<'_, Viewer>,
    input: desktop::FrameRef,
) -> Answer<Response> {
    let session = desk(&state).viewer_session()?;
    Ok(Response::new(viewer.frame(&session, &input)?))
}

#[tauri::command(async)]
pub fn series_thumbnail(
    state: State<'_, DeskState>,
    viewer: State<'_, Viewer>,
    input: desktop::SeriesRef,
) -> Answer<Response> {
    let session = desk(&state).viewer_session()?;
    Ok(Response::new(viewer.thumbnail(&session, &input)?))
}

#[tauri::command(async)]
pub fn image_tags(
    state: State<'_, DeskState>,
    viewer: State<'_, Viewer>,
    input: desktop::FrameRef,
) -> Answer<Vec<TagEntry>> {
    let session = desk(&state).viewer_session()?;
    viewer.tags(&session, &input)
}

#[tauri::command(async)]
pub fn export_image(
    state: State<'_, DeskState>,
    viewer: State<'_, Viewer>,
    input: desktop::ExportInput,
) -> Answer<desktop::Exported> {
    let session = desk(&state).viewer_session()?;
    viewer.export_png(&session, &input)
}

#[tauri::command(async)]
pub fn import_images(
    state: State<'_, DeskState>,
    viewer: State<'_, Viewer>,
    input: desktop::ImportImagesInput,
) -> Answer<ImportUpdate> {
    let session = desk(&state).viewer_session()?;
    viewer.import(&session, &input)
}

#[tauri::command(async)]
pub fn image_import_status(
    state: State<'_, DeskState>,
    viewer: State<'_, Viewer>,
) -> Answer<Option<ImportUpdate>> {
    desk(&state).viewer_session()?;
    Ok(viewer.import_status())
}

#[tauri::command(async)]
pub fn search_pacs(
    state: State<'_, DeskState>,
    viewer: State<'_, Viewer>,
    input: desktop::PacsSearchInput,
) -> Answer<Vec<StudyMatch>> {
    let session = desk(&state).viewer_session()?;
    viewer.search_pacs(&session, &input)
}

#[tauri::command(async)]
pub fn retrieve_study(
    state: State<'_, DeskState>,
    viewer: State<'_, Viewer>,
    input: desktop::RetrieveInput,
) -> Answer<ImportUpdate> {
    let session = desk(&state).viewer_session()?;
    viewer.retrieve(&session, &input)
}
