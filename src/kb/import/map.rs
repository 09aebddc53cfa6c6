//! Field by field, from a row of `up_task_general_basic` and its rows of
//! `up_task_general_material` to the official fields of an item. Nothing is guessed: a value the
//! row does not state clearly (a 0 limit that may be 即办 or 未规定, a limit without its unit, a code
//! outside the documented table) is a message naming the file, the row and the column, and either
//! refuses the item or leaves the field to the reviewer.

use toml_edit::{Array, InlineTable, Value};

use super::codes::{self, UnitCode};
use super::table::Row;
use super::{Message, Severity};
use crate::intake::validate;
use crate::kb::limits::Unit;
use crate::kb::model::Necessity;

/// A time limit as the catalogue states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitValue {
    /// An amount in a unit.
    Amount(u16, Unit),
    /// 即办.
    Immediate,
    /// No law or regulation sets one (statutory only).
    NotSet,
}

impl LimitValue {
    /// As written in the KB (`{ amount = 20, unit = "工作日" }`, `{ unit = "即办" }`, `"未规定"`).
    pub fn value(self) -> Value {
        match self {
            Self::Amount(amount, unit) => {
                let mut t = InlineTable::new();
                t.insert("amount", i64::from(amount).into());
                t.insert("unit", unit.label().into());
                Value::InlineTable(t)
            }
            Self::Immediate => {
                let mut t = InlineTable::new();
                t.insert("unit", "即办".into());
                Value::InlineTable(t)
            }
            Self::NotSet => "未规定".into(),
        }
    }

    /// As shown in a change list.
    pub fn text(self) -> String {
        match self {
            Self::Amount(n, unit) => format!("{n} {}", unit.label()),
            Self::Immediate => "即办".into(),
            Self::NotSet => "未规定".into(),
        }
    }
}

/// Whether the item charges fees, as the catalogue says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fees {
    /// 不收费.
    Free,
    /// 收费, with the basis (the fee items themselves are not in this table).
    Charged(String),
}

/// The official fields of one material.
#[derive(Debug, Clone)]
pub struct OfficialMaterial {
    /// `material_name`.
    pub name: String,
    /// Fields in the order they are written (`kind`, `necessity`, …).
    pub fields: Vec<(&'static str, Value)>,
    /// Remarks for the reviewer, written as comments above the material.
    pub hints: Vec<String>,
}

/// The official fields of one item, from one row of the basic table and its materials.
#[derive(Debug, Clone)]
pub struct Official {
    /// The item code: `task_handle_item`, else `task_code`.
    pub code: String,
    /// `task_name`.
    pub name: String,
    /// `file:line` of the basic row, for messages and the file's header comment.
    pub origin: String,
    /// `row_guid`, which the material rows refer to as `task_guid`.
    pub guid: String,
    /// `task_code`.
    pub task_code: String,
    /// Top-level fields in the order they are written.
    pub fields: Vec<(&'static str, Value)>,
    /// Statutory limit, when stated.
    pub statutory: Option<LimitValue>,
    /// Promised limit, when stated.
    pub promised: Option<LimitValue>,
    /// Fees, when stated.
    pub fees: Option<Fees>,
    /// Materials in `order_num` order.
    pub materials: Vec<OfficialMaterial>,
    /// Remarks for the reviewer, written as comments at the top.
    pub hints: Vec<String>,
}

/// Collects messages about one row.
struct Cells<'a> {
    file: &'a str,
    row: &'a Row,
    messages: &'a mut Vec<Message>,
    failed: bool,
}

impl Cells<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.row.get(column)
    }

    fn error(&mut self, column: &str, message: String) {
        self.failed = true;
        self.messages.push(Message::at(self.file, self.row.line, column, message));
    }

    fn warn(&mut self, column: &str, message: String) {
        let mut m = Message::at(self.file, self.row.line, column, message);
        m.severity = Severity::Warning;
        self.messages.push(m);
    }

    fn required(&mut self, column: &str, what: &str) -> String {
        match self.get(column) {
            Some(v) => v.to_string(),
            None => {
                self.error(column, format!("{what}为空"));
                String::new()
            }
        }
    }

    /// A coded cell: `None` when empty; an unknown code is an error (or a warning when the
    /// reviewer can supply the field).
    fn coded<T>(
        &mut self,
        column: &str,
        what: &str,
        map: impl Fn(&str) -> Option<T>,
        fatal: bool,
    ) -> Option<T> {
        let v = self.get(column)?.to_string();
        match map(&v) {
            Some(t) => Some(t),
            None => {
                let message = format!(
                    "{what}代码 {v:?} 不在导入代码表中（见 knowledge-base/README.md“导入政务服务事项目录”）；也可填写名称"
                );
                if fatal {
                    self.error(column, message)
                } else {
                    self.warn(column, format!("{message}；留待审核"))
                }
                None
            }
        }
    }
}

