//! Shared helpers of the HQ tests: run the real `yichuang hq serve` on loopback, enroll devices,
//! and fill desk databases with finished cases.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use yichuang::intake::case::{CaseEvent, Field};
use yichuang::intake::rules::Decision;
use yichuang::store::{Store, StoreKind};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_yichuang")
}

/// A running HQ process.
pub struct Hq {
    /// The child process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Hq {
    /// Starts `hq serve` on `listen` (port 0 = any) and waits for its `listening on` line.
    pub fn start(db: &Path, listen: &str) -> Hq {
        Self::start_with(db, listen, &[])
    }

    /// Like `start`, with more flags (`--escalate-after 1` …).
    pub fn start_with(db: &Path, listen: &str, extra: &[&str]) -> Hq {
        Self::spawn(db, listen, extra, Stdio::inherit())
    }

    /// Like `start_with`, HQ's log (standard error) going to the file `log`.
    pub fn start_logged(db: &Path, listen: &str, extra: &[&str], log: &Path) -> Hq {
        let file = std::fs::File::create(log).expect("log file");
        Self::spawn(db, listen, extra, Stdio::from(file))
    }

    fn spawn(db: &Path, listen: &str, extra: &[&str], stderr: Stdio) -> Hq {
        let mut child = Command::new(bin())
            .args(["hq", "serve", "--listen", listen, "--db"])
            .arg(db)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start hq serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).expect("hq printed its address");
        let url = line.trim().strip_prefix("listening on ").expect("listening line").to_string();
        Hq { child, url }
    }

    /// The port HQ listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port")
    }

    /// SIGKILL, no goodbye.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Hq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `yichuang hq ARGS… --db DB`; returns (exit success, stdout, stderr).
pub fn hq_command(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin()).arg("hq").args(args).arg("--db").arg(db).output().expect("run hq command");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Enrolls a device; returns its token.
pub fn enroll(db: &Path, args: &[&str]) -> String {
    let out = Command::new(bin()).args(["hq", "enroll", "--db"]).arg(db).args(args).output().expect("enroll");
    assert!(out.status.success(), "enroll failed: {}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).expect("utf-8").trim().to_string();
    assert!(token.starts_with("yc_"), "token printed: {token}");
    token
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

/// A desk data directory set up for `center`/`window`; returns the database path.
pub fn desk(dir: &Path, center: &str, window: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("desk dir");
    let db = dir.join("desk.sqlite3");
    let store = Store::open(&db, StoreKind::Desk).expect("desk store");
    store.set_setting("center", center).expect("setting");
    store.set_setting("window", window).expect("setting");
    db
}

/// An item code of the embedded KB and its department group.
pub const ITEM: &str = "00013112700401";

fn at(minute: u32) -> DateTime<Utc> {
    let nine = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date").and_hms_opt(9, 0, 0).expect("time");
    yichuang::time::from_hall_local(nine) + chrono::Duration::minutes(i64::from(minute))
}

/// Adds one finished case (started, item chosen, ticket, finished, query code: 5 outbox entries);
/// returns its id.
pub fn finished_case(store: &mut Store, center: &str, window: &str, n: u32) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    store.create_case_with_id(&id, at(n)).expect("create");
    store
        .append(&id, CaseEvent::ItemChosen { code: ITEM.into(), kb_version: "2026.11.1".into() }, at(n))
        .expect("item");
    store
        .append(&id, CaseEvent::FieldSet { field: Field::Ticket, value: format!("A{n:03}") }, at(n))
        .expect("ticket");
    let decision = Decision::Accept {
        promised_date: NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
        commitments: Vec::new(),
    };
    store.finish(&id, center, window, decision, at(n)).expect("finish");
    id
}

/// Waits until `f` is true or `limit` passes; returns whether it became true.
pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// One HTTP client for a test binary, with the TLS provider installed (reqwest is built without
/// one of its own, and building a client loads the system's roots, which is slow).
#[allow(dead_code)]
pub fn http() -> reqwest::blocking::Client {
    static CLIENT: std::sync::OnceLock<reqwest::blocking::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            yichuang::sync::install_tls_provider();
            reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().expect("client")
        })
        .clone()
}
