//! `yichuang precheck`: the intake decision for an item and a set of material states, headless
//! (预审). Shares [`crate::intake::decide`] with the desk, so the two can never disagree.

use std::fmt::Write as _;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use serde::Serialize;

use crate::intake::rules::{Deficiency, Outcome, Question, RejectReason};
use crate::intake::{Application, CenterLevel, Decision, MaterialState, decide};
use crate::kb::{Item, Kb};

/// Arguments of `yichuang precheck`.
#[derive(Debug, clap::Args)]
pub struct PrecheckArgs {
    /// Item code (事项编码), or a bundle's id or name (一件事: `企业开办`).
    pub code: String,
    /// For a bundle: an optional item the applicant chose (by code); repeat for several.
    #[arg(long = "with", value_name = "CODE")]
    pub with: Vec<String>,
    /// A material's state: `ID=ok`, `ID=missing`, `ID=defect`, `ID=defect:缺陷说明` or
    /// `ID=committed` (以告知承诺替代, where the item allows it); ID is the
    /// material id or its exact name. Materials not named count as missing, except those the
    /// window obtains through government data sharing (免提交), which count as ok.
    #[arg(long = "state", value_name = "MATERIAL=STATE")]
    pub states: Vec<String>,
    /// The answer to a situation (情形): `ID=是` or `ID=否` (also `yes`/`no`); a bare `ID` means 是.
    /// Situations not answered stay open, and an application with an open situation is never
    /// accepted (answering one situation of an exclusive group 是 answers the others 否).
    #[arg(long = "situation", value_name = "ID[=是|否]")]
    pub situations: Vec<String>,
    /// The applicant agrees to sign the 容缺受理承诺书.
    #[arg(long)]
    pub agree_commitment: bool,
    /// The applicant's credit record bars 容缺.
    #[arg(long)]
    pub bad_credit: bool,
    /// The applicant does not meet the item's conditions, with the reason.
    #[arg(long, value_name = "REASON")]
    pub not_eligible: Option<String>,
    /// Where this window is.
    #[arg(long, value_enum, default_value_t = CenterLevel::District)]
    pub at: CenterLevel,
    /// Intake date (YYYY-MM-DD); default today.
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    code: &'a str,
    name: &'a str,
    date: NaiveDate,
    /// False when a date in the decision lies in a year whose holidays are not yet announced.
    calendar_confirmed: bool,
    /// The decision's name, or 待回答情形 while a question is open.
    outcome: &'static str,
    /// Situations still unanswered and groups whose answers contradict their rule.
    unanswered: &'a [Question],
    #[serde(flatten)]
    decision: Option<&'a Decision>,
    /// What a supervisor must approve at the window before the decision is final (不予受理, a
    /// conditional 容缺), with the value the approval is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    supervisor: Option<SupervisorNeeded>,
}

/// The approval a decision needs (`src/intake/case.rs`, `decision_exception`).
#[derive(Serialize)]
struct SupervisorNeeded {
    /// The exception's code (`refusal`, `conditional_lenient`).
    exception: &'static str,
    /// Its name (不予受理 …).
    label: &'static str,
    /// What the supervisor approves, exactly.
    value: String,
}

