//! Personal numbers in what HQ hands out: the case API masks resident ID numbers and phone numbers
//! for callers whose role does not need them (see `case` in `routes.rs`).
//!
//! Two passes over each stored change: the fields that hold such numbers are masked whatever they
//! contain (a mistyped number is still personal), and every other string has any run that looks
//! like an ID number (17 digits and a digit or X) or a mainland mobile number (11 digits from 13…19)
//! masked, so form values, handover references and free text do not leak them either.

use serde_json::Value;

use crate::intake::validate::{mask_id, mask_phone};
use crate::protocol::CaseView;

/// Field names (`CaseEvent::FieldSet`'s `field`) whose values are ID numbers.
const ID_FIELDS: &[&str] = &["id_number", "agent_id_number"];
/// Field names whose values are phone numbers.
const PHONE_FIELDS: &[&str] = &["phone", "agent_phone", "mail_phone"];

/// Masks ID and phone numbers everywhere in a case view.
pub fn mask_case(view: &mut CaseView) {
    for change in &mut view.changes {
        mask_event(&mut change.body);
    }
}

fn mask_event(body: &mut Value) {
    let field = body.get("field").and_then(Value::as_str).map(str::to_string);
    if body.get("event").and_then(Value::as_str) == Some("field_set")
        && let (Some(field), Some(value)) = (field, body.get_mut("value"))
        && let Some(text) = value.as_str()
    {
        if ID_FIELDS.contains(&field.as_str()) {
            *value = Value::String(mask_id(text));
            return;
        }
        if PHONE_FIELDS.contains(&field.as_str()) {
            *value = Value::String(mask_phone(text));
            return;
        }
    }
    mask_strings(body);
}

fn mask_strings(value: &mut Value) {
    match value {
        Value::String(s) => {
            let masked = mask_numbers(s);
            if masked != *s {
                *s = masked;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_strings),
        Value::Object(map) => map.values_mut().for_each(mask_strings),
        _ => {}
    }
}

/// `text` with every run that looks like an ID number or a mobile number masked.
pub fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        // An ID number may end in X.
        if i - start == 17 && i < chars.len() && matches!(chars[i], 'X' | 'x') {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let masked = match run.len() {
            18 => mask_id(&run),
            11 if run.starts_with('1') && matches!(run.as_bytes()[1], b'3'..=b'9') => mask_phone(&run),
            // Longer digit runs may hide a number inside: mask all but the ends.
            n if n > 18 => mask_id(&run),
            _ => run,
        };
        out.push_str(&masked);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_text_are_masked_and_others_kept() {
        assert_eq!(
            mask_numbers("身份证 11010519491231002X 电话 13812345678"),
            "身份证 110105********002X 电话 138****5678"
        );
        assert_eq!(mask_numbers("A001 编号 2026-0001"), "A001 编号 2026-0001");
    }

    #[test]
    fn id_and_phone_fields_are_masked_even_when_mistyped() {
        let mut body = serde_json::json!({"event": "field_set", "field": "id_number", "value": "1101051949"});
        mask_event(&mut body);
        assert!(body["value"].as_str().is_some_and(|v| !v.contains("1949")), "{body}");
        let mut form = serde_json::json!({"event": "form_value_set", "form": "f", "field": "x",
                                          "value": "联系人 13812345678"});
        mask_event(&mut form);
        assert_eq!(form["value"], "联系人 138****5678");
    }
}
