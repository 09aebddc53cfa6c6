//! The `/v1` routes: authentication (bearer device tokens), authorisation by role and scope, JSON
//! bodies with size limits, and one error shape. A malformed request always gets a 4xx with a code
//! and a message; only a store failure gives a 5xx (503, retry later).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use serde::Deserialize;

use super::sqlite::{ALL, clerk_target, department_target, window_target};
use super::storage::{CaseOwner, FeedTargets, HqStorage, Scope, StorageError};
use crate::protocol::{
    self, DecisionRequest, Device, ErrorBody, ErrorDetail, FeedItem, Health, KbPackage, PullResponse,
    PushResponse, ReplyRequest, Role, Version, token_hash, valid_id,
};

/// Limits the routes enforce.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Longest a request (other than the event stream) may take.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_body_bytes: protocol::MAX_BODY_BYTES, request_timeout: Duration::from_secs(30) }
    }
}

/// What every handler sees.
pub struct AppState<S> {
    /// The store.
    pub storage: Arc<S>,
    /// The limits.
    pub limits: Limits,
    /// Approvers connected now, by department (for escalation).
    pub presence: super::presence::Presence,
    /// Repeated refusals counted rather than each audited (src/hq/refusals.rs).
    pub refusals: Arc<std::sync::Mutex<super::refusals::RefusalGate>>,
    /// The progress page's signing key and per-address limit (src/hq/lookup_page.rs).
    pub lookup: Arc<super::lookup_page::LookupState>,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            storage: self.storage.clone(),
            limits: self.limits.clone(),
            presence: self.presence.clone(),
            refusals: self.refusals.clone(),
            lookup: self.lookup.clone(),
        }
    }
}

/// An error answer: status, machine code and a message for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
}

/// The machine code of an error answer, kept on the response so the access layer can audit a
/// refusal with a fixed code (never its message).
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code.to_string(), message: self.message } };
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Refused(message) => Self::conflict("conflict", message),
            e => Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", format!("{e}；请稍后重试")),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        Self::bad_request(format!("路径参数无效: {e}"))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        Self::bad_request(format!("查询参数无效: {e}"))
    }
}

/// The authenticated device of a request.
pub struct Authed(pub Device);

/// Where the access layer learns which device made a request (filled by authentication).
#[derive(Debug, Clone, Default)]
pub struct Caller(Arc<std::sync::Mutex<Option<Device>>>);

impl Caller {
    fn set(&self, device: &Device) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(device.clone());
        }
    }

    fn get(&self) -> Option<Device> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }
}

/// A device with what its token grants: streams end when it expires.
struct Authenticated {
    grant: super::storage::Grant,
    token_hash: String,
}

impl<S: HqStorage> FromRequestParts<AppState<S>> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthorized("缺少设备令牌：请求须带 Authorization: Bearer <令牌>"));
        };
        let token = value
            .to_str()
            .ok()
            // The scheme is case-insensitive (RFC 9110 §11.1).
            .and_then(|v| v.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")))
            .map(|(_, token)| token.trim())
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(|| ApiError::unauthorized("Authorization 头格式应为 Bearer <令牌>"))?;
        let hash = token_hash(token);
        match state.storage.device_for_token(hash.clone()).await? {
            Some(grant) => {
                if let Some(caller) = parts.extensions.get::<Caller>() {
                    caller.set(&grant.device);
                }
                Ok(Self { grant, token_hash: hash })
            }
            None => Err(ApiError::unauthorized(
                "设备令牌无效、已过期或已吊销，请向总部申请新令牌（yichuang hq enroll / hq rotate）",
            )),
        }
    }
}

impl<S: HqStorage> FromRequestParts<AppState<S>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, ApiError> {
        Authenticated::from_request_parts(parts, state).await.map(|a| Self(a.grant.device))
    }
}

/// A JSON body read within the size limit and decoded by `decode`; errors are 400/413/415.
pub struct Body<T>(pub T);

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("请求体超过 {limit} 字节的上限"),
    )
}

async fn read_body<S: Send + Sync>(req: Request, state: &S, limit: usize) -> Result<Bytes, ApiError> {
    if !is_json(req.headers()) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求体须为 JSON（Content-Type: application/json）",
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    Bytes::from_request(req, state).await.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(
            axum::extract::rejection::FailedToBufferBody::LengthLimitError(_),
        ) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "请求体过大"),
        other => ApiError::bad_request(format!("请求体读取失败: {other}")),
    })
}

