//! The national item and material elements (GB/T 39046-2020 and the exchange tables
//! `up_task_general_basic` / `up_task_general_material`) that the KB carries beyond what intake
//! needs: the three codes, the level, the implementing body's credit code, place and hours, the
//! result, the per-material source channel, legal basis and filling notes, and the record of what
//! an item was checked against. Most are optional so that the research audit can fill them item by
//! item; `kb check` validates what is written (lengths, charsets, the GB 32100 check character).
//! The KB syntax is documented in `knowledge-base/README.md` (“National elements”).

use serde::{Deserialize, Serialize};

use super::check::Reporter;
use super::model::{Item, Material, Source};
use crate::intake::validate;

/// 行使层级 (GB/T 39046-2020 code set A.2).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum Level {
    #[serde(rename = "国家级")]
    National,
    #[serde(rename = "省级")]
    Provincial,
    #[serde(rename = "市级")]
    City,
    #[serde(rename = "县级")]
    County,
    #[serde(rename = "乡镇（街道）级")]
    Township,
    #[serde(rename = "村（社区）级")]
    Village,
    #[serde(rename = "分级管理")]
    Tiered,
}

impl Level {
    /// The name as written in the KB.
    pub fn label(self) -> &'static str {
        match self {
            Self::National => "国家级",
            Self::Provincial => "省级",
            Self::City => "市级",
            Self::County => "县级",
            Self::Township => "乡镇（街道）级",
            Self::Village => "村（社区）级",
            Self::Tiered => "分级管理",
        }
    }

    /// The code of GB/T 39046-2020 A.2 (`use_level`).
    pub fn code(self) -> &'static str {
        match self {
            Self::National => "1",
            Self::Provincial => "2",
            Self::City => "3",
            Self::County => "4",
            Self::Township => "5",
            Self::Village => "6",
            Self::Tiered => "7",
        }
    }
}

/// 实施主体性质 (GB/T 39046-2020 code set A.3).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum BodyNature {
    #[serde(rename = "法定机关")]
    Statutory,
    #[serde(rename = "授权组织")]
    Authorised,
    #[serde(rename = "受委托组织")]
    Entrusted,
    #[serde(rename = "其他")]
    Other,
}

impl BodyNature {
    /// The name as written in the KB.
    pub fn label(self) -> &'static str {
        match self {
            Self::Statutory => "法定机关",
            Self::Authorised => "授权组织",
            Self::Entrusted => "受委托组织",
            Self::Other => "其他",
        }
    }
}

/// The result of an item (办理结果): the licence or document issued and its validity.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ResultDoc {
    /// Name of the 证照 or document (“食品经营许可证”).
    pub name: String,
    /// Validity as published (“5年”, “长期”).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity: Option<String>,
    /// Reference to a sample of the result (结果样本).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
}

impl ResultDoc {
    /// As shown in the guide: “食品经营许可证（有效期：5年）”.
    pub fn text(&self) -> String {
        match &self.validity {
            Some(v) => format!("{}（有效期：{v}）", self.name),
            None => self.name.clone(),
        }
    }
}

/// How a material reaches the window (来源渠道): brought by the applicant, issued by a government
/// department (brought by the applicant), or fetched by the window through data sharing or from the
/// electronic licence library (电子证照库) — the last two need not be brought.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum Channel {
    #[serde(rename = "申请人自备")]
    Applicant,
    #[serde(rename = "政府部门核发")]
    Government,
    #[serde(rename = "数据共享")]
    DataSharing,
    #[serde(rename = "电子证照")]
    ElectronicLicence,
}

impl Channel {
    /// The name as written in the KB.
    pub fn label(self) -> &'static str {
        match self {
            Self::Applicant => "申请人自备",
            Self::Government => "政府部门核发",
            Self::DataSharing => "数据共享",
            Self::ElectronicLicence => "电子证照",
        }
    }

    /// Whether the window obtains the material itself.
    pub fn fetched_by_window(self) -> bool {
        matches!(self, Self::DataSharing | Self::ElectronicLicence)
    }
}

