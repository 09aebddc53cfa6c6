use std::process::Command;

use super::*;
use crate::intake::MaterialState;
use crate::intake::notice::tests::{KB, case, center};
use crate::intake::notice::{NoticeKind, notices_for};

/// The text of a PDF, via pdftotext (poppler-utils; tests/run.sh installs it).
fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext is required: run tests/run.sh, which installs poppler-utils");
    assert!(out.status.success(), "pdftotext failed on {}", path.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn every_notice_kind_prints_a_pdf_with_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let config = PrintConfig::files(dir.path().to_path_buf());
    let defect = MaterialState::Defect { text: "法定代表人未签字".into() };
    let cases = [
        case(&[], false),
        case(&[("premises", MaterialState::Missing)], true),
        case(&[("application_form", defect), ("articles", MaterialState::Missing)], false),
    ];
    let mut kinds = Vec::new();
    for (case, item) in &cases {
        for notice in notices_for(case, item, &center(), &KB.calendar) {
            let outcome = print(&notice, &config).unwrap();
            assert!(!outcome.printed && outcome.missing_glyphs.is_empty());
            let text = squeeze(&pdf_text(&outcome.pdf));
            for expected in [
                notice.title(),
                "张三丰",
                item.name.as_str(),
                notice.number.as_str(),
                "哈尔滨市道里区政务服务中心",
            ] {
                assert!(text.contains(&squeeze(expected)), "{:?} lacks {expected}: {text}", notice.kind);
            }
            if notice.kind == NoticeKind::LenientCommitment {
                // Table cells wrap within their column, so check the pieces.
                assert!(text.contains("2026年10月") && text.contains("住所（经营"), "{text}");
            }
            if notice.kind == NoticeKind::Deficiency {
                assert!(text.contains("法定代表人未签字") && text.contains("公司章程"), "{text}");
            }
            let written = std::fs::read_to_string(&outcome.text).unwrap();
            assert_eq!(written, notice.to_text());
            let size = std::fs::metadata(&outcome.pdf).unwrap().len();
            assert!(size < 200_000, "the font is subset: {size} bytes");
            kinds.push(notice.kind);
        }
    }
    assert_eq!(kinds.len(), 6);
}

#[test]
fn the_print_command_gets_the_pdf_and_a_failing_one_keeps_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir(&spool).unwrap();
    let script = dir.path().join("fake-lp");
    std::fs::write(&script, format!("#!/bin/sh\ncp \"$1\" {}/\n", spool.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (case, item) = case(&[], false);
    let notice = &notices_for(&case, item, &center(), &KB.calendar)[0];
    let mut config = PrintConfig::files(dir.path().join("out"));
    config.command = Some(script.display().to_string());
    let outcome = print(notice, &config).unwrap();
    assert!(outcome.printed);
    assert!(spool.join(outcome.pdf.file_name().unwrap()).exists());

    config.command = Some("/nonexistent/lp -d hall".into());
    let err = print(notice, &config).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/lp") && err.contains("文书已保存在"), "{err}");
    assert!(outcome.pdf.exists() && outcome.text.exists());

    config.command = Some("false".into());
    assert!(print(notice, &config).unwrap_err().to_string().contains("退出码 1"));
}

#[test]
fn characters_outside_the_font_print_as_a_box_and_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (mut case, item) = case(&[], false);
    // 𠮷 (U+20BB7) is outside GB 2312.
    case.fields.insert(crate::intake::case::Field::ApplicantName, "吉𠮷".into());
    let notice = &notices_for(&case, item, &center(), &KB.calendar)[0];
    let outcome = print(notice, &PrintConfig::files(dir.path().to_path_buf())).unwrap();
    assert_eq!(outcome.missing_glyphs, vec!['𠮷']);
    assert!(pdf_text(&outcome.pdf).contains("吉□"));
}

#[test]
fn a_long_notice_breaks_into_pages() {
    let (mut case, item) = case(&[], false);
    case.fields.insert(crate::intake::case::Field::ApplicantName, "张三丰".repeat(400));
    let notice = &notices_for(&case, item, &center(), &KB.calendar)[0];
    let dir = tempfile::tempdir().unwrap();
    let outcome = print(notice, &PrintConfig::files(dir.path().to_path_buf())).unwrap();
    let text = pdf_text(&outcome.pdf);
    assert!(text.contains("第 2 页"), "{text}");
}

