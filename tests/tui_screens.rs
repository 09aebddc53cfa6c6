//! The desk's screens at the two sizes a hall has (80x24 and 120x40): the checklist of a real item
//! with its situations, the case detail of an accepted case (decision, dates, materials as checked,
//! who submitted, history, notices, calls), the status bar's clock and live pending count, and the
//! footer that keeps `F1` and offers only keys that work.

mod desk_support;

use std::sync::Arc;

use chrono::Duration;
use crossterm::event::KeyCode;
use desk_support::{Desk, monday_morning, small_kb, standard_intake};
use yichuang::intake::approval::ApprovalDecision;
use yichuang::intake::call::Reply;
use yichuang::intake::case::CaseEvent;
use yichuang::kb::Kb;

const ID: &str = "11010519491231002X";
const AGENT_ID: &str = "230108198506123418";

fn snap(desk: &Desk, name: &str) {
    insta::assert_snapshot!(format!("{name}_120x40"), desk.screen(120, 40));
    insta::assert_snapshot!(format!("{name}_80x24"), desk.screen(80, 24));
}

/// The footer row and the status row of a screen's text (the last two rows before the cursor line).
fn bottom(screen: &str) -> (String, String) {
    let rows: Vec<&str> = screen.lines().collect();
    let footer = rows[rows.len() - 2].to_string();
    let status = rows[rows.len() - 3].to_string();
    (footer, status)
}

#[test]
fn the_checklist_of_a_real_item_keeps_situations_checkpoints_and_defects_at_80x24() {
    let kb = Arc::new(Kb::embedded().expect("embedded KB"));
    let version = kb.meta.version.clone();
    let mut desk = Desk::new(kb, monday_morning());
    desk.type_text("A001");
    desk.key(KeyCode::Enter);
    desk.type_text("00013112700401");
    desk.key(KeyCode::Enter);
    snap(&desk, "real_checklist_situations");
    let screen = desk.screen(80, 24);
    let (footer, status) = bottom(&screen);
    assert!(footer.contains("F1"), "the footer keeps F1: {footer}");
    assert!(status.contains(&format!("知识库 {version}")), "the status bar keeps the KB version: {status}");
    assert!(screen.contains("[未答]"), "the situations are on screen: {screen}");
}

#[test]
fn a_long_checklist_scrolls_and_says_so_at_80x24() {
    let kb = Arc::new(Kb::embedded().expect("embedded KB"));
    let mut desk = Desk::new(kb, monday_morning());
    desk.type_text("A002");
    desk.key(KeyCode::Enter);
    // 互联网上网服务营业场所经营许可: five situations (a group, an eligibility condition) and more
    // materials than 80x24 can list.
    desk.type_text("WL0002");
    desk.key(KeyCode::Enter);
    snap(&desk, "real_checklist_long");
    let screen = desk.screen(80, 24);
    assert!(screen.contains("v 下方还有"), "a sign says entries are below: {screen}");
    assert!(screen.contains("申请人不是企业"), "the first situation is on screen: {screen}");
    // Down the list: the situations scroll off the top, and the list says so.
    for _ in 0..12 {
        desk.key(KeyCode::Down);
    }
    let screen = desk.screen(80, 24);
    assert!(screen.contains("^ 上方还有"), "a sign says entries are above: {screen}");
    assert!(screen.contains("审查要点") && screen.contains("常见缺陷"), "checkpoints and defects: {screen}");
    snap(&desk, "real_checklist_long_material");
    // Every situation is reachable again with Up.
    for _ in 0..12 {
        desk.key(KeyCode::Up);
    }
    let screen = desk.screen(80, 24);
    assert!(!screen.contains("^ 上方还有") && screen.contains("> [未答] 申请人不是企业"), "{screen}");
}

