//! First-run set-up, the case list (容缺 supplements and termination) and the handover list, on
//! screen with a real store.

mod desk_support;

use chrono::Duration;
use crossterm::event::KeyCode;
use desk_support::{Desk, monday_morning, small_kb};
use yichuang::intake::case::Status;
use yichuang::tui::effects::load_config;

const ID: &str = "11010519491231002X";

/// A whole intake: `marks` are the checklist keys, `agree` signs the 容缺 commitment.
fn intake(desk: &mut Desk, name: &str, marks: &str, agree: bool) -> String {
    intake_of(desk, false, &[name, ID, "13800138000"], marks, agree)
}

/// A whole intake for a person or (`organisation`) a unit, typing `applicant` into its form.
fn intake_of(desk: &mut Desk, organisation: bool, applicant: &[&str], marks: &str, agree: bool) -> String {
    desk.key(KeyCode::F(2));
    desk.key(KeyCode::Enter);
    desk.type_text("公司");
    desk.key(KeyCode::Enter);
    // `f` answers every situation 否 (no agent, no prior approval); then the marks.
    desk.type_text(&format!("f{marks}"));
    if agree {
        desk.key(KeyCode::Char('y'));
    }
    desk.key(KeyCode::Enter);
    if organisation {
        desk.ctrl('t');
    }
    for text in applicant {
        desk.type_text(text);
        desk.key(KeyCode::Enter);
    }
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('5'));
    desk.key(KeyCode::Enter);
    let number = desk.app.intake().unwrap().case.number.clone().expect("finished");
    desk.key(KeyCode::Enter);
    number
}

#[test]
fn first_run_asks_for_center_and_window_and_keeps_them() {
    let mut desk = Desk::with_config(small_kb(), None, monday_morning());
    insta::assert_snapshot!("setup_120x40", desk.screen(120, 40));
    insta::assert_snapshot!("setup_80x24", desk.screen(80, 24));
    desk.type_text("hrbdl");
    desk.key(KeyCode::Enter);
    // Passing the empty name says nothing yet; trying to finish shows it and goes back to it.
    desk.key(KeyCode::Enter);
    assert!(!desk.screen(120, 40).contains("请填写中心名称"), "{}", desk.screen(120, 40));
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    assert!(desk.screen(120, 40).contains("请填写中心名称"), "{}", desk.screen(120, 40));
    desk.paste("哈尔滨市道里区政务服务中心");
    desk.key(KeyCode::Enter);
    desk.type_text("05");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    let config = desk.app.config().expect("configured").clone();
    assert_eq!((config.center.as_str(), config.window.as_str()), ("HRBDL", "05"));
    assert_eq!(load_config(&desk.effects.store).unwrap(), Some(config));
    assert!(desk.screen(120, 40).contains("接待下一位申请人"));
}

#[test]
fn case_list_searches_and_records_a_supplement() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    intake(&mut desk, "张三", "11111", false);
    let lenient = intake(&mut desk, "李四", "11113", true);
    desk.key(KeyCode::F(3));
    insta::assert_snapshot!("cases_120x40", desk.screen(120, 40));
    insta::assert_snapshot!("cases_80x24", desk.screen(80, 24));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("110105********002X"), "ID masked in the list: {screen}");
    assert!(!screen.contains(ID));
    desk.type_text("李四");
    let screen = desk.screen(120, 40);
    assert!(screen.contains(&lenient) && !screen.contains("张三"), "{screen}");
    assert!(screen.contains("剩 1 个工作日"), "{screen}");
    desk.key(KeyCode::Enter);
    insta::assert_snapshot!("case_detail_120x40", desk.screen(120, 40));
    insta::assert_snapshot!("case_detail_80x24", desk.screen(80, 24));
    desk.key(KeyCode::Char('t'));
    assert!(desk.screen(120, 40).contains("只有逾期未补正"), "not overdue yet");
    // `s` opens the material owed with its checkpoints; it is checked and marked like at intake.
    desk.key(KeyCode::Char('s'));
    let screen = desk.screen(120, 40);
    assert!(
        screen.contains("容缺补正收件") && screen.contains("审查要点") && screen.contains("[待核验]"),
        "{screen}"
    );
    insta::assert_snapshot!("supplement_120x40", desk.screen(120, 40));
    insta::assert_snapshot!("supplement_80x24", desk.screen(80, 24));
    desk.key(KeyCode::Char('1'));
    desk.key(KeyCode::Enter);
    let id = desk.effects.store.find(&lenient).unwrap().unwrap();
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::Supplemented);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("已补正 住所") && screen.contains("容缺补正收件 "), "{screen}");
    let receipt = desk.dir.path().join("notices").join(format!("{lenient}-B1-receipt.pdf"));
    assert!(receipt.exists(), "the 材料接收凭证 printed: {screen}");
    // Undone before leaving the case: the material is owed again, the history says so.
    desk.key(KeyCode::Char('u'));
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::AwaitingSupplement);
    assert!(desk.screen(120, 40).contains("撤销补正收件"), "{}", desk.screen(120, 40));
    desk.key(KeyCode::Char('u'));
    assert!(desk.screen(120, 40).contains("没有可撤销的补正收件"));
    // Recorded again, then the clerk goes to another screen and back: that left the case.
    desk.key(KeyCode::Char('s'));
    desk.key(KeyCode::Char('1'));
    desk.key(KeyCode::Enter);
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::Supplemented);
    desk.key(KeyCode::F(2));
    desk.key(KeyCode::F(3));
    desk.key(KeyCode::Char('u'));
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::Supplemented);
    assert!(desk.screen(120, 40).contains("离开案件后不能撤销"), "{}", desk.screen(120, 40));
}

