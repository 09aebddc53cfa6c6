//! `yichuang console --hq URL --token T`: the back-office approver's console.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::sync::HqClient;

/// Flags of `yichuang console`.
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// HQ's address, e.g. https://hq.example:8443.
    #[arg(long, value_name = "URL")]
    pub hq: String,
    /// The approver's device token from `hq enroll --role approver --department D`.
    #[arg(long)]
    pub token: String,
    /// CA certificate (PEM) that signed HQ's certificate.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

/// Runs the console.
pub fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let client = HqClient::new(
        args.hq.trim_end_matches('/'),
        args.token.trim(),
        args.ca.as_deref(),
        Duration::from_secs(10),
    )?;
    crate::console::run(client)
}
