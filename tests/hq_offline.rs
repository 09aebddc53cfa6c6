//! Offline and catch-up: desks work through a whole intake with HQ down, `yichuang sync --once`
//! says so and keeps everything; once HQ is up, one round delivers it all. Then the way back: an
//! approver's decision, a call reply and a published KB reach the desk by pull and by the live
//! stream, and the KB is verified by its hash.

mod hq_support;

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::time::Duration;

use hq_support::{Hq, bin, desk, enroll, finished_case, free_port};
use yichuang::intake::call::CallSnapshot;
use yichuang::intake::case::CaseEvent;
use yichuang::store::{Store, StoreKind};

fn sync_once(data_dir: &std::path::Path, extra: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin())
        .arg("--data-dir")
        .arg(data_dir)
        .args(["sync", "--once"])
        .args(extra)
        .output()
        .expect("run sync");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn hq_count(db: &std::path::Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("hq db");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

#[test]
fn desks_work_with_hq_down_for_the_whole_intake_and_deliver_everything_when_it_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hq_db = dir.path().join("hq.sqlite3");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut total_cases = 0;
    let mut data_dirs = Vec::new();
    for w in ["W1", "W2"] {
        let token = enroll(&hq_db, &["--center", "HRB", "--window", w, "--role", "clerk"]);
        let data_dir = dir.path().join(w);
        let db = desk(&data_dir, "HRB", w);
        let mut store = Store::open(&db, StoreKind::Desk).expect("store");
        // A day's work with HQ unreachable, with a sync attempt after every ten cases.
        for n in 0..60 {
            finished_case(&mut store, "HRB", w, n);
            total_cases += 1;
            if n % 10 == 9 {
                let (ok, _, err) = sync_once(&data_dir, &["--hq", &url, "--token", &token]);
                assert!(!ok, "HQ is down, sync must fail");
                assert!(err.contains("离线"), "says it is offline: {err}");
            }
        }
        assert_eq!(store.outbox_count().expect("count"), 300);
        data_dirs.push(data_dir);
    }

    let hq = Hq::start(&hq_db, &format!("127.0.0.1:{port}"));
    for data_dir in &data_dirs {
        let (ok, out, err) = sync_once(data_dir, &[]);
        assert!(ok, "sync after HQ came back: {out} {err}");
        assert!(out.contains("新 300") && out.contains("待同步 0 条"), "{out}");
        let (ok, out, _) = sync_once(data_dir, &[]);
        assert!(ok && out.contains("推送 0 条"), "nothing left: {out}");
    }
    assert_eq!(hq_count(&hq_db, "SELECT count(*) FROM cases WHERE number IS NOT NULL"), total_cases);
    assert_eq!(hq_count(&hq_db, "SELECT count(*) FROM changes"), total_cases * 5);
    assert_eq!(hq_count(&hq_db, "SELECT count(DISTINCT change_id) FROM changes"), total_cases * 5);
    assert!(hq_count(&hq_db, "SELECT count(*) FROM audit WHERE action = 'push'") >= total_cases * 5);
    hq.kill();
}

