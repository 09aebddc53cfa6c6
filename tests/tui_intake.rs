//! The intake flow on screen: every step at 120x40 and 80x24, the keystroke budget of a standard
//! intake, validators at the field, going back without losing anything, and resuming after a crash.

mod desk_support;

use crossterm::event::KeyCode;
use desk_support::{Desk, monday_morning, small_kb};
use yichuang::intake::case::{Field, Step};
use yichuang::intake::rules::MaterialState;
use yichuang::kb::Kb;
use yichuang::store::clerks::ClerkRole;

use std::path::Path;
use std::sync::Arc;

/// A valid resident ID (GB 11643 check digit X) and mobile number.
const ID: &str = "11010519491231002X";
const PHONE: &str = "13800138000";

fn snap(desk: &Desk, name: &str) {
    // The store lives in a fresh temporary directory, shown where notices are saved.
    insta::with_settings!({filters => vec![(r"/tmp/\.tmp\w+", "[TMP]")]}, {
        insta::assert_snapshot!(format!("{name}_120x40"), desk.screen(120, 40));
        insta::assert_snapshot!(format!("{name}_80x24"), desk.screen(80, 24));
    });
}

fn step(desk: &Desk) -> Step {
    desk.app.intake().expect("intake").step()
}

fn keystrokes(desk: &Desk) -> u32 {
    desk.app.intake().expect("intake").keystrokes
}

#[test]
fn standard_intake_screens_and_keystroke_budget() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    snap(&desk, "intake_ticket");
    let mut typed = 0;
    desk.type_text("A005");
    typed += 4;
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Item);
    desk.type_text("公司");
    typed += 2;
    snap(&desk, "intake_item");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Checklist);
    snap(&desk, "intake_checklist");
    let screen = desk.screen(120, 40);
    assert!(screen.contains("[未答]") && screen.contains("待回答情形"), "{screen}");
    // One key answers 否 to both situations (no agent, no prior approval).
    desk.key(KeyCode::Char('f'));
    for _ in 0..5 {
        desk.key(KeyCode::Char('1'));
    }
    snap(&desk, "intake_checklist_done");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Applicant);
    for (text, _) in [("张三", Field::ApplicantName), (ID, Field::IdNumber), (PHONE, Field::Phone)] {
        desk.type_text(text);
        typed += text.chars().count() as u32;
        desk.key(KeyCode::Enter);
    }
    assert_eq!(step(&desk), Step::Delivery, "{}", desk.screen(120, 40));
    snap(&desk, "intake_delivery");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Rating);
    snap(&desk, "intake_rating");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Done);
    snap(&desk, "intake_done");
    let budget = keystrokes(&desk) - typed;
    println!("keystrokes beyond typed data and search text: {budget}");
    assert!(budget <= 15, "standard intake took {budget} keystrokes beyond typing");
    let case = desk.app.intake().unwrap().case.clone();
    assert_eq!(case.number.as_deref(), Some("HRBDL-05-20261130-0001"));
    assert_eq!(case.field(Field::ApplicantName), "张三");
}

/// Ticket, item and checklist up to the point where the materials are marked.
fn to_checklist(desk: &mut Desk) {
    desk.type_text("A006");
    desk.key(KeyCode::Enter);
    desk.paste("公司");
    desk.key(KeyCode::Enter);
    assert_eq!(step(desk), Step::Checklist);
    // Neither an agent nor a prior approval: `f` answers both situations 否.
    desk.key(KeyCode::Char('f'));
}

fn applicant(desk: &mut Desk) {
    for text in ["李四", ID, PHONE] {
        desk.type_text(text);
        desk.key(KeyCode::Enter);
    }
}

