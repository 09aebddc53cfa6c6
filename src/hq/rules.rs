//! The case's and the call's state machines, in one place above every storage backend: which
//! back-office decision (准予 / 不予 / 退回补正) a case can take in which state, and what may happen
//! to a one-key call in which state. HQ's store only gathers the facts ([`CaseFacts`], a call's
//! [`CallState`] and owner) and asks here; the desk asks again before it lists a result for
//! handover (`src/store/handover.rs`), so a decision HQ should have refused never reaches F4.
//!
//! Pure functions over plain data: no database, no clock.

use crate::intake::approval::ApprovalDecision;
use crate::intake::call::CallState;
use crate::intake::rules::Decision;

/// How intake at the window ended, as far as the back office is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeOutcome {
    /// 受理.
    Accepted,
    /// 容缺受理.
    AcceptedPending,
    /// 一次性告知: nothing was accepted, the applicant comes back.
    NoticeGiven,
    /// 不予受理.
    Refused,
}

impl IntakeOutcome {
    /// The outcome of an intake decision.
    pub fn of(decision: &Decision) -> Self {
        match decision {
            Decision::Accept { .. } => Self::Accepted,
            Decision::AcceptPending { .. } => Self::AcceptedPending,
            Decision::NoticeOfDeficiency { .. } => Self::NoticeGiven,
            Decision::Reject { .. } => Self::Refused,
        }
    }

    /// The outcome for a stored decision label (`受理` …); `None` for an unknown label.
    pub fn from_label(label: &str) -> Option<Self> {
        match label {
            "受理" => Some(Self::Accepted),
            "容缺受理" => Some(Self::AcceptedPending),
            "一次性告知" => Some(Self::NoticeGiven),
            "不予受理" => Some(Self::Refused),
            _ => None,
        }
    }
}

/// A back-office decision's kind, without its reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    /// 准予.
    Approve,
    /// 不予.
    Refuse,
    /// 退回补正.
    RequestCorrection,
}

impl DecisionKind {
    /// The kind of a decision.
    pub fn of(decision: &ApprovalDecision) -> Self {
        match decision {
            ApprovalDecision::Approve => Self::Approve,
            ApprovalDecision::Refuse { .. } => Self::Refuse,
            ApprovalDecision::RequestCorrection { .. } => Self::RequestCorrection,
        }
    }

    /// The kind for a stored label (`准予` …).
    pub fn from_label(label: &str) -> Option<Self> {
        match label {
            "准予" => Some(Self::Approve),
            "不予" => Some(Self::Refuse),
            ApprovalDecision::CORRECTION_LABEL => Some(Self::RequestCorrection),
            _ => None,
        }
    }

    /// The label as stored and shown.
    pub fn label(self) -> &'static str {
        match self {
            Self::Approve => "准予",
            Self::Refuse => "不予",
            Self::RequestCorrection => ApprovalDecision::CORRECTION_LABEL,
        }
    }
}

/// What is known of a case when a decision arrives; each backend (and the desk) fills it from its
/// own records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CaseFacts {
    /// How intake ended; `None` while the window has not finished it.
    pub intake: Option<IntakeOutcome>,
    /// The window closed the case (missed 容缺 deadline) or it was otherwise terminated.
    pub terminated: bool,
    /// The newest back-office decision already recorded.
    pub last_decision: Option<DecisionKind>,
    /// The window recorded the corrections since the newest 退回补正.
    pub corrected_since: bool,
}

/// Where a case stands for the back office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStage {
    /// Intake is still going on at the window.
    AtWindow,
    /// The window refused it (不予受理): there is nothing to approve.
    RefusedAtWindow,
    /// The window gave a 一次性告知: nothing was accepted.
    NoticeGiven,
    /// Terminated: nothing may happen to it any more.
    Terminated,
    /// Accepted and waiting for the back office (also after a recorded correction).
    AwaitingDecision,
    /// Sent back (退回补正); the window has not recorded the correction yet.
    AwaitingCorrection,
    /// Decided for good (准予 or 不予).
    Decided(DecisionKind),
}