#[test]
fn decisions_call_replies_and_kb_versions_reach_the_desk_by_pull_and_live_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hq_db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let approver = enroll(&hq_db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let kb_admin = enroll(&hq_db, &["--center", "HRB", "--role", "kb-admin"]);
    let hq = Hq::start(&hq_db, "127.0.0.1:0");
    let data_dir = dir.path().join("W1");
    let db = desk(&data_dir, "HRB", "W1");
    let (case_id, number) = {
        let mut store = Store::open(&db, StoreKind::Desk).expect("store");
        let id = finished_case(&mut store, "HRB", "W1", 1);
        let raised = CaseEvent::CallRaised {
            call_id: "call-1".into(),
            question: "复印件可以吗".into(),
            snapshot: CallSnapshot {
                item_code: hq_support::ITEM.into(),
                department: "市场监管".into(),
                ..CallSnapshot::default()
            },
            at: chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
                .expect("d")
                .and_hms_opt(9, 5, 0)
                .map(yichuang::time::from_hall_local)
                .expect("t"),
        };
        store.append(&id, raised, yichuang::time::now()).expect("call");
        let number = store.load(&id).expect("case").number.expect("number");
        (id, number)
    };
    let (ok, out, err) = sync_once(&data_dir, &["--hq", &hq.url, "--token", &clerk]);
    assert!(ok, "{out}{err}");

    // The live stream of the window: open it now, read what arrives.
    yichuang::sync::install_tls_provider();
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
    let stream = http
        .get(format!("{}/v1/events", hq.url))
        .bearer_auth(&clerk)
        .header("Last-Event-ID", "0")
        .send()
        .expect("events");
    assert_eq!(stream.status(), 200);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    // The approver of the department decides and answers the call.
    let post = |path: &str, body: serde_json::Value| {
        let r =
            http.post(format!("{}{path}", hq.url)).bearer_auth(&approver).json(&body).send().expect("post");
        (r.status().as_u16(), r.json::<serde_json::Value>().expect("json"))
    };
    let decision = serde_json::json!({"id": "dec-1", "case_id": case_id, "decision": {"kind": "approve"}});
    let (status, body) = post("/v1/decisions", decision.clone());
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    let (_, again) = post("/v1/decisions", decision);
    assert_eq!(again["status"], "duplicate");
    let other = serde_json::json!({"id": "dec-1", "case_id": case_id, "decision": {"kind": "refuse", "reason": "x", "basis": "y"}});
    assert_eq!(post("/v1/decisions", other).1["status"], "conflict");
    let (status, _) = post(
        "/v1/calls/call-1/reply",
        serde_json::json!({"id": "r-1", "text": "加盖公章即可", "resolve": true}),
    );
    assert_eq!(status, 200);

    // The KB maintainer publishes the repository's KB.
    let kb_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base");
    let out = Command::new(bin())
        .args(["hq", "kb", "publish"])
        .arg(&kb_dir)
        .args(["--hq", &hq.url, "--token", &kb_admin])
        .output()
        .expect("publish");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("已发布"));
    let out = Command::new(bin())
        .args(["hq", "kb", "publish"])
        .arg(&kb_dir)
        .args(["--hq", &hq.url, "--token", &clerk])
        .output()
        .expect("publish");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("403"));
    // Different content under a version label HQ already has is refused.
    let changed = dir.path().join("kb-changed");
    copy_dir(&kb_dir, &changed);
    let item = changed.join("items").join("CG0001.toml");
    std::fs::write(&item, std::fs::read_to_string(&item).unwrap() + "\n# 补充说明\n").unwrap();
    let out = Command::new(bin())
        .args(["hq", "kb", "publish"])
        .arg(&changed)
        .args(["--hq", &hq.url, "--token", &kb_admin])
        .output()
        .expect("publish");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("提高版本号"), "{stderr}");

    // Live: the stream delivered the call's state, the decision, the reply and the KB version.
    let mut kinds = Vec::new();
    let mut last_id = 0i64;
    while kinds.len() < 5 {
        let line = rx.recv_timeout(Duration::from_secs(20)).expect("event arrives");
        if let Some(kind) = line.strip_prefix("event: ") {
            kinds.push(kind.to_string());
        } else if let Some(id) = line.strip_prefix("id: ") {
            last_id = id.parse().expect("numeric id");
        }
    }
    assert_eq!(kinds, ["call_state", "decision", "call_reply", "call_state", "kb_version"]);
    // Resuming after the last id gives nothing old.
    let resumed = http
        .get(format!("{}/v1/pull?since={last_id}", hq.url))
        .bearer_auth(&clerk)
        .send()
        .expect("pull")
        .json::<serde_json::Value>()
        .expect("json");
    assert_eq!(resumed["items"].as_array().map(Vec::len), Some(0));

    // Pull: one round brings it all into the desk's store, and the KB is downloaded and verified.
    let (ok, out, err) = sync_once(&data_dir, &[]);
    assert!(ok && out.contains("下载知识库 1 个"), "{out}{err}");
    let mut store = Store::open(&db, StoreKind::Desk).expect("store");
    let ready = store.ready_for_handover().expect("handover");
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].number, number);
    let case = store.load(&case_id).expect("case");
    assert_eq!(case.calls[0].replies[0].text, "加盖公章即可");
    assert_eq!(case.calls[0].state, yichuang::intake::call::CallState::Resolved);
    let (hash, kb) = yichuang::sync::ready_kb(&store).expect("kb").expect("downloaded");
    assert_eq!(kb.meta.version, yichuang::kb::Kb::embedded().expect("kb").meta.version);
    assert_eq!(hash.len(), 64);
    // Nothing that came from HQ goes back to it.
    assert_eq!(store.outbox_count().expect("count"), 0);
    // HQ's audit has every state change with its actor.
    let conn = rusqlite::Connection::open(&hq_db).expect("hq db");
    let actions: Vec<String> = conn
        .prepare("SELECT action || ' ' || actor FROM audit WHERE action != 'push' ORDER BY seq")
        .expect("audit")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("audit");
    assert!(actions.contains(&"decide HRB/市场监管".to_string()), "{actions:?}");
    assert!(actions.iter().any(|a| a.starts_with("kb_publish")), "{actions:?}");
    assert!(conn.execute("DELETE FROM audit", []).is_err(), "audit is append-only");
    hq.kill();
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
