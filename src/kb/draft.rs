//! Draft items (`status = "draft"`): what `yichuang kb import` writes from the official catalogue.
//!
//! The catalogue gives the official fields (codes, names, department, legal basis, time limits,
//! fees, materials with their source, medium and quantities) but never what a clerk needs to decide
//! at the window: concrete checkpoints, which materials are key and which may be 容缺, the
//! situations to ask about, where the item is handled and who answers its calls. A draft leaves
//! those out; `kb check` lists each as a review gap at its file and line (not as a schema error),
//! and the loader fills a stand-in so the draft still loads and shows in the browser marked 待审核.
//! The desk never accepts an application for a draft (`Item::draft_refusal`), `kb check` fails on a
//! KB holding drafts unless `--drafts`, and HQ refuses to publish one (`src/hq/kb.rs`).
//! Documented in `knowledge-base/README.md` (“Drafts”).

use super::check::Reporter;

/// Whether an item's table is a draft.
pub fn is_draft(table: &toml::Table) -> bool {
    table.get("status").and_then(toml::Value::as_str) == Some("draft")
}

/// Reports the review gaps a draft has beyond missing required fields (those are found while it
/// is deserialized, see [`missing`]) and fills stand-ins where a missing value would make other
/// checks report consequences instead of the gap.
pub(crate) fn prepare(r: &mut Reporter, table: &mut toml::Table) {
    r.gap(
        &["status"],
        "待审核：事项是从政务服务事项目录导入的草稿；补齐本文件列出的各项、经审核后删去 status 一行".into(),
    );
    if !table.contains_key("situations") {
        r.gap(
            &["code"],
            "待审核：写明须问申请人的情形 situations（委托代理人办理等；确无情形时写 situations = []）"
                .into(),
        );
    }
    let lenient_allowed = match table.get("lenient") {
        None => {
            r.gap(&["code"], "待审核：写明是否允许容缺受理：[lenient] allowed = true 或 false".into());
            false
        }
        Some(l) => l.get("allowed").and_then(toml::Value::as_bool).unwrap_or(false),
    };
    let Some(toml::Value::Array(materials)) = table.get_mut("materials") else { return };
    for (i, m) in materials.iter_mut().enumerate() {
        let Some(m) = m.as_table_mut() else { continue };
        let idx = i.to_string();
        let name = m.get("name").and_then(toml::Value::as_str).unwrap_or("").to_string();
        match m.get("key").and_then(toml::Value::as_bool) {
            None if !m.contains_key("key") => {
                r.gap(
                    &["materials", &idx, "key"],
                    format!("待审核：材料“{name}”须标明是否核心材料 key = true/false（核心材料不得容缺）"),
                );
                // A key material is the conservative stand-in: it is never 容缺.
                m.insert("key".into(), toml::Value::Boolean(true));
                r.stand_in(format!("materials[{i}].key"));
            }
            Some(false) if lenient_allowed && !m.contains_key("lenient") => {
                r.gap(
                    &["materials", &idx, "key"],
                    format!("待审核：本事项允许容缺，材料“{name}”须标明可否容缺 lenient = true/false"),
                );
                // “No material may be 容缺” is then a consequence of the unmarked material.
                r.stand_in("lenient.allowed".into());
            }
            _ => {}
        }
        if m.get("necessity").and_then(toml::Value::as_str) == Some("情形必要") && !m.contains_key("when")
        {
            r.gap(
                &["materials", &idx, "necessity"],
                format!("待审核：材料“{name}”只在某些情形下需要：写明情形 when 和条件 condition"),
            );
            r.stand_in(format!("materials[{i}].necessity"));
        }
        let empty = match m.get("checkpoints") {
            None => true,
            Some(toml::Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        };
        if empty {
            r.gap(
                &["materials", &idx, "checkpoints"],
                format!("待审核：材料“{name}”没有审查要点 checkpoints：依据受理标准 standard 写出窗口人员要看的具体内容"),
            );
            m.insert("checkpoints".into(), toml::Value::Array(Vec::new()));
            r.stand_in(format!("materials[{i}].checkpoints"));
        }
    }
}

/// The review gap for a required field a draft leaves out.
pub(crate) fn missing(field: &str) -> String {
    let what = match field {
        "department_group" => "一键呼叫的部门分组 department_group（如 市场监管、人社）",
        "handled_at" => "办理地点 handled_at（区级中心、社区中心、两地通办）",
        "delivery" => "出件方式 delivery（窗口领取、邮寄送达、网上下载）",
        "online" => "网办程度 online（仅窗口办理、网上预审、全程网办）",
        "legal_basis" => "设定依据 legal_basis（目录中为空）",
        "case_type" => "办件类型 case_type（即办件或承诺件）",
        "service_objects" => "服务对象 service_objects",
        "visits" => "到办事现场次数 visits",
        "name" => "名称 name",
        "standard" => "收费标准 standard（目录只给出收费依据）",
        "originals" => "原件份数 originals",
        "copies" => "复印件份数 copies",
        "medium" => "材料形式 medium（纸质、电子、纸质或电子）",
        "source" => "来源 source",
        "kind" => "类型 kind",
        "necessity" => "必要性 necessity（必要或情形必要）",
        "time_limits" => "办结时限 time_limits",
        "promised" => "承诺办结时限 promised",
        "statutory" => "法定办结时限 statutory",
        "basis" => "设定依据 basis（设定该时限或收费的条款，如“《…》第…条”）",
        other => return format!("待审核：缺少 {other}"),
    };
    format!("待审核：写明{what}")
}

#[cfg(test)]
mod tests {
    use crate::kb::check::check;
    use crate::kb::source::{KbFile, KbSource};

    fn checked(item: &str) -> (Vec<String>, Vec<String>) {
        let files =
            [("kb.toml", "version = \"1\"\npublisher = \"p\"\ndate = 2026-12-01\n"), ("items/D1.toml", item)];
        let source = KbSource {
            label: "t".into(),
            files: files.iter().map(|(p, t)| KbFile { path: (*p).into(), text: (*t).into() }).collect(),
        };
        let (parsed, problems) = check(&source);
        (
            parsed.review_gaps.iter().map(|g| g.to_string()).collect(),
            problems.iter().map(|p| p.to_string()).collect(),
        )
    }

    const DRAFT: &str = r#"code = "D1"
status = "draft"
name = "某事项"
kind = "行政确认"
department = "区某局"
department_group = "民政"
service_objects = ["自然人"]
case_type = "即办件"
legal_basis = ["《某条例》第三条"]
situations = []
handled_at = { district = true, community = false, both_centers = false }
online = "仅窗口办理"
visits = 1
delivery = ["窗口领取"]
time_limits = { statutory = "未规定", promised = { unit = "即办" } }
lenient = { allowed = true, supplement_days = 1, on_expiry = "终止受理" }

[[materials]]
id = "form"
name = "申请表"
kind = "申请表格文书"
necessity = "必要"
originals = 1
copies = 0
medium = "纸质"
source = "申请人自备"
key = false

[[materials]]
id = "id_card"
name = "居民身份证"
kind = "证件证书证明"
necessity = "必要"
originals = 1
copies = 0
medium = "纸质"
source = "政府部门核发"
key = true
checkpoints = ["证件在有效期内，与申请人是同一人"]
"#;

    #[test]
    fn a_draft_lists_its_gaps_and_is_otherwise_checked_as_usual() {
        let (gaps, problems) = checked(DRAFT);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(gaps.iter().any(|g| g.starts_with("t/items/D1.toml:2:1: status: 待审核")), "{gaps:?}");
        assert!(
            gaps.iter()
                .any(|g| g.contains("materials[0].key: 待审核：本事项允许容缺，材料“申请表”须标明可否容缺")),
            "{gaps:?}"
        );
        assert!(gaps.iter().any(|g| g.contains("materials[0].checkpoints: 待审核")), "{gaps:?}");
        assert_eq!(gaps.len(), 3, "{gaps:?}");
        // A real problem of a draft is still a problem.
        let (_, problems) = checked(&DRAFT.replace("visits = 1", "visits = \"一次\""));
        assert_eq!(problems.len(), 1, "{problems:?}");
        // Without `status`, what a draft may leave out is a schema error again.
        let (gaps, problems) = checked(&DRAFT.replace("status = \"draft\"\n", ""));
        assert!(gaps.is_empty());
        assert!(problems.iter().any(|p| p.contains("缺少字段 checkpoints")), "{problems:?}");
    }
}
