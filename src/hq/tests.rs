//! HQ storage: the case row a push leaves behind, whether its changes come in one push or several,
//! and what a repeated or foreign change gets.

use chrono::NaiveDate;

use super::storage::{FeedTargets, Scope};
use super::{HqStorage, NewDevice, SqliteStorage};
use crate::intake::case::{CaseEvent, Exception, Field};
use crate::intake::rules::Decision;
use crate::protocol::{Change, ChangeKind, ChangeStatus, Device, Role};

fn change(case_id: &str, seq: i64, event: &CaseEvent) -> Change {
    Change {
        id: format!("{case_id}-{seq}"),
        case_id: case_id.into(),
        seq,
        kind: ChangeKind::CaseEvent,
        body: serde_json::to_value(event).expect("event json"),
        clerk: None,
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
    let new = NewDevice {
        center: "HRB".into(),
        window: Some(window.into()),
        department: None,
        role: Role::Clerk,
        expires_at: None,
    };
    storage.enroll(new).await.expect("enroll").0
}

async fn approver(storage: &SqliteStorage, center: &str) -> Device {
    let new = NewDevice {
        center: center.into(),
        window: None,
        department: Some("市场监管".into()),
        role: Role::Approver,
        expires_at: None,
    };
    storage.enroll(new).await.expect("enroll").0
}

fn scope(department: &str) -> Scope {
    Scope { center: Some("HRB".into()), department: Some(department.into()) }
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
    let approver = approver(&storage, "HRB").await;
    let events = events();
    let draft: Vec<Change> = events[..2].iter().zip(1..).map(|(e, seq)| change("c", seq, e)).collect();
    storage.push(clerk.clone(), draft).await.expect("push");
    let decide = |id: &str, decision: ApprovalDecision| {
        let request = DecisionRequest { id: id.into(), case_id: "c".into(), decision };
        storage.decide(approver.clone(), request)
    };
    let early = decide("d1", ApprovalDecision::Approve).await.expect("decide");
    assert_eq!(early.status, ChangeStatus::Conflict, "{early:?}");
    storage.push(clerk.clone(), vec![change("c", 4, &events[3])]).await.expect("push");
    let back = ApprovalDecision::RequestCorrection { materials: vec!["章程".into()], note: String::new() };
    assert_eq!(decide("d2", back).await.expect("decide").status, ChangeStatus::Applied);
    // 准予 straight after 退回补正, before the window recorded the correction: refused.
    let early = decide("d3", ApprovalDecision::Approve).await.expect("decide");
    assert_eq!(early.status, ChangeStatus::Conflict, "{early:?}");
    assert!(early.message.as_deref().is_some_and(|m| m.contains("尚未登记补正")), "{early:?}");
    let at = NaiveDate::from_ymd_opt(2026, 12, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(crate::time::from_hall_local)
        .expect("time");
    storage.push(clerk, vec![change("c", 5, &CaseEvent::Corrected { at })]).await.expect("push");
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
    assert!(storage.open_calls(scope("人社")).await.expect("calls").is_empty());
    let calls = storage.open_calls(scope("市场监管")).await.expect("calls");
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
    let queued = || async { storage.queue(scope("市场监管")).await.expect("queue").len() };
    assert_eq!(queued().await, 1);
    let at = NaiveDate::from_ymd_opt(2026, 12, 9)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(crate::time::from_hall_local)
        .expect("time");
    let ended = CaseEvent::Terminated { at, rule: None, credit_record: false };
    supervisor(&storage, "HRB", "赵敏").await;
    let approval = approved(Exception::Termination, "HRB-01-20261130-0001｜终止受理", "赵敏");
    let results =
        storage.push(clerk, vec![change("c", 5, &approval), change("c", 6, &ended)]).await.expect("push");
    assert!(results.iter().all(|r| r.status == ChangeStatus::Applied), "{results:?}");
    assert_eq!(queued().await, 0);
}

/// `name` set at HQ as a supervisor of `center` (`hq clerk set --role supervisor`).
async fn supervisor(storage: &SqliteStorage, center: &str, name: &str) {
    let credential = crate::store::clerks::Credential {
        name: name.into(),
        verifier: "pbkdf2-sha256$1$00$00".into(),
        set_at: "2026-12-03T09:00:00+00:00".into(),
        source: "hq".into(),
        role: crate::store::clerks::ClerkRole::Supervisor,
        revoked: false,
        seal: None,
    };
    storage.set_clerk(center.into(), credential).await.expect("set supervisor");
}

/// A supervisor's approval of `exception` for `value`, as the desk journals it.
fn approved(exception: Exception, value: &str, supervisor: &str) -> CaseEvent {
    CaseEvent::ExceptionApproved {
        exception,
        value: value.into(),
        supervisor: supervisor.into(),
        at: "2026-11-30T01:00:00Z".parse().expect("time"),
    }
}

/// A case of window 01 finished with `decision` (item chosen, number given).
async fn finished_with(storage: &SqliteStorage, clerk: &Device, case_id: &str, decision: Decision) {
    let at = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(crate::time::from_hall_local)
        .expect("time");
    let mut all = events();
    // A 不予受理 goes with its supervisor's approval, as the desk sends it.
    if let Some(value) = crate::intake::case::refusal_value(&decision) {
        supervisor(storage, "HRB", "赵敏").await;
        all.insert(3, approved(Exception::Refusal, &value, "赵敏"));
    }
    let finished =
        CaseEvent::Finished { number: format!("HRB-01-20261130-{:04}", case_id.len()), decision, at };
    *all.last_mut().expect("finished") = finished;
    let changes: Vec<Change> = all.iter().zip(1..).map(|(e, seq)| change(case_id, seq, e)).collect();
    let results = storage.push(clerk.clone(), changes).await.expect("push");
    assert!(results.iter().all(|r| r.status == ChangeStatus::Applied), "{results:?}");
}

#[tokio::test]
async fn each_forbidden_decision_is_a_conflict_with_its_reason() {
    use crate::intake::approval::ApprovalDecision;
    use crate::intake::rules::RejectReason;
    use crate::protocol::DecisionRequest;
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let clerk = clerk(&storage, "01").await;
    let approver = approver(&storage, "HRB").await;
    let refused = Decision::Reject {
        reason: RejectReason::NotEligible { reason: "不符合条件".into() },
        basis: vec!["《行政许可法》第三十二条".into()],
    };
    finished_with(&storage, &clerk, "r", refused).await;
    let notice = Decision::NoticeOfDeficiency { deficiencies: Vec::new(), lenient_possible: false };
    finished_with(&storage, &clerk, "nn", notice).await;
    let accept = Decision::Accept {
        promised_date: NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
        commitments: Vec::new(),
    };
    finished_with(&storage, &clerk, "ttt", accept).await;
    let at = NaiveDate::from_ymd_opt(2026, 12, 9)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(crate::time::from_hall_local)
        .expect("time");
    let ended = CaseEvent::Terminated { at, rule: None, credit_record: false };
    let approval = approved(Exception::Termination, "HRB-01-20261130-0003｜终止受理", "赵敏");
    let results = storage
        .push(clerk.clone(), vec![change("ttt", 5, &approval), change("ttt", 6, &ended)])
        .await
        .expect("push");
    assert!(results.iter().all(|r| r.status == ChangeStatus::Applied), "{results:?}");
    for (case_id, reason) in [("r", "不予受理"), ("nn", "一次性告知"), ("ttt", "已终止")] {
        let request = DecisionRequest {
            id: format!("d-{case_id}"),
            case_id: case_id.into(),
            decision: ApprovalDecision::Approve,
        };
        let answer = storage.decide(approver.clone(), request).await.expect("decide");
        assert_eq!(answer.status, ChangeStatus::Conflict, "{case_id}: {answer:?}");
        assert!(answer.message.as_deref().is_some_and(|m| m.contains(reason)), "{case_id}: {answer:?}");
    }
    // None of them is in the department's queue either.
    assert!(storage.queue(scope("市场监管")).await.expect("queue").is_empty());
}

#[tokio::test]
async fn a_push_with_unknown_items_foreign_case_numbers_or_bad_call_ids_is_refused() {
    use crate::intake::call::CallSnapshot;
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let clerk = clerk(&storage, "01").await;
    let at = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(crate::time::from_hall_local)
        .expect("time");
    let accept = Decision::Accept {
        promised_date: NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
        commitments: Vec::new(),
    };
    let snapshot = CallSnapshot { item_code: "00013112700401".into(), ..CallSnapshot::default() };
    let bad = [
        CaseEvent::ItemChosen { code: "99999999999999".into(), kb_version: "x".into() },
        CaseEvent::Finished { number: "HRB-02-20261130-0001".into(), decision: accept.clone(), at },
        CaseEvent::Finished { number: "HRB-01-20261130-0001\nforged".into(), decision: accept, at },
        CaseEvent::CallRaised {
            call_id: "k 1\n".into(),
            question: "?".into(),
            snapshot: snapshot.clone(),
            at,
        },
        CaseEvent::CallRaised {
            call_id: "k2".into(),
            question: "?".into(),
            snapshot: CallSnapshot { item_code: "99999999999999".into(), ..snapshot },
            at,
        },
    ];
    for (event, seq) in bad.iter().zip(1..) {
        let answer = storage.push(clerk.clone(), vec![change("c", seq, event)]).await.expect("push");
        assert_eq!(answer[0].status, ChangeStatus::Conflict, "{event:?}: {answer:?}");
    }
    assert!(storage.case("c".into()).await.expect("read").is_none(), "nothing of it was stored");
}

/// Opens HQ's file the way an intruder would: directly, append-only triggers dropped.
fn tamper(path: &std::path::Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).expect("open directly");
    conn.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;").expect("drop triggers");
    conn.execute_batch(sql).expect("tamper");
}

#[tokio::test]
async fn audit_verify_names_the_first_row_deleted_or_edited_behind_hqs_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hq.sqlite3");
    let storage = SqliteStorage::open(&path).expect("open");
    let device = clerk(&storage, "01").await;
    let all: Vec<Change> = events().iter().zip(1..).map(|(e, seq)| change("c", seq, e)).collect();
    storage.push(device, all).await.expect("push");
    let report = storage.verify_audit().await.expect("verify");
    assert_eq!((report.rows, report.broken.clone()), (5, None), "enroll + 4 pushes: {report:?}");
    drop(storage);

    for (sql, seq) in [
        ("DELETE FROM audit WHERE seq = 3", 4),
        ("UPDATE audit SET actor = 'HRB/09' WHERE seq = 2", 2),
        ("DELETE FROM audit WHERE seq = 5", 5),
    ] {
        let copy = dir.path().join(format!("copy-{seq}.sqlite3"));
        let source = rusqlite::Connection::open(&path).expect("open");
        source.execute("VACUUM INTO ?1", [copy.to_string_lossy()]).expect("copy");
        tamper(&copy, sql);
        let conn = rusqlite::Connection::open(&copy).expect("open");
        let report = super::audit::verify(&conn).expect("verify");
        assert_eq!(report.broken.as_ref().map(|b| b.seq), Some(seq), "{sql}: {report:?}");
    }
}

