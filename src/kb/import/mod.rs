//! `yichuang kb import`: the official item catalogue, as the provincial platform exports it in the
//! national exchange tables `up_task_general_basic` (one row per item) and
//! `up_task_general_material` (one row per material, linked by `task_guid` = the item's
//! `row_guid`), into knowledge-base item files.
//!
//! An item the KB does not have becomes a draft (`status = "draft"`, see `src/kb/draft.rs`) holding
//! the official fields only; one it has gets its official fields replaced and nothing else, and
//! every change is listed item by item. Problems in the tables — encodings, duplicated codes, a 0
//! limit that may mean 即办 or 未规定, a limit without its unit, codes outside the documented tables —
//! are messages naming the file, the row and the column. The mapping and the code tables are
//! documented in `knowledge-base/README.md` (“Importing the official catalogue”).

pub mod codes;
pub mod map;
pub mod table;
pub mod write;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use map::Official;

/// How serious a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The row's item is not imported (or the file is not read).
    Error,
    /// Imported; a value is left to the reviewer.
    Warning,
}

/// A message about the tables: file, row (its line in the file), column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Error or warning.
    pub severity: Severity,
    /// The file as given.
    pub file: String,
    /// Line of the row in the file; 0 for the whole file.
    pub line: usize,
    /// Column name; empty for the whole row.
    pub column: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl Message {
    /// An error about the whole file.
    pub fn file(file: &str, message: &str) -> Self {
        Self::at(file, 0, "", message.to_string())
    }

    /// An error at a row and column.
    pub fn at(file: &str, line: usize, column: &str, message: String) -> Self {
        Self { severity: Severity::Error, file: file.to_string(), line, column: column.to_string(), message }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if !self.column.is_empty() {
            write!(f, ": {}", self.column)?;
        }
        let mark = if self.severity == Severity::Warning { "提示：" } else { "" };
        write!(f, ": {mark}{}", self.message)
    }
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new draft was written.
    Created,
    /// Official fields changed (listed).
    Updated(Vec<String>),
    /// Nothing changed (notes, if any, listed).
    Unchanged(Vec<String>),
}

/// One item of the import.
#[derive(Debug, Clone)]
pub struct ItemReport {
    /// Item code.
    pub code: String,
    /// Item name.
    pub name: String,
    /// The file written (relative to the KB).
    pub path: String,
    /// What happened.
    pub outcome: Outcome,
}

/// The whole import.
#[derive(Debug, Default)]
pub struct Report {
    /// `file（encoding）` per table read.
    pub read: Vec<String>,
    /// Messages, errors and warnings.
    pub messages: Vec<Message>,
    /// Items, in table order.
    pub items: Vec<ItemReport>,
    /// Items of the KB imported earlier (with an `implementation_code`) that the tables no longer
    /// have: `code name`.
    pub missing: Vec<String>,
}

impl Report {
    /// Whether any error was found.
    pub fn has_errors(&self) -> bool {
        self.messages.iter().any(|m| m.severity == Severity::Error)
    }
}

