//! Drills (演练): trainees work scenarios from `knowledge-base/drills/` in the normal desk screens,
//! offline, on a drill database that can never sync. This module turns a scenario into what the
//! rules see and scores a finished drill case against it.

pub mod score;

use crate::intake::rules::{Application, Decision, MaterialState, decide};
use crate::kb::Kb;
use crate::kb::drills::{Drill, DrillState, ExpectedDecision};

/// What the applicant really brought, as the rules would see it if every check were right.
pub fn true_application(drill: &Drill) -> Application {
    Application {
        states: drill
            .materials
            .iter()
            .map(|m| {
                let state = match m.state {
                    DrillState::Ok => MaterialState::Ok,
                    DrillState::Defect => {
                        MaterialState::Defect { text: m.defect.clone().unwrap_or_default() }
                    }
                };
                (m.id.clone(), state)
            })
            .collect(),
        situations: drill.situations.iter().cloned().collect(),
        agrees_to_commitment: drill.agrees_to_commitment,
        bad_credit: drill.bad_credit,
        here: drill.center,
        ineligible: drill.not_eligible.clone(),
    }
}

/// The decision kind of a computed decision, as scenario files spell it.
pub fn kind_of(decision: &Decision) -> ExpectedDecision {
    match decision {
        Decision::Accept { .. } => ExpectedDecision::Accept,
        Decision::AcceptPending { .. } => ExpectedDecision::AcceptPending,
        Decision::NoticeOfDeficiency { .. } => ExpectedDecision::NoticeOfDeficiency,
        Decision::Reject { .. } => ExpectedDecision::Reject,
    }
}

/// The decision label of an expected kind.
pub fn label(kind: ExpectedDecision) -> &'static str {
    match kind {
        ExpectedDecision::Accept => "受理",
        ExpectedDecision::AcceptPending => "容缺受理",
        ExpectedDecision::NoticeOfDeficiency => "一次性告知",
        ExpectedDecision::Reject => "不予受理",
    }
}

/// A scenario whose expected decision differs from what the rules give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Scenario id.
    pub drill: String,
    /// What the file expects.
    pub expected: ExpectedDecision,
    /// What the rules give (`None`: the item does not exist).
    pub computed: Option<ExpectedDecision>,
}

/// Checks every scenario's expected decision against the rules.
pub fn check_all(kb: &Kb) -> Vec<Mismatch> {
    kb.drills
        .iter()
        .filter_map(|drill| {
            let computed = kb
                .item(&drill.item)
                .map(|item| kind_of(&decide(item, &true_application(drill), drill.date, &kb.calendar)));
            (computed != Some(drill.expect.decision)).then(|| Mismatch {
                drill: drill.id.clone(),
                expected: drill.expect.decision,
                computed,
            })
        })
        .collect()
}
