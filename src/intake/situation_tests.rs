//! Tests of the rules' reading of situations (issue 9, item 2): unanswered situations, groups and
//! eligibility conditions, and the property that nothing is accepted while a question is open or a
//! key material of the route the answers chose is missing — over every embedded item.

use std::sync::LazyLock;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::case::{Case, CaseEvent};
use super::rules::{
    Application, Decision, MaterialState, Outcome, RejectReason, applies, commitment_allowed, decide,
    effective_state,
};
use crate::kb::conditions::open_questions;
use crate::kb::{Item, Kb};

fn kb() -> &'static Kb {
    static KB: LazyLock<Kb> = LazyLock::new(|| Kb::embedded().expect("embedded KB loads"));
    &KB
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")
}

/// Every material acceptable, nothing answered.
fn all_ok(item: &Item) -> Application {
    Application {
        states: item.materials.iter().map(|m| (m.id.clone(), MaterialState::Ok)).collect(),
        ..Default::default()
    }
}

#[test]
fn every_material_fine_but_a_route_unanswered_is_not_accepted() {
    let item = kb().item("GA0002").expect("居住证");
    let mut app = all_ok(item);
    let Outcome::Unanswered { questions } = decide(item, &app, day(), &kb().calendar) else {
        panic!("nothing answered: no decision");
    };
    assert!(questions.iter().any(|q| q.id == "employed"));
    for (id, holds) in [("agent", false), ("local_hukou", false), ("resided_half_year", true)] {
        app.answers.insert(id.into(), holds);
    }
    // The route group (至少一项): all three answered 否 contradicts it.
    for id in ["employed", "studying", "housing"] {
        app.answers.insert(id.into(), false);
    }
    let Outcome::Unanswered { questions } = decide(item, &app, day(), &kb().calendar) else {
        panic!("no route chosen: no decision");
    };
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0].id, "route");
    // The employment route brings its key material: missing, it is a notice, not an acceptance.
    app.answers.insert("employed".into(), true);
    app.states.remove("employment_proof");
    let Outcome::Decided { decision: Decision::NoticeOfDeficiency { deficiencies, .. } } =
        decide(item, &app, day(), &kb().calendar)
    else {
        panic!("the route's key material is missing");
    };
    assert_eq!(deficiencies[0].material, "employment_proof");
}

#[test]
fn an_exclusive_route_answered_yes_answers_the_other_no() {
    let item = kb().item("SCJG0012").expect("营业执照补领");
    let mut app = all_ok(item);
    app.answers.insert("agent".into(), false);
    app.answers.insert("lost".into(), true);
    let Outcome::Decided { decision } = decide(item, &app, day(), &kb().calendar) else {
        panic!("damaged is answered 否 by the group");
    };
    assert!(matches!(decision, Decision::Accept { .. }), "{decision:?}");
    assert!(!item.materials.iter().any(|m| m.id == "old_licence" && applies(item, m, &app)));
    // Two 是 in an exactly-one group is an open question, whatever the materials.
    app.answers.insert("damaged".into(), true);
    assert!(matches!(decide(item, &app, day(), &kb().calendar), Outcome::Unanswered { .. }));
}

#[test]
fn an_eligibility_answer_refuses_with_its_basis_even_with_other_questions_open() {
    let item = kb().item("SCJG0007").expect("食品经营许可");
    let mut app = all_ok(item);
    app.answers.insert("prepackaged_only".into(), true);
    let Outcome::Decided { decision: Decision::Reject { reason, basis } } =
        decide(item, &app, day(), &kb().calendar)
    else {
        panic!("a shop selling only prepackaged food files a 备案: 不予受理");
    };
    assert!(matches!(reason, RejectReason::NotEligible { reason } if reason.contains("仅销售预包装食品")));
    assert!(basis.iter().any(|b| b.contains("食品安全法》第三十五条")), "{basis:?}");
    assert!(basis.iter().any(|b| b.contains("行政许可法")), "a permit cites 第三十二条 too: {basis:?}");
}

#[test]
fn an_old_finished_case_reads_unrecorded_situations_as_no() {
    // Journals written before answers were required held only the situations toggled to 是.
    let item = kb().item("00013112700401").expect("company");
    let events = vec![
        CaseEvent::ItemChosen { code: item.code.clone(), kb_version: "2026.11.1".into() },
        CaseEvent::SituationSet { id: "agent".into(), holds: true },
    ];
    let mut case = Case::from_events(&events);
    let open = |case: &Case| open_questions(item, &case.application(item, Default::default()).answers);
    assert_eq!(open(&case).len(), 1, "a draft keeps the unanswered prior_approval open");
    let decision = Decision::Accept { promised_date: day(), commitments: Vec::new() };
    case.apply(&CaseEvent::Finished {
        number: "N-1".into(),
        decision,
        at: crate::time::from_hall_local(day().and_hms_opt(9, 0, 0).unwrap()),
    });
    assert!(open(&case).is_empty(), "the finished old case: prior_approval counts as 否");
    assert!(case.holds("agent"));
    // The journal event format itself is unchanged: an old line still parses.
    let old: CaseEvent =
        serde_json::from_str(r#"{"event":"situation_set","id":"agent","holds":true}"#).unwrap();
    assert_eq!(old, events[1]);
}

fn arb_state() -> impl Strategy<Value = MaterialState> {
    prop_oneof![
        Just(MaterialState::Ok),
        Just(MaterialState::Missing),
        Just(MaterialState::Committed),
        Just(MaterialState::Defect { text: "有缺陷".into() }),
    ]
}

proptest! {
    /// For every embedded item, any answers (including none) and any material states: the decision
    /// is never 受理 or 容缺受理 while a situation is unanswered (or the answers contradict a group),
    /// or while a key material that applies under the answers is missing or defective.
    #[test]
    fn never_accepted_with_an_open_question_or_a_missing_key_material(
        item_index in 0usize..1000,
        answers in proptest::collection::vec(proptest::option::of(any::<bool>()), 16),
        states in proptest::collection::vec(proptest::option::of(arb_state()), 24),
        agrees in any::<bool>(),
        bad_credit in any::<bool>(),
    ) {
        let kb = kb();
        let item = &kb.items[item_index % kb.items.len()];
        let app = Application {
            answers: item
                .situations
                .iter()
                .zip(&answers)
                .filter_map(|(s, a)| a.map(|a| (s.id.clone(), a)))
                .collect(),
            states: item
                .materials
                .iter()
                .zip(&states)
                .filter_map(|(m, s)| s.clone().map(|s| (m.id.clone(), s)))
                .collect(),
            agrees_to_commitment: agrees,
            bad_credit,
            ..Default::default()
        };
        let outcome = decide(item, &app, day(), &kb.calendar);
        let accepted = matches!(
            outcome,
            Outcome::Decided { decision: Decision::Accept { .. } | Decision::AcceptPending { .. } }
        );
        if accepted {
            let open = open_questions(item, &app.answers);
            prop_assert!(open.is_empty(), "{}: accepted with {open:?} open", item.code);
            for m in item.materials.iter().filter(|m| m.key && applies(item, m, &app)) {
                let state = effective_state(m, &app);
                let present = *state == MaterialState::Ok
                    || (*state == MaterialState::Committed && commitment_allowed(item, m));
                prop_assert!(present, "{}: accepted without key material {} ({state:?})", item.code, m.id);
            }
        }
        if open_questions(item, &app.answers).is_empty() {
            let unanswered = matches!(outcome, Outcome::Unanswered { .. });
            prop_assert!(!unanswered, "{}: no open question, yet no decision", item.code);
        }
    }
}
