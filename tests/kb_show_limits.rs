//! `kb show` and `precheck` on the real binary for time limits with units, the national elements
//! and 告知承诺 (issue 9, items 1, 3 and 5).

mod common;

use common::{code, stdout, yichuang};

#[test]
fn kb_show_prints_the_limits_with_units_and_basis_and_the_elements() {
    let out = yichuang(["kb", "show", "WJ0003"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.contains("法定时限：20 个工作日（依据："), "{text}");
    assert!(text.contains("承诺时限：10 个工作日"), "{text}");
    assert!(text.contains("事项类型：行政许可（01）"), "{text}");
    assert!(text.contains("告知承诺制：适用（") && text.contains("国发〔2021〕7号"), "{text}");
    assert!(text.contains("可告知承诺替代："), "{text}");
}

#[test]
fn kb_show_json_carries_units_elements_and_commitments() {
    let out = yichuang(["kb", "show", "WJ0003", "--json"]);
    assert_eq!(code(&out), 0);
    let item: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(item["time_limits"]["statutory"]["amount"], 20);
    assert_eq!(item["time_limits"]["statutory"]["unit"], "工作日");
    assert!(item["time_limits"]["statutory"]["basis"].as_str().is_some_and(|b| !b.is_empty()));
    assert_eq!(item["time_limits"]["promised"]["unit"], "工作日");
    assert_eq!(item["informed_commitment"]["allowed"], true);
    let report = item["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "hygiene_test_report")
        .expect("the report material");
    assert_eq!(report["informed_commitment"]["check"]["unit"], "月");
    // 未规定 stays a word, 即办 a unit without an amount.
    let out = yichuang(["kb", "show", "CL0003", "--json"]);
    let item: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(item["time_limits"]["statutory"], "未规定");
}

#[test]
fn precheck_accepts_with_a_commitment_and_lists_the_check() {
    let mut args = vec!["precheck", "WJ0003", "--date", "2026-06-01"];
    args.extend(["--situation", "agent=否", "--situation", "central_ac=否"]);
    for state in [
        "application_form=ok",
        "legal_rep_identity=ok",
        "site_plans=ok",
        "hygiene_test_report=committed",
        "hygiene_rules=ok",
        "staff_health_certificates=ok",
    ] {
        args.extend(["--state", state]);
    }
    let out = yichuang(&args);
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{text}");
    assert!(text.contains("决定：受理"), "{text}");
    assert!(text.contains("告知承诺（不是容缺）") && text.contains("核查期限：2026-08-03"), "{text}");
    // The application form cannot be replaced by a commitment.
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "application_form=ok" { "application_form=committed" } else { a })
        .collect();
    let text = stdout(&yichuang(&args));
    assert!(text.contains("决定：一次性告知"), "{text}");
}
