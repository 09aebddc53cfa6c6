//! The desk's sync with HQ (DESIGN §6), off the UI thread: push the outbox in order with backoff
//! and jitter, pull by cursor (stored with what it pulled), listen to the live stream, download and
//! verify published KB versions, and publish a [`SyncStatus`] for the status bar
//! (在线 / 离线, N 待同步, last sync). A desk offline for days keeps its outbox and catches up.
//!
//! [`sync_once`] is one round (`yichuang sync --once`); [`SyncWorker`] runs rounds on its own
//! thread for the desk.

pub mod client;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use client::{HqClient, SyncError, install_tls_provider};

use crate::kb::Kb;
use crate::protocol::{Change, ChangeKind, ChangeStatus, KbFileBody, KbPackage, PushRequest};
use crate::store::{Delivery, Store, StoreKind};

/// Desk settings that hold HQ's address, the device token and an optional CA file.
pub const HQ_URL: &str = "hq_url";
/// Setting: the device token.
pub const HQ_TOKEN: &str = "hq_token";
/// Setting: PEM file of the CA that signed HQ's certificate.
pub const HQ_CA: &str = "hq_ca";

/// How the desk reaches HQ and how patiently.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// HQ's base URL.
    pub hq_url: String,
    /// The device token from `hq enroll`.
    pub token: String,
    /// CA certificate for HQ's TLS certificate.
    pub ca: Option<PathBuf>,
    /// Changes per push.
    pub batch: usize,
    /// Time limit of one call.
    pub request_timeout: Duration,
    /// Wait between rounds while online and idle (the live stream and nudges cut it short).
    pub poll: Duration,
    /// First retry delay after a failure; doubles per failure up to `backoff_cap`.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_cap: Duration,
    /// Listen to the live event stream.
    pub live: bool,
}

impl SyncConfig {
    /// Defaults for HQ at `hq_url` with `token`.
    pub fn new(hq_url: &str, token: &str) -> Self {
        Self {
            hq_url: hq_url.to_string(),
            token: token.to_string(),
            ca: None,
            batch: 200,
            request_timeout: Duration::from_secs(20),
            poll: Duration::from_secs(5),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(60),
            live: true,
        }
    }

    /// The configuration kept in the desk's settings, if sync is set up.
    pub fn from_store(store: &Store) -> Result<Option<Self>, SyncError> {
        let (Some(url), Some(token)) = (store.setting(HQ_URL)?, store.setting(HQ_TOKEN)?) else {
            return Ok(None);
        };
        let mut config = Self::new(&url, &token);
        config.ca = store.setting(HQ_CA)?.map(PathBuf::from);
        Ok(Some(config))
    }

    /// The client for this configuration.
    pub fn client(&self) -> Result<HqClient, SyncError> {
        HqClient::new(&self.hq_url, &self.token, self.ca.as_deref(), self.request_timeout)
    }
}

/// What the status bar shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// The last round reached HQ.
    pub online: bool,
    /// Outbox entries not yet at HQ.
    pub pending: usize,
    /// Entries HQ refused as conflicts (support must look).
    pub conflicts: usize,
    /// When the last round succeeded.
    pub last_sync: Option<DateTime<Utc>>,
    /// Why the last round failed.
    pub last_error: Option<String>,
    /// A downloaded KB version the desk has not switched to yet.
    pub kb_ready: Option<String>,
    /// Case ids changed by the last pull (the desk reloads them).
    pub changed_cases: Vec<String>,
}

