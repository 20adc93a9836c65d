//! The app's figures in a real window (bench/window.sh runs it): how long
//! switching the calendar's day takes to render with 6 providers and 40
//! appointments each, how much memory the app holds after a scripted day
//! at the front desk and in the exam room, and, given a recording, how
//! quickly typing in the note shows while that recording is transcribed,
//! and, given a CT series, how fast the viewer scrolls through it.
//!
//! Usage: window-bench --app PATH [--runs N] [--dictation FILE.wav]
//! [--ct-series DIR [--viewer-only]]. Needs
//! a display (Xvfb), tauri-driver and WebKitWebDriver, and a keychain; the
//! dictation figure needs the speech model (CLINICDESK_MODEL).

#[path = "../tests/webdriver/mod.rs"]
mod webdriver;

use chrono::Duration;
use clinicdesk_domain::{ClinicZone, Role};

use clinicdesk_keys::Keychain;
use clinicdesk_store::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use webdriver::{driver, Session};

const PASSWORD: &str = "correct horse battery";
const PROVIDERS: usize = 6;
const PER_PROVIDER: usize = 40;

/// A clinic whose 6 providers each see 40 patients tomorrow and the day
/// after (08:00 to 18:00 in 15-minute visits), and are booked for the rest
/// of today (in a zone where it is morning now), with a receptionist and a
/// physician.
fn clinic(dir: &Path) -> ClinicZone {
    let zone = clinicdesk_demo::morning_zone();
    let (mut store, admin) = Store::create(
        dir,
        NewClinic {
            name: "Harbour Family Practice".into(),
            timezone: zone,
            admin: NewUser {
                username: "admin".into(),
                display_name: "Clinic Admin".into(),
                role: Role::Admin,
                password: PASSWORD.into(),
                provider_id: None,
            },
            key: KeySetup::Keychain(Keychain::default()),
        },
    )
    .expect("a clinic");
    let location = store
        .add_location(
            &admin,
            NewLocation {
                name: "Main Street".into(),
                ..Default::default()
            },
        )
        .expect("a location");
    store
        .add_room(&admin, &location.id, "Exam 1")
        .expect("a room");
    let visit = store
        .add_appointment_type(
            &admin,
            NewAppointmentType {
                name: "Follow-up".into(),
                duration_minutes: 15,
                color: "#1e88e5".into(),
                capacity: 1,
            },
        )
        .expect("a type");
    let today = zone.today();
    let mut providers = Vec::new();
    for i in 0..PROVIDERS {
        let p = store
            .add_provider(
                &admin,
                NewProvider {
                    given_name: format!("Dana{i}"),
                    family_name: format!("Provider{i}"),
                    ..Default::default()
                },
            )
            .expect("a provider");
        for weekday in 1..=7 {
            store
                .add_template(
                    &admin,
                    &TemplateInput {
                        provider_id: p.id.clone(),
                        location_id: location.id.clone(),
                        weekday,
                        start_time: "08:00".into(),
                        end_time: "18:00".into(),
                        slot_minutes: 15,
                        appointment_type_id: Some(visit.id.clone()),
                        effective_from: today.to_string(),
                        effective_to: None,
                    },
                )
                .expect("a template");
        }
        providers.push(p);
    }
    store
        .materialize(&admin, today, today + Duration::days(3))
        .expect("slots");
    for (name, role, provider) in [
        ("desk", Role::FrontDesk, None),
        ("doc", Role::Physician, Some(providers[0].id.clone())),
    ] {
        store
            .add_user(
                &admin,
                NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    role,
                    password: PASSWORD.into(),
                    provider_id: provider,
                },
            )
            .expect("a user");
    }
    let desk = store.login("desk", PASSWORD).expect("desk logs in");
    let mut n = 0;
    let soon = chrono::Utc::now().timestamp() + 600;
    for day in [today, today + Duration::days(1), today + Duration::days(2)] {
        let (from, to) = zone.day_bounds(day);
        let from = if day == today { from.max(soon) } else { from };
        for p in &providers {
            let slots = store.slots(&p.id, from, to).expect("slots");
            if day != today {
                assert_eq!(slots.len(), PER_PROVIDER, "40 slots from 08:00 to 18:00");
            }
            for s in slots {
                n += 1;
                let patient = store
                    .add_patient(
                        &desk,
                        &PatientInput {
                            given_name: format!("Pat{n}"),
                            family_name: format!("Family{}", n % 97),
                            birth_date: "1980-01-01".into(),
                            ..Default::default()
                        },
                    )
                    .expect("a patient");
                store
                    .book(
                        &desk,
                        &BookingRequest {
                            patient_id: patient.id,
                            slot_id: Some(s.id),
                            ..Default::default()
                        },
                    )
                    .expect("a booking");
            }
        }
    }
    zone
}

