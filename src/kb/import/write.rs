//! Writing the official fields into item files: a new draft for an item the KB does not have, and
//! for one it has, only the official fields are replaced — in place, with `toml_edit`, so what
//! reviewers wrote (checkpoints, key and 容缺 marks, situations, notes, comments, layout) stays as
//! it was. Every replaced value is listed as a change.

use std::collections::HashMap;

use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use super::map::{Fees, LimitValue, Official, OfficialMaterial};

/// The text of a new draft item.
pub fn new_draft(official: &Official, header: &str) -> String {
    let mut doc = DocumentMut::new();
    doc.insert("code", official.code.as_str().into());
    doc.insert("status", "draft".into());
    for (key, value) in &official.fields {
        doc.insert(key, Item::Value(value.clone()));
    }
    let mut limits = InlineTable::new();
    if let Some(s) = official.statutory {
        limits.insert("statutory", s.value());
    }
    if let Some(p) = official.promised {
        limits.insert("promised", p.value());
    }
    doc.insert("time_limits", Item::Value(Value::InlineTable(limits)));
    if let Some(fees) = &official.fees {
        doc.insert("fees", Item::Value(fees_value(fees)));
    }
    let mut materials = ArrayOfTables::new();
    for (i, m) in official.materials.iter().enumerate() {
        materials.push(material_table(m, &format!("material_{}", i + 1)));
    }
    doc.insert("materials", Item::ArrayOfTables(materials));
    let mut text = String::new();
    for line in header.lines().chain(official.hints.iter().map(String::as_str)) {
        text.push_str(&format!("# {line}\n"));
    }
    text.push_str(&doc.to_string());
    text
}

fn fees_value(fees: &Fees) -> Value {
    let mut array = toml_edit::Array::new();
    if let Fees::Charged(basis) = fees {
        let mut fee = InlineTable::new();
        fee.insert("basis", basis.as_str().into());
        array.push(fee);
    }
    Value::Array(array)
}

fn material_table(m: &OfficialMaterial, id: &str) -> Table {
    let mut t = Table::new();
    t.insert("id", id.into());
    t.insert("name", m.name.as_str().into());
    for (key, value) in &m.fields {
        t.insert(key, Item::Value(value.clone()));
    }
    if !m.hints.is_empty() {
        let comments: String = m.hints.iter().map(|h| format!("# {h}\n")).collect();
        t.decor_mut().set_prefix(format!("\n{comments}"));
    }
    t
}

/// What a re-import did to one existing item.
#[derive(Debug, Default)]
pub struct Merge {
    /// The new text (equal to the old when nothing changed).
    pub text: String,
    /// One line per change, in Chinese.
    pub changes: Vec<String>,
    /// Why the item needs review again, if it does (it is then set back to draft).
    pub review: Vec<String>,
}

/// Replaces the official fields of an existing item; `library` gives the names of shared materials
/// (`use`), whose library-owned fields are never written into the item.
pub fn merge(old: &str, official: &Official, library: &HashMap<String, String>) -> Result<Merge, String> {
    let mut doc: DocumentMut = old.parse().map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    let mut out = Merge::default();
    for (key, value) in &official.fields {
        set(doc.as_table_mut(), key, value, key, &mut out.changes);
    }
    merge_limits(&mut doc, official, &mut out);
    merge_fees(&mut doc, official.fees.as_ref(), &mut out);
    merge_materials(&mut doc, official, library, &mut out);
    if !out.review.is_empty() && doc.get("status").and_then(Item::as_str) != Some("draft") {
        doc.insert("status", "draft".into());
        out.changes.push(format!("status: 已审核 → 待审核（{}）", out.review.join("；")));
    }
    out.text = doc.to_string();
    Ok(out)
}

/// The value as plain data, for comparing values written in different layouts.
fn plain(value: &Value) -> Option<toml::Value> {
    let mut v = value.clone();
    v.decor_mut().clear();
    toml::from_str::<toml::Table>(&format!("v = {v}")).ok()?.remove("v")
}

/// A value as shown in a change list.
fn shown(value: Option<&Value>) -> String {
    match value.and_then(plain) {
        None => "（无）".into(),
        Some(toml::Value::String(s)) => s,
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join("；"),
        Some(v) => v.to_string(),
    }
}

/// Sets `key` of a table to `value` when it differs, keeping the old value's comments.
fn set(
    table: &mut dyn toml_edit::TableLike,
    key: &str,
    value: &Value,
    label: &str,
    changes: &mut Vec<String>,
) {
    let old = table.get(key).and_then(Item::as_value);
    if old.is_some_and(|o| plain(o) == plain(value)) {
        return;
    }
    let mut new = value.clone();
    if let Some(old) = old {
        *new.decor_mut() = old.decor().clone();
    }
    changes.push(format!("{label}: {} → {}", shown(old), shown(Some(value))));
    table.insert(key, Item::Value(new));
}

