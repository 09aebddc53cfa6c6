//! The desk's local store: SQLite in WAL mode with synchronous commits, so every change the clerk
//! makes is on disk before the next keystroke is handled, and a crash, a power cut or a closed
//! terminal loses nothing.
//!
//! Cases are journals of [`CaseEvent`]s (append-only, enforced by triggers); the `cases` table is a
//! snapshot for lists and search, updated in the same transaction. Once a case is finished, its
//! case-level events (not the keystrokes: [`leaves_desk`]) enter the outbox, and so does each later
//! event; the sync worker delivers them to HQ exactly once. Instants are stored as UTC with an offset
//! (`crate::time`).

mod audit;
pub mod clerks;
mod doctor;
mod drill;
mod handover;
pub mod schema;
mod sync;

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::intake::case::{Case, CaseEvent, Field, Status, case_number, leaves_desk};
use crate::intake::rules::Decision;

pub use audit::{AuditEntry, AuditError};
pub use doctor::{BACKUPS_KEPT, Salvage, backup_to, check_file, copy_aside, salvage};
pub use drill::DrillResult;
pub use handover::HandoverRow;
pub use sync::{Delivery, KbVersionRow, Pulled};

/// Whether a database belongs to a real desk or to a drill; a drill database never syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A real window's cases.
    Desk,
    /// Training cases (演练); the sync worker refuses to open it.
    Drill,
}

impl StoreKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Desk => "desk",
            Self::Drill => "drill",
        }
    }
}

/// Errors of the store, with enough context for the clerk or support.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("本地数据库错误: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored event could not be read back.
    #[error("案件 {case} 第 {seq} 条记录无法解析: {source}")]
    Corrupt {
        /// Case id.
        case: String,
        /// Event sequence number.
        seq: i64,
        /// Parse error.
        source: serde_json::Error,
    },
    /// The database was made by a newer yichuang.
    #[error("数据库版本 {found} 比本程序支持的 {supported} 新，请升级 yichuang")]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest this binary knows.
        supported: usize,
    },
    /// Opened a drill database as a desk database or the other way round.
    #[error("数据库类型不符：文件是 {found}，需要 {wanted}")]
    WrongKind {
        /// Kind recorded in the file.
        found: String,
        /// Kind asked for.
        wanted: &'static str,
    },
    /// No such case.
    #[error("没有案件 {0}")]
    NoCase(String),
    /// The desk's store is encrypted and no clerk has signed in in this process.
    #[error("本地数据库 {0} 已加密：请先登录（窗口启动时输入 PIN；命令行加 --as 姓名 --pin-stdin）")]
    Locked(String),
    /// A file operation around the database failed.
    #[error("本地数据库文件: {0}")]
    Io(String),
}

/// One row of a case list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseSummary {
    /// Local case id.
    pub id: String,
    /// Case number once finished.
    pub number: Option<String>,
    /// Status.
    pub status: Status,
    /// Item code.
    pub item_code: Option<String>,
    /// Applicant's name.
    pub applicant_name: Option<String>,
    /// Applicant's ID number (mask before showing).
    pub id_number: Option<String>,
    /// Queue ticket.
    pub ticket: Option<String>,
    /// Decision label.
    pub decision: Option<String>,
    /// Earliest pending 容缺 deadline.
    pub deadline: Option<NaiveDate>,
    /// When the case was created.
    pub created_at: DateTime<Utc>,
    /// When intake finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// The back office's latest decision (准予 / 不予 / 退回补正), once HQ sent one.
    pub hq_decision: Option<String>,
}

/// An outbox entry waiting for HQ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    /// Local order.
    pub id: i64,
    /// Client-made id; HQ stores each once.
    pub event_id: String,
    /// Case the event belongs to.
    pub case_id: String,
    /// The event as JSON.
    pub body: String,
    /// The clerk signed in when the event was journaled (`case_events.clerk`).
    pub clerk: Option<String>,
}

/// The local store.
pub struct Store {
    conn: Connection,
    /// Cases touched in this session, kept folded so an append needs no re-read.
    cache: HashMap<String, Case>,
    /// A real desk's or a drill's database.
    kind: StoreKind,
}

