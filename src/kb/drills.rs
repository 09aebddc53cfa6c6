//! Training scenarios (演练): `drills/<id>.toml`.
//!
//! A drill is one applicant at the window: what they say and bring (the narrative shown on screen),
//! the real state of each material, the situations, the applicant data as typed from their
//! documents, and the answer key — the decision, the materials that must appear on the notice, the
//! invalid numbers the trainee must catch, and the dates. The answer key is never trusted: `yichuang
//! drill check` recomputes it with the same rules the desk uses ([`Drill::verify`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Calendar;
use super::model::{Item, toml_date};
use crate::intake::rules::{Application, CenterLevel, Decision, MaterialState, Outcome, applies, decide};
use crate::intake::validate;

/// One training scenario.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Drill {
    /// Identifier, equal to the file name (`drills/<id>.toml`); ASCII snake_case.
    pub id: String,
    /// Title shown in the trainer's list.
    pub title: String,
    /// Code of the item applied for.
    pub item: String,
    /// Where the trainee's window is (default: the district center).
    #[serde(default)]
    pub at: DrillCenter,
    /// Intake date of the scenario, so deadlines are the same on every run.
    #[serde(with = "toml_date")]
    pub date: NaiveDate,
    /// Minutes allowed; none = untimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u16>,
    /// What the applicant says and hands over, in Chinese, shown on screen.
    pub narrative: String,
    /// The answer to every situation (情形) of the item, by id: `true` 是, `false` 否. A situation
    /// left out is unanswered, and the rules then decide nothing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub situations: BTreeMap<String, bool>,
    /// The applicant agrees to sign the 容缺 commitment if offered.
    #[serde(default)]
    pub agrees_to_commitment: bool,
    /// The applicant's credit record bars 容缺.
    #[serde(default)]
    pub bad_credit: bool,
    /// The applicant does not meet the item's conditions: the reason the trainee should find.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ineligible: Option<String>,
    /// The applicant's data as written on their documents.
    pub applicant: DrillApplicant,
    /// What the applicant actually has, per material of the item. Materials not listed were not
    /// brought (shared-data materials count as present).
    #[serde(default)]
    pub materials: Vec<DrillMaterial>,
    /// The answer key.
    pub expected: Expected,
    /// Score weights (out of 100).
    #[serde(default)]
    pub scoring: Scoring,
    /// Remarks for the trainer (not shown to the trainee).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Where the trainee's window is.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
pub enum DrillCenter {
    /// District service center.
    #[default]
    #[serde(rename = "区级")]
    District,
    /// Sub-district / community service center.
    #[serde(rename = "社区")]
    Community,
}

impl From<DrillCenter> for CenterLevel {
    fn from(c: DrillCenter) -> Self {
        match c {
            DrillCenter::District => CenterLevel::District,
            DrillCenter::Community => CenterLevel::Community,
        }
    }
}

/// The applicant of a drill, as the trainee reads it from the documents.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DrillApplicant {
    /// 自然人 or 单位.
    pub kind: ApplicantType,
    /// Name (person or organisation).
    pub name: String,
    /// Resident ID number (of the person, or the legal representative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Unified social credit code (organisations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    /// Legal representative (organisations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_representative: Option<String>,
    /// Mobile number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The agent, when someone applies on the applicant's behalf (委托代理人).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<DrillAgent>,
}

/// Person or organisation.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum ApplicantType {
    /// A natural person.
    #[serde(rename = "自然人")]
    Person,
    /// A company or other organisation.
    #[serde(rename = "单位")]
    Organisation,
}

/// An authorised agent and the authorisation (委托).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DrillAgent {
    /// Agent's name.
    pub name: String,
    /// Agent's ID number.
    pub id_number: String,
    /// Agent's mobile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 委托事项及权限 as written on the letter of authorisation.
    pub scope: String,
}

/// The real state of one material the applicant has.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DrillMaterial {
    /// Material id of the item.
    pub id: String,
    /// 合格 / 有缺陷 / 缺少.
    pub state: DrillState,
    /// For 有缺陷: the defect the trainee should find (ideally one of the KB's typical defects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defect: Option<String>,
    /// What the trainee sees when looking at it ("租赁合同，租期至2026-10-31").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shows: Option<String>,
}

