//! Headquarters (总部) server: the `/v1` protocol (see [`crate::protocol`]) over a store behind the
//! [`storage::HqStorage`] trait — SQLite by default ([`sqlite::SqliteStorage`]), PostgreSQL later
//! without touching a route.
//!
//! Every window's desk pushes its outbox here exactly once per change, pulls what HQ has for it by
//! cursor, and listens to a live event stream; approvers decide cases and answer calls; the KB
//! maintainer publishes KB versions. Every state change is in HQ's append-only audit.

pub mod audit;
pub mod calls;
pub mod kb;
pub mod lookup;
pub mod lookup_page;
pub mod pii;
pub mod presence;
pub mod refusals;
pub mod routes;
pub mod rules;
pub mod sqlite;
pub mod storage;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

pub use sqlite::SqliteStorage;
pub use storage::{HqStorage, NewDevice, StorageError};

use routes::{AppState, Limits};

/// Settings of `hq serve`, from flags or a TOML file (flags win).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on, e.g. `0.0.0.0:8443` (`127.0.0.1:0` picks a free port).
    pub listen: Option<String>,
    /// The SQLite database file.
    pub db: Option<PathBuf>,
    /// PEM certificate chain; with `tls_key`, HQ speaks HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy).
    pub allow_plain_http: Option<bool>,
    /// Longest a request may take, in seconds (default 30).
    pub request_timeout_secs: Option<u64>,
    /// Largest request body in bytes (default 4 MiB).
    pub max_body_bytes: Option<usize>,
    /// Seconds a call may ring unanswered before it escalates to supervisors (default 120).
    pub escalate_after_secs: Option<u64>,
    /// Seconds a call may ring while no approver of its department is connected before it
    /// escalates (default 10).
    pub unattended_after_secs: Option<u64>,
    /// Seconds a connection may stay idle (no request, or a request's headers not complete; a
    /// TLS handshake not done) before HQ closes it (default 10).
    pub idle_timeout_secs: Option<u64>,
    /// The hall's time zone (default `Asia/Shanghai`; see src/time.rs): how naive times of older
    /// desks' journals are read.
    pub zone: Option<String>,
    /// Progress-page lookups and ratings one client address may make per minute (default 20;
    /// src/hq/lookup_page.rs).
    pub lookups_per_minute: Option<u32>,
}

impl ServeConfig {
    /// Reads a TOML settings file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("无法读取配置文件 {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("配置文件 {} 有误: {e}", path.display()))
    }

    /// `self` with every field that `over` sets replaced.
    pub fn overlay(self, over: ServeConfig) -> Self {
        Self {
            listen: over.listen.or(self.listen),
            db: over.db.or(self.db),
            tls_cert: over.tls_cert.or(self.tls_cert),
            tls_key: over.tls_key.or(self.tls_key),
            allow_plain_http: over.allow_plain_http.or(self.allow_plain_http),
            request_timeout_secs: over.request_timeout_secs.or(self.request_timeout_secs),
            max_body_bytes: over.max_body_bytes.or(self.max_body_bytes),
            escalate_after_secs: over.escalate_after_secs.or(self.escalate_after_secs),
            unattended_after_secs: over.unattended_after_secs.or(self.unattended_after_secs),
            idle_timeout_secs: over.idle_timeout_secs.or(self.idle_timeout_secs),
            zone: over.zone.or(self.zone),
            lookups_per_minute: over.lookups_per_minute.or(self.lookups_per_minute),
        }
    }

    fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            max_body_bytes: self.max_body_bytes.unwrap_or(d.max_body_bytes),
            request_timeout: self.request_timeout_secs.map_or(d.request_timeout, Duration::from_secs),
        }
    }
}

