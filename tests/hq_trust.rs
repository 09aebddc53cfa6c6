//! HQ you can trust (issue 15), against the real `yichuang hq serve`: a revoked token stops at
//! once, open streams included; centers do not see each other's cases; the case API masks ID and
//! phone numbers; the audit chain shows a row deleted behind HQ's back; a 4 MB question is refused;
//! idle connections are closed (plain and TLS); health sees a damaged database; a desk whose
//! cursor is ahead of HQ resets; HQ's log never holds an ID number.

mod hq_support;

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use hq_support::{Hq, ITEM, desk, enroll, hq_command, wait_for};
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{Value, json};

const ID: &str = "11010519491231002X";
const PHONE: &str = "13812345678";

/// One client for the whole test binary (building one loads the system's roots, which is slow).
fn http() -> Client {
    static CLIENT: std::sync::OnceLock<Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            yichuang::sync::install_tls_provider();
            Client::builder().timeout(Duration::from_secs(20)).build().expect("client")
        })
        .clone()
}

fn call(req: RequestBuilder) -> (u16, Value) {
    let r = req.send().expect("request");
    let status = r.status().as_u16();
    let text = r.text().expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn get(hq: &Hq, path: &str, token: &str) -> (u16, Value) {
    call(http().get(format!("{}{path}", hq.url)).bearer_auth(token))
}

fn post(hq: &Hq, path: &str, token: &str, body: &Value) -> (u16, Value) {
    call(http().post(format!("{}{path}", hq.url)).bearer_auth(token).json(body))
}

/// A finished case of HRB/W1 with the applicant's ID and phone numbers.
fn case_push(case_id: &str) -> Value {
    let change = |n: u32, body: Value| json!({"id": format!("{case_id}-{n}"), "case_id": case_id, "seq": n, "kind": "case_event", "body": body});
    json!({"changes": [
        change(1, json!({"event": "started", "at": "2026-11-30T09:00:00"})),
        change(2, json!({"event": "item_chosen", "code": ITEM, "kb_version": "2026.11.1"})),
        change(3, json!({"event": "field_set", "field": "id_number", "value": ID})),
        change(4, json!({"event": "field_set", "field": "phone", "value": PHONE})),
        change(5, json!({"event": "finished", "number": "HRB-W1-20261130-0001",
                         "decision": {"decision": "accept", "promised_date": "2026-12-04"}, "at": "2026-11-30T09:10:00"})),
    ]})
}

fn device_id(hq: &Hq, token: &str) -> String {
    get(hq, "/v1/whoami", token).1["id"].as_str().expect("device id").to_string()
}

#[test]
fn a_revoked_token_is_refused_at_once_and_its_open_stream_closes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let other = enroll(&db, &["--center", "HRB", "--window", "W2", "--role", "clerk"]);
    let hq = Hq::start(&db, "127.0.0.1:0");
    let id = device_id(&hq, &clerk);

    // An open event stream of the device.
    let stream_url = format!("{}/v1/events", hq.url);
    let stream_token = clerk.clone();
    let (ended_tx, ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        yichuang::sync::install_tls_provider();
        let client = Client::builder().timeout(None).build().expect("client");
        let mut response = client.get(stream_url).bearer_auth(stream_token).send().expect("stream");
        assert_eq!(response.status().as_u16(), 200);
        let mut buf = [0u8; 1024];
        while response.read(&mut buf).is_ok_and(|n| n > 0) {}
        let _ = ended_tx.send(());
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(ended.try_recv().is_err(), "the stream is open");

    let started = Instant::now();
    let (ok, out, err) = hq_command(&db, &["revoke", &id]);
    assert!(ok, "{out}{err}");
    ended.recv_timeout(Duration::from_secs(5)).expect("the open stream closes");
    let (status, body) = get(&hq, "/v1/whoami", &clerk);
    assert_eq!(status, 401, "{body}");
    eprintln!("revocation reached the open stream in {:?}", started.elapsed());
    let (ok, out, _) = hq_command(&db, &["devices"]);
    assert!(ok && out.lines().any(|l| l.starts_with(&id) && l.contains("已吊销")), "{out}");
    assert!(!hq_command(&db, &["revoke", &id]).0, "a revoked device cannot be revoked again");

    // Rotation: the old token works through its grace, the new one at once; without grace the
    // old one stops.
    let other_id = device_id(&hq, &other);
    let (ok, new_token, err) = hq_command(&db, &["rotate", &other_id]);
    assert!(ok, "{err}");
    let new_token = new_token.trim().to_string();
    assert_eq!(get(&hq, "/v1/whoami", &other).0, 200, "old token in its grace period");
    assert_eq!(get(&hq, "/v1/whoami", &new_token).0, 200);
    let (ok, newest, err) = hq_command(&db, &["rotate", &other_id, "--grace-hours", "0"]);
    assert!(ok, "{err}");
    assert!(wait_for(Duration::from_secs(3), || get(&hq, "/v1/whoami", &new_token).0 == 401));
    assert_eq!(get(&hq, "/v1/whoami", newest.trim()).0, 200);

    // Enrolment, revocation and rotations are in the audit.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let actions: Vec<String> = conn
        .prepare("SELECT action FROM audit WHERE action IN ('enroll', 'revoke', 'rotate') ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(actions, ["enroll", "enroll", "revoke", "rotate", "rotate"]);
}

#[test]
fn an_expired_token_and_an_unknown_department_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let (ok, _, err) =
        hq_command(&db, &["enroll", "--center", "HRB", "--department", "不存在的部门", "--role", "approver"]);
    assert!(!ok && err.contains("市场监管"), "{err}");
    let token =
        enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk", "--expires-in-days", "0"]);
    let hq = Hq::start(&db, "127.0.0.1:0");
    let (status, body) = get(&hq, "/v1/whoami", &token);
    assert_eq!(status, 401, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("过期"), "{body}");
}

#[test]
fn another_centers_approver_or_supervisor_can_neither_read_nor_decide() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let here = enroll(&db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let there = enroll(&db, &["--center", "SH", "--department", "市场监管", "--role", "approver"]);
    let supervisor_here = enroll(&db, &["--center", "HRB", "--role", "supervisor"]);
    let supervisor_there = enroll(&db, &["--center", "SH", "--role", "supervisor"]);
    let hq = Hq::start(&db, "127.0.0.1:0");
    let (status, body) = post(&hq, "/v1/push", &clerk, &case_push("c1"));
    assert!(
        status == 200 && body["results"].as_array().unwrap().iter().all(|r| r["status"] == "applied"),
        "{body}"
    );

    let decision = json!({"id": "d-1", "case_id": "c1", "decision": {"kind": "approve"}});
    for token in [&there, &supervisor_there] {
        let (status, body) = get(&hq, "/v1/cases/c1", token);
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap_or("").contains("本中心"), "{body}");
        assert_eq!(post(&hq, "/v1/decisions", token, &decision).0, 403);
        assert_eq!(get(&hq, "/v1/queue", token).1.as_array().map(Vec::len), Some(0));
        let (_, feed) = get(&hq, "/v1/pull?since=0", token);
        assert_eq!(feed["items"].as_array().map(Vec::len), Some(0), "{feed}");
    }
    assert_eq!(get(&hq, "/v1/cases/c1", &supervisor_here).0, 200);
    assert_eq!(get(&hq, "/v1/queue", &here).1.as_array().map(Vec::len), Some(1));
    let (status, body) = post(&hq, "/v1/decisions", &here, &decision);
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    // The refusals are in the audit, with their code.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let refused: i64 = conn
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'refused' AND status = 403 AND reason = 'forbidden'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(refused, 4);
}

