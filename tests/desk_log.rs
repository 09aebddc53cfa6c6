//! The desk logs to a daily file under `DATA_DIR/logs/` (src/cli/desklog.rs): sign-ins, refused
//! PINs and sync rounds are there, and no ID or phone number ever is, even when the cases synced
//! hold them.

mod common;
mod hq_support;

use yichuang::intake::case::{CaseEvent, Field};
use yichuang::store::{Store, StoreKind};

const ID: &str = "110105199003070018";
const PHONE: &str = "13812345678";

#[test]
fn the_desk_log_is_a_daily_file_with_sign_ins_and_sync_rounds_and_no_personal_number() {
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let hq = hq_support::Hq::start(&hq_db, "127.0.0.1:0");
    let token = hq_support::enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let data = dir.path().join("desk");
    let db = hq_support::desk(&data, "HRB", "W1");
    let mut store = Store::open(&db, StoreKind::Desk).unwrap();
    let case = hq_support::finished_case(&mut store, "HRB", "W1", 1);
    let at = yichuang::time::now();
    store.append(&case, CaseEvent::FieldSet { field: Field::IdNumber, value: ID.into() }, at).unwrap();
    store.append(&case, CaseEvent::FieldSet { field: Field::Phone, value: PHONE.into() }, at).unwrap();
    drop(store);
    let data_arg = data.to_str().unwrap();
    let out = common::yichuang_with_stdin(
        &["--data-dir", data_arg, "desk", "clerk", "set", "--name", common::WANG.name, "--pin-stdin"],
        &format!("{}\n", common::WANG.pin),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out =
        common::yichuang_with_stdin(&["--data-dir", data_arg, "case", "list", "--pin-stdin"], "999999\n");
    assert!(!out.status.success());
    let out = common::as_clerk(&data, &common::WANG, &["sync", "--once", "--hq", &hq.url, "--token", &token]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = common::as_clerk(&data, &common::WANG, &["case", "show", &case, "--reveal"]);
    assert!(common::stdout(&out).contains(ID), "the case does hold the number");
    let port = hq_support::free_port();
    let dead = format!("http://127.0.0.1:{port}");
    let out = common::as_clerk(&data, &common::WANG, &["sync", "--once", "--hq", &dead, "--token", &token]);
    assert!(!out.status.success());

    let logs: Vec<_> = std::fs::read_dir(data.join("logs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let name = logs[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("desk.") && name.ends_with(".log"), "a dated daily file: {name}");
    let log = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(log.contains("sign-in refused") && log.contains("王芳"), "{log}");
    assert!(log.contains("signed in"), "{log}");
    // Six changes of the case and its query code's hash.
    assert!(log.contains("sync round done") && log.contains("applied=7"), "{log}");
    assert!(log.contains("sync round failed"), "{log}");
    // No personal number, in any form: no run of 11 digits or more at all.
    assert!(!log.contains(ID) && !log.contains(PHONE), "{log}");
    let longest = log.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
    assert!(longest < 11, "a long digit run in the log: {log}");
}
