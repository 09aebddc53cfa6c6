//! `yichuang drill check | list | report`: training scenarios (演练) from the command line, for
//! trainers and CI; `report` lists trainees' results from the drill database.

use std::path::Path;
use std::process::ExitCode;

use crate::kb::Kb;
use crate::store::{Store, StoreKind};

/// `yichuang drill …`
#[derive(Debug, clap::Subcommand)]
pub enum DrillCommand {
    /// Recompute every scenario's answer key with the intake rules; exit 1 on any mismatch.
    Check,
    /// List the scenarios: id, item, expected decision, title.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Results per trainee and scenario, from the drill database.
    Report {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The drill database in `data_dir` (never the desk's).
pub fn open_store(data_dir: &Path) -> anyhow::Result<Store> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| anyhow::anyhow!("无法创建数据目录 {}: {e}", data_dir.display()))?;
    Ok(Store::open(&data_dir.join("drill.sqlite3"), StoreKind::Drill)?)
}

/// Runs a `drill` subcommand on a loaded knowledge base.
pub fn run(command: DrillCommand, kb: &Kb, data_dir: &Path) -> anyhow::Result<ExitCode> {
    match command {
        DrillCommand::Report { json } => {
            let results = open_store(data_dir)?.drill_results()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&results)?);
            } else {
                for r in &results {
                    let when = crate::time::show(r.finished_at, "%Y-%m-%d %H:%M");
                    println!("{}\t{}\t{when}\t{} 分\t{}", r.trainee, r.drill, r.score, r.missed.join("；"));
                }
                println!("共 {} 次演练", results.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        DrillCommand::Check => Ok(check(kb)),
        DrillCommand::List { json } => {
            if json {
                println!("{}", serde_json::to_string_pretty(&kb.drills)?);
            } else {
                for d in &kb.drills {
                    println!("{}\t{}\t{}\t{}", d.id, d.item, d.expected.decision.label(), d.title);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(kb: &Kb) -> ExitCode {
    let mut failed = 0;
    for drill in &kb.drills {
        // `kb check` has already refused drills naming unknown items; stay total anyway.
        let mismatches = match kb.item(&drill.item) {
            Some(item) => crate::drill::verify::verify(drill, item, &kb.calendar),
            None => vec![format!("没有编码为 {} 的事项", drill.item)],
        };
        if !mismatches.is_empty() {
            failed += 1;
            for m in mismatches {
                println!("drills/{}.toml: {}", drill.id, m);
            }
        }
    }
    if failed == 0 {
        println!("{} 个演练的答案与规则一致", kb.drills.len());
        ExitCode::SUCCESS
    } else {
        println!("{failed} 个演练的答案与规则不一致（共 {} 个）", kb.drills.len());
        ExitCode::from(1)
    }
}