#[test]
fn an_overdue_lenient_case_is_flagged_and_terminated_by_the_items_rule() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    let number = intake(&mut desk, "李四", "11113", true);
    desk.at(monday_morning() + Duration::days(3));
    desk.key(KeyCode::F(3));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("已逾期 2 天"), "{screen}");
    desk.key(KeyCode::Enter);
    assert!(desk.screen(120, 40).contains("逾期未补正：终止受理"));
    // Terminating needs a supervisor (src/tui/approval.rs): Esc leaves the case as it was.
    supervisor_at_desk("赵敏", "556677");
    desk.key(KeyCode::Char('t'));
    let id = desk.effects.store.find(&number).unwrap().unwrap();
    let screen = desk.screen(120, 40);
    assert!(screen.contains("主管授权") && screen.contains(&format!("{number}｜终止受理")), "{screen}");
    desk.key(KeyCode::Esc);
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::AwaitingSupplement);
    desk.key(KeyCode::Char('t'));
    desk.type_text("赵敏");
    desk.key(KeyCode::Tab);
    desk.type_text("556677");
    desk.key(KeyCode::Enter);
    let case = desk.effects.store.load(&id).unwrap();
    assert_eq!(case.status, Status::Terminated);
    let approval = case.approvals.last().expect("the approval is in the case");
    assert_eq!(
        (approval.supervisor.as_str(), approval.value.clone()),
        ("赵敏", format!("{number}｜终止受理"))
    );
    assert!(desk.screen(120, 40).contains("主管 赵敏 审批终止案件"), "{}", desk.screen(120, 40));
    // The item's rule and its credit flag are what was recorded, and what the clerk sees.
    let expiry = case.expiry.expect("the rule applied");
    assert_eq!((expiry.rule.label(), expiry.credit_record), ("终止受理", true));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("已按事项规定处理：终止受理，已记入信用记录"), "{screen}");
}

#[test]
fn handover_checks_the_collectors_id_against_the_case() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    let number = intake(&mut desk, "张三", "11111", false);
    let later = monday_morning() + Duration::hours(30);
    desk.effects.store.record_decision(&number, "准予", "{}", later).unwrap();
    desk.key(KeyCode::F(4));
    insta::assert_snapshot!("handover_120x40", desk.screen(120, 40));
    insta::assert_snapshot!("handover_80x24", desk.screen(80, 24));
    desk.key(KeyCode::Enter);
    insta::assert_snapshot!("handover_form_120x40", desk.screen(120, 40));
    insta::assert_snapshot!("handover_form_80x24", desk.screen(80, 24));
    desk.type_text("张三");
    desk.key(KeyCode::Enter);
    desk.type_text("11010519491231003X");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("与申请人、代理人的身份证号都不一致") || screen.contains("校验码"), "{screen}");
    for _ in 0..18 {
        desk.key(KeyCode::Backspace);
    }
    desk.paste(&ID.to_lowercase());
    desk.key(KeyCode::Enter);
    let id = desk.effects.store.find(&number).unwrap().unwrap();
    let case = desk.effects.store.load(&id).unwrap();
    assert_eq!(case.status, Status::HandedOver);
    assert_eq!(case.handover.as_ref().map(|h| h.1.as_str()), Some(ID));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("待出件 0 件") && screen.contains("送达回证"), "{screen}");
    // The 送达回证 prints for the collector's signature, their ID masked.
    let pdf = desk.dir.path().join("notices").join(format!("{number}-delivery-receipt.pdf"));
    let out = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext");
    let text: String = String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect();
    for expected in [
        "送达回证",
        "领取人：张三",
        "领取人身份证号：110105********002X",
        "领取人（签字）",
        "（领取人：张三）",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert!(!text.contains(ID), "{text}");
}