#[tokio::test]
async fn a_clerk_string_with_a_newline_cannot_forge_an_audit_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hq.sqlite3");
    let storage = SqliteStorage::open(&path).expect("open");
    let device = clerk(&storage, "01").await;
    let forged = "x\n2026-11-30T09:00:00.000,HRB,HQ,hq,decide,c,,200";
    let mut c = change("c", 1, &events()[0]);
    c.id = forged.into();
    c.case_id = format!("c\n{forged}");
    storage.push(device, vec![c]).await.expect("push");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let rows: i64 = conn.query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).expect("count");
    for format in [super::audit::Format::Csv, super::audit::Format::Jsonl] {
        let mut out = Vec::new();
        super::audit::export(&conn, None, format, &mut out).expect("export");
        let text = String::from_utf8(out).expect("utf-8");
        let header = usize::from(format == super::audit::Format::Csv);
        assert_eq!(text.lines().count(), rows as usize + header, "{text}");
        assert!(!text.contains("decide"), "{text}");
    }
}

#[tokio::test]
async fn a_revoked_token_stops_at_once_and_a_rotated_one_works_through_its_grace() {
    use crate::protocol::token_hash;
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let new = |expires_at| NewDevice {
        center: "HRB".into(),
        window: Some("01".into()),
        department: None,
        role: Role::Clerk,
        expires_at,
    };
    let (device, token) = storage.enroll(new(None)).await.expect("enroll");
    let lookup = |t: &str| storage.device_for_token(token_hash(t));
    assert!(lookup(&token).await.expect("lookup").is_some(), "cached now");
    let (_, new_token) = storage
        .rotate(device.id.clone(), std::time::Duration::from_secs(3600))
        .await
        .expect("rotate")
        .expect("rotated");
    let old = lookup(&token).await.expect("lookup").expect("old token in its grace period");
    assert!(old.valid_until.is_some());
    assert!(lookup(&new_token).await.expect("lookup").is_some());
    let mut revocations = storage.revocations();
    revocations.borrow_and_update();
    assert!(storage.revoke(device.id.clone()).await.expect("revoke").is_some());
    assert!(revocations.has_changed().expect("watch"), "open streams hear of it");
    assert!(lookup(&token).await.expect("lookup").is_none());
    assert!(lookup(&new_token).await.expect("lookup").is_none());
    assert!(storage.revoke(device.id).await.expect("revoke").is_none(), "revoked once");
    let yesterday = crate::time::now() - chrono::Duration::days(1);
    let (_, expired) = storage.enroll(new(Some(yesterday))).await.expect("enroll");
    assert!(lookup(&expired).await.expect("lookup").is_none());
    let actions: Vec<String> = {
        let conn = rusqlite::Connection::open(dir.path().join("hq.sqlite3")).expect("open");
        let mut stmt = conn.prepare("SELECT action FROM audit ORDER BY seq").expect("prepare");
        stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("rows")
    };
    assert_eq!(actions, ["enroll", "rotate", "revoke", "enroll"]);
}

