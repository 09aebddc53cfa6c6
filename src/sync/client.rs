//! A blocking HTTP client of the `/v1` protocol, for the desk's sync worker and the command line.
//! Runs on the worker's own thread; never on the UI thread.

use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::protocol::{
    ChangeResult, DecisionRequest, Device, ErrorBody, KbPackage, KbPublished, PullResponse, PushRequest,
    PushResponse, ReplyRequest, Version,
};

/// Why a call to HQ failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// HQ could not be reached or the connection broke (retry with backoff).
    #[error("无法连接总部 {url}: {message}")]
    Offline {
        /// HQ's address.
        url: String,
        /// What failed.
        message: String,
    },
    /// HQ answered with an error.
    #[error("总部拒绝请求 ({status} {code}): {message}")]
    Http {
        /// HTTP status.
        status: u16,
        /// Error code from the body.
        code: String,
        /// Message from the body.
        message: String,
    },
    /// HQ's answer broke the protocol (wrong count of results, versions that do not match).
    #[error("总部应答不符合协议: {0}")]
    Protocol(String),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Sync is not set up or refused here.
    #[error("{0}")]
    Setup(String),
}

impl SyncError {
    /// Whether retrying later can help (network, 5xx, timeouts) — as opposed to a refused token.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Offline { .. } | Self::Protocol(_) => true,
            Self::Http { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            Self::Store(_) | Self::Setup(_) => false,
        }
    }
}

/// A client for one HQ and one device token.
#[derive(Clone)]
pub struct HqClient {
    http: Client,
    /// For the live stream: the same trust (CA) but no overall timeout; each listen sets its own.
    stream: Client,
    base: String,
    token: String,
}

impl std::fmt::Debug for HqClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HqClient").field("base", &self.base).finish_non_exhaustive()
    }
}

/// Makes `ring` the process's TLS crypto provider (once; later calls do nothing). reqwest is built
/// without a provider of its own (`rustls-no-provider` in Cargo.toml, so no second crypto library),
/// and building any reqwest client before this panics.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client builder that trusts only the center's CA (`ca`), never the system's roots: HQ's
/// certificates come from the center's own CA. Without `ca` no certificate is trusted at all, which
/// leaves plain `http://` on loopback.
fn builder(ca: Option<&Path>) -> Result<reqwest::blocking::ClientBuilder, SyncError> {
    install_tls_provider();
    let mut roots = Vec::new();
    if let Some(ca) = ca {
        let pem = std::fs::read(ca)
            .map_err(|e| SyncError::Setup(format!("无法读取总部 CA 证书 {}: {e}", ca.display())))?;
        roots = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| SyncError::Setup(format!("总部 CA 证书 {} 无效: {e}", ca.display())))?;
    }
    Ok(Client::builder().connect_timeout(Duration::from_secs(5)).tls_backend_rustls().tls_certs_only(roots))
}