#[test]
fn an_organisations_result_goes_to_a_collector_with_a_valid_id() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    let unit = ["哈尔滨某某科技有限公司", "91350100M000100Y43", "王五", "13800138000"];
    let number = intake_of(&mut desk, true, &unit, "11111", false);
    desk.effects.store.record_decision(&number, "准予", "{}", monday_morning() + Duration::hours(3)).unwrap();
    desk.key(KeyCode::F(4));
    desk.key(KeyCode::Enter);
    desk.type_text("赵六");
    desk.key(KeyCode::Enter);
    desk.type_text(ID);
    assert!(desk.screen(120, 40).contains("单位介绍信或授权委托书"), "{}", desk.screen(120, 40));
    desk.key(KeyCode::Enter);
    let id = desk.effects.store.find(&number).unwrap().unwrap();
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::HandedOver);
}

#[test]
fn a_lenient_result_waits_for_its_supplements_and_a_handed_over_case_stays_closed() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    let number = intake(&mut desk, "李四", "11113", true);
    let id = desk.effects.store.find(&number).unwrap().unwrap();
    let later = monday_morning() + Duration::hours(3);
    desk.effects.store.record_decision(&number, "准予", "{}", later).unwrap();
    desk.key(KeyCode::F(4));
    assert!(desk.screen(120, 40).contains("补齐前不出件"), "{}", desk.screen(120, 40));
    desk.key(KeyCode::Enter);
    assert!(desk.screen(120, 40).contains("容缺材料尚未补齐"), "{}", desk.screen(120, 40));
    assert!(!desk.screen(120, 40).contains("领取人姓名"), "no handover form while withheld");
    // The supplement arrives; the result can go.
    desk.key(KeyCode::F(3));
    desk.type_text("李四");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('s'));
    desk.key(KeyCode::Char('1'));
    desk.key(KeyCode::Enter);
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::Supplemented);
    desk.key(KeyCode::F(4));
    desk.key(KeyCode::Enter);
    desk.type_text("李四");
    desk.key(KeyCode::Enter);
    desk.paste(ID);
    desk.key(KeyCode::Enter);
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::HandedOver);
    // Recording the supplement again later never reopens the case or its handover.
    desk.key(KeyCode::F(3));
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('s'));
    assert!(desk.screen(120, 40).contains("没有待补正的材料"), "{}", desk.screen(120, 40));
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::HandedOver);
    desk.key(KeyCode::F(4));
    assert!(desk.screen(120, 40).contains("待出件 0 件"), "{}", desk.screen(120, 40));
}