impl SyncStatus {
    /// The status bar text: `在线 · 3 待同步 · 上次同步 10:32`.
    pub fn summary(&self) -> String {
        let mut parts = vec![if self.online { "在线".to_string() } else { "离线".to_string() }];
        if self.pending > 0 {
            parts.push(format!("{} 待同步", self.pending));
        }
        if self.conflicts > 0 {
            parts.push(format!("{} 冲突", self.conflicts));
        }
        match self.last_sync {
            Some(t) => parts.push(format!("上次同步 {}", crate::time::show(t, "%m-%d %H:%M"))),
            None => parts.push("尚未同步".into()),
        }
        if let Some(v) = &self.kb_ready {
            parts.push(format!("新知识库 {v} 待切换"));
        }
        parts.join(" · ")
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Changes HQ stored now.
    pub applied: usize,
    /// Changes HQ had already (an earlier answer was lost).
    pub duplicate: usize,
    /// Changes HQ refused.
    pub conflict: usize,
    /// Feed items applied.
    pub pulled: usize,
    /// KB versions downloaded and verified.
    pub kb_downloaded: usize,
    /// Case ids changed by pulled items.
    pub changed_cases: Vec<String>,
}

fn now() -> DateTime<Utc> {
    crate::time::now()
}

/// Pushes every pending outbox entry, in order, one batch in flight at a time.
pub fn push_all(
    store: &mut Store,
    client: &HqClient,
    batch: usize,
    report: &mut RoundReport,
) -> Result<(), SyncError> {
    loop {
        let entries = store.outbox_pending(batch.clamp(1, crate::protocol::MAX_PUSH_CHANGES))?;
        if entries.is_empty() {
            return Ok(());
        }
        let mut changes = Vec::with_capacity(entries.len());
        let mut unreadable = Vec::new();
        for e in &entries {
            match serde_json::from_str::<serde_json::Value>(&e.body) {
                Ok(body) if body.is_object() => changes.push((
                    e.id,
                    Change {
                        id: e.event_id.clone(),
                        case_id: e.case_id.clone(),
                        seq: e.id,
                        kind: ChangeKind::CaseEvent,
                        body,
                        clerk: e.clerk.clone().filter(|n| crate::protocol::valid_clerk(n)),
                    },
                )),
                _ => unreadable.push(Delivery {
                    outbox_id: e.id,
                    status: ChangeStatus::Conflict,
                    hq_seq: None,
                    message: Some("本地记录无法解析，未发送".into()),
                }),
            }
        }
        if !unreadable.is_empty() {
            report.conflict += unreadable.len();
            store.mark_delivered(&unreadable, now())?;
        }
        if changes.is_empty() {
            continue;
        }
        let (ids, changes): (Vec<i64>, Vec<Change>) = changes.into_iter().unzip();
        let results = client.push(&PushRequest { changes })?;
        let deliveries: Vec<Delivery> = ids
            .iter()
            .zip(results)
            .map(|(id, r)| {
                match r.status {
                    ChangeStatus::Applied => report.applied += 1,
                    ChangeStatus::Duplicate => report.duplicate += 1,
                    ChangeStatus::Conflict => report.conflict += 1,
                }
                Delivery { outbox_id: *id, status: r.status, hq_seq: r.seq, message: r.message }
            })
            .collect();
        store.mark_delivered(&deliveries, now())?;
    }
}

/// Pulls everything after the stored cursor; each page and its cursor land in one transaction.
pub fn pull_all(store: &mut Store, client: &HqClient, report: &mut RoundReport) -> Result<(), SyncError> {
    loop {
        let since = store.sync_cursor()?;
        let page = match client.pull(since, 500) {
            // HQ is behind the desk's cursor (its database was restored from a backup): what HQ
            // has up to its newest item the desk has seen; continue from there.
            Err(SyncError::Http { code, .. }) if code == crate::protocol::CURSOR_AHEAD => {
                let newest = client.health()?.feed_seq;
                store.reset_sync_cursor(newest)?;
                continue;
            }
            page => page?,
        };
        if page.next < since {
            return Err(SyncError::Protocol(format!("游标倒退：{since} → {}", page.next)));
        }
        let pulled = store.apply_pulled(&page.items, page.next, now())?;
        report.pulled += page.items.len();
        report.changed_cases.extend(pulled.cases);
        if !page.more || page.items.is_empty() {
            return Ok(());
        }
    }
}

/// Downloads announced KB versions, verifies each hash and that it loads, and keeps the files.
pub fn download_kbs(store: &mut Store, client: &HqClient, report: &mut RoundReport) -> Result<(), SyncError> {
    for (hash, version) in store.kb_to_download()? {
        let package = client.kb(&hash)?;
        let actual = KbPackage::content_hash(&package.files);
        if actual != hash {
            return Err(SyncError::Protocol(format!(
                "知识库 {version} 哈希不符：应为 {hash}，实为 {actual}"
            )));
        }
        crate::hq::kb::load_package(&package.files)
            .map_err(|e| SyncError::Protocol(format!("知识库 {version} 无法加载: {e}")))?;
        let files = serde_json::to_string(&package.files).map_err(|e| SyncError::Protocol(e.to_string()))?;
        store.save_kb_files(&hash, &files, now())?;
        report.kb_downloaded += 1;
    }
    Ok(())
}

/// One round: handshake, push the whole outbox, pull everything new, download new KB versions.
pub fn sync_once(store: &mut Store, client: &HqClient, batch: usize) -> Result<RoundReport, SyncError> {
    // A drill store never reaches HQ, whoever calls this.
    store.require_desk()?;
    let mut round = || -> Result<RoundReport, SyncError> {
        client.handshake()?;
        let mut report = RoundReport::default();
        push_all(store, client, batch, &mut report)?;
        pull_all(store, client, &mut report)?;
        download_kbs(store, client, &mut report)?;
        Ok(report)
    };
    let result = round();
    match &result {
        Ok(r) => tracing::info!(
            target: "desk::sync",
            hq = client.base(),
            applied = r.applied,
            duplicate = r.duplicate,
            conflict = r.conflict,
            pulled = r.pulled,
            kb_downloaded = r.kb_downloaded,
            "sync round done"
        ),
        Err(e) => tracing::warn!(target: "desk::sync", hq = client.base(), "sync round failed: {e}"),
    }
    result
}

/// A downloaded KB the desk has not switched to yet, loaded and ready; switch only between
/// intakes, then call [`Store::activate_kb`].
pub fn ready_kb(store: &Store) -> Result<Option<(String, Kb)>, SyncError> {
    let Some(row) = store.latest_kb()? else { return Ok(None) };
    let Some(files) = row.files else { return Ok(None) };
    let files: Vec<KbFileBody> = serde_json::from_str(&files)
        .map_err(|e| SyncError::Protocol(format!("已下载的知识库 {} 无法解析: {e}", row.version)))?;
    let kb = crate::hq::kb::load_package(&files).map_err(SyncError::Protocol)?;
    Ok(Some((row.hash, kb)))
}

/// Retry delay after `failures` failures in a row: exponential from `base`, capped, with jitter
/// (a uniformly random point in the upper half) so hundreds of windows do not retry in step.
pub fn backoff(failures: u32, base: Duration, cap: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
    let full = exp.min(cap);
    let random = (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0;
    full.mul_f64(0.5 + 0.5 * random)
}

/// The desk's sync worker thread.
pub struct SyncWorker {
    stop: Arc<AtomicBool>,
    wake: mpsc::Sender<()>,
    status: Arc<Mutex<SyncStatus>>,
    handle: Option<JoinHandle<()>>,
}

impl SyncWorker {
    /// Starts syncing the desk database at `db`; `notify` is called (on the worker's thread) each
    /// time the status changes. Refuses a drill database.
    pub fn spawn(
        db: &Path,
        config: SyncConfig,
        notify: impl Fn(&SyncStatus) + Send + 'static,
    ) -> Result<Self, SyncError> {
        let mut store = Store::open(db, StoreKind::Desk)?;
        let client = config.client()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (wake_tx, wake_rx) = mpsc::channel::<()>();
        let status =
            Arc::new(Mutex::new(SyncStatus { pending: store.outbox_count()?, ..SyncStatus::default() }));
        if config.live {
            let (client, stop, wake, since) =
                (client.clone(), stop.clone(), wake_tx.clone(), store.sync_cursor()?);
            let (base, cap) = (config.backoff_base, config.backoff_cap);
            std::thread::Builder::new()
                .name("sync-events".into())
                .spawn(move || listen_loop(&client, &stop, &wake, since, base, cap))
                .map_err(|e| SyncError::Setup(format!("无法启动同步线程: {e}")))?;
        }
        let (s, st) = (stop.clone(), status.clone());
        let handle = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || {
                let mut failures = 0u32;
                while !s.load(Ordering::SeqCst) {
                    let result = sync_once(&mut store, &client, config.batch);
                    let mut next = config.poll;
                    {
                        let Ok(mut status) = st.lock() else { return };
                        match result {
                            Ok(report) => {
                                failures = 0;
                                status.online = true;
                                status.last_sync = Some(now());
                                status.last_error = None;
                                status.changed_cases = report.changed_cases;
                            }
                            Err(e) => {
                                failures = failures.saturating_add(1);
                                status.online = false;
                                status.last_error = Some(e.to_string());
                                status.changed_cases.clear();
                                next = backoff(failures, config.backoff_base, config.backoff_cap);
                            }
                        }
                        status.pending = store.outbox_count().unwrap_or(status.pending);
                        status.conflicts =
                            store.outbox_conflicts().map(|c| c.len()).unwrap_or(status.conflicts);
                        status.kb_ready = store
                            .latest_kb()
                            .ok()
                            .flatten()
                            .filter(|k| k.active_at.is_none() && k.files.is_some())
                            .map(|k| k.version);
                        notify(&status);
                    }
                    match wake_rx.recv_timeout(next) {
                        Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                    while wake_rx.try_recv().is_ok() {}
                }
            })
            .map_err(|e| SyncError::Setup(format!("无法启动同步线程: {e}")))?;
        Ok(Self { stop, wake: wake_tx, status, handle: Some(handle) })
    }

    /// The current status.
    pub fn status(&self) -> SyncStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Asks for a round now (the desk just wrote to the outbox).
    pub fn nudge(&self) {
        let _ = self.wake.send(());
    }

    /// Stops after the current round and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.wake.send(());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Keeps the live stream open; each event wakes the worker, which pulls. Reconnects with
/// `Last-Event-ID` and backoff.
fn listen_loop(
    client: &HqClient,
    stop: &AtomicBool,
    wake: &mpsc::Sender<()>,
    since: i64,
    base: Duration,
    cap: Duration,
) {
    let mut last = since;
    let mut failures = 0u32;
    while !stop.load(Ordering::SeqCst) {
        let keep_going = || !stop.load(Ordering::SeqCst);
        let mut on_event = |_id: i64| {
            let _ = wake.send(());
        };
        match client.listen(last, Duration::from_secs(300), &keep_going, &mut on_event) {
            Ok(id) => {
                last = id;
                failures = 0;
            }
            // HQ is behind the cursor (restored from a backup): listen from its newest item.
            Err(SyncError::Http { code, .. }) if code == crate::protocol::CURSOR_AHEAD => {
                match client.health() {
                    Ok(health) => last = health.feed_seq,
                    Err(_) => failures = failures.saturating_add(1),
                }
            }
            Err(_) => failures = failures.saturating_add(1),
        }
        if failures > 0 {
            std::thread::sleep(backoff(failures, base, cap));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        for f in 1..30 {
            let d = backoff(f, base, cap);
            let full = base.saturating_mul(1 << (f - 1).min(20)).min(cap);
            assert!(d >= full / 2 && d <= full, "{f}: {d:?}");
        }
        let samples: std::collections::HashSet<_> = (0..20).map(|_| backoff(5, base, cap)).collect();
        assert!(samples.len() > 1, "jitter varies the delay");
    }

    #[test]
    fn status_summary_reads_like_the_status_bar() {
        let mut s = SyncStatus { pending: 3, ..SyncStatus::default() };
        assert_eq!(s.summary(), "离线 · 3 待同步 · 尚未同步");
        s.online = true;
        s.pending = 0;
        s.last_sync = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(10, 32, 0)
            .map(crate::time::from_hall_local);
        assert_eq!(s.summary(), "在线 · 上次同步 11-30 10:32");
    }
}