impl HqClient {
    /// A client of HQ at `base` (e.g. `https://hq.example:8443`), trusting `ca` in addition to
    /// nothing else (HQ certificates come from the center's own CA); `timeout` bounds each call.
    pub fn new(base: &str, token: &str, ca: Option<&Path>, timeout: Duration) -> Result<Self, SyncError> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(SyncError::Setup(format!("总部地址 {base} 须以 http:// 或 https:// 开头")));
        }
        if base.starts_with("http://") && !loopback(&base) {
            return Err(SyncError::Setup(format!(
                "总部地址 {base} 未加密：令牌和案件（含身份证号）会明文经过网络；请用 https://（明文 http:// 仅限本机 127.0.0.1）"
            )));
        }
        let build = |b: reqwest::blocking::ClientBuilder| {
            b.build().map_err(|e| SyncError::Setup(format!("无法创建 HTTP 客户端: {e}")))
        };
        let http = build(builder(ca)?.timeout(timeout))?;
        let stream = build(builder(ca)?.timeout(None))?;
        Ok(Self { http, stream, base, token: token.to_string() })
    }

    /// `GET /v1/health`: whether HQ's store works, and its newest feed sequence number.
    pub fn health(&self) -> Result<crate::protocol::Health, SyncError> {
        self.get("/v1/health")
    }

    /// HQ's address.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn offline(&self, e: reqwest::Error) -> SyncError {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message = format!("{message}: {s}");
            source = s.source();
        }
        SyncError::Offline { url: self.base.clone(), message }
    }

    fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, SyncError> {
        let response = req.bearer_auth(&self.token).send().map_err(|e| self.offline(e))?;
        self.decode(response)
    }

    fn decode<T: DeserializeOwned>(&self, response: Response) -> Result<T, SyncError> {
        let status = response.status();
        let bytes = response.bytes().map_err(|e| self.offline(e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| SyncError::Protocol(format!("应答无法解析: {e}")));
        }
        Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => SyncError::Http {
                status: status.as_u16(),
                code: body.error.code,
                message: body.error.message,
            },
            Err(_) => SyncError::Http {
                status: status.as_u16(),
                code: status.canonical_reason().unwrap_or("error").to_string(),
                message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            },
        })
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, SyncError> {
        self.send(self.http.get(format!("{}{path}", self.base)))
    }

    fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, SyncError> {
        let bytes = serde_json::to_vec(body).map_err(|e| SyncError::Protocol(e.to_string()))?;
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes),
        )
    }

    /// The version handshake: fails unless HQ speaks this build's protocol.
    pub fn handshake(&self) -> Result<Version, SyncError> {
        let v: Version = self.get("/v1/version")?;
        if !v.compatible() {
            return Err(SyncError::Protocol(format!(
                "总部协议版本 {}–{} 与本程序的 {} 不兼容，请升级",
                v.min_protocol,
                v.protocol,
                crate::protocol::PROTOCOL_VERSION
            )));
        }
        Ok(v)
    }

    /// The device this token belongs to.
    pub fn whoami(&self) -> Result<Device, SyncError> {
        self.get("/v1/whoami")
    }

    /// Pushes a batch; checks that HQ answered every change, in order.
    pub fn push(&self, req: &PushRequest) -> Result<Vec<ChangeResult>, SyncError> {
        let resp: PushResponse = self.post("/v1/push", req)?;
        if resp.results.len() != req.changes.len()
            || resp.results.iter().zip(&req.changes).any(|(r, c)| r.id != c.id)
        {
            return Err(SyncError::Protocol(format!(
                "推送 {} 条，总部应答 {} 条或顺序不符",
                req.changes.len(),
                resp.results.len()
            )));
        }
        Ok(resp.results)
    }

    /// Pulls feed items after `since`.
    pub fn pull(&self, since: i64, limit: usize) -> Result<PullResponse, SyncError> {
        self.get(&format!("/v1/pull?since={since}&limit={limit}"))
    }

    /// Downloads a KB version.
    pub fn kb(&self, hash: &str) -> Result<KbPackage, SyncError> {
        self.get(&format!("/v1/kb/{hash}"))
    }

    /// Publishes a KB package (kb-admin token).
    pub fn publish_kb(&self, package: &KbPackage) -> Result<KbPublished, SyncError> {
        self.post("/v1/kb", package)
    }

    /// Sends an approver's decision.
    pub fn decide(&self, req: &DecisionRequest) -> Result<ChangeResult, SyncError> {
        self.post("/v1/decisions", req)
    }

    /// Sends an approver's answer to a call.
    pub fn reply(&self, call_id: &str, req: &ReplyRequest) -> Result<ChangeResult, SyncError> {
        self.post(&format!("/v1/calls/{call_id}/reply"), req)
    }

    /// Takes a ringing call (approver); the first to take it owns it, later ones get HTTP 409.
    pub fn take_call(&self, call_id: &str) -> Result<crate::hq::calls::TakeOutcome, SyncError> {
        self.post(&format!("/v1/calls/{call_id}/take"), &serde_json::json!({}))
    }

    /// Closes a call this approver owns.
    pub fn resolve_call(&self, call_id: &str) -> Result<serde_json::Value, SyncError> {
        self.post(&format!("/v1/calls/{call_id}/resolve"), &serde_json::json!({}))
    }

    /// The department's open calls (approver) or all (supervisor).
    pub fn open_calls(&self) -> Result<Vec<crate::console::model::CallItem>, SyncError> {
        self.get("/v1/calls")
    }

    /// The exceptions supervisors approved at the center's windows, newest first (a
    /// supervisor's token only).
    pub fn exceptions(&self) -> Result<Vec<crate::console::model::ExceptionItem>, SyncError> {
        self.get("/v1/exceptions")
    }

    /// The department's accepted cases waiting for a decision.
    pub fn queue(&self) -> Result<Vec<crate::console::model::QueueCase>, SyncError> {
        self.get("/v1/queue")
    }

    /// Opens the live event stream after `last_id` and calls `on_event(id)` for each event until
    /// the stream ends, `keep_going` says stop, or `max` elapses. Returns the last id seen.
    pub fn listen(
        &self,
        last_id: i64,
        max: Duration,
        keep_going: &dyn Fn() -> bool,
        on_event: &mut dyn FnMut(i64),
    ) -> Result<i64, SyncError> {
        let response = self
            .stream
            .get(format!("{}/v1/events", self.base))
            .timeout(max)
            .bearer_auth(&self.token)
            .header("Last-Event-ID", last_id.to_string())
            .send()
            .map_err(|e| self.offline(e))?;
        if response.status() != StatusCode::OK {
            return self.decode::<serde_json::Value>(response).map(|_| last_id);
        }
        let mut last = last_id;
        let mut reader = std::io::BufReader::new(response);
        let mut line = String::new();
        let mut pending: Option<i64> = None;
        while keep_going() {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    return Err(SyncError::Offline { url: self.base.clone(), message: e.to_string() });
                }
            }
            let l = line.trim_end_matches(['\r', '\n']);
            if l.is_empty() {
                if let Some(id) = pending.take() {
                    last = id;
                    on_event(id);
                }
            } else if let Some(id) = l.strip_prefix("id:") {
                pending = id.trim().parse().ok();
            }
        }
        Ok(last)
    }
}

/// Whether an `http://` address names this machine (127.0.0.0/8, ::1, localhost): the only place
/// plain HTTP may go.
fn loopback(base: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base) else { return false };
    url.host_str().is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}