#[test]
fn a_case_sent_back_for_correction_reopens_prints_its_one_time_notice_and_goes_back() {
    use yichuang::intake::approval::ApprovalDecision;
    use yichuang::protocol::{FeedBody, FeedItem};
    let mut desk = Desk::new(small_kb(), monday_morning());
    let number = intake(&mut desk, "张三", "11111", false);
    let id = desk.effects.store.find(&number).unwrap().unwrap();
    let at = monday_morning() + Duration::hours(25);
    let decision = ApprovalDecision::RequestCorrection {
        materials: vec!["公司章程".into()],
        note: "章程第十条出资日期与申请书不一致".into(),
    };
    let body = FeedBody::Decision {
        case_id: id.clone(),
        number: Some(number.clone()),
        decision,
        by: "HRBDL/市场监管".into(),
        at,
    };
    desk.effects.store.apply_pulled(&[FeedItem { seq: 1, at, body }], 1, at).unwrap();
    desk.key(KeyCode::F(3));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("后台：退回补正"), "{screen}");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("按 p 打印") && screen.contains("退回补正・待补正"), "{screen}");
    assert!(screen.contains("待申请人补正下列材料"), "the case reopened: {screen}");
    desk.key(KeyCode::Char('p'));
    let pdf = desk.dir.path().join("notices").join(format!("{number}-correction.pdf"));
    let out = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext");
    let text: String = String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        text.contains("一次性告知书") && text.contains("公司章程") && text.contains("出资日期与申请书不一致"),
        "{text}"
    );
    // The applicant brings the corrected articles: the case goes back to the back office.
    desk.key(KeyCode::Char('s'));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("退回补正收件") && screen.contains("公司章程"), "{screen}");
    // First visit: the articles still lack a shareholder's signature — received, but not complete.
    desk.key(KeyCode::Char('2'));
    desk.key(KeyCode::Enter);
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::CorrectionRequested);
    // The corrected articles: complete, the case goes back to the back office.
    desk.key(KeyCode::Char('s'));
    desk.key(KeyCode::Char('1'));
    desk.key(KeyCode::Enter);
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::Accepted);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("B2") && screen.contains("公司章程 合格"), "{screen}");
    let pdf = desk.dir.path().join("notices").join(format!("{number}-B2-receipt.pdf"));
    let out = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext");
    let text: String = String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains("材料接收凭证（退回补正）") && text.contains("重新提交审批"), "{text}");
    // Undone: the correction is open again.
    desk.key(KeyCode::Char('u'));
    assert_eq!(desk.effects.store.load(&id).unwrap().status, Status::CorrectionRequested);
}

#[test]
fn a_published_kb_switches_in_only_between_intakes() {
    use yichuang::protocol::{FeedBody, FeedItem, KbFileBody};
    use yichuang::tui::app::Msg;
    let mut desk = Desk::new(small_kb(), monday_morning());
    // Sync has announced and downloaded version 2026.12.1.
    let source = yichuang::kb::KbSource::from_dir(std::path::Path::new("tests/fixtures/kb-small")).unwrap();
    let files: Vec<KbFileBody> = source
        .files
        .iter()
        .map(|f| KbFileBody { path: f.path.clone(), text: f.text.replace("2026.11.1", "2026.12.1") })
        .collect();
    let announce = FeedItem {
        seq: 1,
        at: monday_morning(),
        body: FeedBody::KbVersion { version: "2026.12.1".into(), hash: "h1".into() },
    };
    desk.effects.store.apply_pulled(&[announce], 1, monday_morning()).unwrap();
    desk.effects
        .store
        .save_kb_files("h1", &serde_json::to_string(&files).unwrap(), monday_morning())
        .unwrap();
    let ready =
        yichuang::sync::SyncStatus { online: true, kb_ready: Some("2026.12.1".into()), ..Default::default() };
    // Mid-intake: no switch.
    desk.type_text("A1");
    desk.send(Msg::Sync(ready.clone()));
    assert!(desk.screen(120, 40).contains("知识库 2026.11.1"), "{}", desk.screen(120, 40));
    // Between applicants: the desk switches and says so.
    let mut fresh = Desk::new(small_kb(), monday_morning());
    fresh.effects = desk.effects;
    fresh.send(Msg::Sync(ready));
    let screen = fresh.screen(120, 40);
    assert!(screen.contains("已切换到知识库 2026.12.1"), "{screen}");
    assert!(fresh.effects.store.latest_kb().unwrap().unwrap().active_at.is_some());
}

/// Makes `name` a supervisor whose PIN the desk checks offline (as HQ's credential would).
fn supervisor_at_desk(name: &str, pin: &str) {
    use yichuang::store::clerks::{ClerkRole, Credential, hash_pin, set_desk_credentials};
    set_desk_credentials(vec![Credential {
        name: name.into(),
        verifier: hash_pin(pin).unwrap(),
        set_at: "2026-12-03T09:00:00+00:00".into(),
        source: "hq".into(),
        role: ClerkRole::Supervisor,
        revoked: false,
        seal: None,
    }]);
}
