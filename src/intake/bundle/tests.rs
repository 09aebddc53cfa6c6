//! The bundle's checklist, questions and decisions on the embedded knowledge base.

use std::sync::LazyLock;

use chrono::NaiveDate;

use super::*;

static KB: LazyLock<Kb> = LazyLock::new(|| Kb::embedded().expect("embedded KB loads"));

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 3).expect("date")
}

fn company(optional: &[&str]) -> Selection<'static> {
    let bundle = KB.bundle("企业开办").expect("bundle 企业开办");
    let optional: Vec<String> = optional.iter().map(|s| s.to_string()).collect();
    Selection::new(&KB, bundle, &optional).expect("selection")
}

/// Every question answered 否 and every material the applicant brings marked 合格.
fn all_fine(sel: &Selection) -> BundleApplication {
    let mut app = BundleApplication::default();
    for s in union_situations(sel) {
        app.answers.insert(s.key, false);
    }
    for m in union_materials(sel) {
        app.states.insert(m.key, MaterialState::Ok);
    }
    app
}

fn labels(outcome: &BundleOutcome) -> Vec<(String, String)> {
    outcome.items.iter().map(|o| (o.code.clone(), o.label())).collect()
}

#[test]
fn required_items_and_the_chosen_optional_ones_in_bundle_order() {
    let codes = |sel: &Selection| sel.items.iter().map(|i| i.code.clone()).collect::<Vec<_>>();
    assert_eq!(codes(&company(&[])), ["00013112700401", "SW0003"]);
    assert_eq!(codes(&company(&["GJJ0003", "SW0001"])), ["00013112700401", "SW0003", "SW0001", "GJJ0003"]);
    let bundle = KB.bundle("company_startup").expect("by id");
    assert!(Selection::new(&KB, bundle, &["SW0003".into()]).unwrap_err().contains("必办事项"));
    assert!(Selection::new(&KB, bundle, &["GA0003".into()]).unwrap_err().contains("不是一件事"));
}

#[test]
fn a_shared_material_is_one_row_with_every_item_that_needs_it() {
    let sel = company(&["SW0001", "GJJ0003"]);
    let rows = union_materials(&sel);
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    let unique: std::collections::HashSet<&str> = keys.iter().copied().collect();
    assert_eq!(keys.len(), unique.len(), "each material once: {keys:?}");
    // The licence the registration issues is not asked of the applicant by the tax office or the
    // housing fund.
    let licence = rows.iter().find(|r| r.key == "business_licence").expect("licence row");
    assert_eq!(licence.needs.iter().map(|n| n.code.as_str()).collect::<Vec<_>>(), ["SW0003", "GJJ0003"]);
    assert!(licence.all_provided());
    assert!(licence.needs.iter().all(|n| n.provided_by.as_deref() == Some("00013112700401")));
    // An item's own application form stays its own.
    assert!(keys.contains(&"00013112700401/application_form"));
    assert!(keys.contains(&"SW0003/tax_info_form"));
}

#[test]
fn the_same_situation_worded_alike_is_asked_once() {
    let bundle = KB.bundle("残疾人服务").expect("bundle");
    let sel = Selection::new(&KB, bundle, &["MZ0005".into(), "CL0003".into()]).expect("selection");
    let rows = union_situations(&sel);
    // CL0001 and MZ0005 word `guardian` differently from CL0003: asked per item.
    let id_card = union_materials(&sel).into_iter().find(|r| r.key == "id_card").expect("id card");
    assert_eq!(id_card.needs.len(), 2, "{id_card:?}");
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    assert!(keys.iter().filter(|k| k.ends_with("guardian")).count() >= 2, "{keys:?}");
    // `agent` of the registration and of the tax office ask different things.
    let company_rows = union_situations(&company(&[]));
    let agent: Vec<&str> = company_rows.iter().filter(|r| r.id == "agent").map(|r| r.key.as_str()).collect();
    assert_eq!(agent, ["00013112700401/agent", "SW0003/agent"]);
}

