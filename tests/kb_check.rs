//! `yichuang kb check` on the real binary: every kind of problem is reported at its exact file and
//! line, with the count and exit code 1; the embedded knowledge base and the README example are clean.

mod common;

use common::{code, fixture, marked_blocks, read, stdout, temp_kb, yichuang};

/// Problems reported for `tests/fixtures/broken-kb`, as lines relative to the KB directory.
fn broken_kb_problems() -> (Vec<String>, String, i32) {
    let dir = fixture("broken-kb");
    let out = yichuang([std::ffi::OsStr::new("kb"), "check".as_ref(), dir.as_os_str()]);
    let prefix = format!("{}/", dir.display());
    let text = stdout(&out);
    let mut lines: Vec<String> =
        text.lines().map(|l| l.strip_prefix(&prefix).unwrap_or(l).to_string()).collect();
    let last = lines.pop().unwrap_or_default();
    (lines, last, code(&out))
}

/// Asserts that one problem starts with `location` (`file:line:column: field`) and mentions `what`.
fn assert_reported(location: &str, what: &str) {
    let (lines, _, _) = broken_kb_problems();
    let hit = lines.iter().find(|l| l.starts_with(&format!("{location}: ")));
    let hit = hit.unwrap_or_else(|| panic!("no problem at {location}; got:\n{}", lines.join("\n")));
    assert!(hit.contains(what), "problem at {location} should mention {what:?}: {hit}");
}

#[test]
fn toml_syntax_error() {
    assert_reported("items/SYNTAX.toml:3:19", "TOML 语法错误");
}

#[test]
fn unknown_field() {
    assert_reported("items/UNKNOWN.toml:27:1: materials[0].chekpoint", "未知字段 chekpoint");
}

#[test]
fn missing_field() {
    assert_reported("items/MISSING.toml:28:1: materials[1].key", "缺少字段 key");
}

#[test]
fn every_schema_error_of_one_file() {
    assert_reported("items/MULTI.toml:1:1: department_group", "缺少字段 department_group");
    assert_reported("items/MULTI.toml:4:1: kind", "取值无效 `行政审批`");
    assert_reported("items/MULTI.toml:12:1: visit_note", "未知字段 visit_note");
    assert_reported("items/MULTI.toml:13:17: time_limits.statutory", "未规定");
}

#[test]
fn duplicate_item_code_across_files() {
    assert_reported("items/dup/OK0001.toml:2:1: code", "事项编码 OK0001 重复，已在 items/OK0001.toml 中使用");
}

#[test]
fn condition_naming_nothing() {
    assert_reported("items/NOCOND.toml:35:1: materials[1].when", "条件 agnet 既不是本事项的情形");
}

#[test]
fn lenient_without_supplement_deadline() {
    assert_reported("items/NODEADLINE.toml:16:2: lenient", "没有补正期限");
}

#[test]
fn key_material_marked_lenient() {
    assert_reported("items/KEYLENIENT.toml:56:1: materials[2].lenient", "核心材料 (key = true) 不得容缺");
}

#[test]
fn lenient_material_in_item_without_lenient_intake() {
    assert_reported("items/NOLENIENT.toml:38:1: materials[1].lenient", "本事项不允许容缺受理");
}

#[test]
fn make_up_workday_inside_a_holiday() {
    assert_reported("calendar/2026.toml:9:25: holidays[0].workdays[1]", "落在 春节 假期内");
}

#[test]
fn overlapping_holidays() {
    assert_reported("calendar/2026.toml:13:1: holidays[1].from", "元宵 与 春节 的假期重叠");
}

#[test]
fn date_outside_the_files_year() {
    assert_reported("calendar/2026.toml:19:1: holidays[2].to", "2027-10-07 不在 2026 年内");
}

#[test]
fn form_naming_an_unknown_item() {
    assert_reported("forms/unknown_item.toml:4:20: items[1]", "没有编码为 NOPE01 的事项");
}

#[test]
fn form_field_from_an_unknown_key() {
    assert_reported(
        "forms/unknown_from.toml:23:1: sections[0].fields[1].from",
        "未知的数据来源 applicant.phnoe",
    );
}

