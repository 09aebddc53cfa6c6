//! The desk's store is encrypted at rest and opened only by a clerk's sign-in (src/store/clerks.rs,
//! src/cli/signin.rs): a plaintext store is encrypted at the first sign-in, the `sqlite3` CLI and a
//! key-less SQLite connection then fail on it, and the right PIN opens it for `case`, `doctor`
//! and the backup alike.

mod common;
mod e2e_support;
mod hq_support;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the real binary on `dir` with `args`, writing `stdin` to it.
fn run(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["--data-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    common::yichuang_with_stdin(&all, stdin)
}

fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

#[test]
fn the_store_is_encrypted_at_the_first_sign_in_and_opens_only_with_a_clerks_pin() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    // A desk from before sign-in: a plaintext store with a case in it.
    let mut store = yichuang::store::Store::open(&db, yichuang::store::StoreKind::Desk).unwrap();
    let case = store.create_case(utc("2026-12-03T01:30:00Z")).unwrap();
    drop(store);
    assert!(yichuang::store::is_plaintext(&db));

    // A clerk is set at the desk (no HQ); the store stays as it is until she signs in.
    let out = run(dir.path(), &["desk", "clerk", "set", "--name", "王芳", "--pin-stdin"], "246810\n");
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(yichuang::store::is_plaintext(&db));

    // Without a PIN, a wrong PIN or an unknown clerk, nothing is read.
    let out = run(dir.path(), &["case", "list", "--pin-stdin"], "135790\n");
    assert_eq!(common::code(&out), 2);
    assert!(common::stderr(&out).contains("PIN 不正确"), "{}", common::stderr(&out));
    let out = run(dir.path(), &["case", "list", "--as", "李强", "--pin-stdin"], "246810\n");
    assert!(common::stderr(&out).contains("没有名为 李强"), "{}", common::stderr(&out));
    assert!(yichuang::store::is_plaintext(&db));

    // The right PIN signs in, encrypts the store in place and lists the case.
    let out = common::as_clerk(dir.path(), &common::WANG, &["case", "list"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(common::stdout(&out).contains(&case) || !common::stdout(&out).is_empty());
    assert!(yichuang::store::is_encrypted(&db));
    assert!(!Path::new(&format!("{}-wal", db.display())).exists() || yichuang::store::is_encrypted(&db));

    // The file is noise to anyone without the key: the sqlite3 CLI and plain SQLite fail.
    let sqlite3 = Command::new("sqlite3").arg(&db).arg("SELECT count(*) FROM cases;").output();
    match sqlite3 {
        Ok(out) => {
            assert!(!out.status.success() || !String::from_utf8_lossy(&out.stdout).trim().starts_with('1'));
            assert!(String::from_utf8_lossy(&out.stderr).contains("not a database"), "{out:?}");
        }
        Err(e) => panic!("tests/run.sh installs the sqlite3 CLI: {e}"),
    }
    let plain = rusqlite::Connection::open(&db).unwrap();
    let err = plain.query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0)).unwrap_err();
    assert!(err.to_string().contains("not a database"), "{err}");
    drop(plain);
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.windows(5).any(|w| w == b"cases"), "table names are not in clear");

    // A command without the sign-in is refused with what to do, and does not call it damage.
    let out = run(dir.path(), &["case", "list"], "");
    assert_eq!(common::code(&out), 2);
    assert!(common::stderr(&out).contains("没有终端可输入 PIN"), "{}", common::stderr(&out));
    let out = run(dir.path(), &["doctor", "--pin-stdin"], "246810\n");
    assert!(out.status.success(), "{}{}", common::stdout(&out), common::stderr(&out));
    assert!(common::stdout(&out).contains("数据库完好"));

    // The key comes from the clerk's wrap: with it, plain SQLCipher reads the case back.
    let mut clerks = yichuang::store::clerks::Clerks::load(dir.path()).unwrap();
    let (signed, _) = clerks.sign_in("王芳", common::WANG.pin, None).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    yichuang::store::apply_key(&conn, &signed.key).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM cases WHERE id = ?1", [&case], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [db.clone(), dir.path().join("clerks.json")] {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
        }
    }
}

