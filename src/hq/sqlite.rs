//! HQ's SQLite store (the default): WAL, full synchronous commits, one writer thread that groups
//! the writes of many concurrent requests into one transaction (group commit — how HQ keeps up with
//! hundreds of windows on one disk), and a small pool of reader connections.
//!
//! Each request's work runs inside its own savepoint, so one failing request never undoes another's;
//! nobody is answered before the transaction holding their work has committed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use tokio::sync::{oneshot, watch};

use super::audit::{Action, Entry};
use super::rules::{CallFacts, CaseFacts, CaseStage, DecisionKind, IntakeOutcome};
use super::storage::{
    CaseOwner, DeviceRecord, FeedTargets, Grant, HqStorage, NewDevice, Scope, StorageError,
};
use crate::intake::call::{CallState, Reply};
use crate::intake::case::{CaseEvent, Exception};
use crate::kb::Kb;
use crate::protocol::{
    CaseChange, CaseView, Change, ChangeResult, ChangeStatus, DecisionRequest, Device, FeedBody, FeedItem,
    KbPackage, KbPublished, ReplyRequest, Role, hex, token_hash,
};

/// HQ's schema migrations, in order (`PRAGMA user_version` = how many ran). Append only.
pub const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE devices (
        id         TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        center     TEXT NOT NULL,
        window     TEXT,
        department TEXT,
        role       TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE cases (
        case_id     TEXT PRIMARY KEY,
        center      TEXT NOT NULL,
        window      TEXT NOT NULL,
        department  TEXT,
        item_code   TEXT,
        kb_version  TEXT,
        number      TEXT,
        decision    TEXT,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX cases_department ON cases(department);
    CREATE TABLE changes (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        change_id   TEXT NOT NULL UNIQUE,
        device_id   TEXT NOT NULL,
        case_id     TEXT NOT NULL,
        client_seq  INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        body        TEXT NOT NULL,
        hash        TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE INDEX changes_case ON changes(case_id, seq);
    CREATE TRIGGER changes_no_update BEFORE UPDATE ON changes
        BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END;
    CREATE TRIGGER changes_no_delete BEFORE DELETE ON changes
        BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END;
    CREATE TABLE calls (
        call_id    TEXT PRIMARY KEY,
        case_id    TEXT NOT NULL,
        department TEXT NOT NULL,
        state      TEXT NOT NULL,
        raised_at  TEXT NOT NULL
    );
    CREATE TABLE decisions (
        id         TEXT PRIMARY KEY,
        case_id    TEXT NOT NULL,
        kind       TEXT NOT NULL,
        body       TEXT NOT NULL,
        device_id  TEXT NOT NULL,
        at         TEXT NOT NULL
    );
    CREATE TABLE replies (
        id        TEXT PRIMARY KEY,
        call_id   TEXT NOT NULL,
        body      TEXT NOT NULL,
        device_id TEXT NOT NULL,
        at        TEXT NOT NULL
    );
    CREATE TABLE feed (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        target  TEXT NOT NULL,
        kind    TEXT NOT NULL,
        case_id TEXT,
        body    TEXT NOT NULL,
        at      TEXT NOT NULL
    );
    CREATE INDEX feed_target ON feed(target, seq);
    CREATE TABLE kb_versions (
        hash         TEXT PRIMARY KEY,
        version      TEXT NOT NULL,
        files        TEXT NOT NULL,
        device_id    TEXT NOT NULL,
        published_at TEXT NOT NULL
    );
    CREATE TABLE audit (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        at      TEXT NOT NULL,
        actor   TEXT NOT NULL,
        device  TEXT NOT NULL,
        action  TEXT NOT NULL,
        case_id TEXT,
        detail  TEXT NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
"#,
    r#"
    ALTER TABLE calls ADD COLUMN owner TEXT;
    ALTER TABLE calls ADD COLUMN owner_label TEXT;
    ALTER TABLE calls ADD COLUMN taken_at TEXT;
    ALTER TABLE calls ADD COLUMN window TEXT;
    ALTER TABLE calls ADD COLUMN question TEXT;
    ALTER TABLE calls ADD COLUMN snapshot TEXT;
    CREATE INDEX calls_open ON calls(state, department);
"#,
    r#"
    ALTER TABLE cases ADD COLUMN corrected_at TEXT;
    ALTER TABLE cases ADD COLUMN terminated_at TEXT;
"#,
    // Trust (issue 15): a 退回补正 waiting for its correction, token lifecycle, the audit's hash
    // chain with structured fields, and department feeds per center.
    r#"
    ALTER TABLE cases ADD COLUMN correction_open INTEGER NOT NULL DEFAULT 0;
    UPDATE cases SET correction_open = 1
     WHERE (SELECT kind FROM decisions d WHERE d.case_id = cases.case_id ORDER BY rowid DESC LIMIT 1) = '退回补正'
       AND (corrected_at IS NULL
            OR corrected_at <= (SELECT max(at) FROM decisions d WHERE d.case_id = cases.case_id));
    ALTER TABLE devices ADD COLUMN revoked_at TEXT;
    ALTER TABLE devices ADD COLUMN expires_at TEXT;
    ALTER TABLE devices ADD COLUMN old_token_hash TEXT;
    ALTER TABLE devices ADD COLUMN old_valid_until TEXT;
    CREATE INDEX devices_old_token ON devices(old_token_hash);
    CREATE TABLE device_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL);
    INSERT INTO device_epoch VALUES (1, 0);
    ALTER TABLE audit ADD COLUMN center TEXT;
    ALTER TABLE audit ADD COLUMN subject TEXT;
    ALTER TABLE audit ADD COLUMN status INTEGER;
    ALTER TABLE audit ADD COLUMN reason TEXT;
    ALTER TABLE audit ADD COLUMN prev_hash TEXT;
    ALTER TABLE audit ADD COLUMN hash TEXT;
    CREATE INDEX audit_center ON audit(center, seq);
    UPDATE feed SET target = 'dept:' || coalesce((SELECT center FROM cases k WHERE k.case_id = feed.case_id), '')
                             || '/' || substr(target, 6)
     WHERE target LIKE 'dept:%';
"#,
    // Clerks who sign in at the windows (issue 15, item 7): verifier and seal public key only.
    r#"
    CREATE TABLE clerks (
        center     TEXT NOT NULL,
        name       TEXT NOT NULL,
        role       TEXT NOT NULL,
        credential TEXT NOT NULL,
        set_at     TEXT NOT NULL,
        revoked_at TEXT,
        PRIMARY KEY (center, name)
    );
    ALTER TABLE changes ADD COLUMN clerk TEXT;
    ALTER TABLE audit ADD COLUMN count INTEGER;
"#,
    // The applicant's progress page and self-rating (issue 14, items 4 and 5; src/hq/lookup.rs):
    // the query code's hash per case, wrong codes per case number (the lock), ratings per stage.
    r#"
    CREATE TABLE lookup_codes (
        case_id     TEXT PRIMARY KEY,
        code_sha256 TEXT NOT NULL,
        issued_at   TEXT NOT NULL
    );
    CREATE TABLE lookup_failures (
        number TEXT NOT NULL,
        at     TEXT NOT NULL
    );
    CREATE INDEX lookup_failures_number ON lookup_failures(number, at);
    CREATE TABLE ratings (
        case_id  TEXT NOT NULL,
        stage    TEXT NOT NULL,
        level    TEXT NOT NULL,
        scale    TEXT NOT NULL,
        category TEXT,
        reason   TEXT,
        channel  TEXT NOT NULL,
        at       TEXT NOT NULL,
        PRIMARY KEY (case_id, stage)
    );
    CREATE TRIGGER ratings_no_update BEFORE UPDATE ON ratings
        BEGIN SELECT RAISE(ABORT, 'ratings are given once'); END;
"#,
];

/// Reader connections kept open: every live stream reads the feed when it changes, so with
/// hundreds of connected devices a small pool would open a fresh connection per read.
const READER_POOL: usize = 256;

fn now() -> DateTime<Utc> {
    crate::time::now()
}

/// A time as HQ stores it.
pub(crate) fn time(at: DateTime<Utc>) -> String {
    ts(at)
}

/// A stored time.
pub(crate) fn parse_time(s: &str) -> DateTime<Utc> {
    parse_ts(s)
}

/// Adds an item to a device group's feed (for the call routing in `calls`).
pub(crate) fn add_feed_item(
    conn: &Connection,
    target: &str,
    case_id: Option<&str>,
    body: &FeedBody,
    at: DateTime<Utc>,
) -> Result<i64, StorageError> {
    add_feed(conn, target, case_id, body, at)
}

fn ts(at: DateTime<Utc>) -> String {
    crate::time::to_db(at)
}

/// HQ always stamped UTC; older databases hold it without an offset.
fn parse_ts(s: &str) -> DateTime<Utc> {
    crate::time::parse_utc(s).unwrap_or_default()
}

/// Opens an HQ database with the pragmas HQ relies on (WAL, full sync, busy timeout).
pub fn open_connection(path: &Path) -> Result<Connection, StorageError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Each request's savepoint keeps a statement journal; in memory it costs a copy, not a write.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// Runs the migrations this database has not had yet.
pub fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > MIGRATIONS.len() as i64 {
        return Err(StorageError::Database(format!(
            "数据库版本 {version} 比本程序支持的 {} 新，请升级 yichuang",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    let tx = conn.transaction()?;
    super::audit::backfill(&tx)?;
    tx.commit()?;
    Ok(())
}

/// Item code → department group, from the embedded KB and the newest published one; the writer
/// uses it to route calls and to know which approvers may read a case.
type Departments = Arc<RwLock<HashMap<String, String>>>;

fn departments_of(kb: &Kb) -> HashMap<String, String> {
    kb.items.iter().map(|i| (i.code.clone(), i.department_group.clone())).collect()
}

/// What a job returns to the writer: whether its work failed (its savepoint is then rolled back),
/// and a closure that answers the caller once the outcome of the commit is known.
type Finish = Box<dyn FnOnce(Result<(), StorageError>) + Send>;

/// The work of a job, run inside the group transaction.
type Work = Box<dyn FnOnce(&Connection, &Departments) -> (bool, Finish) + Send>;

/// One unit of work for the writer thread.
struct Job {
    run: Work,
    /// Roughly how many rows it writes, to bound a group commit.
    weight: usize,
}

fn job<T: Send + 'static>(
    weight: usize,
    f: impl FnOnce(&Connection, &Departments) -> Result<T, StorageError> + Send + 'static,
) -> (Job, oneshot::Receiver<Result<T, StorageError>>) {
    let (tx, rx) = oneshot::channel();
    let run = Box::new(move |conn: &Connection, depts: &Departments| -> (bool, Finish) {
        let result = f(conn, depts);
        let failed = result.is_err();
        let finish: Finish = Box::new(move |commit: Result<(), StorageError>| {
            let _ = tx.send(commit.and(result));
        });
        (failed, finish)
    });
    (Job { run, weight }, rx)
}

/// Most rows one group commit writes before it commits.
const GROUP_WEIGHT: usize = 1_200;

fn writer_loop(
    mut conn: Connection,
    jobs: mpsc::Receiver<Job>,
    feed: Arc<watch::Sender<i64>>,
    depts: Departments,
    tail: Arc<RwLock<FeedTail>>,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        let mut weight = batch[0].weight;
        while weight < GROUP_WEIGHT {
            match jobs.try_recv() {
                Ok(j) => {
                    weight += j.weight;
                    batch.push(j);
                }
                Err(_) => break,
            }
        }
        let (finishes, commit) = run_batch(&mut conn, batch, &depts);
        // Publish what this commit added to the feed before anyone hears of it: live streams then
        // read new items from memory instead of all querying the database at once.
        publish_feed(&conn, &tail, &feed);
        for finish in finishes {
            finish(commit.clone());
        }
    }
}

/// Moves feed rows newer than the tail into it and tells live streams.
fn publish_feed(conn: &Connection, tail: &RwLock<FeedTail>, feed: &watch::Sender<i64>) {
    let seq = tail.read().map(|t| t.max_seq).unwrap_or(0);
    if let Ok(rows) = feed_since(conn, seq)
        && let Some(last) = rows.last().map(|r| r.0)
    {
        if let Ok(mut t) = tail.write() {
            t.extend(rows);
        }
        feed.send_if_modified(|old| {
            let changed = *old < last;
            *old = (*old).max(last);
            changed
        });
    }
}

/// Runs a group of jobs in one transaction, each in its own savepoint; returns their answers and
/// the outcome of the commit.
fn run_batch(
    conn: &mut Connection,
    batch: Vec<Job>,
    depts: &Departments,
) -> (Vec<Finish>, Result<(), StorageError>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Nothing can be written: run nothing, answer everyone with the error.
        let e = StorageError::from(e);
        let finishes = batch.into_iter().map(|_| -> Finish { Box::new(|_| {}) }).collect::<Vec<_>>();
        return (finishes, Err(e));
    }
    let mut finishes = Vec::with_capacity(batch.len());
    let exec = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    for job in batch {
        let _ = exec("SAVEPOINT job");
        let (failed, finish) = (job.run)(conn, depts);
        if failed {
            let _ = exec("ROLLBACK TO job");
        }
        let _ = exec("RELEASE job");
        finishes.push(finish);
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => (finishes, Ok(())),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            (finishes, Err(e.into()))
        }
    }
}

/// Every feed item added since HQ started (up to [`TAIL`] of the newest and [`TAIL_BYTES`] of
/// their stored size), with its target.
#[derive(Debug, Default)]
struct FeedTail {
    items: std::collections::VecDeque<(i64, String, FeedItem)>,
    /// Stored size of each item in `items`, same order.
    sizes: std::collections::VecDeque<usize>,
    /// Sum of `sizes`.
    bytes: usize,
    /// The newest seq in the database when published (items above it are not there yet).
    max_seq: i64,
}

/// How many recent feed items HQ keeps in memory for live streams.
const TAIL: usize = 20_000;

/// How many bytes of recent feed items HQ keeps in memory: large items (a long question) make
/// the tail shorter, never HQ's memory larger; streams read older items from the database.
pub const TAIL_BYTES: usize = 16 * 1024 * 1024;

impl FeedTail {
    fn extend(&mut self, rows: Vec<(i64, String, FeedItem, usize)>) {
        for (seq, target, item, size) in rows {
            // The writer and the watcher of other processes' items may both publish a row.
            if seq <= self.max_seq {
                continue;
            }
            self.max_seq = seq;
            self.items.push_back((seq, target, item));
            self.sizes.push_back(size);
            self.bytes += size;
        }
        while self.items.len() > TAIL || (self.bytes > TAIL_BYTES && !self.items.is_empty()) {
            self.items.pop_front();
            self.bytes -= self.sizes.pop_front().unwrap_or(0);
        }
    }

    /// The items for `targets` after `since`, if memory holds all of them.
    fn after(&self, targets: &FeedTargets, since: i64, limit: usize) -> Option<Vec<FeedItem>> {
        let complete =
            since >= self.max_seq || self.items.front().is_some_and(|(seq, _, _)| *seq <= since + 1);
        complete.then(|| {
            self.items
                .iter()
                .filter(|(seq, target, _)| *seq > since && receives(targets, target))
                .take(limit)
                .map(|(_, _, item)| item.clone())
                .collect()
        })
    }
}

/// Whether a device with `targets` receives an item for `target`.
fn receives(targets: &FeedTargets, target: &str) -> bool {
    match targets {
        FeedTargets::Only(ts) => ts.iter().any(|t| t == target),
        FeedTargets::Center(center) => target == ALL || target_center(target) == Some(center.as_str()),
    }
}

/// Feed rows after `since`, with their targets, from the database.
fn feed_since(conn: &Connection, since: i64) -> Result<Vec<(i64, String, FeedItem, usize)>, StorageError> {
    let rows: Vec<(i64, String, String, String)> = conn
        .prepare_cached("SELECT seq, target, at, body FROM feed WHERE seq > ?1 ORDER BY seq")?
        .query_map([since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(seq, target, at, body)| {
            // What the item costs in memory, roughly: its JSON and its target.
            let size = body.len() + target.len() + 64;
            serde_json::from_str(&body)
                .ok()
                .map(|body| (seq, target, FeedItem { seq, at: parse_ts(&at), body }, size))
        })
        .collect())
}

/// Tokens HQ has looked up, by hash; emptied whenever a token is revoked or rotated.
type TokenCache = Arc<RwLock<HashMap<String, Grant>>>;

/// HQ's SQLite store.
pub struct SqliteStorage {
    path: PathBuf,
    jobs: Mutex<mpsc::Sender<Job>>,
    readers: Mutex<Vec<Connection>>,
    feed: watch::Receiver<i64>,
    devices: TokenCache,
    revocations: Arc<watch::Sender<u64>>,
    /// The database error of the newest write that failed, cleared by the next that succeeds.
    write_error: Mutex<Option<String>>,
    depts: Departments,
    tail: Arc<RwLock<FeedTail>>,
}

/// How often HQ looks for revocations made by another process (`yichuang hq revoke`).
const REVOCATION_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Watches `device_epoch` (bumped by every revocation and rotation, whichever process made it):
/// on a change it empties the token cache and tells open streams to check their token again.
/// It also publishes feed items another process wrote (a clerk set or revoked with `hq clerk` on
/// the running HQ's database), so pulls and live streams see them. Ends when the store is dropped.
fn watch_revocations(
    path: PathBuf,
    cache: std::sync::Weak<RwLock<HashMap<String, Grant>>>,
    sender: std::sync::Weak<watch::Sender<u64>>,
    feed: (std::sync::Weak<RwLock<FeedTail>>, std::sync::Weak<watch::Sender<i64>>),
    mut seen: u64,
) {
    let Ok(conn) = open_connection(&path) else { return };
    loop {
        std::thread::sleep(REVOCATION_POLL);
        let (Some(cache), Some(sender)) = (cache.upgrade(), sender.upgrade()) else { return };
        // Feed items another process added (`hq clerk set` on the running HQ's database).
        if let (Some(tail), Some(feed)) = (feed.0.upgrade(), feed.1.upgrade()) {
            let newest: i64 =
                conn.query_row("SELECT coalesce(max(seq), 0) FROM feed", [], |r| r.get(0)).unwrap_or(0);
            if tail.read().is_ok_and(|t| newest > t.max_seq) {
                publish_feed(&conn, &tail, &feed);
            }
        }
        let Ok(epoch) = device_epoch(&conn) else { continue };
        if epoch != seen {
            seen = epoch;
            if let Ok(mut c) = cache.write() {
                c.clear();
            }
            sender.send_replace(epoch);
        }
    }
}

fn device_epoch(conn: &Connection) -> Result<u64, StorageError> {
    let epoch: i64 = conn.query_row("SELECT epoch FROM device_epoch WHERE id = 1", [], |r| r.get(0))?;
    Ok(epoch as u64)
}

impl SqliteStorage {
    /// Opens (creating and migrating) the database at `path` and starts its writer thread.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        crate::store::private_file(path).map_err(|e| {
            StorageError::Database(format!("无法设置数据库文件 {} 的权限: {e}", path.display()))
        })?;
        let mut conn = open_connection(path)?;
        migrate(&mut conn)?;
        let mut depts = Kb::embedded().map(|kb| departments_of(&kb)).unwrap_or_default();
        let latest: Option<String> = conn
            .query_row("SELECT files FROM kb_versions ORDER BY published_at DESC LIMIT 1", [], |r| r.get(0))
            .optional()?;
        if let Some(files) = latest
            && let Ok(package) = serde_json::from_str::<Vec<crate::protocol::KbFileBody>>(&files)
            && let Ok(kb) = super::kb::load_package(&package)
        {
            depts.extend(departments_of(&kb));
        }
        let seq: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM feed", [], |r| r.get(0))?;
        let (feed_tx, feed_rx) = watch::channel(seq);
        let feed_tx = Arc::new(feed_tx);
        let (tx, rx) = mpsc::channel();
        let epoch = device_epoch(&conn)?;
        let depts = Arc::new(RwLock::new(depts));
        let tail = Arc::new(RwLock::new(FeedTail { max_seq: seq, ..FeedTail::default() }));
        let writer_tail = tail.clone();
        let writer_depts = depts.clone();
        let watched_feed = (Arc::downgrade(&tail), Arc::downgrade(&feed_tx));
        std::thread::Builder::new()
            .name("hq-writer".into())
            .spawn(move || writer_loop(conn, rx, feed_tx, writer_depts, writer_tail))
            .map_err(|e| StorageError::Unavailable(format!("无法启动写入线程: {e}")))?;
        let devices: TokenCache = Arc::default();
        let revocations = Arc::new(watch::channel(epoch).0);
        let (cache, sender, watched) =
            (Arc::downgrade(&devices), Arc::downgrade(&revocations), path.to_path_buf());
        std::thread::Builder::new()
            .name("hq-revocations".into())
            .spawn(move || watch_revocations(watched, cache, sender, watched_feed, epoch))
            .map_err(|e| StorageError::Unavailable(format!("无法启动吊销监视线程: {e}")))?;
        Ok(Self {
            path: path.to_path_buf(),
            jobs: Mutex::new(tx),
            readers: Mutex::new(Vec::new()),
            feed: feed_rx,
            devices,
            revocations,
            write_error: Mutex::new(None),
            depts,
            tail,
        })
    }

    /// The department groups HQ knows (the embedded KB's and the newest published one's): an
    /// approver can only be enrolled for one of them.
    pub fn departments(&self) -> std::collections::BTreeSet<String> {
        self.depts.read().map(|d| d.values().cloned().collect()).unwrap_or_default()
    }

    /// Every enrolled device with its token's lifecycle, oldest first (`hq devices`).
    pub async fn devices(&self) -> Result<Vec<DeviceRecord>, StorageError> {
        self.read(|conn| {
            let rows = conn
                .prepare(
                    "SELECT id, center, window, department, role, created_at, expires_at, revoked_at, old_valid_until
                     FROM devices ORDER BY created_at, id",
                )?
                .query_map([], |r| {
                    let opt = |s: Option<String>| s.map(|s| parse_ts(&s));
                    Ok(DeviceRecord {
                        device: Device {
                            id: r.get(0)?,
                            center: r.get(1)?,
                            window: r.get(2)?,
                            department: r.get(3)?,
                            role: role_of(&r.get::<_, String>(4)?),
                        },
                        created_at: parse_ts(&r.get::<_, String>(5)?),
                        expires_at: opt(r.get(6)?),
                        revoked_at: opt(r.get(7)?),
                        old_token_until: opt(r.get(8)?),
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// Revokes a device's token (and a rotated-out one) at once: the cache is emptied and open
    /// streams close. Returns the device; `None` when there is no such device or it was revoked.
    pub async fn revoke(&self, device_id: String) -> Result<Option<Device>, StorageError> {
        let done = self
            .write(2, move |conn, _| {
                let at = now();
                let device = device_by_id(conn, &device_id)?;
                let changed = conn.execute(
                    "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                    params![device_id, ts(at)],
                )?;
                let Some(device) = device.filter(|_| changed > 0) else { return Ok(None) };
                conn.execute("UPDATE device_epoch SET epoch = epoch + 1 WHERE id = 1", [])?;
                audit(conn, admin_entry(&device, at, Action::Revoke))?;
                Ok(Some(device))
            })
            .await?;
        self.tokens_changed();
        Ok(done)
    }

    /// Gives a device a new token; the old one keeps working for `grace` so the device can switch
    /// without a gap. Returns the new token (shown once); `None` for an unknown or revoked device.
    pub async fn rotate(
        &self,
        device_id: String,
        grace: std::time::Duration,
    ) -> Result<Option<(Device, String)>, StorageError> {
        let done = self
            .write(2, move |conn, _| {
                let at = now();
                let token = new_token();
                let until = at + chrono::Duration::from_std(grace).unwrap_or_default();
                let changed = conn.execute(
                    "UPDATE devices SET old_token_hash = token_hash, old_valid_until = ?3, token_hash = ?2
                     WHERE id = ?1 AND revoked_at IS NULL",
                    params![device_id, token_hash(&token), ts(until)],
                )?;
                let Some(device) = device_by_id(conn, &device_id)?.filter(|_| changed > 0) else {
                    return Ok(None);
                };
                conn.execute("UPDATE device_epoch SET epoch = epoch + 1 WHERE id = 1", [])?;
                audit(conn, admin_entry(&device, at, Action::Rotate))?;
                Ok(Some((device, token)))
            })
            .await?;
        self.tokens_changed();
        Ok(done)
    }

    /// Sets (or replaces) a clerk's credential at `center` and sends it to the center's windows
    /// through their feed; audited. Returns the feed sequence of the item.
    pub async fn set_clerk(
        &self,
        center: String,
        credential: crate::store::clerks::Credential,
    ) -> Result<i64, StorageError> {
        self.write(2, move |conn, _| {
            let at = now();
            let json = serde_json::to_string(&credential).map_err(|e| StorageError::Database(e.to_string()))?;
            conn.execute(
                "INSERT INTO clerks(center, name, role, credential, set_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL)
                 ON CONFLICT(center, name) DO UPDATE SET role = excluded.role, credential = excluded.credential,
                     set_at = excluded.set_at, revoked_at = NULL",
                params![center, credential.name, credential.role.as_str(), json, credential.set_at],
            )?;
            let seq = add_feed(conn, &clerk_target(&center), None, &FeedBody::Clerk(credential.clone()), at)?;
            audit(conn, clerk_entry(&center, &credential.name, at, Action::ClerkSet))?;
            Ok(seq)
        })
        .await
    }

    /// Revokes a clerk at `center`: the windows learn it at their next pull and refuse the PIN.
    /// `None` when there is no such clerk or it was revoked already.
    pub async fn revoke_clerk(&self, center: String, name: String) -> Result<Option<i64>, StorageError> {
        self.write(2, move |conn, _| {
            let at = now();
            let json: Option<String> = conn
                .query_row(
                    "SELECT credential FROM clerks WHERE center = ?1 AND name = ?2 AND revoked_at IS NULL",
                    params![center, name],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(json) = json else { return Ok(None) };
            let mut credential: crate::store::clerks::Credential =
                serde_json::from_str(&json).map_err(|e| StorageError::Database(e.to_string()))?;
            credential.revoked = true;
            credential.set_at = ts(at);
            let json =
                serde_json::to_string(&credential).map_err(|e| StorageError::Database(e.to_string()))?;
            conn.execute(
                "UPDATE clerks SET credential = ?3, revoked_at = ?4 WHERE center = ?1 AND name = ?2",
                params![center, name, json, ts(at)],
            )?;
            let seq = add_feed(conn, &clerk_target(&center), None, &FeedBody::Clerk(credential), at)?;
            audit(conn, clerk_entry(&center, &name, at, Action::ClerkRevoke))?;
            Ok(Some(seq))
        })
        .await
    }

    /// The clerks set at HQ (one center's, or all): center, name, role, set at, revoked at.
    pub async fn clerks(&self, center: Option<String>) -> Result<Vec<ClerkRecord>, StorageError> {
        self.read(move |conn| {
            let rows = conn
                .prepare(
                    "SELECT center, name, role, set_at, revoked_at FROM clerks
                     WHERE ?1 IS NULL OR center = ?1 ORDER BY center, name",
                )?
                .query_map([center], |r| {
                    Ok(ClerkRecord {
                        center: r.get(0)?,
                        name: r.get(1)?,
                        role: r.get(2)?,
                        set_at: r.get(3)?,
                        revoked_at: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// Forgets cached tokens and wakes open streams (this process's own revocations; the watcher
    /// thread catches other processes').
    fn tokens_changed(&self) {
        if let Ok(mut cache) = self.devices.write() {
            cache.clear();
        }
        self.revocations.send_modify(|epoch| *epoch += 1);
    }

    /// Checks the audit chain (`hq audit verify`).
    pub async fn verify_audit(&self) -> Result<super::audit::Report, StorageError> {
        self.read(super::audit::verify).await
    }

    /// Runs `f` in the writer's next group transaction; remembers whether the database failed,
    /// for `/v1/health`.
    async fn write<T: Send + 'static>(
        &self,
        weight: usize,
        f: impl FnOnce(&Connection, &Departments) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let result = self.submit(weight, f).await;
        if let Ok(mut failed) = self.write_error.lock() {
            match &result {
                Err(StorageError::Database(e)) => *failed = Some(e.clone()),
                Ok(_) => *failed = None,
                Err(_) => {}
            }
        }
        result
    }

    async fn submit<T: Send + 'static>(
        &self,
        weight: usize,
        f: impl FnOnce(&Connection, &Departments) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let (job, rx) = job(weight, f);
        self.jobs
            .lock()
            .map_err(|_| StorageError::Unavailable("写入队列已损坏".into()))?
            .send(job)
            .map_err(|_| StorageError::Unavailable("写入线程已停止".into()))?;
        rx.await.map_err(|_| StorageError::Unavailable("写入线程已停止".into()))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let conn = self.readers.lock().ok().and_then(|mut p| p.pop());
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = open_connection(&self.path)?;
                c.pragma_update(None, "query_only", "ON")?;
                c
            }
        };
        let (result, conn) = tokio::task::spawn_blocking(move || {
            let r = f(&conn);
            (r, conn)
        })
        .await
        .map_err(|e| StorageError::Unavailable(format!("读取任务失败: {e}")))?;
        if let Ok(mut pool) = self.readers.lock()
            && pool.len() < READER_POOL
        {
            pool.push(conn);
        }
        result
    }
}

/// An audit row for a maintenance command run on HQ's machine about `device`.
fn admin_entry(device: &Device, at: DateTime<Utc>, action: Action) -> Entry {
    Entry {
        at,
        center: device.center.clone(),
        actor: "HQ".into(),
        device: "hq".into(),
        action,
        case_id: None,
        subject: Some(device.id.clone()),
        status: 200,
        reason: None,
        count: None,
    }
}

/// A clerk as `hq clerk list` shows it (never the verifier).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClerkRecord {
    /// Center.
    pub center: String,
    /// Name.
    pub name: String,
    /// `clerk` or `supervisor`.
    pub role: String,
    /// When the PIN was set.
    pub set_at: String,
    /// When the clerk was revoked.
    pub revoked_at: Option<String>,
}

/// An audit row for setting or revoking a clerk at HQ.
fn clerk_entry(center: &str, name: &str, at: DateTime<Utc>, action: Action) -> Entry {
    Entry {
        at,
        center: center.to_string(),
        actor: "HQ".into(),
        device: "hq".into(),
        action,
        case_id: None,
        subject: Some(super::audit::clerk_subject(name)),
        status: 200,
        reason: None,
        count: None,
    }
}

fn device_by_id(conn: &Connection, id: &str) -> Result<Option<Device>, StorageError> {
    Ok(conn
        .query_row("SELECT id, center, window, department, role FROM devices WHERE id = ?1", [id], |r| {
            Ok(Device {
                id: r.get(0)?,
                center: r.get(1)?,
                window: r.get(2)?,
                department: r.get(3)?,
                role: role_of(&r.get::<_, String>(4)?),
            })
        })
        .optional()?)
}

fn role_of(s: &str) -> Role {
    Role::parse(s).unwrap_or(Role::Clerk)
}

fn audit(conn: &Connection, entry: Entry) -> Result<(), StorageError> {
    super::audit::append(conn, &entry)
}

/// Who did something and when, formatted once: a push writes an audit line per change.
struct Stamp<'a> {
    device: &'a Device,
    at: DateTime<Utc>,
    time: String,
}

impl<'a> Stamp<'a> {
    fn new(device: &'a Device, at: DateTime<Utc>) -> Self {
        Self { device, at, time: ts(at) }
    }

    fn entry(&self, action: Action) -> Entry {
        Entry::by(self.device, self.at, action)
    }
}

fn add_feed(
    conn: &Connection,
    target: &str,
    case_id: Option<&str>,
    body: &FeedBody,
    at: DateTime<Utc>,
) -> Result<i64, StorageError> {
    let json = serde_json::to_string(body).map_err(|e| StorageError::Database(e.to_string()))?;
    conn.prepare_cached("INSERT INTO feed(target, kind, case_id, body, at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![target, body.kind(), case_id, json, ts(at)])?;
    Ok(conn.last_insert_rowid())
}

/// The feed target of a window.
pub fn window_target(center: &str, window: &str) -> String {
    format!("window:{center}/{window}")
}

/// The feed target of a department's approvers at a center: a call rings only in its own center.
pub fn department_target(center: &str, department: &str) -> String {
    format!("dept:{center}/{department}")
}

/// The feed target of a center's windows for clerk credentials. Not a center target of
/// [`target_center`]: a supervisor's console does not receive PIN verifiers.
pub fn clerk_target(center: &str) -> String {
    format!("clerks:{center}")
}

/// The center a feed target belongs to (`None` for [`ALL`]).
fn target_center(target: &str) -> Option<&str> {
    let rest = target.strip_prefix("window:").or_else(|| target.strip_prefix("dept:"))?;
    rest.split_once('/').map(|(center, _)| center)
}

/// The feed target every device receives.
pub const ALL: &str = "all";

/// A case's number and what the state machine needs to know of it ([`super::rules`]).
pub(crate) fn case_facts(
    conn: &Connection,
    case_id: &str,
) -> Result<(Option<String>, CaseFacts), StorageError> {
    type Row = (Option<String>, Option<String>, bool, bool, Option<String>);
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT number, decision, terminated_at IS NOT NULL, correction_open,
                    (SELECT kind FROM decisions d WHERE d.case_id = c.case_id ORDER BY rowid DESC LIMIT 1)
             FROM cases c WHERE case_id = ?1",
        )?
        .query_row([case_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    let Some((number, decision, terminated, correction_open, last)) = row else {
        return Ok((None, CaseFacts::default()));
    };
    let facts = CaseFacts {
        intake: number.as_ref().and(decision.as_deref()).and_then(IntakeOutcome::from_label),
        terminated,
        last_decision: last.as_deref().and_then(DecisionKind::from_label),
        corrected_since: !correction_open,
    };
    Ok((number, facts))
}

/// A call's state and owner, if HQ has the call.
pub(crate) fn call_facts(conn: &Connection, call_id: &str) -> Result<Option<CallFacts>, StorageError> {
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT state, owner FROM calls WHERE call_id = ?1")?
        .query_row([call_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.map(|(state, owner)| CallFacts {
        state: CallState::parse(&state).unwrap_or(CallState::Ringing),
        owner,
    }))
}

fn owner_of(conn: &Connection, case_id: &str) -> Result<Option<CaseOwner>, StorageError> {
    Ok(conn
        .prepare_cached("SELECT center, window, department FROM cases WHERE case_id = ?1")?
        .query_row([case_id], |r| {
            Ok(CaseOwner { center: r.get(0)?, window: r.get(1)?, department: r.get(2)? })
        })
        .optional()?)
}

/// A change with what the writer needs of it computed beforehand, on the request's own task, so the
/// single writer thread only writes.
pub struct PreparedChange {
    change: Change,
    body: String,
    hash: String,
    event: Option<CaseEvent>,
}

impl PreparedChange {
    /// Serializes, hashes and decodes a change.
    pub fn new(change: Change) -> Self {
        let hash = change.content_hash();
        let body = change.body.to_string();
        let event = CaseEvent::deserialize(&change.body).ok();
        Self { change, body, hash, event }
    }
}

/// What one push learns about a case: its owner, and the head fields its changes set. The case
/// row is written once at the end of the push instead of once per change.
struct PushedCase {
    owner: Option<CaseOwner>,
    /// The case is new at HQ: its row is inserted, not updated.
    new: bool,
    item: Option<(String, String)>,
    department: Option<String>,
    finished: Option<(String, &'static str)>,
    /// The window recorded the corrections a 退回补正 asked for.
    corrected: bool,
    /// The window took such a record back (undone before the clerk left the case): the 退回补正
    /// is open again.
    reopened: bool,
    /// The window closed the case on a missed 容缺 deadline: nothing left to decide.
    terminated: bool,
}

impl PushedCase {
    fn write(self, conn: &Connection, case_id: &str, time: &str) -> Result<(), StorageError> {
        let (item_code, kb_version) = self.item.unzip();
        let (number, decision) = self.finished.unzip();
        match (self.new, self.owner) {
            (true, Some(owner)) => {
                conn.prepare_cached(
                    "INSERT INTO cases(case_id, center, window, department, item_code, kb_version, number, decision, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    case_id,
                    owner.center,
                    owner.window,
                    self.department,
                    item_code,
                    kb_version,
                    number,
                    decision,
                    time
                ])?;
            }
            (false, Some(_))
                if item_code.is_some()
                    || number.is_some()
                    || self.department.is_some()
                    || self.corrected
                    || self.reopened
                    || self.terminated =>
            {
                conn.prepare_cached(
                    "UPDATE cases SET item_code = coalesce(?2, item_code), kb_version = coalesce(?3, kb_version),
                            department = coalesce(?4, department), number = coalesce(?5, number),
                            decision = coalesce(?6, decision),
                            correction_open = CASE WHEN ?7 IS NOT NULL THEN 0 WHEN ?9 THEN 1 ELSE correction_open END,
                            corrected_at = CASE WHEN ?9 THEN NULL ELSE coalesce(?7, corrected_at) END,
                            terminated_at = coalesce(?8, terminated_at)
                     WHERE case_id = ?1",
                )?
                .execute(params![
                    case_id,
                    item_code,
                    kb_version,
                    self.department,
                    number,
                    decision,
                    self.corrected.then_some(time),
                    self.terminated.then_some(time),
                    self.reopened
                ])?;
            }
            _ => {}
        }
        Ok(())
    }
}

fn apply_change(
    conn: &Connection,
    depts: &Departments,
    stamp: &Stamp,
    window: &str,
    prepared: &PreparedChange,
    cases: &mut HashMap<String, PushedCase>,
) -> Result<ChangeResult, StorageError> {
    let c = &prepared.change;
    let device = stamp.device;
    let hash = &prepared.hash;
    let result =
        |status, seq, message: Option<String>| ChangeResult { id: c.id.clone(), status, seq, message };
    // A push carries several changes of one case: look its owner up once per push.
    if !cases.contains_key(&c.case_id) {
        let owner = owner_of(conn, &c.case_id)?;
        let case = PushedCase {
            owner,
            new: false,
            item: None,
            department: None,
            finished: None,
            corrected: false,
            reopened: false,
            terminated: false,
        };
        cases.insert(c.case_id.clone(), case);
    }
    let Some(case) = cases.get_mut(&c.case_id) else { unreachable!("inserted above") };
    // Who did it: the window and, when it has sign-in, the clerk (`HRB/W1#王芳`).
    let push_entry = || {
        let mut entry = stamp.entry(Action::Push).case(&c.case_id);
        if let Some(clerk) = &c.clerk {
            entry.actor = format!("{}#{clerk}", entry.actor);
        }
        entry
    };
    let refuse = |reason: &'static str, message: String| -> Result<ChangeResult, StorageError> {
        audit(conn, push_entry().subject(&c.id).status(409, Some(reason)))?;
        Ok(result(ChangeStatus::Conflict, None, Some(message)))
    };
    // A resend of what this window already stored is a duplicate whatever today's checks say
    // (a rule added since, an item the KB has dropped): it was accepted when it first came.
    let stored: Option<(i64, String, String)> = conn
        .prepare_cached("SELECT seq, hash, device_id FROM changes WHERE change_id = ?1")?
        .query_row([&c.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    if let Some((seq, stored_hash, stored_device)) = &stored
        && stored_hash == hash
        && *stored_device == device.id
    {
        return Ok(result(ChangeStatus::Duplicate, Some(*seq), None));
    }
    if let Some(owner) = &case.owner
        && (owner.center != device.center || owner.window != window)
    {
        return refuse(
            "foreign_case",
            format!("案件 {} 属于窗口 {}/{}，本窗口不能修改", c.case_id, owner.center, owner.window),
        );
    }
    if let Some(event) = &prepared.event
        && let Err((reason, message)) = check_event(event, &device.center, window, depts)
    {
        return refuse(reason, message);
    }
    // A 不予受理 or a termination stands only with a supervisor's approval of exactly it, by a
    // supervisor HQ knows at this center (the PIN was checked at the desk against HQ's credential).
    if let Some(event) = &prepared.event
        && let Some((exception, value)) = approval_needed(conn, &c.case_id, case, event)?
        && !approved_at_center(conn, &c.case_id, &device.center, exception, &value)?
    {
        return refuse(
            "exception_unapproved",
            format!(
                "案件 {} 的{}须经本中心（{}）主管审批，总部没有收到对「{value}」的有效主管审批",
                c.case_id,
                exception.label(),
                device.center
            ),
        );
    }
    // Taking back a recorded correction is refused once the back office has decided after it.
    if let Some(CaseEvent::SupplementUndone { reopens: true, .. }) = &prepared.event
        && !case.corrected
        && let Err(refusal) = CaseStage::may_reopen_correction(&case_facts(conn, &c.case_id)?.1)
    {
        return refuse(refusal.code(), refusal.message(&c.case_id));
    }
    // Each change id is stored once: an id HQ has with other content (or from another device)
    // is a conflict; the same content from this device was answered above.
    if let Some((seq, _, _)) = stored {
        return Ok(result(
            ChangeStatus::Conflict,
            Some(seq),
            Some(format!("变更 {} 已以不同内容存储（总部序号 {seq}），不予覆盖", c.id)),
        ));
    }
    conn.prepare_cached(
        "INSERT INTO changes(change_id, device_id, case_id, client_seq, kind, body, hash, received_at, clerk)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        c.id,
        device.id,
        c.case_id,
        c.seq,
        c.kind.as_str(),
        prepared.body,
        hash,
        stamp.time,
        c.clerk
    ])?;
    let seq = conn.last_insert_rowid();
    // The case row follows its first stored change.
    if case.owner.is_none() {
        case.owner =
            Some(CaseOwner { center: device.center.clone(), window: window.to_string(), department: None });
        case.new = true;
    }
    let mut subject = c.id.clone();
    match &prepared.event {
        Some(CaseEvent::ItemChosen { code, kb_version }) => {
            case.item = Some((code.clone(), kb_version.clone()));
            if let Some(department) = depts.read().ok().and_then(|d| d.get(code).cloned()) {
                case.department = Some(department);
            }
        }
        Some(CaseEvent::Corrected { .. }) | Some(CaseEvent::SupplementReceived { complete: true, .. }) => {
            case.corrected = true;
            case.reopened = false;
        }
        Some(CaseEvent::SupplementUndone { reopens: true, .. }) => {
            case.reopened = true;
            case.corrected = false;
        }
        Some(CaseEvent::Terminated { .. }) => case.terminated = true,
        Some(CaseEvent::Finished { number, decision, .. }) => {
            case.finished = Some((number.clone(), decision.label()));
        }
        // The applicant's query code, by its hash (the newest one counts): src/hq/lookup.rs.
        Some(CaseEvent::QueryCodeIssued { code_sha256, at, .. }) => {
            super::lookup::store_code(conn, &c.case_id, code_sha256, *at)?;
        }
        Some(CaseEvent::CallRaised { call_id, question, snapshot, at: raised }) => {
            let at = stamp.at;
            // The department comes from HQ's KB for the item (check_event refused an unknown
            // one): a desk cannot route a call (and the right to read the case) to a department
            // of its choosing.
            let Some(department) = depts.read().ok().and_then(|d| d.get(&snapshot.item_code).cloned()) else {
                return refuse("unknown_item", format!("总部知识库中没有事项 {}", snapshot.item_code));
            };
            let snapshot = &crate::intake::call::CallSnapshot { department, ..snapshot.clone() };
            // A call from a draft may be all HQ knows of the case: its department lets the
            // approver who answers read the case.
            if case.owner.as_ref().is_some_and(|o| o.department.is_none()) && case.department.is_none() {
                case.department = Some(snapshot.department.clone());
            }
            let new = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO calls(call_id, case_id, department, state, raised_at, window, question, snapshot)
                     VALUES (?1, ?2, ?3, ?8, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    call_id,
                    c.case_id,
                    snapshot.department,
                    // HQ's clock, so escalation and waiting times never mix desks' clocks.
                    stamp.time,
                    format!("{}-{window}", device.center),
                    question,
                    serde_json::to_string(snapshot).unwrap_or_default(),
                    CallState::Ringing.as_str()
                ])?;
            if new > 0 {
                let call = FeedBody::Call {
                    case_id: c.case_id.clone(),
                    call_id: call_id.clone(),
                    window: format!("{}/{window}", device.center),
                    question: question.clone(),
                    snapshot: snapshot.clone(),
                    at: *raised,
                };
                let target = department_target(&device.center, &snapshot.department);
                add_feed(conn, &target, Some(&c.case_id), &call, at)?;
                let ringing = FeedBody::CallState {
                    case_id: c.case_id.clone(),
                    call_id: call_id.clone(),
                    state: CallState::Ringing,
                    at,
                };
                add_feed(conn, &window_target(&device.center, window), Some(&c.case_id), &ringing, at)?;
            }
            subject = call_id.clone();
        }
        _ => {}
    }
    audit(conn, push_entry().subject(&subject))?;
    // Who approved which exception, and when: its own row, readable in the export.
    if let Some(CaseEvent::ExceptionApproved { exception, supervisor, .. }) = &prepared.event {
        let entry =
            Entry { action: Action::ExceptionApproved, reason: Some(exception.code()), ..push_entry() };
        audit(conn, entry.subject(&super::audit::clerk_subject(supervisor)))?;
    }
    Ok(result(ChangeStatus::Applied, Some(seq), None))
}

/// The exception `event` needs approved at HQ, with the value the approval must name: a 不予受理
/// (its reason and basis) or a termination (the case number and the rule).
fn approval_needed(
    conn: &Connection,
    case_id: &str,
    case: &PushedCase,
    event: &CaseEvent,
) -> Result<Option<(Exception, String)>, StorageError> {
    use crate::intake::case::{refusal_value, termination_value};
    Ok(match event {
        CaseEvent::Finished { decision, .. } => refusal_value(decision).map(|v| (Exception::Refusal, v)),
        CaseEvent::Terminated { rule, .. } => {
            let number = match &case.finished {
                Some((number, _)) => Some(number.clone()),
                None => case_facts(conn, case_id)?.0,
            };
            let rule = rule.unwrap_or(crate::kb::model::ExpiryRule::Terminate);
            Some((Exception::Termination, termination_value(number.as_deref().unwrap_or(""), rule)))
        }
        _ => None,
    })
}

/// Whether the case's changes at HQ (this push's included) hold an approval of `exception` for
/// exactly `value` by a supervisor of `center` who is not revoked.
fn approved_at_center(
    conn: &Connection,
    case_id: &str,
    center: &str,
    exception: Exception,
    value: &str,
) -> Result<bool, StorageError> {
    let rows: Vec<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT body, clerk FROM changes WHERE case_id = ?1 AND body LIKE '%exception_approved%' ORDER BY seq",
        )?
        .query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (body, clerk) in rows {
        let Ok(CaseEvent::ExceptionApproved { exception: e, value: v, supervisor, .. }) =
            serde_json::from_str::<CaseEvent>(&body)
        else {
            continue;
        };
        // The clerk working the case never approves their own exception.
        let own = clerk.as_deref() == Some(supervisor.as_str());
        if e == exception && v == value && !own && is_supervisor(conn, center, &supervisor)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether `name` is a supervisor of `center` at HQ, not revoked.
pub(crate) fn is_supervisor(conn: &Connection, center: &str, name: &str) -> Result<bool, StorageError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM clerks WHERE center = ?1 AND name = ?2 AND role = 'supervisor' AND revoked_at IS NULL",
        )?
        .query_row(params![center, name], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Checks a pushed event's identifiers the way the rest of HQ checks them: a call id as every
/// call route does, a case number as this window's own (`center-window-date-sequence`), an item
/// as one HQ's KB knows. The error is a reason code for the audit and a message for the desk.
fn check_event(
    event: &CaseEvent,
    center: &str,
    window: &str,
    depts: &Departments,
) -> Result<(), (&'static str, String)> {
    let known = |code: &str| depts.read().ok().is_some_and(|d| d.contains_key(code));
    match event {
        CaseEvent::ItemChosen { code, .. } if !known(code) => {
            Err(("unknown_item", format!("总部知识库中没有事项 {code}")))
        }
        CaseEvent::CallRaised { call_id, .. } if !crate::protocol::valid_id(call_id) => Err((
            "invalid_call_id",
            format!("呼叫编号须为 1–{} 个字母、数字、-、_ 或 . 字符", crate::protocol::MAX_ID_LEN),
        )),
        CaseEvent::CallRaised { snapshot, .. } if !known(&snapshot.item_code) => {
            Err(("unknown_item", format!("总部知识库中没有事项 {}", snapshot.item_code)))
        }
        // HQ keeps a query code's hash only; the code itself must never reach it.
        CaseEvent::QueryCodeIssued { code: Some(_), .. } => Err((
            "query_code_plain",
            "查询码只能以 SHA-256 摘要（code_sha256）发送，不能发送查询码本身".into(),
        )),
        CaseEvent::QueryCodeIssued { code_sha256, .. }
            if code_sha256.len() != 64 || !code_sha256.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Err(("invalid_query_code", "code_sha256 须为 64 位十六进制 SHA-256 摘要".into()))
        }
        CaseEvent::Finished { number, .. } if !own_case_number(number, center, window) => Err((
            "invalid_case_number",
            format!(
                "案件号 {number:?} 不是本窗口（{center}/{window}）的案件号：应为 {center}-{window}-年月日-序号"
            ),
        )),
        _ => Ok(()),
    }
}

/// Whether `number` is a case number of `center`/`window` as [`crate::intake::case::case_number`]
/// makes them: `center-window-YYYYMMDD-NNNN`, a real date, a sequence of four or more digits.
pub fn own_case_number(number: &str, center: &str, window: &str) -> bool {
    let Some(rest) = number.strip_prefix(center).and_then(|r| r.strip_prefix('-')) else { return false };
    let Some(rest) = rest.strip_prefix(window).and_then(|r| r.strip_prefix('-')) else { return false };
    let Some((date, sequence)) = rest.split_once('-') else { return false };
    date.len() == 8
        && chrono::NaiveDate::parse_from_str(date, "%Y%m%d").is_ok()
        && sequence.len() >= 4
        && sequence.bytes().all(|b| b.is_ascii_digit())
}

fn feed_rows(
    conn: &Connection,
    targets: &FeedTargets,
    since: i64,
    limit: usize,
) -> Result<Vec<FeedItem>, StorageError> {
    let map = |r: &rusqlite::Row| -> rusqlite::Result<(i64, String, String)> {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    };
    let rows: Vec<(i64, String, String)> = match targets {
        FeedTargets::Center(center) => conn
            .prepare_cached(
                "SELECT seq, at, body FROM feed WHERE seq > ?1
                   AND (target = 'all' OR substr(target, 1, length(?3)) = ?3 OR substr(target, 1, length(?4)) = ?4)
                 ORDER BY seq LIMIT ?2",
            )?
            .query_map(
                params![since, limit as i64, format!("window:{center}/"), format!("dept:{center}/")],
                map,
            )?
            .collect::<Result<_, _>>()?,
        FeedTargets::Only(targets) => {
            let placeholders =
                (0..targets.len()).map(|i| format!("?{}", i + 3)).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT seq, at, body FROM feed WHERE seq > ?1 AND target IN ({placeholders}) ORDER BY seq LIMIT ?2"
            );
            let mut values: Vec<rusqlite::types::Value> = vec![since.into(), (limit as i64).into()];
            values.extend(targets.iter().map(|t| rusqlite::types::Value::from(t.clone())));
            conn.prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(values), map)?
                .collect::<Result<_, _>>()?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|(seq, at, body)| {
            serde_json::from_str(&body).ok().map(|body| FeedItem { seq, at: parse_ts(&at), body })
        })
        .collect())
}

fn new_token() -> String {
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    format!("yc_{}{}", hex(a.as_bytes()), hex(b.as_bytes()))
}

impl HqStorage for SqliteStorage {
    async fn device_for_token(&self, hash: String) -> Result<Option<Grant>, StorageError> {
        let at = now();
        let live = |g: &Grant| g.valid_until.is_none_or(|until| until > at);
        if let Some(g) = self.devices.read().ok().and_then(|m| m.get(&hash).cloned()) {
            return Ok(live(&g).then_some(g));
        }
        let key = hash.clone();
        let found = self
            .read(move |conn| {
                let row = conn
                    .prepare_cached(
                        "SELECT id, center, window, department, role, expires_at, NULL FROM devices
                          WHERE token_hash = ?1 AND revoked_at IS NULL
                         UNION ALL
                         SELECT id, center, window, department, role, expires_at, old_valid_until FROM devices
                          WHERE old_token_hash = ?1 AND revoked_at IS NULL
                         LIMIT 1",
                    )?
                    .query_row([key], |r| {
                        let device = Device {
                            id: r.get(0)?,
                            center: r.get(1)?,
                            window: r.get(2)?,
                            department: r.get(3)?,
                            role: role_of(&r.get::<_, String>(4)?),
                        };
                        let expires = r.get::<_, Option<String>>(5)?.map(|s| parse_ts(&s));
                        let grace = r.get::<_, Option<String>>(6)?.map(|s| parse_ts(&s));
                        let valid_until = match (expires, grace) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                        Ok(Grant { device, valid_until })
                    })
                    .optional()?;
                Ok(row)
            })
            .await?;
        if let (Some(g), Ok(mut cache)) = (&found, self.devices.write()) {
            cache.insert(hash, g.clone());
        }
        Ok(found.filter(live))
    }

    fn revocations(&self) -> watch::Receiver<u64> {
        self.revocations.subscribe()
    }

    async fn audit(&self, entry: Entry) -> Result<(), StorageError> {
        self.write(1, move |conn, _| audit(conn, entry)).await
    }

    async fn lookup(
        &self,
        number: String,
        code_sha256: String,
        client: String,
    ) -> Result<super::lookup::LookupOutcome, StorageError> {
        self.write(1, move |conn, _| super::lookup::lookup(conn, &number, &code_sha256, &client, now())).await
    }

    async fn rate(
        &self,
        case_id: String,
        form: super::lookup::RatingForm,
        channel: super::lookup::Channel,
        client: String,
    ) -> Result<super::lookup::RateOutcome, StorageError> {
        self.write(1, move |conn, _| super::lookup::rate(conn, &case_id, &form, channel, &client, now()))
            .await
    }

    async fn health(&self) -> Result<(), StorageError> {
        // Through the writer, like a push (its BEGIN IMMEDIATE included): a database the writer
        // cannot use is not healthy; nor is one on which the newest real write failed.
        self.submit(1, |conn, _| {
            conn.query_row("SELECT count(*) FROM devices", [], |r| r.get::<_, i64>(0))?;
            for table in ["changes", "feed", "audit"] {
                conn.query_row(&format!("SELECT coalesce(max(seq), 0) FROM {table}"), [], |r| {
                    r.get::<_, i64>(0)
                })?;
            }
            Ok(())
        })
        .await?;
        match self.write_error.lock().ok().and_then(|e| e.clone()) {
            Some(e) => Err(StorageError::Database(format!("最近一次写入失败: {e}"))),
            None => Ok(()),
        }
    }

    async fn enroll(&self, new: NewDevice) -> Result<(Device, String), StorageError> {
        if new.role == Role::Approver
            && !new.department.as_ref().is_some_and(|d| self.departments().contains(d))
        {
            let known = self.departments().into_iter().collect::<Vec<_>>().join("、");
            return Err(StorageError::refused(format!(
                "部门 {:?} 不在总部知识库中；可用的部门：{known}",
                new.department.unwrap_or_default()
            )));
        }
        self.write(2, move |conn, _| {
            let token = new_token();
            let device = Device {
                id: format!("d-{}", &hex(uuid::Uuid::new_v4().as_bytes())[..12]),
                center: new.center,
                window: new.window,
                department: new.department,
                role: new.role,
            };
            let at = now();
            conn.execute(
                "INSERT INTO devices(id, token_hash, center, window, department, role, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    device.id,
                    token_hash(&token),
                    device.center,
                    device.window,
                    device.department,
                    device.role.as_str(),
                    ts(at),
                    new.expires_at.map(ts)
                ],
            )?;
            audit(conn, admin_entry(&device, at, Action::Enroll))?;
            Ok((device, token))
        })
        .await
    }

    async fn push(&self, device: Device, changes: Vec<Change>) -> Result<Vec<ChangeResult>, StorageError> {
        let weight = changes.len() * 3;
        let changes: Vec<PreparedChange> = changes.into_iter().map(PreparedChange::new).collect();
        self.write(weight, move |conn, depts| {
            let window = device.window.clone().unwrap_or_default();
            let stamp = Stamp::new(&device, now());
            let mut cases = HashMap::new();
            let results = changes
                .iter()
                .map(|c| apply_change(conn, depts, &stamp, &window, c, &mut cases))
                .collect::<Result<Vec<_>, _>>()?;
            for (case_id, case) in cases {
                case.write(conn, &case_id, &stamp.time)?;
            }
            Ok(results)
        })
        .await
    }

    async fn feed(
        &self,
        targets: FeedTargets,
        since: i64,
        limit: usize,
    ) -> Result<Vec<FeedItem>, StorageError> {
        if let Some(items) = self.tail.read().ok().and_then(|t| t.after(&targets, since, limit)) {
            return Ok(items);
        }
        self.read(move |conn| feed_rows(conn, &targets, since, limit)).await
    }

    fn feed_watch(&self) -> watch::Receiver<i64> {
        self.feed.clone()
    }

    async fn case_owner(&self, case_id: String) -> Result<Option<CaseOwner>, StorageError> {
        self.read(move |conn| owner_of(conn, &case_id)).await
    }

    async fn case(&self, case_id: String) -> Result<Option<CaseView>, StorageError> {
        self.read(move |conn| {
            let head = conn
                .query_row(
                    "SELECT center, window, department, item_code, kb_version, number, decision
                     FROM cases WHERE case_id = ?1",
                    [&case_id],
                    |r| {
                        Ok(CaseView {
                            case_id: case_id.clone(),
                            center: r.get(0)?,
                            window: r.get(1)?,
                            department: r.get(2)?,
                            item_code: r.get(3)?,
                            kb_version: r.get(4)?,
                            number: r.get(5)?,
                            decision: r.get(6)?,
                            changes: Vec::new(),
                        })
                    },
                )
                .optional()?;
            let Some(mut view) = head else { return Ok(None) };
            let mut stmt = conn.prepare_cached(
                "SELECT seq, change_id, client_seq, body, received_at, clerk FROM changes WHERE case_id = ?1 ORDER BY seq",
            )?;
            let rows = stmt.query_map([&case_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })?;
            for row in rows {
                let (seq, id, client_seq, body, received_at, clerk) = row?;
                view.changes.push(CaseChange {
                    seq,
                    id,
                    client_seq,
                    clerk,
                    body: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
                    received_at: parse_ts(&received_at),
                });
            }
            Ok(Some(view))
        })
        .await
    }

    async fn call_owner(&self, call_id: String) -> Result<Option<(String, CaseOwner)>, StorageError> {
        self.read(move |conn| {
            let found: Option<(String, String)> = conn
                .query_row("SELECT case_id, department FROM calls WHERE call_id = ?1", [&call_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            let Some((case_id, department)) = found else { return Ok(None) };
            Ok(owner_of(conn, &case_id)?.map(|mut owner| {
                owner.department = Some(department);
                (case_id, owner)
            }))
        })
        .await
    }

    async fn decide(&self, device: Device, request: DecisionRequest) -> Result<ChangeResult, StorageError> {
        self.write(4, move |conn, _| {
            let body = serde_json::to_string(&request.decision).map_err(|e| StorageError::Database(e.to_string()))?;
            let stored: Option<(String, String)> = conn
                .query_row("SELECT case_id, body FROM decisions WHERE id = ?1", [&request.id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            let result = |status, message| ChangeResult { id: request.id.clone(), status, seq: None, message };
            if let Some((case_id, stored_body)) = stored {
                return Ok(if case_id == request.case_id && stored_body == body {
                    result(ChangeStatus::Duplicate, None)
                } else {
                    result(ChangeStatus::Conflict, Some(format!("决定编号 {} 已用于另一决定", request.id)))
                });
            }
            let Some(owner) = owner_of(conn, &request.case_id)? else {
                return Ok(result(ChangeStatus::Conflict, Some(format!("总部没有案件 {}", request.case_id))));
            };
            let (number, facts) = case_facts(conn, &request.case_id)?;
            let kind = DecisionKind::of(&request.decision);
            // A sub-case of a bundle waits for the earlier items' decisions (退回补正 may go at once).
            if kind != DecisionKind::RequestCorrection {
                let waiting = super::calls::waiting_for(conn, &super::calls::folded_case(conn, &request.case_id)?)?;
                if !waiting.is_empty() {
                    let entry = Entry::by(&device, now(), Action::Decide)
                        .case(&request.case_id)
                        .subject(&request.id)
                        .status(409, Some("bundle_order"));
                    audit(conn, entry)?;
                    let name = number.as_deref().unwrap_or(&request.case_id);
                    let why = format!("{name} 是一件事的后续事项，{}", waiting.join("；"));
                    return Ok(result(ChangeStatus::Conflict, Some(why)));
                }
            }
            if let Err(refusal) = CaseStage::of(&facts).may_decide(kind) {
                let entry = Entry::by(&device, now(), Action::Decide)
                    .case(&request.case_id)
                    .subject(&request.id)
                    .status(409, Some(refusal.code()));
                audit(conn, entry)?;
                let name = number.as_deref().unwrap_or(&request.case_id);
                return Ok(result(ChangeStatus::Conflict, Some(refusal.message(name))));
            }
            let at = now();
            conn.execute(
                "INSERT INTO decisions(id, case_id, kind, body, device_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![request.id, request.case_id, request.decision.label(), body, device.id, ts(at)],
            )?;
            let feed = FeedBody::Decision {
                case_id: request.case_id.clone(),
                number,
                decision: request.decision.clone(),
                by: device.label(),
                at,
            };
            let seq = add_feed(conn, &window_target(&owner.center, &owner.window), Some(&request.case_id), &feed, at)?;
            if kind == DecisionKind::RequestCorrection {
                conn.execute("UPDATE cases SET correction_open = 1 WHERE case_id = ?1", [&request.case_id])?;
            }
            audit(conn, Entry::by(&device, at, Action::Decide).case(&request.case_id).subject(&request.id))?;
            Ok(ChangeResult { id: request.id.clone(), status: ChangeStatus::Applied, seq: Some(seq), message: None })
        })
        .await
    }

    async fn reply(
        &self,
        device: Device,
        call_id: String,
        request: ReplyRequest,
    ) -> Result<ChangeResult, StorageError> {
        self.write(4, move |conn, _| {
            let result = |status, seq, message| ChangeResult { id: request.id.clone(), status, seq, message };
            let body = serde_json::json!({"text": request.text, "resolve": request.resolve}).to_string();
            let stored: Option<(String, String)> = conn
                .query_row("SELECT call_id, body FROM replies WHERE id = ?1", [&request.id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((stored_call, stored_body)) = stored {
                return Ok(if stored_call == call_id && stored_body == body {
                    result(ChangeStatus::Duplicate, None, None)
                } else {
                    result(
                        ChangeStatus::Conflict,
                        None,
                        Some(format!("答复编号 {} 已用于另一答复", request.id)),
                    )
                });
            }
            let case_id: Option<String> = conn
                .query_row("SELECT case_id FROM calls WHERE call_id = ?1", [&call_id], |r| r.get(0))
                .optional()?;
            let Some(case_id) = case_id else {
                return Ok(result(ChangeStatus::Conflict, None, Some(format!("总部没有呼叫 {call_id}"))));
            };
            let Some(owner) = owner_of(conn, &case_id)? else {
                return Ok(result(ChangeStatus::Conflict, None, Some(format!("总部没有案件 {case_id}"))));
            };
            // The first approver who took the call owns it; a supervisor may step in. A resolved
            // call, or a call about a terminated case, takes no more answers.
            let call = call_facts(conn, &call_id)?.unwrap_or(CallFacts { state: CallState::Resolved, owner: None });
            let (_, facts) = case_facts(conn, &case_id)?;
            let allowed = super::rules::may_reply(&call, &device.id, device.role == Role::Supervisor)
                .and_then(|()| CaseStage::of(&facts).may_answer_calls());
            if let Err(refusal) = allowed {
                let entry = Entry::by(&device, now(), Action::Reply)
                    .case(&case_id)
                    .subject(&call_id)
                    .status(409, Some(refusal.code()));
                audit(conn, entry)?;
                let name = if refusal == super::rules::Refusal::Terminated { &case_id } else { &call_id };
                return Ok(result(ChangeStatus::Conflict, None, Some(refusal.message(name))));
            }
            let at = now();
            conn.execute(
                "INSERT INTO replies(id, call_id, body, device_id, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![request.id, call_id, body, device.id, ts(at)],
            )?;
            let state = super::rules::after_reply(request.resolve);
            let state_name = state.as_str();
            // Answering an untaken call takes it.
            conn.execute(
                "UPDATE calls SET state = ?2, owner = coalesce(owner, ?3), owner_label = coalesce(owner_label, ?4),
                        taken_at = coalesce(taken_at, ?5)
                 WHERE call_id = ?1",
                params![call_id, state_name, device.id, device.name(), ts(at)],
            )?;
            let target = window_target(&owner.center, &owner.window);
            let reply = FeedBody::CallReply {
                case_id: case_id.clone(),
                call_id: call_id.clone(),
                reply: Reply { by: device.label(), text: request.text.clone(), at },
            };
            let seq = add_feed(conn, &target, Some(&case_id), &reply, at)?;
            if request.resolve {
                let resolved =
                    FeedBody::CallState { case_id: case_id.clone(), call_id: call_id.clone(), state, at };
                add_feed(conn, &target, Some(&case_id), &resolved, at)?;
            }
            let action = if request.resolve { Action::ReplyResolve } else { Action::Reply };
            audit(conn, Entry::by(&device, at, action).case(&case_id).subject(&call_id))?;
            Ok(result(ChangeStatus::Applied, Some(seq), None))
        })
        .await
    }

    async fn take_call(
        &self,
        device: Device,
        call_id: String,
    ) -> Result<super::calls::TakeOutcome, StorageError> {
        self.write(3, move |conn, _| {
            let at = now();
            let outcome = super::calls::take(conn, &device, &call_id, at)?;
            if outcome == super::calls::TakeOutcome::Taken {
                audit(conn, Entry::by(&device, at, Action::Take).subject(&call_id))?;
            }
            Ok(outcome)
        })
        .await
    }

    async fn resolve_call(
        &self,
        device: Device,
        call_id: String,
    ) -> Result<super::rules::ResolveStep, StorageError> {
        self.write(3, move |conn, _| {
            let at = now();
            let step = super::calls::resolve(conn, &device, &call_id, at)?;
            if step == super::rules::ResolveStep::Resolve {
                audit(conn, Entry::by(&device, at, Action::Resolve).subject(&call_id))?;
            }
            Ok(step)
        })
        .await
    }

    async fn escalate_calls(&self, rule: super::calls::Escalation) -> Result<usize, StorageError> {
        self.write(1, move |conn, _| super::calls::escalate(conn, &rule, now())).await
    }

    async fn open_calls(&self, scope: Scope) -> Result<Vec<crate::console::model::CallItem>, StorageError> {
        self.read(move |conn| super::calls::open_calls(conn, &scope)).await
    }

    async fn exceptions(
        &self,
        center: String,
        since: DateTime<Utc>,
    ) -> Result<Vec<crate::console::model::ExceptionItem>, StorageError> {
        self.read(move |conn| super::calls::exceptions(conn, &center, since)).await
    }

    async fn queue(&self, scope: Scope) -> Result<Vec<crate::console::model::QueueCase>, StorageError> {
        self.read(move |conn| super::calls::queue(conn, &scope)).await
    }

    async fn publish_kb(&self, device: Device, package: KbPackage) -> Result<KbPublished, StorageError> {
        let departments = super::kb::load_package(&package.files).ok().map(|kb| departments_of(&kb));
        self.write(3, move |conn, depts| {
            // A version label names one content: cases record the label they were decided under.
            let taken: Option<String> = conn
                .query_row(
                    "SELECT hash FROM kb_versions WHERE version = ?1 AND hash != ?2",
                    [&package.version, &package.hash],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Ok(KbPublished {
                    version: package.version,
                    hash: package.hash,
                    status: ChangeStatus::Conflict,
                });
            }
            let files =
                serde_json::to_string(&package.files).map_err(|e| StorageError::Database(e.to_string()))?;
            let at = now();
            let new = conn.execute(
                "INSERT OR IGNORE INTO kb_versions(hash, version, files, device_id, published_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![package.hash, package.version, files, device.id, ts(at)],
            )?;
            let status = if new > 0 { ChangeStatus::Applied } else { ChangeStatus::Duplicate };
            if new > 0 {
                let body =
                    FeedBody::KbVersion { version: package.version.clone(), hash: package.hash.clone() };
                add_feed(conn, ALL, None, &body, at)?;
                audit(conn, Entry::by(&device, at, Action::KbPublish).subject(&package.hash))?;
                if let (Some(new_depts), Ok(mut map)) = (departments, depts.write()) {
                    map.extend(new_depts);
                }
            }
            Ok(KbPublished { version: package.version, hash: package.hash, status })
        })
        .await
    }

    async fn kb(&self, hash: String) -> Result<Option<KbPackage>, StorageError> {
        self.read(move |conn| {
            let row: Option<(String, String)> = conn
                .query_row("SELECT version, files FROM kb_versions WHERE hash = ?1", [&hash], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            Ok(row.and_then(|(version, files)| {
                serde_json::from_str(&files).ok().map(|files| KbPackage {
                    files,
                    hash: hash.clone(),
                    version,
                })
            }))
        })
        .await
    }
}

#[cfg(test)]
mod tail_tests {
    use super::*;

    fn item(seq: i64, text: &str) -> (i64, String, FeedItem, usize) {
        let body = FeedBody::KbVersion { version: text.to_string(), hash: String::new() };
        (seq, ALL.to_string(), FeedItem { seq, at: DateTime::<Utc>::default(), body }, text.len() + 64)
    }

    #[test]
    fn the_in_memory_feed_is_bounded_by_bytes_and_falls_back_to_the_database() {
        let mut tail = FeedTail::default();
        let big = "x".repeat(1024 * 1024);
        tail.extend((1..=40).map(|seq| item(seq, &big)).collect());
        assert!(tail.bytes <= TAIL_BYTES, "{} bytes kept", tail.bytes);
        assert!(tail.items.len() < 40 && !tail.items.is_empty());
        let targets = FeedTargets::Only(vec![ALL.to_string()]);
        // Recent items come from memory; older ones are not claimed (the database answers them).
        assert_eq!(tail.after(&targets, 39, 10).map(|v| v.len()), Some(1));
        assert!(tail.after(&targets, 0, 10).is_none());
    }
}
