//! ClinicDesk, the desktop app for outpatient clinics.
//!
//! This package is the app itself: its window shell lives in `src-tauri/`
//! and its screens in `ui/`. The commands here only parse what a screen
//! sends, call [`clinicdesk_desktop::Desk`] and pass the answer back; the
//! clinic rules live in the crates, so the app, the command line and the
//! end-to-end tests all drive the same code.

#[cfg(test)]
mod command_tests;
mod commands;
mod imaging;
mod scribe;
mod updates;

pub use clinicdesk_demo as demo;
pub use clinicdesk_desktop as desktop;
pub use clinicdesk_domain as domain;
pub use clinicdesk_fhir as fhir;
pub use clinicdesk_keys as keys;
pub use clinicdesk_store as store;

use clinicdesk_desktop::{ClearinghouseWorker, Desk, Scribe, SyncWorker, Viewer};
use clinicdesk_keys::Keychain;
use std::path::PathBuf;
use std::sync::Mutex;
use tauri::Manager;

/// The clinic's data directory: `CLINICDESK_DATA`, else the per-user one.
pub fn data_dir() -> Result<PathBuf, String> {
    match std::env::var_os("CLINICDESK_DATA").filter(|d| !d.is_empty()) {
        Some(d) => Ok(PathBuf::from(d)),
        None => clinicdesk_store::config::default_data_dir().ok_or_else(|| {
            "ClinicDesk cannot tell where to keep its data: set CLINICDESK_DATA to a folder"
                .to_string()
        }),
    }
}

/// The app with its commands on `builder`, over any Tauri runtime (the
/// real window, or the mock runtime in tests).
pub fn app<R: tauri::Runtime>(builder: tauri::Builder<R>, desk: Desk) -> tauri::Builder<R> {
    let (dir, unlock) = (desk.dir().to_path_buf(), desk.unlock());
    let (keychain, bell) = (desk.keychain().clone(), desk.outbox_bell());
    // Managed before set-up, so its commands work on every runtime; the
    // window's events are wired in once the app exists.
    let scribe = Scribe::new(&dir, unlock.clone(), |_| {});
    let viewer = Viewer::new(&dir, unlock.clone(), keychain.clone());
    builder
        .plugin(tauri_plugin_updater::Builder::new().build())
        .plugin(tauri_plugin_dialog::init())
        .manage(Mutex::new(desk))
        .manage(scribe)
        .manage(viewer)
        .manage(updates::Updates::default())
        .setup(move |app| {
            let handle = app.handle().clone();
            let clearinghouse = ClearinghouseWorker::start(&dir, unlock.clone(), keychain, bell, {
                let handle = handle.clone();
                move || commands::clearinghouse_changed(&handle)
            });
            app.manage(clearinghouse);
            app.state::<Scribe>().set_notify({
                let handle = handle.clone();
                move |update| scribe::notify(&handle, update)
            });
            app.state::<Viewer>().set_notify({
                let handle = handle.clone();
                move |update| imaging::notify(&handle, update)
            });
            let worker = SyncWorker::start(&dir, unlock, move || commands::synced(&handle));
            app.manage(worker);
            updates::start_background_checks(app.handle());
            Ok(())
        })
        .invoke_handler(commands::handler())
}

/// WebKitGTK's accelerated compositing paints a screen of a few hundred
/// elements several times slower where there is no GPU to speak of (the
/// virtual and remote desktops clinics run on, software GL); the plain
/// path is fast everywhere for screens like ours. Skia drawing on the CPU
/// rather than through software GL is faster again there and keeps about
/// 100 MB less resident. A value set by the user or the desktop wins.
/// Measured in docs/benchmarks.md (day view).
fn prefer_plain_webkit_painting() {
    #[cfg(target_os = "linux")]
    for (name, value) in [
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"),
    ] {
        if std::env::var_os(name).is_none() {
            // Before any thread starts, when changing the environment is sound.
            std::env::set_var(name, value);
        }
    }
}

pub fn run() {
    prefer_plain_webkit_painting();
    let dir = match data_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("clinicdesk: {e}");
            std::process::exit(2);
        }
    };
    let context = tauri::generate_context!();
    let mut desk = Desk::new(&dir, Keychain::default());
    // The packaged version, which an update build overrides in its config.
    desk.set_version(context.package_info().version.to_string());
    if let Err(e) = app(tauri::Builder::default(), desk).run(context) {
        eprintln!("clinicdesk: the window could not start: {e}");
        std::process::exit(1);
    }
}