/// A material's true state in a drill.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum DrillState {
    /// Acceptable.
    #[serde(rename = "合格")]
    Ok,
    /// Present but defective.
    #[serde(rename = "有缺陷")]
    Defect,
    /// Not brought.
    #[serde(rename = "缺少")]
    Missing,
}

/// The answer key of a drill.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// The decision the trainee must reach.
    pub decision: ExpectedDecision,
    /// Material ids that must be on the 一次性告知书 or 容缺承诺书 (missing or defective ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deficient: Vec<String>,
    /// Applicant data the trainee must find invalid (`applicant.id_number`, `agent.phone`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_fields: Vec<String>,
    /// For 容缺受理: the supplement deadline on the commitment.
    #[serde(default, with = "toml_date::option", skip_serializing_if = "Option::is_none")]
    pub supplement_deadline: Option<NaiveDate>,
    /// For 受理 and 容缺受理: the promised completion date on the notice.
    #[serde(default, with = "toml_date::option", skip_serializing_if = "Option::is_none")]
    pub promised_date: Option<NaiveDate>,
    /// Explanation shown after the drill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// The four intake decisions, by their printed names.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum ExpectedDecision {
    /// 受理.
    #[serde(rename = "受理")]
    Accept,
    /// 容缺受理.
    #[serde(rename = "容缺受理")]
    AcceptPending,
    /// 一次性告知.
    #[serde(rename = "一次性告知")]
    NoticeOfDeficiency,
    /// 不予受理.
    #[serde(rename = "不予受理")]
    Reject,
}

impl ExpectedDecision {
    /// The printed name, the same as [`Decision::label`].
    pub fn label(self) -> &'static str {
        match self {
            Self::Accept => "受理",
            Self::AcceptPending => "容缺受理",
            Self::NoticeOfDeficiency => "一次性告知",
            Self::Reject => "不予受理",
        }
    }

    /// Whether `decision` is this kind.
    pub fn matches(self, decision: &Decision) -> bool {
        self.label() == decision.label()
    }
}

/// Score weights of a drill; they add up to 100.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Scoring {
    /// For the right decision.
    pub decision: u8,
    /// For listing exactly the deficient materials (shared per material).
    pub deficient: u8,
    /// For catching every invalid number (shared per field); given in full when there is none.
    pub fields: u8,
    /// For finishing within `minutes`.
    pub time: u8,
}

impl Default for Scoring {
    fn default() -> Self {
        Self { decision: 50, deficient: 30, fields: 10, time: 10 }
    }
}

impl Scoring {
    /// Sum of the weights (must be 100).
    pub fn total(&self) -> u16 {
        [self.decision, self.deficient, self.fields, self.time].iter().map(|w| u16::from(*w)).sum()
    }
}

/// Applicant data keys a drill may list in `expected.invalid_fields`.
pub const CHECKED_FIELDS: &[&str] =
    &["applicant.id_number", "applicant.credit_code", "applicant.phone", "agent.id_number", "agent.phone"];

impl Drill {
    /// The application as the rules see it when the trainee marks every material correctly.
    pub fn application(&self) -> Application {
        let states = self
            .materials
            .iter()
            .map(|m| {
                let state = match m.state {
                    DrillState::Ok => MaterialState::Ok,
                    DrillState::Missing => MaterialState::Missing,
                    DrillState::Defect => {
                        MaterialState::Defect { text: m.defect.clone().unwrap_or_else(|| "有缺陷".into()) }
                    }
                };
                (m.id.clone(), state)
            })
            .collect();
        Application {
            states,
            answers: self.situations.clone(),
            agrees_to_commitment: self.agrees_to_commitment,
            bad_credit: self.bad_credit,
            here: self.at.into(),
            ineligible: self.ineligible.clone(),
        }
    }

    /// The value of an applicant data key of [`CHECKED_FIELDS`], if given.
    pub fn field_value(&self, key: &str) -> Option<&str> {
        let a = &self.applicant;
        match key {
            "applicant.id_number" => a.id_number.as_deref(),
            "applicant.credit_code" => a.credit_code.as_deref(),
            "applicant.phone" => a.phone.as_deref(),
            "agent.id_number" => a.agent.as_ref().map(|g| g.id_number.as_str()),
            "agent.phone" => a.agent.as_ref().and_then(|g| g.phone.as_deref()),
            _ => None,
        }
    }