#[test]
fn form_with_a_duplicate_field_id() {
    assert_reported(
        "forms/duplicate_field.toml:20:1: sections[0].fields[1].id",
        "字段标识 name 在本表单中重复",
    );
}

#[test]
fn form_section_conditioned_on_an_unknown_situation() {
    assert_reported("forms/bad_when.toml:11:1: sections[0].when", "条件 agnet 不是表单所属每个事项的情形");
}

#[test]
fn drill_naming_an_unknown_item() {
    assert_reported("drills/unknown_item.toml:4:1: item", "没有编码为 NOPE01 的事项");
}

#[test]
fn drill_naming_an_unknown_material() {
    assert_reported("drills/unknown_material.toml:19:1: materials[1].id", "事项 OK0001 没有材料 photo");
}

#[test]
fn drill_leaving_an_applicable_material_unsaid() {
    assert_reported(
        "drills/unlisted_material.toml:14:3: materials",
        "未说明申请人是否带来以下材料（缺少也须写明）：authorisation",
    );
}

#[test]
fn drill_defect_without_the_defect() {
    assert_reported("drills/defect_without_text.toml:16:1: materials[0].state", "有缺陷的材料须写明 defect");
}

#[test]
fn group_whose_combination_leaves_no_key_material() {
    assert_reported(
        "items/GROUPNOKEY.toml:15:3: groups[0]",
        "回答组合 {route_a=否, route_b=是} 下没有任何核心材料",
    );
}

#[test]
fn group_contradicting_the_eligibility_conditions() {
    assert_reported("items/GROUPCONTRA.toml:15:54: groups[0].situations", "分组与资格条件矛盾");
}

#[test]
fn eligibility_situation_without_basis() {
    assert_reported("items/NOBASIS.toml:10:55: situations[0].ineligible_if", "须写明法律依据 basis");
}

#[test]
fn material_necessary_by_two_contradicting_rules() {
    assert_reported(
        "items/CLASH.toml:25:1: materials[1].use",
        "在回答组合 {agent=是} 下同时需要，但规定相互矛盾（是否核心材料）",
    );
}

#[test]
fn unknown_shared_material_is_one_problem() {
    assert_reported("items/UNKNOWNUSE.toml:18:1: materials[0].use", "没有共享材料 passport_card");
    let (lines, _, _) = broken_kb_problems();
    assert_eq!(lines.iter().filter(|l| l.starts_with("items/UNKNOWNUSE.toml")).count(), 1, "{lines:?}");
}

#[test]
fn shared_material_file_named_after_another_id() {
    assert_reported("materials/wrong_name.toml:2:1: id", "文件应为 materials/passport.toml");
}

#[test]
fn drill_leaving_a_situation_unanswered() {
    assert_reported("drills/unanswered.toml:1:1: situations", "演练须回答事项的每个情形");
}

#[test]
fn lenient_condition_on_a_material_not_lenient() {
    assert_reported(
        "items/LENIENTCOND.toml:38:1: materials[1].lenient_condition",
        "写了容缺条件，但材料未标记为可容缺",
    );
}

#[test]
fn count_line_and_exit_code() {
    let (lines, last, code) = broken_kb_problems();
    assert_eq!(last, format!("发现 {} 个问题", lines.len()));
    assert_eq!(lines.len(), 47, "exactly the planted problems, nothing spurious:\n{}", lines.join("\n"));
    assert_eq!(code, 1);
}

#[test]
fn the_valid_file_of_the_broken_kb_has_no_problem() {
    let (lines, _, _) = broken_kb_problems();
    assert!(!lines.iter().any(|l| l.starts_with("items/OK0001.toml")), "{lines:?}");
}