impl CaseStage {
    /// The stage the facts put a case in.
    pub fn of(facts: &CaseFacts) -> Self {
        if facts.terminated {
            return Self::Terminated;
        }
        match facts.intake {
            None => Self::AtWindow,
            Some(IntakeOutcome::Refused) => Self::RefusedAtWindow,
            Some(IntakeOutcome::NoticeGiven) => Self::NoticeGiven,
            Some(IntakeOutcome::Accepted | IntakeOutcome::AcceptedPending) => match facts.last_decision {
                None => Self::AwaitingDecision,
                Some(DecisionKind::RequestCorrection) if facts.corrected_since => Self::AwaitingDecision,
                Some(DecisionKind::RequestCorrection) => Self::AwaitingCorrection,
                Some(kind) => Self::Decided(kind),
            },
        }
    }

    /// Whether the back office may decide `decision` in this stage; the refusal says why.
    ///
    /// While a case waits for its correction only 不予 is allowed (the applicant never came back
    /// with the materials); 准予 needs the correction recorded first.
    pub fn may_decide(self, decision: DecisionKind) -> Result<(), Refusal> {
        match (self, decision) {
            (Self::AwaitingDecision, _) => Ok(()),
            (Self::AwaitingCorrection, DecisionKind::Refuse) => Ok(()),
            (Self::AwaitingCorrection, _) => Err(Refusal::AwaitingCorrection),
            (Self::AtWindow, _) => Err(Refusal::NotFinished),
            (Self::RefusedAtWindow, _) => Err(Refusal::RefusedAtWindow),
            (Self::NoticeGiven, _) => Err(Refusal::NoticeGiven),
            (Self::Terminated, _) => Err(Refusal::Terminated),
            (Self::Decided(kind), _) => Err(Refusal::AlreadyDecided(kind)),
        }
    }

    /// Whether the window may take back the correction it recorded after a 退回补正 (the clerk
    /// undid the supplement before leaving the case): only while the back office has not decided
    /// since. A correction that is open already stays open (a repeat changes nothing).
    pub fn may_reopen_correction(facts: &CaseFacts) -> Result<(), Refusal> {
        match Self::of(facts) {
            Self::AwaitingDecision | Self::AwaitingCorrection
                if facts.last_decision == Some(DecisionKind::RequestCorrection) =>
            {
                Ok(())
            }
            Self::Terminated => Err(Refusal::Terminated),
            Self::Decided(kind) => Err(Refusal::AlreadyDecided(kind)),
            _ => Err(Refusal::NoCorrection),
        }
    }

    /// Whether calls about the case may still be answered: not once it is terminated.
    pub fn may_answer_calls(self) -> Result<(), Refusal> {
        match self {
            Self::Terminated => Err(Refusal::Terminated),
            _ => Ok(()),
        }
    }
}

/// Why the state machine refused; HQ answers it as a conflict with [`Refusal::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The window has not finished intake.
    NotFinished,
    /// The window refused the case (不予受理).
    RefusedAtWindow,
    /// The window gave a 一次性告知.
    NoticeGiven,
    /// The case is terminated.
    Terminated,
    /// A 准予 or 不予 stands.
    AlreadyDecided(DecisionKind),
    /// 退回补正 with no correction recorded since.
    AwaitingCorrection,
    /// The window took back a correction on a case the back office never sent back.
    NoCorrection,
    /// The call is closed.
    CallResolved,
    /// Another approver took the call.
    CallTakenByOther,
}

impl Refusal {
    /// A stable machine code for the wire and the audit.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotFinished => "case_not_finished",
            Self::RefusedAtWindow => "case_refused_at_window",
            Self::NoticeGiven => "case_notice_given",
            Self::Terminated => "case_terminated",
            Self::AlreadyDecided(_) => "case_already_decided",
            Self::AwaitingCorrection => "case_awaiting_correction",
            Self::NoCorrection => "case_no_correction",
            Self::CallResolved => "call_resolved",
            Self::CallTakenByOther => "call_taken",
        }
    }

    /// The reason for people, naming the case (its number or id).
    pub fn message(self, case: &str) -> String {
        match self {
            Self::NotFinished => format!("案件 {case} 尚未在窗口办结受理，不能作出审批决定"),
            Self::RefusedAtWindow => format!("案件 {case} 窗口已不予受理，不能作出审批决定"),
            Self::NoticeGiven => format!("案件 {case} 窗口已出具一次性告知书、未受理，不能作出审批决定"),
            Self::Terminated => format!("案件 {case} 已终止，不能再处理"),
            Self::AlreadyDecided(kind) => format!("案件 {case} 已作出「{}」决定，不能再次决定", kind.label()),
            Self::AwaitingCorrection => {
                format!("案件 {case} 已退回补正，窗口尚未登记补正材料，不能准予或再次退回")
            }
            Self::NoCorrection => format!("案件 {case} 未被退回补正，没有可撤销的补正登记"),
            Self::CallResolved => format!("呼叫 {case} 已解决，不能再答复"),
            Self::CallTakenByOther => format!("呼叫 {case} 已由其他审批人员接听"),
        }
    }
}

