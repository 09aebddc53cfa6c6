//! Every case carries the clerk who did it (issue 15, item 7): the desk journals the signed-in
//! clerk with each record, the outbox change carries it on the wire, HQ stores it with the change,
//! shows it in the case API and names it in its audit (`HRB/W1#王芳`), and `case show` prints it.
//! Its own test binary: it releases the store key in this process.

mod common;
mod hq_support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yichuang"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the yichuang binary runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("the binary finishes")
}

fn desk(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["--data-dir", data.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&all, stdin)
}

#[test]
fn the_clerk_goes_with_each_change_to_hq_its_case_api_its_audit_and_case_show() {
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let hq = hq_support::Hq::start(&hq_db, "127.0.0.1:0");
    let token = hq_support::enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let db_arg = hq_db.to_str().unwrap();
    let out = run(
        &["hq", "clerk", "set", "--db", db_arg, "--center", "HRB", "--name", "王芳", "--pin-stdin"],
        "246810\n",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let data = dir.path().join("desk");
    let db = hq_support::desk(&data, "HRB", "W1");
    let out = desk(&data, &["sync", "--once", "--hq", &hq.url, "--token", &token], "");
    assert!(out.status.success(), "{}", common::stderr(&out));
    // 王芳 signs in (the store is encrypted at this first sign-in) …
    let out = desk(&data, &["case", "list", "--as", "王芳", "--pin-stdin"], "246810\n");
    assert!(out.status.success(), "{}", common::stderr(&out));
    // … and, signed in, finishes a case.
    let mut clerks = yichuang::store::clerks::Clerks::load(&data).unwrap();
    let (signed, _) = clerks.sign_in("王芳", "246810", None).unwrap();
    yichuang::store::unlock(signed.key);
    yichuang::store::set_session_clerk(Some(signed.clerk));
    let mut store = yichuang::store::Store::open(&db, yichuang::store::StoreKind::Desk).unwrap();
    let case = hq_support::finished_case(&mut store, "HRB", "W1", 1);
    let pending = store.outbox_pending(100).unwrap();
    assert!(!pending.is_empty() && pending.iter().all(|e| e.clerk.as_deref() == Some("王芳")), "{pending:?}");
    drop(store);
    let out = desk(&data, &["sync", "--once", "--as", "王芳", "--pin-stdin"], "246810\n");
    assert!(out.status.success(), "{}{}", common::stdout(&out), common::stderr(&out));

    // HQ's case API shows the clerk on every change.
    let view: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{}/v1/cases/{case}", hq.url))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let changes = view["changes"].as_array().unwrap();
    assert!(!changes.is_empty() && changes.iter().all(|c| c["clerk"] == "王芳"), "{view}");
    drop(hq);
    let conn = rusqlite::Connection::open(&hq_db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM changes WHERE case_id = ?1 AND clerk = '王芳'", [&case], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stored as usize, changes.len());
    let (ok, csv, _) = hq_support::hq_command(&hq_db, &["audit", "export", "--center", "HRB"]);
    assert!(ok && csv.contains("HRB/W1#王芳"), "{csv}");

    // `case show` prints who recorded each entry.
    let out = desk(&data, &["case", "show", &case, "--as", "王芳", "--pin-stdin"], "246810\n");
    let text = common::stdout(&out);
    assert!(out.status.success() && text.contains("经办 王芳"), "{text}{}", common::stderr(&out));
    assert!(text.lines().filter(|l| l.contains(" 王芳 {")).count() >= 4, "{text}");
    let out = desk(&data, &["case", "show", &case, "--json", "--as", "王芳", "--pin-stdin"], "246810\n");
    let json: serde_json::Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert!(json["journal"].as_array().unwrap().iter().all(|e| e["clerk"] == "王芳"), "{json}");
}
