//! `yichuang hq serve | enroll | devices | revoke | rotate | audit | kb publish`: run headquarters,
//! manage device tokens on HQ's machine, check and export the audit, publish a KB.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::hq::{NewDevice, ServeConfig};
use crate::protocol::{ChangeStatus, Role};
use crate::sync::HqClient;

/// `yichuang hq …`
#[derive(Debug, Subcommand)]
pub enum HqCommand {
    /// Run the headquarters server (总部服务).
    Serve(ServeArgs),
    /// Issue a device token for a window, an approver, a supervisor or a KB maintainer; the token
    /// is printed once and HQ keeps only its hash.
    Enroll(EnrollArgs),
    /// List enrolled devices with their token's state (有效 / 已过期 / 已吊销).
    Devices(DbArgs),
    /// Revoke a device's token at once: HQ refuses it from the next request and closes its open
    /// event streams (within a fraction of a second when HQ runs on the same database).
    Revoke(DeviceArgs),
    /// Give a device a new token (printed once); the old one keeps working for the grace period.
    Rotate(RotateArgs),
    /// Clerks who sign in at a center's windows (工作人员): PIN set here, verified offline at the desk.
    Clerk {
        #[command(subcommand)]
        command: ClerkCommand,
    },
    /// HQ's tamper-evident audit: verify the hash chain, export rows for a supervisor.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Knowledge-base publishing.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
}

/// Flags of `hq serve` (each overrides the same key of `--config`).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML settings file (keys: listen, db, tls_cert, tls_key, allow_plain_http,
    /// request_timeout_secs, max_body_bytes, escalate_after_secs, unattended_after_secs,
    /// idle_timeout_secs, zone, lookups_per_minute).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8440; port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// SQLite database file (created if missing).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate.
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (only behind a TLS-terminating proxy).
    #[arg(long)]
    pub allow_plain_http: bool,
    /// Request time limit in seconds (default 30).
    #[arg(long, value_name = "SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Largest request body in bytes (default 4 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Seconds a call may ring unanswered before it escalates to supervisors (default 120).
    #[arg(long)]
    pub escalate_after: Option<u64>,
    /// Seconds a call may ring while no approver of its department is connected before it
    /// escalates (default 10).
    #[arg(long)]
    pub unattended_after: Option<u64>,
    /// Seconds a connection may stay idle before HQ closes it (default 10).
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: Option<u64>,
    /// Progress-page lookups and ratings one client address may make per minute (default 20).
    #[arg(long, value_name = "N")]
    pub lookups_per_minute: Option<u32>,
}

/// Where HQ's database is: `--db` or the `db` of `hq serve`'s `--config`.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// HQ's database file (or `db` in `--config`).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// TOML settings file of `hq serve`, to find the database.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Flags of `hq revoke`.
#[derive(Debug, Args)]
pub struct DeviceArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The device id (as `hq devices` lists it, e.g. d-1a2b3c4d5e6f).
    pub device: String,
}

/// Flags of `hq rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The device id.
    pub device: String,
    /// How long the old token keeps working, in hours (default 24; 0 = stops at once).
    #[arg(long, value_name = "HOURS", default_value_t = 24)]
    pub grace_hours: u64,
}

/// `yichuang hq clerk …`
#[derive(Debug, Subcommand)]
pub enum ClerkCommand {
    /// Sets a clerk's PIN and role; the center's windows receive the verifier at their next pull.
    Set(ClerkSetArgs),
    /// Lists the clerks set at HQ (never a PIN or its hash).
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Only this center's.
        #[arg(long)]
        center: Option<String>,
    },
    /// Revokes a clerk: the center's windows refuse the PIN once they have pulled.
    Revoke {
        #[command(flatten)]
        db: DbArgs,
        /// Center id.
        #[arg(long)]
        center: String,
        /// The clerk's name.
        #[arg(long)]
        name: String,
    },
}

/// Flags of `hq clerk set`.
#[derive(Debug, Args)]
pub struct ClerkSetArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Center id.
    #[arg(long)]
    pub center: String,
    /// The clerk's name, as printed on notices.
    #[arg(long)]
    pub name: String,
    /// `clerk` or `supervisor` (also approves exceptions at the window).
    #[arg(long, default_value = "clerk", value_parser = ["clerk", "supervisor"])]
    pub role: String,
    /// Read the PIN from the first line of standard input (else prompted twice, unechoed).
    #[arg(long)]
    pub pin_stdin: bool,
}