/// Clicks the calendar's next or previous day and waits, in the page, for
/// the other day's 240 cards to be on screen and painted; milliseconds.
const SWITCH: &str = r#"
const [button, want, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const first = () => { const c = document.querySelector('[data-testid=appointment-card]'); return c ? c.dataset.appointmentId : null; };
const before = first();
let updated = -1;
// Called at the microtask checkpoint after the screens changed the page:
// the time the new day's cards were written, before style, layout and paint.
const watch = new MutationObserver(() => { if (updated < 0 && first() !== before) updated = performance.now() - t0; });
watch.observe(document.querySelector('[data-testid=day-calendar]'), { subtree: true, childList: true, attributes: true, characterData: true });
const t0 = performance.now();
document.querySelector(`[data-testid=${button}]`).click();
(function check() {
  const n = document.querySelectorAll('[data-testid=appointment-card]').length;
  if (n >= want && first() !== before) { watch.disconnect(); const dom = performance.now() - t0; requestAnimationFrame(() => done([performance.now() - t0, dom, updated])); return; }
  if (performance.now() - t0 > 15000) { watch.disconnect(); done([-1, -1, -1]); return; }
  requestAnimationFrame(check);
})();
"#;

/// One process's memory, in kB: resident (of which anonymous, that is not
/// mapped from files such as the shared libraries) and proportional.
struct ProcessMemory {
    name: String,
    rss: u64,
    anon: u64,
    pss: u64,
}

/// The memory of the app and the WebKit processes it started.
fn memory(app: &Path) -> Vec<ProcessMemory> {
    let app = app.canonicalize().unwrap_or_else(|_| app.to_path_buf());
    let procs: Vec<(u32, u32, PathBuf)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let ppid: u32 = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            Some((pid, ppid, exe))
        })
        .collect();
    let mut tree: Vec<u32> = procs
        .iter()
        .filter(|(_, _, exe)| *exe == app)
        .map(|(p, _, _)| *p)
        .collect();
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            procs
                .iter()
                .filter(|(_, pp, _)| *pp == parent)
                .map(|(p, _, _)| *p),
        );
        i += 1;
    }
    let field = |pid: u32, file: &str, key: &str| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    tree.iter()
        .map(|&pid| ProcessMemory {
            name: std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .unwrap_or_default()
                .trim()
                .to_string(),
            rss: field(pid, "status", "VmRSS:"),
            anon: field(pid, "status", "RssAnon:"),
            pss: field(pid, "smaps_rollup", "Pss:"),
        })
        .collect()
}

fn login(s: &Session, user: &str) {
    s.find("[data-testid=lock-screen]");
    s.fill("[data-testid=login-username]", user);
    s.fill("[data-testid=login-password]", PASSWORD);
    s.click("[data-testid=login-submit]");
    s.find("[data-testid=status-bar]");
}

/// Clicks in the page: a toast or a closing dialog may cover the spot a
/// pointer click would land on.
fn js_click(s: &Session, css: &str) {
    s.find(css);
    s.script("document.querySelector(arguments[0]).click()", json!([css]));
}

/// Records, in the page, the time from each key press in the focused
/// field to the frame that shows its character.
const WATCH_KEYS: &str = r#"
window.__lat = [];
const field = document.activeElement;
if (field.dataset.watched !== '1') {
  field.dataset.watched = '1';
  field.addEventListener('keydown', (e) => {
    const t0 = e.timeStamp;
    field.addEventListener('input', () => requestAnimationFrame(() => window.__lat.push(performance.now() - t0)), { once: true });
  });
}
"#;

