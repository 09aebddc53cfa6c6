//! The command line: clap definitions and dispatch to each part (desk, kb, precheck).

mod case;
mod console;
pub mod desk;
pub mod desklog;
mod doctor;
pub mod drill;
mod hq;
mod kb;
mod precheck;
mod precheck_bundle;
pub mod signin;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::kb::Kb;

/// 一窗 yichuang — workstation for the combined service window (综合窗口).
#[derive(Debug, Parser)]
#[command(name = "yichuang", version, about, long_about = None)]
pub struct Cli {
    /// Load the knowledge base from this directory instead of the embedded copy (知识库目录).
    #[arg(long, global = true, value_name = "DIR")]
    pub kb: Option<PathBuf>,
    /// Where the desk keeps its database and printed notices (default: the user data dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The hall's time zone, e.g. `Asia/Shanghai` (the default): dates of deadlines, notices and
    /// case numbers, and the times on screen. The desk keeps it in its store; HQ also reads `zone`
    /// from its `--config`.
    #[arg(long, global = true, value_name = "ZONE")]
    pub zone: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The parts of yichuang.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The clerk's desk (default when no command is given).
    Desk(desk::DeskArgs),
    /// Cases in the local store, for scripts and support (案件).
    Case {
        #[command(flatten)]
        signin: signin::SignInArgs,
        #[command(subcommand)]
        command: case::CaseCommand,
    },
    /// Knowledge base: check, search, show (知识库).
    Kb {
        #[command(subcommand)]
        command: kb::KbCommand,
    },
    /// Headless intake decision for an item and material states (预审).
    Precheck(precheck::PrecheckArgs),
    /// Drills for trainers: check answer keys, list scenarios, report results (演练).
    Drill {
        #[command(subcommand)]
        command: drill::DrillCommand,
    },
    /// Headquarters: serve, enroll devices, publish a KB (总部).
    Hq {
        #[command(subcommand)]
        command: hq::HqCommand,
    },
    /// The back-office approver's console (后台审批台).
    Console(console::ConsoleArgs),
    /// Sync the desk's cases with HQ (同步).
    Sync {
        #[command(flatten)]
        signin: signin::SignInArgs,
        #[command(flatten)]
        args: sync::SyncArgs,
    },
    /// Check the desk's store; back up and salvage a damaged one, listing what was lost (检修).
    Doctor {
        #[command(flatten)]
        signin: signin::SignInArgs,
        #[command(flatten)]
        args: doctor::DoctorArgs,
    },
}

/// The hall zone given with `--zone`, if any (the desk's store keeps it for later runs).
static ZONE_FLAG: std::sync::OnceLock<crate::time::HallZone> = std::sync::OnceLock::new();

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
    let data_dir = cli.data_dir.clone().unwrap_or_else(desk::default_data_dir);
    let zone =
        cli.zone.as_deref().map(crate::time::HallZone::parse).transpose().map_err(anyhow::Error::msg)?;
    if let Some(zone) = zone {
        crate::time::set_hall_zone(zone);
        let _ = ZONE_FLAG.set(zone);
    }
    match cli.command {
        Some(Command::Kb { command }) => kb::run(command, cli.kb),
        Some(Command::Precheck(args)) => {
            precheck::run(&Kb::load(cli.kb.as_deref())?, args)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Case { signin: who, command }) => {
            desklog::init(&data_dir);
            signin::sign_in(&data_dir, &who)?;
            case::run(command, &Kb::load(cli.kb.as_deref())?, &data_dir)
        }
        Some(Command::Drill { command }) => drill::run(command, &Kb::load(cli.kb.as_deref())?, &data_dir),
        Some(Command::Hq { command }) => hq::run(command, zone),
        Some(Command::Console(args)) => {
            console::run(args)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Sync { signin: who, args }) => {
            desklog::init(&data_dir);
            signin::sign_in(&data_dir, &who)?;
            sync::run(args, &data_dir)
        }
        Some(Command::Doctor { signin: who, args }) => {
            // `--db` on another file (a backup) is opened with the desk's key too.
            desklog::init(&data_dir);
            signin::sign_in(&data_dir, &who)?;
            doctor::run(&args, &data_dir)
        }
        Some(Command::Desk(args)) => {
            desklog::init(&data_dir);
            desk::run(Kb::load(cli.kb.as_deref())?, cli.kb.is_some(), &data_dir, &args)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            desklog::init(&data_dir);
            desk::run(Kb::load(cli.kb.as_deref())?, cli.kb.is_some(), &data_dir, &desk::DeskArgs::default())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
