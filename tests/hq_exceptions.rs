//! Exceptions at HQ over HTTP (issue #12, item 1), on a real HQ process: a 不予受理 pushed without
//! a supervisor's approval is a conflict; with the approval of a supervisor HQ knows at the
//! center it stands, and `GET /v1/exceptions` lists it — to that center's supervisor tokens only
//! (a window's and an approver's token get 403, another center's supervisor an empty list).

mod common;
mod hq_support;

use serde_json::{Value, json};

/// A window's push of `events` for `case_id` (ids `case_id-1`, …), signed by 王芳.
fn push(url: &str, token: &str, case_id: &str, events: &[Value]) -> Value {
    let changes: Vec<Value> = events
        .iter()
        .zip(1..)
        .map(|(body, seq)| {
            json!({"id": format!("{case_id}-{seq}"), "case_id": case_id, "seq": seq,
                   "kind": "case_event", "body": body, "clerk": "王芳"})
        })
        .collect();
    hq_support::http()
        .post(format!("{url}/v1/push"))
        .bearer_auth(token)
        .json(&json!({ "changes": changes }))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

fn refusal_events(number: &str, approval: Option<&str>) -> Vec<Value> {
    let decision = json!({"decision": "reject",
        "reason": {"kind": "not_eligible", "reason": "申请人未满十八周岁"},
        "basis": ["《中华人民共和国行政许可法》第三十二条"]});
    let mut events = vec![
        json!({"event": "started", "at": "2026-11-30T09:00:00+08:00"}),
        json!({"event": "item_chosen", "code": "00013112700401", "kb_version": "test"}),
    ];
    if let Some(supervisor) = approval {
        events.push(json!({"event": "exception_approved", "exception": "refusal",
            "value": "不符合条件：申请人未满十八周岁｜依据：《中华人民共和国行政许可法》第三十二条",
            "supervisor": supervisor, "at": "2026-11-30T01:05:00Z"}));
    }
    events.push(json!({"event": "finished", "number": number, "decision": decision,
        "at": "2026-11-30T09:06:00+08:00"}));
    events
}

#[test]
fn a_refusal_needs_its_supervisor_and_only_supervisors_see_the_centers_exceptions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let hq = hq_support::Hq::start(&db, "127.0.0.1:0");
    let window = hq_support::enroll(&db, &["--center", "HRB", "--window", "01", "--role", "clerk"]);
    let approver =
        hq_support::enroll(&db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let supervisor = hq_support::enroll(&db, &["--center", "HRB", "--role", "supervisor"]);
    let elsewhere = hq_support::enroll(&db, &["--center", "OTHER", "--role", "supervisor"]);
    common::set_at_hq(&db, "HRB", &common::ZHAO, "supervisor");

    // Without the approval the refusal is a conflict that says what is missing.
    let answer = push(&hq.url, &window, "c-none", &refusal_events("HRB-01-20261130-0001", None));
    let last = answer["results"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["status"], "conflict", "{answer}");
    assert!(last["message"].as_str().unwrap().contains("须经本中心（HRB）主管审批"), "{answer}");
    // With 赵敏's approval of exactly this refusal it stands.
    let answer = push(&hq.url, &window, "c-ok", &refusal_events("HRB-01-20261130-0002", Some("赵敏")));
    assert!(answer["results"].as_array().unwrap().iter().all(|r| r["status"] == "applied"), "{answer}");

    let get = |token: &str| {
        hq_support::http().get(format!("{}/v1/exceptions", hq.url)).bearer_auth(token).send().unwrap()
    };
    let list: Value = get(&supervisor).json().unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let e = &list[0];
    assert_eq!(
        (&e["number"], &e["kind"], &e["label"], &e["supervisor"], &e["clerk"], &e["window"]),
        (
            &json!("HRB-01-20261130-0002"),
            &json!("refusal"),
            &json!("不予受理"),
            &json!("赵敏"),
            &json!("王芳"),
            &json!("HRB-01")
        ),
        "{e}"
    );
    assert!(e["value"].as_str().unwrap().starts_with("不符合条件：申请人未满十八周岁"), "{e}");
    for token in [&window, &approver] {
        assert_eq!(get(token).status(), 403);
    }
    let other: Value = get(&elsewhere).json().unwrap();
    assert_eq!(other, json!([]), "another center's supervisor sees none of HRB's");
}
