//! HQ storage: the case row a push leaves behind, whether its changes come in one push or several,
//! and what a repeated or foreign change gets.

use chrono::NaiveDate;

use super::{HqStorage, NewDevice, SqliteStorage};
use crate::intake::case::{CaseEvent, Field};
use crate::intake::rules::Decision;
use crate::protocol::{Change, ChangeKind, ChangeStatus, Device, Role};

fn change(case_id: &str, seq: i64, event: &CaseEvent) -> Change {
    Change {
        id: format!("{case_id}-{seq}"),
        case_id: case_id.into(),
        seq,
        kind: ChangeKind::CaseEvent,
        body: serde_json::to_value(event).expect("event json"),
    }
}

fn events() -> Vec<CaseEvent> {
    let at = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(crate::time::from_hall_local)
        .expect("time");
    vec![
        CaseEvent::Started { at },
        CaseEvent::ItemChosen { code: "00013112700401".into(), kb_version: "2026.11.1".into() },
        CaseEvent::FieldSet { field: Field::Ticket, value: "A001".into() },
        CaseEvent::Finished {
            number: "HRB-01-20261130-0001".into(),
            decision: Decision::Accept {
                promised_date: NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
                commitments: Vec::new(),
            },
            at,
        },
    ]
}

async fn clerk(storage: &SqliteStorage, window: &str) -> Device {
    let new =
        NewDevice { center: "HRB".into(), window: Some(window.into()), department: None, role: Role::Clerk };
    storage.enroll(new).await.expect("enroll").0
}

#[tokio::test]
async fn a_case_row_is_the_same_from_one_push_or_from_one_push_per_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let device = clerk(&storage, "01").await;
    let all: Vec<Change> = events().iter().zip(1..).map(|(e, seq)| change("one", seq, e)).collect();
    storage.push(device.clone(), all).await.expect("push");
    for (e, seq) in events().iter().zip(1..) {
        storage.push(device.clone(), vec![change("each", seq, e)]).await.expect("push");
    }
    for case_id in ["one", "each"] {
        let view = storage.case(case_id.into()).await.expect("read").expect("case");
        assert_eq!((view.center.as_str(), view.window.as_str()), ("HRB", "01"));
        assert_eq!(view.item_code.as_deref(), Some("00013112700401"));
        assert_eq!(view.kb_version.as_deref(), Some("2026.11.1"));
        assert_eq!(view.department.as_deref(), Some("市场监管"));
        assert_eq!(view.number.as_deref(), Some("HRB-01-20261130-0001"));
        assert_eq!(view.decision.as_deref(), Some("受理"));
        assert_eq!(view.changes.len(), 4, "{case_id}");
    }
}

#[tokio::test]
async fn repeats_are_duplicates_and_another_windows_case_is_a_conflict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let (a, b) = (clerk(&storage, "01").await, clerk(&storage, "02").await);
    let all: Vec<Change> = events().iter().zip(1..).map(|(e, seq)| change("c", seq, e)).collect();
    let first = storage.push(a.clone(), all.clone()).await.expect("push");
    assert!(first.iter().all(|r| r.status == ChangeStatus::Applied), "{first:?}");
    let again = storage.push(a.clone(), all.clone()).await.expect("push");
    assert!(again.iter().all(|r| r.status == ChangeStatus::Duplicate), "{again:?}");
    let mut changed = all[2].clone();
    changed.body = serde_json::to_value(CaseEvent::FieldSet { field: Field::Ticket, value: "B002".into() })
        .expect("json");
    let conflict = storage.push(a, vec![changed]).await.expect("push");
    assert_eq!(conflict[0].status, ChangeStatus::Conflict);
    let foreign = storage.push(b, vec![change("c", 5, &events()[2])]).await.expect("push");
    assert_eq!(foreign[0].status, ChangeStatus::Conflict);
    assert!(foreign[0].message.as_deref().is_some_and(|m| m.contains("HRB/01")), "{foreign:?}");
}

