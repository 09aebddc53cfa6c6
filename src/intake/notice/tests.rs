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
        name: "哈尔滨市道里区政务服务中心".into(),
        window: "05".into(),
        clerk: "王丽".into(),
        lookup_url: None,
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
    finished_with(item, states, agrees, at, &[])
}

/// As [`finished`], with `extra` events (situations answered 是, an agent's data …) applied after
/// every situation was answered 否.
pub(crate) fn finished_with(
    item: &Item,
    states: &[(&str, MaterialState)],
    agrees: bool,
    at: &str,
    extra: &[CaseEvent],
) -> Case {
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
    for e in extra {
        case.apply(e);
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
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    // What to bring, in the applicant's words (the KB's to_bring), not the clerk's checkpoints.
    let articles = item.materials.iter().find(|m| m.id == "articles").unwrap();
    let bring: String =
        articles.to_bring.as_deref().unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    assert!(flat.contains(&bring), "{text}");
    assert!(flat.contains("原件1份"), "{text}");
    // The clerk's first checkpoint (载明公司法第四十六条规定的事项…) is not printed.
    assert!(!flat.contains(&articles.checkpoints[0].replace(' ', "")), "clerk-facing: {text}");
    // The article: these materials have none of their own, so the item's basis is printed once.
    assert!(flat.contains("本事项设定依据（见表下）"), "{text}");
    assert!(flat.contains("本事项设定依据：《中华人民共和国公司法》第二十九条"), "{text}");
}

#[test]
fn a_material_with_its_own_basis_cites_it_on_the_deficiency_notice() {
    let (case, item) = case(&[("appointment_documents", MaterialState::Missing)], false);
    let text = notices_for(&case, item, &center(), &KB.calendar)[0].to_text();
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let basis =
        item.materials.iter().find(|m| m.id == "appointment_documents").unwrap().basis.clone().unwrap();
    assert!(flat.contains(&format!("依据：{basis}")), "{text}");
    assert!(!flat.contains("见表下"), "no pointer when every row has its own basis: {text}");
}

#[test]
fn without_to_bring_the_notice_says_it_from_quantities_and_medium() {
    let mut material = KB.item(COMPANY).unwrap().materials[0].clone();
    material.to_bring = None;
    material.fill_notes = Some("名称与自主申报结果一致".into());
    let text = what_to_bring(&material);
    assert!(text.starts_with("《公司登记（备案）申请书》原件 1 份（纸质或电子版均可）"), "{text}");
    assert!(text.contains("使用公司登记（备案）申请书（市场监管总局版）填写"), "{text}");
    assert!(text.contains("填写要求：名称与自主申报结果一致"), "{text}");
}

/// The company item's case brought by an agent, 李四, with the letter of authorisation.
pub(crate) fn agent_case() -> (Case, &'static Item) {
    let item = KB.item(COMPANY).unwrap();
    let extra = [
        CaseEvent::SituationSet { id: "agent".into(), holds: true },
        CaseEvent::FieldSet { field: Field::AgentName, value: "李四".into() },
        CaseEvent::FieldSet { field: Field::AgentIdNumber, value: "230108198001011234".into() },
        CaseEvent::FieldSet { field: Field::AgentPhone, value: "13912345678".into() },
        CaseEvent::FieldSet {
            field: Field::AuthorisationScope, value: "代为提交材料、领取营业执照".into()
        },
    ];
    (finished_with(item, &[], false, "2026-11-30 10:00", &extra), item)
}

#[test]
fn an_agent_submitting_is_named_with_the_masked_id_and_the_mandate_and_signs() {
    let (case, item) = agent_case();
    let notices = notices_for(&case, item, &center(), &KB.calendar);
    let receipt = notices.iter().find(|n| n.kind == NoticeKind::Receipt).unwrap().to_text();
    let flat: String = receipt.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        flat.contains("今收到委托代理人李四（身份证号230108********1234）代申请人张三丰提交的下列材料"),
        "{receipt}"
    );
    assert!(!flat.contains("230108198001011234"), "the agent's ID is masked: {receipt}");
    assert!(flat.contains("委托代理人身份证号：230108********1234"), "{receipt}");
    assert!(flat.contains("委托事项及权限：代为提交材料、领取营业执照"), "{receipt}");
    assert!(flat.contains("已收取《指定代表或者共同委托代理人授权委托书及其身份证件》"), "{receipt}");
    assert!(flat.contains("委托代理人（签字）") && flat.contains("（委托人：张三丰）"), "{receipt}");
    assert!(!flat.contains("申请人（签字）"), "the applicant did not come: {receipt}");
    // Every notice says who submitted.
    for n in &notices {
        let text: String = n.to_text().chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains("提交人：委托代理人李四"), "{}: {text}", n.title());
    }
}

