//! Exactly-once under faults: four desks with their real sync workers push 2,000 cases through a
//! TCP proxy that delays, cuts connections mid-request and drops HQ's answers after HQ committed,
//! while the real HQ process is killed (SIGKILL) and restarted three times. At the end HQ's store
//! holds every change of every case exactly once, in each window's outbox order.

mod hq_support;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hq_support::{Hq, desk, enroll, finished_case};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use yichuang::store::{Store, StoreKind};
use yichuang::sync::{SyncConfig, SyncWorker};

const DESKS: usize = 4;
const CASES_PER_DESK: u32 = 500;

/// Fault counters, to show every kind of fault happened.
#[derive(Default)]
struct Faults {
    connections: AtomicUsize,
    delayed: AtomicUsize,
    cut_mid_request: AtomicUsize,
    dropped_response: AtomicUsize,
    upstream_down: AtomicUsize,
}

/// A tiny xorshift so each connection draws its fault without a random-number crate.
fn draw(seed: &AtomicU64) -> u64 {
    let mut x = seed.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

async fn proxy(
    listener: TcpListener,
    upstream: Arc<Mutex<SocketAddr>>,
    faults: Arc<Faults>,
    stop: Arc<AtomicBool>,
) {
    let seed = Arc::new(AtomicU64::new(0x1234_5678));
    while !stop.load(Ordering::SeqCst) {
        let Ok(Ok((client, _))) = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await
        else {
            continue;
        };
        let target = *upstream.lock().expect("upstream");
        let (faults, seed) = (faults.clone(), seed.clone());
        tokio::spawn(async move {
            faults.connections.fetch_add(1, Ordering::Relaxed);
            let roll = draw(&seed);
            let Ok(server) = TcpStream::connect(target).await else {
                faults.upstream_down.fetch_add(1, Ordering::Relaxed);
                return;
            };
            match roll % 100 {
                0..=39 => pass(client, server, Duration::ZERO).await,
                40..=54 => {
                    faults.delayed.fetch_add(1, Ordering::Relaxed);
                    pass(client, server, Duration::from_millis(20 + roll / 100 % 200)).await;
                }
                55..=77 => {
                    faults.cut_mid_request.fetch_add(1, Ordering::Relaxed);
                    faulty(client, server, Strike::CutRequest(1 + (roll / 1000 % 6) as usize), roll).await;
                }
                _ => {
                    if faulty(client, server, Strike::DropPushAnswer, roll).await {
                        faults.dropped_response.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
}

/// Forwards both ways, after an optional delay.
async fn pass(mut client: TcpStream, mut server: TcpStream, delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

/// Where on a connection a fault strikes.
#[derive(Clone, Copy, PartialEq)]
enum Strike {
    /// Forward only part of the client's n-th chunk (a request), then hang up on both.
    CutRequest(usize),
    /// Forward everything until a push has gone up, then hang up instead of passing on HQ's answer
    /// to it (written after HQ committed), so the desk must resend a change HQ already holds.
    /// Keyed to the push itself: a connection may carry pulls first, and dropping their answers
    /// proves nothing about exactly-once.
    DropPushAnswer,
}

/// Forwards both ways until the fault strikes, then closes both sides. Returns whether a push
/// answer was dropped.
async fn faulty(client: TcpStream, server: TcpStream, strike: Strike, roll: u64) -> bool {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let push_sent = Arc::new(AtomicBool::new(false));
    let push_seen = push_sent.clone();
    let upload = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut chunk = 0;
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            chunk += 1;
            if Strike::CutRequest(chunk) == strike {
                let part = 1 + (roll as usize / 7) % n.max(2).saturating_sub(1);
                let _ = server_write.write_all(&buf[..part.min(n)]).await;
                return;
            }
            if buf[..n].starts_with(b"POST /v1/push") {
                push_seen.store(true, Ordering::SeqCst);
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let download = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => n,
            };
            if strike == Strike::DropPushAnswer && push_sent.load(Ordering::SeqCst) {
                return true;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                return false;
            }
        }
    };
    tokio::select! {
        () = upload => false,
        dropped = download => dropped,
    }
}

#[test]
fn two_thousand_cases_from_four_desks_arrive_exactly_once_in_order_despite_faults_and_hq_kills() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let hq_db = dir.path().join("hq.sqlite3");
    let tokens: Vec<String> = (1..=DESKS)
        .map(|w| enroll(&hq_db, &["--center", "HRB", "--window", &format!("W{w}"), "--role", "clerk"]))
        .collect();
    let mut hq = Some(Hq::start(&hq_db, "127.0.0.1:0"));
    let upstream: SocketAddr =
        hq.as_ref().expect("hq").url.trim_start_matches("http://").parse().expect("addr");
    let upstream = Arc::new(Mutex::new(upstream));

    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).expect("proxy bind");
    let proxy_url = format!("http://{}", listener.local_addr().expect("addr"));
    let faults = Arc::new(Faults::default());
    let stop = Arc::new(AtomicBool::new(false));
    runtime.spawn(proxy(listener, upstream.clone(), faults.clone(), stop.clone()));

    // Desks: each writes cases on its own connection while its sync worker pushes through the proxy.
    let made = Arc::new(AtomicUsize::new(0));
    let mut desks = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let window = format!("W{}", i + 1);
        let db = desk(&dir.path().join(&window), "HRB", &window);
        let mut config = SyncConfig::new(&proxy_url, token);
        config.batch = 100;
        config.poll = Duration::from_millis(100);
        config.backoff_base = Duration::from_millis(20);
        config.backoff_cap = Duration::from_millis(400);
        config.request_timeout = Duration::from_secs(5);
        let worker = SyncWorker::spawn(&db, config, |_| {}).expect("worker");
        let made = made.clone();
        let writer = std::thread::spawn(move || {
            let mut store = Store::open(&db, StoreKind::Desk).expect("store");
            for n in 0..CASES_PER_DESK {
                finished_case(&mut store, "HRB", &window, n);
                made.fetch_add(1, Ordering::Relaxed);
                if n % 20 == 19 {
                    worker.nudge();
                }
            }
            (db, worker)
        });
        desks.push(writer);
    }

    // Kill HQ three times while cases flow, restarting it on a new port behind the same proxy.
    let total = DESKS * CASES_PER_DESK as usize;
    for k in 1..=3 {
        hq_support::wait_for(Duration::from_secs(60), || made.load(Ordering::Relaxed) >= total * k / 4);
        std::thread::sleep(Duration::from_millis(300));
        hq.take().expect("hq").kill();
        std::thread::sleep(Duration::from_millis(400));
        let restarted = Hq::start(&hq_db, "127.0.0.1:0");
        *upstream.lock().expect("upstream") =
            restarted.url.trim_start_matches("http://").parse().expect("addr");
        hq = Some(restarted);
    }

    let desks: Vec<_> = desks.into_iter().map(|h| h.join().expect("desk thread")).collect();
    let delivered = hq_support::wait_for(Duration::from_secs(90), || {
        desks.iter().all(|(_, w)| {
            w.nudge();
            w.status().pending == 0
        })
    });
    let statuses: Vec<_> = desks.iter().map(|(_, w)| w.status()).collect();
    let dbs: Vec<_> = desks
        .into_iter()
        .map(|(db, w)| {
            w.stop();
            db
        })
        .collect();
    stop.store(true, Ordering::SeqCst);
    assert!(delivered, "every outbox drained: {statuses:?}");

    // What the desks sent, in outbox order.
    let mut sent: HashMap<String, (usize, i64)> = HashMap::new();
    let mut duplicates_seen = 0;
    for (d, db) in dbs.iter().enumerate() {
        let conn = rusqlite::Connection::open(db).expect("desk db");
        let mut stmt = conn.prepare("SELECT id, event_id, result FROM outbox ORDER BY id").expect("query");
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
            })
            .expect("rows");
        for row in rows {
            let (id, event, result) = row.expect("row");
            match result.as_deref() {
                Some("applied") => {}
                Some("duplicate") => duplicates_seen += 1,
                other => panic!("desk W{} entry {event} ended as {other:?}", d + 1),
            }
            sent.insert(event, (d, id));
        }
    }
    assert_eq!(sent.len(), total * 5, "5 outbox entries per case");

    // What HQ stored.
    let hq = hq.take().expect("hq");
    let conn = rusqlite::Connection::open(&hq_db).expect("hq db");
    let devices: HashMap<String, String> = conn
        .prepare("SELECT id, window FROM devices")
        .expect("devices")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("devices");
    let mut stmt =
        conn.prepare("SELECT change_id, device_id, client_seq FROM changes ORDER BY seq").expect("query");
    let rows: Vec<(String, String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("changes");
    let distinct: HashSet<&String> = rows.iter().map(|(id, _, _)| id).collect();
    assert_eq!(rows.len(), sent.len(), "no loss, no duplicate: HQ has {} changes", rows.len());
    assert_eq!(distinct.len(), rows.len(), "each change id once");
    let mut last: HashMap<&str, i64> = HashMap::new();
    for (id, device, client_seq) in &rows {
        let (d, outbox_id) = sent.get(id).unwrap_or_else(|| panic!("HQ has {id} that no desk sent"));
        assert_eq!(devices[device], format!("W{}", d + 1), "stored under the sending window");
        assert_eq!(client_seq, outbox_id);
        let prev = last.insert(device.as_str(), *client_seq).unwrap_or(0);
        assert!(*client_seq > prev, "window {} order: {client_seq} after {prev}", devices[device]);
    }
    let cases: i64 = conn
        .query_row("SELECT count(*) FROM cases WHERE number IS NOT NULL", [], |r| r.get(0))
        .expect("count");
    assert_eq!(cases, total as i64, "2,000 finished cases at HQ");
    let per_window: Vec<i64> = (1..=DESKS)
        .map(|w| {
            conn.query_row("SELECT count(*) FROM cases WHERE window = ?1", [format!("W{w}")], |r| r.get(0))
                .expect("count")
        })
        .collect();
    assert!(per_window.iter().all(|n| *n == i64::from(CASES_PER_DESK)), "{per_window:?}");
    drop(hq);

    let f = &faults;
    let counts = [
        f.delayed.load(Ordering::Relaxed),
        f.cut_mid_request.load(Ordering::Relaxed),
        f.dropped_response.load(Ordering::Relaxed),
    ];
    eprintln!(
        "fault test: {} connections, {} delayed, {} cut mid-request, {} answers dropped, {} while HQ was down, \
         {duplicates_seen} duplicates acknowledged, {:.1} s",
        f.connections.load(Ordering::Relaxed),
        counts[0],
        counts[1],
        counts[2],
        f.upstream_down.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    assert!(counts.iter().all(|c| *c > 0), "every kind of fault happened: {counts:?}");
    assert!(duplicates_seen > 0, "some answers were lost after HQ committed, and the resend was a duplicate");
    runtime.shutdown_background();
}
