//! One-key call (一键呼叫, DESIGN §7): the clerk asks the back office of the item's department about
//! the case in front of the window. A call carries a snapshot of the case — item, checklist states
//! and defects, applicant masked — so the approver can answer without access to the desk.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::case::{ApplicantKind, Case, Field};
use super::rules::{MaterialState, applies};
use super::validate::mask_name;
use crate::kb::Item;

/// Where a call stands. Raised calls wait in the outbox (待发送) until HQ has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// In the outbox, not yet at HQ (offline).
    #[default]
    Pending,
    /// At HQ, ringing at the department's approvers.
    Ringing,
    /// An approver took it.
    Answered,
    /// Closed with an answer.
    Resolved,
    /// Unanswered for too long; raised to a supervisor.
    Escalated,
}

impl CallState {
    /// The state's name on the wire and in HQ's store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ringing => "ringing",
            Self::Answered => "answered",
            Self::Resolved => "resolved",
            Self::Escalated => "escalated",
        }
    }

    /// The state for a stored name; `None` for a name this build does not know.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Ringing, Self::Answered, Self::Resolved, Self::Escalated]
            .into_iter()
            .find(|state| state.as_str() == s)
    }

    /// The state's name on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待发送",
            Self::Ringing => "振铃",
            Self::Answered => "已接听",
            Self::Resolved => "已解决",
            Self::Escalated => "已升级",
        }
    }
}

/// One material as the approver sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialLine {
    /// Material name.
    pub name: String,
    /// 合格 / 有缺陷 / 缺少 / 以告知承诺替代 / 数据共享 / 情形未答 / 待核验.
    pub state: String,
    /// The defect, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defect: Option<String>,
}

/// What the approver sees of the case: no full name, no ID number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CallSnapshot {
    /// Item code.
    pub item_code: String,
    /// Item name.
    pub item_name: String,
    /// Department group the call is routed to (市场监管 …).
    pub department: String,
    /// Applicant, masked (`张*`) or the organisation's name.
    pub applicant: String,
    /// Checklist states.
    pub materials: Vec<MaterialLine>,
    /// Situations that hold (labels).
    pub situations: Vec<String>,
}

impl CallSnapshot {
    /// The snapshot of `case` on `item`. Only the materials that apply are listed: a conditional
    /// material whose situation was answered 否 is left out (it is not waiting to be checked), one
    /// whose situation is still unanswered shows 情形未答; a material the window fetches through
    /// data sharing and has not marked shows 数据共享.
    pub fn of(case: &Case, item: &Item) -> Self {
        let app = case.application(item, Default::default());
        let materials = item
            .materials
            .iter()
            .filter_map(|m| {
                let open_situation = || {
                    m.when.as_deref().is_some_and(|when| {
                        item.situations.iter().any(|s| s.id == when)
                            && crate::kb::conditions::answer(item, &app.answers, when).is_none()
                    })
                };
                let (state, defect) = match case.materials.get(&m.id) {
                    _ if !applies(item, m, &app) && !open_situation() => return None,
                    Some(MaterialState::Ok) => ("合格", None),
                    Some(MaterialState::Defect { text }) => ("有缺陷", Some(text.clone())),
                    Some(MaterialState::Missing) => ("缺少", None),
                    Some(MaterialState::Committed) => ("以告知承诺替代", None),
                    None if !applies(item, m, &app) => ("情形未答", None),
                    None if m.shared_data => ("数据共享", None),
                    None => ("待核验", None),
                };
                Some(MaterialLine { name: m.name.clone(), state: state.into(), defect })
            })
            .collect();
        let name = case.field(Field::ApplicantName);
        let applicant = match case.applicant_kind {
            ApplicantKind::Person => mask_name(name),
            ApplicantKind::Organisation => name.to_string(),
            // The back office must see that the company does not exist yet (no credit code).
            ApplicantKind::ProposedOrganisation => format!("{name}（拟设立）"),
        };
        Self {
            item_code: item.code.clone(),
            item_name: item.name.clone(),
            department: item.department_group.clone(),
            applicant,
            materials,
            situations: item
                .situations
                .iter()
                .filter(|s| case.holds(&s.id))
                .map(|s| s.label.clone())
                .collect(),
        }
    }
}

/// One answer in a call's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// Who answered (approver's name or id).
    pub by: String,
    /// The answer.
    pub text: String,
    /// When.
    #[serde(with = "crate::time::serde_utc")]
    pub at: DateTime<Utc>,
}

/// A call and its history, folded from case events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Client-made id.
    pub id: String,
    /// The clerk's question (may be empty: "please look at this case").
    pub question: String,
    /// The case as it was when the call was raised.
    pub snapshot: CallSnapshot,
    /// Current state.
    pub state: CallState,
    /// When it was raised.
    #[serde(with = "crate::time::serde_hall")]
    pub raised_at: DateTime<Utc>,
    /// Answers, in order.
    pub replies: Vec<Reply>,
}

impl Call {
    /// Seconds the call has waited for its first answer (or waited until it).
    pub fn waiting(&self, now: DateTime<Utc>) -> i64 {
        let end = self.replies.first().map_or(now, |r| r.at);
        (end - self.raised_at).num_seconds().max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::case::CaseEvent;

    #[test]
    fn the_snapshot_lists_only_the_materials_that_apply() {
        let kb = crate::kb::Kb::embedded().unwrap();
        let item = kb.item("00013112700401").unwrap();
        let at = crate::time::parse_hall("2026-11-30 09:00").unwrap();
        let mut case = Case::from_events(&[
            CaseEvent::Started { at },
            CaseEvent::ItemChosen { code: item.code.clone(), kb_version: "1".into() },
            CaseEvent::SituationSet { id: "agent".into(), holds: false },
            CaseEvent::MaterialMarked { id: "application_form".into(), state: Some(MaterialState::Ok) },
        ]);
        let names = |case: &Case| -> Vec<(String, String)> {
            CallSnapshot::of(case, item).materials.into_iter().map(|m| (m.name, m.state)).collect()
        };
        let lines = names(&case);
        // 委托代理人办理 was answered 否: the letter of authorisation is not waiting to be checked.
        assert!(!lines.iter().any(|(n, _)| n.contains("授权委托书")), "{lines:?}");
        assert!(lines.contains(&("公司登记（备案）申请书".into(), "合格".into())), "{lines:?}");
        assert!(lines.contains(&("公司章程".into(), "待核验".into())), "{lines:?}");
        let prior = item.materials.iter().find(|m| m.when.as_deref() == Some("prior_approval")).unwrap();
        assert!(lines.contains(&(prior.name.clone(), "情形未答".into())), "{lines:?}");

        case.apply(&CaseEvent::SituationSet { id: "prior_approval".into(), holds: false });
        case.apply(&CaseEvent::SituationSet { id: "agent".into(), holds: true });
        let lines = names(&case);
        assert!(!lines.iter().any(|(n, _)| *n == prior.name), "{lines:?}");
        assert!(lines.iter().any(|(n, s)| n.contains("授权委托书") && s == "待核验"), "{lines:?}");
    }
}
