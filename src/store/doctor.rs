//! Damage found and contained: the check the desk runs at start (`PRAGMA quick_check`), the copy
//! of a damaged store set aside before anything touches it, the salvage behind `yichuang doctor`
//! (every readable row into a fresh store, and a list of what was lost by case and journal
//! range), and the scheduled online backup (SQLite's backup API) to a second directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, params_from_iter};

use super::{Store, StoreError, StoreKind, parse_ts, status_str, update_snapshot};
use crate::intake::case::{Case, CaseEvent, Field, Status};

/// What `quick_check` reports for the database at `path`: empty when it is sound. A file that
/// is not a database at all, or cannot be read, is reported the same way.
pub fn check_file(path: &Path) -> Result<Vec<String>, StoreError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let conn = match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) {
        Ok(conn) => conn,
        Err(e) => return Ok(vec![e.to_string()]),
    };
    let rows = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut stmt| stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>());
    Ok(match rows {
        Ok(rows) if rows == ["ok"] => Vec::new(),
        Ok(rows) => rows,
        Err(e) => vec![e.to_string()],
    })
}

/// Copies the database at `path` (with its `-wal` and `-shm` files) to
/// `<path>.<label>-<time>`, byte for byte, before anything else touches it; returns the copy's path.
pub fn copy_aside(path: &Path, label: &str, at: DateTime<Utc>) -> std::io::Result<PathBuf> {
    let stamp = crate::time::hall_local(at).format("%Y%m%dT%H%M%S");
    let target = PathBuf::from(format!("{}.{label}-{stamp}", path.display()));
    std::fs::copy(path, &target)?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            std::fs::copy(&side, format!("{}{suffix}", target.display()))?;
        }
    }
    Ok(target)
}

/// How many backups the scheduled backup keeps in its directory (oldest removed first).
pub const BACKUPS_KEPT: usize = 10;

/// Backs the database at `db` up into `dir` as `desk-<time>.sqlite3` with SQLite's online backup
/// (a consistent copy while the desk keeps writing), then keeps the newest [`BACKUPS_KEPT`].
/// Returns the backup's path.
pub fn backup_to(db: &Path, dir: &Path, at: DateTime<Utc>) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("无法创建备份目录 {}: {e}", dir.display()))?;
    let name = format!("desk-{}.sqlite3", crate::time::hall_local(at).format("%Y%m%dT%H%M%S%.3f"));
    let target = dir.join(&name);
    let partial = dir.join(format!("{name}.partial"));
    let source = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("无法打开 {}: {e}", db.display()))?;
    source
        .backup(rusqlite::MAIN_DB, &partial, None)
        .map_err(|e| format!("备份到 {} 失败: {e}", dir.display()))?;
    std::fs::rename(&partial, &target).map_err(|e| format!("备份到 {} 失败: {e}", dir.display()))?;
    let mut kept: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        n.starts_with("desk-") && n.ends_with(".sqlite3") && !n.contains(".partial")
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    kept.sort();
    while kept.len() > BACKUPS_KEPT {
        let _ = std::fs::remove_file(kept.remove(0));
    }
    Ok(target)
}

/// What a salvage recovered and what it could not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Salvage {
    /// Rows copied per table.
    pub copied: BTreeMap<String, usize>,
    /// What was lost, one line each, for the clerk and support (table row ranges, cases and the
    /// journal records missing from them).
    pub lost: Vec<String>,
    /// Drafts set aside because their journal has gaps or unreadable records.
    pub set_aside: Vec<String>,
}

/// The rows of `table` that can be read, by rowid; unreadable stretches are skipped by probing
/// further rowids and reported as `(from, to)` (`to` = `None`: to the end).
#[allow(clippy::type_complexity)]
fn readable_rows(
    conn: &Connection,
    table: &str,
    columns: &[String],
) -> (Vec<(i64, Vec<Value>)>, Vec<(i64, Option<i64>)>) {
    let list = columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    let page = format!("SELECT rowid, {list} FROM \"{table}\" WHERE rowid > ?1 ORDER BY rowid LIMIT 200");
    let probe = format!("SELECT rowid FROM \"{table}\" WHERE rowid >= ?1 ORDER BY rowid LIMIT 1");
    let mut rows = Vec::new();
    let mut gaps = Vec::new();
    let mut after = i64::MIN;
    loop {
        let mut fetched = 0;
        let failed = match conn.prepare(&page) {
            Err(_) => true,
            Ok(mut stmt) => match stmt.query([after]) {
                Err(_) => true,
                Ok(mut cursor) => loop {
                    match cursor.next() {
                        Ok(Some(row)) => {
                            let rowid: i64 = row.get(0).unwrap_or(after.saturating_add(1));
                            let values =
                                (1..=columns.len()).map(|i| row.get(i).unwrap_or(Value::Null)).collect();
                            rows.push((rowid, values));
                            after = rowid;
                            fetched += 1;
                        }
                        Ok(None) => break false,
                        Err(_) => break true,
                    }
                },
            },
        };
        if !failed {
            if fetched < 200 {
                return (rows, gaps);
            }
            continue;
        }
        // Damage: find the next rowid that can be read, jumping further each time.
        let from = after.saturating_add(1).max(1);
        let mut step: i64 = 1;
        let next = loop {
            let at = from.saturating_add(step);
            match conn.query_row(&probe, [at], |r| r.get::<_, i64>(0)) {
                Ok(rowid) => break Some(rowid),
                Err(rusqlite::Error::QueryReturnedNoRows) => break None,
                Err(_) if step < 1 << 40 => step *= 2,
                Err(_) => break None,
            }
        };
        match next {
            Some(rowid) => {
                gaps.push((from, Some(rowid - 1)));
                after = rowid - 1;
            }
            None => {
                gaps.push((from, None));
                return (rows, gaps);
            }
        }
    }
}

