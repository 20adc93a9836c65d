//! The commands the screens call. Each one parses its input, calls one
//! `Desk` method and returns the answer or a `DeskError` (a kind and a plain
//! sentence). Commands that change clinic data tell every screen with a
//! `store-changed` event, so lists such as the flow board refresh at once.

use clinicdesk_desktop::{self as desktop, AppStatus, Desk, DeskError};
use serde::Serialize;
use std::sync::{Mutex, MutexGuard};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

pub(crate) type DeskState = Mutex<Desk>;
pub(crate) type Answer<T> = Result<T, DeskError>;

/// A command that panicked while holding the lock must not lock everyone
/// out: the desk's state is still consistent (every store write is one
/// transaction), so the poison is cleared.
pub(crate) fn desk<'a>(state: &'a State<'_, DeskState>) -> MutexGuard<'a, Desk> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Clone, Serialize)]
struct StoreChanged {
    source: &'static str,
}

/// This desktop changed clinic data: refresh the screens and send the
/// change to the clinic server now.
pub(crate) fn changed<R: Runtime>(app: &AppHandle<R>) {
    // A window that is closing cannot be told; nothing else depends on it.
    let _ = app.emit("store-changed", StoreChanged { source: "local" });
    if let Some(worker) = app.try_state::<desktop::SyncWorker>() {
        worker.nudge();
    }
}

/// An insurance check or a claim batch was answered, sent, failed or put
/// off: refresh the screens.
pub fn clearinghouse_changed<R: Runtime>(app: &AppHandle<R>) {
    let _ = app.emit(
        "store-changed",
        StoreChanged {
            source: "clearinghouse",
        },
    );
}

/// Other desktops' changes were merged: refresh the screens.
pub fn synced<R: Runtime>(app: &AppHandle<R>) {
    let _ = app.emit("store-changed", StoreChanged { source: "sync" });
}

/// `read!(name(Input) -> Output = method)`: a command that only reads.
/// `write!(…)`: one that changes clinic data and says so.
macro_rules! read {
    ($name:ident($input:ty) -> $out:ty = $method:ident) => {
        #[tauri::command(async)]
        pub fn $name(state: State<'_, DeskState>, input: $input) -> Answer<$out> {
            desk(&state).$method(&input)
        }
    };
    ($name:ident() -> $out:ty = $method:ident) => {
        #[tauri::command(async)]
        pub fn $name(state: State<'_, DeskState>) -> Answer<$out> {
            desk(&state).$method()
        }
    };
}

macro_rules! write {
    ($name:ident($input:ty) -> $out:ty = $method:ident) => {
        #[tauri::command(async)]
        pub fn $name<R: Runtime>(
            app: AppHandle<R>,
            state: State<'_, DeskState>,
            input: $input,
        ) -> Answer<$out> {
            let out = desk(&state).$method(&input)?;
            changed(&app);
            Ok(out)
        }
    };
}

#[tauri::command(async)]
pub fn app_status(state: State<'_, DeskState>) -> AppStatus {
    desk(&state).status()
}

/// The first screen is on show. With `CLINICDESK_EXIT_WHEN_READY` set (the
/// start-up benchmark, smoke tests of installed packages) the app says so
/// and quits, so a script can time a start up to an interactive screen.
#[tauri::command]
pub fn screen_ready<R: Runtime>(app: AppHandle<R>) {
    if std::env::var_os("CLINICDESK_EXIT_WHEN_READY").is_some() {
        println!("clinicdesk: ready");
        app.exit(0);
    }
}

#[tauri::command(async)]
pub fn lock(state: State<'_, DeskState>, input: Option<desktop::LockInput>) -> AppStatus {
    let idle = input.is_some_and(|i| i.idle);
    desk(&state).lock(idle)
}

read!(activity() -> () = activity);
read!(login(desktop::LoginInput) -> AppStatus = login);
read!(create_clinic(desktop::NewClinicInput) -> AppStatus = create_clinic);
read!(join_clinic(desktop::JoinInput) -> AppStatus = join_clinic);
read!(set_preference(desktop::PreferenceInput) -> AppStatus = set_preference);
read!(sync_status() -> desktop::SyncStatus = sync_status);

#[derive(Clone, Serialize)]
struct DemoProgress {
    phase: &'static str,
    done: u64,
    total: u64,
}

