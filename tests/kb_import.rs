//! `yichuang kb import` on the real binary with tables in the published column layout of
//! `up_task_general_basic` / `up_task_general_material` (`tests/fixtures/catalogue/`, written by
//! its `make.py`): clean tables become drafts whose only problems are the review gaps; GBK, a BOM,
//! JSON lines and an Excel workbook read like UTF-8 CSV; dirty rows are named by file, row and column; a newer catalogue
//! updates the official fields of a reviewed item and keeps what the reviewer wrote.

mod common;

use std::path::Path;

use common::{code, fixture, stderr, stdout, yichuang};

const GT: &str = "00013112700101";
const BIRTH: &str = "11230108MB0000002X000000000002";
const ID: &str = "11230108MB0000003X000000000003";

/// An empty KB (kb.toml and the 2026 calendar, no items) to import into.
fn empty_kb() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let small = fixture("kb-small");
    std::fs::copy(small.join("kb.toml"), dir.path().join("kb.toml")).unwrap();
    std::fs::create_dir_all(dir.path().join("calendar")).unwrap();
    std::fs::copy(small.join("calendar/2026.toml"), dir.path().join("calendar/2026.toml")).unwrap();
    dir
}

fn table(name: &str) -> String {
    fixture("catalogue").join(name).display().to_string()
}

fn import(kb: &Path, basic: &str, material: &str) -> std::process::Output {
    yichuang(["kb", "import", &table(basic), &table(material), "--into", &kb.display().to_string()])
}

fn check(kb: &Path, drafts: bool) -> std::process::Output {
    let dir = kb.display().to_string();
    if drafts { yichuang(["kb", "check", &dir, "--drafts"]) } else { yichuang(["kb", "check", &dir]) }
}

fn item_text(kb: &Path, code: &str) -> String {
    std::fs::read_to_string(kb.join(format!("items/{code}.toml"))).unwrap()
}

#[test]
fn round_trip_tables_to_drafts_that_check_only_review_gaps() {
    let kb = empty_kb();
    let out = import(kb.path(), "basic.csv", "material.csv");
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    for c in [GT, BIRTH, ID] {
        assert!(text.contains(&format!("新增 {c}")), "{text}");
    }
    let gt = item_text(kb.path(), GT);
    for field in [
        "status = \"draft\"",
        "name = \"个体工商户设立登记\"",
        "kind = \"行政许可\"",
        "department = \"区市场监督管理局\"",
        "implementation_code = \"11230108MB0000001X000131127001\"",
        "time_limits = { statutory = { amount = 3, unit = \"工作日\" }, promised = { amount = 1, unit = \"工作日\" } }",
        "fees = []",
        "originals = 0\ncopies = 1",
        "medium = \"纸质或电子\"",
        "channel = \"申请人自备\"",
        "standard = \"地址具体到门牌号\"",
    ] {
        assert!(gt.contains(field), "{field} missing from\n{gt}");
    }
    let birth = item_text(kb.path(), BIRTH);
    assert!(
        birth.contains("statutory = \"未规定\"") && birth.contains("promised = { unit = \"即办\" }"),
        "{birth}"
    );

    // Without --drafts the KB does not pass; with it, it does, and every line is a review gap.
    let strict = check(kb.path(), false);
    assert_eq!(code(&strict), 1);
    assert!(stdout(&strict).contains("待审核的事项不能发布或嵌入"), "{}", stdout(&strict));
    let lenient = check(kb.path(), true);
    let text = stdout(&lenient);
    assert_eq!(code(&lenient), 0, "{text}");
    let prefix = format!("{}/items/", kb.path().display());
    let gaps: Vec<&str> = text.lines().filter(|l| l.starts_with(&prefix)).collect();
    assert!(gaps.len() > 20, "{text}");
    for line in &gaps {
        assert!(line.contains(": 待审核："), "not a review gap: {line}");
    }
    for expected in [
        format!("{GT}.toml:7:1: status: 待审核"),
        format!("{GT}.toml:6:1: code: 待审核：写明须问申请人的情形 situations"),
        format!("{GT}.toml:6:1: department_group: 待审核"),
        format!("{GT}.toml:24:17: time_limits.statutory.basis: 待审核"),
        format!("{GT}.toml:27:1: materials[0].key: 待审核"),
        format!("{GT}.toml:27:1: materials[0].checkpoints: 待审核"),
        format!("{BIRTH}.toml:41:1: materials[1].necessity: 待审核"),
        format!("{ID}.toml:24:9: fees[0].standard: 待审核"),
    ] {
        assert!(gaps.iter().any(|l| l.contains(&expected)), "{expected} not in\n{text}");
    }
    assert!(text.contains("3 个事项（其中 3 个待审核）"), "{text}");

    // Drafts load: `kb show` marks them, `precheck` refuses them and says why.
    let show = yichuang(["--kb", &kb.path().display().to_string(), "kb", "show", GT]);
    assert!(stdout(&show).contains("【待审核】"), "{}", stdout(&show));
    let pre = yichuang(["--kb", &kb.path().display().to_string(), "precheck", GT]);
    assert_ne!(code(&pre), 0);
    assert!(stderr(&pre).contains("尚待审核的草稿"), "{}", stderr(&pre));
}

