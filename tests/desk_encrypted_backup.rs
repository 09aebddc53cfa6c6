//! The scheduled backup and `doctor`'s check of an encrypted store (src/store/doctor.rs): a backup
//! is encrypted under the same key, so a copy on a USB stick leaks nothing, and opens with the key.
//! Its own test binary: it sets the process's store key, which every desk store opened in the
//! process then uses.

mod common;

use yichuang::store::{Store, StoreKind};

#[test]
fn backups_of_an_encrypted_store_are_encrypted_and_open_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::yichuang_with_stdin(
        &[
            "--data-dir",
            dir.path().to_str().unwrap(),
            "desk",
            "clerk",
            "set",
            "--name",
            common::WANG.name,
            "--pin-stdin",
        ],
        &format!("{}\n", common::WANG.pin),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let signed = common::sign_in_here(dir.path(), &common::WANG);
    let db = dir.path().join("desk.sqlite3");
    let mut store = Store::open(&db, StoreKind::Desk).unwrap();
    let case = store.create_case("2026-12-03T01:30:00Z".parse().unwrap()).unwrap();
    assert!(yichuang::store::is_encrypted(&db));
    assert!(yichuang::store::check_file(&db).unwrap().is_empty(), "sound with the key");

    let backup = yichuang::store::backup_to(&db, &dir.path().join("backups"), yichuang::time::now()).unwrap();
    assert!(yichuang::store::is_encrypted(&backup), "the backup is not plaintext");
    let plain = rusqlite::Connection::open(&backup).unwrap();
    assert!(plain.query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0)).is_err());
    drop(plain);
    let keyed = rusqlite::Connection::open(&backup).unwrap();
    yichuang::store::apply_key(&keyed, &signed.key).unwrap();
    let n: i64 = keyed.query_row("SELECT count(*) FROM cases WHERE id = ?1", [&case], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    // A drill store in the same process stays plaintext.
    let drill = dir.path().join("drill.sqlite3");
    drop(Store::open(&drill, StoreKind::Drill).unwrap());
    assert!(yichuang::store::is_plaintext(&drill));
}
