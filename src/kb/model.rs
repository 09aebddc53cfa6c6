//! The knowledge-base format: serde types for `kb.toml`, `items/*.toml` and `calendar/*.toml`.
//!
//! These types are the contract between the KB maintainers (who write TOML by hand) and every part of
//! the program. Unknown fields are errors so that a typo in a hand-written file is caught by
//! `yichuang kb check` instead of silently dropping an acceptance rule.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// `kb.toml`: which knowledge base this is. A case records `version` so a decision can be traced
/// back to the rules it was made under.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KbMeta {
    /// Version string, e.g. `2026.11.1`.
    pub version: String,
    /// Who published this version (the HQ office).
    pub publisher: String,
    /// Publication date.
    #[serde(with = "toml_date")]
    pub date: NaiveDate,
    /// Free-text remark about this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One service item (事项) with its complete service guide (办事指南).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Item code (事项编码). Opaque: only length and charset are checked.
    pub code: String,
    /// 审核状态: an item imported from the official catalogue (`yichuang kb import`) is a draft
    /// until a reviewer has written what the catalogue cannot give (checkpoints, key and 容缺 marks,
    /// situations); the desk shows drafts marked 待审核 and never accepts an application for one.
    #[serde(default, skip_serializing_if = "ItemStatus::is_reviewed")]
    pub status: ItemStatus,
    /// Official name of the item.
    pub name: String,
    /// Everyday names the public uses ("开公司"), for search.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Item type (事项类型), by its national name.
    pub kind: ItemKind,
    /// Implementing department (实施主体) as printed on notices.
    pub department: String,
    /// Department group used to route one-key calls (e.g. `市场监管`, `人社`).
    pub department_group: String,
    /// Who may apply (服务对象).
    pub service_objects: Vec<ServiceObject>,
    /// The item sets up a new organisation (设立): an organisation applying is the proposed one,
    /// named by its reserved name (名称自主申报), with no credit code yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub establishes: bool,
    /// 即办件 (decided on the spot) or 承诺件 (decided within the promised days).
    pub case_type: CaseType,
    /// Laws and regulations the item rests on; never invented.
    pub legal_basis: Vec<String>,
    /// Conditions the applicant must meet (申请条件), shown to the clerk.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
    /// Situations (情形): questions the clerk must answer 是/否 before the item can be accepted;
    /// conditional materials refer to them, eligibility situations can make the applicant ineligible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub situations: Vec<Situation>,
    /// Groups of situations answered together (e.g. 申请途径: exactly one of), so that a combination
    /// of answers the law does not allow can never be accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<SituationGroup>,
    /// Where the item is handled (district center, community centers) and 两地通办.
    pub handled_at: HandledAt,
    /// How far the item can be done online.
    pub online: OnlineDepth,
    /// Visits to the hall the applicant needs at most (跑动次数).
    pub visits: u8,
    /// Statutory and promised time limits, each in its own unit, with extension and special
    /// procedures (see `src/kb/limits.rs`).
    pub time_limits: TimeLimits,
    /// Fees; empty means free of charge (不收费).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fees: Vec<Fee>,
    /// How the result can reach the applicant.
    pub delivery: Vec<DeliveryOption>,
    /// Consulting phone, where published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 基本编码 (catalog code of the national item catalogue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_code: Option<String>,
    /// 实施编码 (implementation code of this implementing body's item); opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation_code: Option<String>,
    /// 业务办理项编码 (`task_handle_item`, at most 50 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_item_code: Option<String>,
    /// 行使层级.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<super::elements::Level>,
    /// 实施主体's unified social credit code (GB 32100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_code: Option<String>,
    /// 实施主体性质.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_nature: Option<super::elements::BodyNature>,
    /// 办理地点 (address) as published in the guide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 办理时间 (opening hours) as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// 办理结果: the 证照 or document issued and its validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<super::elements::ResultDoc>,
    /// 告知承诺制: the list that lets the applicant replace listed certificates by a commitment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informed_commitment: Option<super::commitment::InformedCommitment>,
    /// What the item was checked against: the legal article(s) and the public 办事指南.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checked_against: Vec<String>,
    /// When it was checked.
    #[serde(default, with = "toml_date::option", skip_serializing_if = "Option::is_none")]
    pub checked_on: Option<NaiveDate>,
    /// Lenient intake (容缺受理) rule; absent means not allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lenient: Option<Lenient>,
    /// The application materials, in the order the clerk checks them.
    pub materials: Vec<Material>,
    /// Remarks, especially where a value is uncertain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whether an item has been reviewed (see `Item::status`).
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum ItemStatus {
    /// Reviewed: the desk may accept applications for it (the default when `status` is absent).
    #[default]
    #[serde(rename = "reviewed")]
    Reviewed,
    /// Imported, not yet reviewed (待审核): shown, never accepted, and `kb check` fails on it.
    #[serde(rename = "draft")]
    Draft,
}

