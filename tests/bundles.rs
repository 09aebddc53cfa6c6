//! Bundles (一件事) on the real binary: `kb show` prints one with its union checklist, `kb search`
//! finds it by name, alias and pinyin initials, and `precheck BUNDLE` decides every item and the
//! bundle from one set of material states and answers.

mod common;

use common::{code, stdout, yichuang};

/// 企业开办 with the housing fund: every question answered 否, every material brought 合格.
const FINE: [&str; 17] = [
    "--state=00013112700401/application_form=ok",
    "--state=公司章程=ok",
    "--state=shareholder_identity=ok",
    "--state=appointment_documents=ok",
    "--state=premises=ok",
    "--state=SW0003/identity_documents=ok",
    "--state=tax_info_form=ok",
    "--state=registration_form=ok",
    "--state=legal_rep_identity=ok",
    "--situation=00013112700401/agent=否",
    "--situation=prior_approval=否",
    "--situation=SW0003/agent=否",
    "--situation=need_invoice=否",
    "--situation=paper_invoice=否",
    "--situation=bank_account=否",
    "--situation=accounting_books=否",
    "--situation=non_company=否",
];

fn precheck(extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["precheck", "企业开办", "--with=GJJ0003", "--date=2026-12-03", "--json"];
    args.extend(FINE);
    args.extend(extra);
    let out = yichuang(&args);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    serde_json::from_str(&stdout(&out)).expect("JSON")
}

fn item_labels(json: &serde_json::Value) -> Vec<(String, String)> {
    json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (i["code"].as_str().unwrap_or("").to_string(), i["outcome"]["outcome"].to_string()))
        .collect()
}

#[test]
fn everything_fine_accepts_each_item_and_the_bundle() {
    let json = precheck(&["--situation=agent_not_legal_rep=否"]);
    assert_eq!(json["outcome"], "受理", "{json:#}");
    assert_eq!(json["decision"], "accept");
    let items = item_labels(&json);
    assert_eq!(
        items.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["00013112700401", "SW0003", "GJJ0003"]
    );
    assert_eq!(json["items"][2]["waits_for"][0], "00013112700401");
}

#[test]
fn an_open_question_of_one_item_is_asked_once_and_holds_the_bundle() {
    let json = precheck(&[]);
    assert_eq!(json["outcome"], "待回答情形", "{json:#}");
    let open: Vec<&str> =
        json["unanswered"].as_array().unwrap().iter().filter_map(|q| q["key"].as_str()).collect();
    assert_eq!(open, ["agent_not_legal_rep"]);
}

#[test]
fn one_item_short_is_a_partial_acceptance_with_one_notice() {
    let json = precheck(&["--situation=agent_not_legal_rep=否", "--state=legal_rep_identity=missing"]);
    assert_eq!(json["outcome"], "部分受理", "{json:#}");
    let missing = json["deficiencies"].as_array().expect("deficiencies");
    assert_eq!(missing.len(), 1, "{json:#}");
    assert_eq!(missing[0]["key"], "legal_rep_identity");
    assert_eq!(missing[0]["items"][0], "GJJ0003");
    let mut args = vec!["precheck", "企业开办", "--with=GJJ0003", "--date=2026-12-03"];
    args.extend(FINE);
    args.extend(["--situation=agent_not_legal_rep=否", "--state=legal_rep_identity=missing"]);
    let text = stdout(&yichuang(&args));
    assert!(text.contains("决定：部分受理"), "{text}");
    assert!(text.contains("住房公积金单位缴存登记（GJJ0003）市住房公积金管理中心：一次性告知"), "{text}");
    assert!(text.contains("一次性告知申请人补齐以下全部材料（每份只列一次）"), "{text}");
    assert!(text.contains("营业执照：由 00013112700401 的办理结果取得"), "{text}");
}

#[test]
fn the_registration_short_holds_back_every_item_after_it() {
    let json = precheck(&["--situation=agent_not_legal_rep=否", "--state=公司章程=missing"]);
    assert_eq!(json["outcome"], "一次性告知", "{json:#}");
    assert_eq!(json["items"][1]["blocked_by"][0], "00013112700401", "{json:#}");
}

#[test]
fn ambiguous_and_unknown_keys_are_refused_with_the_choices() {
    let out = yichuang(["precheck", "企业开办", "--situation=agent=否"]);
    assert_ne!(code(&out), 0, "agent is asked per item in 企业开办");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("00013112700401/agent") && err.contains("SW0003/agent"), "{err}");
    let out = yichuang(["precheck", "企业开办", "--with=SW0003"]);
    assert_ne!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("必办事项"));
    let out = yichuang(["precheck", "GA0002", "--with=SW0003"]);
    assert_ne!(code(&out), 0);
}

#[test]
fn kb_show_prints_a_bundle_with_its_union_checklist() {
    let out = yichuang(["kb", "show", "企业开办"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.starts_with("【一件事】企业开办（company_startup）"), "{text}");
    assert!(text.contains("国发〔2024〕3号"), "{text}");
    assert!(text.contains("住房公积金单位缴存登记【可选】（GJJ0003）"), "{text}");
    // The licence: one row for both items after the registration, not asked of the applicant.
    assert_eq!(text.matches("营业执照  —").count(), 1, "{text}");
    assert!(
        text.contains("营业执照  —  SW0003、GA0009、RS0011、GJJ0003（由 00013112700401 的办理结果取得"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&yichuang(["kb", "show", "newborn", "--json"]))).unwrap();
    assert_eq!(json["items"][1]["after"][0], "GA0003");
}

#[test]
fn kb_search_finds_bundles_by_name_alias_and_initials() {
    for query in ["企业开办", "开公司", "qykb"] {
        let out = stdout(&yichuang(["kb", "search", query]));
        assert!(out.starts_with("company_startup\t企业开办\t一件事（6 个事项）"), "{query}: {out}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&yichuang(["kb", "search", "xsecs", "--json"]))).unwrap();
    assert_eq!(json[0]["code"], "newborn");
    assert_eq!(json[0]["bundle"], true);
}
