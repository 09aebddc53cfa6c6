//! Agency mode (代办): agency staff fill the item's application form for the applicant. Values start
//! from what the case already holds (no typing twice), each field is validated by its kind, and the
//! filled form prints for the applicant's signature with the authorisation (委托) on it.

use std::collections::BTreeMap;

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

/// The values recorded for `form` in `case`: the form in progress, or one filled earlier.
pub fn values_of<'c>(case: &'c Case, form: &str) -> Option<&'c BTreeMap<String, String>> {
    if case.form_id.as_deref() == Some(form) { Some(&case.form_values) } else { case.other_forms.get(form) }
}

/// Every form the case has values for, the one in progress first: all of them print.
pub fn filled_forms<'k>(kb: &'k Kb, case: &Case) -> Vec<&'k Form> {
    let ids =
        case.form_id.iter().chain(case.other_forms.keys().filter(|id| Some(*id) != case.form_id.as_ref()));
    ids.filter_map(|id| kb.forms.iter().find(|f| &f.id == id)).collect()
}

/// What a filled form still lacks before it can be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormGaps {
    /// The form's title.
    pub title: String,
    /// Labels of the required fields left empty (委托事项及范围 included).
    pub labels: Vec<String>,
}

/// The required fields left empty in every filled form of `case`, form by form (forms with none
/// are left out). Shown to the clerk before printing; printed as 【未填】 if printed anyway.
pub fn form_gaps(kb: &Kb, case: &Case) -> Vec<FormGaps> {
    filled_forms(kb, case)
        .into_iter()
        .filter_map(|form| {
            let mut labels = Vec::new();
            if case.field(Field::AgencyScope).trim().is_empty() {
                labels.push("委托事项及范围".to_string());
            }
            labels.extend(missing(form, case).into_iter().map(|f| f.label.clone()));
            (!labels.is_empty()).then(|| FormGaps { title: form.title.clone(), labels })
        })
        .collect()
}

/// The required fields of `form` that apply to `case` and are empty.
fn missing<'f>(form: &'f Form, case: &Case) -> Vec<&'f FormField> {
    let values = values_of(case, &form.id);
    applicable_fields(form, case)
        .into_iter()
        .filter(|f| f.required && values.and_then(|v| v.get(&f.id)).is_none_or(|v| v.trim().is_empty()))
        .collect()
}

/// How an empty required field prints: a mark the applicant and the clerk cannot miss.
pub const GAP_MARK: &str = "【未填】";

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
    let values = values_of(case, &form.id);
    let gaps = missing(form, case).len() + usize::from(case.field(Field::AgencyScope).trim().is_empty());
    if gaps > 0 {
        blocks.push(Block::Paragraph(format!(
            "本表尚有 {gaps} 项必填内容未填写（标注{GAP_MARK}），请补填后再签字确认。"
        )));
    }
    let holds = |when: &Option<String>| when.as_ref().is_none_or(|s| case.holds(s));
    for section in form.sections.iter().filter(|s| holds(&s.when)) {
        blocks.push(Block::Paragraph(format!("【{}】", section.title)));
        blocks.push(Block::Fields(
            section
                .fields
                .iter()
                .filter(|f| holds(&f.when))
                .map(|f| {
                    let value = values.and_then(|v| v.get(&f.id)).map(String::as_str).unwrap_or("");
                    let shown = match f.kind {
                        _ if f.required && value.trim().is_empty() => GAP_MARK.to_string(),
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
        (
            "委托事项及范围".to_string(),
            match case.field(Field::AgencyScope).trim() {
                "" => GAP_MARK.to_string(),
                scope => scope.to_string(),
            },
        ),
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