#[tokio::test]
async fn a_revocation_by_another_process_reaches_the_running_hq() {
    use crate::protocol::token_hash;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hq.sqlite3");
    let running = SqliteStorage::open(&path).expect("open");
    let (device, token) = running
        .enroll(NewDevice {
            center: "HRB".into(),
            window: Some("01".into()),
            department: None,
            role: Role::Clerk,
            expires_at: None,
        })
        .await
        .expect("enroll");
    assert!(running.device_for_token(token_hash(&token)).await.expect("lookup").is_some(), "cached");
    let mut revocations = running.revocations();
    revocations.borrow_and_update();
    // `yichuang hq revoke` opens the same file in its own process.
    let cli = SqliteStorage::open(&path).expect("open");
    cli.revoke(device.id).await.expect("revoke").expect("revoked");
    tokio::time::timeout(std::time::Duration::from_secs(5), revocations.changed())
        .await
        .expect("the running HQ notices")
        .expect("watch");
    assert!(running.device_for_token(token_hash(&token)).await.expect("lookup").is_none());
}

#[tokio::test]
async fn lists_and_calls_stay_within_the_center_and_resolve_repeats_succeed() {
    use crate::hq::rules::ResolveStep;
    use crate::intake::call::CallSnapshot;
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let clerk = clerk(&storage, "01").await;
    let here = approver(&storage, "HRB").await;
    let all: Vec<Change> = events().iter().zip(1..).map(|(e, seq)| change("c", seq, e)).collect();
    storage.push(clerk.clone(), all).await.expect("push");
    let snapshot = CallSnapshot { item_code: "00013112700401".into(), ..CallSnapshot::default() };
    let at = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(9, 5, 0))
        .map(crate::time::from_hall_local)
        .expect("time");
    let raised = CaseEvent::CallRaised { call_id: "k1".into(), question: "?".into(), snapshot, at };
    storage.push(clerk, vec![change("c", 5, &raised)]).await.expect("push");
    let elsewhere = Scope { center: Some("SH".into()), department: Some("市场监管".into()) };
    assert!(storage.queue(elsewhere.clone()).await.expect("queue").is_empty());
    assert!(storage.open_calls(elsewhere).await.expect("calls").is_empty());
    assert_eq!(storage.queue(scope("市场监管")).await.expect("queue").len(), 1);
    assert_eq!(storage.open_calls(scope("市场监管")).await.expect("calls").len(), 1);
    storage.take_call(here.clone(), "k1".into()).await.expect("take");
    assert_eq!(storage.resolve_call(here.clone(), "k1".into()).await.expect("resolve"), ResolveStep::Resolve);
    assert_eq!(storage.resolve_call(here, "k1".into()).await.expect("resolve"), ResolveStep::AlreadyResolved);
}

