//! Signed updates: find a newer package, download it, check its signature
//! against the key built into this app, install it, and restart when the
//! person at the keyboard chooses. The updater plugin does the transport,
//! the minisign check and the package install; this module picks the
//! address, keeps the found update between screens and says what happened
//! in plain words.

use crate::commands::{desk, DeskState};
use clinicdesk_desktop::DeskError;
use serde::Serialize;
use std::sync::Mutex;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt};

/// How soon after start-up, and how often after that, the app looks.
const FIRST_CHECK: Duration = Duration::from_secs(20);
const EVERY: Duration = Duration::from_secs(6 * 60 * 60);
/// A clinic link can be slow; a check or download that stalls longer fails.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What the last check found, and whether it has been installed.
#[derive(Default)]
pub struct Updates {
    found: Mutex<Option<Update>>,
    installed: Mutex<Option<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AvailableUpdate {
    pub version: String,
    pub notes: Option<String>,
    /// RFC 3339, as the update server published it.
    pub date: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateState {
    pub current_version: String,
    pub available: Option<AvailableUpdate>,
    /// The version installed and waiting for a restart.
    pub installed: Option<String>,
}

#[derive(Clone, Serialize)]
struct DownloadProgress {
    downloaded: u64,
    total: Option<u64>,
}

fn updates_error(message: impl Into<String>) -> DeskError {
    DeskError::new("updates", message)
}

/// The plugin's section of `tauri.conf.json`: `pubkey` and `endpoints` are
/// filled in when packages are built for a clinic (scripts/package.sh).
fn built_in<R: Runtime>(app: &AppHandle<R>) -> (String, Vec<tauri::Url>) {
    let section = app.config().plugins.0.get("updater");
    let pubkey = section
        .and_then(|s| s.get("pubkey"))
        .and_then(|k| k.as_str())
        .unwrap_or_default()
        .to_string();
    let endpoints = section
        .and_then(|s| s.get("endpoints"))
        .and_then(|e| e.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|u| u.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    (pubkey, endpoints)
}

fn state_of<R: Runtime>(app: &AppHandle<R>) -> UpdateState {
    let updates = app.state::<Updates>();
    let available = lock(&updates.found).as_ref().map(|u| AvailableUpdate {
        version: u.version.clone(),
        notes: u.body.clone().filter(|n| !n.trim().is_empty()),
        date: u
            .raw_json
            .get("pub_date")
            .and_then(|d| d.as_str())
            .map(str::to_string),
    });
    let installed = lock(&updates.installed).clone();
    UpdateState {
        current_version: app.package_info().version.to_string(),
        available,
        installed,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Asks the update server whether there is a newer version. The address
/// is the administrator's (Preferences → Updates), else the one built in.
async fn check<R: Runtime>(app: &AppHandle<R>) -> Result<UpdateState, DeskError> {
    let (pubkey, built_in_endpoints) = built_in(app);
    if pubkey.trim().is_empty() {
        return Err(updates_error(
            "This copy of ClinicDesk was built without an update key, so it cannot update itself. Your IT contact installs new versions.",
        ));
    }
    let source = desk(&app.state::<DeskState>()).update_source();
    let endpoints = match source {
        Some(url) => vec![url.parse().map_err(|e| {
            updates_error(format!("The update address {url} cannot be used ({e}). An administrator can correct it under Preferences → Updates."))
        })?],
        None => built_in_endpoints,
    };
    if endpoints.is_empty() {
        return Err(updates_error(
            "No update address is set. An administrator can set one under Preferences → Updates.",
        ));
    }
    let updater = app
        .updater_builder()
        .endpoints(endpoints)
        .map_err(plain)?
        .timeout(TIMEOUT)
        .build()
        .map_err(plain)?;
    let found = updater.check().await.map_err(plain)?;
    *lock(&app.state::<Updates>().found) = found;
    Ok(state_of(app))
}

#[tauri::command]
pub async fn update_state<R: Runtime>(app: AppHandle<R>) -> UpdateState {
    state_of(&app)
}

#[tauri::command]
pub async fn check_for_update<R: Runtime>(app: AppHandle<R>) -> Result<UpdateState, DeskError> {
    check(&app).await
}

/// Downloads the update found by the last check, verifies its signature
/// and installs it; `update-progress` events drive the progress bar. The
/// running app carries on until the user restarts it.
#[tauri::command]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, DeskState>,
) -> Result<UpdateState, DeskError> {
    // Installing is an action like any other: it needs someone logged in.
    desk(&state).activity()?;
    let update = lock(&app.state::<Updates>().found).clone();
    let Some(update) = update else {
        return Err(updates_error(
            "There is no update to install. Check for updates first.",
        ));
    };
    let mut downloaded = 0u64;
    let mut last_emitted = 0u64;
    let bytes = update
        .download(
            |chunk, total| {
                downloaded += chunk as u64;
                // About a hundred events for a whole package is plenty.
                let step = total.map_or(1 << 20, |t| (t / 100).max(1));
                if downloaded - last_emitted >= step || Some(downloaded) == total {
                    last_emitted = downloaded;
                    let _ = app.emit("update-progress", DownloadProgress { downloaded, total });
                }
            },
            || {},
        )
        .await
        .map_err(plain)?;
    update.install(bytes).map_err(not_installed)?;
    *lock(&app.state::<Updates>().installed) = Some(update.version.clone());
    *lock(&app.state::<Updates>().found) = None;
    Ok(state_of(&app))
}

/// Starts the installed version, when the user says so.
#[tauri::command]
pub fn restart_app<R: Runtime>(app: AppHandle<R>) {
    app.restart();
}

/// Looks for updates shortly after start-up and then every few hours, and
/// tells the screens when one is found. Failures wait for the next round:
/// a clinic offline for the afternoon does not need an error every time.
pub fn start_background_checks<R: Runtime>(app: &AppHandle<R>) {
    let (pubkey, _) = built_in(app);
    if pubkey.trim().is_empty() {
        return;
    }
    let app = app.clone();
    std::thread::spawn(move || {
        std::thread::sleep(FIRST_CHECK);
        loop {
            let already = lock(&app.state::<Updates>().installed).is_some();
            if !already {
                if let Ok(state) = tauri::async_runtime::block_on(check(&app)) {
                    if state.available.is_some() {
                        let _ = app.emit("update-available", state);
                    }
                }
            }
            std::thread::sleep(EVERY);
        }
    });
}

/// The updater's errors as the person at the keyboard should read them.
fn plain(e: UpdaterError) -> DeskError {
    use UpdaterError as E;
    let message = match &e {
        E::Minisign(_) | E::Base64(_) | E::SignatureUtf8(_) => {
            "The downloaded update does not carry a valid signature from ClinicDesk's update key, so it was not installed. This version keeps working; tell your IT contact.".to_string()
        }
        E::SignedVersionMismatch { signed, announced } => format!(
            "The update server offered version {announced}, but the package is signed as version {signed}, so it was not installed. This version keeps working; tell your IT contact."
        ),
        E::MissingSignedVersion => "The update package is not signed for a particular version, so it was not installed. Tell your IT contact.".to_string(),
        E::Reqwest(_) | E::Network(_) | E::Io(_) => format!(
            "The update server could not be reached ({e}). ClinicDesk will try again later."
        ),
        E::ReleaseNotFound | E::Serialization(_) | E::TargetNotFound(_) | E::TargetsNotFound(_) => format!(
            "The update server's answer could not be used ({e}). Tell your IT contact."
        ),
        E::InsecureTransportProtocol => "Updates must come over https://. An administrator can correct the address under Preferences → Updates.".to_string(),
        _ => format!("The update could not be downloaded ({e})."),
    };
    updates_error(message)
}

/// The package was verified; the system's package manager did not take it.
fn not_installed(e: UpdaterError) -> DeskError {
    use UpdaterError as E;
    let why = match &e {
        E::AuthenticationFailed => "nobody gave an administrator's password".to_string(),
        E::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
            "this computer has neither pkexec nor sudo to install packages with".to_string()
        }
        other => other.to_string(),
    };
    updates_error(format!(
        "The update was downloaded and its signature checked, but it could not be installed: {why}. ClinicDesk keeps running this version; ask your IT contact to install the update."
    ))
}
