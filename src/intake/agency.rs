//! Agency mode (代办): agency staff fill the item's application form for the applicant. Values start
//! from what the case already holds (no typing twice), each field is validated by its kind, and the
//! filled form prints for the applicant's signature with the authorisation (委托) on it.

use chrono::NaiveDate;

use super::case::{Case, Field};
use super::notice::{Block, Center, Notice, NoticeKind, header, signed_by};
use crate::kb::forms::{FieldKind, Form, FormField, from_key};
use crate::kb::{Item, Kb};

/// The forms agency staff can fill for an item: its own application form before shared ones
/// (授权委托书).
pub fn forms_for<'k>(kb: &'k Kb, code: &'k str) -> Vec<&'k Form> {
    let mut forms: Vec<&Form> = kb.forms_for(code).collect();
    forms.sort_by_key(|f| f.items.len());
    forms
}

/// The form agency staff start with for an item.
pub fn form_for<'k>(kb: &'k Kb, code: &'k str) -> Option<&'k Form> {
    forms_for(kb, code).first().copied()
}

/// The fields that apply to `case`: sections and fields with a `when` situation only when it holds.
pub fn applicable_fields<'f>(form: &'f Form, case: &Case) -> Vec<&'f FormField> {
    let holds = |when: &Option<String>| when.as_ref().is_none_or(|s| case.holds(s));
    form.sections
        .iter()
        .filter(|s| holds(&s.when))
        .flat_map(|s| s.fields.iter())
        .filter(|f| holds(&f.when))
        .collect()
}

/// The value a field starts with: from the case (`from` key), the date or the item.
pub fn prefill(field: &FormField, case: &Case, item: &Item, today: NaiveDate) -> String {
    let Some(key) = field.from.as_deref().and_then(from_key) else { return String::new() };
    match (key.case_field, key.key) {
        (Some(f), _) => case.field(f).to_string(),
        (None, "case.date") => today.format("%Y-%m-%d").to_string(),
        (None, "item.name") => item.name.clone(),
        (None, "item.department") => item.department.clone(),
        _ => String::new(),
    }
}

/// The value a choice stands for: an option's text, or its number (1 = first).
pub fn resolve_choice<'a>(field: &'a FormField, value: &str) -> Option<&'a str> {
    let value = value.trim();
    value
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| field.options.get(i))
        .or_else(|| field.options.iter().find(|c| c.as_str() == value))
        .map(String::as_str)
}

/// `1 甲 / 2 乙 …` for help lines.
pub fn numbered_choices(field: &FormField) -> String {
    field.options.iter().enumerate().map(|(i, c)| format!("{} {c}", i + 1)).collect::<Vec<_>>().join(" / ")
}

/// Checks a value by the field's kind (a choice may be typed as its number).
pub fn check(field: &FormField, value: &str, today: NaiveDate) -> Result<(), String> {
    if field.kind == FieldKind::Choice && resolve_choice(field, value).is_some() {
        return Ok(());
    }
    crate::kb::forms::validate(field, value, today).map_err(|e| format!("{}：{e}", field.label))
}

/// The filled form as a printable document: every section's labels and values, the authorisation
/// and home visit, and signature lines.
pub fn form_notice(
    case: &Case,
    item: &Item,
    form: &Form,
    center: &Center,
    number: &str,
    on: NaiveDate,
) -> Notice {
    let mut blocks = vec![header(case, item, center, number)];
    let holds = |when: &Option<String>| when.as_ref().is_none_or(|s| case.holds(s));
    for section in form.sections.iter().filter(|s| holds(&s.when)) {
        blocks.push(Block::Paragraph(format!("【{}】", section.title)));
        blocks.push(Block::Fields(
            section
                .fields
                .iter()
                .filter(|f| holds(&f.when))
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
        ("受托代办人".to_string(), center.signer()),
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
    blocks.push(signed_by(case, center, on));
    Notice {
        kind: NoticeKind::ApplicationForm,
        title: form.title.clone(),
        number: number.to_string(),
        issuer: center.name.clone(),
        blocks,
    }
}
