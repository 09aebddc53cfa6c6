//! Every case carries the clerk who did it (issue 15, item 7): the desk journals the signed-in
//! clerk with each record, the outbox change carries it on the wire, HQ stores it with the change,
//! shows it in the case API and names it in its audit (`HRB/W1#王芳`), and `case show` prints it.
//! Its own test binary: it releases the store key in this process.

mod common;
mod hq_support;

#[test]
fn the_clerk_goes_with_each_change_to_hq_its_case_api_its_audit_and_case_show() {
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let hq = hq_support::Hq::start(&hq_db, "127.0.0.1:0");
    let token = hq_support::enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    common::set_at_hq(&hq_db, "HRB", &common::WANG, "clerk");
    // The running HQ publishes what another process wrote to its feed within a poll (200 ms).
    let health = format!("{}/v1/health", hq.url);
    yichuang::sync::install_tls_provider();
    let published = hq_support::wait_for(std::time::Duration::from_secs(10), || {
        reqwest::blocking::get(&health)
            .and_then(|r| r.json::<serde_json::Value>())
            .is_ok_and(|h| h["feed_seq"].as_i64().unwrap_or(0) >= 1)
    });
    assert!(published, "HQ publishes the credential set by another process");
    let data = dir.path().join("desk");
    let db = hq_support::desk(&data, "HRB", "W1");
    let out = common::yichuang([
        "--data-dir",
        data.to_str().unwrap(),
        "sync",
        "--once",
        "--hq",
        &hq.url,
        "--token",
        &token,
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // 王芳 signs in (the store is encrypted at this first sign-in) …
    let out = common::as_clerk(&data, &common::WANG, &["case", "list"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // … and, signed in, finishes a case.
    common::sign_in_here(&data, &common::WANG);
    let mut store = yichuang::store::Store::open(&db, yichuang::store::StoreKind::Desk).unwrap();
    let case = hq_support::finished_case(&mut store, "HRB", "W1", 1);
    let pending = store.outbox_pending(100).unwrap();
    assert!(!pending.is_empty() && pending.iter().all(|e| e.clerk.as_deref() == Some("王芳")), "{pending:?}");
    drop(store);
    let out = common::as_clerk(&data, &common::WANG, &["sync", "--once"]);
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
    let out = common::as_clerk(&data, &common::WANG, &["case", "show", &case]);
    let text = common::stdout(&out);
    assert!(out.status.success() && text.contains("经办 王芳"), "{text}{}", common::stderr(&out));
    assert!(text.lines().filter(|l| l.contains(" 王芳 {")).count() >= 4, "{text}");
    let out = common::as_clerk(&data, &common::WANG, &["case", "show", &case, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert!(json["journal"].as_array().unwrap().iter().all(|e| e["clerk"] == "王芳"), "{json}");
}
