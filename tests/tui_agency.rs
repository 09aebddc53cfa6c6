//! Agency mode (代办): the application form filled for the applicant from the case's data, checked
//! per field, journaled, and printed for signature with every value.

mod desk_support;

use std::process::Command;
use std::sync::Arc;

use crossterm::event::KeyCode;
use desk_support::{Desk, monday_morning};
use yichuang::intake::case::Step;
use yichuang::kb::Kb;

const ID: &str = "11010519491231002X";

fn to_delivery(desk: &mut Desk) {
    desk.key(KeyCode::Enter);
    desk.paste("gsdj");
    desk.key(KeyCode::Enter);
    desk.type_text("11111");
    desk.key(KeyCode::Enter);
    for text in ["赵敏", ID, "13800138000"] {
        desk.type_text(text);
        desk.key(KeyCode::Enter);
    }
    assert_eq!(desk.app.intake().unwrap().step(), Step::Delivery);
}

#[test]
fn agency_staff_fill_the_form_and_it_prints_with_every_value() {
    let kb = Arc::new(Kb::embedded().unwrap());
    let mut desk = Desk::new(kb, monday_morning());
    to_delivery(&mut desk);
    desk.key(KeyCode::F(7));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("代办填表") && screen.contains("公司登记（备案）申请书"), "{screen}");
    assert!(screen.contains("赵敏") && screen.contains(ID), "prefilled from the case: {screen}");
    desk.paste("代为填写申请表、提交材料、领取营业执照");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Backspace);
    desk.type_text("2");
    desk.key(KeyCode::Enter);
    desk.paste("哈尔滨市道里区友谊路 100 号 3 单元 501");
    desk.key(KeyCode::Enter);
    desk.paste("哈尔滨市冰城晓雪餐饮管理有限公司");
    desk.key(KeyCode::Enter);
    desk.paste("哈尔滨市道里区中央大街 12 号");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    desk.type_text("五十");
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("金额应为数字，最多两位小数"), "error at the field: {screen}");
    insta::with_settings!({filters => vec![(r"\d{4}-\d{2}-\d{2}", "[DATE]")]}, {
        insta::assert_snapshot!("agency_form_120x40", screen);
        insta::assert_snapshot!("agency_form_80x24", desk.screen(80, 24));
    });
    desk.key(KeyCode::Up);
    for _ in 0..2 {
        desk.key(KeyCode::Backspace);
    }
    desk.type_text("50");
    desk.key(KeyCode::Enter);
    desk.type_text("1");
    desk.key(KeyCode::Enter);
    desk.paste("餐饮管理；酒店管理");
    // Enter through the prefilled contact fields to the end closes the panel.
    for _ in 0..5 {
        desk.key(KeyCode::Enter);
    }
    let intake = desk.app.intake().unwrap();
    let case = intake.case.clone();
    assert!(case.home_visit);
    assert_eq!(case.form_values.get("registered_capital").map(String::as_str), Some("50"));
    assert_eq!(case.form_values.get("contact_id").map(String::as_str), Some(ID));
    assert!(!desk.screen(120, 40).contains("Esc 收起"), "panel closed: {}", desk.screen(120, 40));
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('5'));
    desk.key(KeyCode::Enter);
    let number = desk.app.intake().unwrap().case.number.clone().unwrap();
    let pdf = desk.dir.path().join("notices").join(format!("{number}-form.pdf"));
    let out =
        Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext (tests/run.sh installs it)");
    let text: String = String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect();
    for value in case.form_values.values().map(|v| v.replace(' ', "")).chain([
        "代为填写申请表、提交材料、领取营业执照".to_string(),
        "哈尔滨市道里区友谊路100号3单元501".to_string(),
        "有限责任公司（自然人投资或控股）".to_string(),
    ]) {
        if value == "1" {
            continue; // the choice's number prints as its text
        }
        assert!(text.contains(&value), "{value} not in the printed form: {text}");
    }
}