/// Fills a new clinic with the demo clinic; `demo-progress` events report
/// each phase so the first-run screen can show a progress bar.
#[tauri::command(async)]
pub fn create_demo_clinic<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, DeskState>,
    input: desktop::NewClinicInput,
) -> Answer<AppStatus> {
    let spec = desktop::demo_spec(chrono::Local::now().date_naive());
    let mut last = ("", u64::MAX);
    let mut progress = |p: clinicdesk_demo::Progress| {
        // One event per percent and phase is plenty for a progress bar.
        let pct = (p.done * 100).checked_div(p.total).unwrap_or(100);
        if (p.phase, pct) != last {
            last = (p.phase, pct);
            let _ = app.emit(
                "demo-progress",
                DemoProgress {
                    phase: p.phase,
                    done: p.done,
                    total: p.total,
                },
            );
        }
    };
    desk(&state).create_demo_clinic(&input, &spec, &mut progress)
}

read!(directory() -> desktop::Directory = directory);
read!(day_board(desktop::DayInput) -> desktop::DayBoard = day_board);
read!(week_board(desktop::WeekInput) -> desktop::WeekBoard = week_board);
read!(flow_board(desktop::DayInput) -> Vec<desktop::FlowRowView> = flow_board);
read!(my_day(desktop::DayInput) -> Vec<clinicdesk_store::Appointment> = my_day);
read!(search_patients(desktop::SearchInput) -> Vec<clinicdesk_store::PatientSummary> = search_patients);
read!(patient(desktop::IdInput) -> clinicdesk_store::Patient = patient);
read!(next_available(desktop::NextAvailableInput) -> Vec<desktop::OpenTimeView> = next_available);
read!(sync_conflicts() -> Vec<desktop::ConflictView> = sync_conflicts);

write!(register_patient(desktop::RegisterInput) -> clinicdesk_store::Patient = register_patient);
write!(update_patient(desktop::UpdatePatientInput) -> clinicdesk_store::Patient = update_patient);
write!(add_coverage(desktop::AddCoverageInput) -> clinicdesk_store::Patient = add_coverage);
write!(book(desktop::BookingInput) -> clinicdesk_store::Appointment = book);
write!(reschedule(desktop::RescheduleInput) -> clinicdesk_store::Appointment = reschedule);
write!(cancel(desktop::ReasonInput) -> clinicdesk_store::Appointment = cancel);
write!(no_show(desktop::ReasonInput) -> clinicdesk_store::Appointment = no_show);
write!(check_in(desktop::IdInput) -> clinicdesk_store::Appointment = check_in);
read!(eligibility(desktop::IdInput) -> desktop::PatientEligibility = eligibility);
write!(check_eligibility(desktop::CheckEligibilityInput) -> desktop::PatientEligibility = check_eligibility);
write!(check_day_eligibility(desktop::DayEligibilityInput) -> desktop::DayEligibilityReport = check_day_eligibility);
read!(payer_settings() -> desktop::PayerSettingsView = payer_settings);
read!(billing_overview() -> desktop::BillingOverview = billing_overview);
read!(claim_view(desktop::IdInput) -> desktop::ClaimView = claim_view);
read!(search_codes(desktop::CodeSearchInput) -> Vec<desktop::CodeMatch> = search_codes);
write!(save_claim(desktop::ClaimInput) -> desktop::ClaimView = save_claim);
write!(submit_claims(desktop::ClaimIdsInput) -> desktop::SubmitReport = submit_claims);
write!(resend_batch(desktop::IdInput) -> String = resend_batch);
read!(pick_up_replies() -> String = pick_up_replies);
write!(post_billing_file(desktop::BillingFileInput) -> String = post_billing_file);
/// "Check status": the 276s are made under the desk, asked without it (a
/// payer may take its whole time-out), and the answers recorded under it.
#[tauri::command(async)]
pub fn check_claim_status<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, DeskState>,
    input: desktop::ClaimIdsInput,
) -> Answer<String> {
    let questions = desk(&state).claim_status_questions(&input)?;
    let answers = questions.ask();
    let out = desk(&state).record_claim_status(answers)?;
    changed(&app);
    Ok(out)
}
write!(set_fee(desktop::FeeInput) -> clinicdesk_store::Fee = set_fee);
write!(set_payer_settings(desktop::PayerSettingsInput) -> desktop::PayerSettingsView = set_payer_settings);
write!(room(desktop::RoomInput) -> clinicdesk_store::Appointment = room);
write!(set_status(desktop::StatusInput) -> clinicdesk_store::Appointment = set_status);

