//! The audit log: who viewed or changed which case, hash-chained so that an edited or deleted
//! entry is detected by `verify` (PIPL: record who processed personal information).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

/// Where the audit chain breaks.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading failed.
    #[error("审计日志读取失败: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// An entry's hash does not match its content or its predecessor.
    #[error("审计日志第 {0} 条被篡改或链条断开")]
    Broken(i64),
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn digest(prev: &str, at: &str, actor: &str, action: &str, case_id: Option<&str>, detail: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, at, actor, action, case_id.unwrap_or(""), detail] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends an entry inside `tx`.
pub(super) fn record(
    tx: &Transaction,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    case_id: Option<&str>,
    detail: &str,
) -> rusqlite::Result<()> {
    let prev: String = tx
        .query_row("SELECT hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let at = crate::time::to_db(at);
    let hash = digest(&prev, &at, actor, action, case_id, detail);
    tx.execute(
        "INSERT INTO audit(at, actor, action, case_id, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![at, actor, action, case_id, detail, prev, hash],
    )?;
    Ok(())
}

/// Walks the chain from the start; returns the number of entries.
pub(super) fn verify(conn: &Connection) -> Result<usize, AuditError> {
    let mut stmt = conn
        .prepare("SELECT id, at, actor, action, case_id, detail, prev_hash, hash FROM audit ORDER BY id")?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut count = 0;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let case_id: Option<String> = r.get(4)?;
        let expected = digest(
            &prev,
            &r.get::<_, String>(1)?,
            &r.get::<_, String>(2)?,
            &r.get::<_, String>(3)?,
            case_id.as_deref(),
            &r.get::<_, String>(5)?,
        );
        let (stored_prev, hash): (String, String) = (r.get(6)?, r.get(7)?);
        if stored_prev != prev || hash != expected {
            return Err(AuditError::Broken(id));
        }
        prev = hash;
        count += 1;
    }
    Ok(count)
}

/// One entry of the audit log, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// When (desk's clock).
    pub at: String,
    /// Who: the clerk and window, or the command's user.
    pub actor: String,
    /// What: `finish`, `reveal` …
    pub action: String,
    /// The case concerned.
    pub case_id: Option<String>,
    /// Details.
    pub detail: String,
}

/// The entries about `case_id` (all when `None`), oldest first.
pub(super) fn entries(conn: &Connection, case_id: Option<&str>) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(
        "SELECT at, actor, action, case_id, detail FROM audit WHERE ?1 IS NULL OR case_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([case_id], |r| {
        Ok(AuditEntry {
            at: r.get(0)?,
            actor: r.get(1)?,
            action: r.get(2)?,
            case_id: r.get(3)?,
            detail: r.get(4)?,
        })
    })?;
    rows.collect()
}
