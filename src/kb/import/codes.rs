//! The code tables the importer maps the exchange tables' short codes through. GB/T 39046—2020
//! fixes A.1–A.6 (item type, level, body nature, service object, handling form, case type); the
//! unit, necessity, material type, form and source columns hold codes whose tables vary between
//! provincial platforms, so each column also accepts the value's name, and the table below is the
//! one `knowledge-base/README.md` (“Importing the official catalogue”) documents.

use crate::kb::elements::{BodyNature, Channel, Level};
use crate::kb::limits::Unit;
use crate::kb::model::{CaseType, ItemKind, MaterialKind, Medium, Necessity, ServiceObject, Source};

/// `task_type` (A.1). `Err` carries the type's name for the types a window never accepts.
pub fn item_kind(v: &str) -> Option<Result<ItemKind, &'static str>> {
    Some(Ok(match strip_zeros(v).as_str() {
        "1" | "行政许可" => ItemKind::Permit,
        "5" | "行政给付" => ItemKind::Benefit,
        "7" | "行政确认" => ItemKind::Confirmation,
        "8" | "行政奖励" => ItemKind::Reward,
        "9" | "行政裁决" => ItemKind::Adjudication,
        "10" | "其他行政权力" | "其他" => ItemKind::Other,
        "20" | "公共服务" => ItemKind::PublicService,
        "0" | "行政权力" => return Some(Err("行政权力（未细分类型）")),
        "2" | "行政处罚" => return Some(Err("行政处罚")),
        "3" | "行政强制" => return Some(Err("行政强制")),
        "4" | "行政征收" => return Some(Err("行政征收")),
        "6" | "行政检查" => return Some(Err("行政检查")),
        _ => return None,
    }))
}

/// `use_level` (A.2).
pub fn level(v: &str) -> Option<Level> {
    Some(match v {
        "1" | "国家级" => Level::National,
        "2" | "省级" => Level::Provincial,
        "3" | "市级" => Level::City,
        "4" | "县级" => Level::County,
        "5" | "乡镇（街道）级" | "乡镇街道级" => Level::Township,
        "6" | "村（社区）级" | "村社区级" => Level::Village,
        "7" | "分级管理" => Level::Tiered,
        _ => return None,
    })
}

/// `dept_type` (A.3).
pub fn body_nature(v: &str) -> Option<BodyNature> {
    Some(match v {
        "1" | "法定机关" => BodyNature::Statutory,
        "2" | "授权组织" => BodyNature::Authorised,
        "3" | "受委托组织" => BodyNature::Entrusted,
        "9" | "其他" => BodyNature::Other,
        _ => return None,
    })
}

/// One code of `server_type` (A.4); the column lists several, separated by `,` `，` `;` `、` `|`.
pub fn service_object(v: &str) -> Option<ServiceObject> {
    Some(match v {
        "1" | "自然人" => ServiceObject::Person,
        "2" | "企业法人" => ServiceObject::Company,
        "3" | "事业法人" => ServiceObject::PublicInstitution,
        "4" | "社会组织法人" => ServiceObject::SocialOrganisation,
        "5" | "行政机关" => ServiceObject::Authority,
        "6" | "其他组织" => ServiceObject::OtherOrganisation,
        _ => return None,
    })
}

/// The parts of a list cell.
pub fn parts(v: &str) -> impl Iterator<Item = &str> {
    v.split([',', '，', ';', '；', '、', '|']).map(str::trim).filter(|s| !s.is_empty())
}

/// One code of `handle_type` (A.5): 1 窗口 2 网上 3 移动端 4 快递 9 其他. Only “window only” says
/// how deep online handling goes; anything else is for the reviewer.
pub fn handling_form(v: &str) -> Option<&'static str> {
    Some(match v {
        "1" | "窗口办理" | "窗口" => "窗口",
        "2" | "网上办理" | "网上" => "网上",
        "3" | "移动端" => "移动端",
        "4" | "快递申请" | "快递" => "快递",
        "9" | "其他" => "其他",
        _ => return None,
    })
}

