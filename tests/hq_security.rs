//! Authorisation and hostile input against the real HQ: no token → 401, wrong role → 403, a window
//! cannot read another window's case, oversized and malformed bodies → 4xx with a JSON error, and
//! arbitrary bytes never make HQ answer 5xx or fall over.

mod hq_support;

use std::time::Duration;

use hq_support::{Hq, ITEM, enroll};
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{Value, json};

struct Setup {
    _dir: tempfile::TempDir,
    hq: Hq,
    http: Client,
    w1: String,
    w2: String,
    approver: String,
    other_approver: String,
    kb_admin: String,
    supervisor: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hq.sqlite3");
    let w1 = enroll(&db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let w2 = enroll(&db, &["--center", "HRB", "--window", "W2", "--role", "clerk"]);
    let approver = enroll(&db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let other_approver = enroll(&db, &["--center", "HRB", "--department", "人社", "--role", "approver"]);
    let kb_admin = enroll(&db, &["--center", "HRB", "--role", "kb-admin"]);
    let supervisor = enroll(&db, &["--center", "HRB", "--role", "supervisor"]);
    let hq = Hq::start(&db, "127.0.0.1:0");
    yichuang::sync::install_tls_provider();
    let http = Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    Setup { _dir: dir, hq, http, w1, w2, approver, other_approver, kb_admin, supervisor }
}

/// Sends and returns (status, JSON body); every answer of HQ must be JSON.
fn call(req: RequestBuilder) -> (u16, Value) {
    let r = req.send().expect("request");
    let status = r.status().as_u16();
    let text = r.text().expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("answer {status} is not JSON: {text}"));
    (status, body)
}

/// Writes raw bytes to HQ (ignoring a connection HQ closes early) and parses the answer.
fn raw(url: &str, request: &[u8]) -> (u16, Value) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let _ = conn.write_all(request);
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn push_body(case_id: &str, id: &str) -> Value {
    json!({"changes": [
        {"id": format!("{id}-a"), "case_id": case_id, "seq": 1, "kind": "case_event",
         "body": {"event": "started", "at": "2026-11-30T09:00:00"}},
        {"id": format!("{id}-b"), "case_id": case_id, "seq": 2, "kind": "case_event",
         "body": {"event": "item_chosen", "code": ITEM, "kb_version": "2026.11.1"}},
        {"id": format!("{id}-c"), "case_id": case_id, "seq": 3, "kind": "case_event",
         "body": {"event": "finished", "number": "HRB-W1-20261130-0001",
                  "decision": {"decision": "accept", "promised_date": "2026-12-04"}, "at": "2026-11-30T09:10:00"}}
    ]})
}

impl Setup {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.hq.url)
    }
    fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut r = self.http.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        call(r)
    }
    fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut r = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        call(r)
    }
}