fn range(from: i64, to: i64) -> String {
    if from == to { format!("第 {from} 条") } else { format!("第 {from}–{to} 条") }
}

/// Salvages what can be read of the damaged database at `damaged` into a new desk store at
/// `into` (which must not exist): every table row by row, skipping what cannot be read, then
/// every case's snapshot rebuilt from its journal. Cases whose journal lost records are listed
/// with the missing range; drafts among them are set aside.
pub fn salvage(damaged: &Path, into: &Path, at: DateTime<Utc>) -> Result<Salvage, StoreError> {
    let old = Connection::open_with_flags(damaged, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let kind = old
        .query_row("SELECT value FROM settings WHERE key = 'store_kind'", [], |r| r.get::<_, String>(0))
        .ok()
        .filter(|k| k == "drill")
        .map_or(StoreKind::Desk, |_| StoreKind::Drill);
    let mut store = Store::open(into, kind)?;
    store.conn.pragma_update(None, "foreign_keys", "OFF")?;
    let mut report = Salvage::default();
    let tables: Vec<String> = store
        .conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut bad_bodies: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for table in tables {
        let new_columns: Vec<String> = store
            .conn
            .prepare(&format!("PRAGMA table_info(\"{table}\")"))?
            .query_map([], |r| r.get(1))?
            .collect::<Result<_, _>>()?;
        let old_columns: BTreeSet<String> = old
            .prepare(&format!("PRAGMA table_info(\"{table}\")"))
            .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(1))?.collect())
            .unwrap_or_default();
        let columns: Vec<String> = new_columns.into_iter().filter(|c| old_columns.contains(c)).collect();
        if columns.is_empty() {
            report.lost.push(format!("表 {table} 无法读取"));
            continue;
        }
        let (rows, gaps) = readable_rows(&old, &table, &columns);
        // The case list's rows are rebuilt from the journals below; say so.
        let note =
            if table == "cases" { "（案件概要，有记录的案件已从记录重建）" } else { "" };
        for (from, to) in gaps {
            report.lost.push(match to {
                Some(to) => format!("表 {table} 第 {from}–{to} 行无法读取{note}"),
                None => format!("表 {table} 第 {from} 行起无法读取{note}"),
            });
        }
        let list = columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let marks = vec!["?"; columns.len()].join(", ");
        let tx = store.conn.transaction()?;
        let mut copied = 0;
        {
            let mut insert =
                tx.prepare(&format!("INSERT OR REPLACE INTO \"{table}\"({list}) VALUES ({marks})"))?;
            let body = columns.iter().position(|c| c == "body");
            let case_col = columns.iter().position(|c| c == "case_id");
            let seq_col = columns.iter().position(|c| c == "seq");
            for (_, values) in rows {
                // A journal record that no longer parses is left out and reported.
                if table == "case_events"
                    && let (Some(b), Some(c), Some(s)) = (body, case_col, seq_col)
                {
                    let parses =
                        matches!(&values[b], Value::Text(t) if serde_json::from_str::<CaseEvent>(t).is_ok());
                    if !parses {
                        if let (Value::Text(case), Value::Integer(seq)) = (&values[c], &values[s]) {
                            bad_bodies.entry(case.clone()).or_default().insert(*seq);
                        }
                        continue;
                    }
                }
                if insert.execute(params_from_iter(values.iter())).is_ok() {
                    copied += 1;
                }
            }
        }
        tx.commit()?;
        report.copied.insert(table, copied);
    }
    rebuild_cases(&mut store, &bad_bodies, &mut report, at)?;
    store.conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(report)
}