/// `yichuang hq audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit's hash chain; exits non-zero and names the first broken link.
    Verify(DbArgs),
    /// Write audit rows to standard output (CSV or JSON lines), for a supervisor.
    Export(ExportArgs),
}

/// Flags of `hq audit export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Only this center's rows (a supervisor's export); all centers without it.
    #[arg(long)]
    pub center: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: crate::hq::audit::Format,
}

/// Flags of `hq enroll`.
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// HQ's database file (or `db` in `--config`).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// TOML settings file of `hq serve`, to find the database.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Center id.
    #[arg(long)]
    pub center: String,
    /// Window id (required for clerks).
    #[arg(long)]
    pub window: Option<String>,
    /// Department group, as in the KB's `department_group` (required for approvers).
    #[arg(long)]
    pub department: Option<String>,
    /// What the token may do.
    #[arg(long, value_enum)]
    pub role: Role,
    /// The token stops working after this many days (default: until revoked).
    #[arg(long, value_name = "DAYS")]
    pub expires_in_days: Option<u32>,
}

/// `yichuang hq kb …`
#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Check a KB directory and publish it to HQ under its content hash (kb-admin token).
    Publish(PublishArgs),
}

/// Flags of `hq kb publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The knowledge-base directory.
    pub dir: PathBuf,
    /// HQ's address, e.g. https://hq.example:8443.
    #[arg(long, value_name = "URL")]
    pub hq: String,
    /// kb-admin device token (or the YICHUANG_TOKEN environment variable).
    #[arg(long)]
    pub token: Option<String>,
    /// CA certificate (PEM) that signed HQ's certificate.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

/// Runs an `hq` subcommand.
pub fn run(command: HqCommand, zone: Option<crate::time::HallZone>) -> anyhow::Result<ExitCode> {
    match command {
        HqCommand::Serve(args) => {
            let file = match &args.config {
                Some(path) => ServeConfig::from_file(path)?,
                None => ServeConfig::default(),
            };
            let flags = ServeConfig {
                listen: args.listen,
                db: args.db,
                tls_cert: args.tls_cert,
                tls_key: args.tls_key,
                allow_plain_http: args.allow_plain_http.then_some(true),
                request_timeout_secs: args.request_timeout_secs,
                max_body_bytes: args.max_body_bytes,
                escalate_after_secs: args.escalate_after,
                unattended_after_secs: args.unattended_after,
                idle_timeout_secs: args.idle_timeout,
                zone: zone.map(|z| z.name.to_string()),
                lookups_per_minute: args.lookups_per_minute,
            };
            crate::hq::serve(file.overlay(flags))?;
            Ok(ExitCode::SUCCESS)
        }
        HqCommand::Enroll(args) => enroll(args),
        HqCommand::Devices(args) => devices(args),
        HqCommand::Revoke(args) => revoke(args),
        HqCommand::Rotate(args) => rotate(args),
        HqCommand::Clerk { command } => clerk(command),
        HqCommand::Audit { command: AuditCommand::Verify(args) } => verify(args),
        HqCommand::Audit { command: AuditCommand::Export(args) } => export(args),
        HqCommand::Kb { command: KbCommand::Publish(args) } => publish(args),
    }
}

fn db_path(db: Option<PathBuf>, config: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    Ok(match (db, config) {
        (Some(db), _) => db,
        (None, Some(config)) => ServeConfig::from_file(config)?
            .db
            .ok_or_else(|| anyhow::anyhow!("配置文件 {} 中没有 db", config.display()))?,
        (None, None) => anyhow::bail!("须指定总部数据库：--db PATH 或 --config FILE"),
    })
}

impl DbArgs {
    fn open(&self) -> anyhow::Result<crate::hq::SqliteStorage> {
        let path = db_path(self.db.clone(), self.config.as_ref())?;
        if !path.exists() {
            anyhow::bail!("总部数据库 {} 不存在", path.display());
        }
        Ok(crate::hq::SqliteStorage::open(&path)?)
    }
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> anyhow::Result<T> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(f))
}

