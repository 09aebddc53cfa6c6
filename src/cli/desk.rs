//! `yichuang desk`: opens the clerk's desk on the local store, after first-run set-up.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use crate::intake::rules::CenterLevel;
use crate::kb::Kb;
use crate::print::PrintConfig;
use crate::store::{Store, StoreKind};
use crate::tui::effects::{self, DeskConfig};

/// Options of the desk.
#[derive(Debug, Clone, Default, Args)]
pub struct DeskArgs {
    /// Center id (part of case numbers); kept after the first run.
    #[arg(long)]
    pub center: Option<String>,
    /// The center's name as printed on notices.
    #[arg(long)]
    pub center_name: Option<String>,
    /// Window id (part of case numbers); kept after the first run.
    #[arg(long)]
    pub window: Option<String>,
    /// The clerk's name as printed on notices and agency forms (受理人, 受托代办人); kept.
    #[arg(long)]
    pub clerk: Option<String>,
    /// District or community center (decides which items are handled here).
    #[arg(long, value_enum)]
    pub level: Option<CenterLevel>,
    /// Print command; the PDF's path is appended (e.g. `lp -d hall`). Kept after the first use;
    /// `--print-command ''` turns printing off (files only).
    #[arg(long)]
    pub print_command: Option<String>,
    /// Drill mode (演练): a scenario id from knowledge-base/drills/, or `all`; uses the drill
    /// database, which never syncs.
    #[arg(long, num_args = 0..=1, default_missing_value = "all", value_name = "SCENARIO")]
    pub drill: Option<String>,
    /// HQ's address (kept; the desk syncs with HQ in the background once address and token are set).
    #[arg(long, value_name = "URL")]
    pub hq: Option<String>,
    /// The applicant's progress page at HQ as printed on the 受理通知书 with the query code and
    /// as a QR code, e.g. `https://zwfw.example.cn/lookup` (kept; `--lookup-url ''` stops printing it).
    #[arg(long, value_name = "URL")]
    pub lookup_url: Option<String>,
    /// This window's device token from `hq enroll` (kept).
    #[arg(long)]
    pub token: Option<String>,
    /// The trainee's name, recorded with drill scores.
    #[arg(long, default_value = "学员")]
    pub trainee: String,
    /// A second directory (another disk, a USB stick, a share) the desk backs its store up to on a
    /// schedule with SQLite's online backup; kept. `--backup-dir ''` turns backups off.
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<String>,
    /// Minutes between backups (default 30); kept.
    #[arg(long, value_name = "MINUTES", value_parser = clap::value_parser!(u32).range(1..))]
    pub backup_every: Option<u32>,
    /// Minutes without input before the signed-in desk locks (default 10); kept.
    #[arg(long, value_name = "MINUTES", value_parser = clap::value_parser!(u32).range(1..))]
    pub lock_after: Option<u32>,
    /// Who signs in (the desk prompts for the PIN unless `--pin-stdin`).
    #[command(flatten)]
    pub signin: super::signin::SignInArgs,
    /// Desk administration (clerks).
    #[command(subcommand)]
    pub command: Option<DeskCommand>,
}

/// Desk administration.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum DeskCommand {
    /// Clerks who may sign in at this desk (工作人员).
    Clerk {
        #[command(subcommand)]
        command: ClerkCommand,
    },
}

/// `yichuang desk clerk …`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ClerkCommand {
    /// Sets a clerk's PIN at this desk (a desk without HQ). Once the store is encrypted, an
    /// enrolled clerk signs in first with `--by` (their PIN is read before the new one).
    Set {
        /// The clerk's name, as printed on notices.
        #[arg(long)]
        name: String,
        /// An enrolled clerk who opens the store for this change.
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        /// `clerk` (default) or `supervisor` (also approves exceptions at the window).
        #[arg(long, default_value = "clerk", value_parser = ["clerk", "supervisor"])]
        role: String,
    },
    /// After a PIN change at HQ, re-seals the clerk's store key: reads the old PIN, then the new.
    Rewrap {
        /// The clerk's name.
        #[arg(long)]
        name: String,
    },
    /// Lists the clerks known at this desk and whether each can open the store.
    List,
}