#[test]
fn a_notice_with_a_date_in_a_provisional_year_prints_the_mark_and_the_sentence() {
    use crate::intake::notice::tests::finished;
    let item = KB.item("00013112700401").unwrap();
    let case = finished(item, &[], false, "2027-03-01 10:00");
    let notice = &notices_for(&case, item, &center(), &KB.calendar)[0];
    let dir = tempfile::tempdir().unwrap();
    let outcome = print(notice, &PrintConfig::files(dir.path().to_path_buf())).unwrap();
    let text = squeeze(&pdf_text(&outcome.pdf));
    assert!(text.contains("2027年03月02日（暂定）前办结"), "{text}");
    assert!(text.contains(&squeeze(crate::kb::PROVISIONAL_NOTE)), "{text}");
}

#[test]
fn the_informed_commitment_notice_prints_as_a_pdf() {
    use crate::intake::notice::tests::finished;
    let item = KB.item("WJ0003").unwrap();
    let case =
        finished(item, &[("hygiene_test_report", MaterialState::Committed)], false, "2026-06-01 10:00");
    let notices = notices_for(&case, item, &center(), &KB.calendar);
    let notice = notices.iter().find(|n| n.kind == NoticeKind::InformedCommitment).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outcome = print(notice, &PrintConfig::files(dir.path().to_path_buf())).unwrap();
    assert!(outcome.missing_glyphs.is_empty(), "{:?}", outcome.missing_glyphs);
    let text = squeeze(&pdf_text(&outcome.pdf));
    // Table cells wrap, so the deadline is looked for without its last characters; the name is
    // whole in the paragraph on the consequences.
    for expected in ["告知承诺书", "公共场所卫生检测或者评价报告——", "2026年08月03", "撤销卫生许可"]
    {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert!(!text.contains("容缺"), "{text}");
}

/// The text of page `page` of a PDF.
fn page_text(path: &Path, page: usize) -> String {
    let out = Command::new("pdftotext")
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext");
    squeeze(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn the_last_page_of_a_long_deficiency_notice_carries_more_than_the_closing_lines() {
    let item = KB.item("00013112700401").unwrap();
    let missing: Vec<(&str, MaterialState)> =
        item.materials.iter().map(|m| (m.id.as_str(), MaterialState::Missing)).collect();
    let notice = |n: usize| {
        let (mut case, _) = case(&missing, false);
        // A longer name (in the header and the first paragraph) pushes everything down.
        case.fields
            .insert(crate::intake::case::Field::ApplicantName, format!("张三丰{}", "某".repeat(n * 8)));
        notices_for(&case, item, &center(), &KB.calendar).remove(0)
    };
    // The sizes where one more line adds a page are where a closing line would be left alone.
    let counts: Vec<usize> = (0..70).map(|n| pdf::page_count(&notice(n))).collect();
    let boundaries: Vec<usize> = (1..70).filter(|&n| counts[n] > counts[n - 1]).collect();
    assert!(!boundaries.is_empty(), "the sizes tried cross a page break: {counts:?}");
    let dir = tempfile::tempdir().unwrap();
    for n in boundaries {
        let notice = notice(n);
        assert_eq!(notice.kind, NoticeKind::Deficiency);
        let outcome = print(&notice, &PrintConfig::files(dir.path().join(n.to_string()))).unwrap();
        let text = page_text(&outcome.pdf, counts[n]);
        assert!(text.contains("受理人：王丽"), "n {n}: {text}");
        // The closing lines take the paragraphs before them along: never a page of one sentence.
        assert!(text.contains("请按上述要求补齐材料后再次提交"), "n {n}: {text}");
        assert!(text.contains("本事项设定依据："), "n {n}: {text}");
    }
}

/// Every notice of `case` printed; the text of each by kind, whitespace removed.
fn printed(case: &crate::intake::case::Case, item: &crate::kb::Item) -> Vec<(NoticeKind, String)> {
    let dir = tempfile::tempdir().unwrap();
    let config = PrintConfig::files(dir.path().to_path_buf());
    notices_for(case, item, &center(), &KB.calendar)
        .iter()
        .map(|n| (n.kind, squeeze(&pdf_text(&print(n, &config).unwrap().pdf))))
        .collect()
}

#[test]
fn printed_receipt_of_an_agent_names_the_agent_the_masked_id_and_the_mandate() {
    let (case, item) = crate::intake::notice::tests::agent_case();
    let all = printed(&case, item);
    let (_, receipt) = all.iter().find(|(k, _)| *k == NoticeKind::Receipt).unwrap();
    for expected in [
        "今收到委托代理人李四（身份证号230108********1234）代申请人张三丰提交的下列材料",
        "委托代理人身份证号：230108********1234",
        "委托事项及权限：代为提交材料、领取营业执照",
        "已收取《指定代表或者共同委托代理人授权委托书及其身份证件》",
        "委托代理人（签字）",
    ] {
        assert!(receipt.contains(expected), "{expected}: {receipt}");
    }
    assert!(!receipt.contains("230108198001011234") && !receipt.contains("申请人（签字）"), "{receipt}");
    // Every printed notice says who submitted.
    for (kind, text) in &all {
        assert!(text.contains("提交人：委托代理人李四"), "{kind:?}: {text}");
    }
}

#[test]
fn printed_deficiency_notice_says_what_to_bring_and_the_article() {
    let (case, item) = case(
        &[("articles", MaterialState::Missing), ("appointment_documents", MaterialState::Missing)],
        false,
    );
    let all = printed(&case, item);
    let (kind, text) = &all[0];
    assert_eq!(*kind, NoticeKind::Deficiency);
    // Table cells wrap within their column: look for pieces short enough to stay on one line.
    for expected in [
        "全体股东签署的",
        "原件1份",
        "请携带",
        "依据",
        "《中华人民共和国市场主体登",
        "本事项设定依据：《中华人民共和国公司法》第二十九条",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    let articles = item.materials.iter().find(|m| m.id == "articles").unwrap();
    assert!(!text.contains(&squeeze(&articles.checkpoints[0])), "no clerk checkpoint: {text}");
    // No line starts with closing punctuation.
    let dir = tempfile::tempdir().unwrap();
    let notice = &notices_for(&case, item, &center(), &KB.calendar)[0];
    let raw = pdf_text(&print(notice, &PrintConfig::files(dir.path().to_path_buf())).unwrap().pdf);
    for line in raw.lines().map(str::trim_start) {
        let first = line.chars().next();
        assert!(
            first.is_none_or(|c| !crate::intake::notice::lines::NO_LINE_START.contains(c)),
            "line starts with closing punctuation: {line}"
        );
    }
}

#[test]
fn printed_receipt_of_a_guardian_signs_for_the_ward() {
    use crate::intake::case::{CaseEvent, Field};
    let item = KB.item("CL0001").unwrap();
    let extra = [
        CaseEvent::SituationSet { id: "guardian".into(), holds: true },
        CaseEvent::FieldSet { field: Field::AgentName, value: "王五".into() },
        CaseEvent::FieldSet { field: Field::AgentIdNumber, value: "230108198001011234".into() },
    ];
    let case = crate::intake::notice::tests::finished_with(item, &[], false, "2026-11-30 10:00", &extra);
    let all = printed(&case, item);
    let (_, receipt) = all.iter().find(|(k, _)| *k == NoticeKind::Receipt).unwrap();
    for expected in [
        "今收到监护人王五（身份证号230108********1234）代被监护人张三丰提交",
        "监护人（签字）",
        "（被监护人：张三丰）",
    ] {
        assert!(receipt.contains(expected), "{expected}: {receipt}");
    }
    assert!(!receipt.contains("申请人（签字）"), "{receipt}");
}

#[test]
fn several_forms_print_under_their_own_names_together_or_one_by_one() {
    let (case, item) = case(&[], false);
    let mut notices = notices_for(&case, item, &center(), &KB.calendar);
    let form = notices[0].clone();
    notices.extend([
        Notice { kind: NoticeKind::ApplicationForm, ..form.clone() },
        Notice { kind: NoticeKind::ApplicationForm, title: "授权委托书".into(), ..form },
    ]);
    let dir = tempfile::tempdir().unwrap();
    let config = PrintConfig::files(dir.path().to_path_buf());
    let last = notices.len() - 1;
    print_nth(&notices, last, &config).unwrap();
    let second = dir.path().join(format!("{}-form-2.pdf", case.number.clone().unwrap()));
    assert!(pdf_text(&second).contains("授权委托书"), "the second form keeps its own file");
    assert!(!dir.path().join(format!("{}-form.pdf", case.number.clone().unwrap())).exists());
    assert!(print_nth(&notices, notices.len(), &config).unwrap_err().contains("没有第"));
}