#[test]
fn lenient_intake_needs_the_applicants_agreement() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    for key in ['1', '1', '1', '1', '3'] {
        desk.key(KeyCode::Char(key));
    }
    let screen = desk.screen(120, 40);
    assert!(screen.contains("当前决定： 一次性告知"), "{screen}");
    assert!(screen.contains("所缺材料均可容缺"), "{screen}");
    desk.key(KeyCode::Char('y'));
    snap(&desk, "intake_lenient_agreed");
    desk.key(KeyCode::Enter);
    applicant(&mut desk);
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('4'));
    desk.key(KeyCode::Enter);
    let intake = desk.app.intake().unwrap();
    assert_eq!(intake.step(), Step::Done);
    assert_eq!(intake.case.pending_supplements().len(), 1);
    snap(&desk, "intake_done_lenient");
}

/// A 容缺 of a material the KB lets follow only under a condition: the supervisor confirms it
/// before the intake goes on (the same prompt as every exception, `src/tui/approval.rs`).
#[test]
fn a_conditional_lenient_material_needs_a_supervisor_to_confirm_its_condition() {
    let mut kb = (*small_kb()).clone();
    let item = kb.items.iter_mut().find(|i| i.code == "00013112700401").unwrap();
    let premises = item.materials.iter_mut().find(|m| m.id == "premises").unwrap();
    premises.lenient_condition = Some("已提交住所信息申报承诺书".into());
    let mut desk = Desk::new(std::sync::Arc::new(kb), monday_morning());
    to_checklist(&mut desk);
    for key in ['1', '1', '1', '1', '3'] {
        desk.key(KeyCode::Char(key));
    }
    desk.key(KeyCode::Char('y'));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("当前决定： 容缺受理") && screen.contains("附条件容缺须经主管审批"), "{screen}");
    assert!(screen.contains("附条件可容缺"), "the row says the 容缺 is conditional: {screen}");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("主管授权") && screen.contains("已提交住所信息申报承诺书"), "{screen}");
    assert_eq!(step(&desk), Step::Checklist);
    // A clerk who is not a supervisor is refused; the supervisor's PIN moves the intake on.
    yichuang::store::clerks::set_desk_credentials(vec![
        credential("李强", "112233", ClerkRole::Clerk),
        credential("赵敏", "556677", ClerkRole::Supervisor),
    ]);
    for (name, pin) in [("李强", "112233"), ("赵敏", "556677")] {
        desk.type_text(name);
        desk.key(KeyCode::Tab);
        desk.type_text(pin);
        desk.key(KeyCode::Enter);
    }
    assert_eq!(step(&desk), Step::Applicant);
    let case = &desk.app.intake().unwrap().case;
    assert_eq!(case.approvals.len(), 1);
    assert_eq!(case.approvals[0].supervisor, "赵敏");
    assert_eq!(case.approvals[0].value, "住所（经营场所）使用证明（已提交住所信息申报承诺书）");
}

fn credential(name: &str, pin: &str, role: ClerkRole) -> yichuang::store::clerks::Credential {
    yichuang::store::clerks::Credential {
        name: name.into(),
        verifier: yichuang::store::clerks::hash_pin(pin).unwrap(),
        set_at: "2026-12-03T09:00:00+00:00".into(),
        source: "hq".into(),
        role,
        revoked: false,
        seal: None,
    }
}

#[test]
fn deficiency_notice_skips_delivery_and_a_defect_is_picked_from_the_kb() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    desk.key(KeyCode::Char('2'));
    snap(&desk, "intake_defect_picker");
    desk.key(KeyCode::Enter);
    for key in ['1', '1', '1', '1'] {
        desk.key(KeyCode::Char(key));
    }
    let screen = desk.screen(120, 40);
    assert!(screen.contains("法定代表人未签字"), "{screen}");
    assert!(screen.contains("当前决定： 一次性告知"), "{screen}");
    desk.key(KeyCode::Enter);
    applicant(&mut desk);
    assert_eq!(step(&desk), Step::Rating, "no delivery when nothing will be issued");
    // The clerk invites a rating but cannot make one: digits choose nothing here.
    let screen = desk.screen(120, 40);
    assert!(screen.contains("不代评") && !screen.contains("非常满意"), "{screen}");
    desk.key(KeyCode::Char('2'));
    assert_eq!(step(&desk), Step::Rating);
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Done);
    assert_eq!(desk.app.intake().expect("intake").case.rating, None, "no rating keyed by the clerk");
}

