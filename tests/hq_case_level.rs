//! What leaves the desk is the case, not the keystrokes: a standard intake typed key by key into a
//! real desk store, synced by `yichuang sync --once` to a real HQ process on loopback. HQ must hold
//! no partial value of any field, and rebuild the same case the desk has.

mod desk_support;
mod hq_support;

use std::process::Command;

use desk_support::{Desk, monday_morning, small_kb, standard_intake};
use hq_support::{Hq, bin, enroll};
use yichuang::intake::case::{Case, CaseEvent, Step};

#[test]
fn hq_receives_the_case_not_the_keystrokes_and_rebuilds_the_same_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hq_db = dir.path().join("hq.sqlite3");
    let token = enroll(&hq_db, &["--center", "HRBDL", "--window", "05", "--role", "clerk"]);
    let hq = Hq::start(&hq_db, "127.0.0.1:0");

    let mut desk = Desk::new(small_kb(), monday_morning());
    let case_id = standard_intake(&mut desk);
    let journal = desk.effects.store.events(&case_id).expect("journal");
    let outbox = desk.effects.store.outbox_count().expect("outbox");
    let desk_case = desk.effects.store.load(&case_id).expect("case");
    eprintln!("a standard intake: {} journal entries, {outbox} outbox changes", journal.len());
    assert!(journal.len() >= 40, "the journal keeps every keystroke: {}", journal.len());
    assert!(outbox <= 20, "the outbox carries the case: {outbox} changes");

    let out = Command::new(bin())
        .arg("--data-dir")
        .arg(desk.dir.path())
        .args(["sync", "--once", "--hq", &hq.url, "--token", &token])
        .output()
        .expect("run sync");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("待同步 0 条"), "{stdout}");

    let conn = rusqlite::Connection::open(&hq_db).expect("hq db");
    let bodies: Vec<String> = conn
        .prepare("SELECT body FROM changes WHERE case_id = ?1 ORDER BY seq")
        .and_then(|mut s| s.query_map([&case_id], |r| r.get(0))?.collect())
        .expect("changes");
    assert_eq!(bodies.len(), outbox, "HQ has every change the desk sent");
    let events: Vec<CaseEvent> =
        bodies.iter().map(|b| serde_json::from_str(b).expect("a case event")).collect();
    for event in &events {
        match event {
            CaseEvent::FieldSet { field, value } => {
                assert_eq!(value, desk_case.field(*field), "HQ holds a partial value of {field:?}")
            }
            CaseEvent::MaterialMarked { id, state } => {
                assert_eq!(state.as_ref(), desk_case.materials.get(id), "material {id}")
            }
            CaseEvent::StepEntered { .. } => panic!("navigation does not leave the desk"),
            _ => {}
        }
    }
    let mut fields: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::FieldSet { field, .. } => Some(*field),
            _ => None,
        })
        .collect();
    fields.sort();
    fields.dedup();
    assert_eq!(fields.len(), desk_case.fields.len(), "each field once");
    let hq_case = Case::from_events(&events);
    // All but the query code, which only leaves the desk as its hash.
    let desk_case = Case { query_code: None, ..desk_case };
    assert_eq!(hq_case, desk_case, "HQ rebuilds the same case");
    assert_eq!(hq_case.step, Step::Done);
    hq.kill();
}