#[test]
fn the_case_api_masks_numbers_unless_asked_and_the_log_never_holds_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let log = dir.path().join("hq.log");
    let clerk = enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let approver = enroll(&db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let supervisor = enroll(&db, &["--center", "HRB", "--role", "supervisor"]);
    let hq = Hq::start_logged(&db, "127.0.0.1:0", &[], &log);
    assert_eq!(post(&hq, "/v1/push", &clerk, &case_push("c1")).0, 200);

    for token in [&approver, &supervisor] {
        let (status, body) = get(&hq, "/v1/cases/c1", token);
        let text = body.to_string();
        assert_eq!(status, 200);
        assert!(!text.contains(ID) && !text.contains(PHONE), "{text}");
        assert!(text.contains("110105********002X") && text.contains("138****5678"), "{text}");
    }
    let (status, body) = get(&hq, "/v1/cases/c1?unmasked=true", &approver);
    assert_eq!(status, 200);
    assert!(body.to_string().contains(ID), "the approver who issues the result may see it");
    assert_eq!(get(&hq, "/v1/cases/c1?unmasked=true", &supervisor).0, 403);
    assert!(get(&hq, "/v1/cases/c1", &clerk).1.to_string().contains(ID), "the window typed it");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let reads: Vec<String> = conn
        .prepare("SELECT action FROM audit WHERE action LIKE 'read_case%' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(reads, ["read_case", "read_case", "read_case_unmasked", "read_case_unmasked"]);

    let approver_id = device_id(&hq, &approver);
    hq.kill();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(ID) && !text.contains(&ID[..17]) && !text.contains(PHONE), "{text}");
    let line = text.lines().find(|l| l.contains("route=/v1/push")).expect("the push is logged");
    assert!(
        line.contains("status=200") && line.contains("latency_ms=") && line.contains("request="),
        "{line}"
    );
    assert!(
        text.contains(&format!("device=\"{approver_id}\""))
            || text.contains(&format!("device={approver_id}")),
        "{text}"
    );
    assert!(text.contains("route=/v1/cases/{case_id}"), "routes are logged by their template: {text}");
}