#[test]
fn mail_delivery_asks_for_recipient_phone_and_address() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    for _ in 0..5 {
        desk.key(KeyCode::Char('1'));
    }
    desk.key(KeyCode::Enter);
    applicant(&mut desk);
    assert_eq!(step(&desk), Step::Delivery);
    desk.key(KeyCode::Char('2'));
    snap(&desk, "intake_delivery_mail");
    let screen = desk.screen(120, 40);
    assert!(screen.contains("收件人") && screen.contains("地址"), "{screen}");
}

#[test]
fn a_pasted_defect_is_the_defect_recorded() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    desk.key(KeyCode::Char('2'));
    desk.paste("申请书日期涂改");
    desk.key(KeyCode::Enter);
    let case = &desk.app.intake().expect("intake").case;
    let defects: Vec<_> = case
        .materials
        .values()
        .filter_map(|s| match s {
            MaterialState::Defect { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(defects, ["申请书日期涂改"]);
}

#[test]
fn a_defect_or_a_refusal_reason_is_journaled_as_typed_and_esc_puts_things_back() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    let stored = |desk: &mut Desk| {
        let id = desk.app.intake().unwrap().case_id.clone().expect("case id");
        desk.effects.store.load(&id).unwrap()
    };
    desk.key(KeyCode::Char('2'));
    for _ in 0..10 {
        desk.key(KeyCode::Down);
    }
    desk.type_text("日期涂改");
    // Not yet confirmed, already in the store: a crash now loses nothing typed.
    let first = stored(&mut desk).materials.values().next().cloned();
    assert_eq!(first, Some(MaterialState::Defect { text: "日期涂改".into() }));
    desk.key(KeyCode::Esc);
    assert!(stored(&mut desk).materials.is_empty(), "cancelled: the material is unmarked again");

    desk.key(KeyCode::Char('n'));
    desk.type_text("不属于本中心受理范围");
    assert_eq!(stored(&mut desk).field(Field::IneligibleReason), "不属于本中心受理范围");
    desk.key(KeyCode::Esc);
    assert_eq!(stored(&mut desk).field(Field::IneligibleReason), "");
}

/// Every material acceptable, the applicant's name typed: the cursor on the ID number.
fn to_id_number(desk: &mut Desk) {
    to_checklist(desk);
    for _ in 0..5 {
        desk.key(KeyCode::Char('1'));
    }
    desk.key(KeyCode::Enter);
    desk.type_text("王五");
    desk.key(KeyCode::Enter);
}

#[test]
fn invalid_id_shows_which_check_digit_at_the_field_and_keeps_the_text() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_id_number(&mut desk);
    desk.type_text("110105194912310021");
    desk.key(KeyCode::Enter);
    desk.type_text("12345");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Applicant, "cannot continue with invalid data");
    snap(&desk, "intake_applicant_errors");
    let screen = desk.screen(120, 40);
    assert!(screen.contains("第 18 位校验码应为 X，实际为 1"), "{screen}");
    assert!(screen.contains("110105194912310021"), "typed text stays: {screen}");
    assert!(screen.contains("手机号码应为 1 开头的 11 位数字"), "{screen}");
}

#[test]
fn going_back_to_any_step_loses_nothing() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    for _ in 0..5 {
        desk.key(KeyCode::Char('1'));
    }
    desk.key(KeyCode::Enter);
    applicant(&mut desk);
    assert_eq!(step(&desk), Step::Delivery);
    for _ in 0..3 {
        desk.key(KeyCode::Esc);
    }
    assert_eq!(step(&desk), Step::Item);
    desk.key(KeyCode::Esc);
    assert_eq!(step(&desk), Step::Ticket);
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("当前决定： 受理"), "marks kept: {screen}");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("李四") && screen.contains(ID) && screen.contains(PHONE), "{screen}");
}