#[tokio::test]
async fn enrolment_refuses_a_department_hqs_kb_does_not_know() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let new = NewDevice {
        center: "HRB".into(),
        window: None,
        department: Some("不存在的部门".into()),
        role: Role::Approver,
        expires_at: None,
    };
    let err = storage.enroll(new).await.expect_err("unknown department");
    assert!(err.to_string().contains("市场监管"), "{err}");
}

#[cfg(unix)]
#[test]
fn hqs_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hq.sqlite3");
    drop(SqliteStorage::open(&path).expect("open"));
    let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn an_older_database_gets_its_audit_chained_and_its_department_feeds_per_center() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hq.sqlite3");
    {
        // A database as HQ left it before the chain existed (three migrations).
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        for (i, sql) in super::sqlite::MIGRATIONS[..3].iter().enumerate() {
            let tx = conn.transaction().expect("tx");
            tx.execute_batch(sql).expect("migrate");
            tx.pragma_update(None, "user_version", (i + 1) as i64).expect("version");
            tx.commit().expect("commit");
        }
        conn.execute_batch(
            "INSERT INTO cases(case_id, center, window, created_at) VALUES ('c', 'HRB', '01', '2026-11-30T09:00:00.000');
             INSERT INTO feed(target, kind, case_id, body, at) VALUES ('dept:市场监管', 'call', 'c', '{}', '2026-11-30T09:00:00.000');
             INSERT INTO audit(at, actor, device, action, case_id, detail)
               VALUES ('2026-11-30T09:00:00.000', 'HRB/01', 'd-1', 'push', 'c', 'change c-1');
             INSERT INTO audit(at, actor, device, action, case_id, detail)
               VALUES ('2026-11-30T09:01:00.000', 'HRB/01', 'd-1', 'push', 'c', 'change c-2');",
        )
        .expect("old rows");
    }
    let storage = SqliteStorage::open(&path).expect("open and migrate");
    let device = clerk(&storage, "01").await;
    storage.push(device, vec![change("c2", 1, &events()[0])]).await.expect("push");
    let report = storage.verify_audit().await.expect("verify");
    assert_eq!((report.rows, report.broken), (4, None), "two old rows, enrolment, push");
    drop(storage);
    let conn = rusqlite::Connection::open(&path).expect("open");
    let target: String = conn.query_row("SELECT target FROM feed", [], |r| r.get(0)).expect("feed");
    assert_eq!(target, "dept:HRB/市场监管");
    // The old rows are protected too: editing one breaks the chain there.
    conn.execute_batch("DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'change c-9' WHERE seq = 2;")
        .expect("tamper");
    let report = super::audit::verify(&conn).expect("verify");
    assert_eq!(report.broken.map(|b| b.seq), Some(2));
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
    let feed = storage.feed(FeedTargets::Center("HRB".into()), 0, 10).await.expect("feed");
    let utc = |s: &str| chrono::DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&chrono::Utc);
    assert_eq!(feed.last().map(|i| i.at), Some(utc("2026-11-30T16:10:00Z")));
    // An older desk's outbox still holds its wall-clock time (Shanghai): 00:10 is 16:10 UTC.
    let old = Change {
        id: "old-1".into(),
        case_id: "old".into(),
        seq: 1,
        kind: ChangeKind::CaseEvent,
        body: serde_json::json!({"event": "started", "at": "2026-12-01T00:10:00"}),
        clerk: None,
    };
    assert_eq!(storage.push(clerk, vec![old.clone()]).await.expect("push")[0].status, ChangeStatus::Applied);
    let event: CaseEvent = serde_json::from_value(old.body).expect("reads");
    assert_eq!(event, CaseEvent::Started { at: utc("2026-11-30T16:10:00Z") });
}