#[tokio::test]
async fn only_a_finished_case_is_decided_and_only_once_unless_sent_back() {
    use crate::intake::approval::ApprovalDecision;
    use crate::protocol::DecisionRequest;
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let clerk = clerk(&storage, "01").await;
    let new = NewDevice {
        center: "HRB".into(),
        window: None,
        department: Some("市场监管".into()),
        role: Role::Approver,
    };
    let approver = storage.enroll(new).await.expect("enroll").0;
    let events = events();
    let draft: Vec<Change> = events[..2].iter().zip(1..).map(|(e, seq)| change("c", seq, e)).collect();
    storage.push(clerk.clone(), draft).await.expect("push");
    let decide = |id: &str, decision: ApprovalDecision| {
        let request = DecisionRequest { id: id.into(), case_id: "c".into(), decision };
        storage.decide(approver.clone(), request)
    };
    let early = decide("d1", ApprovalDecision::Approve).await.expect("decide");
    assert_eq!(early.status, ChangeStatus::Conflict, "{early:?}");
    storage.push(clerk, vec![change("c", 4, &events[3])]).await.expect("push");
    let back = ApprovalDecision::RequestCorrection { materials: vec!["章程".into()], note: String::new() };
    assert_eq!(decide("d2", back).await.expect("decide").status, ChangeStatus::Applied);
    assert_eq!(decide("d3", ApprovalDecision::Approve).await.expect("decide").status, ChangeStatus::Applied);
    let twice = decide("d4", ApprovalDecision::Approve).await.expect("decide");
    assert_eq!(twice.status, ChangeStatus::Conflict, "{twice:?}");
}

#[tokio::test]
async fn a_call_rings_in_the_items_department_whatever_the_desk_says() {
    use crate::intake::call::CallSnapshot;
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let clerk = clerk(&storage, "01").await;
    let snapshot = CallSnapshot {
        item_code: "00013112700401".into(),
        department: "人社".into(),
        ..CallSnapshot::default()
    };
    let at = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(9, 5, 0))
        .map(crate::time::from_hall_local)
        .expect("time");
    let raised = CaseEvent::CallRaised { call_id: "k1".into(), question: "?".into(), snapshot, at };
    storage.push(clerk, vec![change("c", 1, &raised)]).await.expect("push");
    assert!(storage.open_calls(Some("人社".into())).await.expect("calls").is_empty());
    let calls = storage.open_calls(Some("市场监管".into())).await.expect("calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].snapshot.department, "市场监管");
    // All HQ knows of the draft is the call: the case belongs to that department, so the
    // approver who answers can read it.
    let view = storage.case("c".into()).await.expect("read").expect("case");
    assert_eq!(view.department.as_deref(), Some("市场监管"));
}

#[tokio::test]
async fn a_case_terminated_at_the_window_leaves_the_departments_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let clerk = clerk(&storage, "01").await;
    let all: Vec<Change> = events().iter().zip(1..).map(|(e, seq)| change("c", seq, e)).collect();
    storage.push(clerk.clone(), all).await.expect("push");
    let queued = || async { storage.queue(Some("市场监管".into())).await.expect("queue").len() };
    assert_eq!(queued().await, 1);
    let at = NaiveDate::from_ymd_opt(2026, 12, 9)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(crate::time::from_hall_local)
        .expect("time");
    let ended = CaseEvent::Terminated { at, rule: None, credit_record: false };
    storage.push(clerk, vec![change("c", 5, &ended)]).await.expect("push");
    assert_eq!(queued().await, 0);
}

#[tokio::test]
async fn naive_times_of_an_older_hq_read_as_utc_and_an_older_desks_as_the_halls_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hq.sqlite3");
    let clerk = clerk(&SqliteStorage::open(&path).expect("open"), "01").await;
    // An older HQ stamped its feed in UTC without an offset.
    let body = r#"{"kind":"kb_version","version":"2026.11.1","hash":"h"}"#;
    rusqlite::Connection::open(&path)
        .expect("db")
        .execute(
            "INSERT INTO feed(target, kind, body, at) VALUES ('all', 'kb_version', ?1, '2026-11-30T16:10:00.000')",
            [body],
        )
        .expect("old feed row");
    let storage = SqliteStorage::open(&path).expect("reopen");
    let feed = storage.feed(None, 0, 10).await.expect("feed");
    let utc = |s: &str| chrono::DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&chrono::Utc);
    assert_eq!(feed.last().map(|i| i.at), Some(utc("2026-11-30T16:10:00Z")));
    // An older desk's outbox still holds its wall-clock time (Shanghai): 00:10 is 16:10 UTC.
    let old = Change {
        id: "old-1".into(),
        case_id: "old".into(),
        seq: 1,
        kind: ChangeKind::CaseEvent,
        body: serde_json::json!({"event": "started", "at": "2026-12-01T00:10:00"}),
    };
    assert_eq!(storage.push(clerk, vec![old.clone()]).await.expect("push")[0].status, ChangeStatus::Applied);
    let event: CaseEvent = serde_json::from_value(old.body).expect("reads");
    assert_eq!(event, CaseEvent::Started { at: utc("2026-11-30T16:10:00Z") });
}