fn merge_limits(doc: &mut DocumentMut, official: &Official, out: &mut Merge) {
    if official.statutory.is_none() && official.promised.is_none() {
        return;
    }
    if doc.get("time_limits").is_none() {
        doc.insert("time_limits", Item::Value(Value::InlineTable(InlineTable::new())));
    }
    let Some(limits) = doc.get_mut("time_limits").and_then(Item::as_table_like_mut) else { return };
    for (key, new, label) in
        [("statutory", official.statutory, "法定办结时限"), ("promised", official.promised, "承诺办结时限")]
    {
        let Some(new) = new else { continue };
        let old = limits.get(key).and_then(old_limit);
        if old == Some(new) {
            continue;
        }
        let basis = limits.get(key).and_then(|i| i.get("basis")).and_then(Item::as_str).map(str::to_string);
        let mut value = new.value();
        if let (Value::InlineTable(t), Some(basis)) = (&mut value, &basis) {
            t.insert("basis", basis.as_str().into());
        }
        if key == "statutory" && basis.is_none() && new != LimitValue::NotSet {
            out.review.push("法定时限须写明设定依据 basis".into());
        }
        out.changes.push(format!(
            "time_limits.{key}（{label}）: {} → {}",
            old.map_or("（无）".to_string(), LimitValue::text),
            new.text()
        ));
        limits.insert(key, Item::Value(value));
    }
}

/// A limit as an item file writes it.
fn old_limit(item: &Item) -> Option<LimitValue> {
    if item.as_str() == Some("未规定") {
        return Some(LimitValue::NotSet);
    }
    let unit = item.get("unit")?.as_str()?;
    let amount = item.get("amount").and_then(Item::as_integer).unwrap_or(0);
    let unit = match unit {
        "即办" => return Some(LimitValue::Immediate),
        "工作日" => crate::kb::limits::Unit::WorkingDays,
        "自然日" => crate::kb::limits::Unit::CalendarDays,
        "月" => crate::kb::limits::Unit::Months,
        _ => return None,
    };
    Some(LimitValue::Amount(u16::try_from(amount).ok()?, unit))
}

