use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::*;
use crate::intake::case::CaseEvent;
use crate::intake::rules::{Application, decide};
use crate::kb::Kb;

pub(crate) static KB: LazyLock<Kb> = LazyLock::new(|| Kb::embedded().unwrap());
const COMPANY: &str = "00013112700401";

pub(crate) fn center() -> Center {
    Center {
        name: "哈尔滨市道里区政务服务中心".into(), window: "05".into(), clerk: "王丽".into()
    }
}

/// A finished case of the company item with these material states, on 2026-09-30 (the day before
/// the National Day holiday).
pub(crate) fn case(states: &[(&str, MaterialState)], agrees: bool) -> (Case, &'static Item) {
    let item = KB.item(COMPANY).unwrap();
    (finished(item, states, agrees, "2026-09-30 10:00"), item)
}

/// A finished case of `item` at `at` (`YYYY-MM-DD HH:MM`): every material as given (else 合格), every
/// situation 否, numbered `HRBDL-05-<date>-0001`.
pub(crate) fn finished(item: &Item, states: &[(&str, MaterialState)], agrees: bool, at: &str) -> Case {
    let at: DateTime<Utc> = crate::time::parse_hall(at).unwrap();
    let mut events = vec![
        CaseEvent::Started { at },
        CaseEvent::ItemChosen { code: item.code.clone(), kb_version: "1".into() },
        CaseEvent::FieldSet { field: Field::ApplicantName, value: "张三丰".into() },
        CaseEvent::FieldSet { field: Field::IdNumber, value: "11010519491231002X".into() },
        CaseEvent::FieldSet { field: Field::Phone, value: "13800138000".into() },
        CaseEvent::CommitmentAgreed { agrees },
    ];
    for m in &item.materials {
        let state = states.iter().find(|(id, _)| *id == m.id).map_or(MaterialState::Ok, |(_, s)| s.clone());
        events.push(CaseEvent::MaterialMarked { id: m.id.clone(), state: Some(state) });
    }
    let mut case = Case::from_events(&events);
    for s in &item.situations {
        case.apply(&CaseEvent::SituationSet { id: s.id.clone(), holds: false });
    }
    let app: Application = case.application(item, Default::default());
    let decision =
        decide(item, &app, crate::time::hall_date(at), &KB.calendar).into_decision().expect("all answered");
    let number = format!("HRBDL-05-{}-0001", crate::time::hall_date(at).format("%Y%m%d"));
    case.apply(&CaseEvent::Finished { number, decision, at });
    case
}

#[test]
fn accepted_case_gets_acceptance_and_receipt_with_the_promised_date() {
    let (case, item) = case(&[], false);
    let notices = notices_for(&case, item, &center(), &KB.calendar);
    let kinds: Vec<_> = notices.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NoticeKind::Acceptance, NoticeKind::Receipt]);
    let text = notices[0].to_text();
    assert!(text.contains("受理通知书") && text.contains("张三丰") && text.contains(&item.name), "{text}");
    assert!(text.contains("《中华人民共和国行政许可法》第三十二条"), "{text}");
    // Promised 1 working day from 9-30, across the National Day holiday.
    assert!(text.contains("2026年10月08日前办结"), "{text}");
    assert!(text.contains("110105********002X") && !text.contains("11010519491231002X"), "ID masked: {text}");
    assert!(text.contains("138****8000"), "{text}");
    let receipt = notices[1].to_text();
    assert!(receipt.contains("公司章程") && receipt.contains("申请人（签字）"), "{receipt}");
}

#[test]
fn lenient_case_gets_the_commitment_with_deadlines_on_the_calendar() {
    let (case, item) = case(&[("premises", MaterialState::Missing)], true);
    let notices = notices_for(&case, item, &center(), &KB.calendar);
    let kinds: Vec<_> = notices.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NoticeKind::Acceptance, NoticeKind::LenientCommitment, NoticeKind::Receipt]);
    let text = notices[1].to_text();
    assert!(text.contains("住所（经营场所）使用证明"), "{text}");
    assert!(text.contains("2026年10月08日 前"), "deadline skips the holiday: {text}");
    assert!(text.contains("逾期未补齐的，按规定终止受理"), "{text}");
    assert!(text.contains("申请人（签字）"), "{text}");
    assert!(!notices[2].to_text().contains("住所（经营场所）使用证明"), "missing material not received");
    // The acceptance notice of a 容缺 case never says the materials are complete.
    let acceptance = notices[0].to_text().replace('\n', "");
    assert!(!acceptance.contains("经审查，申请材料齐全"), "{acceptance}");
    assert!(
        acceptance.contains("尚有 1 项次要材料需容缺补正") && acceptance.contains("决定容缺受理"),
        "{acceptance}"
    );
}

