//! The commands through Tauri's IPC on the mock runtime: what the screens
//! send and receive, including refusals and the `store-changed` event.

use crate::app;
use clinicdesk_desktop::Desk;
use clinicdesk_keys::Keychain;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tauri::test::{mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Listener, WebviewWindow};

const PASSWORD: &str = "correct horse battery";

fn window(dir: &std::path::Path) -> (tauri::App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = app(mock_builder(), Desk::new(dir, Keychain::default()))
        // The real context: the app's own capabilities decide what may run.
        .build(tauri::generate_context!())
        .expect("the app builds on the mock runtime");
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("a window");
    (app, window)
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, body: Value) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("a url"),
            body: tauri::ipc::InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().expect("a JSON answer"))
}

fn new_clinic() -> Value {
    json!({ "input": {
        "clinic_name": "Harbour Family Practice",
        "admin_username": "admin",
        "admin_display_name": "Clinic Admin",
        "admin_password": PASSWORD,
        "time_zone": "America/Toronto"
    }})
}

#[test]
fn first_run_create_lock_and_login_through_ipc() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = window(dir.path());

    let status = invoke(&w, "app_status", json!({})).unwrap();
    assert_eq!(status["phase"], "first-run");
    assert_eq!(status["session"], Value::Null);

    let status = invoke(&w, "create_clinic", new_clinic()).unwrap();
    assert_eq!(status["phase"], "unlocked");
    assert_eq!(status["home"], "audit");
    assert_eq!(status["clinic_timezone"], "America/Toronto");
    assert_eq!(status["session"]["role"], "admin");
    assert_eq!(status["can"]["manage_users"], true);

    let status = invoke(&w, "lock", json!({})).unwrap();
    assert_eq!(status["phase"], "locked");
    let refused = invoke(&w, "day_board", json!({ "input": {} })).unwrap_err();
    assert_eq!(refused["kind"], "locked");
    assert_eq!(
        refused["message"],
        "The screen is locked. Log in to continue."
    );

    let bad = json!({ "input": { "username": "admin", "password": "wrong password here" } });
    let refused = invoke(&w, "login", bad).unwrap_err();
    assert_eq!(refused["kind"], "bad-login");
    let good = json!({ "input": { "username": "admin", "password": PASSWORD } });
    assert_eq!(invoke(&w, "login", good).unwrap()["phase"], "unlocked");
}

#[test]
fn malformed_input_is_refused_without_touching_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = window(dir.path());
    invoke(&w, "create_clinic", new_clinic()).unwrap();
    // A screen that sends the wrong shape gets an error, not a crash.
    let refused = invoke(&w, "book", json!({ "input": { "slot": 3 } })).unwrap_err();
    assert!(refused.to_string().contains("patient_id"), "{refused}");
    let refused = invoke(
        &w,
        "next_available",
        json!({ "input": { "appointment_type_id": "x", "from": "tomorrow", "to": "2026-01-01" } }),
    )
    .unwrap_err();
    assert_eq!(refused["kind"], "invalid");
    assert!(refused["message"].as_str().unwrap().contains("YYYY-MM-DD"));
}

#[test]
fn writes_tell_every_screen_that_the_store_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (app, w) = window(dir.path());
    invoke(&w, "create_clinic", new_clinic()).unwrap();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = heard.clone();
    app.listen_any("store-changed", move |e| {
        sink.lock().unwrap().push(e.payload().to_string());
    });

    invoke(
        &w,
        "search_patients",
        json!({ "input": { "query": "Quill" } }),
    )
    .unwrap();
    assert!(heard.lock().unwrap().is_empty(), "a search changes nothing");

    let patient = invoke(
        &w,
        "register_patient",
        json!({ "input": { "patient": {
            "given_name": "Ada", "family_name": "Quill", "birth_date": "1980-02-29"
        }}}),
    )
    .unwrap();
    assert_eq!(patient["family_name"], "Quill");
    assert_eq!(heard.lock().unwrap().as_slice(), [r#"{"source":"local"}"#]);

    let refused = invoke(
        &w,
        "register_patient",
        json!({ "input": { "patient": {
            "given_name": "Ada", "family_name": "Quill", "birth_date": "2999-01-01"
        }}}),
    )
    .unwrap_err();
    assert_eq!(refused["kind"], "invalid");
    assert_eq!(
        heard.lock().unwrap().len(),
        1,
        "a refused write is not announced"
    );
}

#[test]
fn update_address_is_for_administrators_and_a_keyless_build_says_it_cannot_update() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = window(dir.path());
    invoke(&w, "create_clinic", new_clinic()).unwrap();

    let state = invoke(&w, "update_state", json!({})).unwrap();
    assert_eq!(state["current_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(state["available"], Value::Null);

    let refused = invoke(
        &w,
        "set_update_source",
        json!({ "input": { "url": "http://updates.example.org/latest.json" } }),
    )
    .unwrap_err();
    assert_eq!(refused["kind"], "invalid");
    assert!(refused["message"].as_str().unwrap().contains("https://"));
    let set = invoke(
        &w,
        "set_update_source",
        json!({ "input": { "url": "https://updates.example.org/latest.json" } }),
    )
    .unwrap();
    assert_eq!(set["source"], "https://updates.example.org/latest.json");
    assert_eq!(set["can_change"], true);

    // tauri.conf.json carries no update key: packages get one when built
    // for a clinic (scripts/package.sh), so this build must not pretend.
    let refused = invoke(&w, "check_for_update", json!({})).unwrap_err();
    assert_eq!(refused["kind"], "updates");
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains("built without an update key"));

    invoke(&w, "lock", json!({})).unwrap();
    let locked = invoke(&w, "update_settings", json!({})).unwrap_err();
    assert_eq!(locked["kind"], "locked");
}

#[test]
fn dictation_commands_answer_through_ipc_and_enforce_roles() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = window(dir.path());
    invoke(&w, "create_clinic", new_clinic()).unwrap();

    let status = invoke(&w, "scribe_status", json!({})).unwrap();
    assert!(status["microphone"].is_boolean());
    assert_eq!(status["active"], Value::Null);
    assert!(
        status["model"].is_string() || status["model_problem"].is_string(),
        "{status}"
    );

    // The administrator sets how long audio is kept, but does not dictate.
    let kept = invoke(
        &w,
        "set_audio_retention",
        json!({ "input": { "retention": { "policy": "days-after-sign", "days": 14 } } }),
    )
    .unwrap();
    assert_eq!(kept, json!({ "policy": "days-after-sign", "days": 14 }));
    assert_eq!(invoke(&w, "audio_retention", json!({})).unwrap(), kept);
    let refused = invoke(
        &w,
        "set_audio_retention",
        json!({ "input": { "retention": { "policy": "days-after-sign", "days": 0 } } }),
    )
    .unwrap_err();
    assert_eq!(refused["kind"], "invalid");
    let refused = invoke(
        &w,
        "record_dictation",
        json!({ "input": { "encounter_id": "nope" } }),
    )
    .unwrap_err();
    assert_eq!(refused["kind"], "denied", "{refused}");
    let refused = invoke(&w, "stop_dictation", json!({})).unwrap_err();
    assert_eq!(refused["kind"], "not-found");
}