/// Runs HQ until Ctrl-C or SIGTERM: opens the store, binds, prints `listening on URL` (tests and
/// scripts read that line to learn a port picked by the system), serves.
pub fn serve(config: ServeConfig) -> anyhow::Result<()> {
    init_logging();
    let idle =
        config.idle_timeout_secs.map_or(IDLE_TIMEOUT, Duration::from_secs).max(Duration::from_millis(100));
    if let Some(zone) = &config.zone {
        crate::time::set_hall_zone(crate::time::HallZone::parse(zone).map_err(anyhow::Error::msg)?);
    }
    let db =
        config.db.clone().ok_or_else(|| anyhow::anyhow!("须指定数据库文件：--db PATH 或配置文件中的 db"))?;
    let listen = config.listen.clone().unwrap_or_else(|| "127.0.0.1:8440".into());
    let addr: SocketAddr =
        listen.parse().map_err(|e| anyhow::anyhow!("监听地址 {listen} 无效（应为 IP:端口）: {e}"))?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(c), Some(k)) => Some((c.clone(), k.clone())),
        (None, None) => None,
        _ => anyhow::bail!("TLS 须同时指定证书 (tls_cert) 和私钥 (tls_key)"),
    };
    if tls.is_none() && !addr.ip().is_loopback() && config.allow_plain_http != Some(true) {
        anyhow::bail!(
            "在非本机地址 {addr} 上提供服务须启用 TLS（--tls-cert/--tls-key）；明文 HTTP 仅限 127.0.0.1，\
             或在 TLS 反向代理之后加 --allow-plain-http"
        );
    }
    let storage = Arc::new(SqliteStorage::open(&db)?);
    let escalate_after = Duration::from_secs(config.escalate_after_secs.unwrap_or(120));
    let unattended_after =
        Duration::from_secs(config.unattended_after_secs.unwrap_or(10)).min(escalate_after);
    let escalating = storage.clone();
    let presence = presence::Presence::default();
    let attended = presence.clone();
    let refusals = std::sync::Arc::new(std::sync::Mutex::new(refusals::RefusalGate::default()));
    let flushing = (storage.clone(), refusals.clone());
    let lookup = Arc::new(lookup_page::LookupState::new(
        config.lookups_per_minute.unwrap_or(lookup_page::LOOKUPS_PER_MINUTE),
    )?);
    let state = AppState { storage, limits: config.limits(), presence, refusals, lookup };
    let app = routes::router(state);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        // Unanswered calls escalate to supervisors; checked every second.
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let rule = calls::Escalation {
                    after: escalate_after,
                    unattended_after,
                    attended: attended.attended(),
                };
                if let Err(e) = escalating.escalate_calls(rule).await {
                    tracing::error!(target: "hq::calls", error = %e, "升级呼叫失败");
                }
            }
        });
        // Summaries of repeated refusals whose window ended (src/hq/refusals.rs).
        tokio::spawn(async move {
            let (storage, gate) = flushing;
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                let rows = gate
                    .lock()
                    .map(|mut g| g.expire(crate::time::now(), std::time::Instant::now()))
                    .unwrap_or_default();
                for row in rows {
                    if let Err(e) = storage.audit(row).await {
                        tracing::warn!(target: "hq::audit", error = %e, "refusal summary not audited");
                    }
                }
            }
        });
        let listener =
            std::net::TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("无法监听 {addr}: {e}"))?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let handle = axum_server::Handle::new();
        let h = handle.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            h.graceful_shutdown(Some(Duration::from_secs(5)));
        });
        match tls {
            None => {
                println!("listening on http://{local}");
                flush_stdout();
                let mut server = axum_server::from_tcp(listener)?.http1_only().handle(handle);
                idle_connections_close(server.http_builder(), idle);
                server.serve(app.into_make_service_with_connect_info::<SocketAddr>()).await?;
            }
            Some((cert, key)) => {
                crate::sync::install_tls_provider();
                let tls =
                    axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key).await.map_err(|e| {
                        anyhow::anyhow!("无法加载 TLS 证书 {} / 私钥 {}: {e}", cert.display(), key.display())
                    })?;
                println!("listening on https://{local}");
                flush_stdout();
                let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls).handshake_timeout(idle);
                let mut server =
                    axum_server::from_tcp(listener)?.acceptor(acceptor).http1_only().handle(handle);
                idle_connections_close(server.http_builder(), idle);
                server.serve(app.into_make_service_with_connect_info::<SocketAddr>()).await?;
            }
        }
        anyhow::Ok(())
    })
}

/// How long a connection may wait for the next request's headers: a connection that sends
/// nothing, trickles its headers, or idles between requests would otherwise hold a file
/// descriptor for ever (the request timeout only starts with the handler).
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// HQ speaks HTTP/1.1 only (`http1_only` on the server), so hyper serves each connection straight
/// away instead of first waiting, without a limit, for bytes that tell HTTP/1 from HTTP/2; then
/// its header-read timeout covers a connection's whole idle time — before the first request and
/// between keep-alive requests, plain and TLS alike (the TLS handshake has the same limit).
fn idle_connections_close(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    idle: Duration,
) {
    builder.http1().timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(idle);
}

/// HQ's log: `tracing` lines on standard error (the access log is target `hq::access`). Never a
/// personal number: routes are logged by their template, bodies never.
fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}

fn flush_stdout() {
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Enrolls a device in the database at `db` (HQ's machine, no server needed); returns the device
/// and its token, which is shown once.
pub fn enroll(db: &Path, device: NewDevice) -> anyhow::Result<(crate::protocol::Device, String)> {
    let storage = SqliteStorage::open(db)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    Ok(runtime.block_on(storage.enroll(device))?)
}