/// Decoders of request bodies; push has its own strict decoder.
pub trait Decode: Sized {
    /// Decodes and checks the bytes.
    fn decode(bytes: &[u8]) -> Result<Self, protocol::DecodeError>;
}

impl Decode for protocol::PushRequest {
    fn decode(bytes: &[u8]) -> Result<Self, protocol::DecodeError> {
        protocol::decode_push(bytes)
    }
}

macro_rules! plain_json {
    ($($t:ty),*) => {$(
        impl Decode for $t {
            fn decode(bytes: &[u8]) -> Result<Self, protocol::DecodeError> {
                protocol::decode_json(bytes)
            }
        }
    )*};
}
plain_json!(DecisionRequest, ReplyRequest, KbPackage);

impl<S: HqStorage, T: Decode> FromRequest<AppState<S>> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState<S>) -> Result<Self, ApiError> {
        let bytes = read_body(req, state, state.limits.max_body_bytes).await?;
        T::decode(&bytes).map(Body).map_err(|e| ApiError::bad_request(e.0))
    }
}

/// The router of `/v1`, over any store.
pub fn router<S: HqStorage>(state: AppState<S>) -> Router {
    let timeout = state.limits.request_timeout;
    let limit = state.limits.max_body_bytes;
    Router::new()
        .route("/v1/version", get(version))
        .route("/v1/health", get(health::<S>))
        .route("/v1/whoami", get(whoami))
        .route("/v1/push", post(push::<S>))
        .route("/v1/pull", get(pull::<S>))
        .route("/v1/events", get(events::<S>))
        .route("/v1/cases/{case_id}", get(case::<S>))
        .route("/v1/decisions", post(decide::<S>))
        .route("/v1/calls/{call_id}/reply", post(reply::<S>))
        .route("/v1/calls/{call_id}/take", post(take::<S>))
        .route("/v1/calls/{call_id}/resolve", post(resolve::<S>))
        .route("/v1/calls", get(open_calls::<S>))
        .route("/v1/queue", get(queue::<S>))
        .route("/v1/exceptions", get(exceptions::<S>))
        .route("/v1/kb", post(publish_kb::<S>))
        .route("/v1/kb/{hash}", get(kb::<S>))
        .route("/lookup", get(super::lookup_page::form).post(super::lookup_page::lookup::<S>))
        .route("/lookup/rate", post(super::lookup_page::rate::<S>))
        .fallback(|| async { ApiError::not_found("没有这个接口；接口列表见 PROTOCOL.md") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "此接口不支持该请求方法")
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(move |req: Request, next: Next| request_timeout(req, next, timeout)))
        .layer(axum::middleware::from_fn_with_state(state.clone(), access::<S>))
        .with_state(state)
}

/// Numbers requests for the access log.
static REQUEST_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The access log and the audit of refusals: one `tracing` line per request with its id, route
/// (the template, e.g. `/v1/cases/{case_id}` — never the raw path or query), status, latency and
/// device id; a 401, 403 or 409 also goes into the audit with its error code (repeats within a
/// minute counted into one row: src/hq/refusals.rs).
async fn access<S: HqStorage>(State(state): State<AppState<S>>, mut req: Request, next: Next) -> Response {
    let id = REQUEST_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let started = std::time::Instant::now();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "-".to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    let caller = Caller::default();
    req.extensions_mut().insert(caller.clone());
    let response = next.run(req).await;
    let status = response.status();
    let device = caller.get();
    let device_id = device.as_ref().map_or("-", |d| d.id.as_str());
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: "hq::access",
        request = id,
        method = %method,
        route = %route,
        status = status.as_u16(),
        latency_ms = format_args!("{latency_ms:.1}"),
        device = device_id,
    );
    if matches!(status.as_u16(), 401 | 403 | 409) {
        let code = response.extensions().get::<ErrorCode>().map(|c| c.0);
        let entry = super::audit::Entry {
            at: crate::time::now(),
            center: device.as_ref().map(|d| d.center.clone()).unwrap_or_default(),
            actor: device.as_ref().map_or_else(|| "-".to_string(), Device::label),
            device: device_id.to_string(),
            action: super::audit::Action::Refused,
            case_id: None,
            subject: Some(route),
            status: status.as_u16(),
            reason: code,
            count: None,
        };
        // A flood of the same refusal is one row and a count per window, not a row each.
        let rows = state
            .refusals
            .lock()
            .map(|mut gate| gate.admit(entry, std::time::Instant::now()))
            .unwrap_or_default();
        for row in rows {
            if let Err(e) = state.storage.audit(row).await {
                tracing::warn!(target: "hq::audit", request = id, error = %e, "refusal not audited");
            }
        }
    }
    response
}