    /// Applicant data that fails validation, with the reason, in [`CHECKED_FIELDS`] order.
    pub fn invalid_fields(&self) -> Vec<(&'static str, String)> {
        CHECKED_FIELDS
            .iter()
            .filter_map(|&key| {
                let value = self.field_value(key)?;
                let problem = match key {
                    "applicant.id_number" | "agent.id_number" => {
                        validate::id_card(value, self.date).err().map(|e| e.to_string())
                    }
                    "applicant.credit_code" => match validate::credit_code(value) {
                        Ok(code) => code.check_warning.map(|w| w.to_string()),
                        Err(e) => Some(e.to_string()),
                    },
                    _ => validate::mobile(value).err().map(|e| e.to_string()),
                };
                problem.map(|p| (key, p))
            })
            .collect()
    }

    /// Recomputes the answer key with the intake rules; returns every disagreement, in Chinese.
    pub fn verify(&self, item: &Item, calendar: &Calendar) -> Vec<String> {
        let mut out = Vec::new();
        let outcome = decide(item, &self.application(), self.date, calendar);
        let Outcome::Decided { decision } = outcome else {
            out.push(format!(
                "预期决定为 {}，规则得出 {}：演练须写明每个情形的回答（situations）",
                self.expected.decision.label(),
                outcome.label()
            ));
            return out;
        };
        if !self.expected.decision.matches(&decision) {
            out.push(format!("预期决定为 {}，规则得出 {}", self.expected.decision.label(), decision.label()));
        }
        let computed: BTreeSet<&str> = match &decision {
            Decision::NoticeOfDeficiency { deficiencies, .. } => {
                deficiencies.iter().map(|d| d.material.as_str()).collect()
            }
            Decision::AcceptPending { supplements, .. } => {
                supplements.iter().map(|s| s.deficiency.material.as_str()).collect()
            }
            _ => BTreeSet::new(),
        };
        let expected: BTreeSet<&str> = self.expected.deficient.iter().map(String::as_str).collect();
        if computed != expected {
            let list = |s: &BTreeSet<&str>| {
                if s.is_empty() {
                    "（无）".to_string()
                } else {
                    s.iter().copied().collect::<Vec<_>>().join("、")
                }
            };
            out.push(format!("预期告知材料为 {}，规则得出 {}", list(&expected), list(&computed)));
        }
        let (deadline, promised) = match &decision {
            Decision::Accept { promised_date, .. } => (None, Some(*promised_date)),
            Decision::AcceptPending { supplements, promised_date, .. } => {
                (supplements.iter().map(|s| s.deadline).max(), Some(*promised_date))
            }
            _ => (None, None),
        };
        if let Some(want) = self.expected.supplement_deadline
            && deadline != Some(want)
        {
            out.push(format!("预期补正期限 {want}，规则得出 {}", show_date(deadline)));
        }
        if let Some(want) = self.expected.promised_date
            && promised != Some(want)
        {
            out.push(format!("预期承诺办结日期 {want}，规则得出 {}", show_date(promised)));
        }
        let invalid: BTreeSet<&str> = self.invalid_fields().into_iter().map(|(k, _)| k).collect();
        let expected: BTreeSet<&str> = self.expected.invalid_fields.iter().map(String::as_str).collect();
        if invalid != expected {
            out.push(format!(
                "预期无效信息为 {:?}，校验得出 {:?}",
                expected.iter().collect::<Vec<_>>(),
                invalid.iter().collect::<Vec<_>>()
            ));
        }
        out
    }

    /// Materials of `item` that apply in this scenario but are not listed (and not shared data).
    pub fn unlisted_materials<'i>(&self, item: &'i Item) -> Vec<&'i str> {
        let app = self.application();
        item.materials
            .iter()
            .filter(|m| {
                applies(item, m, &app) && !m.shared_data && !self.materials.iter().any(|d| d.id == m.id)
            })
            .map(|m| m.id.as_str())
            .collect()
    }
}

fn show_date(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "（无）".to_string(), |d| d.to_string())
}