#[tokio::test]
async fn a_resend_of_a_stored_change_is_a_duplicate_even_when_a_newer_check_would_refuse_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hq.sqlite3");
    let storage = SqliteStorage::open(&path).expect("open");
    let (w1, w2) = (clerk(&storage, "01").await, clerk(&storage, "02").await);
    // Stored by an older HQ before case numbers were checked: another window's number.
    let at = events().into_iter().next().map(|e| match e {
        CaseEvent::Started { at } => at,
        _ => unreachable!("the first event starts the case"),
    });
    let finished = CaseEvent::Finished {
        number: "ZZZ-99-20261130-0001".into(),
        decision: Decision::Accept {
            promised_date: NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
            commitments: Vec::new(),
        },
        at: at.expect("time"),
    };
    let old = change("old", 1, &finished);
    rusqlite::Connection::open(&path)
        .expect("db")
        .execute(
            "INSERT INTO changes(change_id, device_id, case_id, client_seq, kind, body, hash, received_at)
             VALUES (?1, ?2, ?3, 1, 'case_event', ?4, ?5, '2026-11-30T01:00:00Z')",
            rusqlite::params![old.id, w1.id, old.case_id, old.body.to_string(), old.content_hash()],
        )
        .expect("old row");
    // Today the same change from scratch is refused …
    let fresh = change("new", 1, &finished);
    let answer = storage.push(w1.clone(), vec![fresh]).await.expect("push");
    assert_eq!(answer[0].status, ChangeStatus::Conflict);
    // … but the resend of the stored one is what it was: a duplicate, with the stored seq.
    let answer = storage.push(w1.clone(), vec![old.clone()]).await.expect("push");
    assert_eq!(answer[0].status, ChangeStatus::Duplicate, "{:?}", answer[0].message);
    assert!(answer[0].seq.is_some());
    // The same id with other content, or from another window, stays a conflict.
    let mut edited = old.clone();
    edited.body["number"] = "HRB-01-20261130-0009".into();
    assert_eq!(storage.push(w1, vec![edited]).await.expect("push")[0].status, ChangeStatus::Conflict);
    assert_eq!(storage.push(w2, vec![old]).await.expect("push")[0].status, ChangeStatus::Conflict);
}

