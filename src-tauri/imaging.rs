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

/// `viewer!(name(Input) -> Output = method)`: a command the viewer answers
/// for the logged-in user.
macro_rules! viewer {
    ($name:ident($input:ty) -> $out:ty = $method:ident) => {
        #[tauri::command(async)]
        pub fn $name(
            state: State<'_, DeskState>,
            viewer: State<'_, Viewer>,
            input: $input,
        ) -> Answer<$out> {
            let session = desk(&state).viewer_session()?;
            viewer.$method(&session, &input)
        }
    };
}

viewer!(open_series(desktop::SeriesRef) -> Vec<String> = open_series);
viewer!(image_tags(desktop::FrameRef) -> Vec<TagEntry> = tags);
viewer!(export_image(desktop::ExportInput) -> desktop::Exported = export_png);
viewer!(import_images(desktop::ImportImagesInput) -> ImportUpdate = import);
viewer!(search_pacs(desktop::PacsSearchInput) -> Vec<StudyMatch> = search_pacs);
viewer!(retrieve_study(desktop::RetrieveInput) -> ImportUpdate = retrieve);

/// Every step of an import goes to the screens as an `image-import` event.
pub fn notify<R: Runtime>(app: &AppHandle<R>, update: &ImportUpdate) {
    let _ = app.emit("image-import", update);
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
pub fn image_import_status(
    state: State<'_, DeskState>,
    viewer: State<'_, Viewer>,
) -> Answer<Option<ImportUpdate>> {
    desk(&state).viewer_session()?;
    Ok(viewer.import_status())
}
