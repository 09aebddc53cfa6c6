//! HQ's audit as a hash chain: every row carries the SHA-256 of the row before it, so a row deleted,
//! edited or reordered behind HQ's back (the sqlite file opened directly, the append-only triggers
//! dropped) breaks the chain, and `yichuang hq audit verify` names the first broken link.
//!
//! Rows hold structured fields only: a fixed action name, identifiers checked against the wire's
//! id rule (anything else is stored as its hash), an HTTP-like status and a fixed reason code. No
//! free text from a client reaches a row, so a clerk's string with a newline cannot forge a line
//! in an export.

use std::io::Write;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::storage::StorageError;
use crate::protocol::{Device, hex, valid_id};

/// What was done; the only names an audit row can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A window pushed a change.
    Push,
    /// An approver decided a case.
    Decide,
    /// An approver answered a call.
    Reply,
    /// An approver answered and closed a call.
    ReplyResolve,
    /// An approver took a call.
    Take,
    /// A call was closed.
    Resolve,
    /// HQ escalated an unanswered call.
    Escalate,
    /// A KB version was published.
    KbPublish,
    /// A device was enrolled.
    Enroll,
    /// A device's token was revoked.
    Revoke,
    /// A device's token was rotated.
    Rotate,
    /// A case was read (ID and phone numbers masked).
    ReadCase,
    /// A case was read with ID and phone numbers in full.
    ReadCaseUnmasked,
    /// A request was refused (401, 403, 409).
    Refused,
    /// The same refusal repeated within a window: how many times (`count`).
    RefusedRepeat,
    /// A supervisor approved an exception at a window (subject: the supervisor; reason: which).
    ExceptionApproved,
    /// A clerk's PIN was set at HQ.
    ClerkSet,
    /// A clerk was revoked at HQ.
    ClerkRevoke,
    /// An applicant looked a case up on the progress page (status 200, or 404 wrong code, 423
    /// locked, 429 too many lookups from one address; subject: the client's hashed address).
    Lookup,
    /// An applicant rated the service on the progress page (reason: the channel).
    Rate,
}

impl Action {
    /// The action's name in the store and in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Decide => "decide",
            Self::Reply => "reply",
            Self::ReplyResolve => "reply_resolve",
            Self::Take => "take",
            Self::Resolve => "resolve",
            Self::Escalate => "escalate",
            Self::KbPublish => "kb_publish",
            Self::Enroll => "enroll",
            Self::Revoke => "revoke",
            Self::Rotate => "rotate",
            Self::ReadCase => "read_case",
            Self::ReadCaseUnmasked => "read_case_unmasked",
            Self::Refused => "refused",
            Self::RefusedRepeat => "refused_repeat",
            Self::ExceptionApproved => "exception_approved",
            Self::ClerkSet => "clerk_set",
            Self::ClerkRevoke => "clerk_revoke",
            Self::Lookup => "lookup",
            Self::Rate => "rate",
        }
    }
}

/// One row to append.
#[derive(Debug, Clone)]
pub struct Entry {
    /// When (HQ's clock, UTC).
    pub at: DateTime<Utc>,
    /// The center the row belongs to (the device's or the case's); empty for HQ-wide rows.
    pub center: String,
    /// Who: the device's label (`HRB/W1`) or `HQ`.
    pub actor: String,
    /// The device id, `hq` for HQ itself, `-` for an unknown caller.
    pub device: String,
    /// What.
    pub action: Action,
    /// The case concerned.
    pub case_id: Option<String>,
    /// The change, call, device or KB hash concerned.
    pub subject: Option<String>,
    /// 200 done, 208 repeat, 401/403/404/409/4xx refused.
    pub status: u16,
    /// A fixed reason code (`case_awaiting_correction` …), never client text.
    pub reason: Option<&'static str>,
    /// How many times it happened (a `refused_repeat` row); `None`: once.
    pub count: Option<u64>,
}

impl Entry {
    /// A row for `device` doing `action` now-ish.
    pub fn by(device: &Device, at: DateTime<Utc>, action: Action) -> Self {
        Self {
            at,
            center: device.center.clone(),
            actor: device.label(),
            device: device.id.clone(),
            action,
            case_id: None,
            subject: None,
            status: 200,
            reason: None,
            count: None,
        }
    }

    /// The same row about `case_id`.
    pub fn case(mut self, case_id: &str) -> Self {
        self.case_id = Some(case_id.to_string());
        self
    }

    /// The same row about `subject`.
    pub fn subject(mut self, subject: &str) -> Self {
        self.subject = Some(subject.to_string());
        self
    }

    /// The same row with a status and reason.
    pub fn status(mut self, status: u16, reason: Option<&'static str>) -> Self {
        self.status = status;
        self.reason = reason;
        self
    }
}

