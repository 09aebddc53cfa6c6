//! Notices and time limits, provisional dates and 告知承诺 (issue 9, items 1, 4 and 5).

use super::tests::{KB, center, finished};
use super::*;
use crate::kb::limits::{SPECIAL_NOT_COUNTED, SpecialKind, SpecialProcedure, Unit};
use crate::kb::{PROVISIONAL_MARK, PROVISIONAL_NOTE};

const COMPANY: &str = "00013112700401";
const HYGIENE: &str = "WJ0003";

fn texts(case: &Case, item: &Item) -> Vec<(NoticeKind, String)> {
    notices_for(case, item, &center(), &KB.calendar).iter().map(|n| (n.kind, n.to_text())).collect()
}

#[test]
fn a_date_in_a_provisional_year_is_marked_with_the_explaining_sentence() {
    let item = KB.item(COMPANY).unwrap();
    // 2027's arrangement is not announced (knowledge-base/calendar/2027.toml is provisional).
    let case = finished(item, &[], false, "2027-03-01 10:00");
    let (_, text) = &texts(&case, item)[0];
    assert!(text.contains(&format!("2027年03月02日{PROVISIONAL_MARK}前办结")), "{text}");
    let squeezed: String = text.split_whitespace().collect();
    assert!(squeezed.contains(PROVISIONAL_NOTE), "{text}");
    // A date in an announced year carries no mark and no sentence.
    let case = finished(item, &[], false, "2026-09-30 10:00");
    for (_, text) in texts(&case, item) {
        assert!(!text.contains("暂定"), "{text}");
    }
}

#[test]
fn the_lenient_deadline_in_a_provisional_year_is_marked_too() {
    let item = KB.item(COMPANY).unwrap();
    let case = finished(item, &[("premises", MaterialState::Missing)], true, "2026-12-31 10:00");
    let all = texts(&case, item);
    let (_, commitment) = all.iter().find(|(k, _)| *k == NoticeKind::LenientCommitment).unwrap();
    // Wrapped at 80 columns: compare without whitespace.
    let squeezed: String = commitment.split_whitespace().collect();
    assert!(squeezed.contains(&format!("2027年01月04日{PROVISIONAL_MARK}前")), "{commitment}");
    assert!(squeezed.contains(PROVISIONAL_NOTE), "{commitment}");
}

#[test]
fn the_acceptance_notice_states_the_statutory_limit_extension_and_special_procedures() {
    let mut item = KB.item(HYGIENE).unwrap().clone();
    item.time_limits.special_procedures.push(SpecialProcedure {
        kind: SpecialKind::Inspection,
        amount: 10,
        unit: Unit::WorkingDays,
        basis: "《中华人民共和国行政许可法》第四十五条".into(),
    });
    let case = finished(&item, &[], false, "2026-06-01 10:00");
    let (kind, text) = &texts(&case, &item)[0];
    assert_eq!(*kind, NoticeKind::Acceptance);
    let text: String = text.split_whitespace().collect();
    assert!(text.contains("法定办结时限：20个工作日（依据："), "{text}");
    assert!(text.contains("检验10个工作日"), "{text}");
    assert!(text.contains(SPECIAL_NOT_COUNTED), "{text}");
    assert!(text.contains("承诺时限10个工作日"), "{text}");
}

#[test]
fn a_commitment_prints_the_commitment_notice_and_never_says_lenient() {
    let item = KB.item(HYGIENE).unwrap();
    let case =
        finished(item, &[("hygiene_test_report", MaterialState::Committed)], false, "2026-06-01 10:00");
    assert_eq!(case.check_tasks().len(), 1);
    let all = texts(&case, item);
    let kinds: Vec<_> = all.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, [NoticeKind::Acceptance, NoticeKind::InformedCommitment, NoticeKind::Receipt]);
    for (kind, text) in &all {
        assert!(!text.contains("容缺"), "{kind:?} must not call a commitment 容缺: {text}");
    }
    let acceptance: String = all[0].1.split_whitespace().collect();
    assert!(acceptance.contains("决定予以受理") && acceptance.contains("以告知承诺方式替代"), "{acceptance}");
    let commitment: String = all[1].1.split_whitespace().collect();
    for expected in [
        "告知承诺书",
        "公共场所卫生检测或者评价报告",
        "2026年08月03日前",
        "撤销卫生许可",
        "国办发〔2020〕42号",
    ] {
        assert!(commitment.contains(expected), "{expected}: {commitment}");
    }
    // The certificate was not received: the receipt does not list it.
    assert!(!all[2].1.contains("公共场所卫生检测或者评价报告"), "{}", all[2].1);
}
