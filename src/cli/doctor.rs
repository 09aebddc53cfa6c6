//! `yichuang doctor`: checks the desk's store, and when it is damaged backs it up byte for byte,
//! salvages every readable row into a new store that replaces it, and lists what was lost (cases
//! and journal ranges). Exit 0: sound; 1: damage found (salvaged, see the list); 2: error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::store;

/// Options of `doctor`.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// The database to check (default: the desk's `desk.sqlite3` in the data directory).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
}

/// Journal records whose body no longer parses, as (case id, seq), in a sound SQLite file.
fn unreadable_records(path: &Path) -> anyhow::Result<Vec<(String, i64)>> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare("SELECT case_id, seq, body FROM case_events ORDER BY case_id, seq")?;
    let rows =
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))?;
    let mut bad = Vec::new();
    for row in rows {
        let (case, seq, body) = row?;
        if serde_json::from_str::<crate::intake::case::CaseEvent>(&body).is_err() {
            bad.push((case, seq));
        }
    }
    Ok(bad)
}

/// Runs the check and, on damage, the salvage.
pub fn run(args: &DoctorArgs, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let path = args.db.clone().unwrap_or_else(|| data_dir.join("desk.sqlite3"));
    anyhow::ensure!(path.exists(), "没有数据库 {}", path.display());
    let now = crate::time::now();
    println!("检查 {}", path.display());
    let problems = store::check_file(&path)?;
    let bad_records = if problems.is_empty() { unreadable_records(&path)? } else { Vec::new() };
    if problems.is_empty() && bad_records.is_empty() {
        println!("数据库完好：PRAGMA quick_check 通过，全部记录可读取");
        return Ok(ExitCode::SUCCESS);
    }
    for p in problems.iter().take(20) {
        println!("  quick_check: {p}");
    }
    if problems.len() > 20 {
        println!("  …… 共 {} 处问题", problems.len());
    }
    for (case, seq) in &bad_records {
        println!("  案件 {case} 第 {seq} 条记录无法解析");
    }
    let copy = store::copy_aside(&path, "damaged", now)
        .map_err(|e| anyhow::anyhow!("无法备份 {}: {e}（未做任何改动）", path.display()))?;
    println!("已原样备份到 {}", copy.display());
    let salvaged = PathBuf::from(format!("{}.salvage-{}", path.display(), now.format("%Y%m%dT%H%M%S")));
    let report = store::salvage(&path, &salvaged, now)
        .map_err(|e| anyhow::anyhow!("抢救失败: {e}（原数据库未改动，备份在 {}）", copy.display()))?;
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file).map_err(|e| anyhow::anyhow!("无法移走 {}: {e}", file.display()))?;
        }
    }
    std::fs::rename(&salvaged, &path)
        .map_err(|e| anyhow::anyhow!("无法把 {} 换为 {}: {e}", salvaged.display(), path.display()))?;
    let copied: Vec<String> = report.copied.iter().map(|(t, n)| format!("{t} {n} 行")).collect();
    println!("已抢救到新数据库并替换 {}：{}", path.display(), copied.join("，"));
    if report.lost.is_empty() {
        println!("没有丢失数据");
    } else {
        println!("丢失（共 {} 项）：", report.lost.len());
        for line in &report.lost {
            println!("  {line}");
        }
    }
    for name in &report.set_aside {
        println!("已搁置草稿 {name}：记录不全，请与申请人核对后重新受理");
    }
    Ok(ExitCode::from(1))
}
