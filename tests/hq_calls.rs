//! Call routing at HQ: two approvers taking the same call leave one owner; an unanswered call
//! escalates to supervisors after the configured time; the event streams cut mid-flow (HQ killed and
//! restarted, a call raised meanwhile) lose and double no call, answer or decision.

mod hq_support;

use std::time::Duration;

use hq_support::{Hq, desk, enroll, finished_case, wait_for};
use yichuang::intake::call::{CallSnapshot, CallState};
use yichuang::intake::case::CaseEvent;
use yichuang::protocol::{ChangeStatus, ReplyRequest};
use yichuang::store::{Store, StoreKind};
use yichuang::sync::{HqClient, SyncError, sync_once};

fn client(hq: &Hq, token: &str) -> HqClient {
    HqClient::new(&hq.url, token, None, Duration::from_secs(10)).unwrap()
}

/// A desk with one finished case and a call raised on it; returns (store, case id).
fn desk_with_call(dir: &std::path::Path, call_id: &str) -> (Store, String) {
    let db = desk(dir, "HRB", "W1");
    let mut store = Store::open(&db, StoreKind::Desk).unwrap();
    let id = finished_case(&mut store, "HRB", "W1", 1);
    let raised = CaseEvent::CallRaised {
        call_id: call_id.into(),
        question: "复印件可以吗".into(),
        snapshot: CallSnapshot {
            item_code: hq_support::ITEM.into(),
            department: "市场监管".into(),
            ..CallSnapshot::default()
        },
        at: yichuang::time::now(),
    };
    store.append(&id, raised, yichuang::time::now()).unwrap();
    (store, id)
}

