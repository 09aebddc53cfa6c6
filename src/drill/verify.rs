//! A drill's answer key checked against the intake rules and validators (`yichuang drill check`),
//! and the application a scenario describes. The scenario format lives in [`crate::kb::drills`];
//! evaluating it needs the rules, so it lives here.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::intake::rules::{Application, Decision, Outcome, decide};
use crate::intake::validate;
use crate::kb::drills::{CHECKED_FIELDS, Drill, ExpectedDecision};
use crate::kb::{Calendar, Item};

/// The application as the rules see it when the trainee marks every material and answers every
/// situation as the scenario has it.
pub fn application(drill: &Drill) -> Application {
    Application {
        states: drill.materials.iter().map(|m| (m.id.clone(), m.material_state())).collect(),
        answers: drill.situations.clone(),
        agrees_to_commitment: drill.agrees_to_commitment,
        bad_credit: drill.bad_credit,
        here: drill.at,
        ineligible: drill.ineligible.clone(),
    }
}

/// Whether a decision is the one the answer key names.
pub fn matches(expected: ExpectedDecision, decision: &Decision) -> bool {
    expected.label() == decision.label()
}

/// Applicant data that fails validation, with the reason, in [`CHECKED_FIELDS`] order.
pub fn invalid_fields(drill: &Drill) -> Vec<(&'static str, String)> {
    CHECKED_FIELDS
        .iter()
        .filter_map(|&key| {
            let value = drill.field_value(key)?;
            let problem = match key {
                "applicant.id_number" | "agent.id_number" => {
                    validate::id_card(value, drill.date).err().map(|e| e.to_string())
                }
                "applicant.credit_code" => match validate::credit_code(value) {
                    Ok(code) => code.check_warning.map(|w| w.to_string()),
                    Err(e) => Some(e.to_string()),
                },
                _ => validate::mobile(value).err().map(|e| e.to_string()),
            };
            problem.map(|p| (key, p))
        })
        .collect()
}

/// Recomputes the answer key with the intake rules; returns every disagreement, in Chinese.
pub fn verify(drill: &Drill, item: &Item, calendar: &Calendar) -> Vec<String> {
    let mut out = Vec::new();
    let expected = &drill.expected;
    let outcome = decide(item, &application(drill), drill.date, calendar);
    let Outcome::Decided { decision } = outcome else {
        out.push(format!(
            "预期决定为 {}，规则得出 {}：演练须写明每个情形的回答（situations）",
            expected.decision.label(),
            outcome.label()
        ));
        return out;
    };
    if !matches(expected.decision, &decision) {
        out.push(format!("预期决定为 {}，规则得出 {}", expected.decision.label(), decision.label()));
    }
    let computed: BTreeSet<&str> = match &decision {
        Decision::NoticeOfDeficiency { deficiencies, .. } => {
            deficiencies.iter().map(|d| d.material.as_str()).collect()
        }
        Decision::AcceptPending { supplements, .. } => {
            supplements.iter().map(|s| s.deficiency.material.as_str()).collect()
        }
        _ => BTreeSet::new(),
    };
    let wanted: BTreeSet<&str> = expected.deficient.iter().map(String::as_str).collect();
    if computed != wanted {
        let list = |s: &BTreeSet<&str>| {
            if s.is_empty() {
                "（无）".to_string()
            } else {
                s.iter().copied().collect::<Vec<_>>().join("、")
            }
        };
        out.push(format!("预期告知材料为 {}，规则得出 {}", list(&wanted), list(&computed)));
    }
    let (deadline, promised) = match &decision {
        Decision::Accept { promised_date, .. } => (None, Some(*promised_date)),
        Decision::AcceptPending { supplements, promised_date, .. } => {
            (supplements.iter().map(|s| s.deadline).max(), Some(*promised_date))
        }
        _ => (None, None),
    };
    if let Some(want) = expected.supplement_deadline
        && deadline != Some(want)
    {
        out.push(format!("预期补正期限 {want}，规则得出 {}", show_date(deadline)));
    }
    if let Some(want) = expected.promised_date
        && promised != Some(want)
    {
        out.push(format!("预期承诺办结日期 {want}，规则得出 {}", show_date(promised)));
    }
    let invalid: BTreeSet<&str> = invalid_fields(drill).into_iter().map(|(k, _)| k).collect();
    let wanted: BTreeSet<&str> = expected.invalid_fields.iter().map(String::as_str).collect();
    if invalid != wanted {
        out.push(format!(
            "预期无效信息为 {:?}，校验得出 {:?}",
            wanted.iter().collect::<Vec<_>>(),
            invalid.iter().collect::<Vec<_>>()
        ));
    }
    out
}

fn show_date(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "（无）".to_string(), |d| d.to_string())
}