#[test]
fn tokens_roles_and_scopes_are_enforced() {
    let s = setup();
    // No token, a wrong token, a malformed header → 401 with a clear message.
    for path in ["/v1/pull", "/v1/whoami", "/v1/cases/c1", "/v1/events", "/v1/kb/00"] {
        let (status, body) = s.get(path, None);
        assert_eq!((status, code(&body)), (401, "unauthorized"), "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap_or("").contains("令牌"));
    }
    assert_eq!(s.post("/v1/push", None, &push_body("c1", "x")).0, 401);
    assert_eq!(s.get("/v1/pull", Some("yc_forged")).0, 401);
    assert_eq!(call(s.http.get(s.url("/v1/pull")).header("Authorization", "Basic abc")).0, 401);
    // The scheme is case-insensitive.
    let lower = format!("bearer {}", s.w1);
    assert_eq!(call(s.http.get(s.url("/v1/whoami")).header("Authorization", lower)).0, 200);
    // The handshake and health need no token.
    assert_eq!(s.get("/v1/version", None).1["protocol"], 1);
    assert_eq!(s.get("/v1/health", None).1["status"], "ok");

    // Window W1 pushes its case; only clerks push.
    let (status, body) = s.post("/v1/push", Some(&s.w1), &push_body("case-w1", "w1"));
    assert_eq!(status, 200, "{body}");
    for token in [&s.approver, &s.kb_admin, &s.supervisor] {
        let (status, body) = s.post("/v1/push", Some(token), &push_body("case-x", "x"));
        assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
    }
    // W2 cannot write into W1's case: the change is answered as a conflict, not applied.
    let (_, body) = s.post("/v1/push", Some(&s.w2), &push_body("case-w1", "w2"));
    assert_eq!(body["results"][0]["status"], "conflict");
    assert!(body["results"][0]["message"].as_str().unwrap_or("").contains("HRB/W1"));

    // Reading a case: own window yes, other window no; department's approver yes, other no.
    assert_eq!(s.get("/v1/cases/case-w1", Some(&s.w1)).0, 200);
    let (status, body) = s.get("/v1/cases/case-w1", Some(&s.w2));
    assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("HRB/W2"));
    assert_eq!(s.get("/v1/cases/case-w1", Some(&s.approver)).0, 200);
    assert_eq!(s.get("/v1/cases/case-w1", Some(&s.other_approver)).0, 403);
    assert_eq!(s.get("/v1/cases/case-w1", Some(&s.supervisor)).0, 200);
    assert_eq!(s.get("/v1/cases/case-w1", Some(&s.kb_admin)).0, 403);
    assert_eq!(s.get("/v1/cases/no-such-case", Some(&s.w1)).0, 404);

    // Deciding: a clerk token never; another department's approver neither; the right one yes.
    let decision = json!({"id": "d-1", "case_id": "case-w1", "decision": {"kind": "approve"}});
    let (status, body) = s.post("/v1/decisions", Some(&s.w1), &decision);
    assert_eq!((status, code(&body)), (403, "forbidden"));
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("窗口令牌不能作出审批决定"));
    assert_eq!(s.post("/v1/decisions", Some(&s.other_approver), &decision).0, 403);
    assert_eq!(s.post("/v1/decisions", Some(&s.kb_admin), &decision).0, 403);
    let (status, body) = s.post("/v1/decisions", Some(&s.approver), &decision);
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
    let incomplete =
        json!({"id": "d-2", "case_id": "case-w1", "decision": {"kind": "refuse", "reason": "", "basis": ""}});
    assert_eq!(s.post("/v1/decisions", Some(&s.approver), &incomplete).0, 400);
    // A decided case stays decided: a second, different decision is a conflict with its reason.
    let again = json!({"id": "d-3", "case_id": "case-w1", "decision": {"kind": "refuse", "reason": "不符合条件", "basis": "《公司法》"}});
    let (status, body) = s.post("/v1/decisions", Some(&s.supervisor), &again);
    assert_eq!((status, body["status"].as_str()), (200, Some("conflict")), "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("已作出「准予」决定"), "{body}");
    // Publishing a KB: kb-admin only.
    let kb = json!({"files": [{"path": "kb.toml", "text": "x"}]});
    assert_eq!(s.post("/v1/kb", Some(&s.w1), &kb).0, 403);
    let (status, body) = s.post("/v1/kb", Some(&s.kb_admin), &kb);
    assert_eq!((status, code(&body)), (400, "bad_request"), "a broken KB is refused: {body}");
    // A window's feed holds its own decision; another window's feed does not.
    let (_, feed) = s.get("/v1/pull?since=0", Some(&s.w1));
    assert_eq!(feed["items"][0]["body"]["kind"], "decision");
    let (_, feed) = s.get("/v1/pull?since=0", Some(&s.w2));
    assert_eq!(feed["items"].as_array().map(Vec::len), Some(0));
}