/// The item files without their header comment (which names the tables read).
fn items_without_header(kb: &Path) -> Vec<String> {
    [GT, BIRTH, ID]
        .iter()
        .map(|c| {
            item_text(kb, c)
                .lines()
                .filter(|l| !l.starts_with("# 由 ") && !l.starts_with("# 来源："))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .map(|t| t.replace(&table(""), ""))
        .collect()
}

#[test]
fn gbk_bom_json_lines_and_excel_read_like_utf8() {
    let plain = empty_kb();
    assert_eq!(code(&import(plain.path(), "basic.csv", "material.csv")), 0);
    let gbk = empty_kb();
    let out = import(gbk.path(), "basic-gbk.csv", "material-gbk.csv");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("basic-gbk.csv（GBK，3 行）"), "{}", stdout(&out));
    let bom = empty_kb();
    let out = import(bom.path(), "basic-bom.csv", "material.csv");
    assert!(stdout(&out).contains("UTF-8（带 BOM）"), "{}", stdout(&out));
    let jsonl = empty_kb();
    assert_eq!(code(&import(jsonl.path(), "basic.jsonl", "material.jsonl")), 0);
    let excel = empty_kb();
    let out = import(excel.path(), "basic.xlsx", "material.xlsx");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("basic.xlsx（Excel 工作簿，3 行）"), "{}", stdout(&out));
    let expected = items_without_header(plain.path());
    for other in [&gbk, &bom, &jsonl, &excel] {
        let got: Vec<String> = items_without_header(other.path())
            .into_iter()
            .map(|t| {
                t.replace("-gbk", "").replace("-bom", "").replace(".jsonl", ".csv").replace(".xlsx", ".csv")
            })
            .collect();
        assert_eq!(got, expected);
    }
}

#[test]
fn dirty_rows_are_named_by_file_row_and_column() {
    let kb = empty_kb();
    let out = import(kb.path(), "basic-dirty.csv", "material-dirty.csv");
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    let basic = table("basic-dirty.csv");
    let material = table("material-dirty.csv");
    for (at, what) in [
        (format!("{basic}:5: anticipate_day: "), "法定办结时限为 0：可能是即办，也可能是法律法规未规定"),
        (format!("{basic}:6: anticipate_type: "), "法定办结时限 15 缺少单位"),
        (format!("{basic}:7: task_handle_item: "), "事项编码 00013112700101 重复：第 2 行已有"),
        (format!("{basic}:10: task_type: "), "行政处罚"),
        (format!("{basic}:11: dept_code: "), "提示：实施主体编码"),
        (format!("{basic}:11: use_level: "), "提示：行使层级代码"),
        (format!("{material}:"), "事项唯一标识 \"g-nowhere\""),
    ] {
        assert!(err.lines().any(|l| l.starts_with(&at) && l.contains(what)), "{at}…{what} not in\n{err}");
    }
    // Only the row without errors is written; both rows of the duplicated code are refused.
    assert!(stdout(&out).contains("新增 T0000000008 再生育登记"), "{}", stdout(&out));
    assert!(!kb.path().join(format!("items/{GT}.toml")).exists());
    assert!(stdout(&out).contains("已新增 1 个"), "{}", stdout(&out));
}