#[test]
fn a_four_megabyte_question_is_refused_and_idle_plain_connections_close() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let hq = Hq::start_with(&db, "127.0.0.1:0", &["--idle-timeout", "1"]);
    let question = "问".repeat((4 * 1024 * 1024 - 4096) / 3);
    let body = json!({"changes": [{"id": "k-1", "case_id": "c1", "seq": 1, "kind": "case_event",
        "body": {"event": "call_raised", "call_id": "k1", "question": question,
                 "snapshot": {"item_code": ITEM, "item_name": "", "department": "市场监管", "applicant": "",
                              "materials": [], "situations": []},
                 "at": "2026-11-30T09:00:00"}}]});
    let (status, answer) = post(&hq, "/v1/push", &clerk, &body);
    assert_eq!((status, answer["error"]["code"].as_str()), (413, Some("field_too_long")), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap_or("").contains("question"), "{answer}");

    // Connections that send nothing, and one idle after a request, are closed.
    let addr = hq.url.trim_start_matches("http://").to_string();
    let idle: Vec<std::net::TcpStream> =
        (0..20).map(|_| std::net::TcpStream::connect(&addr).unwrap()).collect();
    let mut used = std::net::TcpStream::connect(&addr).unwrap();
    used.write_all(b"GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let started = Instant::now();
    for mut conn in idle.into_iter().chain([used]) {
        conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut rest = Vec::new();
        // EOF (or a reset) within the limit: HQ closed it.
        let _ = conn.read_to_end(&mut rest);
        assert!(started.elapsed() < Duration::from_secs(8), "closed after {:?}", started.elapsed());
    }
    eprintln!("21 idle connections closed after {:?}", started.elapsed());
    assert_eq!(get(&hq, "/v1/health", &clerk).1["status"], "ok");
}

#[test]
fn idle_tls_connections_close_before_and_after_the_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    let (cert_pem, key_pem) = (dir.path().join("hq.pem"), dir.path().join("hq.key"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.signing_key.serialize_pem()).unwrap();
    let db = dir.path().join("hq.sqlite3");
    enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let flags = [
        "--tls-cert",
        cert_pem.to_str().unwrap(),
        "--tls-key",
        key_pem.to_str().unwrap(),
        "--idle-timeout",
        "1",
    ];
    let hq = Hq::start_with(&db, "127.0.0.1:0", &flags);
    let addr = hq.url.trim_start_matches("https://").to_string();

    // No handshake at all.
    let mut silent = std::net::TcpStream::connect(&addr).unwrap();
    silent.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    let _ = silent.read_to_end(&mut Vec::new());
    assert!(started.elapsed() < Duration::from_secs(8), "closed after {:?}", started.elapsed());

    // A completed handshake, then nothing.
    yichuang::sync::install_tls_provider();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut sock = std::net::TcpStream::connect(&addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    while tls.is_handshaking() {
        tls.complete_io(&mut sock).expect("handshake");
    }
    let started = Instant::now();
    let mut stream = rustls::Stream::new(&mut tls, &mut sock);
    let _ = stream.read_to_end(&mut Vec::new());
    assert!(started.elapsed() < Duration::from_secs(8), "closed after {:?}", started.elapsed());
}

#[test]
fn audit_verify_reports_a_row_deleted_behind_hqs_back_and_export_is_per_center() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    enroll(&db, &["--center", "SH", "--window", "W1", "--role", "clerk"]);
    let hq = Hq::start(&db, "127.0.0.1:0");
    assert_eq!(post(&hq, "/v1/push", &clerk, &case_push("c1")).0, 200);
    hq.kill();
    let (ok, out, _) = hq_command(&db, &["audit", "verify"]);
    assert!(ok && out.contains("审计链完整"), "{out}");
    let (ok, csv, _) = hq_command(&db, &["audit", "export", "--center", "HRB"]);
    assert!(ok);
    // Header, enrolment of HRB/W1, five pushes; SH's enrolment is not HRB's.
    assert_eq!(csv.lines().count(), 7, "{csv}");
    assert!(!csv.contains(",SH,"), "{csv}");
    let (ok, jsonl, _) = hq_command(&db, &["audit", "export", "--format", "jsonl"]);
    assert!(ok && jsonl.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()), "{jsonl}");

    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 4;").unwrap();
    drop(conn);
    let (ok, out, _) = hq_command(&db, &["audit", "verify"]);
    assert!(!ok, "a broken chain fails: {out}");
    assert!(out.contains("第 5 条") && out.contains("缺失"), "{out}");
}