/// Runs `precheck`; prints the decision.
pub fn run(kb: &Kb, args: PrecheckArgs) -> anyhow::Result<()> {
    if kb.item(&args.code).is_none()
        && let Some(bundle) = kb.bundle(&args.code)
    {
        return super::precheck_bundle::run(kb, bundle, args);
    }
    if !args.with.is_empty() {
        bail!("--with 只用于一件事；{} 是单个事项", args.code);
    }
    let item = kb.item(&args.code).with_context(|| format!("没有编码为 {} 的事项或一件事", args.code))?;
    if let Some(reason) = item.draft_refusal() {
        anyhow::bail!(reason);
    }
    let mut app = Application {
        agrees_to_commitment: args.agree_commitment,
        bad_credit: args.bad_credit,
        here: args.at,
        ineligible: args.not_eligible,
        ..Default::default()
    };
    for spec in &args.states {
        let (id, state) = parse_state(item, spec)?;
        app.states.insert(id, state);
    }
    for spec in &args.situations {
        let (id, holds) = parse_situation(item, spec)?;
        app.answers.insert(id, holds);
    }
    let today = args.date.unwrap_or_else(|| crate::time::hall_date(crate::time::now()));
    let outcome = decide(item, &app, today, &kb.calendar);
    let (decision, unanswered) = match &outcome {
        Outcome::Decided { decision } => (Some(decision), &[][..]),
        Outcome::Unanswered { questions } => (None, questions.as_slice()),
    };
    let last = decision.and_then(last_date).unwrap_or(today);
    let report = Report {
        code: &item.code,
        name: &item.name,
        date: today,
        calendar_confirmed: kb.calendar.confirmed_between(today, last),
        outcome: outcome.label(),
        unanswered,
        decision,
        supervisor: decision.and_then(|d| crate::intake::case::decision_exception(item, d)).map(
            |(exception, value)| SupervisorNeeded {
                exception: exception.code(),
                label: exception.label(),
                value,
            },
        ),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(())
}

pub(super) fn or_none(list: &[String]) -> String {
    if list.is_empty() { "（无）".into() } else { list.join("、") }
}

/// Parses `ID`, `ID=是` or `ID=否` against the item's situations.
fn parse_situation(item: &Item, spec: &str) -> anyhow::Result<(String, bool)> {
    let (id, answer) = spec.split_once('=').unwrap_or((spec, "是"));
    let id = id.trim();
    if !item.situations.iter().any(|x| x.id == id) {
        let known: Vec<_> = item.situations.iter().map(|x| format!("{}（{}）", x.id, x.label)).collect();
        bail!("--situation {spec}：事项 {} 没有情形 {id}；可用：{}", item.code, or_none(&known));
    }
    let holds = match answer.trim() {
        "是" | "yes" | "y" | "true" => true,
        "否" | "no" | "n" | "false" => false,
        other => bail!("--situation {spec}：回答 {other} 无效，应为 是 或 否"),
    };
    Ok((id.to_string(), holds))
}

/// Parses `ID=STATE` against the item's materials.
fn parse_state(item: &Item, spec: &str) -> anyhow::Result<(String, MaterialState)> {
    let (key, value) =
        spec.split_once('=').with_context(|| format!("--state {spec}：应写成 材料=ok|defect|missing"))?;
    let material =
        item.materials.iter().find(|m| m.id == key.trim() || m.name == key.trim()).with_context(|| {
            let known: Vec<_> = item.materials.iter().map(|m| format!("{}（{}）", m.id, m.name)).collect();
            format!("--state {spec}：事项 {} 没有材料 {key}；可用：{}", item.code, or_none(&known))
        })?;
    let state = state_of(spec, value)?;
    Ok((material.id.clone(), state))
}

/// The state half of a `--state MATERIAL=STATE[:缺陷]` spec, shared by items and bundles.
pub(super) fn state_of(spec: &str, value: &str) -> anyhow::Result<MaterialState> {
    let (state, text) = value.split_once(':').unwrap_or((value, ""));
    Ok(match state.trim() {
        "ok" => MaterialState::Ok,
        "missing" => MaterialState::Missing,
        "committed" => MaterialState::Committed,
        "defect" => {
            MaterialState::Defect { text: if text.is_empty() { "有缺陷".into() } else { text.into() } }
        }
        other => bail!("--state {spec}：状态 {other} 无效，应为 ok、defect、missing 或 committed"),
    })
}

pub(super) fn last_date(decision: &Decision) -> Option<NaiveDate> {
    match decision {
        Decision::Accept { promised_date, commitments } => {
            commitments.iter().map(|c| c.check_deadline).chain([*promised_date]).max()
        }
        Decision::AcceptPending { supplements, promised_date, commitments } => supplements
            .iter()
            .map(|s| s.deadline)
            .chain(commitments.iter().map(|c| c.check_deadline))
            .chain([*promised_date])
            .max(),
        _ => None,
    }
}

pub(super) fn describe(d: &Deficiency) -> String {
    match &d.state {
        MaterialState::Defect { text } => format!("{}（有缺陷：{text}）", d.name),
        _ => format!("{}（缺少）", d.name),
    }
}

fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "事项：{}（{}）  日期：{}", r.name, r.code, r.date);
    let _ = writeln!(out, "决定：{}", r.outcome);
    if !r.unanswered.is_empty() {
        let _ = writeln!(out, "以下情形尚未回答，回答前不能受理（--situation ID=是|否）：");
        for (i, q) in r.unanswered.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}（{}）", i + 1, q.label, q.id);
        }
    }
    let Some(decision) = r.decision else {
        return out;
    };
    if let Decision::Accept { commitments, .. } | Decision::AcceptPending { commitments, .. } = decision
        && !commitments.is_empty()
    {
        let _ = writeln!(out, "告知承诺（不是容缺）：以下证明由申请人签署告知承诺书代替，受理后核查：");
        for (i, c) in commitments.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}  核查期限：{}", i + 1, c.name, c.check_deadline);
            let _ = writeln!(out, "     承诺不实：{}", c.consequence);
        }
    }
    match decision {
        Decision::Accept { promised_date, .. } => {
            let _ = writeln!(out, "材料齐全，符合法定形式。承诺办结日期：{promised_date}");
        }
        Decision::AcceptPending { supplements, promised_date, .. } => {
            let _ = writeln!(out, "申请人签署容缺受理承诺书后受理，须在期限内补正：");
            for (i, s) in supplements.iter().enumerate() {
                let _ = writeln!(out, "  {}. {}  补正期限：{}", i + 1, describe(&s.deficiency), s.deadline);
                for c in &s.deficiency.required {
                    let _ = writeln!(out, "     · {c}");
                }
            }
            let _ = writeln!(out, "承诺办结日期：{promised_date}");
        }
        Decision::NoticeOfDeficiency { deficiencies, lenient_possible } => {
            let _ = writeln!(out, "一次性告知申请人补齐以下全部材料：");
            for (i, d) in deficiencies.iter().enumerate() {
                let _ = writeln!(out, "  {}. {}  {}", i + 1, describe(d), d.quantity);
                for c in &d.required {
                    let _ = writeln!(out, "     · {c}");
                }
            }
            if *lenient_possible {
                let _ = writeln!(
                    out,
                    "提示：所缺材料均可容缺，申请人同意签署承诺书即可容缺受理（--agree-commitment）。"
                );
            }
        }
        Decision::Reject { reason, basis } => {
            match reason {
                RejectReason::NotHandledHere { go_to } => {
                    let _ = writeln!(out, "原因：本事项不在本中心办理，请申请人到{go_to}办理。");
                }
                RejectReason::NotEligible { reason } => {
                    let _ = writeln!(out, "原因：{reason}");
                }
            }
            let _ = writeln!(out, "依据：{}", basis.join("；"));
        }
    }
    if let Some(s) = &r.supervisor {
        let _ = writeln!(
            out,
            "须经主管审批（{}）：窗口受理时由主管输入姓名和 PIN 确认「{}」。",
            s.label, s.value
        );
    }
    if !r.calendar_confirmed {
        let _ =
            writeln!(out, "注意：所涉年度的节假日安排尚未公布，日期按暂定日历计算，请以公布后的安排为准。");
    }
    out
}
