//! The approver's console on screen: panes at 120x40 and 80x24, taking and answering a call,
//! canned answers, and the three decisions.

mod desk_support;

use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use yichuang::console::app::{Console, ConsoleMsg};
use yichuang::console::model::{CallItem, ConsoleCmd, ExceptionItem, QueueCase};
use yichuang::intake::approval::ApprovalDecision;
use yichuang::intake::call::{CallSnapshot, CallState, MaterialLine};

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    yichuang::time::from_hall_local(
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap().and_hms_opt(h, m, s).unwrap(),
    )
}

fn materials() -> Vec<MaterialLine> {
    vec![
        MaterialLine {
            name: "公司登记（备案）申请书".into(), state: "合格".into(), defect: None
        },
        MaterialLine {
            name: "公司章程".into(), state: "有缺陷".into(), defect: Some("股东漏签".into())
        },
        MaterialLine {
            name: "住所（经营场所）使用证明".into(), state: "缺少".into(), defect: None
        },
    ]
}

fn call(id: &str, owner: Option<&str>) -> CallItem {
    CallItem {
        id: id.into(),
        case_id: format!("case-{id}"),
        window: "HRBDL-05".into(),
        question: "章程股东漏签，能否容缺？".into(),
        snapshot: CallSnapshot {
            item_code: "00013112700401".into(),
            item_name: "有限责任公司设立登记".into(),
            department: "市场监管".into(),
            applicant: "张*".into(),
            materials: materials(),
            situations: vec![],
        },
        state: if owner.is_some() { CallState::Answered } else { CallState::Ringing },
        raised_at: at(9, 0, 0),
        owner: owner.map(String::from),
        replies: vec![],
    }
}

fn console() -> Console {
    let mut c = Console::new("刘审批", "市场监管", at(9, 1, 5));
    c.update(ConsoleMsg::Online(true));
    c.update(ConsoleMsg::Calls(vec![call("c1", None), call("c2", Some("刘审批"))]));
    c.update(ConsoleMsg::Queue(vec![QueueCase {
        case_id: "case-9".into(),
        number: "HRBDL-05-20261130-0003".into(),
        item_name: "有限责任公司设立登记".into(),
        applicant: "李*".into(),
        intake_decision: "受理".into(),
        accepted_at: at(8, 40, 0),
        materials: materials(),
        checkpoints: vec![("公司章程".into(), vec!["全体股东签字或盖章".into()])],
        notes: vec![],
        legal_basis: vec!["《中华人民共和国公司法》第二十九条".into()],
        bundle: None,
        waiting_for: vec![],
    }]));
    c
}