/// Overwrites the root page of `table` with garbage, as a failing disk would.
fn damage(db: &Path, table: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let (root, size): (i64, i64) = conn
        .query_row(
            "SELECT rootpage, (SELECT page_size FROM pragma_page_size()) FROM sqlite_master WHERE name = ?1",
            [table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    drop(conn);
    let mut file = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(((root - 1) * size) as u64)).unwrap();
    file.write_all(&vec![0xAB; size as usize]).unwrap();
}

#[test]
fn health_is_not_ok_on_a_damaged_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    damage(&db, "changes");
    let hq = Hq::start(&db, "127.0.0.1:0");
    let (status, _) = post(&hq, "/v1/push", &clerk, &case_push("c1"));
    assert_eq!(status, 503);
    let r = http().get(format!("{}/v1/health", hq.url)).send().unwrap();
    assert_eq!(r.status().as_u16(), 503);
    let body: Value = r.json().unwrap();
    assert_ne!(body["status"], "ok", "{body}");
}

#[test]
fn a_cursor_ahead_of_hq_is_answered_and_the_desk_resets_to_hqs_newest() {
    use yichuang::store::{Store, StoreKind};
    use yichuang::sync::{HqClient, sync_once};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let hq = Hq::start(&db, "127.0.0.1:0");
    let (status, body) = get(&hq, "/v1/pull?since=1000", &clerk);
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("cursor_ahead")), "{body}");
    let desk_db = desk(&dir.path().join("W1"), "HRB", "W1");
    let mut store = Store::open(&desk_db, StoreKind::Desk).unwrap();
    store.reset_sync_cursor(1000).unwrap();
    let client = HqClient::new(&hq.url, &clerk, None, Duration::from_secs(10)).unwrap();
    sync_once(&mut store, &client, 100).expect("the desk resets and syncs");
    let newest = client.health().unwrap().feed_seq;
    assert_eq!(store.sync_cursor().unwrap(), newest);
}

#[test]
fn the_desk_refuses_plain_http_to_a_remote_hq() {
    use yichuang::sync::HqClient;
    let Err(err) = HqClient::new("http://10.1.2.3:8440", "yc_x", None, Duration::from_secs(1)) else {
        panic!("plain http to a remote HQ was accepted")
    };
    assert!(err.to_string().contains("https://"), "{err}");
    assert!(HqClient::new("http://127.0.0.1:8440", "yc_x", None, Duration::from_secs(1)).is_ok());
    assert!(HqClient::new("http://localhost:8440", "yc_x", None, Duration::from_secs(1)).is_ok());
    assert!(HqClient::new("https://hq.example:8443", "yc_x", None, Duration::from_secs(1)).is_ok());
}

#[test]
fn a_flood_of_refused_requests_is_counted_not_audited_row_by_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let hq = Hq::start(&db, "127.0.0.1:0");
    let rows = || -> i64 {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).unwrap()
    };
    let before = rows();
    let minute = || chrono::Utc::now().timestamp() / 60;
    let first_minute = minute();
    for i in 0..500 {
        assert_eq!(get(&hq, "/v1/pull?since=0", &format!("yc_forged{i}")).0, 401);
        assert_eq!(get(&hq, "/v1/queue", &clerk).0, 403);
    }
    // One row per kind of refusal in each minute, the rest counted into one summary row per kind
    // when a later minute starts, and the chain is whole. A run that crosses minute boundaries
    // adds at most two first rows and two summaries per minute.
    let minutes = minute() - first_minute + 1;
    let added = rows() - before;
    if minutes == 1 {
        assert_eq!(added, 2, "1,000 refusals of two kinds");
    } else {
        assert!((2..=4 * minutes).contains(&added), "1,000 refusals over {minutes} minutes: {added} rows");
    }
    let (ok, out, _) = hq_support::hq_command(&db, &["audit", "verify"]);
    assert!(ok, "{out}");
}