#[tokio::test]
async fn an_exception_approved_at_the_window_is_its_own_audit_row_naming_the_supervisor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hq.sqlite3");
    let storage = SqliteStorage::open(&path).expect("open");
    let window = clerk(&storage, "01").await;
    let approved = CaseEvent::ExceptionApproved {
        exception: crate::intake::case::Exception::CreditCodeWarning,
        value: "91350100M000100Y44".into(),
        supervisor: "赵敏".into(),
        at: "2026-12-03T01:00:00Z".parse().expect("time"),
    };
    let mut change = change("x", 1, &approved);
    change.clerk = Some("王芳".into());
    let answer = storage.push(window, vec![change]).await.expect("push");
    assert_eq!(answer[0].status, ChangeStatus::Applied);
    let conn = rusqlite::Connection::open(&path).expect("db");
    let row: (String, String, String, String) = conn
        .query_row(
            "SELECT actor, subject, reason, case_id FROM audit WHERE action = 'exception_approved'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("the row");
    assert_eq!(row, ("HRB/01#王芳".into(), "clerk:赵敏".into(), "credit_code_warning".into(), "x".into()));
    assert!(super::audit::verify(&conn).expect("verify").broken.is_none());
}

/// A sub-case of 企业开办 as the desk pushes it (`Store::finish_bundle`): item, link, number.
fn bundle_sub_case(code: &str, position: u16, waits_for: &[&str]) -> Vec<CaseEvent> {
    let at = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(crate::time::from_hall_local)
        .expect("time");
    let numbers: Vec<String> = ["HRB-01-20261130-0001", "HRB-01-20261130-0002"].map(String::from).to_vec();
    vec![
        CaseEvent::Started { at },
        CaseEvent::ItemChosen { code: code.into(), kb_version: "2026.11.1".into() },
        CaseEvent::BundleMember {
            bundle: "company_startup".into(),
            name: "企业开办".into(),
            number: numbers[0].clone(),
            position,
            items: vec!["00013112700401".into(), "SW0003".into()],
            numbers: numbers.clone(),
            waits_for: waits_for.iter().map(|s| s.to_string()).collect(),
            provided: Vec::new(),
        },
        CaseEvent::Finished {
            number: numbers[usize::from(position)].clone(),
            decision: Decision::Accept {
                promised_date: NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
                commitments: Vec::new(),
            },
            at,
        },
    ]
}

