//! The real app in a real window (under Xvfb in CI), driven through
//! WebDriver (`tauri-driver` + WebKitWebDriver) the way a clinic uses it:
//! unlock, book, check in (with the payer verifying coverage through the
//! clearinghouse simulator), open the encounter, write and sign a note, find
//! it all in the audit report, and lock after idle. Every main screen is
//! saved as a screenshot in `tests/screenshots/`.

mod webdriver;

use clinicdesk_demo::{morning_zone, open_all_day};
use clinicdesk_keys::Keychain;
use clinicdesk_store::{Store, Unlock};
use std::path::Path;
use std::time::Duration;
use webdriver::{driver, screenshots, Session};

const PASSWORD: &str = "correct horse battery";

fn app() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_clinicdesk"))
}

fn login(s: &Session, user: &str) {
    s.find("[data-testid=lock-screen]");
    s.fill("[data-testid=login-username]", user);
    s.fill("[data-testid=login-password]", PASSWORD);
    s.click("[data-testid=login-submit]");
    s.find("[data-testid=status-bar]");
}

fn lock(s: &Session) {
    s.click("[data-testid=lock-button]");
    s.find("[data-testid=lock-screen]");
}

#[test]
fn first_run_offers_a_new_clinic_or_the_demo() {
    let data = tempfile::tempdir().unwrap();
    let Some(driver) = driver(data.path()) else {
        return;
    };
    let s = Session::start(&driver.url, app());
    s.find("[data-testid=first-run]");
    s.find("[data-testid=first-run-create]");
    s.find("[data-testid=first-run-demo]");
    s.screenshot(&screenshots().join("00-first-run.png"));
}

