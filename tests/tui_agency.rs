//! Agency mode (代办): the application form filled for the applicant from the case's data, checked
//! per field, journaled, and printed for signature with every value.

mod desk_support;

use std::process::Command;
use std::sync::Arc;

use crossterm::event::KeyCode;
use desk_support::{Desk, monday_morning};
use yichuang::intake::agency::{applicable_fields, form_for, resolve_choice};
use yichuang::intake::case::Step;
use yichuang::kb::Kb;
use yichuang::kb::forms::{FieldKind, FormField};

const ID: &str = "11010519491231002X";

fn to_delivery(desk: &mut Desk) {
    desk.key(KeyCode::Enter);
    desk.paste("gsdj");
    desk.key(KeyCode::Enter);
    desk.type_text("f11111");
    desk.key(KeyCode::Enter);
    for text in ["赵敏", ID, "13800138000"] {
        desk.type_text(text);
        desk.key(KeyCode::Enter);
    }
    assert_eq!(desk.app.intake().unwrap().step(), Step::Delivery);
}

/// A valid value for a field the case did not fill.
fn valid_value(field: &FormField) -> String {
    if let Some(example) = &field.example {
        return example.clone();
    }
    match field.kind {
        FieldKind::Number => field.min.unwrap_or(1).max(1).to_string(),
        FieldKind::Money => "50".into(),
        FieldKind::Date => "2026-11-30".into(),
        FieldKind::IdCard => ID.into(),
        FieldKind::CreditCode => "91230100MA1ABCDE0X".into(),
        FieldKind::Mobile | FieldKind::Phone => "13800138000".into(),
        FieldKind::BankAccount => "6222021234567890123".into(),
        FieldKind::Choice => "1".into(),
        FieldKind::MultiChoice => field.options[0].clone(),
        FieldKind::YesNo => "是".into(),
        FieldKind::Text | FieldKind::Multiline | FieldKind::Address => format!("代填{}", field.label),
    }
}

#[test]
fn agency_staff_fill_the_form_and_it_prints_with_every_value() {
    let kb = Arc::new(Kb::embedded().unwrap());
    let mut desk = Desk::new(kb.clone(), monday_morning());
    to_delivery(&mut desk);
    desk.key(KeyCode::F(7));
    let screen = desk.screen(120, 40);
    let form = form_for(&kb, "00013112700401").expect("the company item has a form");
    assert!(screen.contains("代办填表") && screen.contains(&form.title), "{screen}");
    desk.paste("代为填写申请表、提交材料、领取营业执照");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Backspace);
    desk.type_text("2");
    desk.key(KeyCode::Enter);
    desk.paste("哈尔滨市道里区友谊路 100 号 3 单元 501");
    desk.key(KeyCode::Enter);
    let case = desk.app.intake().unwrap().case.clone();
    let fields = applicable_fields(form, &case);
    for field in &fields {
        let prefilled = case.form_values.get(&field.id).is_some_and(|v| !v.is_empty());
        if !prefilled && field.kind == FieldKind::Money {
            // A wrong amount shows its error at the field and blocks nothing typed so far.
            desk.type_text("五十");
            desk.key(KeyCode::Enter);
            let screen = desk.screen(120, 40);
            assert!(screen.contains("最多两位小数"), "error at the field: {screen}");
            insta::assert_snapshot!("agency_form_120x40", screen);
            insta::assert_snapshot!("agency_form_80x24", desk.screen(80, 24));
            desk.key(KeyCode::Up);
            desk.key(KeyCode::Backspace);
            desk.key(KeyCode::Backspace);
        }
        if !prefilled {
            desk.paste(&valid_value(field));
        }
        desk.key(KeyCode::Enter);
    }
    let case = desk.app.intake().unwrap().case.clone();
    assert!(!desk.screen(120, 40).contains("Esc 收起"), "panel closed: {}", desk.screen(120, 40));
    assert!(case.home_visit);
    assert_eq!(case.form_values.len(), fields.len(), "every field journaled");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('5'));
    desk.key(KeyCode::Enter);
    let number = desk.app.intake().unwrap().case.number.clone().unwrap();
    let pdf = desk.dir.path().join("notices").join(format!("{number}-form.pdf"));
    let out =
        Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext (tests/run.sh installs it)");
    let text: String = String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect();
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    for field in &fields {
        let value = &case.form_values[&field.id];
        let printed = resolve_choice(field, value).unwrap_or(value);
        assert!(text.contains(&squeeze(printed)), "{}={printed} not in the printed form: {text}", field.id);
    }
    for value in
        ["代为填写申请表、提交材料、领取营业执照", "哈尔滨市道里区友谊路100号3单元501", "申请人（签字）"]
    {
        assert!(text.contains(value), "{value} not in the printed form");
    }
}

