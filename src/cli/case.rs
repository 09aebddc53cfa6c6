//! `yichuang case list|show [--json]`: the local store's cases for scripts and support. Lists mask
//! ID numbers; `show` prints the whole case and its journal.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use crate::intake::validate::mask_id;
use crate::kb::Kb;

/// Case subcommands.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Cases matching a query (number, name, ID number, item code or item name), newest first.
    List {
        /// Search text; empty lists recent cases.
        #[arg(default_value = "")]
        query: String,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// One case by number or id, with its journal.
    Show {
        /// Case number (HRBDL-05-20261128-0001) or local id.
        case: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a case subcommand against the desk store in `data_dir`.
pub fn run(command: CaseCommand, kb: &Kb, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let mut store = super::desk::open_store(data_dir)?;
    match command {
        CaseCommand::List { query, limit, json } => {
            let mut rows = store.list(&query, &kb.codes_named(&query), limit)?;
            for row in &mut rows {
                row.id_number = row.id_number.as_deref().map(mask_id);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        r.number.as_deref().unwrap_or("-"),
                        crate::time::show(r.created_at, "%Y-%m-%d %H:%M"),
                        r.item_code.as_deref().unwrap_or("-"),
                        r.applicant_name.as_deref().unwrap_or("-"),
                        r.id_number.as_deref().unwrap_or("-"),
                        r.status.label(),
                    );
                }
                println!("共 {} 件", rows.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Show { case, json } => {
            let Some(id) = store.find(&case)? else {
                eprintln!("没有案件 {case}");
                return Ok(ExitCode::from(1));
            };
            let snapshot = store.load(&id)?;
            let events = store.events(&id)?;
            if json {
                let journal: Vec<_> = events
                    .iter()
                    .map(|(seq, at, event)| serde_json::json!({ "seq": seq, "at": at, "event": event }))
                    .collect();
                let out = serde_json::json!({ "id": id, "case": snapshot, "journal": journal });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("案件 {} ({id})", snapshot.number.as_deref().unwrap_or("办理中"));
                println!("状态 {}", snapshot.status.label());
                for (seq, at, event) in events {
                    println!(
                        "{seq:>4} {} {}",
                        crate::time::show(at, "%Y-%m-%d %H:%M:%S"),
                        serde_json::to_string(&event)?
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
