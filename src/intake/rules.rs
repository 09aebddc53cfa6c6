//! The decision rules of intake (《行政许可法》第三十二条 and local 容缺 rules), as one pure function.
//!
//! The desk and `yichuang precheck` both call [`decide`]; neither guesses. Inputs are plain data —
//! the item, what the clerk found for each material, today's date and the calendar — so every rule
//! is unit-testable without a terminal, a clock or a database.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::kb::conditions;
pub use crate::kb::conditions::{Answers, Question};
use crate::kb::model::ItemKind;
pub use crate::kb::terms::{CenterLevel, MaterialState};
use crate::kb::{Calendar, Item, Material};

/// Everything the rules need to know about one application besides the item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// State of each material by id; a material not listed counts as missing, except those the
    /// window obtains through data sharing, which count as acceptable.
    pub states: BTreeMap<String, MaterialState>,
    /// The clerk's answers to the item's situations (情形), by id: 是 (`true`) or 否 (`false`); a
    /// situation not listed is unanswered (see [`answer`] for answers implied by a group).
    pub answers: Answers,
    /// The applicant agrees to sign the 容缺 commitment.
    pub agrees_to_commitment: bool,
    /// The applicant's credit record bars 容缺 (失信).
    pub bad_credit: bool,
    /// Where this window is.
    pub here: CenterLevel,
    /// The clerk found the applicant not eligible, with the reason.
    pub ineligible: Option<String>,
}

/// One material the applicant must still bring or correct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deficiency {
    /// Material id.
    pub material: String,
    /// Material name as printed.
    pub name: String,
    /// Missing or defective (with the defect).
    pub state: MaterialState,
    /// What an acceptable material looks like (the KB's checkpoints), printed on the notice.
    pub required: Vec<String>,
    /// Originals and copies wanted, as printed ("原件1份、复印件1份").
    pub quantity: String,
    /// Whether this material may be supplemented later under 容缺.
    pub lenient: bool,
}

/// A material to supplement under 容缺受理, with its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplement {
    /// What is missing or defective.
    pub deficiency: Deficiency,
    /// Last working day to supplement it.
    pub deadline: NaiveDate,
}

/// A certificate replaced by the applicant's commitment (告知承诺), and the department's check of it
/// after acceptance (the case's check task).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// Material id.
    pub material: String,
    /// Material name as printed.
    pub name: String,
    /// What the applicant commits to.
    pub text: String,
    /// The consequence of a false commitment.
    pub consequence: String,
    /// Last working day of the department's post-acceptance check.
    pub check_deadline: NaiveDate,
}

/// Why an application is not accepted at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RejectReason {
    /// The item is not handled at this kind of center; tell the applicant where to go.
    NotHandledHere {
        /// Where the item is handled.
        go_to: String,
    },
    /// The applicant does not meet the item's conditions.
    NotEligible {
        /// The clerk's reason.
        reason: String,
    },
}

/// The computed intake decision (GLOSSARY: `Decision`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// 受理: every applicable material is acceptable (or replaced by an allowed commitment).
    Accept {
        /// Promised completion date printed on the 受理通知书.
        promised_date: NaiveDate,
        /// Certificates replaced by a commitment (告知承诺), each with its check deadline.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        commitments: Vec<Commitment>,
    },
    /// 容缺受理: only 容缺-eligible materials are missing or defective and the applicant signs.
    AcceptPending {
        /// Each material to supplement with its deadline.
        supplements: Vec<Supplement>,
        /// Promised completion date (counted from intake).
        promised_date: NaiveDate,
        /// Certificates replaced by a commitment (告知承诺), each with its check deadline.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        commitments: Vec<Commitment>,
    },
    /// 一次性告知: everything missing or defective, listed once.
    NoticeOfDeficiency {
        /// Every problem, in checklist order.
        deficiencies: Vec<Deficiency>,
        /// 容缺 would be possible if the applicant agreed to sign the commitment.
        lenient_possible: bool,
    },
    /// 不予受理, with the reason and the legal basis.
    Reject {
        /// Why.
        reason: RejectReason,
        /// Legal basis printed on the notice.
        basis: Vec<String>,
    },
}