#[test]
fn deficiency_lists_every_problem_with_what_is_required() {
    let defect = MaterialState::Defect { text: "法定代表人未签字".into() };
    let (case, item) = case(&[("application_form", defect), ("articles", MaterialState::Missing)], false);
    let notices = notices_for(&case, item, &center(), &KB.calendar);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].kind, NoticeKind::Deficiency);
    let text = notices[0].to_text();
    assert!(
        text.contains("法定代表人未签字") && text.contains("公司章程") && text.contains("未提交"),
        "{text}"
    );
    let articles = item.materials.iter().find(|m| m.id == "articles").unwrap();
    assert!(text.replace('\n', "").contains(&articles.checkpoints[0]), "{text}");
}

#[test]
fn rejection_gives_reason_basis_and_remedies() {
    let (mut case, item) = case(&[], false);
    case.decision = Some(Decision::Reject {
        reason: RejectReason::NotEligible { reason: "股东人数超过五十人".into() },
        basis: vec!["《中华人民共和国公司法》第四十二条".into()],
    });
    let notices = notices_for(&case, item, &center(), &KB.calendar);
    let text = notices[0].to_text();
    assert!(text.contains("不予受理通知书") && text.contains("股东人数超过五十人"), "{text}");
    assert!(text.contains("第四十二条") && text.contains("行政复议") && text.contains("行政诉讼"), "{text}");
}

#[test]
fn text_lines_fit_80_columns() {
    let (case, item) = case(&[("premises", MaterialState::Missing)], true);
    for notice in notices_for(&case, item, &center(), &KB.calendar) {
        for line in notice.to_text().lines() {
            assert!(line.width() <= 80, "{}: {line}", notice.title());
        }
    }
}

#[test]
fn an_unfinished_case_has_no_notices() {
    let item = KB.item(COMPANY).unwrap();
    assert!(notices_for(&Case::default(), item, &center(), &KB.calendar).is_empty());
}

#[test]
fn a_window_without_a_clerks_name_signs_with_its_number() {
    let mut c = center();
    c.clerk.clear();
    assert_eq!(c.signer(), format!("{} 号窗口", c.window));
    let (case, item) = case(&[], false);
    let text = notices_for(&case, item, &c, &KB.calendar)[0].to_text();
    assert!(text.contains(&format!("受理人：{} 号窗口", c.window)), "{text}");
}

#[test]
fn a_credit_code_failing_its_check_prints_only_for_the_code_a_supervisor_approved() {
    use crate::intake::case::{ApplicantKind, Exception, Field};
    let code = "91350100M000100Y44";
    let mut case = Case { applicant_kind: ApplicantKind::Organisation, ..Case::default() };
    case.apply(&CaseEvent::FieldSet { field: Field::CreditCode, value: code.into() });
    let printed = |case: &Case| applicant_fields(case).into_iter().find(|(k, _)| k == "统一社会信用代码");
    let (_, shown) = printed(&case).expect("the line is there");
    assert!(!shown.contains(code) && shown.contains("未经主管放行"), "{shown}");
    let approval = |value: &str| CaseEvent::ExceptionApproved {
        exception: Exception::CreditCodeWarning,
        value: value.into(),
        supervisor: "赵敏".into(),
        at: "2026-12-03T01:00:00Z".parse().unwrap(),
    };
    // An approval of another code does not count.
    case.apply(&approval("91350100M000100Y45"));
    assert!(!printed(&case).expect("line").1.contains(code));
    case.apply(&approval(code));
    assert_eq!(printed(&case).expect("line").1, code);
    // A valid code prints as it is, with no approval needed.
    let mut valid = Case { applicant_kind: ApplicantKind::Organisation, ..Case::default() };
    valid.apply(&CaseEvent::FieldSet { field: Field::CreditCode, value: "91350100M000100Y43".into() });
    assert_eq!(printed(&valid).expect("line").1, "91350100M000100Y43");
}