/// An intake of the fixture item by an agent, with a call answered by the back office; returns the
/// case number.
fn agent_intake_with_a_call(desk: &mut Desk) -> String {
    desk.type_text("A008");
    desk.key(KeyCode::Enter);
    desk.paste("公司");
    desk.key(KeyCode::Enter);
    // 委托代理人办理: 是; the other situation 否; then the six materials (the authorisation too).
    desk.key(KeyCode::Char('f'));
    desk.key(KeyCode::Up);
    desk.key(KeyCode::Up);
    desk.key(KeyCode::Char(' '));
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Down);
    for _ in 0..6 {
        desk.key(KeyCode::Char('1'));
    }
    desk.key(KeyCode::F(6));
    desk.type_text("住所证明是否需要原件？");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    for text in ["李四", ID, "13800138000", "王五", AGENT_ID, "13900139000", "代为办理设立登记并领取执照"]
    {
        desk.type_text(text);
        desk.key(KeyCode::Enter);
    }
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    let intake = desk.app.intake().expect("intake");
    let number = intake.case.number.clone().unwrap_or_else(|| panic!("finished: {}", desk.screen(120, 40)));
    let case_id = intake.case_id.clone().expect("case id");
    let call_id = intake.case.calls.first().expect("the call").id.clone();
    // The back office's answer and its decision arrive through sync.
    let answered = monday_morning() + Duration::minutes(20);
    let reply = Reply {
        by: "市场监管 张科长".into(), text: "复印件加盖公章即可".into(), at: answered
    };
    desk.effects.store.append(&case_id, CaseEvent::CallReplied { call_id, reply }, answered).unwrap();
    let body = serde_json::json!({ "decision": ApprovalDecision::Approve }).to_string();
    desk.effects
        .store
        .record_decision(&number, "准予", &body, monday_morning() + Duration::hours(3))
        .unwrap();
    number
}

#[test]
fn the_case_detail_shows_the_whole_case_and_offers_only_working_keys() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    let number = agent_intake_with_a_call(&mut desk);
    desk.at(monday_morning() + Duration::hours(4));
    desk.key(KeyCode::F(3));
    desk.key(KeyCode::Enter);
    snap(&desk, "case_detail_accepted");
    let screen = desk.screen(120, 40);
    for expected in [
        number.as_str(),
        "受理决定：受理",
        "承诺办结日期：",
        "提交人：委托代理人 王五 230108********3418",
        "委托事项：代为办理设立登记并领取执照",
        "材料核验：",
        "[合格] 公司章程",
        "办理记录：",
        "11-30 09:00 开始接待",
        "办结：受理，案件编号",
        "后台决定：准予",
        "后台答复（市场监管 张科长）",
        "复印件加盖公章即可",
        "文书（p 全部重新打印，数字键打印单份）：",
        "1 受理通知书",
    ] {
        assert!(screen.contains(expected), "{expected}: {screen}");
    }
    let (footer, _) = bottom(&screen);
    assert!(footer.contains("全部重印") && footer.contains("返回列表") && footer.contains("F1"), "{footer}");
    assert!(
        !footer.contains("登记已补正") && !footer.contains("逾期终止"),
        "keys that would refuse: {footer}"
    );
    // At 80x24 the detail scrolls and says so; PgDn reaches the notices.
    let small = desk.screen(80, 24);
    assert!(small.contains("v 下方还有") && bottom(&small).0.contains("PgUp/PgDn"), "{small}");
    desk.key(KeyCode::PageDown);
    desk.key(KeyCode::PageDown);
    desk.key(KeyCode::PageDown);
    let small = desk.screen(80, 24);
    assert!(small.contains("1 受理通知书") && small.contains("^ 上方还有"), "{small}");
    // One notice prints on its own (the intake printed all of them already).
    let notices = desk.dir.path().join("notices");
    std::fs::remove_dir_all(&notices).unwrap();
    desk.key(KeyCode::Char('1'));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("受理通知书") && !screen.contains("授权委托书："), "{screen}");
    let pdfs: Vec<String> = std::fs::read_dir(&notices)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".pdf"))
        .collect();
    assert_eq!(pdfs, vec![format!("{number}-acceptance.pdf")], "only the chosen notice");
}

/// An intake of the fixture item typed as a clerk does: `keys` on the checklist (situations,
/// marks, `y` for the 容缺 commitment), a person `name` with the fixed ID and phone, window pickup,
/// past the invitation to rate; it ends on the 办结 step.
fn intake(desk: &mut Desk, ticket: &str, keys: &str, name: &str) {
    desk.type_text(ticket);
    desk.key(KeyCode::Enter);
    desk.paste("公司");
    desk.key(KeyCode::Enter);
    desk.type_text(keys);
    desk.key(KeyCode::Enter);
    for text in [name, ID, "13800138000"] {
        desk.type_text(text);
        desk.key(KeyCode::Enter);
    }
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
}

