//! Dates in a year whose holiday arrangement is not yet announced (here 2027, which the fixture KB
//! has no calendar for) carry the mark （暂定） and the explaining sentence on every screen that
//! shows them: the checklist's decision, the done screen, the case list, the case detail and the
//! handover list.

mod desk_support;

use chrono::NaiveDate;
use crossterm::event::KeyCode;
use desk_support::{Desk, small_kb};
use yichuang::kb::{PROVISIONAL_MARK, PROVISIONAL_NOTE};

/// Both sizes, with the temporary directory (shown where notices are saved) filtered out.
fn snap(desk: &Desk, name: &str) {
    insta::with_settings!({filters => vec![(r"/tmp/\.tmp\w+", "[TMP]")]}, {
        insta::assert_snapshot!(format!("{name}_120x40"), desk.screen(120, 40));
        insta::assert_snapshot!(format!("{name}_80x24"), desk.screen(80, 24));
    });
}

/// The explaining sentence may wrap on screen: compare without whitespace.
fn has_note(screen: &str) -> bool {
    screen.split_whitespace().collect::<String>().contains(PROVISIONAL_NOTE)
}

#[test]
fn dates_in_a_provisional_year_are_marked_on_every_screen() {
    let at = yichuang::time::from_hall_local(
        NaiveDate::from_ymd_opt(2027, 3, 5).unwrap().and_hms_opt(9, 0, 0).unwrap(),
    );
    let mut desk = Desk::new(small_kb(), at);
    desk.key(KeyCode::Enter);
    desk.type_text("公司");
    desk.key(KeyCode::Enter);
    // Every situation 否, then the materials: the premises proof is missing, the applicant signs
    // the 容缺 commitment.
    desk.key(KeyCode::Char('f'));
    desk.type_text("1111");
    desk.key(KeyCode::Char('3'));
    desk.key(KeyCode::Char('y'));
    let screen = desk.screen(120, 40);
    // Friday 2027-03-05: one working day later is Monday 03-08 (Mon–Fri: no 2027 calendar).
    assert!(screen.contains(&format!("2027-03-08{PROVISIONAL_MARK}")), "{screen}");
    assert!(has_note(&screen), "{screen}");
    snap(&desk, "provisional_checklist");
    desk.key(KeyCode::Enter);
    for text in ["李四", "11010519491231002X", "13800138000"] {
        desk.type_text(text);
        desk.key(KeyCode::Enter);
    }
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('5'));
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains(&format!("承诺办结日期：2027-03-08{PROVISIONAL_MARK}")), "{screen}");
    assert!(has_note(&screen), "{screen}");
    snap(&desk, "provisional_done");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::F(3));
    let screen = desk.screen(120, 40);
    assert!(screen.contains(&format!("03-08{PROVISIONAL_MARK} 前")), "{screen}");
    assert!(has_note(&screen), "{screen}");
    snap(&desk, "provisional_cases");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains(&format!("承诺办结日期：2027-03-08{PROVISIONAL_MARK}")), "{screen}");
    assert!(has_note(&screen), "{screen}");
    snap(&desk, "provisional_case_detail");
    // The handover list shows the promised date of a result the back office approved.
    let number = "HRBDL-05-20270305-0001";
    desk.effects.store.record_decision(number, "准予", "{}", at + chrono::Duration::hours(2)).unwrap();
    desk.key(KeyCode::F(4));
    let screen = desk.screen(120, 40);
    assert!(screen.contains(&format!("承诺 2027-03-08{PROVISIONAL_MARK}")), "{screen}");
    assert!(has_note(&screen), "{screen}");
    snap(&desk, "provisional_handover");
}