#[test]
fn agent_situation_adds_the_authorisation_and_agent_fields() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    desk.key(KeyCode::Up);
    desk.key(KeyCode::Up);
    desk.key(KeyCode::Char(' '));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("[是]   委托代理人办理") && screen.contains("授权委托书"), "{screen}");
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Down);
    for _ in 0..6 {
        desk.key(KeyCode::Char('1'));
    }
    desk.key(KeyCode::Enter);
    snap(&desk, "intake_applicant_agent");
    assert!(desk.screen(120, 40).contains("代理人身份证号"));
}

#[test]
fn an_unanswered_situation_blocks_acceptance_until_answered() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    desk.type_text("A007");
    desk.key(KeyCode::Enter);
    desk.paste("公司");
    desk.key(KeyCode::Enter);
    // Straight to the materials, leaving both situations unanswered.
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Down);
    for _ in 0..5 {
        desk.key(KeyCode::Char('1'));
    }
    let screen = desk.screen(120, 40);
    assert!(screen.contains("当前决定： 待回答情形"), "every material is fine, yet no decision: {screen}");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Checklist, "Enter refused while a situation is unanswered");
    snap(&desk, "intake_checklist_unanswered");
    // Space answers the selected one 是 (an agent came): the authorisation appears and is missing.
    desk.key(KeyCode::Char(' '));
    desk.key(KeyCode::Char('f'));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("[是]   委托代理人办理") && screen.contains("当前决定： 一次性告知"), "{screen}");
    // Taking the answer back (0) makes it 未答 again.
    for _ in 0..10 {
        desk.key(KeyCode::Up);
    }
    desk.key(KeyCode::Char('0'));
    assert!(desk.screen(120, 40).contains("[未答] 委托代理人办理"));
    desk.key(KeyCode::Char(' '));
    desk.key(KeyCode::Char(' '));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("[否]   委托代理人办理") && screen.contains("当前决定： 受理"), "{screen}");
}

#[test]
fn the_desk_reopens_on_an_unfinished_case_with_everything_typed() {
    let kb = small_kb();
    let mut desk = Desk::new(kb.clone(), monday_morning());
    to_checklist(&mut desk);
    desk.key(KeyCode::Char('1'));
    desk.key(KeyCode::Char('3'));
    desk.key(KeyCode::Char('1'));
    for _ in 0..2 {
        desk.key(KeyCode::Char('1'));
    }
    desk.key(KeyCode::Enter);
    desk.type_text("赵六");
    // The process dies here; a new desk opens the same store.
    let mut store =
        yichuang::store::Store::open(&desk.dir.path().join("desk.sqlite3"), yichuang::store::StoreKind::Desk)
            .unwrap();
    let draft = store.open_draft().unwrap().expect("draft kept");
    let case = store.load(&draft).unwrap();
    let mut app = yichuang::tui::app::App::new(kb, Some(desk_support::config()), monday_morning());
    app.resume(draft, case);
    let screen = desk_support::screen(&app, 120, 40);
    assert!(screen.contains("赵六"), "{screen}");
    assert_eq!(app.intake().unwrap().step(), Step::Applicant);
    assert_eq!(app.intake().unwrap().case.materials.len(), 5);
}

#[test]
fn no_panic_at_tiny_sizes_or_on_resize_mid_flow() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    let sizes = [(20, 5), (1, 1), (19, 4), (30, 6), (200, 3), (3, 100), (45, 8)];
    let check = |desk: &mut Desk| {
        for (w, h) in sizes {
            desk.screen(w, h);
            desk.send(yichuang::tui::app::Msg::Resize);
        }
    };
    check(&mut desk);
    to_checklist(&mut desk);
    check(&mut desk);
    desk.key(KeyCode::Char('2'));
    check(&mut desk);
    desk.key(KeyCode::Esc);
    for _ in 0..5 {
        desk.key(KeyCode::Char('1'));
    }
    desk.key(KeyCode::Enter);
    check(&mut desk);
    applicant(&mut desk);
    check(&mut desk);
    desk.key(KeyCode::Char('2'));
    check(&mut desk);
    desk.key(KeyCode::F(1));
    check(&mut desk);
}

