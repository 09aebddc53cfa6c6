//! The command line: clap definitions and dispatch to each part (desk, kb, precheck).

mod drill;
mod kb;
mod precheck;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::kb::Kb;

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
    /// The clerk's desk (default when no command is given).
    Desk,
    /// Knowledge base: check, search, show (知识库).
    Kb {
        #[command(subcommand)]
        command: kb::KbCommand,
    },
    /// Headless intake decision for an item and material states (预审).
    Precheck(precheck::PrecheckArgs),
    /// Training scenarios: check answer keys, list (演练).
    Drill {
        #[command(subcommand)]
        command: drill::DrillCommand,
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
        Some(Command::Kb { command }) => kb::run(command, cli.kb),
        Some(Command::Precheck(args)) => {
            precheck::run(&Kb::load(cli.kb.as_deref())?, args)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Drill { command }) => drill::run(command, &Kb::load(cli.kb.as_deref())?),
        Some(Command::Desk) | None => {
            let kb = Kb::load(cli.kb.as_deref())?;
            crate::tui::run(Arc::new(kb))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