async fn request_timeout(req: Request, next: Next, limit: Duration) -> Response {
    if req.uri().path() == "/v1/events" {
        return next.run(req).await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(StatusCode::REQUEST_TIMEOUT, "timeout", "请求超时").into_response(),
    }
}

async fn version() -> Json<Version> {
    Json(Version::current())
}

async fn health<S: HqStorage>(State(state): State<AppState<S>>) -> Response {
    let feed_seq = *state.storage.feed_watch().borrow();
    match state.storage.health().await {
        Ok(()) => Json(Health { status: "ok".into(), feed_seq }).into_response(),
        Err(e) => {
            tracing::error!(target: "hq::health", error = %e, "store unhealthy");
            (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable".into(), feed_seq }))
                .into_response()
        }
    }
}

async fn whoami(Authed(device): Authed) -> Json<Device> {
    Json(device)
}

async fn push<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
    Body(req): Body<protocol::PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    if device.role != Role::Clerk || device.window.is_none() {
        return Err(ApiError::forbidden(format!(
            "只有窗口令牌可以推送案件；此令牌角色为{}",
            device.role.label()
        )));
    }
    if let Some(problem) = protocol::oversized_text(&req) {
        return Err(field_too_long(problem));
    }
    let n = req.changes.len();
    let results = state.storage.push(device, req.changes).await?;
    if results.len() != n {
        return Err(StorageError::Database(format!("应答 {} 条，请求 {n} 条", results.len())).into());
    }
    Ok(Json(PushResponse { results }))
}

fn field_too_long(problem: String) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "field_too_long", problem)
}