#[test]
fn everything_fine_accepts_every_item_and_the_bundle() {
    let sel = company(&["SW0001", "GJJ0003"]);
    let out = decide_bundle(&sel, &all_fine(&sel), today(), &KB.calendar);
    assert_eq!(out.decision, BundleDecision::Accept, "{:?}", labels(&out));
    assert!(out.items.iter().all(|o| o.label() == "受理"));
    assert_eq!(out.items[2].waits_for, ["00013112700401", "SW0003"]);
}

#[test]
fn an_open_question_keeps_the_bundle_unanswered() {
    let sel = company(&[]);
    let mut app = all_fine(&sel);
    app.answers.remove("SW0003/agent");
    let out = decide_bundle(&sel, &app, today(), &KB.calendar);
    assert_eq!(out.decision, BundleDecision::Unanswered);
    assert_eq!(out.items[0].outcome.label(), "受理");
}

#[test]
fn a_registration_not_accepted_holds_back_every_item_after_it() {
    let sel = company(&["GJJ0003"]);
    let mut app = all_fine(&sel);
    app.states.insert("00013112700401/articles".into(), MaterialState::Missing);
    let out = decide_bundle(&sel, &app, today(), &KB.calendar);
    assert_eq!(out.decision, BundleDecision::NoticeOfDeficiency, "{:?}", labels(&out));
    assert_eq!(out.items[0].label(), "一次性告知");
    assert_eq!(out.items[1].label(), "待前序事项受理（00013112700401）");
    assert_eq!(out.items[1].blocked_by, ["00013112700401"]);
    let missing = out.deficiencies(&sel);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].deficiency.name, "公司章程");
}

#[test]
fn one_item_short_gives_a_partial_acceptance_and_one_list() {
    let sel = company(&["GJJ0003"]);
    let mut app = all_fine(&sel);
    app.states.insert("GJJ0003/registration_form".into(), MaterialState::Missing);
    app.states.insert("legal_rep_identity".into(), MaterialState::Missing);
    let out = decide_bundle(&sel, &app, today(), &KB.calendar);
    assert_eq!(out.decision, BundleDecision::Partial, "{:?}", labels(&out));
    assert!(out.items[0].accepted() && out.items[1].accepted());
    assert_eq!(out.items[2].label(), "一次性告知");
    let missing: Vec<(String, Vec<String>)> =
        out.deficiencies(&sel).into_iter().map(|d| (d.key, d.items)).collect();
    assert_eq!(
        missing,
        [
            ("GJJ0003/registration_form".to_string(), vec!["GJJ0003".to_string()]),
            ("legal_rep_identity".to_string(), vec!["GJJ0003".to_string()]),
        ]
    );
}

#[test]
fn a_shared_material_missing_is_listed_once_for_every_item() {
    let bundle = KB.bundle("残疾人服务").expect("bundle");
    let sel = Selection::new(&KB, bundle, &["CL0003".into()]).expect("selection");
    let mut app = all_fine(&sel);
    // 恰好一项 groups: the applicant comes in person and asks for 先购后补.
    app.answers.insert("in_person".into(), true);
    app.answers.insert("self_purchase".into(), true);
    app.states.insert("id_card".into(), MaterialState::Missing);
    let out = decide_bundle(&sel, &app, today(), &KB.calendar);
    assert_eq!(out.decision, BundleDecision::NoticeOfDeficiency, "{:?}", labels(&out));
    let missing = out.deficiencies(&sel);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].items, ["CL0001", "CL0003"]);
}