/// Runs `yichuang desk clerk …`.
pub fn run_clerk(data_dir: &Path, command: &ClerkCommand, pin_stdin: bool) -> anyhow::Result<()> {
    use crate::store::clerks::{self, Clerks, Credential};
    std::fs::create_dir_all(data_dir)
        .map_err(|e| anyhow::anyhow!("无法创建数据目录 {}: {e}", data_dir.display()))?;
    let mut list = Clerks::load(data_dir)?;
    match command {
        ClerkCommand::Set { name, by, role } => {
            let name = name.trim();
            anyhow::ensure!(!name.is_empty(), "姓名不能为空");
            let key = if list.wraps.is_empty() {
                None
            } else {
                let by = by.as_deref().ok_or_else(|| {
                    anyhow::anyhow!("本窗口的数据库已加密：请用 --by 指明一位已登记的工作人员先登录")
                })?;
                let pin = super::signin::read_pin(&format!("{by} 的 PIN："), pin_stdin)?;
                let (signed, _) = list.sign_in(by, &pin, None)?;
                Some(signed.key)
            };
            let pin = super::signin::read_pin(&format!("{name} 的新 PIN："), pin_stdin)?;
            if !pin_stdin {
                let again = super::signin::read_pin("再输入一次：", false)?;
                anyhow::ensure!(again == pin, "两次输入的 PIN 不一致");
            }
            let role = clerks::ClerkRole::parse(role).unwrap_or_default();
            list.set_credential(Credential::new(name, &pin, role, "desk")?);
            if let Some(key) = key {
                list.set_wrap(clerks::wrap(&key, name, &pin)?);
                list.seal_pending(&key)?;
            }
            list.save(data_dir)?;
            println!("已设置 {name} 的 PIN（{}）", Clerks::path(data_dir).display());
        }
        ClerkCommand::Rewrap { name } => {
            let old = super::signin::read_pin(&format!("{name} 的原 PIN："), pin_stdin)?;
            let new = super::signin::read_pin(&format!("{name} 的新 PIN："), pin_stdin)?;
            list.rewrap(name, &old, &new)?;
            list.save(data_dir)?;
            println!("已用新 PIN 重新封装 {name} 的数据密钥");
        }
        ClerkCommand::List => {
            for c in &list.credentials {
                let key = if list.wraps.iter().any(|w| w.name == c.name) {
                    "可开启数据库"
                } else if list.seals.iter().any(|s| s.name == c.name) {
                    "首次登录即可开启数据库"
                } else {
                    "尚未在本窗口登录"
                };
                let key = if c.revoked { "已撤销" } else { key };
                println!("{}\t{}\t{}\t设于 {}\t{key}", c.name, c.role.label(), c.source, c.set_at);
            }
        }
    }
    Ok(())
}

/// Setting keys of the scheduled backup.
const BACKUP_DIR: &str = "backup_dir";
const BACKUP_MINUTES: &str = "backup_minutes";

/// Minutes between backups when not set.
pub const DEFAULT_BACKUP_MINUTES: u32 = 30;

/// The scheduled backup (directory, interval) from the flags and the store's settings, if on.
pub fn backup_config(
    store: &Store,
    args: &DeskArgs,
) -> anyhow::Result<Option<(PathBuf, std::time::Duration)>> {
    if let Some(dir) = &args.backup_dir {
        store.set_setting(BACKUP_DIR, dir.trim())?;
    }
    if let Some(minutes) = args.backup_every {
        store.set_setting(BACKUP_MINUTES, &minutes.to_string())?;
    }
    let Some(dir) = store.setting(BACKUP_DIR)?.filter(|d| !d.is_empty()) else { return Ok(None) };
    let minutes = store
        .setting(BACKUP_MINUTES)?
        .and_then(|m| m.parse::<u32>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(DEFAULT_BACKUP_MINUTES);
    Ok(Some((PathBuf::from(dir), std::time::Duration::from_secs(u64::from(minutes) * 60))))
}

/// Refuses to open a damaged store: `PRAGMA quick_check` first; on damage the file is copied
/// aside untouched and the clerk is told to run `yichuang doctor`, so no new case is ever written
/// into a malformed database.
fn refuse_damaged(path: &Path) -> anyhow::Result<()> {
    let problems = crate::store::check_file(path)?;
    if problems.is_empty() {
        return Ok(());
    }
    let copy = crate::store::copy_aside(path, "damaged", crate::time::now())
        .map(|p| format!("已原样复制到 {}", p.display()))
        .unwrap_or_else(|e| format!("无法复制（{e}）"));
    anyhow::bail!(
        "本地数据库 {} 已损坏（PRAGMA quick_check：{}）。{copy}。请运行 `yichuang doctor` 检查并抢救后再启动窗口",
        path.display(),
        problems.iter().take(3).cloned().collect::<Vec<_>>().join("；")
    )
}

/// The default data directory: the user's data dir, e.g. `~/.local/share/yichuang`.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("yichuang")
}

