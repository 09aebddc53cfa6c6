//! The applicant's progress page and self-rating (issue 14, items 4 and 5) against a real HQ
//! process on loopback, fed by a real desk store through `yichuang sync --once`: the right code
//! shows the timeline with the name masked and nothing personal, wrong codes lock the case,
//! one address is rate-limited, every lookup is audited without the code or a personal number;
//! a rating is taken once per stage, with a reason for the two lowest, 办结 only once decided, and
//! the window learns that it arrived (the level only when bad).

mod hq_support;

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use hq_support::{Hq, ITEM, bin, desk, enroll};
use yichuang::intake::case::{CaseEvent, Field};
use yichuang::intake::rules::Decision;
use yichuang::store::{Store, StoreKind};

const NAME: &str = "王小明";
const ID: &str = "11010519491231002X";
const PHONE: &str = "13800138000";
const ADDRESS: &str = "哈尔滨市道里区友谊路 100 号";

/// An accepted case with the applicant's name, ID, phone and address; returns (case id, number,
/// query code).
fn accepted_case(db: &Path) -> (String, String, String) {
    let mut store = Store::open(db, StoreKind::Desk).expect("desk store");
    let at = yichuang::time::from_hall_local(
        NaiveDate::from_ymd_opt(2026, 11, 30).expect("date").and_hms_opt(9, 0, 0).expect("time"),
    );
    let id = uuid::Uuid::new_v4().to_string();
    store.create_case_with_id(&id, at).expect("create");
    store.append(&id, CaseEvent::ItemChosen { code: ITEM.into(), kb_version: "1".into() }, at).expect("item");
    for (field, value) in [
        (Field::ApplicantName, NAME),
        (Field::IdNumber, ID),
        (Field::Phone, PHONE),
        (Field::Address, ADDRESS),
    ] {
        store.append(&id, CaseEvent::FieldSet { field, value: value.into() }, at).expect("field");
    }
    let decision = Decision::Accept {
        promised_date: NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
        commitments: Vec::new(),
    };
    let case = store.finish(&id, "HRB", "01", decision, at).expect("finish").clone();
    (id, case.number.expect("number"), case.query_code.expect("an accepted case has a query code"))
}

fn sync_once(data_dir: &Path, hq: &str, token: &str) {
    let out = Command::new(bin())
        .arg("--data-dir")
        .arg(data_dir)
        .args(["sync", "--once", "--hq", hq, "--token", token])
        .output()
        .expect("run sync");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn client() -> reqwest::blocking::Client {
    hq_support::http()
}

fn post_form(hq: &Hq, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = client().post(format!("{}{path}", hq.url)).form(form).send().expect("post");
    (r.status().as_u16(), r.text().expect("body"))
}

/// The value of the rating form's hidden `token` field.
fn token(html: &str) -> String {
    let start =
        html.find("name=\"token\" value=\"").expect("a rating form") + "name=\"token\" value=\"".len();
    html[start..].split('"').next().expect("token").to_string()
}

/// A stored rating: stage, level, category, reason, channel.
type RatingRow = (String, String, Option<String>, Option<String>, String);

fn audit_rows(db: &Path, status: i64) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("hq db");
    conn.query_row("SELECT count(*) FROM audit WHERE action = 'lookup' AND status = ?1", [status], |r| {
        r.get(0)
    })
    .expect("count")
}