/// Which feed items a device receives: a window its own, an approver their department's at
/// their center, a supervisor everything of their center.
pub fn targets(device: &Device) -> FeedTargets {
    match device.role {
        Role::Supervisor => FeedTargets::Center(device.center.clone()),
        Role::Clerk => FeedTargets::Only(match &device.window {
            Some(w) => vec![ALL.to_string(), window_target(&device.center, w), clerk_target(&device.center)],
            None => vec![ALL.to_string()],
        }),
        Role::Approver => FeedTargets::Only(match &device.department {
            Some(d) => vec![ALL.to_string(), department_target(&device.center, d)],
            None => vec![ALL.to_string()],
        }),
        Role::KbAdmin => FeedTargets::Only(vec![ALL.to_string()]),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PullQuery {
    #[serde(default)]
    since: i64,
    limit: Option<usize>,
}

async fn pull<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    let Query(q) = query?;
    if q.since < 0 {
        return Err(ApiError::bad_request("since 不能为负数"));
    }
    let newest = *state.storage.feed_watch().borrow();
    if q.since > newest {
        return Err(cursor_ahead(q.since, newest));
    }
    let limit = q.limit.unwrap_or(protocol::MAX_PULL_LIMIT).clamp(1, protocol::MAX_PULL_LIMIT);
    let mut items = state.storage.feed(targets(&device), q.since, limit + 1).await?;
    let more = items.len() > limit;
    items.truncate(limit);
    let next = items.last().map_or(q.since, |i| i.seq);
    Ok(Json(PullResponse { items, next, more }))
}

/// A cursor beyond HQ's newest item (HQ's database was restored from a backup): the client must
/// start again from 0 (PROTOCOL.md, "Cursor ahead").
fn cursor_ahead(since: i64, newest: i64) -> ApiError {
    ApiError::conflict(
        protocol::CURSOR_AHEAD,
        format!("游标 {since} 超出总部最新序号 {newest}：总部数据可能已从备份恢复，请从 0 重新同步"),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    since: Option<i64>,
}

struct StreamState<S> {
    storage: Arc<S>,
    targets: FeedTargets,
    last: i64,
    watch: tokio::sync::watch::Receiver<i64>,
    /// Revocations and rotations: the stream checks its token again on each.
    revocations: tokio::sync::watch::Receiver<u64>,
    token_hash: String,
    device_id: String,
    /// The token stops working then; so does the stream.
    valid_until: Option<chrono::DateTime<chrono::Utc>>,
    buffer: VecDeque<FeedItem>,
    /// An approver's stream counts their department as attended while it is open.
    _connected: Option<super::presence::Connected>,
}

fn sse_event(item: &FeedItem) -> Event {
    let data = serde_json::to_string(item).unwrap_or_else(|_| "{}".into());
    Event::default().id(item.seq.to_string()).event(item.body.kind()).data(data)
}

/// Whether the stream's token still works; checked whenever a token is revoked or rotated.
async fn still_valid<S: HqStorage>(st: &mut StreamState<S>) -> bool {
    match st.storage.device_for_token(st.token_hash.clone()).await {
        Ok(Some(grant)) if grant.device.id == st.device_id => {
            st.valid_until = grant.valid_until;
            true
        }
        Ok(_) => false,
        // The store cannot answer: keep the stream; the next revocation check decides.
        Err(_) => true,
    }
}

/// How long until `until` (UTC), for a stream whose token expires.
fn time_left(until: Option<chrono::DateTime<chrono::Utc>>) -> Duration {
    until.map_or(Duration::from_secs(86_400 * 365), |u| {
        (u - crate::time::now()).to_std().unwrap_or(Duration::ZERO)
    })
}

async fn events<S: HqStorage>(
    State(state): State<AppState<S>>,
    auth: Authenticated,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(q) = query?;
    let header_id = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::bad_request("Last-Event-ID 须为非负整数"))?,
        ),
        None => None,
    };
    if q.since.is_some_and(|n| n < 0) {
        return Err(ApiError::bad_request("since 不能为负数"));
    }
    let last = header_id.or(q.since).unwrap_or(0);
    let newest = *state.storage.feed_watch().borrow();
    if last > newest {
        return Err(cursor_ahead(last, newest));
    }
    let device = auth.grant.device;
    let mut revocations = state.storage.revocations();
    revocations.borrow_and_update();
    let start = StreamState {
        revocations,
        token_hash: auth.token_hash,
        device_id: device.id.clone(),
        valid_until: auth.grant.valid_until,
        watch: state.storage.feed_watch(),
        storage: state.storage.clone(),
        targets: targets(&device),
        last,
        buffer: VecDeque::new(),
        _connected: match (&device.role, &device.department) {
            (Role::Approver, Some(department)) => Some(state.presence.connect(department)),
            _ => None,
        },
    };
    let stream = futures_util::stream::unfold(start, |mut st| async move {
        loop {
            if st.revocations.has_changed().unwrap_or(true) {
                st.revocations.borrow_and_update();
                if !still_valid(&mut st).await {
                    return None;
                }
            }
            if let Some(item) = st.buffer.pop_front() {
                st.last = item.seq;
                let event = sse_event(&item);
                return Some((Ok(event), st));
            }
            st.watch.borrow_and_update();
            match st.storage.feed(st.targets.clone(), st.last, 100).await {
                Ok(items) if !items.is_empty() => st.buffer.extend(items),
                Ok(_) => {
                    let expiry = time_left(st.valid_until);
                    tokio::select! {
                        changed = st.watch.changed() => if changed.is_err() { return None },
                        changed = st.revocations.changed() => {
                            if changed.is_err() || !still_valid(&mut st).await {
                                return None;
                            }
                        }
                        () = tokio::time::sleep(expiry) => {
                            if !still_valid(&mut st).await || time_left(st.valid_until).is_zero() {
                                return None;
                            }
                        }
                    }
                }
                Err(_) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Whether `device` may read (and, for approvers and supervisors, decide) a case owned by
/// `owner`; the error says why not. Every device belongs to a center: a window sees its own
/// cases, an approver their center's cases of their department, a supervisor their center's.
pub fn may_read(device: &Device, owner: &CaseOwner) -> Result<(), ApiError> {
    let other_center = || {
        ApiError::forbidden(format!(
            "{}只能处理本中心（{}）的案件；此案件属于中心 {}",
            device.role.label(),
            device.center,
            owner.center
        ))
    };
    match device.role {
        Role::Supervisor if owner.center == device.center => Ok(()),
        Role::Supervisor => Err(other_center()),
        Role::Clerk => {
            if owner.center == device.center && device.window.as_deref() == Some(owner.window.as_str()) {
                Ok(())
            } else {
                Err(ApiError::forbidden(format!(
                    "窗口 {} 只能查看本窗口的案件；此案件属于窗口 {}/{}",
                    device.label(),
                    owner.center,
                    owner.window
                )))
            }
        }
        Role::Approver if owner.center != device.center => Err(other_center()),
        Role::Approver => {
            if owner.department.is_some() && owner.department == device.department {
                Ok(())
            } else {
                Err(ApiError::forbidden(format!(
                    "审批人员只能处理本部门（{}）的案件",
                    device.department.as_deref().unwrap_or("未指定")
                )))
            }
        }
        Role::KbAdmin => Err(ApiError::forbidden("知识库管理员令牌不能查看案件")),
    }
}

fn check_path_id(what: &str, id: &str) -> Result<(), ApiError> {
    if valid_id(id) { Ok(()) } else { Err(ApiError::bad_request(format!("{what} 格式无效"))) }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseQuery {
    /// An approver asks for ID and phone numbers in full (issuing the result needs them).
    #[serde(default)]
    unmasked: bool,
}

async fn case<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<CaseQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path(case_id) = path?;
    let Query(q) = query?;
    check_path_id("案件编号", &case_id)?;
    let owner = state.storage.case_owner(case_id.clone()).await?;
    let Some(owner) = owner else { return Err(ApiError::not_found(format!("总部没有案件 {case_id}"))) };
    may_read(&device, &owner)?;
    // The window typed the numbers; an approver may ask for them to issue the result; a
    // supervisor's figures never need them.
    let unmasked = match device.role {
        Role::Clerk => true,
        Role::Approver => q.unmasked,
        Role::Supervisor | Role::KbAdmin => {
            if q.unmasked {
                return Err(ApiError::forbidden("大厅主管只能查看脱敏后的证件号码和电话号码"));
            }
            false
        }
    };
    let Some(mut view) = state.storage.case(case_id.clone()).await? else {
        return Err(ApiError::not_found(format!("总部没有案件 {case_id}")));
    };
    if !unmasked {
        super::pii::mask_case(&mut view);
    }
    let action =
        if unmasked { super::audit::Action::ReadCaseUnmasked } else { super::audit::Action::ReadCase };
    let entry = super::audit::Entry::by(&device, crate::time::now(), action).case(&case_id);
    state.storage.audit(entry).await?;
    Ok(Json(view).into_response())
}

async fn decide<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
    Body(req): Body<DecisionRequest>,
) -> Result<Response, ApiError> {
    match device.role {
        Role::Approver | Role::Supervisor => {}
        Role::Clerk => return Err(ApiError::forbidden("窗口令牌不能作出审批决定")),
        Role::KbAdmin => return Err(ApiError::forbidden("知识库管理员令牌不能作出审批决定")),
    }
    check_path_id("id", &req.id)?;
    check_path_id("case_id", &req.case_id)?;
    if let Some(problem) = req.decision.problem() {
        return Err(ApiError::bad_request(problem));
    }
    if let Some(problem) = protocol::oversized_decision(&req.decision) {
        return Err(field_too_long(problem));
    }
    let Some(owner) = state.storage.case_owner(req.case_id.clone()).await? else {
        return Err(ApiError::not_found(format!("总部没有案件 {}", req.case_id)));
    };
    may_read(&device, &owner)?;
    Ok(Json(state.storage.decide(device, req).await?).into_response())
}

async fn reply<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
    path: Result<Path<String>, PathRejection>,
    Body(req): Body<ReplyRequest>,
) -> Result<Response, ApiError> {
    let Path(call_id) = path?;
    if !matches!(device.role, Role::Approver | Role::Supervisor) {
        return Err(ApiError::forbidden("只有后台审批人员可以答复呼叫"));
    }
    check_path_id("呼叫编号", &call_id)?;
    check_path_id("id", &req.id)?;
    if req.text.trim().is_empty() {
        return Err(ApiError::bad_request("答复内容不能为空"));
    }
    if req.text.len() > protocol::MAX_TEXT_BYTES {
        return Err(field_too_long(format!("答复内容超过 {} 字节的上限", protocol::MAX_TEXT_BYTES)));
    }
    let Some((_, owner)) = state.storage.call_owner(call_id.clone()).await? else {
        return Err(ApiError::not_found(format!("总部没有呼叫 {call_id}")));
    };
    may_read(&device, &owner)?;
    Ok(Json(state.storage.reply(device, call_id, req).await?).into_response())
}

/// Only approvers (of the call's department) and supervisors handle calls.
async fn call_access<S: HqStorage>(
    state: &AppState<S>,
    device: &Device,
    call_id: &str,
) -> Result<(), ApiError> {
    if !matches!(device.role, Role::Approver | Role::Supervisor) {
        return Err(ApiError::forbidden("只有后台审批人员可以处理呼叫"));
    }
    check_path_id("呼叫编号", call_id)?;
    let Some((_, owner)) = state.storage.call_owner(call_id.to_string()).await? else {
        return Err(ApiError::not_found(format!("总部没有呼叫 {call_id}")));
    };
    may_read(device, &owner)
}

async fn take<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(call_id) = path?;
    call_access(&state, &device, &call_id).await?;
    match state.storage.take_call(device, call_id.clone()).await? {
        super::calls::TakeOutcome::TakenBy { owner } => {
            Err(ApiError::new(StatusCode::CONFLICT, "taken", format!("呼叫已由 {owner} 接听")))
        }
        super::calls::TakeOutcome::NoCall => Err(ApiError::not_found(format!("呼叫 {call_id} 已结束"))),
        outcome => Ok(Json(outcome).into_response()),
    }
}

async fn resolve<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(call_id) = path?;
    call_access(&state, &device, &call_id).await?;
    match state.storage.resolve_call(device, call_id).await? {
        super::rules::ResolveStep::Resolve => {
            Ok(Json(serde_json::json!({"status": "resolved"})).into_response())
        }
        super::rules::ResolveStep::AlreadyResolved => {
            Ok(Json(serde_json::json!({"status": "resolved", "repeat": true})).into_response())
        }
        super::rules::ResolveStep::NotYours => {
            Err(ApiError::forbidden("只有接听该呼叫的审批人员或主管可以结束呼叫"))
        }
    }
}

