//! Damaged stores made in the test and what the desk and `yichuang doctor` do with them: an
//! unreadable journal record in the open draft is set aside and the desk starts; random bytes in
//! the middle of `desk.sqlite3` are found at start (the desk refuses to write into it and copies
//! it aside) and `doctor` backs up, salvages every readable case and lists what was lost.

mod e2e_support;
mod hq_support;

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use e2e_support::{BIN, Tmux, have_tmux};
use yichuang::intake::case::{CaseEvent, Field, Status};
use yichuang::store::{Store, StoreKind, check_file};

const KB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kb-small");

fn at(minute: i64) -> chrono::DateTime<chrono::Utc> {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap().and_hms_opt(1, 0, 0).unwrap().and_utc()
        + chrono::Duration::minutes(minute)
}

/// Runs the binary; returns (exit code, stdout, stderr).
fn yichuang(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A desk store with `n` finished cases (several journal records each) and one draft.
fn store_with_cases(dir: &Path, n: u32) -> (String, Vec<String>) {
    let db = hq_support::desk(dir, "HRBDL", "05");
    let mut store = Store::open(&db, StoreKind::Desk).unwrap();
    let mut numbers = Vec::new();
    for i in 0..n {
        let id = hq_support::finished_case(&mut store, "HRBDL", "05", i);
        let case = store.load(&id).unwrap();
        numbers.push(case.number.unwrap());
    }
    let draft = store.create_case(at(600)).unwrap();
    for (field, value) in [(Field::Ticket, "A009"), (Field::ApplicantName, "赵六")] {
        store.append(&draft, CaseEvent::FieldSet { field, value: value.into() }, at(601)).unwrap();
    }
    (draft, numbers)
}

#[test]
fn an_unreadable_record_in_the_open_draft_is_set_aside_and_the_desk_starts() {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let (draft, _) = store_with_cases(dir.path(), 3);
    let db = dir.path().join("desk.sqlite3");
    {
        // Half a record, as a torn write or a bad sector leaves it (the journal is append-only).
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "INSERT INTO case_events(case_id, seq, event_id, at, body) VALUES (?1, 4, 'torn', '2026-11-30T10:02:00.000', '{\"field_set\":{\"field\":\"applicant_na')",
            [&draft],
        )
        .unwrap();
    }
    let data_dir = dir.path().to_str().unwrap();
    let desk = Tmux::start(&["--kb", KB, "--data-dir", data_dir, "desk"], 120, 40);
    let screen = desk.wait_for("已搁置");
    assert!(screen.contains("接待下一位申请人"), "the desk starts on a fresh intake: {screen}");
    assert!(screen.contains("A009") || screen.contains("赵六"), "the draft is named: {screen}");
    desk.keys(&["F10"]);
    assert!(hq_support::wait_for(std::time::Duration::from_secs(5), || desk.exited()));
    let store = Store::open(&db, StoreKind::Desk).unwrap();
    let row = store.list("A009", &[], 5).unwrap().remove(0);
    assert_eq!(row.status, Status::SetAside);
    assert_eq!(store.open_draft().unwrap(), None);
    assert!(store.audit_entries(Some(&draft)).unwrap().iter().any(|e| e.action == "set_aside"));
    drop(store);

    // doctor names the record and keeps every sound case.
    let (code, out, err) = yichuang(&["--data-dir", data_dir, "doctor"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("第 4 条记录无法解析"), "{out}");
    assert!(out.contains("第 4 条（无法解析）") && out.contains("赵六"), "{out}");
    let mut store = Store::open(&db, StoreKind::Desk).unwrap();
    assert_eq!(store.list("", &[], 10).unwrap().len(), 4);
    assert_eq!(store.load(&draft).unwrap().field(Field::ApplicantName), "赵六");
    let (code, out, _) = yichuang(&["--data-dir", data_dir, "doctor"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn random_bytes_mid_file_are_found_at_start_and_doctor_salvages_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (_, numbers) = store_with_cases(dir.path(), 120);
    let db = dir.path().join("desk.sqlite3");
    assert!(check_file(&db).unwrap().is_empty());
    let size = std::fs::metadata(&db).unwrap().len();
    assert!(size > 40 * 4096, "enough pages to damage the middle: {size}");
    {
        let mut file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
        let mut seed: u64 = 0xD15C_2026;
        let bytes: Vec<u8> = (0..3 * 4096)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (seed >> 56) as u8
            })
            .collect();
        // Two stretches: the middle and three quarters in (snapshots, journal, outbox pages).
        for page in [size / 4096 / 2, size / 4096 * 3 / 4] {
            file.seek(SeekFrom::Start(page * 4096)).unwrap();
            file.write_all(&bytes).unwrap();
        }
    }
    assert!(!check_file(&db).unwrap().is_empty(), "quick_check sees the damage");
    let data_dir = dir.path().to_str().unwrap();

    // The desk refuses to write into it, copies it aside untouched and says what to do.
    let before = std::fs::read(&db).unwrap();
    let (code, _, err) = yichuang(&["--kb", KB, "--data-dir", data_dir, "desk"]);
    assert_ne!(code, 0);
    assert!(err.contains("已损坏") && err.contains("yichuang doctor"), "{err}");
    let copies: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.contains(".damaged-") && !name.ends_with("-wal") && !name.ends_with("-shm")
        })
        .collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(std::fs::read(copies[0].path()).unwrap(), before);
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing written into the damaged file");

    // doctor: backup, salvage, the list of what was lost; the new store is sound and opens.
    let (code, out, err) = yichuang(&["--data-dir", data_dir, "doctor"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("quick_check"), "{out}");
    assert!(out.contains("已原样备份到"), "{out}");
    assert!(out.contains("丢失"), "{out}");
    assert!(check_file(&db).unwrap().is_empty(), "the salvaged store passes quick_check");
    let mut store = Store::open(&db, StoreKind::Desk).unwrap();
    let rows = store.list("", &[], 1000).unwrap();
    let kept: Vec<&str> = rows.iter().filter_map(|r| r.number.as_deref()).collect();
    assert!(kept.len() >= numbers.len() / 2, "most cases survive: {} of {}", kept.len(), numbers.len());
    // Every case the salvage kept opens; every case it lost is named in the list.
    for row in &rows {
        store.load(&row.id).unwrap();
    }
    for number in &numbers {
        if !kept.contains(&number.as_str()) {
            assert!(
                out.contains(number.as_str()) || out.contains("表 cases"),
                "{number} lost silently: {out}"
            );
        }
    }
    println!("{out}");
    drop(store);
    let (code, out, _) = yichuang(&["--data-dir", data_dir, "doctor"]);
    assert_eq!(code, 0, "{out}");
}
