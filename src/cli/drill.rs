//! `yichuang drill check|report`: for trainers. `check` proves every scenario's expected decision is
//! what the intake rules give; `report` lists trainees' results from the drill database.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use crate::drill::{self, label};
use crate::kb::Kb;
use crate::store::{Store, StoreKind};

/// Drill subcommands.
#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// Every scenario's expected decision equals what the rules give (exit 1 listing mismatches).
    Check,
    /// Results per trainee and scenario.
    Report {
        /// Machine-readable output.
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

/// Runs a drill subcommand.
pub fn run(command: DrillCommand, kb: &Kb, data_dir: &Path) -> anyhow::Result<ExitCode> {
    match command {
        DrillCommand::Check => {
            let mismatches = drill::check_all(kb);
            for m in &mismatches {
                let computed = m.computed.map_or("（事项不存在）", label);
                println!("{}: 预期 {}，规则给出 {computed}", m.drill, label(m.expected));
            }
            if mismatches.is_empty() {
                println!("{} 个演练场景的预期决定均与受理规则一致", kb.drills.len());
                Ok(ExitCode::SUCCESS)
            } else {
                println!("{} 个场景不一致", mismatches.len());
                Ok(ExitCode::from(1))
            }
        }
        DrillCommand::Report { json } => {
            let store = open_store(data_dir)?;
            let results = store.drill_results()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&results)?);
            } else {
                for r in &results {
                    println!(
                        "{}\t{}\t{}\t{} 分\t{}",
                        r.trainee,
                        r.drill,
                        r.finished_at.format("%Y-%m-%d %H:%M"),
                        r.score,
                        r.missed.join("；")
                    );
                }
                println!("共 {} 次演练", results.len());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