/// A call as the rules see it: its state and who owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFacts {
    /// Current state.
    pub state: CallState,
    /// The device that took it, if any.
    pub owner: Option<String>,
}

/// What taking a call does, decided before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakeStep {
    /// Take it: it becomes answered and this device owns it.
    Take,
    /// This device owns it already (a repeated request).
    AlreadyYours,
    /// Another device owns it.
    TakenByOther,
    /// The call is closed.
    Closed,
}

/// Whether `device` may take the call.
pub fn take(call: &CallFacts, device: &str) -> TakeStep {
    match (call.state, call.owner.as_deref()) {
        (CallState::Resolved, _) => TakeStep::Closed,
        (_, Some(owner)) if owner == device => TakeStep::AlreadyYours,
        (_, Some(_)) => TakeStep::TakenByOther,
        (CallState::Pending | CallState::Ringing | CallState::Escalated | CallState::Answered, None) => {
            TakeStep::Take
        }
    }
}

/// Whether `device` may answer the call (a supervisor may answer a call another approver owns).
pub fn may_reply(call: &CallFacts, device: &str, supervisor: bool) -> Result<(), Refusal> {
    if call.state == CallState::Resolved {
        return Err(Refusal::CallResolved);
    }
    match call.owner.as_deref() {
        Some(owner) if owner != device && !supervisor => Err(Refusal::CallTakenByOther),
        _ => Ok(()),
    }
}

/// What resolving a call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolveStep {
    /// Close it now.
    Resolve,
    /// It is closed already: the repeat succeeds without a change (resolve is idempotent).
    AlreadyResolved,
    /// Only its owner or a supervisor may close it.
    NotYours,
}

/// Whether `device` may resolve the call.
pub fn resolve(call: &CallFacts, device: &str, supervisor: bool) -> ResolveStep {
    if call.state == CallState::Resolved {
        return ResolveStep::AlreadyResolved;
    }
    if supervisor || call.owner.as_deref() == Some(device) {
        ResolveStep::Resolve
    } else {
        ResolveStep::NotYours
    }
}

/// The state a reply leaves the call in.
pub fn after_reply(resolve: bool) -> CallState {
    if resolve { CallState::Resolved } else { CallState::Answered }
}