fn merge_fees(doc: &mut DocumentMut, fees: Option<&Fees>, out: &mut Merge) {
    let Some(fees) = fees else { return };
    let count = match doc.get("fees") {
        None => 0,
        Some(Item::ArrayOfTables(a)) => a.len(),
        Some(Item::Value(Value::Array(a))) => a.len(),
        Some(_) => 0,
    };
    match fees {
        Fees::Free if count > 0 => {
            doc.insert("fees", Item::Value(Value::Array(toml_edit::Array::new())));
            out.changes.push("fees: 收费 → 不收费（收费项目已删去）".into());
        }
        Fees::Free => {
            if doc.get("fees").is_none() {
                doc.insert("fees", Item::Value(Value::Array(toml_edit::Array::new())));
            }
        }
        Fees::Charged(basis) if count == 0 => {
            doc.insert("fees", Item::Value(fees_value(fees)));
            out.changes.push(format!("fees: 不收费 → 收费（收费依据：{basis}）"));
            out.review.push("目录改为收费：须写明收费项目和标准".into());
        }
        Fees::Charged(basis) => {
            let value: Value = basis.as_str().into();
            match doc.get_mut("fees") {
                Some(Item::ArrayOfTables(a)) => {
                    for (i, t) in a.iter_mut().enumerate() {
                        set(t, "basis", &value, &format!("fees[{i}].basis"), &mut out.changes);
                    }
                }
                Some(Item::Value(Value::Array(a))) => {
                    for (i, v) in a.iter_mut().enumerate() {
                        if let Some(t) = v.as_inline_table_mut() {
                            set(t, "basis", &value, &format!("fees[{i}].basis"), &mut out.changes);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Fields a shared material (`use`) takes from the library: never written into the item.
const LIBRARY_FIELDS: &[&str] =
    &["name", "kind", "originals", "copies", "medium", "source", "shared_data", "channel"];

fn merge_materials(
    doc: &mut DocumentMut,
    official: &Official,
    library: &HashMap<String, String>,
    out: &mut Merge,
) {
    let Some(Item::ArrayOfTables(materials)) = doc.get_mut("materials") else {
        out.changes.push("materials: 不是 [[materials]] 表，未更新材料".into());
        return;
    };
    let names: Vec<String> = materials
        .iter()
        .map(|t| {
            t.get("name").and_then(Item::as_str).map(str::to_string).unwrap_or_else(|| {
                let id = t.get("use").and_then(Item::as_str).unwrap_or("");
                library.get(id).cloned().unwrap_or_default()
            })
        })
        .collect();
    let mut ids: Vec<String> =
        materials.iter().filter_map(|t| t.get("id").and_then(Item::as_str).map(str::to_string)).collect();
    for m in &official.materials {
        match names.iter().position(|n| *n == m.name) {
            Some(i) => {
                let Some(t) = materials.get_mut(i) else { continue };
                let shared = t.contains_key("use");
                for (key, value) in &m.fields {
                    if shared && LIBRARY_FIELDS.contains(key) {
                        continue;
                    }
                    let before = out.changes.len();
                    set(t, key, value, &format!("材料“{}”.{key}", m.name), &mut out.changes);
                    if *key == "necessity" && out.changes.len() > before && !t.contains_key("when") {
                        out.review.push(format!("材料“{}”改为情形必要，须写明 when 和 condition", m.name));
                    }
                }
            }
            None => {
                let mut n = ids.len() + 1;
                while ids.contains(&format!("material_{n}")) {
                    n += 1;
                }
                let id = format!("material_{n}");
                ids.push(id.clone());
                materials.push(material_table(m, &id));
                out.changes.push(format!("新增材料“{}”（{id}）", m.name));
                out.review.push(format!("新增材料“{}”须写审查要点并标明核心、容缺", m.name));
            }
        }
    }
    for name in &names {
        if !name.is_empty() && !official.materials.iter().any(|m| &m.name == name) {
            out.changes.push(format!("目录中已没有材料“{name}”：保留未改，请审核是否删去"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::import::map::{LimitValue, OfficialMaterial};
    use crate::kb::limits::Unit;

    const REVIEWED: &str = r#"code = "X1"
name = "旧名称"   # the reviewer's comment stays
department_group = "市场监管"
time_limits = { statutory = { amount = 20, unit = "工作日", basis = "《条例》第九条" }, promised = { amount = 10, unit = "工作日" } }
fees = []

[[materials]]
id = "id_card"
use = "id_card"
necessity = "必要"
key = true
checkpoints = ["审核人写的要点：人证一致"]

[[materials]]
id = "form"
name = "申请表"
kind = "申请表格文书"
necessity = "必要"
originals = 1
copies = 0
medium = "纸质"
source = "申请人自备"
key = true
checkpoints = ["申请人签字"]
"#;

    fn official(materials: &[&str]) -> Official {
        Official {
            code: "X1".into(),
            name: "新名称".into(),
            origin: "b.csv:2".into(),
            guid: "g".into(),
            task_code: "T".into(),
            fields: vec![("name", "新名称".into())],
            statutory: Some(LimitValue::Amount(20, Unit::WorkingDays)),
            promised: Some(LimitValue::Amount(5, Unit::WorkingDays)),
            fees: Some(Fees::Free),
            materials: materials
                .iter()
                .map(|n| OfficialMaterial {
                    name: (*n).into(),
                    fields: vec![("copies", 2.into()), ("standard", "目录的受理标准".into())],
                    hints: Vec::new(),
                })
                .collect(),
            hints: Vec::new(),
        }
    }

    fn library() -> HashMap<String, String> {
        HashMap::from([("id_card".to_string(), "居民身份证".to_string())])
    }

    #[test]
    fn official_fields_change_in_place_and_the_reviewers_stay() {
        let m = merge(REVIEWED, &official(&["居民身份证", "申请表"]), &library()).unwrap();
        assert!(m.text.contains("name = \"新名称\"   # the reviewer's comment stays"), "{}", m.text);
        assert!(m.text.contains("basis = \"《条例》第九条\""), "{}", m.text);
        assert!(
            m.text.contains("审核人写的要点：人证一致") && m.text.contains("department_group"),
            "{}",
            m.text
        );
        assert!(m.changes.contains(&"name: 旧名称 → 新名称".to_string()), "{:?}", m.changes);
        assert!(m.changes.iter().any(|c| c.contains("10 工作日 → 5 工作日")), "{:?}", m.changes);
        // The shared material's quantities belong to the library: only the item's fields change.
        assert!(m.changes.contains(&"材料“申请表”.copies: 0 → 2".to_string()), "{:?}", m.changes);
        assert!(!m.changes.iter().any(|c| c.contains("居民身份证”.copies")), "{:?}", m.changes);
        assert!(m.changes.iter().any(|c| c.contains("居民身份证”.standard")), "{:?}", m.changes);
        assert!(m.review.is_empty() && !m.text.contains("status"), "{:?}", m.review);
        // Merging the result again changes nothing.
        let again = merge(&m.text, &official(&["居民身份证", "申请表"]), &library()).unwrap();
        assert_eq!(again.text, m.text);
        assert!(again.changes.is_empty(), "{:?}", again.changes);
    }

    #[test]
    fn a_new_material_sends_a_reviewed_item_back_to_draft_and_a_dropped_one_is_kept() {
        let m = merge(REVIEWED, &official(&["申请表", "授权委托书"]), &library()).unwrap();
        assert!(m.text.contains("status = \"draft\""), "{}", m.text);
        assert!(m.text.contains("id = \"material_3\"\nname = \"授权委托书\""), "{}", m.text);
        assert!(
            m.changes.iter().any(|c| c.starts_with("status: 已审核 → 待审核（新增材料“授权委托书”")),
            "{:?}",
            m.changes
        );
        assert!(
            m.changes.iter().any(|c| c == "目录中已没有材料“居民身份证”：保留未改，请审核是否删去"),
            "{:?}",
            m.changes
        );
        assert!(m.text.contains("use = \"id_card\""), "{}", m.text);
    }
}