#[test]
fn two_approvers_taking_one_call_leave_one_owner() {
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let a = enroll(&hq_db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let b = enroll(&hq_db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let other = enroll(&hq_db, &["--center", "HRB", "--department", "人社", "--role", "approver"]);
    let hq = Hq::start(&hq_db, "127.0.0.1:0");
    let (mut store, _) = desk_with_call(&dir.path().join("W1"), "call-race");
    sync_once(&mut store, &client(&hq, &clerk), 100).unwrap();
    assert_eq!(client(&hq, &a).open_calls().unwrap().len(), 1, "the call rings in the department");
    assert!(client(&hq, &other).open_calls().unwrap().is_empty(), "not in other departments");
    let (ca, cb) = (client(&hq, &a), client(&hq, &b));
    let ta = std::thread::spawn(move || ca.take_call("call-race"));
    let tb = std::thread::spawn(move || cb.take_call("call-race"));
    let results = [ta.join().unwrap(), tb.join().unwrap()];
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    let lost = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert!(matches!(lost, SyncError::Http { status: 409, .. }), "{lost:?}");
    assert!(lost.to_string().contains("已由"), "{lost}");
    let calls = client(&hq, &a).open_calls().unwrap();
    assert_eq!(calls[0].state, CallState::Answered);
    assert!(calls[0].owner.is_some());
    let forbidden = client(&hq, &other).take_call("call-race").unwrap_err();
    assert!(matches!(forbidden, SyncError::Http { status: 403, .. }), "{forbidden:?}");
    // Only the owner answers; once resolved, nobody does.
    let (owner, loser) = if results[0].is_ok() { (&a, &b) } else { (&b, &a) };
    let reply = |token: &str, id: &str, resolve: bool| {
        client(&hq, token)
            .reply("call-race", &ReplyRequest { id: id.into(), text: "可以".into(), resolve })
            .unwrap()
    };
    let refused = reply(loser, "r-loser", false);
    assert_eq!(refused.status, ChangeStatus::Conflict, "{refused:?}");
    assert!(refused.message.as_deref().unwrap_or("").contains("已由"), "{refused:?}");
    assert_eq!(reply(owner, "r-owner", true).status, ChangeStatus::Applied);
    let late = reply(owner, "r-late", false);
    assert_eq!(late.status, ChangeStatus::Conflict, "{late:?}");
    assert!(late.message.as_deref().unwrap_or("").contains("已解决"), "{late:?}");
}

#[test]
fn an_unanswered_call_escalates_to_supervisors() {
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let supervisor = enroll(&hq_db, &["--center", "HRB", "--role", "supervisor"]);
    let hq = Hq::start_with(&hq_db, "127.0.0.1:0", &["--escalate-after", "1"]);
    let (mut store, case_id) = desk_with_call(&dir.path().join("W1"), "call-late");
    let clerk = client(&hq, &clerk);
    sync_once(&mut store, &clerk, 100).unwrap();
    let sup = client(&hq, &supervisor);
    assert!(
        wait_for(Duration::from_secs(10), || sup
            .open_calls()
            .is_ok_and(|c| c.first().is_some_and(|c| c.state == CallState::Escalated))),
        "escalated within the configured time"
    );
    // The window learns it too.
    assert!(wait_for(Duration::from_secs(10), || {
        sync_once(&mut store, &clerk, 100).is_ok() && {
            store.forget(&case_id);
            store.load(&case_id).unwrap().calls[0].state == CallState::Escalated
        }
    }));
    // HQ's audit records the escalation.
    let audit = rusqlite::Connection::open(&hq_db).unwrap();
    let escalations: i64 = audit
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'escalate' AND subject = 'call-late'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(escalations, 1);
}

#[test]
fn a_call_no_connected_approver_can_hear_escalates_without_waiting_out_the_full_time() {
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let approver = enroll(&hq_db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let supervisor = enroll(&hq_db, &["--center", "HRB", "--role", "supervisor"]);
    let flags = ["--escalate-after", "600", "--unattended-after", "1"];
    let hq = Hq::start_with(&hq_db, "127.0.0.1:0", &flags);
    let sup = client(&hq, &supervisor);
    let state = |call: &str| {
        sup.open_calls().ok().and_then(|c| c.into_iter().find(|c| c.id == call)).map(|c| c.state)
    };
    // An approver of the department is connected (their console's stream is open): it rings.
    let listening = client(&hq, &approver);
    let stream =
        std::thread::spawn(move || listening.listen(0, Duration::from_secs(4), &|| true, &mut |_| {}));
    std::thread::sleep(Duration::from_millis(300));
    let (mut store, _) = desk_with_call(&dir.path().join("W1"), "call-heard");
    sync_once(&mut store, &client(&hq, &clerk), 100).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(state("call-heard"), Some(CallState::Ringing), "heard by a connected approver");
    let _ = stream.join();
    // Nobody of the department is connected now: the next call goes to the supervisors at once.
    let (mut store, _) = desk_with_call(&dir.path().join("W2"), "call-unheard");
    sync_once(&mut store, &client(&hq, &clerk), 100).unwrap();
    assert!(
        wait_for(Duration::from_secs(6), || state("call-unheard") == Some(CallState::Escalated)),
        "{:?}",
        state("call-unheard")
    );
}

#[test]
fn hq_restarted_mid_flow_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let approver = enroll(&hq_db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let port = hq_support::free_port();
    let listen = format!("127.0.0.1:{port}");
    let hq = Hq::start(&hq_db, &listen);
    let data_dir = dir.path().join("W1");
    let (mut store, case_id) = desk_with_call(&data_dir, "call-cut");
    sync_once(&mut store, &client(&hq, &clerk), 100).unwrap();
    // The desk's own worker with its live stream, as in the real desk.
    let (tx, rx) = std::sync::mpsc::channel();
    let mut config = yichuang::sync::SyncConfig::new(&hq.url, &clerk);
    config.poll = Duration::from_millis(200);
    config.backoff_cap = Duration::from_millis(500);
    let worker = yichuang::sync::SyncWorker::spawn(&data_dir.join("desk.sqlite3"), config, move |s| {
        let _ = tx.send(s.clone());
    })
    .unwrap();
    let approver_client = client(&hq, &approver);
    // The approver's live stream, reconnecting with the last id it saw (Last-Event-ID), as the
    // console's does: every feed id it is given, in order.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stream = {
        let (listener, seen, stop) = (approver_client.clone(), seen.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut last = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let keep_going = || !stop.load(std::sync::atomic::Ordering::Relaxed);
                let _ = listener.listen(last, Duration::from_secs(1), &keep_going, &mut |id| {
                    seen.lock().unwrap().push(id);
                    last = id;
                });
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    assert!(wait_for(Duration::from_secs(10), || !seen.lock().unwrap().is_empty()), "the first call rings");
    approver_client.take_call("call-cut").unwrap();
    hq.kill();
    // While HQ is down the desk is offline and a second call waits in its outbox; then HQ comes
    // back on the same port and both streams reconnect by themselves.
    assert!(wait_for(Duration::from_secs(10), || rx.try_iter().any(|s| !s.online)));
    let now = yichuang::time::now();
    let second = CaseEvent::CallRaised {
        call_id: "call-offline".into(),
        question: "原件遗失怎么办".into(),
        snapshot: CallSnapshot {
            item_code: hq_support::ITEM.into(),
            department: "市场监管".into(),
            ..CallSnapshot::default()
        },
        at: now,
    };
    Store::open(&data_dir.join("desk.sqlite3"), StoreKind::Desk)
        .unwrap()
        .append(&case_id, second, now)
        .unwrap();
    let hq = Hq::start(&hq_db, &listen);
    let approver_client = client(&hq, &approver);
    assert!(
        wait_for(Duration::from_secs(15), || approver_client
            .open_calls()
            .is_ok_and(|c| c.iter().any(|c| c.id == "call-offline"))),
        "the call raised offline rings once HQ is back"
    );
    let approver_client = client(&hq, &approver);
    let reply = yichuang::protocol::ReplyRequest { id: "r-1".into(), text: "可以".into(), resolve: false };
    approver_client.reply("call-cut", &reply).unwrap();
    approver_client.reply("call-cut", &reply).unwrap(); // a retried request: duplicate, not a second answer
    let decision = yichuang::protocol::DecisionRequest {
        id: "d-1".into(),
        case_id: case_id.clone(),
        decision: yichuang::intake::approval::ApprovalDecision::Approve,
    };
    approver_client.decide(&decision).unwrap();
    assert!(wait_for(Duration::from_secs(15), || {
        let s = Store::open(&data_dir.join("desk.sqlite3"), StoreKind::Desk).unwrap();
        let mut s = s;
        let replies = s.load(&case_id).map(|c| c.calls[0].replies.len()).unwrap_or(0);
        replies >= 1 && s.ready_for_handover().is_ok_and(|r| r.len() == 1)
    }));
    std::thread::sleep(Duration::from_millis(800));
    worker.stop();
    let mut s = Store::open(&data_dir.join("desk.sqlite3"), StoreKind::Desk).unwrap();
    let case = s.load(&case_id).unwrap();
    assert_eq!(case.calls.len(), 2, "the call raised offline is in the case's history too");
    assert_eq!(case.calls[0].replies.len(), 1, "the answer arrives once");
    assert_eq!(case.calls[0].state, CallState::Answered);
    assert_eq!(case.calls[1].state, CallState::Ringing, "delivered once HQ was back");
    assert_eq!(s.ready_for_handover().unwrap().len(), 1, "the decision arrives once");
    // The approver's stream heard both calls across the cut, each event once and in order.
    assert!(
        wait_for(Duration::from_secs(10), || seen.lock().unwrap().len() >= 2),
        "{:?}",
        seen.lock().unwrap()
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    stream.join().unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "no event twice, none out of order: {seen:?}");
    let calls = approver_client.open_calls().unwrap();
    assert_eq!(calls.iter().filter(|c| c.id == "call-offline").count(), 1);
}

#[test]
fn a_case_sent_back_for_correction_reopens_and_returns_to_the_queue_once_corrected() {
    use yichuang::intake::approval::ApprovalDecision;
    use yichuang::intake::case::Status;
    use yichuang::protocol::DecisionRequest;
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let approver = enroll(&hq_db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let hq = Hq::start(&hq_db, "127.0.0.1:0");
    let db = desk(&dir.path().join("W1"), "HRB", "W1");
    let mut store = Store::open(&db, StoreKind::Desk).unwrap();
    let case_id = finished_case(&mut store, "HRB", "W1", 1);
    let (clerk, approver) = (client(&hq, &clerk), client(&hq, &approver));
    sync_once(&mut store, &clerk, 100).unwrap();
    let queued = |c: &HqClient| c.queue().unwrap().iter().any(|q| q.case_id == case_id);
    assert!(queued(&approver), "an accepted case waits in the department's queue");

    let back = ApprovalDecision::RequestCorrection {
        materials: vec!["公司章程".into()],
        note: "全体股东签字".into(),
    };
    let decide = |id: &str, decision| DecisionRequest { id: id.into(), case_id: case_id.clone(), decision };
    assert_eq!(approver.decide(&decide("d1", back)).unwrap().status, ChangeStatus::Applied);
    assert!(!queued(&approver), "sent back: out of the queue until corrected");
    sync_once(&mut store, &clerk, 100).unwrap();
    store.forget(&case_id);
    let case = store.load(&case_id).unwrap();
    assert_eq!(case.status, Status::CorrectionRequested, "the case reopens at the window");
    assert_eq!(case.correction.as_ref().map(|c| c.materials.clone()), Some(vec!["公司章程".to_string()]));

    let now = yichuang::time::now();
    store.append(&case_id, CaseEvent::Corrected { at: now }, now).unwrap();
    assert_eq!(store.load(&case_id).unwrap().status, Status::Accepted);
    sync_once(&mut store, &clerk, 100).unwrap();
    assert!(queued(&approver), "corrected: back in the queue");
    assert_eq!(
        approver.decide(&decide("d2", ApprovalDecision::Approve)).unwrap().status,
        ChangeStatus::Applied
    );
    sync_once(&mut store, &clerk, 100).unwrap();
    let ready = store.ready_for_handover().unwrap();
    assert!(ready.iter().any(|r| r.case_id == case_id), "approved after correction: ready for handover");
    // Syncing again changes nothing: the correction request is not applied twice.
    sync_once(&mut store, &clerk, 100).unwrap();
    store.forget(&case_id);
    assert_eq!(store.load(&case_id).unwrap().status, Status::Accepted);
}