/// Whether a ringing call may escalate to supervisors: only while nobody took it.
pub fn may_escalate(call: &CallFacts) -> bool {
    call.state == CallState::Ringing && call.owner.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted() -> CaseFacts {
        CaseFacts { intake: Some(IntakeOutcome::Accepted), ..CaseFacts::default() }
    }

    #[test]
    fn an_accepted_case_takes_any_decision() {
        for kind in [DecisionKind::Approve, DecisionKind::Refuse, DecisionKind::RequestCorrection] {
            assert_eq!(CaseStage::of(&accepted()).may_decide(kind), Ok(()));
        }
        let pending = CaseFacts { intake: Some(IntakeOutcome::AcceptedPending), ..CaseFacts::default() };
        assert_eq!(CaseStage::of(&pending).may_decide(DecisionKind::Approve), Ok(()));
    }

    #[test]
    fn the_window_refused_or_gave_notice_nothing_to_approve() {
        let refused = CaseFacts { intake: Some(IntakeOutcome::Refused), ..CaseFacts::default() };
        assert_eq!(CaseStage::of(&refused).may_decide(DecisionKind::Approve), Err(Refusal::RefusedAtWindow));
        let notice = CaseFacts { intake: Some(IntakeOutcome::NoticeGiven), ..CaseFacts::default() };
        assert_eq!(CaseStage::of(&notice).may_decide(DecisionKind::Approve), Err(Refusal::NoticeGiven));
        assert_eq!(
            CaseStage::of(&CaseFacts::default()).may_decide(DecisionKind::Refuse),
            Err(Refusal::NotFinished)
        );
    }

    #[test]
    fn approve_after_correction_requested_needs_the_correction() {
        let sent_back = CaseFacts { last_decision: Some(DecisionKind::RequestCorrection), ..accepted() };
        assert_eq!(
            CaseStage::of(&sent_back).may_decide(DecisionKind::Approve),
            Err(Refusal::AwaitingCorrection)
        );
        assert_eq!(
            CaseStage::of(&sent_back).may_decide(DecisionKind::RequestCorrection),
            Err(Refusal::AwaitingCorrection)
        );
        assert_eq!(CaseStage::of(&sent_back).may_decide(DecisionKind::Refuse), Ok(()));
        let corrected = CaseFacts { corrected_since: true, ..sent_back };
        assert_eq!(CaseStage::of(&corrected).may_decide(DecisionKind::Approve), Ok(()));
    }

    #[test]
    fn a_recorded_correction_can_be_taken_back_only_before_the_back_office_decides() {
        let sent_back = CaseFacts { last_decision: Some(DecisionKind::RequestCorrection), ..accepted() };
        let corrected = CaseFacts { corrected_since: true, ..sent_back };
        assert_eq!(CaseStage::may_reopen_correction(&corrected), Ok(()));
        assert_eq!(CaseStage::may_reopen_correction(&sent_back), Ok(()), "a repeat changes nothing");
        let approved = CaseFacts { last_decision: Some(DecisionKind::Approve), ..corrected };
        assert_eq!(
            CaseStage::may_reopen_correction(&approved),
            Err(Refusal::AlreadyDecided(DecisionKind::Approve))
        );
        assert_eq!(CaseStage::may_reopen_correction(&accepted()), Err(Refusal::NoCorrection));
        let ended = CaseFacts { terminated: true, ..corrected };
        assert_eq!(CaseStage::may_reopen_correction(&ended), Err(Refusal::Terminated));
    }

    #[test]
    fn a_terminated_or_decided_case_takes_nothing() {
        let ended = CaseFacts { terminated: true, ..accepted() };
        for kind in [DecisionKind::Approve, DecisionKind::Refuse, DecisionKind::RequestCorrection] {
            assert_eq!(CaseStage::of(&ended).may_decide(kind), Err(Refusal::Terminated));
        }
        assert_eq!(CaseStage::of(&ended).may_answer_calls(), Err(Refusal::Terminated));
        let approved = CaseFacts { last_decision: Some(DecisionKind::Approve), ..accepted() };
        assert_eq!(
            CaseStage::of(&approved).may_decide(DecisionKind::Refuse),
            Err(Refusal::AlreadyDecided(DecisionKind::Approve))
        );
    }

    #[test]
    fn calls_are_taken_once_answered_by_their_owner_and_resolved_idempotently() {
        let ringing = CallFacts { state: CallState::Ringing, owner: None };
        assert_eq!(take(&ringing, "a"), TakeStep::Take);
        let taken = CallFacts { state: CallState::Answered, owner: Some("a".into()) };
        assert_eq!(take(&taken, "a"), TakeStep::AlreadyYours);
        assert_eq!(take(&taken, "b"), TakeStep::TakenByOther);
        assert_eq!(may_reply(&taken, "b", false), Err(Refusal::CallTakenByOther));
        assert_eq!(may_reply(&taken, "b", true), Ok(()));
        assert_eq!(resolve(&taken, "b", false), ResolveStep::NotYours);
        assert_eq!(resolve(&taken, "a", false), ResolveStep::Resolve);
        let closed = CallFacts { state: CallState::Resolved, owner: Some("a".into()) };
        assert_eq!(resolve(&closed, "a", false), ResolveStep::AlreadyResolved);
        assert_eq!(take(&closed, "a"), TakeStep::Closed);
        assert_eq!(may_reply(&closed, "a", false), Err(Refusal::CallResolved));
        assert!(may_escalate(&ringing));
        assert!(!may_escalate(&taken));
    }
}