/// An identifier as the audit keeps it: as is when it follows the wire's id rule, else as
/// `h:` and the start of its SHA-256 (so it can be matched, never printed raw).
fn clean(id: &str) -> String {
    if valid_id(id) { id.to_string() } else { format!("h:{}", &hex(&Sha256::digest(id.as_bytes()))[..16]) }
}

/// The subject of a row about a clerk: `clerk:` and the name (kept readable; cleaned as a label).
pub fn clerk_subject(name: &str) -> String {
    format!("{CLERK_PREFIX}{}", clean_label(name))
}

const CLERK_PREFIX: &str = "clerk:";

/// A subject as the audit keeps it: a clerk's readable label, else an identifier ([`clean`]).
fn clean_subject(s: &str) -> String {
    match s.strip_prefix(CLERK_PREFIX) {
        Some(name) => format!("{CLERK_PREFIX}{}", clean_label(name)),
        None => clean(s),
    }
}

/// A label (`center/window`, `center/部门`): its characters are letters, digits, CJK and `/-_.#`;
/// anything else (a control character, a quote) is replaced.
fn clean_label(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '#') { c } else { '?' })
        .collect()
}

/// One stored row, as verify and export read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Position in the chain (1, 2, …).
    pub seq: i64,
    /// When.
    pub at: String,
    /// Center.
    pub center: String,
    /// Who.
    pub actor: String,
    /// Device id.
    pub device: String,
    /// What.
    pub action: String,
    /// Case.
    pub case_id: Option<String>,
    /// Change, call, device or KB hash.
    pub subject: Option<String>,
    /// Status.
    pub status: i64,
    /// Reason code.
    pub reason: Option<String>,
    /// Free text of rows written before the chain existed (empty since).
    pub detail: String,
    /// How many times (`refused_repeat` rows only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Hash of the previous row.
    pub prev_hash: String,
    /// This row's hash.
    pub hash: String,
}

impl Row {
    fn digest(&self) -> String {
        let canonical = serde_json::json!([
            self.seq,
            self.at,
            self.center,
            self.actor,
            self.device,
            self.action,
            self.case_id,
            self.subject,
            self.status,
            self.reason,
            self.detail,
            self.prev_hash,
        ]);
        // Rows without a count hash as they did before the column existed.
        let mut canonical = canonical;
        if let (Some(count), Some(fields)) = (self.count, canonical.as_array_mut()) {
            fields.push(count.into());
        }
        hex(&Sha256::digest(canonical.to_string().as_bytes()))
    }
}

/// The hash the first row links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn head(conn: &Connection) -> Result<(i64, String), StorageError> {
    let last: i64 = conn
        .query_row("SELECT seq FROM sqlite_sequence WHERE name = 'audit'", [], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let hash: Option<String> = conn
        .prepare_cached("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .flatten();
    Ok((last, hash.unwrap_or_else(|| GENESIS.to_string())))
}

/// Appends a row to the chain (inside the caller's transaction).
pub fn append(conn: &Connection, e: &Entry) -> Result<(), StorageError> {
    let (last, prev_hash) = head(conn)?;
    let mut row = Row {
        seq: last + 1,
        at: super::sqlite::time(e.at),
        center: clean_label(&e.center),
        actor: clean_label(&e.actor),
        device: clean(&e.device),
        action: e.action.as_str().to_string(),
        case_id: e.case_id.as_deref().map(clean),
        subject: e.subject.as_deref().map(clean_subject),
        status: i64::from(e.status),
        reason: e.reason.map(str::to_string),
        detail: String::new(),
        count: e.count.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row.digest();
    conn.prepare_cached(
        "INSERT INTO audit(seq, at, center, actor, device, action, case_id, subject, status, reason, detail,
                           prev_hash, hash, count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        row.seq,
        row.at,
        row.center,
        row.actor,
        row.device,
        row.action,
        row.case_id,
        row.subject,
        row.status,
        row.reason,
        row.detail,
        row.prev_hash,
        row.hash,
        row.count
    ])?;
    Ok(())
}

fn read_row(r: &rusqlite::Row) -> rusqlite::Result<Row> {
    Ok(Row {
        seq: r.get(0)?,
        at: r.get(1)?,
        center: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        actor: r.get(3)?,
        device: r.get(4)?,
        action: r.get(5)?,
        case_id: r.get(6)?,
        subject: r.get(7)?,
        status: r.get::<_, Option<i64>>(8)?.unwrap_or(200),
        reason: r.get(9)?,
        detail: r.get(10)?,
        prev_hash: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
        hash: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        count: r.get(13)?,
    })
}

const SELECT: &str =
    "SELECT seq, at, center, actor, device, action, case_id, subject, status, reason, detail,
                             prev_hash, hash, count FROM audit";

/// Gives rows written before the chain existed their links, oldest first (a migration step; the
/// update trigger is lifted for it and put back).
pub fn backfill(conn: &Connection) -> Result<(), StorageError> {
    let missing: i64 = conn.query_row("SELECT count(*) FROM audit WHERE hash IS NULL", [], |r| r.get(0))?;
    if missing == 0 {
        return Ok(());
    }
    conn.execute_batch("DROP TRIGGER IF EXISTS audit_no_update")?;
    let rows: Vec<Row> = conn
        .prepare(&format!("{SELECT} ORDER BY seq"))?
        .query_map([], read_row)?
        .collect::<Result<_, _>>()?;
    let mut prev = GENESIS.to_string();
    for mut row in rows {
        if row.hash.is_empty() {
            row.prev_hash = prev.clone();
            row.hash = row.digest();
            conn.execute(
                "UPDATE audit SET center = ?2, status = ?3, prev_hash = ?4, hash = ?5 WHERE seq = ?1",
                params![row.seq, row.center, row.status, row.prev_hash, row.hash],
            )?;
        }
        prev = row.hash;
    }
    conn.execute_batch(
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
             BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;",
    )?;
    Ok(())
}

/// The first place the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The row at which the chain breaks (the first row after a deletion, the edited row).
    pub seq: i64,
    /// What is wrong there.
    pub problem: String,
}

