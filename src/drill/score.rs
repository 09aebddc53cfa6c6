//! Scoring a drill: the trainee's finished case against the scenario's answer key, with the
//! scenario's weights (decision, deficient materials, invalid numbers, time). The notices are
//! checked against the answer key (materials listed, dates) and cost part of the decision's points
//! when wrong; keystrokes are recorded beside the score. Every miss is listed with the reason the
//! KB gives (checkpoints, typical defect, the scenario's explanation).

use serde::{Deserialize, Serialize};

use crate::intake::Decision;
use crate::intake::case::{Case, Field};
use crate::intake::rules::MaterialState;
use crate::kb::Kb;
use crate::kb::drills::Drill;

/// A scored drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// 0–100.
    pub total: u32,
    /// Whether the decision was right.
    pub decision_right: bool,
    /// Deficient materials caught / deficient materials there were.
    pub caught: (u32, u32),
    /// Seconds from ticket to finish.
    pub seconds: i64,
    /// Whether the notices the case prints are the ones the answer key wants: their kinds
    /// (from the decision), the materials they list, and their dates.
    #[serde(default)]
    pub notices_right: bool,
    /// Keys pressed.
    pub keystrokes: u32,
    /// What was missed, each with the reason from the KB.
    pub missed: Vec<String>,
}

/// The share `part / whole` of `weight` points (all of it when there is nothing to find).
fn share(weight: u8, part: u32, whole: u32) -> u32 {
    (u32::from(weight) * part).checked_div(whole).unwrap_or(u32::from(weight))
}

/// Scores the trainee's finished `case` on `drill`.
pub fn score(kb: &Kb, drill: &Drill, case: &Case, seconds: i64, keystrokes: u32) -> Score {
    let weights = drill.scoring;
    let mut missed = Vec::new();
    let expected = drill.expected.decision;
    let decision_right = case.decision.as_ref().is_some_and(|d| super::verify::matches(expected, d));
    if !decision_right {
        let given = case.decision.as_ref().map_or("未办结", |d| d.label());
        let why = drill.expected.explanation.as_deref().unwrap_or("");
        missed.push(format!("受理决定应为「{}」，实际为「{given}」。{why}", expected.label()));
    }
    let item = kb.item(&drill.item);
    let name = |id: &str| -> String {
        item.and_then(|i| i.materials.iter().find(|m| m.id == id))
            .map_or_else(|| id.to_string(), |m| m.name.clone())
    };
    // Every deficient material must be marked as a problem; an acceptable one marked is a false alarm.
    let mut caught = 0u32;
    for id in &drill.expected.deficient {
        let real = drill.materials.iter().find(|m| &m.id == id);
        let marked = case.materials.get(id);
        let ok = match real.map(|m| &m.state) {
            Some(MaterialState::Defect { .. }) => matches!(marked, Some(MaterialState::Defect { .. })),
            _ => matches!(marked, Some(MaterialState::Missing)),
        };
        if ok {
            caught += 1;
            continue;
        }
        let material = item.and_then(|i| i.materials.iter().find(|m| &m.id == id));
        let standard = material.map(|m| m.checkpoints.join("；")).unwrap_or_default();
        match real.and_then(|m| m.defect.as_deref()) {
            Some(defect) => {
                missed.push(format!("未发现「{}」的缺陷：{defect}。审查要点：{standard}", name(id)))
            }
            None => {
                missed.push(format!("「{}」申请人没有提交，应标记为缺少。审查要点：{standard}", name(id)))
            }
        }
    }
    let mut false_alarms = 0u32;
    for m in drill.materials.iter().filter(|m| m.state == MaterialState::Ok) {
        if matches!(case.materials.get(&m.id), Some(MaterialState::Missing | MaterialState::Defect { .. })) {
            false_alarms += 1;
            missed.push(format!("「{}」合格，却被标记为有问题", name(&m.id)));
        }
    }
    // Invalid numbers: the trainee typed what the document shows (so the desk flagged it at the
    // field), neither "corrected" it nor accepted the case on it.
    let invalid = super::verify::invalid_fields(drill);
    let mut found = 0u32;
    for (key, problem) in &invalid {
        let shown = drill.field_value(key).unwrap_or("");
        let typed = case_field(key).map_or("", |f| case.field(f));
        if !typed.eq_ignore_ascii_case(shown) {
            missed.push(format!("{key} 应照证件录入 {shown}（录入的是「{typed}」），由系统校验发现问题"));
        } else if !decision_right || matches!(case.decision, Some(Decision::Accept { .. })) {
            missed.push(format!(
                "{key} 的号码 {} 校验不通过（{problem}），不能据此受理",
                drill.field_value(key).unwrap_or("")
            ));
        } else {
            found += 1;
        }
    }
    let notices_right = decision_right && notices_match(drill, case, &name, &mut missed);
    let deficient = drill.expected.deficient.len() as u32;
    let limit = i64::from(drill.minutes.unwrap_or(10)) * 60;
    let time_points = if seconds <= limit {
        u32::from(weights.time)
    } else {
        let over = ((seconds - limit) * i64::from(weights.time) / limit).min(i64::from(weights.time));
        u32::from(weights.time) - over as u32
    };
    if seconds > limit {
        missed.push(format!("用时 {} 分钟，超过 {} 分钟", seconds / 60, limit / 60));
    }
    // Wrong notices cost a fifth of the decision's points: the applicant would carry them home.
    let decision_points = match (decision_right, notices_right) {
        (false, _) => 0,
        (true, true) => u32::from(weights.decision),
        (true, false) => u32::from(weights.decision) * 4 / 5,
    };
    let total = decision_points
        + share(weights.deficient, caught, deficient).saturating_sub(5 * false_alarms)
        + share(weights.fields, found, invalid.len() as u32)
        + time_points;
    Score {
        total: total.min(100),
        decision_right,
        caught: (caught, deficient),
        seconds,
        notices_right,
        keystrokes,
        missed,
    }
}