/// What an approver's or supervisor's lists show: their center, and an approver's department.
fn scope(device: &Device) -> Result<Scope, ApiError> {
    match device.role {
        Role::Supervisor => Ok(Scope { center: Some(device.center.clone()), department: None }),
        Role::Approver => Ok(Scope {
            center: Some(device.center.clone()),
            department: Some(device.department.clone().unwrap_or_default()),
        }),
        _ => Err(ApiError::forbidden("只有后台审批人员和主管可以查看呼叫和待审批案件")),
    }
}

async fn open_calls<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
) -> Result<Response, ApiError> {
    let scope = scope(&device)?;
    Ok(Json(state.storage.open_calls(scope).await?).into_response())
}

async fn queue<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
) -> Result<Response, ApiError> {
    let scope = scope(&device)?;
    Ok(Json(state.storage.queue(scope).await?).into_response())
}

/// The exceptions supervisors approved at the center's windows, today and the days before
/// (`src/hq/calls.rs`): for a supervisor's token only.
async fn exceptions<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
) -> Result<Response, ApiError> {
    if device.role != Role::Supervisor {
        return Err(ApiError::forbidden("只有主管令牌可以查看本中心的例外审批"));
    }
    let since = crate::time::now() - chrono::Duration::days(crate::console::model::EXCEPTION_DAYS);
    Ok(Json(state.storage.exceptions(device.center.clone(), since).await?).into_response())
}

async fn publish_kb<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(device): Authed,
    Body(package): Body<KbPackage>,
) -> Result<Response, ApiError> {
    if device.role != Role::KbAdmin {
        return Err(ApiError::forbidden("只有知识库管理员令牌可以发布知识库"));
    }
    let package = tokio::task::spawn_blocking(move || super::kb::prepare(package))
        .await
        .map_err(|e| StorageError::Unavailable(e.to_string()))?
        .map_err(|e| ApiError::bad_request(format!("知识库检查未通过：{e}")))?;
    Ok(Json(state.storage.publish_kb(device, package).await?).into_response())
}

async fn kb<S: HqStorage>(
    State(state): State<AppState<S>>,
    Authed(_device): Authed,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(hash) = path?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad_request("知识库哈希须为 64 位十六进制"));
    }
    match state.storage.kb(hash.clone()).await? {
        Some(package) => Ok(Json(package).into_response()),
        None => Err(ApiError::not_found(format!("总部没有知识库版本 {hash}"))),
    }
}