#[test]
fn a_lenient_case_offers_the_supplement_and_only_later_the_termination() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    intake(&mut desk, "A009", "f11113y", "李四");
    desk.key(KeyCode::F(3));
    desk.key(KeyCode::Enter);
    let (footer, _) = bottom(&desk.screen(80, 24));
    assert!(footer.contains("补正收件") && !footer.contains("逾期终止"), "{footer}");
    assert!(desk.screen(80, 24).contains("提交人：申请人本人"));
    desk.key(KeyCode::Esc);
    desk.at(monday_morning() + Duration::days(3));
    desk.key(KeyCode::Enter);
    let (footer, _) = bottom(&desk.screen(80, 24));
    assert!(footer.contains("逾期终止") && footer.contains("F1"), "{footer}");
}

#[test]
fn the_case_list_puts_status_and_days_left_first_and_keeps_the_cursor_after_chinese_text() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    standard_intake(&mut desk);
    intake(&mut desk, "A010", "f11113y", "李四");
    desk.key(KeyCode::F(3));
    let screen = desk.screen(80, 24);
    let row = screen.lines().find(|l| l.contains("待补正")).expect("the lenient case");
    assert!(row.starts_with(" > 已受理・待补正") && row.contains("剩 1 个工作日"), "{row}");
    desk.type_text("李四");
    snap(&desk, "cases_search_chinese");
    // The cursor stands after the two wide characters: label (11 cells) + 4 cells, past the margin.
    assert!(desk.screen(80, 24).ends_with("cursor: (16, 1)"), "{}", desk.screen(80, 24));
}

#[test]
fn the_status_bar_shows_the_hall_clock_the_live_pending_count_and_only_this_applicants_time() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    let (_, status) = bottom(&desk.screen(120, 40));
    assert!(status.contains("2026-11-30 周一 09:00"), "{status}");
    let (_, status) = bottom(&desk.screen(80, 24));
    assert!(status.contains("11-30 09:00") || status.contains("2026-11-30 周一 09:00"), "{status}");
    // The clock follows ticks, in the hall's zone whatever the machine's TZ.
    desk.at(monday_morning() + Duration::minutes(61));
    assert!(bottom(&desk.screen(120, 40)).1.contains("10:01"), "{}", desk.screen(120, 40));
    // The pending count follows the outbox without waiting for a restart or for HQ.
    standard_intake(&mut desk);
    let pending = desk.effects.store.outbox_count().unwrap();
    assert!(pending > 0);
    let (_, status) = bottom(&desk.screen(120, 40));
    assert!(status.contains(&format!("{pending} 待同步")), "{status}");
    // A finished applicant's time stays on the intake's last step only.
    intake(&mut desk, "A011", "f11111", "张三");
    assert!(bottom(&desk.screen(120, 40)).1.contains("本次用时"), "shown on the 办结 step");
    desk.key(KeyCode::F(3));
    let (_, status) = bottom(&desk.screen(120, 40));
    assert!(!status.contains("本次用时"), "not on other screens once finished: {status}");
    snap(&desk, "status_after_intake_cases");
}

#[test]
fn a_long_error_is_shown_whole_above_the_status_bar_at_80x24() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    desk.key(KeyCode::F(6));
    let screen = desk.screen(80, 24);
    assert!(screen.contains("请先在受理页面选定事项，再呼叫后台"), "{screen}");
    let (_, status) = bottom(&screen);
    assert!(status.contains("知识库"), "{status}");
}

#[test]
fn a_credit_code_warning_is_wrapped_whole_at_80x24() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    desk.type_text("A012");
    desk.key(KeyCode::Enter);
    desk.paste("公司");
    desk.key(KeyCode::Enter);
    desk.type_text("f11111");
    desk.key(KeyCode::Enter);
    desk.ctrl('t');
    desk.type_text("哈尔滨某某科技有限公司");
    desk.key(KeyCode::Enter);
    // A wrong check character: a warning a supervisor may accept, with a long hint.
    desk.type_text("91350100M000100Y44");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(80, 24);
    // The hint's rows, joined: the whole sentence, its end included.
    let hint: String = screen
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("^ "))
        .take_while(|l| !l.trim().is_empty() && !l.contains("法定代表人"))
        .map(|l| l.trim().trim_start_matches("^ "))
        .collect();
    assert!(hint.ends_with("放行）"), "the hint is whole: {hint}\n{screen}");
    assert!(screen.lines().all(|l| unicode_width::UnicodeWidthStr::width(l) <= 80), "{screen}");
}