impl ItemStatus {
    /// For `skip_serializing_if`.
    pub fn is_reviewed(&self) -> bool {
        *self == Self::Reviewed
    }

    /// The mark shown next to a draft's name.
    pub const DRAFT_MARK: &'static str = "待审核";
}

impl Item {
    /// Whether the item is an unreviewed draft (待审核).
    pub fn is_draft(&self) -> bool {
        self.status == ItemStatus::Draft
    }

    /// Why the desk refuses an application for a draft, or `None` for a reviewed item.
    pub fn draft_refusal(&self) -> Option<String> {
        self.is_draft().then(|| {
            format!(
                "事项 {}（{}）是从政务服务事项目录导入、尚待审核的草稿：审查要点、核心材料和容缺标记、情形还未经知识库管理员审核，不能据此受理。请联系知识库管理员审核后发布。",
                self.code, self.name
            )
        })
    }
}

/// Item types of GB/T 39046-2020 that a combined window handles.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// 01
    #[serde(rename = "行政许可")]
    Permit,
    /// 05
    #[serde(rename = "行政给付")]
    Benefit,
    /// 07
    #[serde(rename = "行政确认")]
    Confirmation,
    /// 08
    #[serde(rename = "行政奖励")]
    Reward,
    /// 09
    #[serde(rename = "行政裁决")]
    Adjudication,
    /// 10
    #[serde(rename = "其他行政权力")]
    Other,
    /// 20
    #[serde(rename = "公共服务")]
    PublicService,
}

impl ItemKind {
    /// The national name, as shown to the clerk.
    pub fn label(self) -> &'static str {
        match self {
            Self::Permit => "行政许可",
            Self::Benefit => "行政给付",
            Self::Confirmation => "行政确认",
            Self::Reward => "行政奖励",
            Self::Adjudication => "行政裁决",
            Self::Other => "其他行政权力",
            Self::PublicService => "公共服务",
        }
    }
}

/// Service object (服务对象) of GB/T 39046-2020.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
pub enum ServiceObject {
    #[serde(rename = "自然人")]
    Person,
    #[serde(rename = "企业法人")]
    Company,
    #[serde(rename = "事业法人")]
    PublicInstitution,
    #[serde(rename = "社会组织法人")]
    SocialOrganisation,
    #[serde(rename = "行政机关")]
    Authority,
    #[serde(rename = "其他组织")]
    OtherOrganisation,
}

impl ServiceObject {
    /// The national name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Person => "自然人",
            Self::Company => "企业法人",
            Self::PublicInstitution => "事业法人",
            Self::SocialOrganisation => "社会组织法人",
            Self::Authority => "行政机关",
            Self::OtherOrganisation => "其他组织",
        }
    }
}

/// 即办件 / 承诺件.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum CaseType {
    #[serde(rename = "即办件")]
    Immediate,
    #[serde(rename = "承诺件")]
    Promised,
}

impl CaseType {
    /// The national name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Immediate => "即办件",
            Self::Promised => "承诺件",
        }
    }
}