/// A bundle intake's case for 企业开办 with the housing fund, every question answered 否 and every
/// material brought 合格 except those in `missing`.
fn company_case(missing: &[&str]) -> crate::intake::case::Case {
    use crate::intake::case::{ApplicantKind, Case, CaseEvent, Field};
    let sel = company(&["GJJ0003"]);
    let mut case = Case::default();
    case.apply(&CaseEvent::BundleChosen {
        bundle: "company_startup".into(),
        items: sel.items.iter().map(|i| i.code.clone()).collect(),
        kb_version: "test".into(),
    });
    let fine = all_fine(&sel);
    for (key, holds) in fine.answers {
        case.apply(&CaseEvent::SituationSet { id: key, holds });
    }
    for (key, state) in fine.states {
        let state = if missing.contains(&key.as_str()) { MaterialState::Missing } else { state };
        case.apply(&CaseEvent::MaterialMarked { id: key, state: Some(state) });
    }
    case.apply(&CaseEvent::ApplicantKindSet { kind: ApplicantKind::ProposedOrganisation });
    case.apply(&CaseEvent::FieldSet {
        field: Field::ApplicantName,
        value: "哈尔滨松北示例科技有限公司".into(),
    });
    case
}

#[test]
fn a_bundle_case_splits_into_one_ordinary_case_per_item() {
    use crate::intake::case::{Case, CaseEvent, Field};
    let case = company_case(&[]);
    let subs = split(&KB, &case, CenterLevel::District, today()).expect("split");
    assert_eq!(
        subs.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(),
        ["00013112700401", "SW0003", "GJJ0003"]
    );
    assert!(subs.iter().all(|s| s.decision.label() == "受理"));
    // Each sub-case, folded alone, is the item's own case with its own ids, decided the same.
    for sub in &subs {
        let folded = Case::from_events(sub.events.iter());
        assert_eq!(folded.item_code.as_deref(), Some(sub.code.as_str()));
        assert_eq!(folded.field(Field::ApplicantName), "哈尔滨松北示例科技有限公司");
        let item = KB.item(&sub.code).unwrap();
        let app = folded.application(item, CenterLevel::District);
        let decided = decide(item, &app, today(), &KB.calendar);
        assert_eq!(decided.decision(), Some(&sub.decision), "{}", sub.code);
        assert!(sub.events.iter().all(|e| !matches!(e, CaseEvent::BundleChosen { .. })));
    }
    // The housing fund gets the licence from the registration, not from the applicant.
    assert_eq!(subs[2].provided, ["business_licence"]);
    assert_eq!(subs[2].waits_for, ["00013112700401"]);
}

#[test]
fn an_item_held_back_by_its_predecessor_gets_the_predecessors_notice() {
    let case = company_case(&["00013112700401/articles"]);
    let subs = split(&KB, &case, CenterLevel::District, today()).expect("split");
    assert_eq!(subs[0].decision.label(), "一次性告知");
    for sub in &subs[1..] {
        let Decision::NoticeOfDeficiency { deficiencies, .. } = &sub.decision else {
            panic!("{} should be held back: {:?}", sub.code, sub.decision)
        };
        assert_eq!(deficiencies.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["公司章程"]);
    }
}

#[test]
fn an_open_question_refuses_the_split() {
    let mut case = company_case(&[]);
    case.answers.remove("prior_approval");
    assert!(split(&KB, &case, CenterLevel::District, today()).unwrap_err().contains("未回答"));
}

/// The sub-cases of a split, folded and finished as the store would (numbers made up here).
fn finished_subs(
    case: &crate::intake::case::Case,
) -> Vec<(crate::intake::case::Case, &'static crate::kb::Item)> {
    use crate::intake::case::{Case, CaseEvent};
    let subs = split(&KB, case, CenterLevel::District, today()).expect("split");
    let items: Vec<String> = subs.iter().map(|s| s.code.clone()).collect();
    let at = crate::time::parse_hall("2026-12-03 10:00").expect("time");
    subs.into_iter()
        .enumerate()
        .map(|(i, sub)| {
            let mut c = Case::from_events(sub.events.iter());
            c.apply(&CaseEvent::BundleMember {
                bundle: "company_startup".into(),
                name: "企业开办".into(),
                number: "PF-W03-20261203-0001".into(),
                position: i as u16,
                items: items.clone(),
                numbers: (1..=items.len()).map(|n| format!("PF-W03-20261203-000{n}")).collect(),
                waits_for: sub.waits_for.clone(),
                provided: sub.provided.clone(),
            });
            c.apply(&CaseEvent::Finished {
                number: format!("PF-W03-20261203-000{}", i + 1),
                decision: sub.decision,
                at,
            });
            let item = KB.item(&sub.code).expect("item");
            (c, item)
        })
        .collect()
}

