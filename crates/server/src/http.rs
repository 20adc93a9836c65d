//! The HTTP API (`/v1`), health and metrics. Handlers stay thin: check the
//! device, check the input, call the database.

use crate::auth;
use crate::db::{now_seconds, Database, DbError, Device, NewDevice};
use crate::group_commit::PushQueue;
use crate::metrics::Metrics;
use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clinicdesk_domain::sync_scope;
use clinicdesk_sync_proto::{
    enrollment, EnrollRequest, EnrollResponse, ErrorBody, HeadEvent, PullResponse, PushRequest,
    PushResponse, Rejected, MAX_BATCH, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use futures_util::Stream;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_stream::StreamExt;

/// Largest request body: a full push batch with room to spare.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

pub struct App<D> {
    pub db: D,
    pub metrics: Metrics,
    /// SHA-256 of the certificate this server presents ("" without TLS).
    pub fingerprint: String,
    pub clinic_id: String,
    head: watch::Sender<i64>,
    pushes: PushQueue,
}

impl<D: Database> App<D> {
    pub async fn new(db: D, fingerprint: String) -> Result<Arc<Self>, DbError> {
        db.migrate().await?;
        let clinic_id = db.clinic_id().await?;
        let head = db.head().await?;
        let metrics = Metrics::default();
        metrics.head.store(head, Ordering::Relaxed);
        let (groups, grouped) = (metrics.push_groups.clone(), metrics.pushes_grouped.clone());
        let pushes = PushQueue::start(db.clone(), move |n| {
            groups.fetch_add(1, Ordering::Relaxed);
            grouped.fetch_add(n as u64, Ordering::Relaxed);
        });
        Ok(Arc::new(App {
            pushes,
            db,
            metrics,
            fingerprint,
            clinic_id,
            head: watch::Sender::new(head),
        }))
    }
}

pub fn router<D: Database>(app: Arc<App<D>>) -> Router {
    Router::new()
        .route("/health", get(health::<D>))
        .route("/metrics", get(metrics::<D>))
        .route("/v1/enroll", post(enroll::<D>))
        .route("/v1/changes", post(push::<D>).get(pull::<D>))
        .route("/v1/events", get(events::<D>))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            observe::<D>,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::BadEnrollmentCode => {
                ApiError::new(StatusCode::FORBIDDEN, "bad-enrollment-code", e.to_string())
            }
            _ => {
                tracing::error!(error = %e, "database error");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database",
                    "the server cannot reach its database; try again shortly",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                code: self.code.into(),
                message: self.message,
            }),
        )
            .into_response()
    }
}

/// Times and counts every request by its route template; logs method,
/// route, status and duration, and nothing from the body.
async fn observe<D: Database>(
    State(app): State<Arc<App<D>>>,
    req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    let started = Instant::now();
    let res = next.run(req).await;
    let secs = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    app.metrics.observe(&route, status, secs);
    tracing::info!(%method, route, status, ms = secs * 1e3, "request");
    res
}

fn check_protocol(headers: &HeaderMap) -> Result<(), ApiError> {
    let v = headers
        .get(PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok());
    match v {
        Some(PROTOCOL_VERSION) => Ok(()),
        Some(other) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "protocol",
            format!("this server speaks sync protocol {PROTOCOL_VERSION}, the desktop {other}; update the older one"),
        )),
        None => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "protocol",
            format!("send the {PROTOCOL_HEADER} header (this server speaks {PROTOCOL_VERSION})"),
        )),
    }
}

async fn device<D: Database>(app: &App<D>, headers: &HeaderMap) -> Result<Device, ApiError> {
    check_protocol(headers)?;
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::bearer)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this request needs the device's credential; enroll the desktop first",
            )
        })?;
    app.db
        .device_by_token(&auth::token_hash(token), now_seconds())
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this device is not enrolled here, or it was revoked; ask the administrator for a new enrollment code",
            )
        })
}

async fn health<D: Database>(
    State(app): State<Arc<App<D>>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let head = app.db.head().await?;
    Ok(Json(
        serde_json::json!({ "status": "ok", "protocol": PROTOCOL_VERSION, "head": head }),
    ))
}

async fn metrics<D: Database>(State(app): State<Arc<App<D>>>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        app.metrics.render(),
    )
}