#[test]
fn images_import_in_the_background_and_frames_arrive_as_raw_bytes() {
    let ct = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fetched")
        })
        .join("pydicom/CT_small.dcm");
    if !ct.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing (required under CI)",
            ct.display()
        );
        eprintln!("skipped: run scripts/fetch-dicom-data.sh");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = window(dir.path());
    invoke(&w, "create_clinic", new_clinic()).unwrap();
    let doctor = json!({ "input": {
        "username": "drhale", "display_name": "Dr Rowan Hale", "role": "physician", "password": PASSWORD
    }});
    invoke(&w, "add_user", doctor).unwrap();
    invoke(&w, "lock", json!({})).unwrap();
    invoke(
        &w,
        "login",
        json!({ "input": { "username": "drhale", "password": PASSWORD } }),
    )
    .unwrap();

    let started = invoke(
        &w,
        "import_images",
        json!({ "input": { "paths": [ct.display().to_string()] } }),
    )
    .unwrap();
    assert_eq!(started["source"], "files");
    let start = std::time::Instant::now();
    let done = loop {
        let u = invoke(&w, "image_import_status", json!({})).unwrap();
        if u["finished"] == true {
            break u;
        }
        assert!(start.elapsed().as_secs() < 60, "the import never finished");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(done["report"]["imported"], 1, "{done}");

    let studies = invoke(
        &w,
        "imaging_studies",
        json!({ "input": { "waiting": true } }),
    )
    .unwrap();
    let study_uid = studies[0]["study_uid"].clone();
    let study = invoke(
        &w,
        "imaging_study",
        json!({ "input": { "study_uid": study_uid } }),
    )
    .unwrap();
    let series_uid = study["series"][0]["series_uid"].clone();
    assert_eq!(study["annotations"], json!([]));
    let uids = invoke(
        &w,
        "open_series",
        json!({ "input": { "series_uid": series_uid } }),
    )
    .unwrap();
    let frame = tauri::test::get_ipc_response(
        &w,
        InvokeRequest {
            cmd: "viewer_frame".into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("a url"),
            body: tauri::ipc::InvokeBody::Json(json!({ "input": {
                "series_uid": series_uid, "sop_instance_uid": uids[0], "frame": 0
            }})),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .unwrap();
    let tauri::ipc::InvokeResponseBody::Raw(bytes) = frame else {
        panic!("a frame is raw bytes, not JSON");
    };
    let len = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&bytes[4..4 + len]).unwrap();
    assert_eq!(header["format"], "i16");
    assert_eq!(bytes.len() - 4 - len, 128 * 128 * 2);

    let refused = invoke(
        &w,
        "add_annotation",
        json!({ "input": { "sop_instance_uid": uids[0], "kind": "circle", "points": [[1, 1]] } }),
    )
    .unwrap_err();
    assert!(refused.to_string().contains("circle"), "{refused}");
    let refused = invoke(
        &w,
        "add_annotation",
        json!({ "input": { "sop_instance_uid": uids[0], "kind": "distance", "points": [[1, 1], [500, 1]] } }),
    )
    .unwrap_err();
    assert_eq!(refused["kind"], "invalid", "{refused}");
    let saved = invoke(
        &w,
        "add_annotation",
        json!({ "input": { "sop_instance_uid": uids[0], "kind": "text", "points": [[64, 64]], "label": "nodule" } }),
    )
    .unwrap();
    assert_eq!(saved["label"], "nodule");
    invoke(&w, "lock", json!({})).unwrap();
    let refused = invoke(
        &w,
        "viewer_frame",
        json!({ "input": { "series_uid": series_uid, "sop_instance_uid": uids[0] } }),
    )
    .unwrap_err();
    assert_eq!(refused["kind"], "locked");
}