#[test]
fn malformed_and_oversized_requests_get_4xx_with_json_errors() {
    let s = setup();
    let push = |body: Vec<u8>, ctype: &str| {
        call(s.http.post(s.url("/v1/push")).bearer_auth(&s.w1).header("Content-Type", ctype).body(body))
    };
    // Oversized: HQ answers 413 from the declared length, before reading the body, and also
    // when a chunked body grows past the limit.
    let declared = format!(
        "POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{{\"changes\":",
        s.w1,
        5 * 1024 * 1024
    );
    let (status, body) = raw(&s.hq.url, declared.as_bytes());
    assert_eq!((status, code(&body)), (413, "payload_too_large"), "{body}");
    let mut chunked = format!(
        "POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        s.w1
    )
    .into_bytes();
    for _ in 0..5 {
        chunked.extend_from_slice(format!("{:x}\r\n", 1024 * 1024).as_bytes());
        chunked.extend(std::iter::repeat_n(b' ', 1024 * 1024));
        chunked.extend_from_slice(b"\r\n");
    }
    let (status, body) = raw(&s.hq.url, &chunked);
    assert_eq!((status, code(&body)), (413, "payload_too_large"), "{body}");
    let cases: Vec<(&[u8], u16, &str)> = vec![
        (b"{", 400, "bad_request"),
        (b"", 400, "bad_request"),
        (b"null", 400, "bad_request"),
        (b"{\"changes\": []}", 400, "bad_request"),
        (b"{\"changes\": [{\"id\": \"\", \"case_id\": \"c\", \"seq\": 1, \"kind\": \"case_event\", \"body\": {}}]}", 400, "bad_request"),
        (b"{\"changes\": [{\"id\": \"a\", \"case_id\": \"c\", \"seq\": -1, \"kind\": \"case_event\", \"body\": {}}]}", 400, "bad_request"),
        (b"{\"changes\": [{\"id\": \"a\", \"case_id\": \"c\", \"seq\": 1, \"kind\": \"nope\", \"body\": {}}]}", 400, "bad_request"),
        (b"{\"changes\": [{\"id\": \"a\", \"case_id\": \"../x\", \"seq\": 1, \"kind\": \"case_event\", \"body\": {}}]}", 400, "bad_request"),
        (b"\xff\xfe\x00garbage", 400, "bad_request"),
    ];
    for (bytes, want, want_code) in cases {
        let (status, body) = push(bytes.to_vec(), "application/json");
        assert_eq!((status, code(&body)), (want, want_code), "{}: {body}", String::from_utf8_lossy(bytes));
    }
    let (status, body) = push(b"{}".to_vec(), "text/plain");
    assert_eq!((status, code(&body)), (415, "unsupported_media_type"));
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"id": format!("c{i}"), "case_id": "c", "seq": i, "kind": "case_event", "body": {}}))
        .collect();
    let (status, body) =
        push(serde_json::to_vec(&json!({"changes": too_many})).expect("json"), "application/json");
    assert_eq!(status, 400, "{body}");
    // Queries, headers, paths and methods.
    assert_eq!(s.get("/v1/pull?since=abc", Some(&s.w1)).0, 400);
    assert_eq!(s.get("/v1/pull?since=-5", Some(&s.w1)).0, 400);
    assert_eq!(s.get("/v1/events?since=-4", Some(&s.w1)).0, 400);
    assert_eq!(s.get("/v1/pull?bogus=1", Some(&s.w1)).0, 400);
    assert_eq!(call(s.http.get(s.url("/v1/events")).bearer_auth(&s.w1).header("Last-Event-ID", "x")).0, 400);
    assert_eq!(s.get("/v1/cases/a%20b", Some(&s.w1)).0, 400);
    assert_eq!(s.get("/v1/kb/xyz", Some(&s.w1)).0, 400);
    assert_eq!(s.get("/v1/nothing", Some(&s.w1)).0, 404);
    assert_eq!(call(s.http.delete(s.url("/v1/push")).bearer_auth(&s.w1)).0, 405);
    let (status, body) = s.post("/v1/decisions", Some(&s.approver), &json!({"id": "x"}));
    assert_eq!((status, code(&body)), (400, "bad_request"));

    // Arbitrary bytes: always a 4xx, never a 5xx, and HQ stays up.
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for n in 0..300 {
        let len = (n * 7) % 600;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let (status, _) = push(bytes, "application/json");
        assert!((400..500).contains(&status), "arbitrary body #{n} got {status}");
    }
    assert_eq!(s.get("/v1/health", None).1["status"], "ok");
}

#[test]
fn a_client_trickling_its_headers_is_cut_off() {
    use std::io::{Read, Write};
    let s = setup();
    let addr = s.hq.url.trim_start_matches("http://").to_string();
    let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
    conn.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n").expect("write");
    conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let start = std::time::Instant::now();
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let waited = start.elapsed();
    assert!(waited < Duration::from_secs(25), "HQ held a half-sent request for {waited:?}");
    // Anything HQ says on the way out is an error status, never a served request.
    let text = String::from_utf8_lossy(&answer);
    assert!(!text.starts_with("HTTP/1.1 200"), "{text}");
    // And HQ still serves everyone else.
    assert_eq!(s.get("/v1/health", None).0, 200);
}