/// Writes what a reviewer writes into the imported business-registration draft.
fn review(kb: &Path) {
    let path = kb.join(format!("items/{GT}.toml"));
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    doc.remove("status");
    doc["department_group"] = toml_edit::value("市场监管");
    doc["online"] = toml_edit::value("网上预审");
    doc["situations"] = toml_edit::value(toml_edit::Array::new());
    let extra: toml_edit::DocumentMut = r#"
handled_at = { district = true, community = false, both_centers = false }
delivery = ["窗口领取"]
lenient = { allowed = false }
"#
    .parse()
    .unwrap();
    for (k, v) in extra.iter() {
        doc[k] = v.clone();
    }
    doc["time_limits"]["statutory"]["basis"] =
        toml_edit::value("《中华人民共和国市场主体登记管理条例》第十九条");
    let materials = doc["materials"].as_array_of_tables_mut().unwrap();
    for (i, m) in materials.iter_mut().enumerate() {
        m["key"] = toml_edit::value(i < 2);
        let mut checkpoints = toml_edit::Array::new();
        checkpoints.push(format!("审核人写的第 {i} 条审查要点：核对原件与复印件一致"));
        m["checkpoints"] = toml_edit::value(checkpoints);
    }
    std::fs::write(&path, doc.to_string()).unwrap();
}

#[test]
fn reimport_updates_official_fields_keeps_the_reviewers_and_lists_changes() {
    let kb = empty_kb();
    assert_eq!(code(&import(kb.path(), "basic.csv", "material.csv")), 0);
    review(kb.path());
    let checked = stdout(&check(kb.path(), true));
    assert!(!checked.contains(&format!("{GT}.toml")), "the reviewed item still has gaps:\n{checked}");

    let out = import(kb.path(), "basic-v2.csv", "material-v2.csv");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        format!("更新 {GT} 个体工商户设立登记"),
        "    time_limits.promised（承诺办结时限）: 1 工作日 → 2 工作日".to_string(),
        "    legal_basis: 《促进个体工商户发展条例》；《中华人民共和国市场主体登记管理条例》第十九条 → 《促进个体工商户发展条例》；《中华人民共和国市场主体登记管理条例》第十九条；《个体工商户登记管理办法》".to_string(),
        "    材料“经营场所使用证明”.copies: 1 → 2".to_string(),
        format!("更新 {BIRTH} 生育登记"),
        "    新增材料“结婚证”（material_3）".to_string(),
        format!("目录中已没有 {ID} 居民身份证换领"),
    ] {
        assert!(text.lines().any(|l| l.starts_with(&line)), "{line:?} not in\n{text}");
    }
    let gt = item_text(kb.path(), GT);
    assert!(gt.contains("审核人写的第 2 条审查要点"), "{gt}");
    assert!(gt.contains("department_group = \"市场监管\""), "{gt}");
    assert!(gt.contains("basis = \"《中华人民共和国市场主体登记管理条例》第十九条\""), "{gt}");
    assert!(!gt.contains("status"), "{gt}");
    assert!(gt.contains("promised = { amount = 2, unit = \"工作日\" }"), "{gt}");
    let after = check(kb.path(), true);
    assert_eq!(code(&after), 0, "{}", stdout(&after));
    assert!(!stdout(&after).contains(&format!("{GT}.toml")), "{}", stdout(&after));

    // The same catalogue again changes nothing.
    let again = import(kb.path(), "basic-v2.csv", "material-v2.csv");
    assert!(stdout(&again).contains("已新增 0 个、更新 0 个、未变 2 个事项"), "{}", stdout(&again));
}