#[test]
fn embedded_kb_is_clean() {
    let out = yichuang(["kb", "check"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("检查通过"));
}

#[test]
fn kb_directory_is_clean_through_the_global_option() {
    let dir = common::root().join("knowledge-base");
    let out = yichuang([std::ffi::OsStr::new("--kb"), dir.as_os_str(), "kb".as_ref(), "check".as_ref()]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn readme_examples_parse_and_check_clean() {
    let blocks = marked_blocks(&read("knowledge-base/README.md"));
    assert!(blocks.iter().any(|(p, _)| p.starts_with("items/")), "README has an example item");
    assert!(blocks.iter().any(|(p, _)| p == "kb.toml"), "README has an example kb.toml");
    assert!(blocks.iter().any(|(p, _)| p.starts_with("forms/")), "README has an example form");
    assert!(blocks.iter().any(|(p, _)| p.starts_with("drills/")), "README has an example drill");
    assert!(blocks.iter().any(|(p, _)| p.starts_with("bundles/")), "README has an example bundle");
    let dir = temp_kb(&blocks);
    let out = yichuang([std::ffi::OsStr::new("kb"), "check".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code(&out), 0, "README examples must check clean:\n{}", stdout(&out));
    let out =
        yichuang([std::ffi::OsStr::new("--kb"), dir.path().as_os_str(), "drill".as_ref(), "check".as_ref()]);
    assert_eq!(code(&out), 0, "the README drill's answer key must agree with the rules:\n{}", stdout(&out));
}

// Time limits with units, national elements and 告知承诺 (issue 9, items 1, 3 and 5).

#[test]
fn time_limit_without_a_unit() {
    assert_reported("items/LIMITUNIT.toml:13:17: time_limits.statutory.unit", "缺少字段 unit");
}

#[test]
fn promised_beyond_statutory_in_mixed_units() {
    assert_reported(
        "items/MIXEDUNITS.toml:13:81: time_limits.promised",
        "承诺时限 10 个工作日 可能晚于法定时限 15 日（自然日）",
    );
}

#[test]
fn extension_without_a_statutory_limit_or_a_condition() {
    assert_reported("items/BADEXT.toml:13:104: time_limits.extension.unit", "法定时限未规定，不能有延长期限");
    assert_reported("items/BADEXT.toml:13:118: time_limits.extension.condition", "须写明延长的条件");
}

#[test]
fn unknown_special_procedure_kind() {
    assert_reported(
        "items/SPECIALKIND.toml:13:147: time_limits.special_procedures[0].kind",
        "取值无效 `勘验`，可选：检测、检验、检疫、鉴定、评定、公示、听证、招标、拍卖、专家评审",
    );
}

#[test]
fn supplement_deadline_beyond_the_promised_limit_in_its_own_unit() {
    assert_reported(
        "items/SUPPLEMENT.toml:18:1: lenient.supplement_days",
        "补正期限 7 个工作日超过承诺时限 7 日（自然日）",
    );
}

#[test]
fn bad_national_element_codes() {
    assert_reported("items/BADCODE.toml:15:1: department_code", "第 18 位校验码应为 W，实际为 X");
    assert_reported(
        "items/BADCODE.toml:16:1: business_item_code",
        "应为 1–50 位字母或数字（现为 51 个字符）",
    );
}

#[test]
fn channel_contradicting_shared_data() {
    assert_reported(
        "items/CHANNEL.toml:37:1: materials[1].channel",
        "来源渠道 数据共享 与 shared_data = false 矛盾",
    );
}

#[test]
fn informed_commitment_outside_a_list_and_without_a_check_period() {
    assert_reported(
        "items/COMMITNOLIST.toml:38:1: materials[1].informed_commitment",
        "本事项未列入告知承诺清单",
    );
    assert_reported(
        "items/COMMITNOLIST.toml:38:72: materials[1].informed_commitment.check",
        "核查期限缺少数值 amount",
    );
}

// Bundles (一件事, issue 13 item 1).

#[test]
fn bundle_naming_an_unknown_item() {
    assert_reported("bundles/unknown_item.toml:10:1: items[1].code", "没有编码为 NOPE0001 的事项");
}

#[test]
fn bundle_whose_order_is_a_cycle() {
    assert_reported(
        "bundles/cycle.toml:12:10: items[1].after[0]",
        "办理顺序成环：OK0001 → KEYLENIENT → OK0001",
    );
}

#[test]
fn bundle_sharing_data_no_item_uses() {
    assert_reported(
        "bundles/unused_shared.toml:5:29: shared[1]",
        "共享数据 applicant.credit_code 没有任何事项使用",
    );
}

#[test]
fn bundle_listing_an_item_twice() {
    assert_reported("bundles/listed_twice.toml:13:1: items[2].code", "事项 OK0001 重复列出（已是第 1 项）");
}
