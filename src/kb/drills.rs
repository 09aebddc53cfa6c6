//! Drill scenarios (演练) for trainers: an applicant's visit described in words, what they really
//! brought, and what a correct intake concludes. One file per scenario in `knowledge-base/drills/`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::intake::rules::CenterLevel;

/// A scenario.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Drill {
    /// Identifier (the file name without `.toml`).
    pub id: String,
    /// Short title shown in lists.
    pub title: String,
    /// The item the applicant asks for.
    pub item: String,
    /// Where the trainee's window is.
    #[serde(default)]
    pub center: CenterLevel,
    /// The drill's "today" (deadlines depend on it), e.g. before a holiday.
    pub date: NaiveDate,
    /// What the trainee is told: who comes, what they say and hand over.
    pub narrative: String,
    /// The applicant's data as on their documents (may be deliberately invalid).
    pub applicant: DrillApplicant,
    /// Situations that hold.
    #[serde(default)]
    pub situations: Vec<String>,
    /// Whether the applicant agrees to the 容缺 commitment when offered.
    #[serde(default)]
    pub agrees_to_commitment: bool,
    /// Whether the applicant's credit record bars 容缺.
    #[serde(default)]
    pub bad_credit: bool,
    /// Why the applicant is not eligible, when they are not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_eligible: Option<String>,
    /// What the applicant brought, per material (materials not listed were not brought).
    #[serde(default)]
    pub materials: Vec<DrillMaterial>,
    /// What a correct intake concludes.
    pub expect: Expectation,
}

/// The applicant as the documents show.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct DrillApplicant {
    /// Name.
    pub name: String,
    /// Resident ID number.
    #[serde(default)]
    pub id_number: String,
    /// Mobile.
    #[serde(default)]
    pub phone: String,
    /// Agent's name, when an agent comes.
    #[serde(default)]
    pub agent_name: String,
    /// Agent's ID number.
    #[serde(default)]
    pub agent_id_number: String,
}

/// What a material looks like when handed over.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DrillMaterial {
    /// Material id of the item.
    pub id: String,
    /// `ok` or `defect` (a missing material is simply not listed).
    pub state: DrillState,
    /// The defect, for `defect`: the KB's typical defect text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defect: Option<String>,
    /// What the trainee sees of it.
    pub shown: String,
}

/// A material's real state in a drill.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DrillState {
    /// Acceptable.
    Ok,
    /// Has a defect the trainee must catch.
    Defect,
}

/// The decision kinds as written in scenario files.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedDecision {
    /// 受理.
    Accept,
    /// 容缺受理.
    AcceptPending,
    /// 一次性告知.
    NoticeOfDeficiency,
    /// 不予受理.
    Reject,
}

/// What a correct intake concludes.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The decision.
    pub decision: ExpectedDecision,
    /// Applicant fields a validator must refuse (`id_number`, `phone`, `agent_id_number`).
    #[serde(default)]
    pub invalid_fields: Vec<String>,
    /// Why, in words, for the debriefing.
    pub explanation: String,
}