/// Types `n` characters into the focused field one by one (as a person
/// would, ~8 a second) and returns the sorted key-to-frame latencies.
fn typing_latency(s: &Session, n: usize) -> Vec<f64> {
    s.script(WATCH_KEYS, json!([]));
    for _ in 0..n {
        s.keys("a");
        std::thread::sleep(std::time::Duration::from_millis(120));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut v: Vec<f64> = s
        .script("return window.__lat", json!([]))
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
        .unwrap_or_default();
    v.sort_by(f64::total_cmp);
    v
}

/// In an open encounter: typing latency in the note, first idle, then
/// while `recording` is transcribed on this computer.
fn dictation_responsiveness(s: &Session, recording: &Path) {
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD
        .encode(std::fs::read(recording).expect("the recording"));
    let field = "[data-testid=note-assessment]";
    s.find(field);
    s.script(
        "document.querySelector(arguments[0]).focus()",
        json!([field]),
    );
    let idle = typing_latency(s, 40);
    let encounter = s
        .script(
            "return document.querySelector('[data-testid=dictation-panel]') ? 'ok' : null",
            json!([]),
        )
        .as_str()
        .map(str::to_string);
    assert!(
        encounter.is_some(),
        "the dictation panel is not on the encounter screen"
    );
    let started = s.script_async(
        r#"const [data, done] = [arguments[0], arguments[arguments.length - 1]];
           const id = document.querySelector('[data-testid=encounter-screen]').dataset.encounterId;
           window.__TAURI_INTERNALS__.invoke('import_dictation', { input: { encounter_id: id, file_name: 'dictation.wav', data_base64: data } })
             .then(() => done('ok'), (e) => done(JSON.stringify(e)));"#,
        json!([data]),
    );
    assert_eq!(
        started,
        json!("ok"),
        "the dictation did not start: {started}"
    );
    s.find("[data-testid=scribe-progress]");
    s.script(
        "document.querySelector(arguments[0]).focus()",
        json!([field]),
    );
    let t = std::time::Instant::now();
    let busy = typing_latency(s, 40);
    let typed_for = t.elapsed().as_secs_f64();
    let still = !s.all("[data-testid=scribe-progress]").is_empty();
    let report = |name: &str, v: &[f64]| {
        println!(
            "  typing in the note {name}: {} keys, median {:.0} ms, p95 {:.0} ms, max {:.0} ms",
            v.len(),
            percentile(v, 0.5),
            percentile(v, 0.95),
            v[v.len() - 1]
        );
    };
    println!("dictation: key press to painted character in the note");
    report("idle", &idle);
    report("while a recording is transcribed", &busy);
    println!(
        "  ({typed_for:.1} s of typing; transcription {})",
        if still {
            "still running at the end"
        } else {
            "finished during the typing"
        }
    );
}

/// Steps the viewer `n` images with `key`, each press as soon as the image
/// before is painted; milliseconds for all of them. The viewer counts its
/// paints in `data-painted`; an observer sees the count change in the same
/// task as the paint, and the next press goes at the next frame, so the
/// image has been drawn to the window when it comes. (Polling the count
/// once a frame instead would wait one frame more after every paint, which
/// caps the figure at half the display's frame rate, whatever the viewer
/// does.)
const SCROLL: &str = r#"
const [key, n, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const v = document.querySelector('[data-testid=image-viewer]');
const t0 = performance.now();
let left = n;
const stall = setTimeout(() => done(-1), 120000);
function press() {
  if (left === 0) { clearTimeout(stall); done(performance.now() - t0); return; }
  left--;
  const before = Number(v.dataset.painted);
  const seen = new MutationObserver(() => {
    if (Number(v.dataset.painted) > before) { seen.disconnect(); requestAnimationFrame(press); }
  });
  seen.observe(v, { attributes: true, attributeFilter: ['data-painted'] });
  v.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
}
press();
"#;

/// Imports the CT series `dir` through the app, opens it, and scrolls it
/// through once cold (each image fetched from the encrypted store as it is
/// needed, the look-ahead running) and once back up from the viewer's
/// cache; then plays it in cine at 60 images a second.
fn viewer_scrolling(s: &Session, dir: &Path) {
    js_click(s, "[data-testid=nav-images]");
    s.find("[data-testid=images-screen]");
    let t = std::time::Instant::now();
    let started = s.script_async(
        r#"const [path, done] = [arguments[0], arguments[arguments.length - 1]];
           window.__TAURI_INTERNALS__.invoke('import_images', { input: { paths: [path] } })
             .then(() => done('ok'), (e) => done(JSON.stringify(e)));"#,
        json!([dir.display().to_string()]),
    );
    assert_eq!(started, json!("ok"), "the import did not start: {started}");
    s.wait_text("[data-testid=import-progress]", "Imported");
    let imported = t.elapsed().as_secs_f64();
    js_click(s, "[data-testid=open-study]");
    let viewer = s.find("[data-testid=image-viewer]");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let count = loop {
        let n: usize = s
            .attr(&viewer, "data-count")
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if n > 0 && s.attr(&viewer, "data-painted").as_deref() != Some("0") {
            break n;
        }
        assert!(std::time::Instant::now() < until, "the series never showed");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let steps = count - 1;
    // In runs of 25, each within WebDriver's script time-out.
    let pass = |key: &str| -> f64 {
        let mut total = 0.0;
        let mut left = steps;
        while left > 0 {
            let n = left.min(25);
            let ms = s
                .script_async(SCROLL, json!([key, n]))
                .as_f64()
                .unwrap_or(-1.0);
            assert!(ms > 0.0, "scrolling stalled");
            total += ms;
            left -= n;
        }
        total
    };
    let cold = pass("ArrowDown");
    let warm = pass("ArrowUp");
    s.script(
        r#"const sel = document.querySelector('select[aria-label="Cine speed"]');
           sel.value = '60'; sel.dispatchEvent(new Event('change', { bubbles: true }));"#,
        json!([]),
    );
    js_click(s, "[data-testid=cine]");
    std::thread::sleep(std::time::Duration::from_secs(6));
    let cine = s
        .attr(&s.find("[data-testid=image-viewer]"), "data-cine-fps")
        .unwrap_or_default();
    js_click(s, "[data-testid=cine]");
    println!("viewer: {count}-image CT series (512×512, 16-bit), imported through the app in {imported:.1} s");
    println!(
        "  scrolling, each image painted before the next key: first pass {:.1} images/s ({:.1} ms each), again from the cache {:.1} images/s ({:.1} ms each)",
        steps as f64 * 1000.0 / cold,
        cold / steps as f64,
        steps as f64 * 1000.0 / warm,
        warm / steps as f64
    );
    println!("  cine asked for 60 images/s: shows {cine} images/s");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut app, mut runs, mut dictation, mut ct) = (None, 20usize, None, None);
    let mut viewer_only = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--app" => app = args.next().map(PathBuf::from),
            "--runs" => runs = args.next().and_then(|r| r.parse().ok()).unwrap_or(runs),
            "--dictation" => dictation = args.next().map(PathBuf::from),
            "--ct-series" => ct = args.next().map(PathBuf::from),
            "--viewer-only" => viewer_only = true,
            other => panic!(
                "unknown argument {other}; usage: window-bench --app PATH [--runs N] [--dictation FILE.wav] [--ct-series DIR]"
            ),
        }
    }
    let app = app.expect("--app PATH: the release app binary");
    let data = tempfile::tempdir().expect("a data folder");
    let t = std::time::Instant::now();
    clinic(data.path());
    eprintln!(
        "window-bench: clinic with {} appointments a day made in {:.1} s",
        PROVIDERS * PER_PROVIDER,
        t.elapsed().as_secs_f64()
    );
    let driver = driver(data.path()).expect("a display, tauri-driver and WebKitWebDriver");
    let s = Session::start(&driver.url, &app);
    if viewer_only {
        login(&s, "doc");
        viewer_scrolling(
            &s,
            ct.as_deref().expect("--viewer-only needs --ct-series DIR"),
        );
        return;
    }

    login(&s, "desk");
    s.find("[data-testid=day-calendar]");
    let want = PROVIDERS * PER_PROVIDER;
    // Tomorrow's first showing is not measured: it pays for the first load.
    let first = s.script_async(SWITCH, json!(["calendar-next", want]))[0]
        .as_f64()
        .unwrap_or(-1.0);
    assert!(first >= 0.0, "tomorrow's {want} appointments never showed");
    eprintln!("window-bench: tomorrow shown first in {first:.0} ms");
    let mut times = Vec::new();
    let mut dom = Vec::new();
    let mut written = Vec::new();
    for i in 0..runs * 2 {
        let button = if i % 2 == 0 {
            "calendar-next"
        } else {
            "calendar-prev"
        };
        let v = s.script_async(SWITCH, json!([button, want]));
        let (ms, in_dom) = (v[0].as_f64().unwrap_or(-1.0), v[1].as_f64().unwrap_or(-1.0));
        assert!(
            ms >= 0.0,
            "the other day's {want} appointments never showed"
        );
        times.push(ms);
        dom.push(in_dom);
        written.push(v[2].as_f64().unwrap_or(-1.0));
    }
    dom.sort_by(f64::total_cmp);
    written.sort_by(f64::total_cmp);
    times.sort_by(f64::total_cmp);
    println!(
        "day switch, {PROVIDERS} providers x {PER_PROVIDER} appointments: {} runs, median {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times[times.len() - 1]
    );
    println!(
        "  of which until the cards are in the page (before the paint): median {:.0} ms",
        percentile(&dom, 0.5)
    );
    println!(
        "  of which until the screens have written the cards (before style and layout): median {:.0} ms",
        percentile(&written, 0.5)
    );

    // Of that, the core's answer: the same day_board command, called from
    // the page without rendering anything.
    let mut core = Vec::new();
    for _ in 0..10 {
        let ms = s
            .script_async(
                r#"const done = arguments[arguments.length - 1];
                   const date = document.querySelector('[data-testid=calendar-date]').value;
                   const t0 = performance.now();
                   window.__TAURI_INTERNALS__.invoke('day_board', { input: { date, location_id: null } })
                     .then(() => done(performance.now() - t0), () => done(-1));"#,
                json!([]),
            )
            .as_f64()
            .unwrap_or(-1.0);
        core.push(ms);
    }
    core.sort_by(f64::total_cmp);
    println!(
        "  of which the day_board command (query and IPC, no rendering): median {:.0} ms, max {:.0} ms",
        percentile(&core, 0.5),
        core[core.len() - 1]
    );

    // The rest of a day: the flow board and check-ins, then the physician.
    js_click(&s, "[data-testid=nav-flow-board]");
    let booked = "[data-testid=flow-row][data-status=booked] [data-testid=check-in-button]";
    for _ in 0..8 {
        if s.wait_for(booked, std::time::Duration::from_secs(10))
            .is_none()
        {
            break;
        }
        js_click(&s, booked);
        js_click(&s, "[data-testid=check-in-confirm]");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !s.all("[data-testid=check-in-dialog]").is_empty()
            && std::time::Instant::now() < until
        {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    js_click(&s, "[data-testid=nav-calendar]");
    for i in 0..10 {
        let button = if i % 2 == 0 {
            "calendar-next"
        } else {
            "calendar-prev"
        };
        s.script_async(SWITCH, json!([button, want]));
    }
    js_click(&s, "[data-testid=lock-button]");
    login(&s, "doc");
    for i in 0..3 {
        let open = "[data-testid=my-day-row] [data-testid=open-encounter]";
        if s.wait_for(open, std::time::Duration::from_secs(10))
            .is_none()
            || s.all(open).len() <= i
        {
            break;
        }
        s.script(
            "document.querySelectorAll(arguments[0])[arguments[1]].click()",
            json!([open, i]),
        );
        s.find("[data-testid=encounter-screen]");
        if s.wait_for(
            "[data-testid=note-subjective]",
            std::time::Duration::from_secs(5),
        )
        .is_some()
        {
            s.fill(
                "[data-testid=note-subjective]",
                "Follow-up; feeling better, no new complaints.",
            );
            s.fill(
                "[data-testid=note-plan]",
                "Continue current treatment; return in three months.",
            );
            s.wait_text("[data-testid=save-state]", "Saved");
        }
        js_click(&s, "[data-testid=nav-my-day]");
    }
    js_click(&s, "[data-testid=nav-flow-board]");
    s.find("[data-testid=flow-board]");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let procs = memory(&app);
    println!(
        "memory after the scripted day: RSS {} MB, PSS {} MB, across the app and its {} WebKit processes",
        procs.iter().map(|p| p.rss).sum::<u64>() / 1024,
        procs.iter().map(|p| p.pss).sum::<u64>() / 1024,
        procs.len().saturating_sub(1)
    );
    for p in &procs {
        println!(
            "  {}: RSS {} MB (anonymous {} MB), PSS {} MB",
            p.name,
            p.rss / 1024,
            p.anon / 1024,
            p.pss / 1024
        );
    }

    if let Some(dir) = ct.as_deref() {
        viewer_scrolling(&s, dir);
    }

    // Last, as it loads the speech model: typing during a transcription.
    if let Some(recording) = dictation.as_deref() {
        // The physician's next patient, checked in by the front desk.
        js_click(&s, "[data-testid=nav-my-day]");
        let row = s.find("[data-testid=my-day-row]");
        let id = s
            .attr(&row, "data-appointment-id")
            .expect("an appointment id");
        js_click(&s, "[data-testid=lock-button]");
        login(&s, "desk");
        let checked = s.script_async(
            r#"const [id, done] = [arguments[0], arguments[arguments.length - 1]];
               window.__TAURI_INTERNALS__.invoke('check_in', { input: { id } })
                 .then(() => done('ok'), (e) => done(JSON.stringify(e)));"#,
            json!([id]),
        );
        assert_eq!(checked, json!("ok"), "check-in failed: {checked}");
        js_click(&s, "[data-testid=lock-button]");
        login(&s, "doc");
        js_click(&s, "[data-testid=nav-my-day]");
        let open = format!(
            "[data-testid=my-day-row][data-appointment-id='{id}'] [data-testid=open-encounter]"
        );
        js_click(&s, &open);
        s.find("[data-testid=encounter-screen]");
        dictation_responsiveness(&s, recording);
    }
}