/// A yes/no question about an application: it decides whether conditional materials are needed,
/// or (an eligibility situation) whether the applicant may apply at all. Until the clerk answers it
/// the application cannot be accepted.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Situation {
    /// Identifier referred to by `Material::when` (ASCII, snake_case).
    pub id: String,
    /// The question as the clerk sees it ("是否委托代理人办理").
    pub label: String,
    /// For an eligibility condition: the answer that makes the applicant ineligible (不予受理).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ineligible_if: Option<bool>,
    /// The legal basis of the eligibility condition, printed on the 不予受理通知书; required with
    /// `ineligible_if`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub basis: Vec<String>,
}

/// Situations that exclude or need one another (申请途径: exactly one of).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SituationGroup {
    /// Identifier (ASCII, snake_case), unique among the item's situations and groups.
    pub id: String,
    /// What the group asks, as the clerk sees it ("申请途径").
    pub label: String,
    /// How many of the situations may hold.
    pub rule: GroupRule,
    /// The situations of the group, by id (at least two).
    pub situations: Vec<String>,
}

/// How many situations of a group may hold.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum GroupRule {
    /// Exactly one (alternative routes).
    #[serde(rename = "恰好一项")]
    ExactlyOne,
    /// At most one (mutually exclusive, possibly none).
    #[serde(rename = "至多一项")]
    AtMostOne,
    /// At least one (conditions of which one must be met).
    #[serde(rename = "至少一项")]
    AtLeastOne,
}

impl GroupRule {
    /// The rule's name, as written in the KB and shown to the clerk.
    pub fn label(self) -> &'static str {
        match self {
            Self::ExactlyOne => "恰好一项",
            Self::AtMostOne => "至多一项",
            Self::AtLeastOne => "至少一项",
        }
    }

    /// Whether answering one situation 是 answers the others of the group 否.
    pub fn exclusive(self) -> bool {
        matches!(self, Self::ExactlyOne | Self::AtMostOne)
    }

    /// Whether `holding` situations answered 是 out of a group satisfy the rule.
    pub fn allows(self, holding: usize) -> bool {
        match self {
            Self::ExactlyOne => holding == 1,
            Self::AtMostOne => holding <= 1,
            Self::AtLeastOne => holding >= 1,
        }
    }
}

/// Where an item can be handled.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HandledAt {
    /// At the district service center.
    pub district: bool,
    /// At sub-district / community service centers (社区下沉).
    pub community: bool,
    /// At both district centers (两地通办).
    pub both_centers: bool,
}

/// How much of an item can be done online.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum OnlineDepth {
    /// Window only.
    #[serde(rename = "仅窗口办理")]
    WindowOnly,
    /// Online pre-check, the window finishes it.
    #[serde(rename = "网上预审")]
    PreCheck,
    /// Fully online.
    #[serde(rename = "全程网办")]
    FullyOnline,
}

impl OnlineDepth {
    /// The name shown in the guide.
    pub fn label(self) -> &'static str {
        match self {
            Self::WindowOnly => "仅窗口办理",
            Self::PreCheck => "网上预审",
            Self::FullyOnline => "全程网办",
        }
    }
}

pub use super::limits::{NO_LEGAL_LIMIT, TimeLimits};

/// One fee of an item.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// What is charged for.
    pub name: String,
    /// The amount or standard, as published ("每本10元").
    pub standard: String,
    /// The pricing basis (收费依据).
    pub basis: String,
}

/// A way the result reaches the applicant.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
pub enum DeliveryOption {
    /// 统一窗口出件.
    #[serde(rename = "窗口领取")]
    Window,
    /// 邮寄送达.
    #[serde(rename = "邮寄送达")]
    Mail,
    /// Electronic licence / online download.
    #[serde(rename = "网上下载")]
    Online,
}

impl DeliveryOption {
    /// The name shown in the guide.
    pub fn label(self) -> &'static str {
        match self {
            Self::Window => "窗口领取",
            Self::Mail => "邮寄送达",
            Self::Online => "网上下载",
        }
    }
}