/// After a salvage: every case's snapshot from its journal; journals with gaps listed; cases
/// whose journal is gone entirely listed and dropped (a snapshot without a journal cannot open).
fn rebuild_cases(
    store: &mut Store,
    bad_bodies: &BTreeMap<String, BTreeSet<i64>>,
    report: &mut Salvage,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    type Names = (Option<String>, Option<String>, Option<String>);
    let mut snapshots: BTreeMap<String, Names> = BTreeMap::new();
    // What the snapshot said last: (updated_at, status), to notice records lost at a journal's end.
    let mut last_known: BTreeMap<String, (String, String)> = BTreeMap::new();
    {
        let mut stmt =
            store.conn.prepare("SELECT id, number, applicant_name, ticket, updated_at, status FROM cases")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?), (r.get(4)?, r.get(5)?)))
        })?;
        for row in rows {
            let (id, names, known) = row?;
            snapshots.insert(id.clone(), names);
            last_known.insert(id, known);
        }
    }
    let mut journals: BTreeMap<String, Vec<(i64, String, String)>> = BTreeMap::new();
    {
        let mut stmt =
            store.conn.prepare("SELECT case_id, seq, at, body FROM case_events ORDER BY case_id, seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        for row in rows {
            let (case_id, seq, at, body) = row?;
            journals.entry(case_id).or_default().push((seq, at, body));
        }
    }
    let name = |id: &str, case: Option<&Case>| {
        let (number, applicant, ticket) = snapshots.get(id).cloned().unwrap_or_default();
        let number = number.or_else(|| case.and_then(|c| c.number.clone()));
        let applicant = applicant.or_else(|| case.map(|c| c.field(Field::ApplicantName).to_string()));
        let mut label = number.unwrap_or_else(|| format!("草稿 {id}"));
        let extra: Vec<String> = [applicant.filter(|a| !a.is_empty()), ticket.map(|t| format!("排队号 {t}"))]
            .into_iter()
            .flatten()
            .collect();
        if !extra.is_empty() {
            label = format!("{label}（{}）", extra.join("，"));
        }
        label
    };
    let tx = store.conn.transaction()?;
    for (id, events) in &journals {
        let parsed: Vec<(i64, DateTime<Utc>, CaseEvent)> = events
            .iter()
            .filter_map(|(seq, at, body)| serde_json::from_str(body).ok().map(|e| (*seq, parse_ts(at), e)))
            .collect();
        let case = Case::from_events(parsed.iter().map(|(_, _, e)| e));
        let seqs: BTreeSet<i64> = parsed.iter().map(|(s, _, _)| *s).collect();
        let mut missing: Vec<String> = Vec::new();
        let mut expected = 1;
        for seq in &seqs {
            if *seq > expected {
                missing.push(range(expected, seq - 1));
            }
            expected = seq + 1;
        }
        for seq in bad_bodies.get(id).into_iter().flatten() {
            missing.push(format!("第 {seq} 条（无法解析）"));
        }
        // The snapshot was written with the last record: a later time, a number or a status the
        // surviving records do not give means records at the end are gone.
        if let Some((updated_at, status)) = last_known.get(id) {
            let numbered = snapshots.get(id).is_some_and(|s| s.0.is_some());
            let last = parsed.last().map(|(_, at, _)| super::ts(*at)).unwrap_or_default();
            if *updated_at > last || (numbered && case.number.is_none()) || *status != status_str(case.status)
            {
                missing.push(format!("第 {} 条起", expected));
            }
        }
        let last_at = parsed.last().map_or(at, |(_, at, _)| *at);
        let created = parsed.first().map_or(at, |(_, at, _)| *at);
        if !snapshots.contains_key(id) {
            tx.execute(
                "INSERT INTO cases(id, created_at, updated_at, status) VALUES (?1, ?2, ?2, ?3)",
                rusqlite::params![id, super::ts(created), status_str(Status::Draft)],
            )?;
        }
        update_snapshot(&tx, id, &case, last_at)?;
        if !missing.is_empty() {
            report.lost.push(format!("案件 {}：{}记录丢失", name(id, Some(&case)), missing.join("、")));
            if case.status == Status::Draft {
                tx.execute(
                    "UPDATE cases SET status = ?2 WHERE id = ?1",
                    rusqlite::params![id, status_str(Status::SetAside)],
                )?;
                report.set_aside.push(name(id, Some(&case)));
            }
        }
    }
    for id in snapshots.keys().filter(|id| !journals.contains_key(*id)) {
        report.lost.push(format!("案件 {}：全部记录丢失", name(id, None)));
        tx.execute("DELETE FROM cases WHERE id = ?1", [id])?;
    }
    tx.commit()?;
    store.cache.clear();
    Ok(())
}