/// The desk database in `data_dir`, created if needed.
pub fn open_store(data_dir: &Path) -> anyhow::Result<Store> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| anyhow::anyhow!("无法创建数据目录 {}: {e}", data_dir.display()))?;
    let store = Store::open(&data_dir.join("desk.sqlite3"), StoreKind::Desk)?;
    keep_zone(&store)?;
    Ok(store)
}

/// Setting that names the hall's time zone (src/time.rs).
const HALL_ZONE: &str = "hall_zone";

/// `--zone` is kept in the store; without it, the kept zone applies (default Asia/Shanghai).
pub(super) fn keep_zone(store: &Store) -> anyhow::Result<()> {
    match super::ZONE_FLAG.get() {
        Some(zone) => store.set_setting(HALL_ZONE, zone.name)?,
        None => {
            if let Some(name) = store.setting(HALL_ZONE)? {
                let zone = crate::time::HallZone::parse(&name)
                    .map_err(|e| anyhow::anyhow!("本地数据库中的时区设置有误: {e}"))?;
                crate::time::set_hall_zone(zone);
            }
        }
    }
    Ok(())
}

/// Merges the flags into the stored configuration; `None` when set-up is still needed.
fn config(store: &Store, args: &DeskArgs) -> anyhow::Result<Option<DeskConfig>> {
    let stored = effects::load_config(store)?;
    let center = args.center.clone().or_else(|| stored.as_ref().map(|c| c.center.clone()));
    let window = args.window.clone().or_else(|| stored.as_ref().map(|c| c.window.clone()));
    let (Some(center), Some(window)) = (center, window) else { return Ok(None) };
    let config = DeskConfig {
        center_name: args
            .center_name
            .clone()
            .or_else(|| stored.as_ref().map(|c| c.center_name.clone()))
            .unwrap_or_else(|| center.clone()),
        level: args.level.or_else(|| stored.as_ref().map(|c| c.level)).unwrap_or_default(),
        clerk: args.clerk.clone().or_else(|| stored.as_ref().map(|c| c.clerk.clone())).unwrap_or_default(),
        lookup_url: match &args.lookup_url {
            Some(url) => Some(url.trim().to_string()).filter(|u| !u.is_empty()),
            None => stored.as_ref().and_then(|c| c.lookup_url.clone()),
        },
        center,
        window,
    };
    if stored.as_ref() != Some(&config) {
        effects::save_config(store, &config)?;
    }
    Ok(Some(config))
}

/// Where notices go and which command prints them (kept in the store's settings).
pub fn print_config(store: &Store, data_dir: &Path, args: &DeskArgs) -> anyhow::Result<PrintConfig> {
    if let Some(command) = &args.print_command {
        store.set_setting("print_command", command)?;
    }
    let mut config = PrintConfig::files(data_dir.join("notices"));
    config.command = store.setting("print_command")?.filter(|c| !c.trim().is_empty());
    Ok(config)
}