fn center() -> crate::intake::notice::Center {
    crate::intake::notice::Center {
        name: "松北区政务服务中心".into(),
        window: "03".into(),
        clerk: "王芳".into(),
        lookup_url: None,
    }
}

fn table_rows(notice: &crate::intake::notice::Notice) -> Vec<Vec<String>> {
    notice
        .blocks
        .iter()
        .find_map(|b| match b {
            crate::intake::notice::Block::Table { rows, .. } => Some(rows.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn one_notice_lists_everything_missing_across_the_bundle_once() {
    use crate::intake::notice::{NoticeKind, bundle::bundle_notices};
    // The registration lacks its articles (and so holds back the tax office and the fund); the
    // fund also lacks its own form.
    let case = company_case(&["00013112700401/articles", "GJJ0003/registration_form"]);
    let subs = finished_subs(&case);
    let pairs: Vec<(&crate::intake::case::Case, &crate::kb::Item)> =
        subs.iter().map(|(c, i)| (c, *i)).collect();
    let notices = bundle_notices(&pairs, &center(), &KB.calendar);
    assert_eq!(notices.len(), 1, "{:?}", notices.iter().map(|n| n.kind).collect::<Vec<_>>());
    let notice = &notices[0];
    assert_eq!(notice.kind, NoticeKind::Deficiency);
    assert_eq!(notice.number, "PF-W03-20261203-0001", "the bundle's number");
    let rows = table_rows(notice);
    let names: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(names, ["公司章程", "住房公积金单位缴存登记表"], "{rows:?}");
    assert!(
        rows[0][4].contains("有限责任公司设立登记") && rows[0][4].contains("住房公积金单位缴存登记"),
        "{rows:?}"
    );
}

#[test]
fn accepted_items_get_their_own_notices_beside_the_one_list() {
    use crate::intake::notice::{NoticeKind, bundle::bundle_notices};
    let case = company_case(&["GJJ0003/registration_form"]);
    let subs = finished_subs(&case);
    let pairs: Vec<(&crate::intake::case::Case, &crate::kb::Item)> =
        subs.iter().map(|(c, i)| (c, *i)).collect();
    let notices = bundle_notices(&pairs, &center(), &KB.calendar);
    let kinds: Vec<(NoticeKind, &str)> = notices.iter().map(|n| (n.kind, n.number.as_str())).collect();
    assert!(kinds.contains(&(NoticeKind::Acceptance, "PF-W03-20261203-0001")), "{kinds:?}");
    assert!(kinds.contains(&(NoticeKind::Acceptance, "PF-W03-20261203-0002")), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|(k, _)| *k == NoticeKind::Deficiency).count(), 1, "{kinds:?}");
    let deficiency = notices.iter().find(|n| n.kind == NoticeKind::Deficiency).unwrap();
    assert_eq!(table_rows(deficiency).len(), 1);
}

#[test]
fn two_uses_of_one_shared_material_in_an_item_are_two_documents() {
    // RS0016 asks for the heir's 身份证 and the deceased's: one joins the applicant's row, the
    // other is a row of its own, and no row names an item twice.
    let bundle = KB.bundle("身后一件事").expect("bundle 身后一件事");
    let sel = Selection::new(&KB, bundle, &["RS0016".to_string()]).expect("selection");
    let rows = union_materials(&sel);
    let id_card = rows.iter().find(|r| r.key == "id_card").expect("id card row");
    assert_eq!(needs_text(&id_card.needs), "GA0005、RS0016");
    assert!(rows.iter().any(|r| r.key == "RS0016/insured_id"), "the deceased's ID has its own row");
    for row in &rows {
        let mut codes: Vec<&str> = row.needs.iter().map(|n| n.code.as_str()).collect();
        codes.dedup();
        assert_eq!(codes.len(), row.needs.len(), "{} names an item twice", row.key);
    }
}