async fn enroll<D: Database>(
    State(app): State<Arc<App<D>>>,
    headers: HeaderMap,
    Json(req): Json<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    check_protocol(&headers)?;
    if req.device_id.is_empty() || req.device_id.len() > 100 || req.device_name.len() > 100 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            "the device id and name must be 1 to 100 characters",
        ));
    }
    let now = now_seconds();
    let bad = || DbError::BadEnrollmentCode;
    let code = app
        .db
        .enrollment_code(&req.lookup, now)
        .await?
        .ok_or_else(bad)?;
    if !enrollment::verify(
        &code.secret,
        "client",
        &app.fingerprint,
        &req.device_id,
        &req.proof,
    ) {
        app.db.count_failed_attempt(&req.lookup).await?;
        tracing::warn!(lookup = %req.lookup, "enrollment proof did not match");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "bad-enrollment-code",
            "the enrollment code does not match, or the desktop is not talking to this server directly (check the certificate)",
        ));
    }
    let token = auth::new_token();
    let device = app
        .db
        .redeem(
            &req.lookup,
            &NewDevice {
                device_id: req.device_id.clone(),
                name: req.device_name.clone(),
                token_hash: auth::token_hash(&token),
            },
            now,
        )
        .await?;
    tracing::info!(device = %device.device_id, "device enrolled");
    Ok(Json(EnrollResponse {
        clinic_id: app.clinic_id.clone(),
        token,
        roles: device.roles,
        server_proof: enrollment::proof(&code.secret, "server", &app.fingerprint, &req.device_id),
    }))
}

async fn push<D: Database>(
    State(app): State<Arc<App<D>>>,
    headers: HeaderMap,
    Json(req): Json<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    let device = device(&app, &headers).await?;
    if req.changes.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch-too-large",
            format!("send at most {MAX_BATCH} changes per push"),
        ));
    }
    let mut rejected = Vec::new();
    let mut ok = Vec::with_capacity(req.changes.len());
    for c in req.changes {
        let refusal = c.check(&device.device_id).err().or_else(|| {
            (!sync_scope::may_send(&device.roles, &c.table))
                .then(|| format!("this device's roles may not change {}", c.table))
        });
        match refusal {
            Some(reason) => rejected.push(Rejected {
                change_id: c.change_id,
                reason,
            }),
            None => ok.push(c),
        }
    }
    let out = app.pushes.push(ok, now_seconds()).await?;
    let m = &app.metrics;
    m.changes_accepted
        .fetch_add(out.accepted as u64, Ordering::Relaxed);
    m.changes_duplicate
        .fetch_add(out.duplicates as u64, Ordering::Relaxed);
    m.changes_rejected
        .fetch_add(rejected.len() as u64, Ordering::Relaxed);
    // Groups are answered together, so answers may arrive out of order:
    // the head only moves forward.
    m.head.fetch_max(out.head, Ordering::Relaxed);
    if out.accepted > 0 {
        app.head.send_if_modified(|head| {
            let newer = out.head > *head;
            if newer {
                *head = out.head;
            }
            newer
        });
    }
    if !rejected.is_empty() {
        tracing::warn!(device = %device.device_id, rejected = rejected.len(), "changes refused");
    }
    Ok(Json(PushResponse {
        accepted: out.accepted,
        duplicates: out.duplicates,
        rejected,
        head: out.head,
    }))
}

#[derive(serde::Deserialize)]
struct PullQuery {
    #[serde(default)]
    after: i64,
    limit: Option<usize>,
}

async fn pull<D: Database>(
    State(app): State<Arc<App<D>>>,
    headers: HeaderMap,
    Query(q): Query<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let device = device(&app, &headers).await?;
    let limit = q.limit.unwrap_or(1_000).clamp(1, MAX_BATCH);
    let tables: Vec<&str> = sync_scope::SYNCED_TABLES
        .iter()
        .map(|(t, _, _)| *t)
        .filter(|t| sync_scope::may_receive(&device.roles, t))
        .collect();
    let page = app.db.pull(q.after.max(0), limit, &tables).await?;
    app.metrics
        .changes_served
        .fetch_add(page.changes.len() as u64, Ordering::Relaxed);
    Ok(Json(PullResponse {
        changes: page.changes,
        next: page.next,
        more: page.more,
    }))
}

/// Server-sent events: the newest cursor now, then at every push that
/// stored something. Desktops pull when it passes theirs.
async fn events<D: Database>(
    State(app): State<Arc<App<D>>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    device(&app, &headers).await?;
    let live = LiveGuard::new(app.clone());
    let stream = tokio_stream::wrappers::WatchStream::new(app.head.subscribe()).map(move |head| {
        let _keep = &live;
        Ok(Event::default()
            .event("head")
            .json_data(HeadEvent { head })
            .unwrap_or_default())
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Counts a live connection while its stream exists.
struct LiveGuard<D: Database>(Arc<App<D>>);

impl<D: Database> LiveGuard<D> {
    fn new(app: Arc<App<D>>) -> Self {
        app.metrics.live_connections.fetch_add(1, Ordering::Relaxed);
        LiveGuard(app)
    }
}

impl<D: Database> Drop for LiveGuard<D> {
    fn drop(&mut self) {
        self.0
            .metrics
            .live_connections
            .fetch_sub(1, Ordering::Relaxed);
    }
}