#[tokio::test]
async fn a_bundles_later_item_waits_in_its_department_for_the_earlier_items_decision() {
    use crate::intake::approval::ApprovalDecision;
    use crate::protocol::DecisionRequest;
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(&dir.path().join("hq.sqlite3")).expect("open");
    let clerk = clerk(&storage, "01").await;
    let market = approver(&storage, "HRB").await;
    let tax = storage
        .enroll(NewDevice {
            center: "HRB".into(),
            window: None,
            department: Some("税务".into()),
            role: Role::Approver,
            expires_at: None,
        })
        .await
        .expect("enroll")
        .0;
    for (case_id, code, position, waits) in
        [("reg", "00013112700401", 0, &[][..]), ("tax", "SW0003", 1, &["00013112700401"][..])]
    {
        let changes: Vec<Change> = bundle_sub_case(code, position, waits)
            .iter()
            .zip(1..)
            .map(|(e, seq)| change(case_id, seq, e))
            .collect();
        let results = storage.push(clerk.clone(), changes).await.expect("push");
        assert!(results.iter().all(|r| r.status == ChangeStatus::Applied), "{results:?}");
    }
    // Each sub-case is in its own department's queue; the tax office's says why it waits.
    let market_queue = storage.queue(scope("市场监管")).await.expect("queue");
    assert_eq!(market_queue.iter().map(|q| q.case_id.as_str()).collect::<Vec<_>>(), ["reg"]);
    assert!(market_queue[0].waiting_for.is_empty());
    let tax_queue = storage.queue(scope("税务")).await.expect("queue");
    assert_eq!(tax_queue.len(), 1);
    assert_eq!(tax_queue[0].waiting_for, ["待 有限责任公司设立登记（HRB-01-20261130-0001）作出决定"]);
    assert_eq!(tax_queue[0].bundle.as_deref(), Some("企业开办（HRB-01-20261130-0001）第 2 项"));
    let decide = |approver: &Device, id: &str, case_id: &str| {
        let request =
            DecisionRequest { id: id.into(), case_id: case_id.into(), decision: ApprovalDecision::Approve };
        storage.decide(approver.clone(), request)
    };
    let early = decide(&tax, "d1", "tax").await.expect("decide");
    assert_eq!(early.status, ChangeStatus::Conflict, "{early:?}");
    assert!(early.message.as_deref().is_some_and(|m| m.contains("一件事的后续事项")), "{early:?}");
    assert_eq!(decide(&market, "d2", "reg").await.expect("decide").status, ChangeStatus::Applied);
    assert!(storage.queue(scope("税务")).await.expect("queue")[0].waiting_for.is_empty());
    assert_eq!(decide(&tax, "d3", "tax").await.expect("decide").status, ChangeStatus::Applied);
}

