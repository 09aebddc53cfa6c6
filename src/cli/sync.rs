//! `yichuang sync`: the desk's sync with HQ from the command line — one headless round
//! (`--once`, for scripts and support) or the worker in the foreground.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::sync::{self, HQ_CA, HQ_TOKEN, HQ_URL, SyncConfig, SyncWorker};

/// Flags of `yichuang sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Run one round (push, pull, KB download) and exit: 0 when HQ was reached, 1 when not.
    #[arg(long)]
    pub once: bool,
    /// HQ's address, e.g. https://hq.example:8443 (kept in the desk's settings).
    #[arg(long, value_name = "URL")]
    pub hq: Option<String>,
    /// This window's device token from `hq enroll` (kept in the desk's settings).
    #[arg(long)]
    pub token: Option<String>,
    /// CA certificate (PEM) that signed HQ's certificate (kept in the desk's settings).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Changes per push.
    #[arg(long, default_value_t = 200)]
    pub batch: usize,
}

/// Runs `yichuang sync` on the desk database in `data_dir`.
pub fn run(args: SyncArgs, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let mut store = super::desk::open_store(data_dir)?;
    if let Some(url) = &args.hq {
        store.set_setting(HQ_URL, url.trim_end_matches('/'))?;
    }
    if let Some(token) = &args.token {
        store.set_setting(HQ_TOKEN, token.trim())?;
    }
    if let Some(ca) = &args.ca {
        let ca = std::fs::canonicalize(ca)
            .map_err(|e| anyhow::anyhow!("无法读取 CA 证书 {}: {e}", ca.display()))?;
        store.set_setting(HQ_CA, &ca.display().to_string())?;
    }
    let Some(mut config) = SyncConfig::from_store(&store)? else {
        anyhow::bail!("尚未设置总部：请先运行 yichuang sync --hq URL --token 令牌");
    };
    config.batch = args.batch;
    if args.once {
        let client = config.client()?;
        return Ok(match sync::sync_once(&mut store, &client, config.batch) {
            Ok(r) => {
                println!(
                    "在线：推送 {} 条（新 {}，重复 {}，冲突 {}），拉取 {} 条，下载知识库 {} 个，待同步 {} 条",
                    r.applied + r.duplicate + r.conflict,
                    r.applied,
                    r.duplicate,
                    r.conflict,
                    r.pulled,
                    r.kb_downloaded,
                    store.outbox_count()?
                );
                let conflicts = store.outbox_conflicts()?;
                for (event, case, message) in &conflicts {
                    eprintln!("冲突: 案件 {case} 变更 {event}: {message}");
                }
                ExitCode::SUCCESS
            }
            // Only a network failure is 离线; a refused token or a protocol error needs a person.
            Err(e) if e.is_transient() => {
                eprintln!("离线：{e}（{} 条待同步，下次联网时发送）", store.outbox_count()?);
                ExitCode::from(1)
            }
            Err(e) => {
                eprintln!("同步失败：{e}（{} 条待同步）", store.outbox_count()?);
                ExitCode::from(1)
            }
        });
    }
    drop(store);
    let db = data_dir.join("desk.sqlite3");
    let worker = SyncWorker::spawn(&db, config, |status| println!("{}", status.summary()))?;
    eprintln!("同步进行中（Ctrl-C 结束）");
    loop {
        std::thread::park();
        let _ = worker.status();
    }
}