#[test]
fn one_key_call_waits_offline_and_shows_the_reply_at_once() {
    use yichuang::intake::call::{CallState, Reply};
    use yichuang::intake::case::CaseEvent;
    use yichuang::tui::app::Msg;
    let mut desk = Desk::new(small_kb(), monday_morning());
    desk.key(KeyCode::F(6));
    assert!(desk.screen(120, 40).contains("请先在受理页面选定事项"));
    to_checklist(&mut desk);
    desk.key(KeyCode::Char('2'));
    desk.key(KeyCode::Esc);
    desk.key(KeyCode::F(6));
    desk.type_text("章程未签字能否容缺？");
    snap(&desk, "intake_call_prompt");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("呼叫待发送（离线，联网后送达）"), "{screen}");
    assert_eq!(desk.effects.store.outbox_count().unwrap(), 1, "the call waits in the outbox");
    let intake = desk.app.intake().unwrap();
    let case_id = intake.case_id.clone().unwrap();
    let call = intake.case.calls[0].clone();
    // 7 materials, of which the two conditional ones do not apply (both situations answered 否):
    // the approver sees the 5 that do, none of them waiting on a situation.
    assert_eq!(call.snapshot.materials.len(), 5, "{:?}", call.snapshot.materials);
    assert!(call.snapshot.materials.iter().all(|m| m.state != "情形未答"));
    assert_eq!(call.snapshot.department, "市场监管");
    let at = monday_morning() + chrono::Duration::seconds(40);
    desk.at(at);
    let ringing = CaseEvent::CallStateChanged { call_id: call.id.clone(), state: CallState::Ringing, at };
    desk.send(Msg::Remote { case_id: case_id.clone(), event: ringing });
    assert!(desk.screen(120, 40).contains("呼叫振铃 00:40"), "{}", desk.screen(120, 40));
    let reply =
        Reply {
            by: "刘审批".into(), text: "章程须全体股东签字，不能容缺，请一次性告知。".into(), at
        };
    desk.send(Msg::Remote { case_id, event: CaseEvent::CallReplied { call_id: call.id, reply } });
    snap(&desk, "intake_call_reply");
    desk.key(KeyCode::Char('x'));
    let screen = desk.screen(120, 40);
    assert!(!screen.contains("后台答复") && screen.contains("呼叫已接听"), "{screen}");
}

#[test]
fn a_notice_of_deficiency_can_go_to_an_applicant_whose_id_fails_its_check() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    desk.type_text("11113");
    desk.key(KeyCode::Enter);
    desk.type_text("王五");
    desk.key(KeyCode::Enter);
    desk.type_text("110105194912310021");
    desk.key(KeyCode::Enter);
    desk.type_text(PHONE);
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Rating, "{}", desk.screen(120, 40));
}

#[test]
fn numbers_show_and_are_stored_in_their_normalised_form_and_a_first_generation_id_is_refused() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_id_number(&mut desk);
    // A first-generation number: refused with the reason, the text stays.
    desk.type_text("110105491231002");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("第一代身份证已于 2013 年 1 月 1 日停止使用"), "{screen}");
    desk.key(KeyCode::Up);
    desk.ctrl('u');
    // Pasted with a line break and a lower-case x: shown and stored normalised at once.
    desk.paste("１１０１０５１９４９１２３１００２x\r\n");
    let screen = desk.screen(120, 40);
    assert!(screen.contains(ID), "{screen}");
    assert_eq!(desk.app.intake().unwrap().case.field(Field::IdNumber), ID);
    desk.key(KeyCode::Enter);
    desk.type_text("+86 138-0013-8000");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Delivery, "{}", desk.screen(120, 40));
    let mut store =
        yichuang::store::Store::open(&desk.dir.path().join("desk.sqlite3"), yichuang::store::StoreKind::Desk)
            .unwrap();
    let id = desk.app.intake().unwrap().case_id.clone().unwrap();
    let journal: Vec<String> =
        store.events(&id).unwrap().iter().map(|(_, _, e)| serde_json::to_string(e).unwrap()).collect();
    assert!(
        journal.iter().all(|e| !e.contains("+86") && !e.contains("002x") && !e.contains('１')),
        "{journal:?}"
    );
    assert_eq!(store.load(&id).unwrap().field(Field::Phone), PHONE);
}

