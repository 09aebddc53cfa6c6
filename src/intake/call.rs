//! One-key call (一键呼叫, DESIGN §7): the clerk asks the back office of the item's department about
//! the case in front of the window. A call carries a snapshot of the case — item, checklist states
//! and defects, applicant masked — so the approver can answer without access to the desk.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::case::{ApplicantKind, Case, Field};
use super::rules::MaterialState;
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
    /// 合格 / 有缺陷 / 缺少 / 待核验.
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
    /// The snapshot of `case` on `item`.
    pub fn of(case: &Case, item: &Item) -> Self {
        let materials = item
            .materials
            .iter()
            .map(|m| {
                let (state, defect) = match case.materials.get(&m.id) {
                    Some(MaterialState::Ok) => ("合格", None),
                    Some(MaterialState::Defect { text }) => ("有缺陷", Some(text.clone())),
                    Some(MaterialState::Missing) => ("缺少", None),
                    Some(MaterialState::Committed) => ("以告知承诺替代", None),
                    None => ("待核验", None),
                };
                MaterialLine { name: m.name.clone(), state: state.into(), defect }
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