#[test]
fn a_guardian_submitting_signs_for_the_ward() {
    let item = KB.item("CL0001").unwrap();
    let extra = [
        CaseEvent::SituationSet { id: "guardian".into(), holds: true },
        CaseEvent::FieldSet { field: Field::AgentName, value: "王五".into() },
        CaseEvent::FieldSet { field: Field::AgentIdNumber, value: "230108198001011234".into() },
        CaseEvent::FieldSet { field: Field::AuthorisationScope, value: "父子，户口簿".into() },
    ];
    let case = finished_with(item, &[], false, "2026-11-30 10:00", &extra);
    let notices = notices_for(&case, item, &center(), &KB.calendar);
    let receipt = notices.iter().find(|n| n.kind == NoticeKind::Receipt).unwrap().to_text();
    let flat: String = receipt.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(flat.contains("今收到监护人王五（身份证号230108********1234）代被监护人张三丰提交"), "{receipt}");
    assert!(flat.contains("监护关系及证明：父子，户口簿"), "{receipt}");
    assert!(flat.contains("监护人（签字）") && flat.contains("（被监护人：张三丰）"), "{receipt}");
    assert!(!flat.contains("申请人（签字）") && !flat.contains("授权委托书"), "{receipt}");
}

#[test]
fn an_organisation_applying_itself_seals_and_its_representative_signs() {
    let item = KB.item(COMPANY).unwrap();
    let extra = [
        CaseEvent::ApplicantKindSet { kind: ApplicantKind::Organisation },
        CaseEvent::FieldSet {
            field: Field::ApplicantName, value: "哈尔滨某某科技有限公司".into()
        },
    ];
    let case = finished_with(item, &[], false, "2026-11-30 10:00", &extra);
    let notices = notices_for(&case, item, &center(), &KB.calendar);
    let receipt = notices.iter().find(|n| n.kind == NoticeKind::Receipt).unwrap().to_text();
    assert!(
        receipt.contains("申请单位（盖章）") && receipt.contains("法定代表人或经办人（签字）"),
        "{receipt}"
    );
}

#[test]
fn the_two_commitments_number_their_rows_with_one_builder() {
    let block =
        numbered_table(&["材料", "期限"], [vec!["甲".into(), "1日".into()], vec!["乙".into(), "2日".into()]]);
    assert_eq!(
        block,
        Block::Table {
            header: vec!["序号".into(), "材料".into(), "期限".into()],
            rows: vec![
                vec!["1".into(), "甲".into(), "1日".into()],
                vec!["2".into(), "乙".into(), "2日".into()]
            ],
        }
    );
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

#[test]
fn the_delivery_receipt_follows_who_collected_or_the_mail() {
    let (mut case, item) = case(&[], false);
    assert!(delivery_receipt(&case, item, &center()).is_none(), "not handed over yet");
    let at = crate::time::parse_hall("2026-10-09 15:00").unwrap();
    case.apply(&CaseEvent::HandedOver { to: "赵六".into(), reference: "230108198001011234".into(), at });
    let text = delivery_receipt(&case, item, &center()).unwrap().to_text();
    assert!(text.contains("领取人：赵六") && text.contains("230108********1234"), "{text}");
    assert!(text.contains("领取人（签字）") && text.contains("营业执照"), "{text}");
    assert!(!text.contains("申请人（签字）"), "{text}");

    case.delivery = Delivery::Mail;
    case.fields.insert(Field::MailRecipient, "张三丰".into());
    case.fields.insert(Field::MailAddress, "哈尔滨市道里区友谊路100号".into());
    case.apply(&CaseEvent::HandedOver { to: "邮寄".into(), reference: "SF1234567890".into(), at });
    let text = delivery_receipt(&case, item, &center()).unwrap().to_text();
    assert!(
        text.contains("邮寄送达") && text.contains("SF1234567890") && text.contains("友谊路100号"),
        "{text}"
    );
    assert!(!text.contains("领取人（签字）"), "{text}");
}

#[test]
fn the_acceptance_prints_query_code_address_and_qr_only_when_configured() {
    let (mut case, item) = case(&[], false);
    let at = case.finished_at.unwrap();
    case.apply(&CaseEvent::QueryCodeIssued {
        code: Some("AB23-CD45".into()),
        code_sha256: crate::intake::query_code::hash("AB23-CD45"),
        at,
    });
    // No lookup address configured: nothing about the page.
    let plain = notices_for(&case, item, &center(), &KB.calendar)[0].to_text();
    assert!(!plain.contains("查询码"), "{plain}");
    let configured = Center { lookup_url: Some("https://zwfw.example.cn/lookup".into()), ..center() };
    let notice = &notices_for(&case, item, &configured, &KB.calendar)[0];
    let text = notice.to_text();
    let link = "https://zwfw.example.cn/lookup?case=HRBDL-05-20260930-0001";
    assert!(text.contains("查询码：AB23-CD45") && text.contains(&format!("查询网址：{link}")), "{text}");
    assert!(notice.blocks.contains(&Block::Qr(link.into())));
    // Before the signatures.
    let qr = notice.blocks.iter().position(|b| matches!(b, Block::Qr(_))).unwrap();
    assert!(matches!(notice.blocks[qr + 1], Block::Signatures(_)));
}