#[test]
fn a_second_clerk_is_set_by_an_enrolled_one_and_then_opens_the_store_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["desk", "clerk", "set", "--name", "王芳", "--pin-stdin"], "246810\n");
    assert!(out.status.success(), "{}", common::stderr(&out));
    // First sign-in of a new desk: a new store, encrypted from the start.
    let out = run(dir.path(), &["case", "list", "--pin-stdin"], "246810\n");
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(yichuang::store::is_encrypted(&dir.path().join("desk.sqlite3")));
    // Once the store has a key, setting another clerk needs an enrolled one to sign in first.
    let out = run(dir.path(), &["desk", "clerk", "set", "--name", "李强", "--pin-stdin"], "112233\n");
    assert_eq!(common::code(&out), 2);
    assert!(common::stderr(&out).contains("--by"), "{}", common::stderr(&out));
    let out = run(
        dir.path(),
        &["desk", "clerk", "set", "--name", "李强", "--by", "王芳", "--pin-stdin"],
        "246810\n112233\n",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = common::as_clerk(dir.path(), &common::LI, &["case", "list"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // With two clerks the desk asks who signs in.
    let out = run(dir.path(), &["case", "list", "--pin-stdin"], "112233\n");
    assert!(common::stderr(&out).contains("--as"), "{}", common::stderr(&out));
}

#[test]
fn the_desk_asks_for_the_pin_before_it_opens() {
    assert!(e2e_support::have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    let out = run(dir.path(), &["desk", "clerk", "set", "--name", "王芳", "--pin-stdin"], "246810\n");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let kb = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kb-small");
    let args = ["--kb", kb, "--data-dir", &data_dir, "desk", "--center", "HRBDL", "--window", "05"];
    let desk = e2e_support::Tmux::start(&args, 120, 40);
    desk.wait_for("王芳 的 PIN：");
    // A wrong PIN: the desk does not open.
    desk.type_text("111111");
    desk.keys(&["Enter"]);
    desk.wait_for("PIN 不正确");
    assert!(!dir.path().join("desk.sqlite3").exists(), "nothing is created before a sign-in");
    let desk = e2e_support::Tmux::start(&args, 120, 40);
    desk.sign_in(common::WANG.name, common::WANG.pin);
    desk.wait_for("接待下一位申请人");
    assert!(yichuang::store::is_encrypted(&dir.path().join("desk.sqlite3")));
    // The PIN never reaches the screen.
    assert!(!desk.capture().contains(common::WANG.pin));
    // Ctrl+L (or 10 idle minutes) covers the screen; the PIN brings back the screen as it was.
    desk.type_text("a012");
    desk.keys(&["C-l"]);
    let locked = desk.wait_for("窗口已锁定");
    assert!(!locked.contains("a012") && !locked.contains("A012"), "{locked}");
    desk.type_text(common::WANG.pin);
    desk.keys(&["Enter"]);
    let back = desk.wait_for("排队号/预约号 > a012");
    assert!(!back.contains("窗口已锁定"), "the draft is kept and the lock gone: {back}");
}

#[test]
fn sync_once_signs_in_and_delivers_from_an_encrypted_store() {
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let hq = hq_support::Hq::start(&hq_db, "127.0.0.1:0");
    let data = dir.path().join("desk");
    let db = hq_support::desk(&data, "HRB", "W1");
    let mut store = yichuang::store::Store::open(&db, yichuang::store::StoreKind::Desk).unwrap();
    hq_support::finished_case(&mut store, "HRB", "W1", 1);
    drop(store);
    let token = hq_support::enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let out = run(&data, &["desk", "clerk", "set", "--name", "王芳", "--pin-stdin"], "246810\n");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = run(&data, &["sync", "--once", "--hq", &hq.url, "--token", &token], "");
    assert!(!out.status.success(), "no sign-in, no sync");
    let out = run(&data, &["sync", "--once", "--hq", &hq.url, "--token", &token, "--pin-stdin"], "246810\n");
    assert!(out.status.success(), "{}{}", common::stdout(&out), common::stderr(&out));
    assert!(yichuang::store::is_encrypted(&db));
    let conn = rusqlite::Connection::open(&hq_db).unwrap();
    let cases: i64 =
        conn.query_row("SELECT count(*) FROM cases WHERE number IS NOT NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(cases, 1);
}

#[test]
fn clerks_set_at_hq_reach_their_centers_desks_sign_in_offline_and_stop_once_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let hq = hq_support::Hq::start(&hq_db, "127.0.0.1:0");
    let data = dir.path().join("desk");
    let db = hq_support::desk(&data, "HRB", "W1");
    let token = hq_support::enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    common::set_at_hq(&hq_db, "HRB", &common::WANG, "clerk");
    common::set_at_hq(&hq_db, "HRB", &common::LI, "supervisor");
    common::set_at_hq(&hq_db, "SZX", &common::Clerk { name: "赵六", pin: "556677" }, "clerk");
    let db_arg = hq_db.to_str().unwrap();
    let args = ["hq", "clerk", "set", "--db", db_arg, "--center", "HRB", "--name", "弱", "--pin-stdin"];
    let out = common::yichuang_with_stdin(&args, "123\n");
    assert!(!out.status.success() && common::stderr(&out).contains("PIN 至少"), "{}", common::stderr(&out));
    // HQ keeps a slow salted hash, never the PIN.
    drop(hq);
    let bytes = std::fs::read(&hq_db).unwrap();
    assert!(
        !bytes.windows(6).any(|w| w == common::WANG.pin.as_bytes() || w == common::LI.pin.as_bytes()),
        "no PIN in HQ's database"
    );
    let hq = hq_support::Hq::start(&hq_db, "127.0.0.1:0");

    // The desk has no clerk yet: it syncs as before and receives its center's two clerks.
    let out = run(&data, &["sync", "--once", "--hq", &hq.url, "--token", &token], "");
    assert!(out.status.success(), "{}{}", common::stdout(&out), common::stderr(&out));
    let clerks = yichuang::store::clerks::Clerks::load(&data).unwrap();
    let names: Vec<&str> = clerks.credentials.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["李强", "王芳"], "only HRB's clerks, not SZX's");
    assert_eq!(clerks.role("李强"), Some(yichuang::store::clerks::ClerkRole::Supervisor));
    let json = std::fs::read_to_string(data.join("clerks.json")).unwrap();
    assert!(!json.contains(common::WANG.pin) && !json.contains(common::LI.pin));

    // Offline now (HQ stopped): 王芳 signs in with the PIN set at HQ; the store gets its key and is
    // sealed for 李强, who then signs in alone on his shift.
    drop(hq);
    let out = run(&data, &["case", "list", "--as", "王芳", "--pin-stdin"], "000000\n");
    assert!(common::stderr(&out).contains("PIN 不正确"), "{}", common::stderr(&out));
    let out = common::as_clerk(&data, &common::WANG, &["case", "list"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(yichuang::store::is_encrypted(&db));
    let out = common::as_clerk(&data, &common::LI, &["case", "list"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = run(&data, &["case", "list", "--as", "赵六", "--pin-stdin"], "556677\n");
    assert!(common::stderr(&out).contains("没有名为 赵六"), "{}", common::stderr(&out));

    // HQ revokes 李强; once the desk has pulled, his PIN is refused.
    let (ok, _, err) =
        hq_support::hq_command(&hq_db, &["clerk", "revoke", "--center", "HRB", "--name", "李强"]);
    assert!(ok, "{err}");
    let (ok, _, err) =
        hq_support::hq_command(&hq_db, &["clerk", "revoke", "--center", "HRB", "--name", "李强"]);
    assert!(!ok && err.contains("没有有效的工作人员"), "{err}");
    let (ok, list, _) = hq_support::hq_command(&hq_db, &["clerk", "list", "--center", "HRB"]);
    assert!(
        ok && list.contains("李强\t主管") && list.contains("已撤销") && !list.contains("pbkdf2"),
        "{list}"
    );
    let hq = hq_support::Hq::start(&hq_db, "127.0.0.1:0");
    let out = run(
        &data,
        &["sync", "--once", "--as", "王芳", "--pin-stdin", "--hq", &hq.url, "--token", &token],
        "246810\n",
    );
    assert!(out.status.success(), "{}{}", common::stdout(&out), common::stderr(&out));
    let out = common::as_clerk(&data, &common::LI, &["case", "list"]);
    assert!(common::stderr(&out).contains("已被总部撤销"), "{}", common::stderr(&out));
    let out = common::as_clerk(&data, &common::WANG, &["case", "list"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // Setting and revoking are in HQ's audit, readable, and the chain holds.
    drop(hq);
    let (ok, csv, _) =
        hq_support::hq_command(&hq_db, &["audit", "export", "--center", "HRB", "--format", "csv"]);
    assert!(
        ok && csv.contains("clerk_set") && csv.contains("clerk_revoke") && csv.contains("clerk:李强"),
        "{csv}"
    );
    let (ok, out, _) = hq_support::hq_command(&hq_db, &["audit", "verify"]);
    assert!(ok, "{out}");
}