impl Decision {
    /// The decision's name as printed.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Accept { .. } => "受理",
            Self::AcceptPending { .. } => "容缺受理",
            Self::NoticeOfDeficiency { .. } => "一次性告知",
            Self::Reject { .. } => "不予受理",
        }
    }

    /// How far the decision is from a plain acceptance (0 = 受理 … 3 = 不予受理); used to compare.
    pub fn severity(&self) -> u8 {
        match self {
            Self::Accept { .. } => 0,
            Self::AcceptPending { .. } => 1,
            Self::NoticeOfDeficiency { .. } => 2,
            Self::Reject { .. } => 3,
        }
    }
}

/// What the rules give for an application: a decision, or the questions still to answer. An
/// application with an unanswered situation is never accepted: the answer may bring key materials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The decision, once every question that matters is answered.
    Decided {
        /// The decision.
        decision: Decision,
    },
    /// 待回答情形: situations unanswered, or answers that contradict a group.
    Unanswered {
        /// Every open question, in the item's order.
        questions: Vec<Question>,
    },
}

impl Outcome {
    /// The name shown on screen: the decision's, or 待回答情形.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Decided { decision } => decision.label(),
            Self::Unanswered { .. } => UNANSWERED_LABEL,
        }
    }

    /// The decision, when there is one.
    pub fn decision(&self) -> Option<&Decision> {
        match self {
            Self::Decided { decision } => Some(decision),
            Self::Unanswered { .. } => None,
        }
    }

    /// The decision, when there is one (owned).
    pub fn into_decision(self) -> Option<Decision> {
        match self {
            Self::Decided { decision } => Some(decision),
            Self::Unanswered { .. } => None,
        }
    }
}

/// The name of an outcome that waits for answers.
pub const UNANSWERED_LABEL: &str = "待回答情形";

/// The answer to a situation, with answers a group implies ([`conditions::answer`]).
pub fn answer(item: &Item, app: &Application, id: &str) -> Option<bool> {
    conditions::answer(item, &app.answers, id)
}

/// The article that obliges a window to refuse matters outside its competence.
const NOT_COMPETENT_BASIS: &str = "《中华人民共和国行政许可法》第三十二条第一款第（二）项";

/// Whether a material is needed for this application (required, or its condition holds: its
/// situation is answered 是, or the material it depends on was brought).
pub fn applies(item: &Item, material: &Material, app: &Application) -> bool {
    conditions::applies(item, material, &app.answers, |id| {
        app.states.get(id).is_some_and(|s| *s != MaterialState::Missing)
    })
}

/// The state the rules use for a material: as recorded, or the default when not recorded.
pub fn effective_state<'a>(material: &Material, app: &'a Application) -> &'a MaterialState {
    const OK: &MaterialState = &MaterialState::Ok;
    const MISSING: &MaterialState = &MaterialState::Missing;
    app.states.get(&material.id).unwrap_or(if material.shared_data { OK } else { MISSING })
}

/// Computes the outcome for `app` on `item`, dated `today`: 不予受理 when the item is not handled
/// here or the applicant is not eligible (whatever else is unanswered), else 待回答情形 while a
/// question is open, else the decision on the materials.
pub fn decide(item: &Item, app: &Application, today: NaiveDate, calendar: &Calendar) -> Outcome {
    if let Some(decision) = refusal(item, app) {
        return Outcome::Decided { decision };
    }
    let questions = conditions::open_questions(item, &app.answers);
    if !questions.is_empty() {
        return Outcome::Unanswered { questions };
    }
    Outcome::Decided { decision: decide_materials(item, app, today, calendar) }
}

