//! `yichuang kb check | search | show`: the knowledge base from the command line, for maintainers
//! and scripts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::kb::guide;
use crate::kb::search::SearchIndex;
use crate::kb::{Kb, KbSource, check};

/// `yichuang kb …`
#[derive(Debug, clap::Subcommand)]
pub enum KbCommand {
    /// Check a knowledge-base directory (default: the embedded copy); exit 1 on any problem.
    Check {
        /// Directory to check.
        dir: Option<PathBuf>,
    },
    /// Search items by Chinese name, pinyin, initials (gsdj), code or material name.
    Search {
        /// The query.
        query: String,
        /// How many results at most.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print an item's whole service guide.
    Show {
        /// Item code.
        code: String,
        /// Print the item as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `kb` subcommand; `kb_dir` is the global `--kb`.
pub fn run(command: KbCommand, kb_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    match command {
        KbCommand::Check { dir } => check(dir.or(kb_dir)),
        KbCommand::Search { query, limit, json } => {
            let kb = Kb::load(kb_dir.as_deref())?;
            let hits = SearchIndex::new(&kb.items).search(&query, limit);
            if json {
                let rows: Vec<_> = hits
                    .iter()
                    .map(|h| {
                        let item = &kb.items[h.index];
                        serde_json::json!({
                            "code": item.code, "name": item.name, "department": item.department,
                            "score": h.score, "matched": h.matched, "field": h.field,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if hits.is_empty() {
                println!("没有找到与 {query} 匹配的事项");
            } else {
                for h in &hits {
                    let item = &kb.items[h.index];
                    println!(
                        "{}\t{}\t{}\t({:?}: {})",
                        item.code, item.name, item.department, h.matched, h.field
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        KbCommand::Show { code, json } => {
            let kb = Kb::load(kb_dir.as_deref())?;
            let item = kb.item(&code).with_context(|| format!("没有编码为 {code} 的事项"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(item)?);
            } else {
                print!("{}", guide::plain(item));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let source = match &dir {
        Some(dir) => KbSource::from_dir(dir)?,
        None => KbSource::embedded(),
    };
    let (parsed, problems) = check::check(&source);
    for p in &problems {
        println!("{p}");
    }
    if problems.is_empty() {
        println!(
            "知识库 {} 检查通过：{} 个事项，{} 个日历年度，{} 张表单，{} 个演练",
            source.label,
            parsed.items.len(),
            parsed.calendars.len(),
            parsed.forms.len(),
            parsed.drills.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("发现 {} 个问题", problems.len());
        Ok(ExitCode::from(1))
    }
}