/// `project_type` (A.6); 9 其他 has no counterpart and is left to the reviewer.
pub fn case_type(v: &str) -> Option<Option<CaseType>> {
    Some(match v {
        "1" | "即办件" => Some(CaseType::Immediate),
        "2" | "承诺件" => Some(CaseType::Promised),
        "9" | "其他" => None,
        _ => return None,
    })
}

/// A time-limit unit (`anticipate_type`, `promise_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitCode {
    /// A unit of the KB.
    Unit(Unit),
    /// 年: kept exactly as twelve months each.
    Years,
}

/// `anticipate_type` / `promise_type`: 1 工作日, 2 自然日, 3 月, 4 年, or the name. “日”/“天”
/// alone is not accepted: it may be either kind of day.
pub fn unit(v: &str) -> Option<UnitCode> {
    Some(match v {
        "1" | "工作日" => UnitCode::Unit(Unit::WorkingDays),
        "2" | "自然日" | "日历日" => UnitCode::Unit(Unit::CalendarDays),
        "3" | "月" | "个月" => UnitCode::Unit(Unit::Months),
        "4" | "年" => UnitCode::Years,
        "即办" => UnitCode::Unit(Unit::Immediate),
        _ => return None,
    })
}

/// `is_fee` (GB/T 39046 table 4, item 31: 1 是, 0 否).
pub fn yes_no(v: &str) -> Option<bool> {
    match v {
        "1" | "是" | "Y" | "y" | "true" => Some(true),
        "0" | "否" | "N" | "n" | "false" => Some(false),
        _ => None,
    }
}

/// `is_need`: 1 必要, 2 非必要 (needed in some situations), 3 容缺后补 (needed; may be supplied
/// later where the item allows 容缺 — the reviewer decides).
pub fn necessity(v: &str) -> Option<(Necessity, bool)> {
    Some(match v {
        "1" | "必要" | "必要材料" => (Necessity::Required, false),
        "2" | "非必要" | "非必要材料" | "情形必要" => (Necessity::Conditional, false),
        "3" | "容缺后补" => (Necessity::Required, true),
        _ => return None,
    })
}

/// `material_type`: 1 证件证书证明, 2 申请表格文书, 3 其他.
pub fn material_kind(v: &str) -> Option<MaterialKind> {
    Some(match v {
        "1" | "证件证书证明" | "证件证照" => MaterialKind::Certificate,
        "2" | "申请表格文书" | "表格" => MaterialKind::Form,
        "3" | "其他" => MaterialKind::Other,
        _ => return None,
    })
}

/// `material_format`: 1 纸质, 2 电子, 3 纸质和电子 (either is accepted).
pub fn medium(v: &str) -> Option<Medium> {
    Some(match v {
        "1" | "纸质" => Medium::Paper,
        "2" | "电子" | "电子化" => Medium::Electronic,
        "3" | "纸质和电子" | "纸质或电子" | "纸质/电子" | "纸质、电子" => Medium::Either,
        _ => return None,
    })
}

/// `source_type`: 1 申请人自备, 2 政府部门核发, 3 中介机构, 4 其他, 5 数据共享, 6 电子证照
/// (the last two are fetched by the window: the applicant need not bring them).
pub fn source(v: &str) -> Option<(Source, Option<Channel>)> {
    Some(match v {
        "1" | "申请人自备" => (Source::Applicant, Some(Channel::Applicant)),
        "2" | "政府部门核发" => (Source::Government, Some(Channel::Government)),
        "3" | "中介机构" | "中介机构或法定机构产生" => (Source::Intermediary, None),
        "4" | "其他" => (Source::Other, None),
        "5" | "数据共享" => (Source::Government, Some(Channel::DataSharing)),
        "6" | "电子证照" => (Source::Government, Some(Channel::ElectronicLicence)),
        _ => return None,
    })
}

fn strip_zeros(v: &str) -> String {
    if v.chars().all(|c| c.is_ascii_digit()) && v.len() > 1 {
        let t = v.trim_start_matches('0');
        if t.is_empty() { "0".into() } else { t.into() }
    } else {
        v.to_string()
    }
}
