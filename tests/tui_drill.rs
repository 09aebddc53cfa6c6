//! Drill mode on screen: banner, narrative, scoring of a right and a wrong intake.

mod desk_support;

use std::sync::Arc;

use crossterm::event::KeyCode;
use desk_support::{Desk, monday_morning};
use yichuang::kb::Kb;
use yichuang::tui::drill::DrillSession;

fn drill_desk(scenario: &str) -> Desk {
    let kb = Arc::new(Kb::embedded().unwrap());
    let mut desk = Desk::drill(kb, monday_morning());
    desk.app.start_drill(DrillSession::new(vec![scenario.into()], "赵学员".into()));
    desk
}

fn intake(desk: &mut Desk, marks: &str, name: &str, id: &str) {
    desk.key(KeyCode::Enter);
    desk.paste("gsdj");
    desk.key(KeyCode::Enter);
    // `f` answers the situations 否, as the scenarios say; then the marks.
    desk.type_text(&format!("f{marks}"));
    desk.key(KeyCode::Enter);
    for text in [name, id, "13804511234"] {
        desk.type_text(text);
        desk.key(KeyCode::Enter);
    }
}

#[test]
fn a_drill_done_right_scores_full_marks() {
    let mut desk = drill_desk("company_complete");
    let screen = desk.screen(120, 40);
    assert!(screen.contains("演练模式") && screen.contains("王建国来窗口办理"), "{screen}");
    insta::assert_snapshot!("drill_start_120x40", screen);
    insta::assert_snapshot!("drill_start_80x24", desk.screen(80, 24));
    intake(&mut desk, "11111", "王建国", "230103198506121234");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('5'));
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("得分 100 / 100") && screen.contains("全部正确"), "{screen}");
    let results = desk.effects.store.drill_results().unwrap();
    assert_eq!((results[0].score, results[0].trainee.as_str()), (100, "赵学员"));
}

#[test]
fn a_missed_defect_is_listed_with_the_kbs_reason() {
    let mut desk = drill_desk("company_notice_everything");
    intake(&mut desk, "11111", "张秀兰", "230104197811203561");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('5'));
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    insta::assert_snapshot!("drill_score_120x40", screen.clone());
    assert!(
        screen.contains("受理决定错误") && screen.contains("未发现「住所（经营场所）使用证明」的缺陷"),
        "{screen}"
    );
    assert!(desk.effects.store.drill_results().unwrap()[0].score < 60);
}

#[test]
fn a_right_decision_with_a_material_left_off_the_notice_costs_points() {
    let mut desk = drill_desk("company_notice_everything");
    // The missing articles are caught; the expired lease is passed as acceptable.
    intake(&mut desk, "13111", "张秀兰", "230104197811203561");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('5'));
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("受理决定正确") && screen.contains("通知书有误"), "{screen}");
    assert!(screen.replace(' ', "").contains("漏列「住所（经营场所）使用证明」"), "{screen}");
    insta::assert_snapshot!("drill_score_notices_80x24", desk.screen(80, 24));
    let score = desk.effects.store.drill_results().unwrap()[0].score;
    assert!(score < 90, "{score}");
}
