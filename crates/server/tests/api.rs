//! The HTTP API end to end through the router (no sockets): enrollment with
//! proofs, authentication, role filtering, refusals and live notifications.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use clinicdesk_domain::Role;
use clinicdesk_server::db::{Database, EnrollmentCode};
use clinicdesk_server::http::{router, App};
use clinicdesk_sync_proto::enrollment::{self, Code};
use clinicdesk_sync_proto::{
    EnrollRequest, EnrollResponse, PullResponse, PushRequest, PushResponse, PROTOCOL_HEADER,
};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

struct Server {
    app: axum::Router,
    _f: common::Fresh<clinicdesk_server::sqlite::SqliteDb>,
}

async fn server() -> Server {
    let f = common::sqlite();
    let app = App::new(f.db.clone(), "ab".repeat(32)).await.unwrap();
    Server {
        app: router(app),
        _f: f,
    }
}

async fn call(
    s: &Server,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(PROTOCOL_HEADER, "1")
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let res = s.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, v)
}

async fn issue(s: &Server, roles: Vec<Role>) -> Code {
    let code = Code::generate();
    s._f.db
        .add_enrollment_code(&EnrollmentCode {
            lookup: code.lookup.clone(),
            secret: code.secret.clone(),
            roles,
            expires_at: i64::MAX / 2,
        })
        .await
        .unwrap();
    code
}

async fn enroll(s: &Server, code: &Code, device: &str, fingerprint: &str) -> (StatusCode, Value) {
    let req = EnrollRequest {
        lookup: code.lookup.clone(),
        proof: enrollment::proof(&code.secret, "client", fingerprint, device),
        device_id: device.into(),
        device_name: format!("Desk {device}"),
    };
    call(
        s,
        "POST",
        "/v1/enroll",
        None,
        Some(serde_json::to_value(req).unwrap()),
    )
    .await
}

#[tokio::test]
async fn a_desktop_enrolls_once_and_the_server_proves_itself() {
    let s = server().await;
    let code = issue(&s, vec![Role::FrontDesk]).await;
    let fp = "ab".repeat(32);
    let (status, body) = enroll(&s, &code, "d1", &fp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res: EnrollResponse = serde_json::from_value(body).unwrap();
    assert_eq!(res.roles, vec![Role::FrontDesk]);
    assert!(enrollment::verify(
        &code.secret,
        "server",
        &fp,
        "d1",
        &res.server_proof
    ));
    let (status, body) = enroll(&s, &code, "d1", &fp).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a code works once: {body}");
}

#[tokio::test]
async fn a_desktop_behind_a_machine_in_the_middle_cannot_enroll() {
    let s = server().await;
    let code = issue(&s, vec![Role::FrontDesk]).await;
    // The desktop saw another certificate than the server's own.
    let (status, body) = enroll(&s, &code, "d1", &"cd".repeat(32)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"].as_str().unwrap().contains("certificate"),
        "{body}"
    );
}

#[tokio::test]
async fn requests_need_a_credential_and_the_protocol_version() {
    let s = server().await;
    let (status, body) = call(&s, "GET", "/v1/changes?after=0", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");
    let (status, _) = call(&s, "GET", "/v1/changes?after=0", Some("forged"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let req = Request::builder()
        .uri("/v1/changes")
        .header(PROTOCOL_HEADER, "99")
        .body(Body::empty())
        .unwrap();
    let res = s.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (status, body) = call(&s, "GET", "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn changes_flow_between_devices_filtered_by_their_roles() {
    let s = server().await;
    let fp = "ab".repeat(32);
    let clinical = issue(&s, vec![Role::Physician]).await;
    let desk = issue(&s, vec![Role::FrontDesk]).await;
    let (_, a) = enroll(&s, &clinical, "room-1", &fp).await;
    let (_, b) = enroll(&s, &desk, "desk-1", &fp).await;
    let room_token = a["token"].as_str().unwrap().to_string();
    let desk_token = b["token"].as_str().unwrap().to_string();

    let mut other = common::change("someone-else", 9, "patients");
    other.change_id = uuid::Uuid::now_v7().to_string();
    let push = PushRequest {
        changes: vec![
            common::change("room-1", 1, "notes"),
            common::change("room-1", 2, "patients"),
            other.clone(),
            common::change("room-1", 3, "users"),
        ],
    };
    let (status, body) = call(
        &s,
        "POST",
        "/v1/changes",
        Some(&room_token),
        Some(serde_json::to_value(&push).unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res: PushResponse = serde_json::from_value(body).unwrap();
    assert_eq!(res.accepted, 2);
    assert_eq!(
        res.rejected.len(),
        2,
        "another device's change and a users change"
    );
    assert!(res
        .rejected
        .iter()
        .any(|r| r.change_id == other.change_id && r.reason.contains("only its own")));
    assert!(res
        .rejected
        .iter()
        .any(|r| r.reason.contains("may not change users")));

    // The front desk gets the patient, not the note.
    let (_, body) = call(
        &s,
        "GET",
        "/v1/changes?after=0&limit=50",
        Some(&desk_token),
        None,
    )
    .await;
    let page: PullResponse = serde_json::from_value(body).unwrap();
    let tables: Vec<_> = page
        .changes
        .iter()
        .map(|c| c.change.table.as_str())
        .collect();
    assert_eq!(tables, vec!["patients"]);
    assert_eq!(page.next, res.head);
    // The physician's room gets both.
    let (_, body) = call(&s, "GET", "/v1/changes?after=0", Some(&room_token), None).await;
    let page: PullResponse = serde_json::from_value(body).unwrap();
    assert_eq!(page.changes.len(), 2);

    // A front-desk device may not write notes.
    let push = PushRequest {
        changes: vec![common::change("desk-1", 4, "notes")],
    };
    let (_, body) = call(
        &s,
        "POST",
        "/v1/changes",
        Some(&desk_token),
        Some(serde_json::to_value(&push).unwrap()),
    )
    .await;
    let res: PushResponse = serde_json::from_value(body).unwrap();
    assert_eq!((res.accepted, res.rejected.len()), (0, 1));

    // Metrics count what happened, without any record in them.
    let (_, text) = call(&s, "GET", "/metrics", None, None).await;
    let text = text.as_str().unwrap();
    assert!(
        text.contains("clinicdesk_changes_accepted_total 2"),
        "{text}"
    );
    assert!(
        text.contains("clinicdesk_changes_rejected_total 3"),
        "{text}"
    );
    assert!(!text.contains("r2"), "no record ids in metrics");
}

#[tokio::test]
async fn a_revoked_device_is_turned_away() {
    let s = server().await;
    let code = issue(&s, vec![Role::Nurse]).await;
    let (_, body) = enroll(&s, &code, "d1", &"ab".repeat(32)).await;
    let token = body["token"].as_str().unwrap().to_string();
    let (status, _) = call(&s, "GET", "/v1/changes", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    s._f.db.revoke("d1", 1).await.unwrap();
    let (status, body) = call(&s, "GET", "/v1/changes", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["message"].as_str().unwrap().contains("revoked"));
}

#[tokio::test]
async fn live_notifications_start_with_the_head() {
    let s = server().await;
    let code = issue(&s, vec![Role::FrontDesk]).await;
    let (_, body) = enroll(&s, &code, "d1", &"ab".repeat(32)).await;
    let token = body["token"].as_str().unwrap().to_string();
    let req = Request::builder()
        .uri("/v1/events")
        .header(PROTOCOL_HEADER, "1")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = s.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body();
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert!(text.contains("event: head"), "{text}");
    assert!(text.contains("\"head\":0"), "{text}");
}
