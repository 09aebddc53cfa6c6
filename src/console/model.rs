//! What the approver's console shows and asks for: calls waiting or owned, the department's queue
//! of accepted cases, and the commands that go to HQ.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::intake::approval::ApprovalDecision;
use crate::intake::call::{CallSnapshot, CallState, MaterialLine, Reply};

/// A call as the console sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallItem {
    /// Call id (made by the desk).
    pub id: String,
    /// The desk's case id.
    pub case_id: String,
    /// Center and window that called, e.g. `HRBDL-05`.
    pub window: String,
    /// The clerk's question.
    pub question: String,
    /// The case when the call was raised.
    pub snapshot: CallSnapshot,
    /// Current state.
    pub state: CallState,
    /// When the desk raised it.
    #[serde(with = "crate::time::serde_utc")]
    pub raised_at: DateTime<Utc>,
    /// The approver who took it.
    #[serde(default)]
    pub owner: Option<String>,
    /// Answers so far.
    #[serde(default)]
    pub replies: Vec<Reply>,
}

impl CallItem {
    /// Seconds the call has waited for its first answer.
    pub fn waiting(&self, now: DateTime<Utc>) -> i64 {
        let end = self.replies.first().map_or(now, |r| r.at);
        (end - self.raised_at).num_seconds().max(0)
    }
}

/// An accepted case waiting for the department's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCase {
    /// The desk's case id.
    pub case_id: String,
    /// Case number.
    pub number: String,
    /// Item name.
    pub item_name: String,
    /// Applicant, masked.
    pub applicant: String,
    /// 受理 or 容缺受理.
    pub intake_decision: String,
    /// When intake finished.
    #[serde(with = "crate::time::serde_hall")]
    pub accepted_at: DateTime<Utc>,
    /// Materials as checked at the window.
    pub materials: Vec<MaterialLine>,
    /// Checkpoints per material, from the KB (for review).
    #[serde(default)]
    pub checkpoints: Vec<(String, Vec<String>)>,
    /// The clerk's notes (questions asked in calls, defects recorded).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Legal basis of the item, offered when refusing.
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// A sub-case of a bundle (一件事): the bundle's name and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    /// Why it cannot be decided yet: the earlier items of its bundle still undecided (empty when
    /// it can be decided now).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_for: Vec<String>,
}

/// How far back the supervisor's list of exceptions reaches (HQ serves today's and the days
/// before).
pub const EXCEPTION_DAYS: i64 = 7;

/// An exception a supervisor approved at one of the center's windows (issue #12), as the
/// supervisor's console lists them: what, on which case, who asked and who approved, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionItem {
    /// The desk's case id.
    pub case_id: String,
    /// Case number, once the case is finished.
    #[serde(default)]
    pub number: Option<String>,
    /// Item name (or code when HQ's KB lacks it).
    pub item_name: String,
    /// The exception's fixed code (`refusal`, `termination`, `conditional_lenient`,
    /// `credit_code_warning`).
    pub kind: String,
    /// Its name on screen (不予受理 …).
    pub label: String,
    /// The value approved: the credit code, the refusal's reason and basis, the conditional
    /// materials, the case number and rule terminated.
    pub value: String,
    /// Center and window, e.g. `HRBDL-05`.
    pub window: String,
    /// The clerk signed in at the window when it was approved.
    #[serde(default)]
    pub clerk: Option<String>,
    /// The supervisor who entered their PIN.
    pub supervisor: String,
    /// When the supervisor approved it (the desk's clock).
    #[serde(with = "crate::time::serde_utc")]
    pub at: DateTime<Utc>,
}

/// What the console asks HQ to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleCmd {
    /// Leave the console.
    Quit,
    /// Take a ringing call (the first approver to take it owns it).
    Take {
        /// The call.
        call_id: String,
    },
    /// Answer a call.
    Answer {
        /// The call.
        call_id: String,
        /// The answer.
        text: String,
    },
    /// Close a call as resolved.
    Resolve {
        /// The call.
        call_id: String,
    },
    /// Decide a case.
    Decide {
        /// The case.
        case_id: String,
        /// The decision.
        decision: ApprovalDecision,
    },
}

/// Answers approvers give most often, one key each.
pub const CANNED_ANSWERS: [&str; 5] = [
    "可以受理，请按正常流程办理。",
    "符合容缺条件，请与申请人签署容缺受理承诺书后受理。",
    "材料不符合要求，请一次性告知申请人需补正的全部材料。",
    "不属于本部门职责或不符合受理条件，请出具不予受理通知书。",
    "请稍候，正在核实，几分钟内答复。",
];