#[test]
fn an_organisation_may_give_a_landline_a_person_may_not() {
    use yichuang::intake::case::ApplicantKind;
    use yichuang::tui::intake::check_field;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let landline = "0451-86661234";
    assert!(check_field(Field::Phone, ApplicantKind::Organisation, landline, today, false).error.is_none());
    let person = check_field(Field::Phone, ApplicantKind::Person, landline, today, false);
    assert!(person.error.is_some_and(|e| e.contains("手机号码")));
}

/// A KB with the catalogue's items imported as drafts beside the reviewed company registration.
fn kb_with_drafts() -> (tempfile::TempDir, Arc<Kb>) {
    let dir = tempfile::tempdir().unwrap();
    for file in ["kb.toml", "calendar/2026.toml", "items/00013112700401.toml"] {
        let to = dir.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(Path::new("tests/fixtures/kb-small").join(file), to).unwrap();
    }
    let report = yichuang::kb::import::run(&yichuang::kb::import::Options {
        basic: "tests/fixtures/catalogue/basic.csv".into(),
        material: "tests/fixtures/catalogue/material.csv".into(),
        kb: dir.path().to_path_buf(),
        dry_run: false,
    });
    assert!(!report.has_errors(), "{:?}", report.messages);
    let kb = Arc::new(Kb::from_dir(dir.path()).expect("a KB with drafts loads"));
    (dir, kb)
}

#[test]
fn a_draft_is_listed_as_such_and_intake_on_it_is_refused_with_the_reason() {
    let (_dir, kb) = kb_with_drafts();
    assert_eq!(kb.items.iter().filter(|i| i.is_draft()).count(), 3);
    let mut desk = Desk::new(kb, monday_morning());
    desk.type_text("A007");
    desk.key(KeyCode::Enter);
    desk.type_text("个体工商户");
    let screen = desk.screen(120, 40);
    assert!(screen.contains("个体工商户设立登记  待审核"), "{screen}");
    assert!(screen.contains("待审核：从事项目录导入，未经审核，不能受理"), "{screen}");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Item, "a draft must not reach the checklist");
    let screen = desk.screen(120, 40);
    assert!(screen.contains("不能受理") && screen.contains("尚待审核的草稿"), "{screen}");
    // The reviewed item of the same KB is taken as before.
    for _ in 0.."个体工商户".chars().count() {
        desk.key(KeyCode::Backspace);
    }
    desk.type_text("公司");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Checklist);
}

#[test]
fn changing_the_item_after_marking_asks_first_and_keeps_the_marks_on_no() {
    let kb = std::sync::Arc::new(yichuang::kb::Kb::embedded().expect("embedded KB loads"));
    let mut desk = Desk::new(kb, monday_morning());
    desk.type_text("A007");
    desk.key(KeyCode::Enter);
    desk.type_text("00013112700401");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Checklist);
    desk.key(KeyCode::Char('f'));
    desk.key(KeyCode::Char('1'));
    desk.key(KeyCode::Char('1'));
    let marked = desk.app.intake().unwrap().case.materials.clone();
    assert_eq!(marked.len(), 2);
    // Back to the item search, another item: the desk asks before anything is dropped.
    desk.key(KeyCode::Esc);
    assert_eq!(step(&desk), Step::Item);
    desk.ctrl('u');
    desk.type_text("个体工商户设立登记");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("更换事项？") && screen.contains("已标记材料 2 项"), "{screen}");
    assert!(desk.screen(80, 24).contains("n/Esc 保留原事项和标记"), "{}", desk.screen(80, 24));
    // No: the item and every mark stay, and the clerk is back on its checklist.
    desk.key(KeyCode::Char('n'));
    let case = desk.app.intake().unwrap().case.clone();
    assert_eq!(step(&desk), Step::Checklist);
    assert_eq!(case.item_code.as_deref(), Some("00013112700401"));
    assert_eq!(case.materials, marked);
    // Yes: the new item, no marks.
    desk.key(KeyCode::Esc);
    desk.key(KeyCode::Enter);
    assert!(desk.screen(120, 40).contains("更换事项？"));
    desk.key(KeyCode::Char('y'));
    let case = desk.app.intake().unwrap().case.clone();
    assert_eq!(step(&desk), Step::Checklist);
    assert_eq!(case.item_code.as_deref(), Some("SCJG0002"));
    assert!(case.materials.is_empty() && case.answers.is_empty());
}