/// Maps one basic row; `None` when the row cannot give an item (the messages say why).
pub fn basic(file: &str, row: &Row, messages: &mut Vec<Message>) -> Option<Official> {
    let mut c = Cells { file, row, messages, failed: false };
    let name = c.required("task_name", "事项名称");
    let task_code = c.required("task_code", "实施编码");
    let guid = c.required("row_guid", "记录唯一标识");
    let (code, code_column) = match c.get("task_handle_item") {
        Some(v) => (v.to_string(), "task_handle_item"),
        None => (task_code.clone(), "task_code"),
    };
    if !code.is_empty() && (code.len() > 40 || !code.chars().all(|ch| ch.is_ascii_alphanumeric())) {
        c.error(code_column, format!("编码 {code:?} 不能作事项编码：只能是 1–40 位字母和数字"));
    }
    let mut fields: Vec<(&'static str, Value)> = vec![("name", name.as_str().into())];
    let mut hints = Vec::new();
    match c.get("task_type").map(str::to_string) {
        None => c.error("task_type", "事项类型为空".into()),
        Some(v) => match codes::item_kind(&v) {
            Some(Ok(kind)) => fields.push(("kind", kind.label().into())),
            Some(Err(label)) => {
                c.error("task_type", format!("事项类型 {v}（{label}）不是综合窗口受理的事项，未导入"))
            }
            None => c.error("task_type", format!("事项类型代码 {v:?} 不是 GB/T 39046 A.1 的代码")),
        },
    }
    let department = c.required("dept_name", "实施主体");
    fields.push(("department", department.into()));
    if let Some(v) = c.get("dept_code").map(str::to_string) {
        match validate::credit_code(&v) {
            Ok(code) if code.check_warning.is_none() => fields.push(("department_code", code.code.into())),
            _ => c.warn(
                "dept_code",
                format!("实施主体编码 {v:?} 不是有效的统一社会信用代码，未写入 department_code"),
            ),
        }
    }
    if let Some(nature) = c.coded("dept_type", "实施主体性质", codes::body_nature, false) {
        fields.push(("department_nature", nature.label().into()));
    }
    if let Some(level) = c.coded("use_level", "行使层级", codes::level, false) {
        fields.push(("level", level.label().into()));
    }
    for (column, key, max) in [
        ("catalog_code", "basic_code", 20),
        ("task_code", "implementation_code", 64),
        ("task_handle_item", "business_item_code", 50),
    ] {
        if let Some(v) = c.get(column).map(str::to_string) {
            if v.len() <= max && v.chars().all(|ch| ch.is_ascii_alphanumeric()) {
                fields.push((key, v.into()));
            } else {
                c.warn(column, format!("编码 {v:?} 应为 1–{max} 位字母或数字，未写入 {key}"));
            }
        }
    }
    let legal_basis = lines(c.get("by_law"));
    if legal_basis.is_empty() {
        c.warn("by_law", "设定依据为空：留待审核".into());
    } else {
        fields.push(("legal_basis", array(&legal_basis)));
    }
    let requirements = lines(c.get("accept_condition"));
    if !requirements.is_empty() {
        fields.push(("requirements", array(&requirements)));
    }
    match c.coded("project_type", "办件类型", codes::case_type, false) {
        Some(Some(t)) => fields.push(("case_type", t.label().into())),
        Some(None) => c.warn("project_type", "办件类型为“其他”：留待审核（即办件或承诺件）".into()),
        None => {}
    }
    if let Some(v) = c.get("server_type").map(str::to_string) {
        let mut objects = Vec::new();
        for part in codes::parts(&v) {
            match codes::service_object(part) {
                Some(o) if !objects.contains(&o.label()) => objects.push(o.label()),
                Some(_) => {}
                None => {
                    c.warn("server_type", format!("服务对象代码 {part:?} 不是 GB/T 39046 A.4 的代码，已略去"))
                }
            }
        }
        if !objects.is_empty() {
            fields.push(("service_objects", array(&objects)));
        }
    }
    if let Some(v) = c.get("handle_type").map(str::to_string) {
        let forms: Vec<Option<&str>> = codes::parts(&v).map(codes::handling_form).collect();
        if forms.iter().any(Option::is_none) {
            c.warn("handle_type", format!("办理形式 {v:?} 含 GB/T 39046 A.5 以外的代码：留待审核"));
        } else if forms == [Some("窗口")] {
            fields.push(("online", "仅窗口办理".into()));
        } else {
            hints.push(format!(
                "目录办理形式：{}（网办程度 online 由审核人确定）",
                forms.into_iter().flatten().collect::<Vec<_>>().join("、")
            ));
        }
    }
    if let Some(v) = c.get("limit_scene_num").map(str::to_string) {
        match v.parse::<u8>() {
            Ok(n) => fields.push(("visits", i64::from(n).into())),
            Err(_) => c.warn("limit_scene_num", format!("到办事现场次数 {v:?} 不是 0–255 的整数：留待审核")),
        }
    }
    let statutory =
        limit(&mut c, "anticipate_day", "anticipate_type", "anticipate_explain", "法定办结时限", true);
    let promised = limit(&mut c, "promise_day", "promise_type", "promise_explain", "承诺办结时限", false);
    if let Some(v) = c.get("special_procedure").filter(|v| !matches!(*v, "无" | "0")) {
        hints.push(format!("目录特别程序：{v}（写入 time_limits.special_procedures 须有种类、时长和依据）"));
    }
    let fees = match c.get("is_fee").map(str::to_string) {
        None => {
            c.warn("is_fee", "是否收费为空：留待审核".into());
            None
        }
        Some(v) => match codes::yes_no(&v) {
            Some(false) => Some(Fees::Free),
            Some(true) => match c.get("fee_basis") {
                Some(basis) => Some(Fees::Charged(basis.to_string())),
                None => {
                    c.warn("fee_basis", "收费但收费依据为空：留待审核".into());
                    Some(Fees::Charged(String::new()))
                }
            },
            None => {
                c.warn("is_fee", format!("是否收费 {v:?} 应为 1（是）或 0（否）：留待审核"));
                None
            }
        },
    };
    for (column, key) in [("transact_addr", "address"), ("transact_time", "hours"), ("link_way", "phone")] {
        if let Some(v) = c.get(column) {
            fields.push((key, one_line(v).into()));
        }
    }
    if c.failed {
        return None;
    }
    let origin = format!("{file}:{}", row.line);
    Some(Official {
        code,
        name,
        origin,
        guid,
        task_code,
        fields,
        statutory,
        promised,
        fees,
        materials: Vec::new(),
        hints,
    })
}

/// A time limit from its day, unit and explanation columns.
fn limit(
    c: &mut Cells,
    day: &str,
    unit: &str,
    explain: &str,
    what: &str,
    statutory: bool,
) -> Option<LimitValue> {
    let amount = match c.get(day).map(str::to_string) {
        None => None,
        Some(v) => match v.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                c.error(day, format!("{what} {v:?} 不是整数"));
                return None;
            }
        },
    };
    let unit_text = c.get(unit).map(str::to_string);
    let unit_code = match &unit_text {
        None => None,
        Some(v) => {
            match codes::unit(v) {
                Some(u) => Some(u),
                None if matches!(v.as_str(), "日" | "天") => {
                    c.error(
                        unit,
                        format!(
                            "{what}单位“{v}”不明确：写明 工作日 还是 自然日（法律未写“工作日”的“日”是自然日）"
                        ),
                    );
                    return None;
                }
                None => {
                    c.error(unit, format!("{what}单位代码 {v:?} 不在导入代码表中（1 工作日、2 自然日、3 月、4 年，或写名称）"));
                    return None;
                }
            }
        }
    };
    let note = c.get(explain).unwrap_or("").to_string();
    let says_immediate = ["即办", "当场", "立即办结", "即时办结"].iter().any(|w| note.contains(w));
    let says_unset =
        ["未规定", "无规定", "没有规定", "无法定", "法律法规未"].iter().any(|w| note.contains(w));
    match (amount.unwrap_or(0), unit_code) {
        (_, Some(UnitCode::Unit(Unit::Immediate))) => Some(LimitValue::Immediate),
        (0, _) if says_immediate && !says_unset => Some(LimitValue::Immediate),
        (0, _) if says_unset && !says_immediate && statutory => Some(LimitValue::NotSet),
        (0, _) if says_unset && !says_immediate => {
            c.error(explain, format!("{what}写明“未规定”：本中心的承诺时限必须有，请在目录中填写"));
            None
        }
        (0, _) => {
            let which = if statutory {
                "即办，也可能是法律法规未规定"
            } else {
                "即办，也可能是没有填写"
            };
            c.error(
                day,
                format!(
                    "{what}为 {}：可能是{which}；请在 {explain} 中写明“即办”{}后重新导入",
                    if amount.is_some() { "0" } else { "空" },
                    if statutory { "或“未规定”" } else { "" }
                ),
            );
            None
        }
        (n, None) => {
            c.error(unit, format!("{what} {n} 缺少单位：写明 工作日、自然日 还是 月"));
            None
        }
        (n, Some(code)) => {
            let (n, unit) = match code {
                UnitCode::Years => (n.saturating_mul(12), Unit::Months),
                UnitCode::Unit(u) => (n, u),
            };
            match u16::try_from(n) {
                Ok(n) => Some(LimitValue::Amount(n, unit)),
                Err(_) => {
                    c.error(day, format!("{what} {n} 超出范围"));
                    None
                }
            }
        }
    }
}

