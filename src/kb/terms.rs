//! The few enums intake, drills and the KB share: what the clerk found for a material, who
//! applies, and where the window is. Defined once here (the lowest layer) so that the desk, the
//! rules, the drill format and drill scoring can never disagree on a state; `intake` re-exports
//! them where they were always used.

use serde::{Deserialize, Serialize};

/// What the clerk found for one material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MaterialState {
    /// 合格: present and acceptable.
    Ok,
    /// 有缺陷: present but not acceptable, with the defect.
    Defect {
        /// The defect, from the KB's typical defects or typed by the clerk.
        text: String,
    },
    /// 缺少: not brought.
    Missing,
    /// 以告知承诺替代: not brought; the applicant signs a commitment instead (告知承诺制), where the
    /// item and the material allow it. Neither 缺少 nor 容缺: the certificate is never supplied.
    Committed,
}

impl MaterialState {
    /// Every kind of state, a defect with empty text: drills name states by [`Self::label`].
    pub fn kinds() -> [MaterialState; 4] {
        [Self::Ok, Self::Defect { text: String::new() }, Self::Missing, Self::Committed]
    }

    /// The state's name on screen and on notices.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Ok => "合格",
            Self::Defect { .. } => "有缺陷",
            Self::Missing => "缺少",
            Self::Committed => "以告知承诺替代",
        }
    }
}

/// Where the desk's center sits, to tell whether an item is handled here.
///
/// Journals and the command line write `district` / `community`; drills write the Chinese
/// `区级` / `社区`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum CenterLevel {
    /// District service center (区级政务服务中心).
    #[default]
    #[serde(alias = "区级")]
    District,
    /// Sub-district / community service center (街道、社区便民服务中心).
    #[serde(alias = "社区")]
    Community,
}

impl CenterLevel {
    /// The center's name as printed.
    pub fn label(self) -> &'static str {
        match self {
            Self::District => "区级政务服务中心",
            Self::Community => "街道（社区）便民服务中心",
        }
    }
}

/// Who applies. Journals write `person` / `organisation`; drills write 自然人 / 单位.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    /// A natural person (自然人).
    #[default]
    #[serde(alias = "自然人")]
    Person,
    /// A company or other organisation (法人或其他组织).
    #[serde(alias = "单位")]
    Organisation,
    /// An organisation being set up (设立): it has its reserved name (名称自主申报) but no credit
    /// code yet; its legal representative and the person handling it apply for it.
    #[serde(alias = "拟设立单位")]
    ProposedOrganisation,
}

impl ApplicantKind {
    /// The name drills write (自然人 / 单位).
    pub fn label(self) -> &'static str {
        match self {
            Self::Person => "自然人",
            Self::Organisation => "单位",
            Self::ProposedOrganisation => "拟设立单位",
        }
    }
}
