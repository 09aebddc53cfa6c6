//! The intake flow on screen: every step at 120x40 and 80x24, the keystroke budget of a standard
//! intake, validators at the field, going back without losing anything, and resuming after a crash.

mod desk_support;

use crossterm::event::KeyCode;
use desk_support::{Desk, monday_morning, small_kb};
use yichuang::intake::case::{Field, Step};

/// A valid resident ID (GB 11643 check digit X) and mobile number.
const ID: &str = "11010519491231002X";
const PHONE: &str = "13800138000";

fn snap(desk: &Desk, name: &str) {
    insta::assert_snapshot!(format!("{name}_120x40"), desk.screen(120, 40));
    insta::assert_snapshot!(format!("{name}_80x24"), desk.screen(80, 24));
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
    desk.key(KeyCode::Char('5'));
    snap(&desk, "intake_rating");
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Done);
    let budget = keystrokes(&desk) - typed;
    println!("keystrokes beyond typed data and search text: {budget}");
    assert!(budget <= 15, "standard intake took {budget} keystrokes beyond typing");
    let case = desk.app.intake().unwrap().case.clone();
    assert_eq!(case.number.as_deref(), Some("HRBDL-05-20261130-0001"));
    assert_eq!(case.field(Field::ApplicantName), "张三");
}
