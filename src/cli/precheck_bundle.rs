//! `yichuang precheck BUNDLE`: the decision of every item of a bundle (一件事) and of the bundle,
//! headless, from the state of each material of the union checklist and the answers to its
//! questions. Shares [`crate::intake::bundle::decide_bundle`] with the desk.

use std::fmt::Write as _;

use anyhow::{Context, bail};
use serde::Serialize;

use super::precheck::{PrecheckArgs, describe, last_date, or_none};
use crate::intake::MaterialState;
use crate::intake::bundle::{
    BundleApplication, BundleDeficiency, BundleOutcome, Selection, UnionMaterial, UnionSituation,
    decide_bundle, union_materials, union_situations,
};
use crate::intake::rules::{Decision, Outcome};
use crate::kb::{Bundle, Kb};

#[derive(Serialize)]
struct Report<'a> {
    bundle: &'a str,
    name: &'a str,
    date: chrono::NaiveDate,
    calendar_confirmed: bool,
    /// The bundle's decision as shown (受理, 部分受理, …).
    outcome: &'static str,
    #[serde(flatten)]
    result: &'a BundleOutcome,
    /// Every material the one 一次性告知书 lists, once, with the items that need it.
    deficiencies: &'a [BundleDeficiency],
    /// Questions still open, once each, with the items that ask them.
    unanswered: Vec<&'a UnionSituation>,
}

/// Runs `precheck` on a bundle.
pub fn run(kb: &Kb, bundle: &Bundle, args: PrecheckArgs) -> anyhow::Result<()> {
    if args.not_eligible.is_some() {
        bail!("--not-eligible 针对单个事项：请对该事项单独预审（yichuang precheck 事项编码 …）");
    }
    let sel = Selection::new(kb, bundle, &args.with).map_err(anyhow::Error::msg)?;
    let rows = union_materials(&sel);
    let questions = union_situations(&sel);
    let mut app = BundleApplication {
        agrees_to_commitment: args.agree_commitment,
        bad_credit: args.bad_credit,
        here: args.at,
        ..Default::default()
    };
    for spec in &args.states {
        let (key, state) = parse_state(&rows, spec)?;
        app.states.insert(key, state);
    }
    for spec in &args.situations {
        let (key, holds) = parse_situation(&questions, spec)?;
        app.answers.insert(key, holds);
    }
    let today = args.date.unwrap_or_else(|| crate::time::hall_date(crate::time::now()));
    let result = decide_bundle(&sel, &app, today, &kb.calendar);
    let deficiencies = result.deficiencies(&sel);
    let last =
        result.items.iter().filter_map(|o| o.outcome.decision().and_then(last_date)).max().unwrap_or(today);
    let open: Vec<String> = result
        .items
        .iter()
        .filter_map(|o| match &o.outcome {
            Outcome::Unanswered { questions } => {
                Some(questions.iter().map(move |q| (o.code.clone(), q.id.clone())))
            }
            Outcome::Decided { .. } => None,
        })
        .flatten()
        .filter_map(|(code, id)| questions.iter().find(|q| q.id == id && q.asked_by.contains(&code)))
        .map(|q| q.key.clone())
        .collect();
    let mut unanswered: Vec<&UnionSituation> = questions.iter().filter(|q| open.contains(&q.key)).collect();
    unanswered.dedup_by(|a, b| a.key == b.key);
    let report = Report {
        bundle: &bundle.id,
        name: &bundle.name,
        date: today,
        calendar_confirmed: kb.calendar.confirmed_between(today, last),
        outcome: result.decision.label(),
        result: &result,
        deficiencies: &deficiencies,
        unanswered,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report, &rows));
    }
    Ok(())
}

/// Parses `KEY=STATE`: KEY is a row's key (`id_card`, `SW0003/tax_info_form`), an item's material
/// as `CODE/ID`, or a material's id or exact name when only one row has it.
fn parse_state(rows: &[UnionMaterial], spec: &str) -> anyhow::Result<(String, MaterialState)> {
    let (key, value) =
        spec.split_once('=').with_context(|| format!("--state {spec}：应写成 材料=ok|defect|missing"))?;
    let key = key.trim();
    let by_need = |r: &&UnionMaterial| {
        r.needs.iter().any(|n| key.split_once('/').is_some_and(|(c, m)| n.code == c && n.material == m))
    };
    // A bare material id or name names a row only when no other row has it.
    let row = rows
        .iter()
        .find(|r| r.key == key)
        .or_else(|| rows.iter().find(by_need))
        .or_else(|| only(rows.iter().filter(|r| r.needs.iter().any(|n| n.material == key)).collect()))
        .or_else(|| only(rows.iter().filter(|r| r.name == key).collect()))
        .with_context(|| {
            let known: Vec<_> = rows.iter().map(|r| format!("{}（{}）", r.key, r.name)).collect();
            format!(
                "--state {spec}：一件事中没有材料 {key}（同名材料请写 事项编码/材料标识）；可用：{}",
                or_none(&known)
            )
        })?;
    let state = super::precheck::state_of(spec, value)?;
    Ok((row.key.clone(), state))
}

