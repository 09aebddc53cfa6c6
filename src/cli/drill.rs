//! `yichuang drill check | list`: training scenarios (演练) from the command line, for trainers and CI.

use std::process::ExitCode;

use crate::kb::Kb;

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
}

/// Runs a `drill` subcommand on a loaded knowledge base.
pub fn run(command: DrillCommand, kb: &Kb) -> anyhow::Result<ExitCode> {
    match command {
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
            Some(item) => drill.verify(item, &kb.calendar),
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