/// Runs the desk until the clerk quits. Unless a KB directory was given (`explicit_kb`), the desk
/// uses the newest KB version HQ published that it already switched to.
pub fn run(kb: Kb, explicit_kb: bool, data_dir: &Path, args: &DeskArgs) -> anyhow::Result<()> {
    if let Some(DeskCommand::Clerk { command }) = &args.command {
        return run_clerk(data_dir, command, args.signin.pin_stdin);
    }
    if let Some(which) = &args.drill {
        return run_drill(kb, data_dir, which, &args.trainee);
    }
    let signed = super::signin::sign_in(data_dir, &args.signin)?;
    refuse_damaged(&data_dir.join("desk.sqlite3"))?;
    let store = open_store(data_dir)?;
    let active = store.latest_kb()?.filter(|k| k.active_at.is_some()).is_some();
    let kb = match crate::sync::ready_kb(&store) {
        Ok(Some((_, downloaded))) if active && !explicit_kb => downloaded,
        _ => kb,
    };
    let mut config = config(&store, args)?;
    // Notices and agency forms carry the clerk who signed in, not a name typed at set-up.
    if let (Some(config), Some(signed)) = (config.as_mut(), &signed) {
        config.clerk = signed.clerk.clone();
    }
    let print = print_config(&store, data_dir, args)?;
    if let Some(url) = &args.hq {
        store.set_setting(crate::sync::HQ_URL, url.trim_end_matches('/'))?;
    }
    if let Some(token) = &args.token {
        store.set_setting(crate::sync::HQ_TOKEN, token.trim())?;
    }
    let sync = crate::sync::SyncConfig::from_store(&store)?.map(|c| (data_dir.join("desk.sqlite3"), c));
    tracing::info!(
        target: "desk",
        center = config.as_ref().map_or("", |c| c.center.as_str()),
        window = config.as_ref().map_or("", |c| c.window.as_str()),
        clerk = signed.as_ref().map_or("", |s| s.clerk.as_str()),
        kb = %kb.meta.version,
        hq = sync.is_some(),
        "desk opened"
    );
    let backup = backup_config(&store, args)?.map(|(dir, every)| crate::tui::Backup {
        db: data_dir.join("desk.sqlite3"),
        dir,
        every,
    });
    if let Some(minutes) = args.lock_after {
        store.set_setting(LOCK_MINUTES, &minutes.to_string())?;
    }
    let lock = match &signed {
        Some(signed) => {
            let minutes = store
                .setting(LOCK_MINUTES)?
                .and_then(|m| m.parse::<u32>().ok())
                .filter(|m| *m > 0)
                .unwrap_or(crate::tui::lock::DEFAULT_LOCK_MINUTES);
            let clerks = crate::store::clerks::Clerks::load(data_dir)?;
            let verifier = clerks.credential(&signed.clerk).map(|c| c.verifier.clone()).unwrap_or_default();
            Some(crate::tui::lock::Lock::new(
                &signed.clerk,
                &verifier,
                std::time::Duration::from_secs(u64::from(minutes) * 60),
                crate::time::now(),
            ))
        }
        None => None,
    };
    crate::tui::run(Arc::new(kb), store, config, print, None, sync, crate::tui::Shift { backup, lock })
}

/// Setting key of the inactivity lock's minutes.
const LOCK_MINUTES: &str = "lock_minutes";

/// The desk in drill mode on the drill database.
fn run_drill(kb: Kb, data_dir: &Path, which: &str, trainee: &str) -> anyhow::Result<()> {
    let scenarios: Vec<String> = if which == "all" {
        kb.drills.iter().map(|d| d.id.clone()).collect()
    } else if kb.drill(which).is_some() {
        vec![which.to_string()]
    } else {
        let known: Vec<&str> = kb.drills.iter().map(|d| d.id.as_str()).collect();
        anyhow::bail!("没有演练场景 {which}；可用：{}", known.join("、"));
    };
    anyhow::ensure!(!scenarios.is_empty(), "知识库中没有演练场景");
    let store = super::drill::open_store(data_dir)?;
    let config = DeskConfig {
        center: "YL".into(),
        center_name: "演练中心（培训用）".into(),
        window: "01".into(),
        level: CenterLevel::District,
        clerk: trainee.to_string(),
        lookup_url: None,
    };
    let print = PrintConfig::files(data_dir.join("drill-notices"));
    let session = crate::tui::drill::DrillSession::new(scenarios, trainee.to_string());
    crate::tui::run(
        Arc::new(kb),
        store,
        Some(config),
        print,
        Some(session),
        None,
        crate::tui::Shift::default(),
    )
}