/// The tables, read and mapped into items (no files written).
pub fn read_catalogue(basic: &table::Table, material: &table::Table, report: &mut Report) -> Vec<Official> {
    for (t, required) in [(basic, BASIC_REQUIRED), (material, MATERIAL_REQUIRED)] {
        report.read.push(format!("{}（{}，{} 行）", t.file, t.encoding.label(), t.rows.len()));
        let missing: Vec<&str> =
            required.iter().copied().filter(|c| !t.columns.iter().any(|x| x == c)).collect();
        if !missing.is_empty() {
            report.messages.push(Message::at(
                &t.file,
                1,
                "",
                format!("缺少列 {}：表头须使用国家交换表的列名", missing.join("、")),
            ));
        }
    }
    if report.has_errors() {
        return Vec::new();
    }
    let mut items: Vec<Official> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut refused: Vec<String> = Vec::new();
    for row in &basic.rows {
        let Some(item) = map::basic(&basic.file, row, &mut report.messages) else { continue };
        if let Some(&first) = seen.get(&item.code) {
            report.messages.push(Message::at(
                &basic.file,
                row.line,
                code_column(row),
                format!("事项编码 {} 重复：第 {first} 行已有；两行都未导入，请在目录中核对", item.code),
            ));
            refused.push(item.code.clone());
            continue;
        }
        seen.insert(item.code.clone(), row.line);
        items.push(item);
    }
    items.retain(|i| !refused.contains(&i.code));
    let by_guid: HashMap<String, usize> =
        items.iter().enumerate().map(|(i, it)| (it.guid.clone(), i)).collect();
    let mut materials: Vec<Vec<(u32, usize, map::OfficialMaterial)>> = vec![Vec::new(); items.len()];
    let mut bad_items: Vec<usize> = Vec::new();
    for row in &material.rows {
        let guid = row.get("task_guid").unwrap_or("").to_string();
        let Some(&index) = by_guid.get(&guid) else {
            let known = basic.rows.iter().any(|r| r.get("row_guid") == Some(guid.as_str()));
            if !known {
                report.messages.push(Message::at(
                    &material.file,
                    row.line,
                    "task_guid",
                    format!("事项唯一标识 {guid:?} 在 {} 的 row_guid 中找不到", basic.file),
                ));
            }
            continue;
        };
        if let Some(code) = row.get("task_code")
            && code != items[index].task_code
        {
            let mut m = Message::at(
                &material.file,
                row.line,
                "task_code",
                format!(
                    "实施编码 {code} 与事项的 {}（{}）不一致；按 task_guid 归入该事项",
                    items[index].task_code, items[index].origin
                ),
            );
            m.severity = Severity::Warning;
            report.messages.push(m);
        }
        match map::material(&material.file, row, &mut report.messages) {
            Some((order, m)) => {
                if materials[index].iter().any(|(_, _, x)| x.name == m.name) {
                    report.messages.push(Message::at(
                        &material.file,
                        row.line,
                        "material_name",
                        format!("事项 {} 的材料“{}”重复；事项未导入", items[index].code, m.name),
                    ));
                    bad_items.push(index);
                }
                materials[index].push((order, row.line, m));
            }
            None => bad_items.push(index),
        }
    }
    for (i, item) in items.iter_mut().enumerate() {
        let mut list = std::mem::take(&mut materials[i]);
        list.sort_by_key(|(order, line, _)| (*order, *line));
        item.materials = list.into_iter().map(|(_, _, m)| m).collect();
        if item.materials.is_empty() && !bad_items.contains(&i) {
            report.messages.push(Message::at(
                &basic.file,
                item.origin.rsplit(':').next().and_then(|l| l.parse().ok()).unwrap_or(0),
                "row_guid",
                format!(
                    "事项 {} 在 {} 中没有材料（task_guid = {}）；事项未导入",
                    item.code, material.file, item.guid
                ),
            ));
            bad_items.push(i);
        }
    }
    let mut index = 0;
    items.retain(|_| {
        index += 1;
        !bad_items.contains(&(index - 1))
    });
    items
}

fn code_column(row: &table::Row) -> &'static str {
    if row.get("task_handle_item").is_some() { "task_handle_item" } else { "task_code" }
}

/// Columns the importer cannot do without.
const BASIC_REQUIRED: &[&str] = &[
    "task_name",
    "task_code",
    "task_type",
    "dept_name",
    "by_law",
    "anticipate_day",
    "anticipate_type",
    "promise_day",
    "promise_type",
    "is_fee",
    "row_guid",
];
const MATERIAL_REQUIRED: &[&str] = &["task_guid", "material_name", "is_need", "row_guid"];

/// Options of one import.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `up_task_general_basic` file.
    pub basic: PathBuf,
    /// The `up_task_general_material` file.
    pub material: PathBuf,
    /// The knowledge-base directory to write into.
    pub kb: PathBuf,
    /// Report only; write nothing.
    pub dry_run: bool,
}

