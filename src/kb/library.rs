//! The shared material library (`materials/<id>.toml`): materials many items ask for (居民身份证,
//! 户口簿, 授权委托书及受托人身份证件, 营业执照 …) defined once, with their name, kind, quantities,
//! medium, source, checkpoints and typical defects.
//!
//! An item's material refers to one with `use = "<id>"` and is resolved before it is read: every
//! field the item leaves out comes from the library, checkpoints and defects are the library's
//! followed by the item's own. The item always decides necessity, condition, `key` and `lenient`;
//! it may set a different quantity, medium, source or data sharing only with a reason in its
//! `note` (`kb check` enforces both, and that the name stays the library's: one material, one name).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{Defect, MaterialKind, Medium, Source};

/// One shared material, `materials/<id>.toml`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SharedMaterial {
    /// Identifier, equal to the file name; items refer to it with `use`.
    pub id: String,
    /// Name as printed on notices, the same in every item.
    pub name: String,
    /// Material type.
    pub kind: MaterialKind,
    /// Originals to show or hand in (an item may set others, with a reason).
    pub originals: u8,
    /// Copies to hand in (an item may set others, with a reason).
    pub copies: u8,
    /// Paper, electronic or either.
    pub medium: Medium,
    /// Where the applicant gets it.
    pub source: Source,
    /// The window fetches it through government data sharing.
    #[serde(default)]
    pub shared_data: bool,
    /// What the clerk looks at, in every item that uses it.
    pub checkpoints: Vec<String>,
    /// Defects commonly found, in every item that uses it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defects: Vec<Defect>,
    /// Blank form reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blank_form: Option<String>,
    /// Sample reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// What the applicant is told to bring, in plain words (an item may write its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_bring: Option<String>,
    /// Remark for maintainers and the guide (kept in the item unless it writes its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The library as TOML tables by id, ready to be merged into items.
#[derive(Debug, Clone, Default)]
pub struct Library {
    tables: BTreeMap<String, toml::Table>,
}

/// Fields an item may set differently from the library, only with a reason in `note`.
pub const OVERRIDABLE: &[&str] = &["originals", "copies", "medium", "source", "shared_data"];

/// Fields whose lists are the library's followed by the item's.
const APPENDED: &[&str] = &["checkpoints", "defects"];

/// What resolving one item material found wrong, by field, for `kb check` to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseProblem {
    /// Index of the material in the item.
    pub material: usize,
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Library {
    /// Adds a shared material's table (parsed and checked by the caller).
    pub fn insert(&mut self, id: String, table: toml::Table) {
        self.tables.insert(id, table);
    }

    /// Whether a shared material with this id exists.
    pub fn contains(&self, id: &str) -> bool {
        self.tables.contains_key(id)
    }

    /// Resolves every `use` of an item's `materials` in place; returns what was wrong.
    pub fn resolve(&self, item: &mut toml::Table) -> Vec<UseProblem> {
        let mut problems = Vec::new();
        let Some(toml::Value::Array(materials)) = item.get_mut("materials") else { return problems };
        for (i, m) in materials.iter_mut().enumerate() {
            let toml::Value::Table(m) = m else { continue };
            let Some(id) = m.get("use").and_then(toml::Value::as_str).map(str::to_string) else { continue };
            let Some(shared) = self.tables.get(&id) else {
                let known: Vec<&str> = self.tables.keys().map(String::as_str).collect();
                problems.push(UseProblem {
                    material: i,
                    field: "use",
                    message: format!("没有共享材料 {id}（materials/{id}.toml）；可用：{}", known.join("、")),
                });
                continue;
            };
            if m.contains_key("name") {
                problems.push(UseProblem {
                    material: i,
                    field: "name",
                    message: format!("共享材料的名称由 materials/{id}.toml 统一，事项中不能另起名称"),
                });
            }
            let has_note = m.get("note").and_then(toml::Value::as_str).is_some_and(|n| !n.trim().is_empty());
            for field in OVERRIDABLE {
                if let (Some(own), Some(lib)) = (m.get(*field), shared.get(*field))
                    && own != lib
                    && !has_note
                {
                    problems.push(UseProblem {
                        material: i,
                        field,
                        message: format!(
                            "{field} 与共享材料 {id} 不同（{own} / {lib}）：事项确有不同的，须在 note 中写明原因"
                        ),
                    });
                }
            }
            for (key, value) in shared {
                match key.as_str() {
                    "id" => {}
                    "note" if m.contains_key("note") => {}
                    k if APPENDED.contains(&k) => {
                        let mut list = value.as_array().cloned().unwrap_or_default();
                        if let Some(toml::Value::Array(own)) = m.get(k) {
                            list.extend(
                                own.iter().filter(|v| !list.contains(v)).cloned().collect::<Vec<_>>(),
                            );
                        }
                        m.insert(key.clone(), toml::Value::Array(list));
                    }
                    _ => {
                        m.entry(key.clone()).or_insert_with(|| value.clone());
                    }
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library() -> Library {
        let mut lib = Library::default();
        let table: toml::Table = toml::from_str(
            r#"
id = "id_card"
name = "居民身份证"
kind = "证件证书证明"
originals = 1
copies = 0
medium = "纸质"
source = "政府部门核发"
checkpoints = ["在有效期内"]
"#,
        )
        .unwrap();
        lib.insert("id_card".into(), table);
        lib
    }

    #[test]
    fn an_item_gets_the_librarys_fields_and_adds_its_checkpoints() {
        let mut item: toml::Table = toml::from_str(
            r#"
[[materials]]
id = "identity"
use = "id_card"
necessity = "必要"
key = true
checkpoints = ["与申请表姓名一致", "在有效期内"]
"#,
        )
        .unwrap();
        assert!(library().resolve(&mut item).is_empty());
        let m = &item["materials"][0];
        assert_eq!(m["name"].as_str(), Some("居民身份证"));
        assert_eq!(m["originals"].as_integer(), Some(1));
        let checks: Vec<&str> =
            m["checkpoints"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        assert_eq!(checks, ["在有效期内", "与申请表姓名一致"]);
    }

    #[test]
    fn an_unknown_use_a_new_name_and_an_unexplained_override_are_problems() {
        let mut item: toml::Table = toml::from_str(
            r#"
[[materials]]
id = "a"
use = "passport"

[[materials]]
id = "b"
use = "id_card"
name = "身份证"
copies = 2

[[materials]]
id = "c"
use = "id_card"
copies = 1
note = "本事项留存复印件一份备查"
"#,
        )
        .unwrap();
        let problems = library().resolve(&mut item);
        let fields: Vec<(usize, &str)> = problems.iter().map(|p| (p.material, p.field)).collect();
        assert_eq!(fields, [(0, "use"), (1, "name"), (1, "copies")]);
    }
}
