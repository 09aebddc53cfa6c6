//! Agency mode (代办): agency staff fill the item's application form for the applicant. Values start
//! from what the case already holds (no typing twice), each field is validated by its kind, and the
//! filled form prints for the applicant's signature with the authorisation (委托) on it.

use chrono::NaiveDate;

use super::case::{Case, Field};
use super::notice::{Block, Center, Notice, NoticeKind, header, signatures};
use super::validate;
use crate::kb::Item;
use crate::kb::forms::{FieldKind, FormField, FormSpec};

/// The value a field starts with, from the case (`from` key) or the date.
pub fn prefill(field: &FormField, case: &Case, today: NaiveDate) -> String {
    let from = |f: Field| case.field(f).to_string();
    match field.from.as_deref() {
        Some("applicant.name") => from(Field::ApplicantName),
        Some("applicant.id_number") => from(Field::IdNumber),
        Some("applicant.credit_code") => from(Field::CreditCode),
        Some("applicant.legal_representative") => from(Field::LegalRepresentative),
        Some("applicant.phone") => from(Field::Phone),
        Some("applicant.address") => from(Field::Address),
        Some("agent.name") => from(Field::AgentName),
        Some("agent.id_number") => from(Field::AgentIdNumber),
        Some("agent.phone") => from(Field::AgentPhone),
        Some("mail.address") => from(Field::MailAddress),
        Some("today") => today.format("%Y-%m-%d").to_string(),
        _ => String::new(),
    }
}

/// The value a choice field stands for: a choice's text, or its number (1 = first).
pub fn resolve_choice<'a>(field: &'a FormField, value: &str) -> Option<&'a str> {
    let value = value.trim();
    value
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| field.choices.get(i))
        .or_else(|| field.choices.iter().find(|c| c.as_str() == value))
        .map(String::as_str)
}

/// Checks a value by the field's kind; the message says what is wrong.
pub fn check(field: &FormField, value: &str, today: NaiveDate) -> Result<(), String> {
    let value = value.trim();
    if value.is_empty() {
        return if field.required { Err(format!("请填写{}", field.label)) } else { Ok(()) };
    }
    if let Some(max) = field.max_len
        && value.chars().count() > max
    {
        return Err(format!("最多 {max} 个字，现在 {} 个", value.chars().count()));
    }
    match field.kind {
        FieldKind::Text => Ok(()),
        FieldKind::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(|_| ())
            .map_err(|_| "日期格式应为 2026-11-30".to_string()),
        FieldKind::IdCard => validate::id_card(value, today).map(|_| ()).map_err(|e| format!("身份证号{e}")),
        FieldKind::CreditCode => match validate::credit_code(value) {
            Ok(code) => code.check_warning.map_or(Ok(()), |w| Err(format!("统一社会信用代码{w}"))),
            Err(e) => Err(format!("统一社会信用代码{e}")),
        },
        FieldKind::Mobile => validate::mobile(value).map(|_| ()).map_err(|e| e.to_string()),
        FieldKind::Number => {
            if value.chars().all(|c| c.is_ascii_digit()) {
                Ok(())
            } else {
                Err("请填写整数（半角数字）".into())
            }
        }
        FieldKind::Money => {
            let (whole, cents) = value.split_once('.').unwrap_or((value, ""));
            let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
            if !whole.is_empty() && digits(whole) && digits(cents) && cents.len() <= 2 {
                Ok(())
            } else {
                Err("金额应为数字，最多两位小数".into())
            }
        }
        FieldKind::Choice => match resolve_choice(field, value) {
            Some(_) => Ok(()),
            None => Err(format!("请选择：{}", numbered_choices(field))),
        },
    }
}

/// `1 甲 / 2 乙 …` for help lines.
pub fn numbered_choices(field: &FormField) -> String {
    field.choices.iter().enumerate().map(|(i, c)| format!("{} {c}", i + 1)).collect::<Vec<_>>().join(" / ")
}

/// The filled form as a printable document: every section's labels and values, the authorisation
/// and home visit, and signature lines.
pub fn form_notice(
    case: &Case,
    item: &Item,
    form: &FormSpec,
    center: &Center,
    number: &str,
    on: NaiveDate,
) -> Notice {
    let mut blocks = vec![header(case, item, center, number)];
    for section in &form.sections {
        blocks.push(Block::Paragraph(format!("【{}】", section.title)));
        blocks.push(Block::Fields(
            section
                .fields
                .iter()
                .map(|f| {
                    let value = case.form_values.get(&f.id).map(String::as_str).unwrap_or("");
                    let shown = match f.kind {
                        FieldKind::Choice => resolve_choice(f, value).unwrap_or(value).to_string(),
                        _ => value.to_string(),
                    };
                    (f.label.clone(), shown)
                })
                .collect(),
        ));
    }
    let mut agency = vec![
        ("委托人".to_string(), case.field(Field::ApplicantName).to_string()),
        ("受托代办人".to_string(), center.clerk.clone()),
        ("委托事项及范围".to_string(), case.field(Field::AgencyScope).to_string()),
        ("委托日期".to_string(), on.format("%Y-%m-%d").to_string()),
    ];
    if case.home_visit {
        agency.push(("上门代办地址".into(), case.field(Field::HomeVisitAddress).to_string()));
    }
    blocks.push(Block::Paragraph(
        "【代办委托】本表由代办人员根据申请人提供的材料和口述代为填写，申请人核对无误后签字确认。".into(),
    ));
    blocks.push(Block::Fields(agency));
    blocks.push(signatures(center, on, true));
    Notice {
        kind: NoticeKind::ApplicationForm,
        title: form.title.clone(),
        number: number.to_string(),
        issuer: center.name.clone(),
        blocks,
    }
}