/// 不予受理 before any material is looked at: not handled here, or not eligible.
fn refusal(item: &Item, app: &Application) -> Option<Decision> {
    let handled_here = match app.here {
        CenterLevel::District => item.handled_at.district,
        CenterLevel::Community => item.handled_at.community,
    };
    if !handled_here {
        let go_to = if item.handled_at.district { CenterLevel::District } else { CenterLevel::Community };
        return Some(Decision::Reject {
            reason: RejectReason::NotHandledHere {
                go_to: format!("{}（{}）", go_to.label(), item.department),
            },
            basis: vec![NOT_COMPETENT_BASIS.to_string()],
        });
    }
    let permit_basis = |mut basis: Vec<String>| {
        if item.kind == ItemKind::Permit {
            basis.push("《中华人民共和国行政许可法》第三十二条".to_string());
        }
        basis
    };
    if let Some(s) = conditions::ineligible_by(item, &app.answers) {
        let answered = if s.ineligible_if == Some(true) { "是" } else { "否" };
        return Some(Decision::Reject {
            reason: RejectReason::NotEligible { reason: format!("{}：{answered}", s.label) },
            basis: permit_basis(s.basis.clone()),
        });
    }
    app.ineligible.as_ref().map(|reason| Decision::Reject {
        reason: RejectReason::NotEligible { reason: reason.clone() },
        basis: permit_basis(item.legal_basis.clone()),
    })
}

/// The decision on the materials, once every question is answered.
fn decide_materials(item: &Item, app: &Application, today: NaiveDate, calendar: &Calendar) -> Decision {
    let deficiencies: Vec<Deficiency> = item
        .materials
        .iter()
        .filter(|m| applies(item, m, app))
        .filter_map(|m| match effective_state(m, app) {
            MaterialState::Ok => None,
            MaterialState::Committed if commitment_allowed(item, m) => None,
            // A commitment the item does not allow replaces nothing: the material is missing.
            MaterialState::Committed => Some(deficiency(m, MaterialState::Missing)),
            state => Some(deficiency(m, state.clone())),
        })
        .collect();
    let commitments = commitments(item, app, today, calendar);

    // The promised limit in its own unit, never after the statutory date.
    let promised_date = item.time_limits.promised_date(today, calendar);
    if deficiencies.is_empty() {
        return Decision::Accept { promised_date, commitments };
    }
    let lenient_possible = match &item.lenient {
        Some(rule) if rule.allowed && !app.bad_credit => deficiencies.iter().all(|d| d.lenient),
        _ => false,
    };
    if lenient_possible && app.agrees_to_commitment {
        let deadline = supplement_deadline(item, today, calendar);
        let supplements =
            deficiencies.into_iter().map(|deficiency| Supplement { deficiency, deadline }).collect();
        return Decision::AcceptPending { supplements, promised_date, commitments };
    }
    Decision::NoticeOfDeficiency { deficiencies, lenient_possible }
}

/// Whether `material` may be replaced by a commitment: the item is on a 告知承诺 list and the
/// material names the commitment.
pub fn commitment_allowed(item: &Item, material: &Material) -> bool {
    item.informed_commitment.as_ref().is_some_and(|c| c.allowed) && material.informed_commitment.is_some()
}

/// The commitments (告知承诺) of an application: every applicable material marked 以告知承诺替代
/// that allows it, with its post-acceptance check deadline (the material's check period after
/// `today`, in its own unit on the calendar).
pub fn commitments(item: &Item, app: &Application, today: NaiveDate, calendar: &Calendar) -> Vec<Commitment> {
    item.materials
        .iter()
        .filter(|m| applies(item, m, app) && app.states.get(&m.id) == Some(&MaterialState::Committed))
        .filter_map(|m| {
            let c = m.informed_commitment.as_ref().filter(|_| commitment_allowed(item, m))?;
            Some(Commitment {
                material: m.id.clone(),
                name: m.name.clone(),
                text: c.text.clone(),
                consequence: c.consequence.clone(),
                check_deadline: c.check.due(today, calendar),
            })
        })
        .collect()
}

