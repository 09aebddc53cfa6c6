//! The one time model (src/time.rs) just after midnight in the hall: at 00:10 in Shanghai it is
//! 16:10 UTC of the day before. The desk stamps UTC instants, HQ sends UTC instants with their offset,
//! and what the clerk sees (a call's waiting time, the date on a notice, the case number's date) is
//! the hall's. These tests pass whatever the machine's `TZ` is (CI runs them under UTC and under
//! Asia/Shanghai).

mod common;
mod desk_support;

use chrono::{DateTime, Utc};
use crossterm::event::KeyCode;
use desk_support::{Desk, small_kb, standard_intake};
use yichuang::intake::case::CaseEvent;
use yichuang::protocol::{FeedBody, FeedItem};
use yichuang::tui::app::Msg;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A feed item exactly as HQ puts it on the wire.
fn feed(json: &str) -> FeedItem {
    serde_json::from_str(json).expect("HQ's feed item")
}

fn to_checklist(desk: &mut Desk) {
    desk.key(KeyCode::F(2));
    desk.type_text("A006");
    desk.key(KeyCode::Enter);
    desk.type_text("公司");
    desk.key(KeyCode::Enter);
}

#[test]
fn a_call_raised_at_ten_past_midnight_waits_as_long_as_it_did() {
    // Tuesday 2026-12-01 00:10 in the hall.
    let raised = utc("2026-11-30T16:10:00Z");
    let mut desk = Desk::new(small_kb(), raised);
    to_checklist(&mut desk);
    desk.key(KeyCode::F(6));
    desk.type_text("章程未签字能否容缺？");
    desk.key(KeyCode::Enter);
    let intake = desk.app.intake().unwrap();
    let case_id = intake.case_id.clone().unwrap();
    let call = intake.case.calls[0].clone();
    assert_eq!(call.raised_at, raised, "the desk stamps the instant, not its wall clock");
    // The journal and the outbox carry the instant with its offset.
    let outbox = desk.effects.store.outbox_pending(10).unwrap();
    assert!(outbox[0].body.contains("\"at\":\"2026-11-30T16:10:00Z\""), "{}", outbox[0].body);

    // HQ rings the call 20 s later and an approver answers 70 s after it was raised.
    let ringing = feed(&format!(
        r#"{{"seq":1,"at":"2026-11-30T16:10:20Z","body":{{"kind":"call_state","case_id":"{case_id}","call_id":"{}","state":"ringing","at":"2026-11-30T16:10:20Z"}}}}"#,
        call.id
    ));
    let FeedBody::CallState { state, at, .. } = ringing.body else { panic!("call state") };
    desk.at(utc("2026-11-30T16:10:40Z"));
    desk.send(Msg::Remote {
        case_id: case_id.clone(),
        event: CaseEvent::CallStateChanged { call_id: call.id.clone(), state, at },
    });
    let screen = desk.screen(120, 40);
    assert!(screen.contains("呼叫振铃 00:40"), "40 s, not 8 h: {screen}");
    let reply = feed(&format!(
        r#"{{"seq":2,"at":"2026-11-30T16:11:10Z","body":{{"kind":"call_reply","case_id":"{case_id}","call_id":"{}","reply":{{"by":"刘审批","text":"可以","at":"2026-11-30T16:11:10Z"}}}}}}"#,
        call.id
    ));
    let FeedBody::CallReply { reply, .. } = reply.body else { panic!("reply") };
    desk.at(utc("2026-11-30T16:15:00Z"));
    desk.send(Msg::Remote { case_id, event: CaseEvent::CallReplied { call_id: call.id, reply } });
    desk.key(KeyCode::Char('x'));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("呼叫已接听 01:10"), "waited until the first answer: {screen}");
}

#[test]
fn a_correction_sent_at_ten_past_midnight_is_dated_that_day_and_so_is_the_case_number() {
    // The case is taken in on Tuesday 00:05 in the hall (Monday 16:05 UTC).
    let mut desk = Desk::new(small_kb(), utc("2026-11-30T16:05:00Z"));
    let id = standard_intake(&mut desk);
    let number = desk.effects.store.load(&id).unwrap().number.expect("finished");
    assert!(number.contains("-20261201-"), "the hall's date, not UTC's: {number}");

    // HQ sends it back for correction at 00:10 in the hall (its clock: 16:10 UTC).
    let item = feed(&format!(
        r#"{{"seq":1,"at":"2026-11-30T16:10:00Z","body":{{"kind":"decision","case_id":"{id}","number":"{number}","decision":{{"kind":"request_correction","materials":["公司章程"],"note":"章程须全体股东签字"}},"by":"HRBDL/市场监管","at":"2026-11-30T16:10:00Z"}}}}"#
    ));
    desk.effects.store.apply_pulled(&[item], 1, utc("2026-11-30T16:10:02Z")).unwrap();
    let case = desk.effects.store.load(&id).unwrap();
    assert_eq!(case.correction.as_ref().map(|c| c.at), Some(utc("2026-11-30T16:10:00Z")));
    desk.at(utc("2026-11-30T16:12:00Z"));
    desk.key(KeyCode::F(3));
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('p'));
    let pdf = desk.dir.path().join("notices").join(format!("{number}-correction.pdf"));
    let out = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext");
    let text: String = String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains("一次性告知书"), "{text}");
    assert!(text.contains("2026年12月01日") && !text.contains("2026年11月30日"), "dated in the hall: {text}");
}

#[test]
fn the_hall_zone_is_named_kept_by_the_desk_and_the_machine_tz_plays_no_part() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        yichuang::store::Store::open(&dir.path().join("desk.sqlite3"), yichuang::store::StoreKind::Desk)
            .unwrap();
    store.create_case(utc("2026-11-30T16:30:00Z")).unwrap();
    drop(store);
    let list = |zone: Option<&str>, tz: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_yichuang"));
        cmd.arg("--data-dir").arg(dir.path()).env("TZ", tz);
        if let Some(zone) = zone {
            cmd.args(["--zone", zone]);
        }
        let out = cmd.args(["case", "list"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Default Asia/Shanghai, whatever TZ says.
    assert!(list(None, "UTC").contains("2026-12-01 00:30"));
    assert!(list(None, "America/New_York").contains("2026-12-01 00:30"));
    // Another zone is kept for later runs, until changed.
    assert!(list(Some("Asia/Urumqi"), "UTC").contains("2026-11-30 22:30"));
    assert!(list(None, "Asia/Shanghai").contains("2026-11-30 22:30"));
    assert!(list(Some("Asia/Shanghai"), "UTC").contains("2026-12-01 00:30"));
    let out = common::yichuang([
        "--data-dir",
        &dir.path().display().to_string(),
        "--zone",
        "+08:00",
        "case",
        "list",
    ]);
    assert_eq!(common::code(&out), 2);
    assert!(common::stderr(&out).contains("未知时区") && common::stderr(&out).contains("Asia/Shanghai"));
}
