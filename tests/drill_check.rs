//! `yichuang drill check` and the drills' answer keys against `yichuang precheck`, on the real
//! binary: a scenario's expected decision must be what a clerk gets from the rules.

mod common;

use std::collections::BTreeSet;

use common::{code, fixture, stdout, temp_kb, yichuang};
use yichuang::intake::{CenterLevel, MaterialState};
use yichuang::kb::Kb;
use yichuang::kb::drills::{Drill, ExpectedDecision};

#[test]
fn embedded_drills_agree_with_the_rules() {
    let out = yichuang(["drill", "check"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let kb = Kb::embedded().expect("embedded KB loads");
    assert!(kb.drills.len() >= 20, "at least 20 scenarios, found {}", kb.drills.len());
    assert!(stdout(&out).contains(&format!("{} 个演练的答案与规则一致", kb.drills.len())));
}

#[test]
fn a_wrong_answer_key_is_listed_and_fails() {
    let mut files: Vec<(String, String)> = ["kb.toml", "calendar/2026.toml", "items/00013112700401.toml"]
        .iter()
        .map(|p| (p.to_string(), std::fs::read_to_string(fixture("kb-small").join(p)).expect("fixture")))
        .collect();
    let right = common::read("knowledge-base/drills/company_complete.toml");
    let wrong = right.replace("decision = \"受理\"", "decision = \"容缺受理\"");
    assert_ne!(right, wrong);
    files.push(("drills/company_complete.toml".into(), wrong));
    let dir = temp_kb(&files);
    let out =
        yichuang([std::ffi::OsStr::new("--kb"), dir.path().as_os_str(), "drill".as_ref(), "check".as_ref()]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("drills/company_complete.toml: 预期决定为 容缺受理，规则得出 受理"), "{text}");
    assert!(text.contains("1 个演练的答案与规则不一致"), "{text}");
}

/// The `precheck` arguments that describe what the applicant of `drill` brings.
fn precheck_args(drill: &Drill) -> Vec<String> {
    let mut args = vec!["precheck".to_string(), drill.item.clone(), "--json".into()];
    args.push(format!("--date={}", drill.date));
    if drill.at == CenterLevel::Community {
        args.push("--at=community".into());
    }
    for m in &drill.materials {
        let state = match m.material_state() {
            MaterialState::Ok => "ok".to_string(),
            MaterialState::Missing => "missing".to_string(),
            MaterialState::Committed => "committed".to_string(),
            MaterialState::Defect { text } => format!("defect:{text}"),
        };
        args.push(format!("--state={}={state}", m.id));
    }
    for s in &drill.situations {
        args.push(format!("--situation={}={}", s.0, if *s.1 { "是" } else { "否" }));
    }
    if drill.agrees_to_commitment {
        args.push("--agree-commitment".into());
    }
    if drill.bad_credit {
        args.push("--bad-credit".into());
    }
    if let Some(reason) = &drill.ineligible {
        args.push(format!("--not-eligible={reason}"));
    }
    args
}

#[test]
fn every_drill_matches_precheck() {
    let kb = Kb::embedded().expect("embedded KB loads");
    for drill in &kb.drills {
        let out = yichuang(precheck_args(drill));
        assert_eq!(code(&out), 0, "{}: {}", drill.id, common::stderr(&out));
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("precheck prints JSON");
        let expected = match drill.expected.decision {
            ExpectedDecision::Accept => "accept",
            ExpectedDecision::AcceptPending => "accept_pending",
            ExpectedDecision::NoticeOfDeficiency => "notice_of_deficiency",
            ExpectedDecision::Reject => "reject",
        };
        assert_eq!(json["decision"], expected, "{}: {json}", drill.id);
        let listed: BTreeSet<String> = match expected {
            "notice_of_deficiency" => json["deficiencies"].as_array().cloned().unwrap_or_default(),
            "accept_pending" => json["supplements"]
                .as_array()
                .map(|s| s.iter().map(|x| x["deficiency"].clone()).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
        .iter()
        .filter_map(|d| d["material"].as_str().map(str::to_string))
        .collect();
        let want: BTreeSet<String> = drill.expected.deficient.iter().cloned().collect();
        assert_eq!(listed, want, "{}: materials on the notice", drill.id);
        if let Some(deadline) = drill.expected.supplement_deadline {
            let got = json["supplements"][0]["deadline"].as_str().unwrap_or_default().to_string();
            assert_eq!(got, deadline.to_string(), "{}: supplement deadline", drill.id);
        }
        if let Some(promised) = drill.expected.promised_date {
            assert_eq!(json["promised_date"], promised.to_string(), "{}: promised date", drill.id);
        }
    }
}

#[test]
fn drills_cover_every_kind_of_case_the_trainer_needs() {
    let kb = Kb::embedded().expect("embedded KB loads");
    let decisions: BTreeSet<&str> = kb.drills.iter().map(|d| d.expected.decision.label()).collect();
    assert_eq!(decisions.len(), 4, "every decision kind: {decisions:?}");
    assert!(kb.drills.iter().any(|d| d.applicant.agent.is_some()), "an agent applying");
    assert!(
        kb.drills.iter().any(|d| d.expected.invalid_fields.iter().any(|f| f.ends_with("id_number"))),
        "invalid ID"
    );
    assert!(kb.drills.iter().any(|d| d.ineligible.is_some()), "an ineligible applicant");
    assert!(
        kb.drills.iter().any(|d| {
            let item = kb.item(&d.item).expect("item exists");
            d.expected.decision == ExpectedDecision::Reject && d.ineligible.is_none() && {
                let here = match d.at {
                    CenterLevel::District => item.handled_at.district,
                    CenterLevel::Community => item.handled_at.community,
                };
                !here
            }
        }),
        "an item not handled at this center"
    );
    assert!(
        kb.drills.iter().any(|d| {
            d.expected.supplement_deadline.is_some_and(|deadline| {
                (d.date.iter_days().skip(1).take_while(|x| *x <= deadline)).any(|x| {
                    chrono::Datelike::weekday(&x).num_days_from_monday() < 5 && !kb.calendar.is_working_day(x)
                })
            })
        }),
        "a 容缺 deadline across a public holiday"
    );
    assert!(
        kb.drills.iter().any(|d| kb.item(&d.item).is_some_and(|i| i
            .materials
            .iter()
            .any(|m| m.necessity == yichuang::kb::model::Necessity::Conditional
                && d.materials.iter().any(|x| x.id == m.id)))),
        "conditional materials"
    );
}

#[test]
fn forms_exist_for_common_items_and_their_from_keys_fill_matching_fields() {
    let kb = Kb::embedded().expect("embedded KB loads");
    assert!(kb.forms.len() >= 10, "at least 10 forms, found {}", kb.forms.len());
    assert!(kb.forms_for("00013112700401").count() >= 2, "company setup: application form and authorisation");
    let form = kb.form("authorisation_letter").expect("authorisation letter");
    assert!(form.fields().any(|(_, f)| f.from.as_deref() == Some("authorisation.scope")));
}