/// The 容缺 supplement deadline for an intake on `today`: the item's working days, never after the
/// promised date (computed in the promised limit's own unit) unless the item is 即办.
pub fn supplement_deadline(item: &Item, today: NaiveDate, calendar: &Calendar) -> NaiveDate {
    let days = item.lenient.as_ref().and_then(|l| l.supplement_days).unwrap_or(0);
    let deadline = calendar.add_working_days(today, days);
    if item.time_limits.promised.is_immediate() {
        deadline
    } else {
        deadline.min(item.time_limits.promised_date(today, calendar))
    }
}

fn deficiency(m: &Material, state: MaterialState) -> Deficiency {
    let quantity = match (m.originals, m.copies) {
        (0, c) => format!("复印件{c}份"),
        (o, 0) => format!("原件{o}份"),
        (o, c) => format!("原件{o}份、复印件{c}份"),
    };
    Deficiency {
        material: m.id.clone(),
        name: m.name.clone(),
        state,
        required: m.checkpoints.clone(),
        quantity,
        lenient: m.lenient && !m.key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::Kb;
    use crate::kb::model::Necessity;
    use proptest::prelude::*;

    const COMPANY: &str = "00013112700401";

    /// The embedded KB, loaded once (proptests call this per case).
    fn kb() -> &'static Kb {
        static KB: std::sync::LazyLock<Kb> =
            std::sync::LazyLock::new(|| Kb::embedded().expect("embedded KB loads"));
        &KB
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// Every required material acceptable and every situation answered 否.
    fn all_ok(item: &Item) -> Application {
        let states = item
            .materials
            .iter()
            .filter(|m| m.necessity == Necessity::Required)
            .map(|m| (m.id.clone(), MaterialState::Ok))
            .collect();
        let answers = item.situations.iter().map(|s| (s.id.clone(), false)).collect();
        Application { states, answers, ..Default::default() }
    }

    /// The decision, failing the test when a question is open.
    fn decided(item: &Item, app: &Application, today: NaiveDate, calendar: &Calendar) -> Decision {
        match decide(item, app, today, calendar) {
            Outcome::Decided { decision } => decision,
            other => panic!("expected a decision, got {other:?}"),
        }
    }

    #[test]
    fn complete_application_is_accepted_with_the_promised_date() {
        let kb = kb();
        let item = kb.item(COMPANY).unwrap();
        // Friday 2026-09-18: one working day later is Sunday 2026-09-20, a make-up workday.
        let d = decided(item, &all_ok(item), date("2026-09-18"), &kb.calendar);
        assert_eq!(d, Decision::Accept { promised_date: date("2026-09-20"), commitments: Vec::new() });
    }

    #[test]
    fn missing_key_material_gives_a_notice_listing_everything() {
        let kb = kb();
        let item = kb.item(COMPANY).unwrap();
        let mut app = all_ok(item);
        app.states.remove("articles");
        app.states.insert("premises".into(), MaterialState::Defect { text: "租赁合同已到期".into() });
        app.agrees_to_commitment = true;
        let Decision::NoticeOfDeficiency { deficiencies, lenient_possible } =
            decided(item, &app, date("2026-11-30"), &kb.calendar)
        else {
            panic!("expected a notice")
        };
        let names: Vec<_> = deficiencies.iter().map(|d| d.material.as_str()).collect();
        assert_eq!(names, ["articles", "premises"]);
        assert!(!lenient_possible);
        assert!(!deficiencies[0].required.is_empty());
    }

    #[test]
    fn lenient_material_missing_needs_the_applicants_agreement() {
        let kb = kb();
        let item = kb.item(COMPANY).unwrap();
        let mut app = all_ok(item);
        app.states.insert("premises".into(), MaterialState::Missing);
        let d = decided(item, &app, date("2026-11-30"), &kb.calendar);
        assert!(matches!(d, Decision::NoticeOfDeficiency { lenient_possible: true, .. }));
        app.agrees_to_commitment = true;
        let Decision::AcceptPending { supplements, .. } =
            decided(item, &app, date("2026-11-30"), &kb.calendar)
        else {
            panic!("expected 容缺受理")
        };
        assert_eq!(supplements.len(), 1);
        assert_eq!(supplements[0].deadline, date("2026-12-01"));
    }

    #[test]
    fn bad_credit_bars_lenient_intake() {
        let kb = kb();
        let item = kb.item(COMPANY).unwrap();
        let mut app = all_ok(item);
        app.states.insert("premises".into(), MaterialState::Missing);
        app.agrees_to_commitment = true;
        app.bad_credit = true;
        let d = decided(item, &app, date("2026-11-30"), &kb.calendar);
        assert!(matches!(d, Decision::NoticeOfDeficiency { lenient_possible: false, .. }));
    }

    #[test]
    fn conditional_material_applies_only_in_its_situation() {
        let kb = kb();
        let item = kb.item(COMPANY).unwrap();
        let mut app = all_ok(item);
        assert!(matches!(decided(item, &app, date("2026-11-30"), &kb.calendar), Decision::Accept { .. }));
        app.answers.insert("agent".into(), true);
        let Decision::NoticeOfDeficiency { deficiencies, .. } =
            decided(item, &app, date("2026-11-30"), &kb.calendar)
        else {
            panic!("expected a notice")
        };
        assert_eq!(deficiencies[0].material, "authorisation");
    }

    #[test]
    fn item_not_handled_here_is_rejected_with_where_to_go() {
        let kb = kb();
        let item = kb.item(COMPANY).unwrap();
        let app = Application { here: CenterLevel::Community, ..all_ok(item) };
        let Decision::Reject { reason: RejectReason::NotHandledHere { go_to }, basis } =
            decided(item, &app, date("2026-11-30"), &kb.calendar)
        else {
            panic!("expected 不予受理")
        };
        assert!(go_to.contains("区级"));
        assert_eq!(basis, [NOT_COMPETENT_BASIS]);
    }

    #[test]
    fn ineligible_applicant_is_rejected_with_the_items_basis() {
        let kb = kb();
        let item = kb.item(COMPANY).unwrap();
        let app = Application { ineligible: Some("股东人数超过五十人".into()), ..all_ok(item) };
        let d = decided(item, &app, date("2026-11-30"), &kb.calendar);
        let Decision::Reject { reason, basis } = d else { panic!("expected 不予受理") };
        assert_eq!(reason, RejectReason::NotEligible { reason: "股东人数超过五十人".into() });
        assert!(basis.iter().any(|b| b.contains("公司法")));
        assert!(basis.iter().any(|b| b.contains("行政许可法")));
    }

    #[test]
    fn supplement_deadline_never_after_the_promised_date() {
        use crate::kb::limits::{Limit, Unit};
        let kb = kb();
        let mut item = kb.item(COMPANY).unwrap().clone();
        item.lenient.as_mut().unwrap().supplement_days = Some(10);
        item.time_limits.promised = Limit { amount: 3, unit: Unit::WorkingDays };
        // Monday 2026-11-30: three working days → Thursday 12-03.
        assert_eq!(supplement_deadline(&item, date("2026-11-30"), &kb.calendar), date("2026-12-03"));
        // Seven calendar days from Wednesday 2026-09-30 end on 10-07 (National Day): the promised
        // date moves to Thursday 10-08, and so does the supplement deadline.
        item.time_limits.promised = Limit { amount: 7, unit: Unit::CalendarDays };
        assert_eq!(supplement_deadline(&item, date("2026-09-30"), &kb.calendar), date("2026-10-08"));
        item.time_limits.promised = Limit::immediate();
        assert_eq!(
            supplement_deadline(&item, date("2026-11-30"), &kb.calendar),
            kb.calendar.add_working_days(date("2026-11-30"), 10)
        );
    }

    fn arb_state() -> impl Strategy<Value = MaterialState> {
        prop_oneof![
            Just(MaterialState::Ok),
            Just(MaterialState::Missing),
            "[缺少签字盖章过期]{1,4}".prop_map(|text| MaterialState::Defect { text }),
        ]
    }

    proptest! {
        /// Fixing any material never makes the decision worse, for every item of the KB.
        #[test]
        fn fixing_a_material_never_makes_the_decision_worse(
            item_index in 0usize..1000,
            states in proptest::collection::vec(arb_state(), 16),
            agrees in any::<bool>(),
            agent in any::<bool>(),
            bad_credit in any::<bool>(),
            day in 0u32..730,
        ) {
            let kb = kb();
            let item = &kb.items[item_index % kb.items.len()];
            let ids: Vec<String> = item.materials.iter().map(|m| m.id.clone()).collect();
            let app = Application {
                states: ids.iter().cloned().zip(states).collect(),
                answers: item.situations.iter().map(|s| (s.id.clone(), agent)).collect(),
                agrees_to_commitment: agrees,
                bad_credit,
                ..Default::default()
            };
            let today = date("2026-01-01") + chrono::Days::new(day.into());
            // Answers that contradict a group leave the outcome open whatever the materials.
            let Outcome::Decided { decision: before } = decide(item, &app, today, &kb.calendar) else {
                return Ok(());
            };
            for id in &ids {
                let mut fixed = app.clone();
                fixed.states.insert(id.clone(), MaterialState::Ok);
                let after = decided(item, &fixed, today, &kb.calendar);
                prop_assert!(after.severity() <= before.severity(), "{id}: {before:?} -> {after:?}");
            }
        }

        /// A 容缺 deadline is a working day and lies the right number of working days ahead.
        #[test]
        fn lenient_deadline_is_a_working_day(day in 0u32..700) {
            let kb = kb();
            let item = kb.item(COMPANY).unwrap();
            let mut app = all_ok(item);
            app.states.insert("premises".into(), MaterialState::Missing);
            app.agrees_to_commitment = true;
            let today = date("2026-01-01") + chrono::Days::new(day.into());
            let Decision::AcceptPending { supplements, .. } = decided(item, &app, today, &kb.calendar) else {
                panic!("expected 容缺受理");
            };
            let deadline = supplements[0].deadline;
            prop_assert!(kb.calendar.is_working_day(deadline));
            let days = item.lenient.as_ref().and_then(|l| l.supplement_days).unwrap_or(0);
            prop_assert!(kb.calendar.working_days_between(today, deadline) <= i64::from(days));
            prop_assert!(deadline <= item.time_limits.promised_date(today, &kb.calendar));
        }
    }

    /// Time limits in their units and 告知承诺 (issue 9, items 1 and 5).
    mod limits_and_commitment {
        use super::*;

        const HYGIENE: &str = "WJ0003";

        #[test]
        fn a_commitment_replaces_the_certificate_and_the_decision_stays_accept() {
            let item = kb().item(HYGIENE).unwrap();
            let mut app = all_ok(item);
            app.states.insert("hygiene_test_report".into(), MaterialState::Committed);
            // Two months from Monday 2026-06-01 end on Saturday 08-01: the next working day is 08-03.
            let Decision::Accept { commitments, .. } =
                decided(item, &app, date("2026-06-01"), &kb().calendar)
            else {
                panic!("a commitment is not 容缺: the decision stays 受理")
            };
            assert_eq!(commitments.len(), 1);
            assert_eq!(commitments[0].material, "hygiene_test_report");
            assert_eq!(commitments[0].check_deadline, date("2026-08-03"));
            assert!(commitments[0].consequence.contains("撤销"));
        }

        #[test]
        fn a_commitment_the_material_does_not_allow_leaves_it_missing() {
            let item = kb().item(HYGIENE).unwrap();
            let mut app = all_ok(item);
            app.states.insert("application_form".into(), MaterialState::Committed);
            let Decision::NoticeOfDeficiency { deficiencies, .. } =
                decided(item, &app, date("2026-06-01"), &kb().calendar)
            else {
                panic!("the application form cannot be replaced by a commitment")
            };
            assert_eq!(deficiencies[0].material, "application_form");
            assert_eq!(deficiencies[0].state, MaterialState::Missing);
        }

        #[test]
        fn commitments_and_lenient_supplements_are_kept_apart() {
            let item = kb().item(HYGIENE).unwrap();
            let mut app = all_ok(item);
            app.states.insert("hygiene_test_report".into(), MaterialState::Committed);
            app.states.insert("hygiene_rules".into(), MaterialState::Missing);
            app.agrees_to_commitment = true;
            let Decision::AcceptPending { supplements, commitments, .. } =
                decided(item, &app, date("2026-06-01"), &kb().calendar)
            else {
                panic!("a missing 容缺 material still makes it 容缺受理")
            };
            assert_eq!(
                supplements.iter().map(|s| s.deficiency.material.as_str()).collect::<Vec<_>>(),
                ["hygiene_rules"]
            );
            assert_eq!(
                commitments.iter().map(|c| c.material.as_str()).collect::<Vec<_>>(),
                ["hygiene_test_report"]
            );
        }

        #[test]
        fn the_promised_date_is_clamped_to_a_statutory_date_in_calendar_days() {
            use crate::kb::limits::{Limit, Statutory, StatutoryLimit, Unit};
            let mut item = kb().item(HYGIENE).unwrap().clone();
            item.time_limits.statutory =
                Statutory::Set(StatutoryLimit { amount: 15, unit: Unit::CalendarDays, basis: "test".into() });
            item.time_limits.promised = Limit { amount: 10, unit: Unit::WorkingDays };
            // From 2026-02-10, 10 working days end on 03-02; 15 calendar days on 02-25.
            let Decision::Accept { promised_date, .. } =
                decided(&item, &all_ok(&item), date("2026-02-10"), &kb().calendar)
            else {
                panic!("expected 受理")
            };
            assert_eq!(promised_date, date("2026-02-25"));
        }

        fn arb_state() -> impl Strategy<Value = MaterialState> {
            prop_oneof![
                Just(MaterialState::Ok),
                Just(MaterialState::Missing),
                Just(MaterialState::Committed),
                "[缺少签字]{1,3}".prop_map(|text| MaterialState::Defect { text }),
            ]
        }

        proptest! {
            /// For every embedded item, any answers and material states and any intake date in the
            /// calendar's years: a promised date is never after the statutory date (nor before intake),
            /// a 容缺 deadline never after the promised date, and a commitment only where allowed.
            #[test]
            fn dates_of_every_decision_keep_their_order(
                item_index in 0usize..1000,
                states in proptest::collection::vec(arb_state(), 24),
                answers in proptest::collection::vec(any::<bool>(), 24),
                agrees in any::<bool>(),
                day in 0u32..730,
            ) {
                let kb = kb();
                let item = &kb.items[item_index % kb.items.len()];
                let app = Application {
                    states: item.materials.iter().map(|m| m.id.clone()).zip(states).collect(),
                    answers: item.situations.iter().map(|s| s.id.clone()).zip(answers).collect(),
                    agrees_to_commitment: agrees,
                    ..Default::default()
                };
                let today = date("2026-01-01") + chrono::Days::new(day.into());
                let Some(decision) = decide(item, &app, today, &kb.calendar).into_decision() else {
                    return Ok(());
                };
                let statutory = item.time_limits.statutory_date(today, &kb.calendar);
                let (promised, supplements, commitments) = match &decision {
                    Decision::Accept { promised_date, commitments } => (*promised_date, &[][..], commitments),
                    Decision::AcceptPending { promised_date, supplements, commitments } => {
                        (*promised_date, &supplements[..], commitments)
                    }
                    _ => return Ok(()),
                };
                prop_assert!(promised >= today);
                if let Some(statutory) = statutory {
                    prop_assert!(promised <= statutory, "{}: promised {promised} > statutory {statutory}", item.code);
                }
                if !item.time_limits.promised.is_immediate() {
                    for s in supplements {
                        prop_assert!(s.deadline <= promised, "{}: supplement {} > {promised}", item.code, s.deadline);
                    }
                }
                for c in commitments {
                    let m = item.materials.iter().find(|m| m.id == c.material).unwrap();
                    prop_assert!(commitment_allowed(item, m));
                    prop_assert!(c.check_deadline > today);
                }
            }
        }
    }
}