/// Maps one material row into its item.
pub fn material(file: &str, row: &Row, messages: &mut Vec<Message>) -> Option<(u32, OfficialMaterial)> {
    let mut c = Cells { file, row, messages, failed: false };
    let name = c.required("material_name", "材料名称");
    let order = match c.get("order_num").map(str::to_string) {
        None => u32::MAX,
        Some(v) => v.parse().unwrap_or_else(|_| {
            c.warn("order_num", format!("排序 {v:?} 不是整数：排在最后"));
            u32::MAX
        }),
    };
    let mut fields: Vec<(&'static str, Value)> = Vec::new();
    let mut hints = Vec::new();
    if let Some(kind) = c.coded("material_type", "材料类型", codes::material_kind, false) {
        fields.push(("kind", kind.label().into()));
    }
    if let Some((necessity, lenient_later)) = c.coded("is_need", "材料必要性", codes::necessity, false) {
        fields.push(("necessity", if necessity == Necessity::Required { "必要" } else { "情形必要" }.into()));
        if necessity == Necessity::Conditional {
            hints.push("目录：非必要材料（写明何种情形下需要：condition 和 when）".into());
            if let Some(r) = c.get("remark") {
                fields.push(("condition", one_line(r).into()));
            }
        }
        if lenient_later {
            hints.push("目录：容缺后补（是否可容缺由审核人确定）".into());
        }
    }
    let medium = c.coded("material_format", "材料形式", codes::medium, false);
    let paper = match c.get("page_num").map(str::to_string) {
        None => None,
        Some(v) => match v.parse::<u8>() {
            Ok(n) => Some(n),
            Err(_) => {
                c.warn("page_num", format!("纸质材料份数 {v:?} 不是 0–255 的整数：留待审核"));
                None
            }
        },
    };
    let format = c.get("page_format").unwrap_or("").to_string();
    match quantities(&format, paper) {
        Some((originals, copies)) => {
            fields.push(("originals", i64::from(originals).into()));
            fields.push(("copies", i64::from(copies).into()));
        }
        None if medium == Some(crate::kb::model::Medium::Electronic) && paper.unwrap_or(0) == 0 => {
            fields.push(("originals", 1.into()));
            fields.push(("copies", 0.into()));
        }
        None => hints.push(format!(
            "目录纸质材料份数 {}、规格“{format}”：未分原件和复印件（originals、copies 由审核人确定）",
            paper.map_or("空".to_string(), |n| n.to_string())
        )),
    }
    if let Some(m) = medium {
        fields.push(("medium", m.label().into()));
    }
    if let Some((source, channel)) = c.coded("source_type", "来源渠道", codes::source, false) {
        fields.push(("source", source.label().into()));
        if let Some(ch) = channel {
            fields.push(("channel", ch.label().into()));
            if ch.fetched_by_window() {
                fields.push(("shared_data", true.into()));
            }
        }
    }
    if let Some(v) = c.get("source_explain") {
        hints.push(format!("目录来源渠道说明：{}", one_line(v)));
    }
    for (column, key) in [
        ("by_law", "basis"),
        ("fill_explain", "fill_notes"),
        ("form_guid", "blank_form"),
        ("example_guid", "sample"),
        ("accept_stand", "standard"),
    ] {
        if let Some(v) = c.get(column) {
            fields.push((key, v.into()));
        }
    }
    if c.failed {
        return None;
    }
    Some((order, OfficialMaterial { name, fields, hints }))
}

/// Originals and copies from the paper count and its format: “原件” or “复印件” says which the
/// count is; “原件1份、复印件2份” gives both. `None` when the catalogue does not say.
fn quantities(format: &str, paper: Option<u8>) -> Option<(u8, u8)> {
    let number_after = |word: &str| -> Option<u8> {
        let at = format.find(word)? + word.len();
        let digits: String = format[at..]
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        let gap = format[at..].chars().take_while(|c| !c.is_ascii_digit()).count();
        (gap <= 2).then(|| digits.parse().ok()).flatten()
    };
    let original = format.replace("复印件", "").contains("原件");
    let copy = format.contains("复印件");
    match (original, copy) {
        (true, true) => Some((number_after("原件")?, number_after("复印件")?)),
        (true, false) => Some((number_after("原件").or(paper)?, 0)),
        (false, true) => Some((0, number_after("复印件").or(paper)?)),
        (false, false) => None,
    }
}

fn lines(text: Option<&str>) -> Vec<String> {
    text.unwrap_or("").lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn array<S: AsRef<str>>(items: &[S]) -> Value {
    let mut a = Array::new();
    for s in items {
        a.push(s.as_ref());
    }
    Value::Array(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[(&str, &str)]) -> Row {
        Row { line: 7, cells: cells.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect() }
    }

    fn statutory(day: &str, unit: &str, explain: &str) -> (Option<LimitValue>, Vec<Message>) {
        let r = row(&[("anticipate_day", day), ("anticipate_type", unit), ("anticipate_explain", explain)]);
        let mut messages = Vec::new();
        let mut c = Cells { file: "b.csv", row: &r, messages: &mut messages, failed: false };
        let v =
            limit(&mut c, "anticipate_day", "anticipate_type", "anticipate_explain", "法定办结时限", true);
        (v, messages)
    }

    #[test]
    fn limits_keep_their_unit_and_never_guess_a_zero() {
        assert_eq!(statutory("20", "1", "").0, Some(LimitValue::Amount(20, Unit::WorkingDays)));
        assert_eq!(statutory("15", "自然日", "").0, Some(LimitValue::Amount(15, Unit::CalendarDays)));
        assert_eq!(statutory("1", "4", "").0, Some(LimitValue::Amount(12, Unit::Months)));
        assert_eq!(statutory("0", "1", "即办件，当场办结").0, Some(LimitValue::Immediate));
        assert_eq!(statutory("0", "", "法律法规未规定").0, Some(LimitValue::NotSet));
        let (v, m) = statutory("0", "1", "");
        assert_eq!(v, None);
        assert!(m[0].to_string().starts_with("b.csv:7: anticipate_day:"), "{}", m[0]);
        assert!(m[0].message.contains("即办") && m[0].message.contains("未规定"), "{}", m[0]);
        let (v, m) = statutory("15", "", "");
        assert_eq!(v, None);
        assert_eq!(m[0].column, "anticipate_type");
        assert!(m[0].message.contains("缺少单位"));
        let (_, m) = statutory("15", "日", "");
        assert!(m[0].message.contains("不明确"), "{}", m[0]);
        let (_, m) = statutory("十五", "1", "");
        assert!(m[0].message.contains("不是整数"));
    }

    #[test]
    fn originals_and_copies_only_when_the_catalogue_says_which() {
        assert_eq!(quantities("原件", Some(1)), Some((1, 0)));
        assert_eq!(quantities("复印件", Some(2)), Some((0, 2)));
        assert_eq!(quantities("原件1份，复印件2份", Some(3)), Some((1, 2)));
        assert_eq!(quantities("A4", Some(1)), None);
        assert_eq!(quantities("", None), None);
    }
}