/// The 容缺受理 rule of an item.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lenient {
    /// Whether the item is on the published 容缺 list.
    pub allowed: bool,
    /// Working days the applicant has to supplement (counted from the day after intake).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplement_days: Option<u16>,
    /// Whether the result is withheld until every supplement has arrived.
    #[serde(default)]
    pub withhold_result: bool,
    /// What happens when the deadline passes without the supplement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_expiry: Option<ExpiryRule>,
    /// Whether a missed deadline is recorded in the credit system.
    #[serde(default)]
    pub credit_record: bool,
}

/// What follows a missed 容缺 supplement deadline.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum ExpiryRule {
    /// The acceptance is terminated (终止受理).
    #[serde(rename = "终止受理")]
    Terminate,
    /// The result is not issued (不予发证) until supplemented.
    #[serde(rename = "不予发证")]
    WithholdResult,
    /// An issued result is revoked (撤销).
    #[serde(rename = "撤销决定")]
    Revoke,
}

impl ExpiryRule {
    /// The name shown on the commitment.
    pub fn label(self) -> &'static str {
        match self {
            Self::Terminate => "终止受理",
            Self::WithholdResult => "不予发证",
            Self::Revoke => "撤销决定",
        }
    }
}

/// One application material (申请材料) with its acceptance standard.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Material {
    /// Identifier within the item (ASCII, snake_case); used by `precheck --state` and conditions.
    pub id: String,
    /// The shared material (`materials/<id>.toml`) this one is: its name, kind, checkpoints and
    /// typical defects come from the library, the item adds its own and sets the rest.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub uses: Option<String>,
    /// Name as printed on notices.
    pub name: String,
    /// Material type.
    pub kind: MaterialKind,
    /// Required always, or only under a condition.
    pub necessity: Necessity,
    /// For conditional materials: the condition as printed ("委托代理人办理时").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// For conditional materials: the situation id, or the id of another material whose presence
    /// makes this one required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Originals to show or hand in.
    pub originals: u8,
    /// Copies to hand in.
    pub copies: u8,
    /// Paper, electronic or either.
    pub medium: Medium,
    /// Where the applicant gets it.
    pub source: Source,
    /// Whether the window fetches it through government data sharing (the applicant need not bring it).
    #[serde(default)]
    pub shared_data: bool,
    /// Key material (核心材料): never 容缺.
    pub key: bool,
    /// May be missing or defective under 容缺受理.
    #[serde(default)]
    pub lenient: bool,
    /// 容缺 only under this condition (e.g. 「已提交出租方签章的租赁意向书」): the local list lets the
    /// material follow only when the condition holds, which a supervisor confirms at the window
    /// (`src/intake/case.rs`, `Exception::ConditionalLenient`). Needs `lenient = true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lenient_condition: Option<String>,
    /// What the clerk looks at (受理标准 / 审查要点); concrete, never "符合要求".
    pub checkpoints: Vec<String>,
    /// Defects commonly found, and whether each can be corrected at the window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defects: Vec<Defect>,
    /// Blank form reference (空白表格).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blank_form: Option<String>,
    /// Sample reference (示例样表).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// 来源渠道; when absent it follows from `shared_data` and `source` (see `Material::channel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<super::elements::Channel>,
    /// The legal basis for requiring the material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// What the applicant is told to bring, in plain words (printed on the 一次性告知书 and the
    /// 容缺承诺书 instead of the clerk's checkpoints); when absent the notice says it from the
    /// quantities, medium, blank form and sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_bring: Option<String>,
    /// 受理标准 as the official catalogue publishes it (`accept_stand`); `kb import` keeps it here
    /// so reviewers write concrete `checkpoints` from it and a re-import can update it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
    /// 填写说明: how to fill it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_notes: Option<String>,
    /// 告知承诺: the commitment that may replace this material (needs the item's list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informed_commitment: Option<super::commitment::MaterialCommitment>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Material type of GB/T 39046-2020.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum MaterialKind {
    #[serde(rename = "证件证书证明")]
    Certificate,
    #[serde(rename = "申请表格文书")]
    Form,
    #[serde(rename = "其他")]
    Other,
}