#[test]
fn the_handover_form_keeps_the_cursor_after_a_chinese_name() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    intake(&mut desk, "A013", "f11111", "张三");
    let number = desk.app.intake().and_then(|i| i.case.number.clone()).expect("finished");
    let body = serde_json::json!({ "decision": ApprovalDecision::Approve }).to_string();
    desk.effects
        .store
        .record_decision(&number, "准予", &body, monday_morning() + Duration::hours(3))
        .unwrap();
    desk.key(KeyCode::F(4));
    desk.key(KeyCode::Enter);
    desk.type_text("张三");
    snap(&desk, "handover_chinese_name");
    let screen = desk.screen(80, 24);
    assert!(!bottom(&screen).1.contains("本次用时"), "the last applicant's time is not on F4: {screen}");
}

#[test]
fn the_lock_covers_the_desk_with_ascii_borders_at_both_sizes() {
    let mut desk = Desk::new(small_kb(), monday_morning());
    intake(&mut desk, "A014", "f11111", "张三");
    // The verifier is never checked here: the screen is what is under test.
    let mut lock =
        yichuang::tui::lock::Lock::new("王丽", "x", std::time::Duration::from_secs(600), monday_morning());
    lock.lock();
    for c in "246".chars() {
        lock.key(crossterm::event::KeyEvent::from(KeyCode::Char(c)), monday_morning());
    }
    for (width, height) in [(120, 40), (80, 24)] {
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|f| {
                desk.app.view(f);
                lock.view(f);
            })
            .unwrap();
        let text = desk_support::buffer_text(terminal.backend().buffer());
        assert!(text.contains("窗口已锁定 - 王丽") && text.contains("请输入 PIN 解锁：***"), "{text}");
        assert!(!text.contains("张三") && !text.contains(ID), "nothing of the case shows: {text}");
        insta::assert_snapshot!(format!("lock_{width}x{height}"), text);
    }
}

#[test]
fn the_item_search_says_when_more_items_are_below_at_80x24() {
    let kb = Arc::new(Kb::embedded().expect("embedded KB"));
    let mut desk = Desk::new(kb, monday_morning());
    desk.type_text("A015");
    desk.key(KeyCode::Enter);
    desk.type_text("证");
    let screen = desk.screen(80, 24);
    assert!(screen.contains("v 下方还有"), "{screen}");
    for _ in 0..25 {
        desk.key(KeyCode::Down);
    }
    let screen = desk.screen(80, 24);
    assert!(screen.contains("^ 上方还有") && screen.contains("下方还有"), "{screen}");
    snap(&desk, "real_item_search_scrolled");
}

/// The case's detail shows the window's rating address to scan (with `--lookup-url`) and that the
/// applicant's ratings arrived from HQ — the level of a bad one for the follow-up, never a good
/// one's.
#[test]
fn the_case_detail_shows_the_rating_address_and_that_ratings_arrived() {
    let mut config = desk_support::config();
    config.lookup_url = Some("https://zwfw.example.cn/lookup".into());
    let mut desk = Desk::with_config(small_kb(), Some(config), monday_morning());
    let case_id = standard_intake(&mut desk);
    let number = desk.effects.store.load(&case_id).unwrap().number.unwrap();
    let at = monday_morning() + Duration::hours(1);
    for (stage, bad, level) in [("受理", true, Some("不满意")), ("办结", false, None)] {
        let event = CaseEvent::RatingReceived { stage: stage.into(), bad, level: level.map(Into::into), at };
        desk.effects.store.append(&case_id, event, at).unwrap();
    }
    desk.key(KeyCode::F(3));
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    let link = format!("窗口评价地址：https://zwfw.example.cn/lookup?case={number}&via=window");
    assert!(screen.contains(&link), "{screen}");
    assert!(screen.contains("受理环节收到差评（不满意"), "{screen}");
    assert!(screen.contains("办结环节已评价"), "{screen}");
    assert!(!screen.contains("非常满意"), "a good rating's level is never shown: {screen}");
}
