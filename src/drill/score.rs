//! Scoring a drill: the trainee's finished case against the scenario. Decision 40, defects caught
//! 30, notices 10, time 10, keystrokes 10; every miss is listed with the KB's reason.

use serde::{Deserialize, Serialize};

use super::{kind_of, label, true_application};
use crate::intake::case::{Case, Field};
use crate::intake::rules::{MaterialState, applies};
use crate::intake::validate;
use crate::kb::Kb;
use crate::kb::drills::{Drill, DrillState};

/// A scored drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// 0–100.
    pub total: u32,
    /// Whether the decision was right.
    pub decision_right: bool,
    /// Problems caught / problems there were.
    pub caught: (u32, u32),
    /// Seconds from ticket to finish.
    pub seconds: i64,
    /// Keys pressed.
    pub keystrokes: u32,
    /// What was missed, each with the reason from the KB.
    pub missed: Vec<String>,
}

/// Time and keys a clerk needs for a drill of `materials` materials, for full marks.
fn budget(materials: usize) -> (i64, u32) {
    (10 * 60, 40 + 2 * materials as u32)
}

/// Scores the trainee's finished `case` on `drill`.
pub fn score(kb: &Kb, drill: &Drill, case: &Case, seconds: i64, keystrokes: u32) -> Score {
    let mut missed = Vec::new();
    let Some(item) = kb.item(&drill.item) else {
        return Score { total: 0, decision_right: false, caught: (0, 0), seconds, keystrokes, missed };
    };
    let truth = true_application(drill);
    let expected = drill.expect.decision;
    let given = case.decision.as_ref().map(kind_of);
    let decision_right = given == Some(expected);
    if !decision_right {
        missed.push(format!(
            "受理决定应为「{}」，实际为「{}」：{}",
            label(expected),
            given.map_or("未办结", label),
            drill.expect.explanation
        ));
    }
    // Every material that really has a problem (defective, or required and not brought) must be
    // marked as such; an acceptable one marked as a problem is a false alarm.
    let (mut problems, mut caught, mut false_alarms) = (0u32, 0u32, 0u32);
    for m in item.materials.iter().filter(|m| applies(m, &truth) && !m.shared_data) {
        let real = drill.materials.iter().find(|d| d.id == m.id);
        let marked = case.materials.get(&m.id);
        let marked_problem = matches!(marked, Some(MaterialState::Missing | MaterialState::Defect { .. }));
        match real.map(|d| (d.state, d.defect.as_deref())) {
            Some((DrillState::Ok, _)) => {
                if marked_problem {
                    false_alarms += 1;
                    missed.push(format!("「{}」合格，却被标记为有问题", m.name));
                }
            }
            Some((DrillState::Defect, defect)) => {
                problems += 1;
                if matches!(marked, Some(MaterialState::Defect { .. })) {
                    caught += 1;
                } else {
                    missed.push(format!(
                        "未发现「{}」的缺陷：{}。审查要点：{}",
                        m.name,
                        defect.unwrap_or(""),
                        m.checkpoints.join("；")
                    ));
                }
            }
            None => {
                problems += 1;
                if matches!(marked, Some(MaterialState::Missing)) {
                    caught += 1;
                } else {
                    missed.push(format!("申请人没有提交「{}」，应标记为缺少", m.name));
                }
            }
        }
    }
    for field in &drill.expect.invalid_fields {
        let (typed, value) = match field.as_str() {
            "id_number" => (case.field(Field::IdNumber), &drill.applicant.id_number),
            "agent_id_number" => (case.field(Field::AgentIdNumber), &drill.applicant.agent_id_number),
            _ => (case.field(Field::Phone), &drill.applicant.phone),
        };
        let today = drill.date;
        let still_invalid = match field.as_str() {
            "phone" => validate::mobile(value).is_err(),
            _ => validate::id_card(value, today).is_err(),
        };
        if still_invalid && typed != value.as_str() {
            missed.push(format!("应按证件录入号码 {value} 并发现校验不通过"));
        }
    }
    let decision_points = if decision_right { 40 } else { 0 };
    let defect_points = match problems {
        0 => 30,
        n => 30 * caught / n,
    }
    .saturating_sub(5 * false_alarms);
    let notice_points = if decision_right { 10 } else { 0 };
    let (time_budget, key_budget) = budget(item.materials.len());
    let time_points = if seconds <= time_budget {
        10
    } else {
        (10 - ((seconds - time_budget) * 10 / time_budget).min(10)) as u32
    };
    let key_points =
        if keystrokes <= key_budget { 10 } else { 10u32.saturating_sub((keystrokes - key_budget) / 5) };
    Score {
        total: decision_points + defect_points + notice_points + time_points + key_points,
        decision_right,
        caught: (caught, problems),
        seconds,
        keystrokes,
        missed,
    }
}