impl MaterialKind {
    /// The national name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Certificate => "证件证书证明",
            Self::Form => "申请表格文书",
            Self::Other => "其他",
        }
    }
}

/// Whether a material is always needed.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum Necessity {
    #[serde(rename = "必要")]
    Required,
    #[serde(rename = "情形必要")]
    Conditional,
}

/// Paper or electronic.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum Medium {
    #[serde(rename = "纸质")]
    Paper,
    #[serde(rename = "电子")]
    Electronic,
    #[serde(rename = "纸质或电子")]
    Either,
}

impl Medium {
    /// The name shown in the guide.
    pub fn label(self) -> &'static str {
        match self {
            Self::Paper => "纸质",
            Self::Electronic => "电子",
            Self::Either => "纸质或电子",
        }
    }
}

/// Material source of GB/T 39046-2020.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum Source {
    #[serde(rename = "申请人自备")]
    Applicant,
    #[serde(rename = "政府部门核发")]
    Government,
    #[serde(rename = "中介机构")]
    Intermediary,
    #[serde(rename = "其他")]
    Other,
}

impl Source {
    /// The national name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Applicant => "申请人自备",
            Self::Government => "政府部门核发",
            Self::Intermediary => "中介机构",
            Self::Other => "其他",
        }
    }
}

/// A typical defect of a material.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Defect {
    /// What is wrong, as the clerk would say it.
    pub text: String,
    /// Whether the applicant can correct it at the window (当场更正).
    #[serde(default)]
    pub correctable: bool,
}

/// `calendar/<year>.toml`: holidays and make-up workdays of one year.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    /// The year the file covers.
    pub year: i32,
    /// True while the State Council has not announced the year's arrangement.
    #[serde(default)]
    pub provisional: bool,
    /// The notice the dates come from.
    pub source: String,
    /// Holiday periods, each with its make-up workdays.
    pub holidays: Vec<Holiday>,
}

/// One public holiday period and the weekend days worked in exchange (调休).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// 元旦, 春节, …
    pub name: String,
    /// First day off.
    #[serde(with = "toml_date")]
    pub from: NaiveDate,
    /// Last day off (inclusive).
    #[serde(with = "toml_date")]
    pub to: NaiveDate,
    /// Weekend days that are working days because of this holiday.
    #[serde(default, with = "toml_date::list", skip_serializing_if = "Vec::is_empty")]
    pub workdays: Vec<NaiveDate>,
}

/// TOML writes dates as bare literals (`2026-01-01`), which chrono cannot read directly; these
/// helpers accept a TOML local date (or a `YYYY-MM-DD` string, for JSON) and write ISO strings.
pub(crate) mod toml_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }

    fn convert<E: Error>(raw: Raw) -> Result<NaiveDate, E> {
        match raw {
            Raw::Toml(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
                    .ok_or_else(|| E::custom(format!("{dt} is not a real date"))),
                _ => Err(E::custom(format!("expected a date like 2026-01-01, found {dt}"))),
            },
            Raw::Text(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| E::custom(format!("expected a date like 2026-01-01, found \"{s}\""))),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        convert(Raw::deserialize(d)?)
    }

    pub fn serialize<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&date.format("%Y-%m-%d"))
    }

    /// For `Option<NaiveDate>` fields (use with `#[serde(default)]`).
    pub mod option {
        use super::*;

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
            convert(Raw::deserialize(d)?).map(Some)
        }

        pub fn serialize<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
            match date {
                Some(date) => s.collect_str(&date.format("%Y-%m-%d")),
                None => s.serialize_none(),
            }
        }
    }

    pub mod list {
        use super::*;
        use serde::ser::SerializeSeq;

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
            Vec::<Raw>::deserialize(d)?.into_iter().map(convert).collect()
        }

        pub fn serialize<S: Serializer>(dates: &[NaiveDate], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(dates.len()))?;
            for d in dates {
                seq.serialize_element(&d.format("%Y-%m-%d").to_string())?;
            }
            seq.end()
        }
    }
}