impl Material {
    /// The source channel: as written, else derived from `shared_data` and `source`.
    pub fn channel(&self) -> Channel {
        match (self.channel, self.shared_data, self.source) {
            (Some(c), _, _) => c,
            (None, true, _) => Channel::DataSharing,
            (None, false, Source::Government) => Channel::Government,
            (None, false, _) => Channel::Applicant,
        }
    }
}

fn ascii_code(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Checks the national elements of an item and its materials.
pub(crate) fn check_elements(r: &mut Reporter, item: &Item) {
    for (field, value, max) in [
        ("basic_code", &item.basic_code, 20),
        ("implementation_code", &item.implementation_code, 64),
        ("business_item_code", &item.business_item_code, 50),
    ] {
        if let Some(code) = value
            && !ascii_code(code, max)
        {
            r.at(
                &[field],
                format!("编码 {code:?} 应为 1–{max} 位字母或数字（现为 {} 个字符）", code.chars().count()),
            );
        }
    }
    if let Some(code) = &item.department_code {
        // A check-character mismatch is only a warning at the desk (some real codes fail it), but
        // the KB is reviewed: a maintainer confirms the code against the registry and fixes it.
        match validate::credit_code(code) {
            Err(e) => r.at(&["department_code"], format!("实施主体统一社会信用代码 {code} 无效：{e}")),
            Ok(c) => {
                if let Some(w) = c.check_warning {
                    r.at(
                        &["department_code"],
                        format!("实施主体统一社会信用代码 {code}：{w}，请与登记机关公示信息核对"),
                    );
                }
            }
        }
    }
    for (field, value) in [("address", &item.address), ("hours", &item.hours)] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            r.at(&[field], "不能为空；不知道时请删去该字段".into());
        }
    }
    if let Some(result) = &item.result
        && result.name.trim().is_empty()
    {
        r.at(&["result", "name"], "办理结果名称不能为空".into());
    }
    for (i, c) in item.checked_against.iter().enumerate() {
        if c.trim().chars().count() < 4 {
            r.at(
                &["checked_against", &i.to_string()],
                "写明核对的法律条款或办事指南（名称、文号或网址）".into(),
            );
        }
    }
    match (item.checked_against.is_empty(), item.checked_on) {
        (false, None) => r.at(&["checked_against"], "写了核对来源，也须写核对日期 checked_on".into()),
        (true, Some(_)) => r.at(&["checked_on"], "写了核对日期，也须写核对来源 checked_against".into()),
        _ => {}
    }
    for (i, m) in item.materials.iter().enumerate() {
        let idx = i.to_string();
        if let Some(channel) = m.channel {
            // `shared_data` is what intake acts on; the channel must say the same.
            if m.shared_data != channel.fetched_by_window() {
                let shared = if m.shared_data { "true" } else { "false" };
                r.at(
                    &["materials", &idx, "channel"],
                    format!(
                        "来源渠道 {} 与 shared_data = {shared} 矛盾：数据共享、电子证照由窗口获取（shared_data = true），其余由申请人提交",
                        channel.label()
                    ),
                );
            }
            if channel == Channel::Government && m.source != Source::Government {
                r.at(
                    &["materials", &idx, "channel"],
                    format!("来源渠道为 政府部门核发，但 source 为 {}", m.source.label()),
                );
            }
        }
        for (field, value) in [("basis", &m.basis), ("fill_notes", &m.fill_notes)] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                r.at(&["materials", &idx, field], "不能为空；不知道时请删去该字段".into());
            }
        }
    }
}

impl super::model::ItemKind {
    /// The code of GB/T 39046-2020 A.1 (`task_type`).
    pub fn code(self) -> &'static str {
        use super::model::ItemKind::*;
        match self {
            Permit => "01",
            Benefit => "05",
            Confirmation => "07",
            Reward => "08",
            Adjudication => "09",
            Other => "10",
            PublicService => "20",
        }
    }
}