/// The clearinghouse simulator on 127.0.0.1, and the clinic's payer
/// settings pointing at it; the runtime keeps it answering.
fn clearinghouse(data: &Path) -> tokio::runtime::Runtime {
    use clinicdesk_clearinghouse::sim::{Scenarios, SimConfig, Simulator};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = Simulator::new(SimConfig {
        username: "clinic".into(),
        password: "sim-s3cret".into(),
        receiver_id: "CLEARINGHOUSE".into(),
        scenarios: Scenarios::builtin(),
    });
    let url = rt
        .block_on(sim.spawn("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let name = format!("Harbour Hub {}", std::process::id());
    Keychain::default()
        .save_secret(&format!("clearinghouse/{name}"), "sim-s3cret")
        .unwrap();
    let mut store = Store::open(data, &Unlock::default()).unwrap();
    let admin = store.login("admin", PASSWORD).unwrap();
    store
        .set_payer_settings(&admin, clinicdesk_demo::demo_payer_settings(&name, &url))
        .unwrap();
    rt
}

#[test]
fn a_clinic_day_in_the_window() {
    let data = tempfile::tempdir().unwrap();
    let zone = morning_zone();
    let clinic = open_all_day(data.path(), zone, Keychain::default(), PASSWORD).unwrap();
    // The first open slot at least half an hour from now.
    let slot = {
        let store = Store::open(data.path(), &Unlock::default()).unwrap();
        let (start, end) = zone.day_bounds(zone.today());
        let soon = chrono::Utc::now().timestamp() + 1800;
        store
            .slots(&clinic.provider_id, start.max(soon), end)
            .unwrap()
            .into_iter()
            .next()
            .expect("open time later today")
    };
    let Some(driver) = driver(data.path()) else {
        return;
    };
    let _clearinghouse = clearinghouse(data.path());
    let shots = screenshots();
    let s = Session::start(&driver.url, app());

    // Front desk: unlock, book into the slot with a newly registered patient.
    s.find("[data-testid=lock-screen]");
    s.screenshot(&shots.join("01-lock.png"));
    s.fill("[data-testid=login-username]", "reception");
    s.fill("[data-testid=login-password]", "not the password");
    s.click("[data-testid=login-submit]");
    s.wait_text("[data-testid=login-error]", "not correct");
    login(&s, "reception");
    s.wait_text("[data-testid=status-user]", "Robin Reception");
    s.find("[data-testid=day-calendar]");
    let slot_css = format!("[data-testid=slot][data-slot-id=\"{}\"]", slot.id);
    s.find(&slot_css);
    s.screenshot(&shots.join("02-calendar.png"));
    s.click(&slot_css);
    s.find("[data-testid=booking-dialog]");
    s.click("[data-testid=register-toggle]");
    s.fill("[data-testid=register-given]", "Ada");
    s.fill("[data-testid=register-family]", "Quill");
    s.set_value("[data-testid=register-birth-date]", "1980-02-29");
    s.select("[data-testid=register-sex]", "female");
    s.fill("[data-testid=register-phone]", "555-0100");
    s.click("[data-testid=register-submit]");
    s.fill("[data-testid=booking-reason]", "Cough for a week");
    s.screenshot(&shots.join("03-booking.png"));
    s.click("[data-testid=booking-submit]");
    let card = s.find("[data-testid=appointment-card][data-status=booked]");
    let appointment = s
        .attr(&card, "data-appointment-id")
        .expect("the card names its visit");

    // Check in from the flow board.
    s.click("[data-testid=nav-flow-board]");
    let row = format!("[data-testid=flow-row][data-appointment-id=\"{appointment}\"]");
    s.find(&row);
    s.screenshot(&shots.join("04-flow-board.png"));
    s.click(&format!("{row} [data-testid=check-in-button]"));
    s.find("[data-testid=check-in-dialog]");
    // The card on file goes in, and the payer confirms it (the
    // clearinghouse simulator over CORE, through the background worker).
    s.click("[data-testid=coverage-add]");
    s.fill("[data-testid=coverage-payer]", "Acme Health");
    s.fill("[data-testid=coverage-payer-id]", "ACME1");
    s.fill("[data-testid=coverage-member]", "ACTIVE01");
    s.click("[data-testid=coverage-save]");
    s.find("[data-testid=eligibility-card][data-state=not-checked]");
    s.click("[data-testid=eligibility-check]");
    s.wait_text("[data-testid=eligibility-headline]", "Active · Gold PPO");
    s.script(
        "document.querySelector('[data-testid=eligibility-panel]').scrollIntoView({block: 'end'})",
        serde_json::json!([]),
    );
    s.screenshot(&shots.join("05-check-in.png"));
    s.click("[data-testid=check-in-confirm]");
    s.find(&format!("{row}[data-status=arrived]"));
    s.wait_text(
        &format!("{row} [data-testid=flow-eligibility]"),
        "Verified: active",
    );
    lock(&s);

    // The physician opens the encounter, writes and signs the note.
    login(&s, "drhale");
    let mine = format!("[data-testid=my-day-row][data-appointment-id=\"{appointment}\"]");
    s.find(&mine);
    s.screenshot(&shots.join("06-my-day.png"));
    s.click(&format!("{mine} [data-testid=open-encounter]"));
    s.find("[data-testid=encounter-screen]");
    s.fill(
        "[data-testid=note-subjective]",
        "Dry cough for a week, no fever.",
    );
    s.fill("[data-testid=note-objective]", "Chest clear. Temp 36.8.");
    s.fill("[data-testid=note-assessment]", "Viral bronchitis.");
    s.fill("[data-testid=note-plan]", "Fluids, rest, return if worse.");
    s.wait_text("[data-testid=save-state]", "Saved");
    s.screenshot(&shots.join("07-encounter.png"));
    s.click("[data-testid=sign-note]");
    s.click("[data-testid=sign-confirm]");
    s.wait_text("[data-testid=signed-banner]", "Dr Rowan Hale");
    lock(&s);

    // The administrator finds all of it in the audit report.
    login(&s, "admin");
    s.find("[data-testid=audit-report]");
    s.fill("[data-testid=audit-filter-user]", "drhale");
    s.click("[data-testid=audit-apply]");
    s.wait_text("[data-testid=audit-report] table", "sign");
    s.screenshot(&shots.join("08-audit.png"));
    s.fill("[data-testid=audit-filter-user]", "reception");
    s.click("[data-testid=audit-apply]");
    s.wait_text("[data-testid=audit-report] table", "arrived");
    s.click("[data-testid=audit-verify]");
    s.wait_text("[data-testid=audit-verify-result]", "Intact");
    s.click("[data-testid=nav-users]");
    s.find("[data-testid=users-screen]");
    s.wait_text("[data-testid=users-screen]", "drhale");
    s.screenshot(&shots.join("09-users.png"));

    // The administrator renames the clinic: the window says so at once.
    s.click("[data-testid=nav-preferences]");
    s.find("[data-testid=preferences]");
    s.fill("[data-testid=clinic-settings-name]", "Harbour Health");
    s.click("[data-testid=clinic-save]");
    s.wait_text("[data-testid=clinic-note]", "other desktops");
    // (The element's own text, as WebKit's driver leaves out this
    // ellipsized span.)
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let shown = s.script(
            "return document.querySelector('[data-testid=status-bar] .clinic').textContent",
            serde_json::json!([]),
        );
        if shown == "Harbour Health" {
            break;
        }
        if std::time::Instant::now() > until {
            s.fail(&format!("the status bar names the clinic {shown}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    // Idle lock: one minute without activity locks the screen by itself.
    s.fill("[data-testid=pref-idle-lock]", "1");
    s.keys("\u{E007}"); // Enter
    s.screenshot(&shots.join("10-preferences.png"));
    let locked = s.wait_for("[data-testid=lock-screen]", Duration::from_secs(100));
    assert!(
        locked.is_some(),
        "the screen did not lock after a minute idle"
    );
    s.wait_text("[data-testid=lock-reason]", "1 minute");
    s.wait_text("[data-testid=lock-screen]", "Harbour Health");
    s.screenshot(&shots.join("11-locked-after-idle.png"));
}

/// The CT series scripts/make-ct-series.sh makes for the viewer's test.
fn ct_series() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fetched"))
        .join("ct-series-40");
    if dir.join(".made").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing (required under CI); run scripts/make-ct-series.sh 40",
        dir.display()
    );
    eprintln!("skipped: run scripts/make-ct-series.sh 40");
    None
}

/// Images in the window: a disc's folder imported with progress, the study
/// confirmed for the clinic's patient, opened in the viewer, scrolled,
/// measured in millimetres, and its tags browsed.
#[test]
fn images_in_the_window() {
    let Some(series) = ct_series() else { return };
    let data = tempfile::tempdir().unwrap();
    open_all_day(data.path(), morning_zone(), Keychain::default(), PASSWORD).unwrap();
    let mrn = {
        let mut store = Store::open(data.path(), &Unlock::default()).unwrap();
        let admin = store.login("admin", PASSWORD).unwrap();
        store
            .add_patient(
                &admin,
                &clinicdesk_store::PatientInput {
                    given_name: "Ada".into(),
                    family_name: "Lovelace".into(),
                    birth_date: "1960-12-01".into(),
                    ..Default::default()
                },
            )
            .unwrap()
            .mrn
    };
    let Some(driver) = driver(data.path()) else {
        return;
    };
    let shots = screenshots();
    let s = Session::start(&driver.url, app());
    login(&s, "drhale");
    s.click("[data-testid=nav-images]");
    s.find("[data-testid=images-screen]");
    // What dropping the folder on the window does.
    let started = s.script_async(
        r#"const [path, done] = [arguments[0], arguments[arguments.length - 1]];
           window.__TAURI_INTERNALS__.invoke('import_images', { input: { paths: [path] } })
             .then(() => done('ok'), (e) => done(JSON.stringify(e)));"#,
        serde_json::json!([series.display().to_string()]),
    );
    assert_eq!(started, serde_json::json!("ok"), "{started}");
    s.wait_text(
        "[data-testid=import-progress]",
        "Imported 40 images in 1 study",
    );
    s.wait_text("[data-testid=study-list]", "Needs confirmation");
    s.screenshot(&shots.join("12-images.png"));
    s.click("[data-testid=confirm-patient]");
    s.fill("[data-testid=confirm-mrn]", &mrn);
    s.click("[data-testid=confirm-submit]");
    s.wait_text("[data-testid=study-list]", "Linked");

    s.click("[data-testid=open-study]");
    s.find("[data-testid=image-viewer][data-count='40']");
    s.wait_text("[data-testid=viewer-position]", "Image 1 / 40");
    s.find("[data-testid=image-viewer]");
    for _ in 0..3 {
        s.keys("\u{E015}"); // Arrow down
    }
    s.wait_text("[data-testid=viewer-position]", "Image 4 / 40");
    s.keys("2"); // the lung preset
    s.click("[data-tool=distance]");
    // A line across 100 screen pixels of the canvas, as a mouse would draw it.
    s.script(
        r#"const c = document.querySelector('[data-testid=image-viewer] canvas');
           const r = c.getBoundingClientRect();
           const at = (type, dx) => c.dispatchEvent(new PointerEvent(type, {
             bubbles: true, pointerId: 1, button: 0, buttons: type === 'pointerup' ? 0 : 1,
             clientX: r.left + r.width / 2 - 50 + dx, clientY: r.top + r.height / 2 }));
           at('pointerdown', 0); at('pointermove', 50); at('pointermove', 100); at('pointerup', 100);"#,
        serde_json::json!([]),
    );
    let drawn = s.wait_text("[data-testid=annotation]", " mm");
    // Drag the line's end handle 50 pixels further: the measurement grows
    // and the moved line is saved.
    s.script(
        r#"const c = document.querySelector('[data-testid=image-viewer] canvas');
           const r = c.getBoundingClientRect();
           const at = (type, dx) => c.dispatchEvent(new PointerEvent(type, {
             bubbles: true, pointerId: 1, button: 0, buttons: type === 'pointerup' ? 0 : 1,
             clientX: r.left + r.width / 2 + 50 + dx, clientY: r.top + r.height / 2 }));
           at('pointerdown', 0); at('pointermove', 25); at('pointermove', 50); at('pointerup', 50);"#,
        serde_json::json!([]),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let moved = loop {
        let now = s.wait_text("[data-testid=annotation]", " mm");
        if now != drawn || std::time::Instant::now() > deadline {
            break now;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_ne!(
        moved, drawn,
        "dragging the handle moved the end of the line"
    );
    // Move the whole line with the keyboard: Move, two steps right (one of
    // 10 pixels with Shift, one of 1) and one up, then Enter keeps it.
    let points = |s: &webdriver::Session| -> Vec<f64> {
        let li = s.find("[data-testid=annotation]");
        s.attr(&li, "data-points")
            .unwrap_or_default()
            .split([' ', ','])
            .filter_map(|v| v.parse().ok())
            .collect()
    };
    let before = points(&s);
    s.click("[data-testid=annotation-move]");
    s.find("[data-testid=annotation-moving]");
    s.chord('\u{E008}', '\u{E014}'); // Shift + Arrow right
    s.keys("\u{E014}\u{E013}\u{E007}"); // Arrow right, Arrow up, Enter
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let after = loop {
        let now = points(&s);
        if now != before || std::time::Instant::now() > deadline {
            break now;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let shift: Vec<f64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    assert_eq!(shift, [11.0, -1.0, 11.0, -1.0], "{before:?} -> {after:?}");
    let still = s.script(
        "return document.querySelectorAll('[data-testid=annotation-moving]').length",
        serde_json::json!([]),
    );
    assert_eq!(still, serde_json::json!(0), "Enter ends the move");
    s.click("[data-testid=annotation-relabel]");
    s.fill("[data-testid=annotation-label]", "lesion");
    s.click("[data-testid=annotation-label-save]");
    s.wait_text("[data-testid=annotation]", "— lesion");
    s.screenshot(&shots.join("13-viewer.png"));
    s.click("[data-testid=show-tags]");
    s.wait_text("[data-testid=tag-browser]", "PatientName");
    s.keys("\u{E00C}"); // Escape
    s.click("[data-testid=close-viewer]");
    s.find("[data-testid=study-list]");
}