/// Reads both tables and writes (unless `dry_run`) new drafts and updated items into `kb/items/`.
/// Items with errors are not written; the others are.
pub fn run(options: &Options) -> Report {
    let mut report = Report::default();
    let read = |path: &Path| -> Result<table::Table, Message> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Message::file(&name, &format!("无法读取：{e}")))?;
        table::read(&name, &bytes)
    };
    let (basic, material) = match (read(&options.basic), read(&options.material)) {
        (Ok(b), Ok(m)) => (b, m),
        (b, m) => {
            report.messages.extend(b.err().into_iter().chain(m.err()));
            return report;
        }
    };
    let officials = read_catalogue(&basic, &material, &mut report);
    let items_dir = options.kb.join("items");
    let existing = existing_items(&items_dir);
    let library = library_names(&options.kb.join("materials"));
    let header = format!(
        "由 yichuang kb import 从政务服务事项目录导入（{} 与 {}），待审核。\n目录给出的字段（名称、编码、实施主体、依据、时限、收费、材料的类型/形式/份数/来源/依据/受理标准）再次导入时会按新目录更新；\n审核人填写的字段（审查要点、核心与容缺标记、情形、部门分组、办理地点、出件方式、备注）不会被改动。",
        basic.file, material.file
    );
    for official in &officials {
        let (path, outcome) = match existing.get(&official.code) {
            None => {
                let path = items_dir.join(format!("{}.toml", official.code));
                let text = write::new_draft(official, &format!("{header}\n来源：{}", official.origin));
                if !options.dry_run
                    && let Err(e) = write_file(&path, &text)
                {
                    report
                        .messages
                        .push(Message::file(&path.display().to_string(), &format!("无法写入：{e}")));
                    continue;
                }
                (path, Outcome::Created)
            }
            Some(path) => {
                let old = match std::fs::read_to_string(path) {
                    Ok(t) => t,
                    Err(e) => {
                        report
                            .messages
                            .push(Message::file(&path.display().to_string(), &format!("无法读取：{e}")));
                        continue;
                    }
                };
                let merged = match write::merge(&old, official, &library) {
                    Ok(m) => m,
                    Err(e) => {
                        report.messages.push(Message::file(
                            &path.display().to_string(),
                            &format!("不是有效的 TOML，未更新：{e}"),
                        ));
                        continue;
                    }
                };
                if merged.text == old {
                    (path.clone(), Outcome::Unchanged(merged.changes))
                } else {
                    if !options.dry_run
                        && let Err(e) = write_file(path, &merged.text)
                    {
                        report
                            .messages
                            .push(Message::file(&path.display().to_string(), &format!("无法写入：{e}")));
                        continue;
                    }
                    (path.clone(), Outcome::Updated(merged.changes))
                }
            }
        };
        let rel = path.strip_prefix(&options.kb).unwrap_or(&path).display().to_string();
        report.items.push(ItemReport {
            code: official.code.clone(),
            name: official.name.clone(),
            path: rel,
            outcome,
        });
    }
    if !report.has_errors() || !officials.is_empty() {
        for (code, path) in &existing {
            if officials.iter().any(|o| &o.code == code) {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(path)
                && let Ok(t) = toml::from_str::<toml::Table>(&text)
                && t.contains_key("implementation_code")
            {
                let name = t.get("name").and_then(toml::Value::as_str).unwrap_or("");
                report.missing.push(format!("{code} {name}"));
            }
        }
        report.missing.sort();
    }
    report
}

fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Item files below `items/` by the code they hold.
fn existing_items(dir: &Path) -> HashMap<String, PathBuf> {
    let mut out = HashMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml")
                && let Ok(text) = std::fs::read_to_string(&path)
                && let Ok(t) = toml::from_str::<toml::Table>(&text)
                && let Some(code) = t.get("code").and_then(toml::Value::as_str)
            {
                out.insert(code.to_string(), path);
            }
        }
    }
    out
}

/// Shared materials' names by id (`materials/<id>.toml`), to recognise an item's `use` material.
fn library_names(dir: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        if let Ok(text) = std::fs::read_to_string(entry.path())
            && let Ok(t) = toml::from_str::<toml::Table>(&text)
            && let (Some(id), Some(name)) =
                (t.get("id").and_then(toml::Value::as_str), t.get("name").and_then(toml::Value::as_str))
        {
            out.insert(id.to_string(), name.to_string());
        }
    }
    out
}