#[test]
fn the_id_line_names_the_household_registration_area_and_passing_an_empty_field_says_nothing() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    desk.type_text("11111");
    desk.key(KeyCode::Enter);
    desk.type_text("张三");
    desk.key(KeyCode::Enter);
    desk.type_text(ID);
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("户籍地 北京市朝阳区（110105）"), "{screen}");
    assert!(!screen.contains("籍贯"), "{screen}");
    // An organisation: stepping past the empty fields shows no 请填写 until the clerk tries to go on.
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    desk.type_text("11111");
    desk.key(KeyCode::Enter);
    desk.ctrl('t');
    desk.type_text("哈尔滨某某有限公司");
    for _ in 0..3 {
        desk.key(KeyCode::Enter);
    }
    let screen = desk.screen(120, 40);
    assert!(!screen.contains("请填写法定代表人") && !screen.contains("长度应为"), "{screen}");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert_eq!(step(&desk), Step::Applicant);
    assert!(screen.contains("请填写法定代表人"), "{screen}");
}

#[test]
fn a_company_being_set_up_applies_by_its_reserved_name_without_a_credit_code() {
    use yichuang::intake::case::ApplicantKind;
    let mut desk = Desk::new(small_kb(), monday_morning());
    to_checklist(&mut desk);
    desk.type_text("11111");
    desk.key(KeyCode::Enter);
    // Ctrl-T: person, organisation, then (a 设立 item) the organisation still to be registered.
    desk.ctrl('t');
    desk.ctrl('t');
    let screen = desk.screen(120, 40);
    assert!(screen.contains("拟设立单位") && screen.contains("经办人：法定代表人本人"), "{screen}");
    let asked = screen.lines().any(|l| l.trim_start_matches(['>', ' ']).starts_with("统一社会信用代码"));
    assert!(!asked, "no credit code is asked: {screen}");
    snap(&desk, "intake_applicant_proposed");
    for text in ["哈尔滨冰城示例科技有限公司", "王五", ID, "0451-86661234"] {
        desk.type_text(text);
        desk.key(KeyCode::Enter);
    }
    assert_eq!(step(&desk), Step::Delivery, "{}", desk.screen(120, 40));
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    let case = desk.app.intake().unwrap().case.clone();
    assert_eq!(case.applicant_kind, ApplicantKind::ProposedOrganisation);
    assert_eq!(case.field(Field::CreditCode), "");
    assert_eq!(case.field(Field::LegalRepresentative), "王五");
    let number = case.number.clone().expect("finished");
    let notice =
        std::fs::read_to_string(desk.dir.path().join("notices").join(format!("{number}-受理通知书.txt")))
            .or_else(|_| {
                let dir = desk.dir.path().join("notices");
                let any = std::fs::read_dir(&dir).unwrap().flatten().find(|e| {
                    e.file_name().to_string_lossy().starts_with(&number)
                        && e.file_name().to_string_lossy().ends_with(".txt")
                });
                std::fs::read_to_string(any.expect("a text notice").path())
            })
            .unwrap();
    assert!(notice.contains("申请人（拟设立）") && notice.contains("哈尔滨冰城示例科技有限公司"), "{notice}");
    assert!(notice.contains("法定代表人") && notice.contains("110105********002X"), "{notice}");
    // A person is asked for a mobile; the company's contact phone may be a landline.
    assert_eq!(case.field(Field::Phone), "045186661234");
}