/// The desk store's key for this process, released by the clerk's sign-in (`clerks::sign_in`).
static SESSION_KEY: std::sync::RwLock<Option<clerks::StoreKey>> = std::sync::RwLock::new(None);

/// Makes `key` the key every connection to an encrypted store of this process uses: the desk's
/// own, the sync worker's, the backup's and the doctor's.
pub fn unlock(key: clerks::StoreKey) {
    *SESSION_KEY.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(key);
}

/// The clerk signed in in this process, recorded with every journal record the desk writes.
static SESSION_CLERK: std::sync::RwLock<Option<String>> = std::sync::RwLock::new(None);

/// Records `name` as the clerk at the window for the journal records written from now on.
pub fn set_session_clerk(name: Option<String>) {
    *SESSION_CLERK.write().unwrap_or_else(std::sync::PoisonError::into_inner) = name;
}

/// The clerk signed in in this process, if any.
pub fn session_clerk() -> Option<String> {
    SESSION_CLERK.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
}

/// The key released in this process, if any.
pub fn session_key() -> Option<clerks::StoreKey> {
    SESSION_KEY.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
}

/// The header every plaintext SQLite database starts with (an encrypted one starts with noise).
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Whether the file at `path` is a plaintext SQLite database (an empty or absent file is not).
pub fn is_plaintext(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && &head == SQLITE_HEADER
}

/// Whether the file at `path` exists and is not plaintext SQLite (an encrypted store).
pub fn is_encrypted(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() > 0) && !is_plaintext(path)
}

/// Gives `conn` the store key (SQLCipher raw key), then reads the schema so a wrong key fails
/// here with "file is not a database" rather than at the first query.
pub fn apply_key(conn: &Connection, key: &clerks::StoreKey) -> rusqlite::Result<()> {
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.pragma().as_str()))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
}

/// Opens the database at `path`, with the session key when the file is encrypted: for the
/// backup, the doctor and checks that open a store by path.
pub fn connect(path: &Path, flags: rusqlite::OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    if is_encrypted(path)
        && let Some(key) = session_key()
    {
        apply_key(&conn, &key)?;
    }
    Ok(conn)
}

/// Encrypts the plaintext database at `path` under `key` (SQLCipher's `sqlcipher_export` into a
/// new file, then a rename over the old one), for a desk's first sign-in after an upgrade. The
/// plaintext file and its WAL are gone afterwards.
pub fn encrypt_in_place(path: &Path, key: &clerks::StoreKey) -> Result<(), StoreError> {
    let tmp = path.with_extension("encrypting");
    let _ = std::fs::remove_file(&tmp);
    {
        let conn = Connection::open(path)?;
        // Fold the WAL into the main file so the export sees every commit.
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        // The key is hex only; the path is bound.
        let attach =
            Zeroizing::new(format!("ATTACH DATABASE ?1 AS encrypted KEY \"{}\"", key.pragma().as_str()));
        conn.execute(&attach, [tmp.display().to_string()])?;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        conn.execute_batch(&format!(
            "PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"
        ))?;
    }
    let _ = private_file(&tmp);
    std::fs::rename(&tmp, path).map_err(|e| StoreError::Io(format!("{}: {e}", path.display())))?;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}

fn ts(at: DateTime<Utc>) -> String {
    crate::time::to_db(at)
}

/// A stored instant; one without an offset was written by an older desk in the hall's time.
fn parse_ts(s: &str) -> DateTime<Utc> {
    crate::time::parse_hall(s).unwrap_or_default()
}

