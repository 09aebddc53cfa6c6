//! Call delivery on loopback with 240 connected windows and 30 approvers (10 departments of 3):
//! clerk → approver (push of the call until the approver's live stream has it) and answer → clerk
//! (the approver's reply until the window's live stream has it). Goal p99 < 50 ms. Printed beside
//! a plain loopback HTTP round trip (`GET /v1/version`) as the floor. Run: `cargo bench --bench hq_calls`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use yichuang::intake::call::CallSnapshot;
use yichuang::intake::case::CaseEvent;
use yichuang::protocol::ReplyRequest;
use yichuang::store::{Store, StoreKind};
use yichuang::sync::{HqClient, RoundReport, push_all};

const WINDOWS: usize = 240;
const DEPARTMENTS: usize = 10;
const APPROVERS_PER_DEPARTMENT: usize = 3;
const CALLS: usize = 480;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_yichuang")
}

fn enroll(db: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(bin()).args(["hq", "enroll", "--db"]).arg(db).args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// Reads a live stream, noting when each call (or reply) id first arrives.
fn listen(url: String, token: String, kind: &'static str, arrivals: Arrivals) {
    std::thread::spawn(move || {
        yichuang::sync::install_tls_provider();
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(600)).build().unwrap();
        let Ok(stream) = http.get(format!("{url}/v1/events")).bearer_auth(&token).send() else { return };
        let mut event = String::new();
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if let Some(e) = line.strip_prefix("event: ") {
                event = e.to_string();
            } else if let Some(data) = line.strip_prefix("data: ")
                && event == kind
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(data)
                && let Some(id) = v["body"]["call_id"].as_str()
            {
                arrivals.lock().unwrap().entry(id.to_string()).or_insert_with(Instant::now);
            }
        }
    });
}

/// The 50th and 99th percentiles of `v`.
fn p50_p99(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let p = |q: f64| v.get(((v.len() as f64 * q) as usize).min(v.len().saturating_sub(1))).copied();
    (p(0.5).unwrap_or_default(), p(0.99).unwrap_or_default())
}

fn percentiles(v: Vec<Duration>) -> String {
    let n = v.len();
    let (p50, p99) = p50_p99(v);
    format!("p50 {:.1} ms, p99 {:.1} ms (n = {n})", p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test` runs benches once; this one needs `cargo bench`.
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let windows: Vec<String> = (0..WINDOWS)
        .map(|w| enroll(&db, &["--center", "HRB", "--window", &format!("W{w:03}"), "--role", "clerk"]))
        .collect();
    // Ten real department groups of the embedded KB, each with one of its items: HQ routes a
    // call by its item and enrols approvers of known departments only.
    let kb = yichuang::kb::Kb::embedded().unwrap();
    let mut by_department = std::collections::BTreeMap::new();
    for item in &kb.items {
        by_department.entry(item.department_group.clone()).or_insert_with(|| item.code.clone());
    }
    let (departments, items): (Vec<String>, Vec<String>) =
        by_department.into_iter().take(DEPARTMENTS).unzip();
    assert_eq!(departments.len(), DEPARTMENTS, "the embedded KB has {DEPARTMENTS} department groups");
    let approvers: Vec<(usize, String)> = (0..DEPARTMENTS * APPROVERS_PER_DEPARTMENT)
        .map(|i| {
            let d = i % DEPARTMENTS;
            (d, enroll(&db, &["--center", "HRB", "--department", &departments[d], "--role", "approver"]))
        })
        .collect();
    let mut hq = Command::new(bin())
        .args(["hq", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(hq.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().trim_start_matches("listening on ").to_string();

    // Floor: a plain loopback HTTP round trip.
    yichuang::sync::install_tls_provider();
    let http = reqwest::blocking::Client::new();
    let floor: Vec<Duration> = (0..1000)
        .map(|_| {
            let t = Instant::now();
            http.get(format!("{url}/v1/version")).send().unwrap().bytes().unwrap();
            t.elapsed()
        })
        .collect();

    let calls_seen: Arrivals = Arc::default();
    let replies_seen: Arrivals = Arc::default();
    for (_, token) in &approvers {
        listen(url.clone(), token.clone(), "call", calls_seen.clone());
    }
    for token in &windows {
        listen(url.clone(), token.clone(), "call_reply", replies_seen.clone());
    }
    std::thread::sleep(Duration::from_secs(2));

    let mut stores: Vec<Store> = (0..WINDOWS)
        .map(|w| {
            let path = dir.path().join(format!("desk{w}.sqlite3"));
            Store::open(&path, StoreKind::Desk).unwrap()
        })
        .collect();
    let clients: Vec<HqClient> =
        windows.iter().map(|t| HqClient::new(&url, t, None, Duration::from_secs(10)).unwrap()).collect();
    let approver_clients: Vec<(usize, HqClient)> = approvers
        .iter()
        .map(|(d, t)| (*d, HqClient::new(&url, t, None, Duration::from_secs(10)).unwrap()))
        .collect();
    let mut sent: HashMap<String, (Instant, usize)> = HashMap::new();
    let mut to_approver = Vec::new();
    let mut to_clerk = Vec::new();
    let mut lost = 0usize;
    for n in 0..CALLS {
        let w = n % WINDOWS;
        let d = n % DEPARTMENTS;
        let call_id = format!("call-{n}");
        let now = yichuang::time::now();
        let store = &mut stores[w];
        let case_id = store.create_case(now).unwrap();
        let event = CaseEvent::CallRaised {
            call_id: call_id.clone(),
            question: "能否容缺".into(),
            snapshot: CallSnapshot {
                item_code: items[d].clone(),
                department: departments[d].clone(),
                ..CallSnapshot::default()
            },
            at: now,
        };
        store.append(&case_id, event, now).unwrap();
        let start = Instant::now();
        push_all(store, &clients[w], 100, &mut RoundReport::default()).unwrap();
        sent.insert(call_id.clone(), (start, d));
        // Wait for it at an approver, then answer from the department's first approver.
        let deadline = Instant::now() + Duration::from_secs(5);
        let arrived = loop {
            if let Some(t) = calls_seen.lock().unwrap().get(&call_id).copied() {
                break Some(t);
            }
            if Instant::now() > deadline {
                break None;
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        match arrived {
            Some(t) => to_approver.push(t.duration_since(start)),
            None => lost += 1,
        }
        let approver = &approver_clients.iter().find(|(ad, _)| *ad == d).unwrap().1;
        let start = Instant::now();
        approver
            .reply(&call_id, &ReplyRequest { id: format!("r-{n}"), text: "可以".into(), resolve: false })
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(t) = replies_seen.lock().unwrap().get(&call_id).copied() {
                to_clerk.push(t.duration_since(start));
                break;
            }
            if Instant::now() > deadline {
                lost += 1;
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    let worst = p50_p99(to_approver.clone()).1.max(p50_p99(to_clerk.clone()).1);
    println!("loopback HTTP round trip (floor):      {}", percentiles(floor));
    println!(
        "call clerk -> approver ({WINDOWS} windows, {} approvers): {}",
        approvers.len(),
        percentiles(to_approver)
    );
    println!("answer approver -> clerk:              {}", percentiles(to_clerk));
    let verdict = if worst < Duration::from_millis(50) { "ok" } else { "MISSED" };
    println!("goals: p99 < 50 ms {verdict}; deliveries lost or later than 5 s: {lost}");
    let _ = hq.kill();
    let _ = hq.wait();
    // A call or an answer that never arrives is a failure, not a sample to drop.
    assert_eq!(lost, 0, "{lost} calls or answers did not arrive within 5 s");
}