fn devices(args: DbArgs) -> anyhow::Result<ExitCode> {
    let storage = args.open()?;
    let rows = block_on(storage.devices())??;
    let now = crate::time::now();
    println!("设备\t角色\t中心/窗口或部门\t签发(UTC)\t到期(UTC)\t状态");
    for r in rows {
        let state = match (r.revoked_at, r.expires_at) {
            (Some(at), _) => format!("已吊销 {}", at.format("%Y-%m-%d %H:%M")),
            (None, Some(until)) if until <= now => "已过期".to_string(),
            _ => match r.old_token_until {
                Some(until) if until > now => {
                    format!("有效（旧令牌至 {} 仍可用）", until.format("%Y-%m-%d %H:%M"))
                }
                _ => "有效".to_string(),
            },
        };
        println!(
            "{}\t{}\t{}\t{}\t{}\t{state}",
            r.device.id,
            r.device.role.as_str(),
            r.device.label(),
            r.created_at.format("%Y-%m-%d %H:%M"),
            r.expires_at.map_or_else(|| "-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string()),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn revoke(args: DeviceArgs) -> anyhow::Result<ExitCode> {
    let storage = args.db.open()?;
    match block_on(storage.revoke(args.device.clone()))?? {
        Some(device) => {
            println!(
                "已吊销{} {}（设备 {}）的令牌；运行中的总部即刻拒绝它并关闭其事件流",
                device.role.label(),
                device.label(),
                device.id
            );
            Ok(ExitCode::SUCCESS)
        }
        None => anyhow::bail!("没有未吊销的设备 {}（用 yichuang hq devices 查看）", args.device),
    }
}

fn rotate(args: RotateArgs) -> anyhow::Result<ExitCode> {
    let storage = args.db.open()?;
    let grace = Duration::from_secs(args.grace_hours * 3600);
    match block_on(storage.rotate(args.device.clone(), grace))?? {
        Some((device, token)) => {
            eprintln!(
                "已为{} {}（设备 {}）换发新令牌；旧令牌在 {} 小时内仍可用。新令牌只显示这一次：",
                device.role.label(),
                device.label(),
                device.id,
                args.grace_hours
            );
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        None => anyhow::bail!("没有未吊销的设备 {}（用 yichuang hq devices 查看）", args.device),
    }
}

fn clerk(command: ClerkCommand) -> anyhow::Result<ExitCode> {
    use crate::store::clerks::{ClerkRole, Credential};
    match command {
        ClerkCommand::Set(args) => {
            anyhow::ensure!(
                crate::protocol::valid_id(&args.center),
                "中心编号 {:?} 无效：只能用字母、数字、-、_、.",
                args.center
            );
            let name = args.name.trim();
            anyhow::ensure!(
                !name.is_empty() && name.chars().count() <= 32 && !name.chars().any(char::is_control),
                "姓名须为 1–32 个字符，且不含控制字符"
            );
            let pin = super::signin::read_pin(&format!("{name} 的 PIN："), args.pin_stdin)?;
            if !args.pin_stdin {
                let again = super::signin::read_pin("再输入一次：", false)?;
                anyhow::ensure!(again == pin, "两次输入的 PIN 不一致");
            }
            let role = ClerkRole::parse(&args.role).unwrap_or_default();
            let credential = Credential::new(name, &pin, role, "hq")?;
            let storage = args.db.open()?;
            block_on(storage.set_clerk(args.center.clone(), credential))??;
            eprintln!(
                "已在总部设置 {} 的{} {name}（只保存 PIN 的加盐慢哈希）；该中心的窗口下次同步后即可登录",
                args.center,
                role.label()
            );
        }
        ClerkCommand::List { db, center } => {
            let storage = db.open()?;
            for c in block_on(storage.clerks(center))?? {
                let state = c.revoked_at.map(|at| format!("已撤销 {at}")).unwrap_or_else(|| "有效".into());
                let role = ClerkRole::parse(&c.role).unwrap_or_default().label();
                println!("{}\t{}\t{role}\t设于 {}\t{state}", c.center, c.name, c.set_at);
            }
        }
        ClerkCommand::Revoke { db, center, name } => {
            let storage = db.open()?;
            match block_on(storage.revoke_clerk(center.clone(), name.trim().to_string()))?? {
                Some(_) => eprintln!("已撤销 {center} 的 {}：窗口下次同步后不再接受其 PIN", name.trim()),
                None => anyhow::bail!("{center} 没有有效的工作人员 {}", name.trim()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(args: DbArgs) -> anyhow::Result<ExitCode> {
    let storage = args.open()?;
    let report = block_on(storage.verify_audit())??;
    match report.broken {
        None => {
            println!("审计链完整：{} 条记录", report.rows);
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            println!("审计链在第 {} 条记录处断开：{}", b.seq, b.problem);
            Ok(ExitCode::FAILURE)
        }
    }
}

fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let path = db_path(args.db.db.clone(), args.db.config.as_ref())?;
    if !path.exists() {
        anyhow::bail!("总部数据库 {} 不存在", path.display());
    }
    let conn = crate::hq::sqlite::open_connection(&path)?;
    conn.pragma_update(None, "query_only", "ON")?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let n = crate::hq::audit::export(&conn, args.center.as_deref(), args.format, &mut out)?;
    use std::io::Write as _;
    out.flush()?;
    eprintln!("已导出 {n} 条审计记录");
    Ok(ExitCode::SUCCESS)
}

fn enroll(args: EnrollArgs) -> anyhow::Result<ExitCode> {
    let db = db_path(args.db, args.config.as_ref())?;
    let valid = |s: &str| crate::protocol::valid_id(s);
    if !valid(&args.center) {
        anyhow::bail!("中心编号 {:?} 无效：只能用字母、数字、-、_、.", args.center);
    }
    match args.role {
        Role::Clerk if args.window.as_deref().is_none_or(|w| !valid(w)) => {
            anyhow::bail!("窗口令牌须用 --window 指定窗口编号（字母、数字、-、_、.）")
        }
        Role::Approver if args.department.as_deref().is_none_or(|d| d.trim().is_empty()) => {
            anyhow::bail!("审批人员令牌须用 --department 指定部门（与知识库 department_group 一致）")
        }
        _ => {}
    }
    let device = NewDevice {
        center: args.center,
        window: args.window.filter(|_| args.role == Role::Clerk),
        department: args.department.filter(|_| matches!(args.role, Role::Approver)),
        role: args.role,
        expires_at: args
            .expires_in_days
            .map(|days| crate::time::now() + chrono::Duration::days(i64::from(days))),
    };
    let (device, token) = crate::hq::enroll(&db, device)?;
    eprintln!(
        "已为{} {} 签发设备令牌（设备 {}）。令牌只显示这一次，总部只保存其哈希，请妥善保管：",
        device.role.label(),
        device.label(),
        device.id
    );
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

fn token(flag: Option<String>) -> anyhow::Result<String> {
    flag.or_else(|| std::env::var("YICHUANG_TOKEN").ok())
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| anyhow::anyhow!("须提供设备令牌：--token 或环境变量 YICHUANG_TOKEN"))
}

fn publish(args: PublishArgs) -> anyhow::Result<ExitCode> {
    let package = crate::hq::kb::package_dir(&args.dir).map_err(anyhow::Error::msg)?;
    let kb = crate::hq::kb::load_package(&package.files)
        .map_err(|e| anyhow::anyhow!("知识库 {} 检查未通过，未发布：\n{e}", args.dir.display()))?;
    let client = HqClient::new(&args.hq, &token(args.token)?, args.ca.as_deref(), Duration::from_secs(60))?;
    client.handshake()?;
    let published = client.publish_kb(&package)?;
    if published.hash != package.hash {
        anyhow::bail!("总部计算的哈希 {} 与本地 {} 不符", published.hash, package.hash);
    }
    let what = match published.status {
        ChangeStatus::Applied => "已发布",
        ChangeStatus::Duplicate => "总部已有此版本，未重复发布",
        ChangeStatus::Conflict => anyhow::bail!(
            "总部已有内容不同的知识库版本 {}：请先在 kb.toml 中提高版本号再发布",
            published.version
        ),
    };
    println!("{what}: 知识库 {} ({} 个事项) 哈希 {}", published.version, kb.items.len(), published.hash);
    Ok(ExitCode::SUCCESS)
}
