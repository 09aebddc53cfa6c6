//! What an item's situations (情形) mean for a set of answers: which situations are still open,
//! which answers a group implies, whether an eligibility condition refuses the applicant, and
//! whether a conditional material applies.
//!
//! This is the KB's own semantics, shared by the intake rules ([`crate::intake::rules`]), by
//! `kb check` (which runs it over every combination of answers of every item, see
//! `kb/check_situations.rs`) and by the drill format's checks, so the three can never read a
//! condition differently.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{Item, Material, Necessity, Situation, SituationGroup};

/// The clerk's answers by situation id: `true` 是, `false` 否; an absent id is unanswered.
pub type Answers = BTreeMap<String, bool>;

/// A question the clerk must still answer before the application can be decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// The situation's id, or the group's id when the answers contradict the group.
    pub id: String,
    /// What to answer, as shown to the clerk.
    pub label: String,
}

/// The group a situation belongs to (a situation is in at most one; `kb check` enforces it).
pub fn group_of<'i>(item: &'i Item, id: &str) -> Option<&'i SituationGroup> {
    item.groups.iter().find(|g| g.situations.iter().any(|s| s == id))
}

/// The answer to a situation: the clerk's, or 否 implied by a 是 given to another situation of an
/// exclusive group (申请途径: answering one route 是 answers the others 否); `None` = unanswered.
pub fn answer(item: &Item, answers: &Answers, id: &str) -> Option<bool> {
    if let Some(a) = answers.get(id) {
        return Some(*a);
    }
    let excluded = group_of(item, id).is_some_and(|g| {
        g.rule.exclusive() && g.situations.iter().any(|s| s != id && answers.get(s) == Some(&true))
    });
    excluded.then_some(false)
}

/// The open questions: unanswered situations, then groups whose answers contradict their rule,
/// in the item's order.
pub fn open_questions(item: &Item, answers: &Answers) -> Vec<Question> {
    let mut out: Vec<Question> = item
        .situations
        .iter()
        .filter(|s| answer(item, answers, &s.id).is_none())
        .map(|s| Question { id: s.id.clone(), label: s.label.clone() })
        .collect();
    for g in &item.groups {
        let given: Vec<Option<bool>> = g.situations.iter().map(|s| answer(item, answers, s)).collect();
        if given.iter().any(Option::is_none) {
            continue;
        }
        let holding = given.iter().filter(|a| **a == Some(true)).count();
        if !g.rule.allows(holding) {
            out.push(Question {
                id: g.id.clone(),
                label: format!("{}：应{}为是，现有 {holding} 项为是", g.label, g.rule.label()),
            });
        }
    }
    out
}

/// The eligibility situation whose answer makes the applicant ineligible, if any.
pub fn ineligible_by<'i>(item: &'i Item, answers: &Answers) -> Option<&'i Situation> {
    item.situations
        .iter()
        .find(|s| s.ineligible_if.is_some_and(|bad| answer(item, answers, &s.id) == Some(bad)))
}

/// Whether a material is needed: required, or its `when` holds — its situation is answered 是, or
/// the material it names is `present` (brought, in whatever state).
pub fn applies(item: &Item, material: &Material, answers: &Answers, present: impl Fn(&str) -> bool) -> bool {
    match material.necessity {
        Necessity::Required => true,
        Necessity::Conditional => material
            .when
            .as_deref()
            .is_some_and(|when| answer(item, answers, when) == Some(true) || present(when)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::model::GroupRule;

    fn item() -> Item {
        let mut item = crate::kb::Kb::embedded().expect("kb").item("GA0002").expect("GA0002").clone();
        item.groups = vec![SituationGroup {
            id: "route".into(),
            label: "申领条件".into(),
            rule: GroupRule::ExactlyOne,
            situations: vec!["employed".into(), "studying".into()],
        }];
        item
    }

    fn answers(pairs: &[(&str, bool)]) -> Answers {
        pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
    }

    #[test]
    fn a_yes_in_an_exclusive_group_answers_the_others_no() {
        let item = item();
        let a = answers(&[("employed", true)]);
        assert_eq!(answer(&item, &a, "studying"), Some(false));
        assert_eq!(answer(&item, &a, "agent"), None);
        assert!(open_questions(&item, &a).iter().all(|q| q.id != "studying" && q.id != "route"));
    }

    #[test]
    fn answers_against_the_group_are_an_open_question() {
        let item = item();
        let none = answers(&[("employed", false), ("studying", false)]);
        assert!(open_questions(&item, &none).iter().any(|q| q.id == "route"));
        let both = answers(&[("employed", true), ("studying", true)]);
        assert!(open_questions(&item, &both).iter().any(|q| q.id == "route" && q.label.contains("2 项")));
    }

    #[test]
    fn an_eligibility_answer_refuses_only_with_the_refusing_answer() {
        let item = item();
        assert_eq!(ineligible_by(&item, &answers(&[("local_hukou", false)])), None);
        let refused = ineligible_by(&item, &answers(&[("local_hukou", true)])).expect("refused");
        assert_eq!(refused.id, "local_hukou");
        assert!(!refused.basis.is_empty());
        assert!(ineligible_by(&item, &answers(&[("resided_half_year", false)])).is_some());
    }
}