write!(open_encounter(desktop::AppointmentRef) -> desktop::EncounterView = open_encounter);
write!(save_draft(desktop::DraftInput) -> desktop::NoteView = save_draft);
write!(sign_note(desktop::NoteRef) -> desktop::NoteView = sign_note);
write!(add_addendum(desktop::AddendumInput) -> desktop::NoteView = add_addendum);
write!(finish_encounter(desktop::EncounterRef) -> desktop::EncounterView = finish_encounter);

read!(users() -> Vec<clinicdesk_store::User> = users);
write!(add_user(desktop::NewUserInput) -> clinicdesk_store::User = add_user);
write!(set_user_active(desktop::UserActiveInput) -> Vec<clinicdesk_store::User> = set_user_active);
read!(audit_report(desktop::AuditFilterInput) -> Vec<clinicdesk_store::AuditRow> = audit_report);
read!(verify_audit() -> clinicdesk_store::Verification = verify_audit);
read!(update_settings() -> desktop::UpdateSettings = update_settings);
read!(clinic_settings() -> desktop::ClinicSettingsView = clinic_settings);
write!(set_clinic_settings(desktop::ClinicSettingsInput) -> desktop::ClinicSettingsView = set_clinic_settings);
read!(set_update_source(desktop::UpdateSourceInput) -> desktop::UpdateSettings = set_update_source);

read!(imaging_studies(desktop::StudiesInput) -> Vec<clinicdesk_store::imaging::StudySummary> = imaging_studies);
read!(imaging_study(desktop::StudyRef) -> desktop::StudyView = imaging_study);
read!(annotations(desktop::StudyRef) -> Vec<clinicdesk_store::Annotation> = annotations);
read!(confirm_study(desktop::ConfirmStudyInput) -> clinicdesk_store::imaging::StudySummary = confirm_study);
write!(add_annotation(clinicdesk_store::NewAnnotation) -> clinicdesk_store::Annotation = add_annotation);
write!(edit_annotation(clinicdesk_store::AnnotationEdit) -> clinicdesk_store::Annotation = edit_annotation);
write!(remove_annotation(desktop::AnnotationRef) -> () = remove_annotation);

/// Saves the filtered audit report as CSV in the user's Documents folder
/// (the data folder when there is none).
#[tauri::command(async)]
pub fn export_audit_csv<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, DeskState>,
    input: desktop::AuditFilterInput,
) -> Answer<desktop::CsvExport> {
    let mut desk = desk(&state);
    let folder = app
        .path()
        .document_dir()
        .unwrap_or_else(|_| desk.dir().to_path_buf());
    desk.export_audit_csv(&input, &folder)
}

pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_status,
        screen_ready,
        lock,
        activity,
        login,
        create_clinic,
        join_clinic,
        create_demo_clinic,
        set_preference,
        sync_status,
        directory,
        day_board,
        week_board,
        flow_board,
        my_day,
        search_patients,
        patient,
        next_available,
        sync_conflicts,
        register_patient,
        update_patient,
        add_coverage,
        book,
        reschedule,
        cancel,
        no_show,
        check_in,
        eligibility,
        check_eligibility,
        check_day_eligibility,
        payer_settings,
        set_payer_settings,
        billing_overview,
        claim_view,
        search_codes,
        save_claim,
        submit_claims,
        resend_batch,
        pick_up_replies,
        post_billing_file,
        check_claim_status,
        set_fee,
        room,
        set_status,
        open_encounter,
        save_draft,
        sign_note,
        add_addendum,
        finish_encounter,
        users,
        add_user,
        set_user_active,
        audit_report,
        verify_audit,
        export_audit_csv,
        update_settings,
        set_update_source,
        clinic_settings,
        set_clinic_settings,
        crate::updates::update_state,
        crate::updates::check_for_update,
        crate::updates::install_update,
        crate::updates::restart_app,
        crate::scribe::scribe_status,
        crate::scribe::record_dictation,
        crate::scribe::import_dictation,
        crate::scribe::retry_dictation,
        crate::scribe::stop_dictation,
        crate::scribe::cancel_dictation,
        crate::scribe::dictations,
        crate::scribe::discard_dictation,
        crate::scribe::draft_from_dictation,
        crate::scribe::audio_retention,
        crate::scribe::set_audio_retention,
        imaging_studies,
        imaging_study,
        annotations,
        confirm_study,
        add_annotation,
        edit_annotation,
        remove_annotation,
        crate::imaging::open_series,
        crate::imaging::viewer_frame,
        crate::imaging::series_thumbnail,
        crate::imaging::image_tags,
        crate::imaging::export_image,
        crate::imaging::import_images,
        crate::imaging::image_import_status,
        crate::imaging::search_pacs,
        crate::imaging::retrieve_study,
    ]
}