fn key(c: &mut Console, code: KeyCode) -> Vec<ConsoleCmd> {
    c.update(ConsoleMsg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(c: &mut Console, text: &str) {
    for ch in text.chars() {
        key(c, KeyCode::Char(ch));
    }
}

fn screen(c: &Console, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| c.view(f)).unwrap();
    desk_support::buffer_text(terminal.backend().buffer())
}

#[test]
fn panes_show_ringing_calls_with_waiting_time() {
    let c = console();
    let wide = screen(&c, 120, 40);
    assert!(wide.contains("01:05 HRBDL-05 有限责任公司设立登记"), "{wide}");
    insta::assert_snapshot!("console_120x40", wide);
    insta::assert_snapshot!("console_80x24", screen(&c, 80, 24));
    for (w, h) in [(20, 8), (10, 3), (200, 8)] {
        screen(&c, w, h);
    }
}

#[test]
fn an_escalated_call_nobody_took_still_rings_and_can_be_taken() {
    let mut c = console();
    let mut escalated = call("c3", None);
    escalated.state = CallState::Escalated;
    c.update(ConsoleMsg::Calls(vec![escalated]));
    assert!(screen(&c, 120, 40).contains("HRBDL-05 有限责任公司设立登记"), "{}", screen(&c, 120, 40));
    assert_eq!(key(&mut c, KeyCode::Enter), vec![ConsoleCmd::Take { call_id: "c3".into() }]);
}

#[test]
fn take_answer_and_resolve_a_call() {
    let mut c = console();
    assert_eq!(key(&mut c, KeyCode::Enter), vec![ConsoleCmd::Take { call_id: "c1".into() }]);
    key(&mut c, KeyCode::Tab);
    assert_eq!(
        key(&mut c, KeyCode::Char('2')),
        vec![ConsoleCmd::Answer {
            call_id: "c2".into(),
            text: "符合容缺条件，请与申请人签署容缺受理承诺书后受理。".into()
        }]
    );
    key(&mut c, KeyCode::Enter);
    type_text(&mut c, "章程须补签");
    insta::assert_snapshot!("console_answer_80x24", screen(&c, 80, 24));
    insta::assert_snapshot!("console_answer_120x40", screen(&c, 120, 40));
    assert_eq!(
        key(&mut c, KeyCode::Enter),
        vec![ConsoleCmd::Answer { call_id: "c2".into(), text: "章程须补签".into() }]
    );
    assert_eq!(key(&mut c, KeyCode::Char('r')), vec![ConsoleCmd::Resolve { call_id: "c2".into() }]);
}

/// The calls as HQ lists them once `id` is taken by `owner`.
fn taken(id: &str, owner: &str) -> Vec<CallItem> {
    let mut c1 = call("c1", None);
    let c2 = call("c2", Some("刘审批"));
    if id == "c1" {
        c1.owner = Some(owner.into());
        c1.state = CallState::Answered;
    }
    vec![c2, c1]
}

#[test]
fn a_taken_call_is_selected_with_the_answer_open() {
    let mut c = console();
    assert_eq!(key(&mut c, KeyCode::Enter), vec![ConsoleCmd::Take { call_id: "c1".into() }]);
    c.update(ConsoleMsg::Done("已接听：呼叫已移到「我的呼叫」，可直接输入答复".into()));
    // A list from before the take changes nothing yet.
    c.update(ConsoleMsg::Calls(vec![call("c1", None), call("c2", Some("刘审批"))]));
    // HQ's list after the take: c1 is mine, listed after c2.
    c.update(ConsoleMsg::Calls(taken("c1", "刘审批")));
    type_text(&mut c, "可以容缺受理");
    let shown = screen(&c, 120, 40);
    assert!(shown.contains("答复（Enter 发送") && shown.contains("可以容缺受理"), "{shown}");
    insta::assert_snapshot!("console_taken_120x40", shown);
    // A refresh while typing (the calls reordered) does not move the answer to another call.
    let mut reordered = taken("c1", "刘审批");
    reordered.reverse();
    c.update(ConsoleMsg::Calls(reordered));
    assert_eq!(
        key(&mut c, KeyCode::Enter),
        vec![ConsoleCmd::Answer { call_id: "c1".into(), text: "可以容缺受理".into() }]
    );
    // The selection stayed on the taken call: `r` resolves it.
    assert_eq!(key(&mut c, KeyCode::Char('r')), vec![ConsoleCmd::Resolve { call_id: "c1".into() }]);
}

#[test]
fn a_call_another_approver_took_first_is_said_so_and_not_followed() {
    let mut c = console();
    key(&mut c, KeyCode::Enter);
    c.update(ConsoleMsg::Calls(taken("c1", "赵审批")));
    let shown = screen(&c, 80, 24);
    assert!(shown.contains("该呼叫已由 赵审批 接听"), "{shown}");
    // No answer box opened: digits are not sent anywhere from the ringing pane.
    assert_eq!(key(&mut c, KeyCode::Char('2')), vec![]);
    assert!(!screen(&c, 80, 24).contains("答复（Enter 发送"));
}

#[test]
fn an_answer_whose_call_left_my_list_is_closed_not_sent_elsewhere() {
    let mut c = console();
    key(&mut c, KeyCode::Tab);
    key(&mut c, KeyCode::Enter);
    type_text(&mut c, "稍等");
    // c2 was resolved at another console; a new call of mine arrived.
    let mut other = call("c4", Some("刘审批"));
    other.question = "另一个问题".into();
    c.update(ConsoleMsg::Calls(vec![call("c1", None), other]));
    let shown = screen(&c, 120, 40);
    assert!(shown.contains("答复未发送") && !shown.contains("答复（Enter 发送"), "{shown}");
    assert_eq!(key(&mut c, KeyCode::Enter), vec![]);
}

#[test]
fn decide_approve_refuse_and_request_correction() {
    let mut c = console();
    key(&mut c, KeyCode::Tab);
    key(&mut c, KeyCode::Tab);
    key(&mut c, KeyCode::Enter);
    let case_id = "case-9".to_string();
    assert_eq!(
        key(&mut c, KeyCode::Char('1')),
        vec![ConsoleCmd::Decide { case_id: case_id.clone(), decision: ApprovalDecision::Approve }]
    );
    key(&mut c, KeyCode::Enter);
    key(&mut c, KeyCode::Char('2'));
    key(&mut c, KeyCode::Enter);
    key(&mut c, KeyCode::Enter);
    assert!(screen(&c, 120, 40).contains("请写明不予许可的理由"), "reason required");
    key(&mut c, KeyCode::Up);
    type_text(&mut c, "股东人数超过五十人");
    key(&mut c, KeyCode::Enter);
    let cmds = key(&mut c, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![ConsoleCmd::Decide {
            case_id: case_id.clone(),
            decision: ApprovalDecision::Refuse {
                reason: "股东人数超过五十人".into(),
                basis: "《中华人民共和国公司法》第二十九条".into()
            }
        }]
    );
    key(&mut c, KeyCode::Enter);
    key(&mut c, KeyCode::Char('3'));
    assert!(key(&mut c, KeyCode::Enter).is_empty(), "no material chosen");
    key(&mut c, KeyCode::Down);
    key(&mut c, KeyCode::Char(' '));
    insta::assert_snapshot!("console_correct_120x40", screen(&c, 120, 40));
    insta::assert_snapshot!("console_correct_80x24", screen(&c, 80, 24));
    assert_eq!(
        key(&mut c, KeyCode::Enter),
        vec![ConsoleCmd::Decide {
            case_id,
            decision: ApprovalDecision::RequestCorrection {
                materials: vec!["公司章程".into()],
                note: "请按一次性告知书补正所列材料".into()
            }
        }]
    );
}

#[test]
fn a_bundle_item_waiting_for_its_predecessor_says_why() {
    let mut c = Console::new("赵审批", "税务", at(9, 1, 5));
    c.update(ConsoleMsg::Online(true));
    c.update(ConsoleMsg::Queue(vec![QueueCase {
        case_id: "case-10".into(),
        number: "HRBDL-05-20261130-0004".into(),
        item_name: "新办纳税人“套餐式”服务（涉税信息确认）".into(),
        applicant: "哈尔滨示例科技有限公司（拟设立）".into(),
        intake_decision: "受理".into(),
        accepted_at: at(8, 40, 0),
        materials: materials(),
        checkpoints: vec![],
        notes: vec![],
        legal_basis: vec![],
        bundle: Some("企业开办（HRBDL-05-20261130-0003）第 2 项".into()),
        waiting_for: vec!["待 有限责任公司设立登记（HRBDL-05-20261130-0003）作出决定".into()],
    }]));
    key(&mut c, KeyCode::Tab);
    key(&mut c, KeyCode::Tab);
    let text = screen(&c, 160, 40);
    assert!(text.contains("[待前序] HRBDL-05-20261130-0004"), "{text}");
    assert!(text.contains("一件事：企业开办（HRBDL-05-20261130-0003）第 2 项"), "{text}");
    assert!(text.contains("暂不能决定：待 有限责任公司设立登记（HRBDL-05-20261130-0003）作出决定"), "{text}");
}

/// The center's exceptions as HQ serves them to a supervisor: newest first, one of yesterday.
fn exceptions() -> Vec<ExceptionItem> {
    let item =
        |kind: &str, label: &str, number: &str, value: &str, clerk: &str, at: DateTime<Utc>| ExceptionItem {
            case_id: format!("case-{number}"),
            number: Some(number.into()),
            item_name: "有限责任公司设立登记".into(),
            kind: kind.into(),
            label: label.into(),
            value: value.into(),
            window: "HRBDL-05".into(),
            clerk: Some(clerk.into()),
            supervisor: "赵敏".into(),
            at,
        };
    vec![
        item(
            "refusal",
            "不予受理",
            "HRBDL-05-20261130-0007",
            "不符合条件：申请人未满十八周岁｜依据：《中华人民共和国行政许可法》第三十二条",
            "王芳",
            at(8, 55, 0),
        ),
        item(
            "termination",
            "终止案件",
            "HRBDL-05-20261120-0002",
            "HRBDL-05-20261120-0002｜终止受理",
            "李强",
            at(8, 30, 0),
        ),
        item(
            "credit_code_warning",
            "统一社会信用代码校验码不符",
            "HRBDL-06-20261129-0011",
            "91350100M000100Y44",
            "王芳",
            at(8, 0, 0) - chrono::Duration::days(1),
        ),
    ]
}

#[test]
fn a_supervisor_sees_the_centers_exceptions_with_who_asked_and_who_approved() {
    let mut c = console().supervising();
    c.update(ConsoleMsg::Exceptions(exceptions()));
    // Under the approver's three lists, one line counts them; an approver's console has none.
    let lists = screen(&c, 120, 40);
    assert!(lists.contains("例外审批：今天 2 项，近 7 天 3 项（Tab 查看）"), "{lists}");
    assert!(!screen(&console(), 120, 40).contains("例外审批"));
    for _ in 0..3 {
        key(&mut c, KeyCode::Tab);
    }
    let wide = screen(&c, 120, 40);
    assert!(wide.contains("今天 08:55 不予受理 HRBDL-05-20261130-0007 王芳→赵敏"), "{wide}");
    assert!(wide.contains("11-29 08:00 统一社会信用代码校验码不符"), "{wide}");
    assert!(wide.contains("审批主管 赵敏 | 2026-11-30 08:55"), "{wide}");
    insta::assert_snapshot!("console_exceptions_120x40", wide);
    let narrow = screen(&c, 80, 24);
    assert!(narrow.contains("今天 08:55 不予受理 HRBDL-05-20261130-0007 王芳→赵敏"), "{narrow}");
    insta::assert_snapshot!("console_exceptions_80x24", narrow);
    // A fresh list keeps the selection on the exception it was on; Enter decides nothing here.
    key(&mut c, KeyCode::Down);
    let mut newer = exceptions();
    newer.insert(0, ExceptionItem { case_id: "case-new".into(), at: at(9, 0, 0), ..newer[0].clone() });
    c.update(ConsoleMsg::Exceptions(newer));
    let kept = screen(&c, 120, 40);
    assert!(
        kept.contains("> 今天 08:30 终止案件") && kept.contains(" 终止案件 HRBDL-05-20261120-0002"),
        "{kept}"
    );
    assert!(key(&mut c, KeyCode::Enter).is_empty());
    key(&mut c, KeyCode::Tab);
    assert!(screen(&c, 120, 40).contains(" 振铃 1 "), "Tab goes round to the ringing calls");
}