#[tokio::test]
async fn a_refusal_or_termination_without_a_supervisors_approval_of_exactly_it_is_refused() {
    use crate::intake::rules::RejectReason;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hq.sqlite3");
    let storage = SqliteStorage::open(&path).expect("open");
    let window = clerk(&storage, "01").await;
    supervisor(&storage, "HRB", "赵敏").await;
    supervisor(&storage, "OTHER", "钱七").await;
    let at = "2026-11-30T01:30:00Z".parse().expect("time");
    let refusal = Decision::Reject {
        reason: RejectReason::NotEligible { reason: "申请人未满十八周岁".into() },
        basis: vec!["《行政许可法》第三十二条".into()],
    };
    let value = crate::intake::case::refusal_value(&refusal).expect("a refusal's value");
    assert_eq!(value, "不符合条件：申请人未满十八周岁｜依据：《行政许可法》第三十二条");
    let finished = |n: u32| CaseEvent::Finished {
        number: format!("HRB-01-20261130-{n:04}"),
        decision: refusal.clone(),
        at,
    };
    let push = |case_id: &str, events: Vec<CaseEvent>| {
        let mut changes: Vec<Change> =
            events.iter().zip(1..).map(|(e, seq)| change(case_id, seq, e)).collect();
        for c in &mut changes {
            c.clerk = Some("王芳".into());
        }
        let (storage, window) = (&storage, window.clone());
        async move { storage.push(window, changes).await.expect("push") }
    };
    let refused = |results: &[crate::protocol::ChangeResult]| {
        let last = results.last().expect("a result");
        last.status == ChangeStatus::Conflict
            && last.message.as_deref().is_some_and(|m| m.contains("须经本中心（HRB）主管审批"))
    };
    // No approval; an approval of another reason (the reason edited since); a supervisor of
    // another center; a name HQ does not know as a supervisor; the clerk approving herself.
    let cases: [(&str, Option<(&str, &str)>); 5] = [
        ("none", None),
        ("edited", Some(("不符合条件：申请人未满十六周岁｜依据：《行政许可法》第三十二条", "赵敏"))),
        ("foreign", Some((value.as_str(), "钱七"))),
        ("unknown", Some((value.as_str(), "孙八"))),
        ("own", Some((value.as_str(), "王芳"))),
    ];
    for (n, (case_id, approval)) in (1..).zip(cases) {
        let mut all = events();
        all.pop();
        if let Some((v, who)) = approval {
            all.push(approved(Exception::Refusal, v, who));
        }
        all.push(finished(n));
        let results = push(case_id, all).await;
        assert!(refused(&results), "{case_id}: {results:?}");
        let view = storage.case(case_id.into()).await.expect("read").expect("case");
        assert_eq!(view.decision, None, "{case_id}: the refusal is not recorded");
    }
    // With the approval of exactly this refusal by a supervisor of the center, it stands.
    let mut ok = events();
    ok.pop();
    ok.push(approved(Exception::Refusal, &value, "赵敏"));
    ok.push(finished(9));
    let results = push("ok", ok).await;
    assert!(results.iter().all(|r| r.status == ChangeStatus::Applied), "{results:?}");
    assert_eq!(
        storage.case("ok".into()).await.expect("read").expect("case").decision.as_deref(),
        Some("不予受理")
    );
    // The audit names the supervisor who approved it, and the refusals of the others.
    let conn = rusqlite::Connection::open(&path).expect("db");
    let rows: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT case_id, subject, reason FROM audit WHERE action = 'exception_approved' ORDER BY seq",
        )
        .expect("query")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(rows.contains(&("ok".into(), "clerk:赵敏".into(), "refusal".into())), "{rows:?}");
    let unapproved: i64 = conn
        .query_row(
            "SELECT count(*) FROM audit WHERE reason = 'exception_unapproved' AND status = 409",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(unapproved, 5);
    // A termination: approved for another case number is not approved for this one.
    let ended = CaseEvent::Terminated { at, rule: None, credit_record: false };
    let accepted = events();
    let results = push("t", accepted).await;
    assert!(results.iter().all(|r| r.status == ChangeStatus::Applied), "{results:?}");
    let wrong = approved(Exception::Termination, "HRB-01-20261130-0002｜终止受理", "赵敏");
    let answer = storage
        .push(window.clone(), vec![change("t", 5, &wrong), change("t", 6, &ended)])
        .await
        .expect("push");
    assert_eq!(answer[1].status, ChangeStatus::Conflict, "{answer:?}");
    let right = approved(Exception::Termination, "HRB-01-20261130-0001｜终止受理", "赵敏");
    let answer =
        storage.push(window, vec![change("t", 7, &right), change("t", 8, &ended)]).await.expect("push");
    assert!(answer.iter().all(|r| r.status == ChangeStatus::Applied), "{answer:?}");
    assert!(super::audit::verify(&conn).expect("verify").broken.is_none());
}
