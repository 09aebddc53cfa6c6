//! The back office's decision on an accepted case (后台分类审批), made in the approver's console and
//! carried back to the window by sync: 准予 → handover, 不予 → notice with reason and legal basis,
//! 退回补正 → the case reopens and a 一次性告知书 for the named materials can be printed.

use serde::{Deserialize, Serialize};

/// What an approver decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalDecision {
    /// 准予: the result is issued.
    Approve,
    /// 不予: refused, with reason and legal basis.
    Refuse {
        /// Why.
        reason: String,
        /// The legal basis cited.
        basis: String,
    },
    /// 退回补正: the named materials must be corrected.
    RequestCorrection {
        /// Material names.
        materials: Vec<String>,
        /// What is required.
        note: String,
    },
}

impl ApprovalDecision {
    /// The label of a request for correction: the one decision after which a case can be
    /// decided again.
    pub const CORRECTION_LABEL: &'static str = "退回补正";

    /// The decision's name, as stored with the decision and shown in lists.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Approve => "准予",
            Self::Refuse { .. } => "不予",
            Self::RequestCorrection { .. } => Self::CORRECTION_LABEL,
        }
    }

    /// Whether the decision is complete enough to send (reasons and materials are required).
    pub fn problem(&self) -> Option<&'static str> {
        match self {
            Self::Approve => None,
            Self::Refuse { reason, .. } if reason.trim().is_empty() => Some("不予许可须写明理由"),
            Self::Refuse { basis, .. } if basis.trim().is_empty() => Some("不予许可须写明法律依据"),
            Self::Refuse { .. } => None,
            Self::RequestCorrection { materials, .. } if materials.is_empty() => {
                Some("退回补正须选择至少一项材料")
            }
            Self::RequestCorrection { .. } => None,
        }
    }
}
