//! The desk's local store: SQLite in WAL mode with synchronous commits, so every change the clerk
//! makes is on disk before the next keystroke is handled, and a crash, a power cut or a closed
//! terminal loses nothing.
//!
//! Cases are journals of [`CaseEvent`]s (append-only, enforced by triggers); the `cases` table is a
//! snapshot for lists and search, updated in the same transaction. Once a case is finished, each of
//! its events also enters the outbox, which the sync worker delivers to HQ exactly once.

mod audit;
mod drill;
mod handover;
pub mod schema;
mod sync;

use std::collections::HashMap;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::intake::case::{Case, CaseEvent, Field, Status, case_number};
use crate::intake::rules::Decision;

pub use audit::AuditError;
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
    pub created_at: NaiveDateTime,
    /// When intake finished.
    pub finished_at: Option<NaiveDateTime>,
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
}

/// The local store.
pub struct Store {
    conn: Connection,
    /// Cases touched in this session, kept folded so an append needs no re-read.
    cache: HashMap<String, Case>,
    /// A real desk's or a drill's database.
    kind: StoreKind,
}

const TIME: &str = "%Y-%m-%dT%H:%M:%S%.3f";

fn ts(at: NaiveDateTime) -> String {
    at.format(TIME).to_string()
}

fn parse_ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, TIME).unwrap_or_default()
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
            tx.execute_batch(sql)?;
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
    pub fn create_case(&mut self, at: NaiveDateTime) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        self.create_case_with_id(&id, at)?;
        Ok(id)
    }

    /// Starts a new case with an id chosen by the caller (the desk makes ids so the UI never waits).
    pub fn create_case_with_id(&mut self, id: &str, at: NaiveDateTime) -> Result<(), StoreError> {
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
        at: NaiveDateTime,
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
        at: NaiveDateTime,
    ) -> Result<&Case, StoreError> {
        let mut case = self.load(case_id)?;
        let tx = self.conn.transaction()?;
        let day = at.date().format("%Y-%m-%d").to_string();
        let sequence: u32 = tx.query_row(
            "INSERT INTO day_sequence(day, last) VALUES (?1, 1)
             ON CONFLICT(day) DO UPDATE SET last = last + 1 RETURNING last",
            [&day],
            |r| r.get(0),
        )?;
        let number = case_number(center, window, at.date(), sequence);
        write_event(&tx, case_id, &mut case, &CaseEvent::Finished { number, decision, at }, at)?;
        audit::record(&tx, at, window, "finish", Some(case_id), case.number.as_deref().unwrap_or(""))?;
        tx.commit()?;
        self.cache.insert(case_id.to_string(), case);
        Ok(&self.cache[case_id])
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

    /// A case's journal: (sequence, time, event).
    pub fn events(&self, case_id: &str) -> Result<Vec<(i64, NaiveDateTime, CaseEvent)>, StoreError> {
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
        let like = format!("%{}%", query.trim().replace('%', "\\%").replace('_', "\\_"));
        let items = serde_json::to_string(items).unwrap_or_else(|_| "[]".into());
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, number, status, item_code, applicant_name, id_number, ticket, decision, deadline,
                    created_at, finished_at,
                    (SELECT kind FROM decisions d WHERE d.case_number = cases.number ORDER BY d.id DESC LIMIT 1)
             FROM cases
             WHERE status != 'abandoned' AND (?1 = '%%' OR number LIKE ?1 ESCAPE '\\' OR applicant_name LIKE ?1 ESCAPE '\\'
                OR id_number LIKE ?1 ESCAPE '\\' OR credit_code LIKE ?1 ESCAPE '\\' OR item_code LIKE ?1 ESCAPE '\\'
                OR ticket LIKE ?1 ESCAPE '\\' OR item_code IN (SELECT value FROM json_each(?3)))
             ORDER BY created_at DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![like, limit as i64, items], |r| {
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
            "SELECT id, event_id, case_id, body FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(OutboxEntry { id: r.get(0)?, event_id: r.get(1)?, case_id: r.get(2)?, body: r.get(3)? })
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
        at: NaiveDateTime,
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
    at: NaiveDateTime,
) -> Result<(), StoreError> {
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
        "INSERT INTO case_events(case_id, seq, event_id, at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![case_id, seq, event_id, ts(at), body],
    )?;
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
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox(event_id, case_id, body, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (event_id, body) in rows {
        let from_hq = serde_json::from_str::<CaseEvent>(&body).is_ok_and(|e| e.is_from_hq());
        if !from_hq {
            insert.execute(params![event_id, case_id, body, ts(at)])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
