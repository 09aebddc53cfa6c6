//! The command line: clap definitions and dispatch to each part (desk, kb, precheck).

mod precheck;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::kb::{Kb, KbSource, check};

/// 一窗 yichuang — workstation for the combined service window (综合窗口).
#[derive(Debug, Parser)]
#[command(name = "yichuang", version, about, long_about = None)]
pub struct Cli {
    /// Load the knowledge base from this directory instead of the embedded copy (知识库目录).
    #[arg(long, global = true, value_name = "DIR")]
    pub kb: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The parts of yichuang.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Knowledge base: check, search, show (知识库).
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Headless intake decision for an item and material states (预审).
    Precheck(precheck::PrecheckArgs),
}

/// `yichuang kb …`
#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Check a knowledge-base directory (default: the embedded copy); exit 1 on any problem.
    Check {
        /// Directory to check.
        dir: Option<PathBuf>,
    },
}

/// Parses the command line, runs the part, and turns errors into a message and exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Kb { command: KbCommand::Check { dir } }) => kb_check(dir.or(cli.kb)),
        Some(Command::Precheck(args)) => {
            precheck::run(&Kb::load(cli.kb.as_deref())?, args)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let kb = Kb::load(cli.kb.as_deref())?;
            println!("{} items", kb.items.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn kb_check(dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
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
            "知识库 {} 检查通过：{} 个事项，{} 个日历年度",
            source.label,
            parsed.items.len(),
            parsed.calendars.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("发现 {} 个问题", problems.len());
        Ok(ExitCode::from(1))
    }
}