/// Parses `KEY[=是|否]`: KEY is a question's key (`agent`, `SW0003/agent`), an item's situation
/// as `CODE/ID`, or a situation id asked only once.
fn parse_situation(questions: &[UnionSituation], spec: &str) -> anyhow::Result<(String, bool)> {
    let (key, answer) = spec.split_once('=').unwrap_or((spec, "是"));
    let key = key.trim();
    let q = questions
        .iter()
        .find(|q| q.key == key)
        .or_else(|| {
            let (code, id) = key.split_once('/')?;
            questions.iter().find(|q| q.id == id && q.asked_by.iter().any(|c| c == code))
        })
        .or_else(|| {
            // A bare id asked under several keys is ambiguous: `CODE/ID` says which.
            only(questions.iter().filter(|q| q.id == key).collect())
        })
        .with_context(|| {
            let known: Vec<_> = questions.iter().map(|q| format!("{}（{}）", q.key, q.label)).collect();
            format!("--situation {spec}：一件事中没有情形 {key}；可用：{}", or_none(&known))
        })?;
    let holds = match answer.trim() {
        "是" | "yes" | "y" | "true" => true,
        "否" | "no" | "n" | "false" => false,
        other => bail!("--situation {spec}：回答 {other} 无效，应为 是 或 否"),
    };
    Ok((q.key.clone(), holds))
}

/// The one element of `found`, or none when there are none or several.
fn only<T>(found: Vec<&T>) -> Option<&T> {
    if found.len() == 1 { found.first().copied() } else { None }
}

fn render(r: &Report, rows: &[UnionMaterial]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "一件事：{}（{}）  日期：{}", r.name, r.bundle, r.date);
    let _ = writeln!(out, "决定：{}", r.outcome);
    let _ = writeln!(out, "各事项：");
    for (i, o) in r.result.items.iter().enumerate() {
        let mut line = format!("  {}. {}（{}）{}：{}", i + 1, o.name, o.code, o.department, o.label());
        match o.outcome.decision() {
            Some(Decision::Accept { promised_date, .. } | Decision::AcceptPending { promised_date, .. })
                if o.blocked_by.is_empty() =>
            {
                let _ = write!(line, "  承诺办结日期：{promised_date}");
            }
            Some(Decision::Reject { reason, basis }) => {
                let why = match reason {
                    crate::intake::rules::RejectReason::NotHandledHere { go_to } => {
                        format!("请到{go_to}办理")
                    }
                    crate::intake::rules::RejectReason::NotEligible { reason } => reason.clone(),
                };
                let _ = write!(line, "  原因：{why}（依据：{}）", basis.join("；"));
            }
            _ => {}
        }
        if !o.waits_for.is_empty() {
            let _ = write!(line, "  后台待 {} 办结后办理", o.waits_for.join("、"));
        }
        let _ = writeln!(out, "{line}");
    }
    // Each item's promised date counts from intake; the bundle is done when its last item is.
    let dates = r.result.items.iter().filter(|o| o.accepted()).filter_map(|o| match o.outcome.decision() {
        Some(Decision::Accept { promised_date, .. } | Decision::AcceptPending { promised_date, .. }) => {
            Some(*promised_date)
        }
        _ => None,
    });
    if let Some(last) = dates.max() {
        let _ = writeln!(out, "已受理事项全部办结（承诺）：{last}，结果一次出件");
    }
    if !r.unanswered.is_empty() {
        let _ = writeln!(out, "以下情形尚未回答，回答前相关事项不能受理（--situation 标识=是|否）：");
        for (i, q) in r.unanswered.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}（{}）  —  {}", i + 1, q.label, q.key, q.asked_by.join("、"));
        }
    }
    for o in &r.result.items {
        if let Some(Decision::AcceptPending { supplements, .. }) = o.outcome.decision() {
            let _ =
                writeln!(out, "{}（{}）容缺受理，申请人签署容缺受理承诺书，须在期限内补正：", o.name, o.code);
            for s in supplements {
                let _ = writeln!(out, "  · {}  补正期限：{}", describe(&s.deficiency), s.deadline);
            }
        }
    }
    if !r.deficiencies.is_empty() {
        let _ = writeln!(out, "一次性告知申请人补齐以下全部材料（每份只列一次）：");
        for (i, d) in r.deficiencies.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {}. {}  {}  —  {}",
                i + 1,
                describe(&d.deficiency),
                d.deficiency.quantity,
                d.items.join("、")
            );
            for c in &d.deficiency.required {
                let _ = writeln!(out, "     · {c}");
            }
        }
    }
    let provided: Vec<&UnionMaterial> = rows.iter().filter(|r| r.all_provided()).collect();
    for row in provided {
        let by = row.needs.first().and_then(|n| n.provided_by.as_deref()).unwrap_or("");
        let _ = writeln!(
            out,
            "{}：由 {by} 的办理结果取得，申请人不必提交（{}）",
            row.name,
            row.needs.iter().map(|n| n.code.as_str()).collect::<Vec<_>>().join("、")
        );
    }
    if !r.calendar_confirmed {
        let _ =
            writeln!(out, "注意：所涉年度的节假日安排尚未公布，日期按暂定日历计算，请以公布后的安排为准。");
    }
    out
}