/// Makes a database file readable and writable by its owner only (0600): created so when it is
/// missing, tightened when it exists with wider rights. SQLite gives its -wal and -shm files the
/// database file's mode. Used by the desk's store and HQ's (`src/hq/sqlite.rs`).
pub fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if path.exists() {
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
            }
            return Ok(());
        }
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` for `kind`, migrating it to the newest schema.
    pub fn open(path: &Path, kind: StoreKind) -> Result<Self, StoreError> {
        if kind == StoreKind::Desk
            && let Some(key) = session_key()
        {
            if is_plaintext(path) {
                encrypt_in_place(path, &key)?;
            }
            let _ = private_file(path);
            let conn = Connection::open(path)?;
            apply_key(&conn, &key)?;
            return Self::setup(conn, kind);
        }
        if kind == StoreKind::Desk && is_encrypted(path) {
            return Err(StoreError::Locked(path.display().to_string()));
        }
        // The store holds applicants' ID numbers and HQ's token: its owner's only.
        let _ = private_file(path);
        let conn = Connection::open(path)?;
        Self::setup(conn, kind)
    }

    /// An in-memory store, for tests and benchmarks.
    pub fn in_memory(kind: StoreKind) -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory()?, kind)
    }

    fn setup(mut conn: Connection, kind: StoreKind) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // The sync worker writes through its own connection: take the write lock when a
        // transaction begins, so a read-then-write never fails with a stale snapshot.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > schema::MIGRATIONS.len() as i64 {
            return Err(StoreError::TooNew { found: version, supported: schema::MIGRATIONS.len() });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(&schema::prepare(sql, crate::time::hall_zone()))?;
            if i + 1 == schema::CASE_LEVEL_OUTBOX {
                compact_outbox(&tx)?;
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        let store = Self { conn, cache: HashMap::new(), kind };
        match store.setting("store_kind")? {
            None => store.set_setting("store_kind", kind.as_str())?,
            Some(found) if found != kind.as_str() => {
                return Err(StoreError::WrongKind { found, wanted: kind.as_str() });
            }
            Some(_) => {}
        }
        Ok(store)
    }

    /// Caps the database at `pages` pages for this connection (SQLite `max_page_count`; `None`
    /// lifts the cap): a full disk without filling one, for the tests that show no write is
    /// dropped. Returns the cap in force.
    pub fn limit_pages(&self, pages: Option<u64>) -> Result<u64, StoreError> {
        let pages = pages.unwrap_or(u64::from(u32::MAX - 1));
        let cap: i64 = self.conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| r.get(0))?;
        Ok(u64::try_from(cap).unwrap_or(0))
    }

    /// The database's size in pages (`PRAGMA page_count`).
    pub fn page_count(&self) -> Result<u64, StoreError> {
        let pages: i64 = self.conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
        Ok(u64::try_from(pages).unwrap_or(0))
    }

    /// Whether this is a desk's or a drill's database.
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// Refuses anything that would let a drill reach HQ: only a desk database may sync.
    pub fn require_desk(&self) -> Result<(), StoreError> {
        match self.kind {
            StoreKind::Desk => Ok(()),
            StoreKind::Drill => Err(StoreError::WrongKind { found: "drill".into(), wanted: "desk" }),
        }
    }

    fn require_drill(&self) -> Result<(), StoreError> {
        match self.kind {
            StoreKind::Drill => Ok(()),
            StoreKind::Desk => Err(StoreError::WrongKind { found: "desk".into(), wanted: "drill" }),
        }
    }

    /// A setting, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Starts a new case with a fresh id at `at`; returns the id.
    pub fn create_case(&mut self, at: DateTime<Utc>) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        self.create_case_with_id(&id, at)?;
        Ok(id)
    }

    /// Starts a new case with an id chosen by the caller (the desk makes ids so the UI never waits).
    pub fn create_case_with_id(&mut self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let id = id.to_string();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO cases(id, created_at, updated_at, status) VALUES (?1, ?2, ?2, ?3)",
            params![id, ts(at), status_str(Status::Draft)],
        )?;
        let mut case = Case::default();
        write_event(&tx, &id, &mut case, &CaseEvent::Started { at }, at)?;
        tx.commit()?;
        self.cache.insert(id, case);
        Ok(())
    }

    /// Appends one event to a case's journal and updates its snapshot, in one transaction.
    pub fn append(
        &mut self,
        case_id: &str,
        event: CaseEvent,
        at: DateTime<Utc>,
    ) -> Result<&Case, StoreError> {
        let mut case = self.load(case_id)?;
        let tx = self.conn.transaction()?;
        write_event(&tx, case_id, &mut case, &event, at)?;
        tx.commit()?;
        self.cache.insert(case_id.to_string(), case);
        Ok(&self.cache[case_id])
    }

    /// Finishes intake: allocates the day's next case number and journals the decision, atomically.
    pub fn finish(
        &mut self,
        case_id: &str,
        center: &str,
        window: &str,
        decision: Decision,
        at: DateTime<Utc>,
    ) -> Result<&Case, StoreError> {
        let mut case = self.load(case_id)?;
        let tx = self.conn.transaction()?;
        let day = crate::time::hall_date(at).format("%Y-%m-%d").to_string();
        let sequence: u32 = tx.query_row(
            "INSERT INTO day_sequence(day, last) VALUES (?1, 1)
             ON CONFLICT(day) DO UPDATE SET last = last + 1 RETURNING last",
            [&day],
            |r| r.get(0),
        )?;
        let number = case_number(center, window, crate::time::hall_date(at), sequence);
        let accepted = matches!(decision, Decision::Accept { .. } | Decision::AcceptPending { .. });
        write_event(&tx, case_id, &mut case, &CaseEvent::Finished { number, decision, at }, at)?;
        // An accepted case gets the applicant's query code for the progress page, in the same
        // transaction: the 受理通知书 printed next always has it.
        if accepted && let Some(code) = crate::intake::query_code::generate() {
            let code_sha256 = crate::intake::query_code::hash(&code);
            let issued = CaseEvent::QueryCodeIssued { code: Some(code), code_sha256, at };
            write_event(&tx, case_id, &mut case, &issued, at)?;
        }
        audit::record(&tx, at, window, "finish", Some(case_id), case.number.as_deref().unwrap_or(""))?;
        tx.commit()?;
        tracing::info!(
            target: "desk::case",
            number = case.number.as_deref().unwrap_or(""),
            item = case.item_code.as_deref().unwrap_or(""),
            decision = case.decision.as_ref().map(|d| d.label()).unwrap_or(""),
            "case finished"
        );
        self.cache.insert(case_id.to_string(), case);
        Ok(&self.cache[case_id])
    }

    /// Finishes a bundle's intake (一件事): each sub-case becomes an ordinary case with the day's
    /// next number, its journal (`started` at the intake's start, the sub-case's events, the
    /// [`CaseEvent::BundleMember`] link and `finished`) and so its place in the outbox; the first
    /// sub-case's number is the bundle's, the one the applicant is given. The intake's own case
    /// records the numbers ([`CaseEvent::BundleSplit`]) and stays on the desk. All in one
    /// transaction: a crash leaves either the draft or every sub-case. Returns the sub-cases' ids
    /// and numbers, in bundle order.
    pub fn finish_bundle(
        &mut self,
        case_id: &str,
        center: &str,
        window: &str,
        name: &str,
        subs: Vec<crate::intake::bundle::SubCase>,
        at: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut draft = self.load(case_id)?;
        let bundle = match &draft.bundle_choice {
            Some(choice) => choice.bundle.clone(),
            None => return Err(StoreError::NoCase(format!("{case_id}（不是一件事）"))),
        };
        let started = draft.started_at.unwrap_or(at);
        let items: Vec<String> = subs.iter().map(|s| s.code.clone()).collect();
        let tx = self.conn.transaction()?;
        let day = crate::time::hall_date(at).format("%Y-%m-%d").to_string();
        let mut numbers = Vec::with_capacity(subs.len());
        for _ in &subs {
            let sequence: u32 = tx.query_row(
                "INSERT INTO day_sequence(day, last) VALUES (?1, 1)
                 ON CONFLICT(day) DO UPDATE SET last = last + 1 RETURNING last",
                [&day],
                |r| r.get(0),
            )?;
            numbers.push(case_number(center, window, crate::time::hall_date(at), sequence));
        }
        let bundle_number = numbers.first().cloned().unwrap_or_default();
        let mut made = Vec::with_capacity(subs.len());
        let mut cases = Vec::with_capacity(subs.len());
        for (position, (sub, number)) in subs.into_iter().zip(&numbers).enumerate() {
            let id = uuid::Uuid::new_v4().to_string();
            tx.execute(
                "INSERT INTO cases(id, created_at, updated_at, status) VALUES (?1, ?2, ?2, ?3)",
                params![id, ts(started), status_str(Status::Draft)],
            )?;
            let mut case = Case::default();
            write_event(&tx, &id, &mut case, &CaseEvent::Started { at: started }, started)?;
            for event in &sub.events {
                write_event(&tx, &id, &mut case, event, at)?;
            }
            let member = CaseEvent::BundleMember {
                bundle: bundle.clone(),
                name: name.to_string(),
                number: bundle_number.clone(),
                position: u16::try_from(position).unwrap_or(u16::MAX),
                items: items.clone(),
                numbers: numbers.clone(),
                waits_for: sub.waits_for,
                provided: sub.provided,
            };
            write_event(&tx, &id, &mut case, &member, at)?;
            let finished = CaseEvent::Finished { number: number.clone(), decision: sub.decision, at };
            write_event(&tx, &id, &mut case, &finished, at)?;
            audit::record(&tx, at, window, "finish", Some(&id), number)?;
            made.push((id.clone(), number.clone()));
            cases.push((id, case));
        }
        let split = CaseEvent::BundleSplit { numbers: numbers.clone(), at };
        write_event(&tx, case_id, &mut draft, &split, at)?;
        tx.commit()?;
        tracing::info!(target: "desk::case", number = bundle_number.as_str(), bundle = bundle.as_str(), items = numbers.len(), "bundle finished");
        self.cache.insert(case_id.to_string(), draft);
        for (id, case) in cases {
            self.cache.insert(id, case);
        }
        Ok(made)
    }

    /// The case, folded from its journal.
    pub fn load(&mut self, case_id: &str) -> Result<Case, StoreError> {
        if let Some(case) = self.cache.get(case_id) {
            return Ok(case.clone());
        }
        let events = self.events(case_id)?;
        if events.is_empty() {
            return Err(StoreError::NoCase(case_id.to_string()));
        }
        let case = Case::from_events(events.iter().map(|(_, _, e)| e));
        self.cache.insert(case_id.to_string(), case.clone());
        Ok(case)
    }

    /// Who wrote each record of a case's journal: (sequence, clerk signed in then).
    pub fn event_clerks(&self, case_id: &str) -> Result<Vec<(i64, Option<String>)>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT seq, clerk FROM case_events WHERE case_id = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A case's journal: (sequence, time, event).
    pub fn events(&self, case_id: &str) -> Result<Vec<(i64, DateTime<Utc>, CaseEvent)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, at, body FROM case_events WHERE case_id = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([case_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, at, body) = row?;
            let event = serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
                case: case_id.to_string(),
                seq,
                source,
            })?;
            out.push((seq, parse_ts(&at), event));
        }
        Ok(out)
    }

    /// Sets a draft aside whose journal cannot be read (`Status::SetAside` in the snapshot; the
    /// journal itself stays as it is, append-only), so the desk does not reopen it, and records
    /// why in the audit. Returns how the clerk finds it again: its ticket and applicant's name.
    pub fn set_aside(&mut self, case_id: &str, why: &str, at: DateTime<Utc>) -> Result<String, StoreError> {
        self.cache.remove(case_id);
        let tx = self.conn.transaction()?;
        let (ticket, name): (Option<String>, Option<String>) =
            tx.query_row("SELECT ticket, applicant_name FROM cases WHERE id = ?1", [case_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        tx.execute(
            "UPDATE cases SET status = ?2 WHERE id = ?1",
            params![case_id, status_str(Status::SetAside)],
        )?;
        audit::record(&tx, at, "desk", "set_aside", Some(case_id), why)?;
        tx.commit()?;
        let label = [ticket.map(|t| format!("排队号 {t}")), name]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("，");
        Ok(if label.is_empty() { case_id.to_string() } else { label })
    }

    /// The most recently touched unfinished case, to reopen after a restart.
    pub fn open_draft(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM cases WHERE status = ?1 ORDER BY updated_at DESC LIMIT 1",
                [status_str(Status::Draft)],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Cases matching `query` (case number, name, ID number, item code, ticket; empty = all) or
    /// of one of `items` (the codes of the items whose names match, which the caller's KB knows),
    /// newest first.
    pub fn list(&self, query: &str, items: &[&str], limit: usize) -> Result<Vec<CaseSummary>, StoreError> {
        let escape = |s: &str| format!("%{}%", s.trim().replace('%', "\\%").replace('_', "\\_"));
        let like = escape(query);
        // Numbers are stored normalised: `110105 19491231 002x` finds `11010519491231002X`.
        let code = crate::intake::validate::normalise_code(query);
        let code_like = if code.is_empty() { like.clone() } else { escape(&code) };
        let items = serde_json::to_string(items).unwrap_or_else(|_| "[]".into());
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, number, status, item_code, applicant_name, id_number, ticket, decision, deadline,
                    created_at, finished_at,
                    (SELECT kind FROM decisions d WHERE d.case_number = cases.number ORDER BY d.id DESC LIMIT 1)
             FROM cases
             WHERE status != 'abandoned' AND (?1 = '%%' OR number LIKE ?1 ESCAPE '\\' OR applicant_name LIKE ?1 ESCAPE '\\'
                OR id_number LIKE ?4 ESCAPE '\\' OR credit_code LIKE ?4 ESCAPE '\\' OR item_code LIKE ?1 ESCAPE '\\'
                OR ticket LIKE ?1 ESCAPE '\\' OR item_code IN (SELECT value FROM json_each(?3)))
             ORDER BY created_at DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![like, limit as i64, items, code_like], |r| {
            Ok(CaseSummary {
                id: r.get(0)?,
                number: r.get(1)?,
                status: parse_status(&r.get::<_, String>(2)?),
                item_code: r.get(3)?,
                applicant_name: r.get(4)?,
                id_number: r.get(5)?,
                ticket: r.get(6)?,
                decision: r.get(7)?,
                deadline: r
                    .get::<_, Option<String>>(8)?
                    .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                created_at: parse_ts(&r.get::<_, String>(9)?),
                finished_at: r.get::<_, Option<String>>(10)?.map(|s| parse_ts(&s)),
                hq_decision: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The case id for a case number or id.
    pub fn find(&self, number_or_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT id FROM cases WHERE number = ?1 OR id = ?1", [number_or_id], |r| r.get(0))
            .optional()?)
    }

    /// Outbox entries not yet acknowledged by HQ, oldest first.
    pub fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.id, o.event_id, o.case_id, o.body,
                    (SELECT e.clerk FROM case_events e WHERE e.event_id = o.event_id)
             FROM outbox o WHERE o.sent_at IS NULL ORDER BY o.id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(OutboxEntry {
                id: r.get(0)?,
                event_id: r.get(1)?,
                case_id: r.get(2)?,
                body: r.get(3)?,
                clerk: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Number of outbox entries waiting.
    pub fn outbox_count(&self) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM outbox WHERE sent_at IS NULL", [], |r| r.get::<_, i64>(0))?
            as usize)
    }

    /// Records an action in the hash-chained audit log (who viewed or changed what).
    pub fn audit(
        &mut self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        case_id: Option<&str>,
        detail: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        audit::record(&tx, at, actor, action, case_id, detail)?;
        tx.commit()?;
        Ok(())
    }

    /// The audit log's entries about a case (all when `None`), oldest first.
    pub fn audit_entries(&self, case_id: Option<&str>) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(audit::entries(&self.conn, case_id)?)
    }

    /// Verifies the audit chain; returns the number of entries checked.
    pub fn verify_audit(&self) -> Result<usize, AuditError> {
        audit::verify(&self.conn)
    }
}

fn status_str(status: Status) -> String {
    serde_json::to_value(status).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

fn parse_status(s: &str) -> Status {
    serde_json::from_value(serde_json::Value::String(s.to_string())).unwrap_or_default()
}

/// Journals one event inside `tx`: the event row, the snapshot, and the outbox when due.
fn write_event(
    tx: &Transaction,
    case_id: &str,
    case: &mut Case,
    event: &CaseEvent,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    // The stored form of a number, never the garbled one typed or pasted (`Field::normalise`).
    let normalised = event.normalised();
    let event = normalised.as_ref().unwrap_or(event);
    let was_finished = case.number.is_some();
    case.apply(event);
    let seq: i64 = tx.query_row(
        "SELECT coalesce(max(seq), 0) + 1 FROM case_events WHERE case_id = ?1",
        [case_id],
        |r| r.get(0),
    )?;
    let event_id = uuid::Uuid::new_v4().to_string();
    let body = serde_json::to_string(event).expect("events serialize");
    tx.execute(
        "INSERT INTO case_events(case_id, seq, event_id, at, body, clerk) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![case_id, seq, event_id, ts(at), body, session_clerk()],
    )?;
    update_snapshot(tx, case_id, case, at)?;
    // On finishing, the whole history enters the outbox; afterwards, each new event. Calls go at
    // once, even from a draft; what came from HQ never goes back.
    let from = match (case.number.is_some(), was_finished) {
        _ if event.is_from_hq() => return Ok(()),
        (true, false) => 1,
        (true, true) => seq,
        (false, _) if event.is_urgent() => seq,
        (false, _) => return Ok(()),
    };
    let mut select = tx.prepare_cached(
        "SELECT event_id, body FROM case_events WHERE case_id = ?1 AND seq >= ?2 ORDER BY seq",
    )?;
    let rows: Vec<(String, String)> = select
        .query_map(params![case_id, from], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    // What leaves the desk is the case, not the keystrokes (`leaves_desk`).
    let events: Vec<Option<CaseEvent>> =
        rows.iter().map(|(_, body)| serde_json::from_str(body).ok()).collect();
    let keep = outgoing(&events);
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox(event_id, case_id, body, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (((event_id, body), event), keep) in rows.into_iter().zip(&events).zip(keep) {
        if keep {
            // A query code leaves the desk as its hash only (`CaseEvent::for_hq`).
            let body = match event.as_ref().and_then(CaseEvent::for_hq) {
                Some(wire) => serde_json::to_string(&wire).expect("events serialize"),
                None => body,
            };
            insert.execute(params![event_id, case_id, body, ts(at)])?;
        }
    }
    Ok(())
}

/// Writes the `cases` row (the snapshot lists and search read) from the folded case.
fn update_snapshot(tx: &Connection, case_id: &str, case: &Case, at: DateTime<Utc>) -> Result<(), StoreError> {
    let deadline =
        case.pending_supplements().iter().map(|(_, _, d)| *d).min().map(|d| d.format("%Y-%m-%d").to_string());
    let nonempty = |f: Field| Some(case.field(f)).filter(|s| !s.is_empty());
    tx.execute(
        "UPDATE cases SET updated_at = ?2, status = ?3, number = ?4, item_code = ?5, applicant_name = ?6,
            id_number = ?7, credit_code = ?8, ticket = ?9, decision = ?10, deadline = ?11, finished_at = ?12
         WHERE id = ?1",
        params![
            case_id,
            ts(at),
            status_str(case.status),
            case.number,
            case.item_code,
            nonempty(Field::ApplicantName),
            nonempty(Field::IdNumber),
            nonempty(Field::CreditCode),
            nonempty(Field::Ticket),
            case.decision.as_ref().map(|d| d.label()),
            deadline,
            case.finished_at.map(ts),
        ],
    )?;
    Ok(())
}

/// Which of a case's journal entries go to HQ: the case-level ones ([`leaves_desk`]), never what
/// came from HQ. An entry that cannot be read is sent as it is (HQ keeps what it cannot fold).
fn outgoing(events: &[Option<CaseEvent>]) -> Vec<bool> {
    let readable: Vec<CaseEvent> = events.iter().flatten().cloned().collect();
    let mut keep = leaves_desk(&readable).into_iter();
    events
        .iter()
        .map(|e| match e {
            Some(e) => keep.next().unwrap_or(true) && !e.is_from_hq(),
            None => true,
        })
        .collect()
}

/// Migration 4: pending outbox entries of older desks carried every keystroke. Keeps, per case, only
/// the pending entries [`outgoing`] would send now — the last value of each field per step, in
/// their order and with their ids, so whatever HQ already has stays exactly-once.
fn compact_outbox(tx: &Transaction) -> Result<usize, StoreError> {
    let cases: Vec<String> = tx
        .prepare("SELECT DISTINCT case_id FROM outbox WHERE sent_at IS NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut dropped = 0;
    for case_id in cases {
        let rows: Vec<(String, String)> = tx
            .prepare_cached("SELECT event_id, body FROM case_events WHERE case_id = ?1 ORDER BY seq")?
            .query_map([&case_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let events: Vec<Option<CaseEvent>> = rows.iter().map(|(_, b)| serde_json::from_str(b).ok()).collect();
        for ((event_id, _), keep) in rows.iter().zip(outgoing(&events)) {
            if !keep {
                dropped +=
                    tx.execute("DELETE FROM outbox WHERE event_id = ?1 AND sent_at IS NULL", [event_id])?;
            }
        }
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests;
