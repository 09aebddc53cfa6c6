//! `yichuang kb check | search | show`: the knowledge base from the command line, for maintainers
//! and scripts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::kb::guide;
use crate::kb::import::{self, Outcome};
use crate::kb::search::SearchIndex;
use crate::kb::{Kb, KbSource, check};

/// `yichuang kb …`
#[derive(Debug, clap::Subcommand)]
pub enum KbCommand {
    /// Check a knowledge-base directory (default: the embedded copy); exit 1 on any problem.
    Check {
        /// Directory to check.
        dir: Option<PathBuf>,
        /// Accept draft items (待审核): list what each lacks but pass when nothing else is wrong.
        /// Without it a KB holding drafts fails, so it is never embedded or published.
        #[arg(long)]
        drafts: bool,
    },
    /// Import the official catalogue (exchange tables up_task_general_basic and
    /// up_task_general_material, CSV or JSON lines) into draft items; a re-import updates the
    /// official fields of existing items and lists each change.
    Import {
        /// The up_task_general_basic table (.csv or .jsonl).
        basic: PathBuf,
        /// The up_task_general_material table (.csv or .jsonl).
        material: PathBuf,
        /// The knowledge-base directory to write into (items/ below it); default: the global --kb.
        #[arg(long)]
        into: Option<PathBuf>,
        /// Only report what would be written.
        #[arg(long)]
        dry_run: bool,
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
    /// Print an item's whole service guide, or a bundle (一件事) with its union checklist.
    Show {
        /// Item code, or a bundle's id or name (`企业开办`).
        code: String,
        /// Print the item as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `kb` subcommand; `kb_dir` is the global `--kb`.
pub fn run(command: KbCommand, kb_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    match command {
        KbCommand::Check { dir, drafts } => check(dir.or(kb_dir), drafts),
        KbCommand::Import { basic, material, into, dry_run } => {
            let kb = into.or(kb_dir).context("须用 --into DIR（或全局 --kb DIR）指明写入哪个知识库目录")?;
            import(&import::Options { basic, material, kb, dry_run })
        }
        KbCommand::Search { query, limit, json } => {
            let kb = Kb::load(kb_dir.as_deref())?;
            let hits = SearchIndex::with_bundles(&kb.items, &kb.bundles).search(&query, limit);
            // (code, name, department) of a hit; a bundle's "department" says what it is.
            let row = |h: &crate::kb::search::Hit| -> Option<(String, String, String)> {
                if h.bundle {
                    let b = kb.bundles.get(h.index)?;
                    Some((b.id.clone(), b.name.clone(), format!("一件事（{} 个事项）", b.items.len())))
                } else {
                    let i = kb.items.get(h.index)?;
                    Some((i.code.clone(), i.name.clone(), i.department.clone()))
                }
            };
            if json {
                let rows: Vec<_> = hits
                    .iter()
                    .filter_map(|h| {
                        let (code, name, department) = row(h)?;
                        Some(serde_json::json!({
                            "code": code, "name": name, "department": department, "bundle": h.bundle,
                            "score": h.score, "matched": h.matched, "field": h.field,
                        }))
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if hits.is_empty() {
                println!("没有找到与 {query} 匹配的事项");
            } else {
                for h in &hits {
                    if let Some((code, name, department)) = row(h) {
                        println!("{code}\t{name}\t{department}\t({:?}: {})", h.matched, h.field);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        KbCommand::Show { code, json } => {
            let kb = Kb::load(kb_dir.as_deref())?;
            if kb.item(&code).is_none()
                && let Some(bundle) = kb.bundle(&code)
            {
                if json {
                    println!("{}", serde_json::to_string_pretty(bundle)?);
                } else {
                    for line in crate::intake::bundle::guide(&kb, bundle) {
                        println!("{line}");
                    }
                }
                return Ok(ExitCode::SUCCESS);
            }
            let item = kb.item(&code).with_context(|| format!("没有编码为 {code} 的事项或一件事"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(item)?);
            } else {
                print!("{}", guide::plain(item));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(dir: Option<PathBuf>, drafts_allowed: bool) -> anyhow::Result<ExitCode> {
    let source = match &dir {
        Some(dir) => KbSource::from_dir(dir)?,
        None => KbSource::embedded(),
    };
    let (parsed, problems) = check::check(&source);
    let mut lines: Vec<&check::Problem> = problems.iter().chain(&parsed.review_gaps).collect();
    lines.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    for p in &lines {
        println!("{p}");
    }
    let drafts = parsed.drafts();
    let draft_note = if drafts > 0 { format!("（其中 {drafts} 个待审核）") } else { String::new() };
    if problems.is_empty() && (drafts == 0 || drafts_allowed) {
        println!(
            "知识库 {} 检查通过：{} 个事项{draft_note}，{} 个日历年度，{} 张表单，{} 个演练，{} 个一件事",
            source.label,
            parsed.items.len(),
            parsed.calendars.len(),
            parsed.forms.len(),
            parsed.drills.len(),
            parsed.bundles.len()
        );
        if drafts > 0 {
            println!("有待审核的事项：审核完成前不能发布或嵌入（不加 --drafts 时检查不通过）");
        }
        Ok(ExitCode::SUCCESS)
    } else {
        let mut summary = format!("发现 {} 个问题", problems.len());
        if drafts > 0 {
            summary.push_str(&format!(
                "；{drafts} 个待审核事项尚缺 {} 项{}",
                parsed.review_gaps.len(),
                if drafts_allowed {
                    ""
                } else {
                    "（待审核的事项不能发布或嵌入；审核中检查请加 --drafts）"
                }
            ));
        }
        println!("{summary}");
        Ok(ExitCode::from(1))
    }
}

fn import(options: &import::Options) -> anyhow::Result<ExitCode> {
    let report = import::run(options);
    for r in &report.read {
        println!("读取 {r}");
    }
    for m in &report.messages {
        eprintln!("{m}");
    }
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    for item in &report.items {
        match &item.outcome {
            Outcome::Created => {
                created += 1;
                println!("新增 {} {}（待审核）→ {}", item.code, item.name, item.path);
            }
            Outcome::Updated(changes) => {
                updated += 1;
                println!("更新 {} {} → {}", item.code, item.name, item.path);
                for c in changes {
                    println!("    {c}");
                }
            }
            Outcome::Unchanged(notes) => {
                unchanged += 1;
                if !notes.is_empty() {
                    println!("未变 {} {}", item.code, item.name);
                    for c in notes {
                        println!("    {c}");
                    }
                }
            }
        }
    }
    for m in &report.missing {
        println!("目录中已没有 {m}：未改动，请审核是否停用");
    }
    let errors = report.messages.iter().filter(|m| m.severity == import::Severity::Error).count();
    let warnings = report.messages.len() - errors;
    let verb = if options.dry_run { "将" } else { "已" };
    println!(
        "{verb}新增 {created} 个、更新 {updated} 个、未变 {unchanged} 个事项；{errors} 个错误（相关事项未导入），{warnings} 个提示"
    );
    if created + updated > 0 && !options.dry_run {
        println!("下一步：yichuang kb check {} --drafts 列出每个待审核事项尚缺的内容", options.kb.display());
    }
    Ok(if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