#[test]
fn f7_again_moves_to_the_items_next_form() {
    let kb = Arc::new(Kb::embedded().unwrap());
    let mut desk = Desk::new(kb, monday_morning());
    to_delivery(&mut desk);
    desk.key(KeyCode::F(7));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("公司登记（备案）申请书（第 1/2 份"), "{screen}");
    desk.key(KeyCode::F(7));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("授权委托书（第 2/2 份"), "{screen}");
    // The letter starts from the case's data: the applicant is the principal.
    assert!(screen.contains("赵敏"), "{screen}");
    desk.key(KeyCode::F(7));
    assert!(desk.screen(120, 40).contains("（第 1/2 份"), "{}", desk.screen(120, 40));
    // What staff typed into a form survives a visit to the other one.
    desk.paste("代为填写申请表");
    desk.key(KeyCode::F(7));
    desk.key(KeyCode::F(7));
    let screen = desk.screen(120, 40);
    assert!(screen.contains("（第 1/2 份") && screen.contains("代为填写申请表"), "{screen}");
    let case = &desk.app.intake().unwrap().case;
    assert_eq!(case.form_id.as_deref(), Some("company_setup"), "the form on screen is the case's form");
    assert!(case.other_forms.contains_key("authorisation_letter"));
}

/// Text of a printed PDF without whitespace.
fn pdf_text(path: &std::path::Path) -> String {
    let out =
        Command::new("pdftotext").arg(path).arg("-").output().expect("pdftotext (tests/run.sh installs it)");
    assert!(out.status.success(), "{} not printed", path.display());
    String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn empty_required_fields_are_listed_before_printing_and_every_filled_form_prints() {
    let kb = Arc::new(Kb::embedded().unwrap());
    let mut desk = Desk::new(kb.clone(), monday_morning());
    to_delivery(&mut desk);
    let form = form_for(&kb, "00013112700401").unwrap();
    // The company form: only the authorisation's scope is typed, the form's fields left empty.
    desk.key(KeyCode::F(7));
    desk.paste("代为填写申请表、提交材料");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Esc);
    // The letter of authorisation is opened too (and so filled from the case).
    desk.key(KeyCode::F(7));
    desk.key(KeyCode::F(7));
    desk.key(KeyCode::Esc);
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('5'));
    desk.key(KeyCode::Enter);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("代办申请表有必填项未填") && screen.contains(&form.title), "{screen}");
    assert!(screen.contains("注册资本（万元）") && screen.contains("仍然办结并打印"), "{screen}");
    assert!(desk.app.intake().unwrap().case.number.is_none(), "nothing finished or printed yet");
    insta::assert_snapshot!("agency_gaps_80x24", desk.screen(80, 24));
    // Enter again: print anyway, the gaps marked.
    desk.key(KeyCode::Enter);
    let number = desk.app.intake().unwrap().case.number.clone().expect("finished");
    let notices = desk.dir.path().join("notices");
    // Both forms print, the one on screen last first (`-form`, then `-form-2`).
    let printed = [
        pdf_text(&notices.join(format!("{number}-form.pdf"))),
        pdf_text(&notices.join(format!("{number}-form-2.pdf"))),
    ];
    let company = printed.iter().find(|t| t.starts_with(&form.title)).expect("the company form printed");
    assert!(company.contains("【未填】") && company.contains("本表尚有"), "{company}");
    assert!(company.contains("注册资本（万元）：【未填】"), "{company}");
    assert!(company.contains("代为填写申请表、提交材料"), "{company}");
    let letter = printed.iter().find(|t| t.starts_with("授权委托书")).expect("the letter printed");
    assert!(letter.contains("授权委托书") && letter.contains("赵敏"), "{letter}");
}

#[test]
fn filling_the_gaps_finishes_at_the_first_enter() {
    let kb = Arc::new(Kb::embedded().unwrap());
    let mut desk = Desk::new(kb.clone(), monday_morning());
    to_delivery(&mut desk);
    desk.key(KeyCode::F(7));
    desk.key(KeyCode::Esc);
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Char('5'));
    desk.key(KeyCode::Enter);
    assert!(desk.screen(120, 40).contains("代办申请表有必填项未填"));
    // F7 fills every field, then one Enter finishes.
    desk.key(KeyCode::F(7));
    desk.paste("代为填写申请表");
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    let case = desk.app.intake().unwrap().case.clone();
    let form = form_for(&kb, "00013112700401").unwrap();
    for field in applicable_fields(form, &case) {
        if case.form_values.get(&field.id).is_none_or(|v| v.is_empty()) {
            desk.paste(&valid_value(field));
        }
        desk.key(KeyCode::Enter);
    }
    assert!(yichuang::intake::agency::form_gaps(&kb, &desk.app.intake().unwrap().case).is_empty());
    desk.key(KeyCode::Enter);
    assert!(desk.app.intake().unwrap().case.number.is_some(), "{}", desk.screen(120, 40));
}
