//! Training scenarios (演练): `drills/<id>.toml`.
//!
//! A drill is one applicant at the window: what they say and bring (the narrative shown on screen),
//! the real state of each material, the situations, the applicant data as typed from their
//! documents, and the answer key — the decision, the materials that must appear on the notice, the
//! invalid numbers the trainee must catch, and the dates. The answer key is never trusted: `yichuang
//! drill check` recomputes it with the same rules the desk uses (`crate::drill::verify`). This
//! module is the format only; material states, applicant kinds and center levels are the ones
//! intake uses ([`super::terms`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::conditions;
use super::model::{Item, toml_date};
use super::terms::{ApplicantKind, CenterLevel, MaterialState};

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
    pub at: CenterLevel,
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

/// The applicant of a drill, as the trainee reads it from the documents.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DrillApplicant {
    /// 自然人 or 单位.
    pub kind: ApplicantKind,
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
    /// 合格 / 有缺陷 / 缺少 / 以告知承诺替代 (a [`MaterialState`] by its label; a defect's text is
    /// `defect`, see [`DrillMaterial::material_state`]).
    #[serde(with = "state_label")]
    pub state: MaterialState,
    /// For 有缺陷: the defect the trainee should find (ideally one of the KB's typical defects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defect: Option<String>,
    /// What the trainee sees when looking at it ("租赁合同，租期至2026-10-31").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shows: Option<String>,
}

impl DrillMaterial {
    /// The state as the rules see it, with the defect's text.
    pub fn material_state(&self) -> MaterialState {
        match &self.state {
            MaterialState::Defect { .. } => {
                MaterialState::Defect { text: self.defect.clone().unwrap_or_else(|| "有缺陷".into()) }
            }
            other => other.clone(),
        }
    }
}

/// A drill writes a material's state by its label (`state = "有缺陷"`), the defect apart.
mod state_label {
    use serde::de::{self, Deserializer};
    use serde::{Deserialize, Serializer};

    use super::MaterialState;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<MaterialState, D::Error> {
        let label = String::deserialize(d)?;
        MaterialState::kinds().into_iter().find(|k| k.label() == label).ok_or_else(|| {
            let labels: Vec<&str> = MaterialState::kinds().iter().map(MaterialState::label).collect();
            de::Error::custom(format!("材料状态 {label} 无效，可选：{}", labels.join("、")))
        })
    }

    pub fn serialize<S: Serializer>(state: &MaterialState, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(state.label())
    }
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
    /// The printed name, the same as `crate::intake::Decision::label`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Accept => "受理",
            Self::AcceptPending => "容缺受理",
            Self::NoticeOfDeficiency => "一次性告知",
            Self::Reject => "不予受理",
        }
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

    /// Materials of `item` that apply in this scenario but are not listed (and not shared data).
    pub fn unlisted_materials<'i>(&self, item: &'i Item) -> Vec<&'i str> {
        let brought =
            |id: &str| self.materials.iter().any(|d| d.id == id && d.state != MaterialState::Missing);
        item.materials
            .iter()
            .filter(|m| {
                conditions::applies(item, m, &self.situations, brought)
                    && !m.shared_data
                    && !self.materials.iter().any(|d| d.id == m.id)
            })
            .map(|m| m.id.as_str())
            .collect()
    }
}
