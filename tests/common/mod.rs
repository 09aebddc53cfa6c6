//! Helpers shared by the integration tests: run the real binary, find fixtures, build a temporary
//! knowledge base.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate root (where `knowledge-base/` and `tests/fixtures/` live).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// Runs the real `yichuang` binary with `args` and returns what it did.
pub fn yichuang<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_yichuang"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the yichuang binary runs")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The exit code (-1 when killed by a signal).
pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// Writes `files` (path relative to the KB root, contents) into a fresh temporary directory.
pub fn temp_kb(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("file has a parent")).expect("create dir");
        std::fs::write(&full, text).expect("write file");
    }
    dir
}

/// The fenced ```toml blocks of a Markdown file that are preceded by `<!-- file: PATH -->`, as
/// (PATH, contents).
pub fn marked_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let Some(path) = line.trim().strip_prefix("<!-- file:").and_then(|r| r.strip_suffix("-->")) else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert_eq!(fence.trim(), "```toml", "a <!-- file: --> marker must be followed by ```toml");
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        blocks.push((path.trim().to_string(), body.join("\n") + "\n"));
    }
    blocks
}

/// Reads a file relative to the crate root.
pub fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(root().join(path)).expect("file readable")
}

/// A clerk the tests sign in as, with the PIN.
#[derive(Debug, Clone, Copy)]
pub struct Clerk {
    /// The name (受理人).
    pub name: &'static str,
    /// The PIN.
    pub pin: &'static str,
}

/// The window clerk most tests sign in as.
pub const WANG: Clerk = Clerk { name: "王芳", pin: "246810" };
/// A second window clerk.
pub const LI: Clerk = Clerk { name: "李强", pin: "112233" };
/// A supervisor (approves exceptions at the window).
pub const ZHAO: Clerk = Clerk { name: "赵敏", pin: "556677" };

/// Runs the real binary with `args`, writing `stdin` to it (a PIN for `--pin-stdin`).
pub fn yichuang_with_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_yichuang"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the yichuang binary runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("the binary finishes")
}

/// How every test signs in on the command line: `yichuang --data-dir DIR ARGS… --as NAME
/// --pin-stdin` with the clerk's PIN on standard input.
pub fn as_clerk(dir: &Path, clerk: &Clerk, args: &[&str]) -> Output {
    let dir = dir.to_str().expect("utf-8 path");
    let mut all = vec!["--data-dir", dir];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--as", clerk.name, "--pin-stdin"]);
    yichuang_with_stdin(&all, &format!("{}\n", clerk.pin))
}

/// Sets `clerk` at HQ (`hq clerk set --db DB --center CENTER`) with `role`.
pub fn set_at_hq(db: &Path, center: &str, clerk: &Clerk, role: &str) {
    let db = db.to_str().expect("utf-8 path");
    let args = [
        "hq",
        "clerk",
        "set",
        "--db",
        db,
        "--center",
        center,
        "--name",
        clerk.name,
        "--role",
        role,
        "--pin-stdin",
    ];
    let out = yichuang_with_stdin(&args, &format!("{}\n", clerk.pin));
    assert!(out.status.success(), "hq clerk set: {}", stderr(&out));
}

/// Signs `clerk` in inside the test process, as the desk does at start: releases the store key
/// for every store this process opens and records the clerk with each journal record.
pub fn sign_in_here(dir: &Path, clerk: &Clerk) -> yichuang::store::clerks::SignedIn {
    let mut clerks = yichuang::store::clerks::Clerks::load(dir).expect("clerks.json");
    let (signed, changed) = clerks.sign_in(clerk.name, clerk.pin, None).expect("sign-in");
    if changed {
        clerks.save(dir).expect("save clerks.json");
    }
    yichuang::store::unlock(signed.key.clone());
    yichuang::store::set_session_clerk(Some(signed.clerk.clone()));
    signed
}
