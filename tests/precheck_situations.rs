//! `yichuang precheck` and `kb search` / `kb show` on the real binary with situations and shared
//! materials: an unanswered route is reported and never accepted, `--situation ID=是|否` answers
//! it (a bare ID still means 是), and a shared material's name is found and shown like any other.

mod common;

use common::{code, stdout, yichuang};

/// Every material of 居住证申领 that applies to the employment route, acceptable.
const STATES: [&str; 5] = [
    "--state=application_form=ok",
    "--state=identity=ok",
    "--state=photo=ok",
    "--state=address_proof=ok",
    "--state=employment_proof=ok",
];

fn precheck(extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["precheck", "GA0002", "--date=2026-12-01", "--json"];
    args.extend(STATES);
    args.extend(extra);
    let out = yichuang(&args);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    serde_json::from_str(&stdout(&out)).expect("JSON")
}

#[test]
fn an_unanswered_route_is_listed_and_never_accepted() {
    let json = precheck(&[]);
    assert_eq!(json["outcome"], "待回答情形", "{json:#}");
    assert!(json.get("decision").is_none(), "no decision while questions are open: {json:#}");
    let open: Vec<&str> =
        json["unanswered"].as_array().unwrap().iter().filter_map(|q| q["id"].as_str()).collect();
    assert!(open.contains(&"employed") && open.contains(&"agent"), "{open:?}");
    let text = stdout(&yichuang(["precheck", "GA0002", "--date=2026-12-01", "--state=identity=ok"]));
    assert!(text.contains("决定：待回答情形") && text.contains("以合法稳定就业申领（employed）"), "{text}");
}

#[test]
fn answers_decide_and_a_bare_situation_means_yes() {
    let answers = [
        "--situation=employed",
        "--situation=agent=否",
        "--situation=studying=否",
        "--situation=housing=否",
        "--situation=local_hukou=否",
        "--situation=resided_half_year=是",
    ];
    let json = precheck(&answers);
    assert_eq!(json["outcome"], "受理", "{json:#}");
    assert_eq!(json["decision"], "accept", "{json:#}");
    assert_eq!(json["unanswered"].as_array().map(Vec::len), Some(0));
    // The refusing answer of an eligibility condition: 不予受理 with its article.
    let mut refused = answers.to_vec();
    refused[4] = "--situation=local_hukou=是";
    let json = precheck(&refused);
    assert_eq!(json["decision"], "reject", "{json:#}");
    assert!(json["basis"].to_string().contains("居住证暂行条例"), "{json:#}");
    // A 不予受理 is final only with a supervisor's approval of its reason and basis.
    assert_eq!(json["supervisor"]["exception"], "refusal", "{json:#}");
    assert!(json["supervisor"]["value"].as_str().is_some_and(|v| v.contains("｜依据：")), "{json:#}");
    assert!(precheck(&answers).get("supervisor").is_none(), "an acceptance needs nobody");
    let out = yichuang(["precheck", "GA0002", "--situation=agent=也许"]);
    assert_ne!(code(&out), 0);
    assert!(common::stderr(&out).contains("应为 是 或 否"), "{}", common::stderr(&out));
}

#[test]
fn shared_material_names_are_searched_and_shown() {
    let out = yichuang(["kb", "search", "受托人身份证件", "--limit", "500"]);
    let text = stdout(&out);
    // The agency material had a dozen names; now every item that asks for it is found by one.
    assert!(text.lines().count() >= 20, "{text}");
    assert!(text.contains("RS0004") && text.contains("SCJG0007"), "{text}");
    let guide = stdout(&yichuang(["kb", "show", "RS0004"]));
    assert!(
        guide.contains("授权委托书及受托人身份证件") && guide.contains("与到场办理人是同一人"),
        "{guide}"
    );
}