/// The case field an answer key's field name stands for.
fn case_field(key: &str) -> Option<Field> {
    Some(match key {
        "applicant.id_number" => Field::IdNumber,
        "applicant.credit_code" => Field::CreditCode,
        "applicant.phone" => Field::Phone,
        "agent.id_number" => Field::AgentIdNumber,
        "agent.phone" => Field::AgentPhone,
        _ => return None,
    })
}

/// Whether the notices of a rightly decided case list exactly the answer key's materials, with
/// its dates; each difference goes to `missed`.
fn notices_match(
    drill: &Drill,
    case: &Case,
    name: &dyn Fn(&str) -> String,
    missed: &mut Vec<String>,
) -> bool {
    let (listed, deadline, promised): (Vec<&str>, _, _) = match &case.decision {
        Some(Decision::AcceptPending { supplements, promised_date, .. }) => (
            supplements.iter().map(|s| s.deficiency.material.as_str()).collect(),
            supplements.iter().map(|s| s.deadline).max(),
            Some(*promised_date),
        ),
        Some(Decision::NoticeOfDeficiency { deficiencies, .. }) => {
            (deficiencies.iter().map(|d| d.material.as_str()).collect(), None, None)
        }
        Some(Decision::Accept { promised_date, .. }) => (Vec::new(), None, Some(*promised_date)),
        _ => (Vec::new(), None, None),
    };
    let expected = &drill.expected;
    let mut right = true;
    let lists_materials =
        matches!(case.decision, Some(Decision::AcceptPending { .. } | Decision::NoticeOfDeficiency { .. }));
    if lists_materials {
        let extra: Vec<String> = listed
            .iter()
            .filter(|id| !expected.deficient.iter().any(|e| e == *id))
            .map(|id| name(id))
            .collect();
        let absent: Vec<String> =
            expected.deficient.iter().filter(|e| !listed.contains(&e.as_str())).map(|id| name(id)).collect();
        if !extra.is_empty() || !absent.is_empty() {
            right = false;
            let mut wrong = Vec::new();
            if !absent.is_empty() {
                wrong.push(format!("漏列「{}」", absent.join("、")));
            }
            if !extra.is_empty() {
                wrong.push(format!("多列「{}」", extra.join("、")));
            }
            missed.push(format!("通知书所列材料不对：{}", wrong.join("，")));
        }
    }
    if let (Some(want), Some(got)) = (expected.supplement_deadline, deadline)
        && want != got
    {
        right = false;
        missed.push(format!("承诺书的补正期限应为 {want}，实为 {got}"));
    }
    if let (Some(want), Some(got)) = (expected.promised_date, promised)
        && want != got
    {
        right = false;
        missed.push(format!("受理通知书的承诺办结日期应为 {want}，实为 {got}"));
    }
    right
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::case::CaseEvent;

    /// The trainee's case for `drill`: every material marked as the answer key has it, `id`
    /// typed as the ID number, decided by the rules.
    fn worked(kb: &Kb, drill: &Drill, id: &str) -> Case {
        let item = kb.item(&drill.item).expect("item");
        let app = crate::drill::verify::application(drill);
        let decision = crate::intake::decide(item, &app, drill.date, &kb.calendar)
            .into_decision()
            .expect("the drill answers every situation");
        let at = drill.date.and_hms_opt(9, 0, 0).map(crate::time::from_hall_local).expect("time");
        let mut events = vec![CaseEvent::ItemChosen { code: drill.item.clone(), kb_version: "t".into() }];
        events.extend(
            app.states.into_iter().map(|(id, state)| CaseEvent::MaterialMarked { id, state: Some(state) }),
        );
        events.push(CaseEvent::FieldSet { field: Field::IdNumber, value: id.into() });
        events.push(CaseEvent::Finished { number: "T-1".into(), decision, at });
        Case::from_events(&events)
    }

    #[test]
    fn an_invalid_number_counts_as_noticed_only_when_typed_as_the_document_shows_it() {
        let kb = Kb::embedded().expect("kb");
        let drill = kb.drill("individual_invalid_id").expect("drill");
        let shown = drill.field_value("applicant.id_number").expect("id");
        let right = score(&kb, drill, &worked(&kb, drill, shown), 60, 30);
        assert_eq!(right.total, 100, "{:?}", right.missed);
        assert!(right.notices_right);
        let corrected = score(&kb, drill, &worked(&kb, drill, "230102200106063593"), 60, 30);
        assert!(corrected.total < 100);
        assert!(corrected.missed.iter().any(|m| m.contains("应照证件录入")), "{:?}", corrected.missed);
    }
}