#[test]
fn the_right_code_shows_the_masked_timeline_wrong_codes_lock_and_ratings_come_once_per_stage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hq_db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&hq_db, &["--center", "HRB", "--window", "01", "--role", "clerk"]);
    let approver = enroll(&hq_db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let hq = Hq::start_with(&hq_db, "127.0.0.1:0", &["--lookups-per-minute", "200"]);
    let desk_dir = dir.path().join("desk");
    let desk_db = desk(&desk_dir, "HRB", "01");
    let (case_id, number, code) = accepted_case(&desk_db);
    sync_once(&desk_dir, &hq.url, &clerk);

    // HQ holds the code's hash only.
    let conn = rusqlite::Connection::open(&hq_db).expect("hq db");
    let everything: String =
        conn.query_row("SELECT group_concat(body, ' ') FROM changes", [], |r| r.get(0)).expect("changes");
    assert!(!everything.contains(&code) && !everything.contains(&code.replace('-', "")));
    assert!(everything.contains(&yichuang::intake::query_code::hash(&code)));

    // The QR code's address opens the form with the case number filled in, phone-ready.
    let r = client().get(format!("{}/lookup?case={number}", hq.url)).send().expect("get");
    assert_eq!(r.status().as_u16(), 200);
    let form = r.text().expect("body");
    assert!(form.contains("name=\"viewport\" content=\"width=device-width"), "{form}");
    assert!(form.contains(&format!("value=\"{number}\"")) && !form.contains("<script"), "{form}");

    // The right code (typed in lower case, without the dash): the timeline and the masked name only.
    let typed = code.to_lowercase().replace('-', "");
    let (status, page) = post_form(&hq, "/lookup", &[("case", &number), ("code", &typed)]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&number) && page.contains("王*明") && page.contains("受理"), "{page}");
    assert!(page.contains("承诺办结日期 2026年12月04日"), "{page}");
    for secret in [NAME, ID, "1101", PHONE, "8000", ADDRESS, "友谊路", "公司章程", &code] {
        assert!(!page.contains(secret), "the page shows {secret}: {page}");
    }
    assert!(page.contains("办结后可对办结环节进行评价"), "{page}");
    let rating_token = token(&page);

    // 办结 cannot be rated before it is; a bad rating needs a category and a reason; then once.
    let rate = |fields: &[(&str, &str)]| {
        let mut form = vec![("token", rating_token.as_str())];
        form.extend_from_slice(fields);
        post_form(&hq, "/lookup/rate", &form)
    };
    let (status, body) = rate(&[("stage", "办结"), ("level", "满意")]);
    assert_eq!(status, 422);
    assert!(body.contains("尚未办结"), "{body}");
    let (status, body) = rate(&[("stage", "受理"), ("level", "不满意"), ("reason", "排队太久")]);
    assert_eq!(status, 422);
    assert!(body.contains("不满意的方面"), "{body}");
    let (status, body) = rate(&[("stage", "受理"), ("level", "非常不满意"), ("category", "办事效率")]);
    assert_eq!(status, 422);
    assert!(body.contains("请写明理由"), "{body}");
    let (status, body) =
        rate(&[("stage", "受理"), ("level", "不满意"), ("category", "办事效率"), ("reason", "排队太久")]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("感谢你的评价") && body.contains("「受理」环节已评价"), "{body}");
    let (status, body) = rate(&[("stage", "受理"), ("level", "非常满意")]);
    assert_eq!(status, 422);
    assert!(body.contains("已评价"), "{body}");
    // A forged or foreign token is refused.
    let forged = rating_token.replacen(&case_id, "another-case", 1);
    let (status, _) =
        post_form(&hq, "/lookup/rate", &[("token", &forged), ("stage", "受理"), ("level", "满意")]);
    assert_eq!(status, 403);

    // The back office approves: 审批 and 办结 appear and 办结 can be rated, here from the window's QR code.
    let r = client()
        .post(format!("{}/v1/decisions", hq.url))
        .bearer_auth(&approver)
        .json(&serde_json::json!({"id": "dec-1", "case_id": case_id, "decision": {"kind": "approve"}}))
        .send()
        .expect("decide");
    assert_eq!(r.status().as_u16(), 200);
    let (status, page) = post_form(&hq, "/lookup", &[("case", &number), ("code", &code), ("via", "window")]);
    assert_eq!(status, 200);
    assert!(page.contains("审批") && page.contains("准予许可") && page.contains("办结"), "{page}");
    let window_token = token(&page);
    let (status, body) = post_form(
        &hq,
        "/lookup/rate",
        &[("token", &window_token), ("stage", "办结"), ("level", "非常满意"), ("via", "window")],
    );
    assert_eq!(status, 200, "{body}");
    let ratings: Vec<RatingRow> = conn
        .prepare("SELECT stage, level, category, reason, channel FROM ratings WHERE case_id = ?1 ORDER BY stage DESC")
        .and_then(|mut s| {
            s.query_map([&case_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?.collect()
        })
        .expect("ratings");
    assert_eq!(
        ratings,
        [
            ("受理".into(), "不满意".into(), Some("办事效率".into()), Some("排队太久".into()), "web".into()),
            ("办结".into(), "非常满意".into(), None, None, "window_qr".into()),
        ]
    );

    // The window learns that ratings arrived: the bad one's level, never the good one's.
    sync_once(&desk_dir, &hq.url, &clerk);
    let mut store = Store::open(&desk_db, StoreKind::Desk).expect("desk store");
    let notes = store.load(&case_id).expect("case").ratings_received;
    let seen: Vec<(&str, bool, Option<&str>)> =
        notes.iter().map(|n| (n.stage.as_str(), n.bad, n.level.as_deref())).collect();
    assert_eq!(seen, [("受理", true, Some("不满意")), ("办结", false, None)]);

    // Wrong codes: four tell how many tries are left, the fifth locks the case — the right code too.
    let wrong = "ZZZZ-ZZZZ";
    for left in (1..=4).rev() {
        let (status, body) = post_form(&hq, "/lookup", &[("case", &number), ("code", wrong)]);
        assert_eq!(status, 404);
        assert!(body.contains(&format!("还可尝试 {left} 次")), "{body}");
    }
    let (status, body) = post_form(&hq, "/lookup", &[("case", &number), ("code", wrong)]);
    assert_eq!(status, 423);
    assert!(body.contains("暂停查询") && body.contains("后再试"), "{body}");
    let (status, body) = post_form(&hq, "/lookup", &[("case", &number), ("code", &code)]);
    assert_eq!(status, 423, "locked for the right code as well: {body}");
    assert!(!body.contains("王*明"));

    // A malformed code is refused without counting as a wrong one (it cannot be right).
    let (status, body) = post_form(&hq, "/lookup", &[("case", "X"), ("code", "<b>")]);
    assert_eq!(status, 400);
    assert!(body.contains("8 位字母和数字") && !body.contains("<b>"), "{body}");

    // Every lookup is audited, without the code, its hash or a personal number.
    assert_eq!(audit_rows(&hq_db, 200), 2);
    assert_eq!(audit_rows(&hq_db, 404), 5);
    assert_eq!(audit_rows(&hq_db, 423), 1);
    assert_eq!(audit_rows(&hq_db, 400), 1);
    let rated: i64 = conn
        .query_row("SELECT count(*) FROM audit WHERE action = 'rate' AND status = 200", [], |r| r.get(0))
        .expect("rate rows");
    assert_eq!(rated, 2);
    let audit: String = conn
        .query_row(
            "SELECT group_concat(actor || device || coalesce(subject, '') || coalesce(reason, '') || coalesce(case_id, ''), ' ')
             FROM audit WHERE action IN ('lookup', 'rate')",
            [],
            |r| r.get(0),
        )
        .expect("audit");
    let hash = yichuang::intake::query_code::hash(&code);
    for secret in [code.as_str(), &code.replace('-', ""), &hash, ID, PHONE, NAME, "127.0.0.1"] {
        assert!(!audit.contains(secret), "the audit holds {secret}: {audit}");
    }
    let verify =
        Command::new(bin()).args(["hq", "audit", "verify", "--db"]).arg(&hq_db).output().expect("verify");
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    hq.kill();
}

#[test]
fn one_address_gets_its_budget_of_lookups_per_minute() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hq_db = dir.path().join("hq.sqlite3");
    let hq = Hq::start_with(&hq_db, "127.0.0.1:0", &["--lookups-per-minute", "3"]);
    for n in 1..=3 {
        let number = format!("HRB-01-20261130-000{n}");
        let (status, _) = post_form(&hq, "/lookup", &[("case", &number), ("code", "ABCD-EFGH")]);
        assert_eq!(status, 404);
    }
    let r = client()
        .post(format!("{}/lookup", hq.url))
        .form(&[("case", "HRB-01-20261130-0009"), ("code", "ABCD-EFGH")])
        .send()
        .expect("post");
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("60"));
    assert!(r.text().expect("body").contains("查询过于频繁"));
    assert_eq!(audit_rows(&hq_db, 429), 1);
    hq.kill();
}