/// What `hq audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Rows checked.
    pub rows: usize,
    /// The first broken link, if any.
    pub broken: Option<Broken>,
}

/// Walks the chain from the first row and reports the first broken link: a missing row (a gap in
/// the sequence, or rows missing at the end), a row whose content no longer matches its hash, or
/// a row that does not link to the one before.
pub fn verify(conn: &Connection) -> Result<Report, StorageError> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY seq"))?;
    let rows = stmt.query_map([], read_row)?;
    let mut prev = (0i64, GENESIS.to_string());
    let mut count = 0;
    for row in rows {
        let row = row?;
        count += 1;
        let broken =
            |problem: String| Ok(Report { rows: count, broken: Some(Broken { seq: row.seq, problem }) });
        if row.seq != prev.0 + 1 {
            return broken(format!("第 {} 至 {} 条记录缺失", prev.0 + 1, row.seq - 1));
        }
        if row.prev_hash != prev.1 {
            return broken("与前一条记录的链接不符（前一条被改动或删除）".to_string());
        }
        if row.digest() != row.hash {
            return broken("内容与其哈希不符（记录被改动）".to_string());
        }
        prev = (row.seq, row.hash);
    }
    let (last, _) = head(conn)?;
    if last > prev.0 {
        return Ok(Report {
            rows: count,
            broken: Some(Broken {
                seq: prev.0 + 1,
                problem: format!("末尾第 {} 至 {last} 条记录缺失", prev.0 + 1),
            }),
        });
    }
    Ok(Report { rows: count, broken: None })
}

/// How `hq audit export` writes rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated, with a header line.
    Csv,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// Writes the rows of `center` (every center with `None`) to `out`; returns how many.
pub fn export(
    conn: &Connection,
    center: Option<&str>,
    format: Format,
    out: &mut dyn Write,
) -> Result<usize, StorageError> {
    let io = |e: std::io::Error| StorageError::Database(format!("写出失败: {e}"));
    let mut stmt = conn.prepare(&format!("{SELECT} WHERE (?1 IS NULL OR center = ?1) ORDER BY seq"))?;
    let rows = stmt.query_map([center], read_row)?;
    if format == Format::Csv {
        writeln!(out, "seq,at,center,actor,device,action,case_id,subject,status,reason,prev_hash,hash,count")
            .map_err(io)?;
    }
    let mut n = 0;
    for row in rows {
        let row = row?;
        match format {
            Format::Jsonl => {
                let line = serde_json::to_string(&row).map_err(|e| StorageError::Database(e.to_string()))?;
                writeln!(out, "{line}").map_err(io)?;
            }
            Format::Csv => {
                let fields = [
                    row.seq.to_string(),
                    row.at,
                    row.center,
                    row.actor,
                    row.device,
                    row.action,
                    row.case_id.unwrap_or_default(),
                    row.subject.unwrap_or_default(),
                    row.status.to_string(),
                    row.reason.unwrap_or_default(),
                    row.prev_hash,
                    row.hash,
                    row.count.map(|n| n.to_string()).unwrap_or_default(),
                ];
                let line = fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",");
                writeln!(out, "{line}").map_err(io)?;
            }
        }
        n += 1;
    }
    Ok(n)
}
