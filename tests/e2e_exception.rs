//! A supervisor's approval at the window (issue #12, item 1), in tmux on the real binary: a credit
//! code whose check character is wrong needs a supervisor's name and PIN (checked offline against
//! the credential), Ctrl-O on an empty field does nothing, the approval holds for that exact code
//! and is void once the code is edited, and the approval is in the case's journal.

mod common;
mod e2e_support;

use e2e_support::{Tmux, have_tmux};

const KB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kb-small");
/// A real code's check character, mistyped (the licence says …Y43).
const WRONG_CHECK: &str = "91350100M000100Y44";

#[test]
fn a_supervisor_approves_the_credit_code_as_typed_and_an_edit_voids_it() {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    clerks_at_desk(&data_dir);
    let args =
        ["--kb", KB, "--data-dir", &data_dir, "desk", "--center", "HRBDL", "--window", "05", "--as", "王芳"];
    let desk = Tmux::start(&args, 120, 40);
    desk.sign_in(common::WANG.name, common::WANG.pin);
    desk.wait_for("接待下一位申请人");
    desk.type_text("a012");
    desk.keys(&["Enter"]);
    desk.wait_for("办理事项");
    desk.paste("公司");
    desk.wait_for("有限责任公司设立登记");
    desk.keys(&["Enter"]);
    desk.wait_for("待核验");
    desk.keys(&["f", "1", "1", "1", "1", "1", "Enter"]);
    desk.wait_for("申请人类型");
    desk.keys(&["C-t"]);
    desk.wait_for("法人或其他组织");
    desk.type_text("哈尔滨某某科技有限公司");
    desk.keys(&["Enter"]);
    // On the empty code field Ctrl-O does nothing: no approval is asked or recorded in advance.
    desk.keys(&["C-o"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!desk.capture().contains("主管授权"), "{}", desk.capture());
    desk.type_text(WRONG_CHECK);
    desk.keys(&["Enter"]);
    desk.wait_for("主管确认后按 Ctrl-O 放行");
    desk.keys(&["C-o"]);
    desk.wait_for("主管授权");
    // The clerk cannot approve her own exception; a wrong PIN is refused.
    desk.type_text(common::WANG.name);
    desk.keys(&["Tab"]);
    desk.type_text(common::WANG.pin);
    desk.keys(&["Enter"]);
    desk.wait_for("经办人本人不能放行");
    desk.type_text(common::ZHAO.name);
    desk.keys(&["Tab"]);
    desk.type_text("000000");
    desk.keys(&["Enter"]);
    desk.wait_for("赵敏 的 PIN 不正确");
    assert!(!desk.capture().contains("000000"), "the PIN is never shown");
    desk.type_text(common::ZHAO.pin);
    desk.keys(&["Enter"]);
    let approved = desk.wait_for("已由主管 赵敏 放行");
    assert!(!approved.contains("主管授权"), "{approved}");
    // Editing the code voids the approval: the warning is back, 已由主管放行 gone.
    desk.keys(&["Up"]);
    desk.keys(&["BSpace"]);
    desk.type_text("5");
    let edited = desk.wait_for("主管确认后按 Ctrl-O 放行");
    assert!(!edited.contains("已由主管"), "{edited}");
    // Back to the code approved (exactly): the approval holds for it, for nothing else.
    desk.keys(&["BSpace"]);
    desk.type_text("4");
    desk.wait_for("已由主管 赵敏 放行");
    desk.keys(&["Enter"]);
    desk.type_text("张三");
    desk.keys(&["Enter"]);
    desk.type_text("13800138000");
    desk.keys(&["Enter"]);
    desk.wait_for("送达方式");
    desk.keys(&["Enter"]);
    desk.wait_for("好差评");
    desk.keys(&["5", "Enter"]);
    desk.wait_for("本次受理已办结");

    // Who approved what and when is in the case's journal.
    let list: serde_json::Value = serde_json::from_str(&common::stdout(&common::as_clerk(
        dir.path(),
        &common::WANG,
        &["case", "list", "--json"],
    )))
    .unwrap();
    let number = list[0]["number"].as_str().expect("a numbered case").to_string();
    let shown = common::as_clerk(dir.path(), &common::WANG, &["case", "show", &number, "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&common::stdout(&shown)).unwrap();
    let approvals: Vec<&serde_json::Value> = shown["journal"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["event"] == "exception_approved")
        .collect();
    assert_eq!(approvals.len(), 1, "{shown:#}");
    let approval = &approvals[0];
    assert_eq!(approval["event"]["exception"], "credit_code_warning");
    assert_eq!(approval["event"]["value"], WRONG_CHECK);
    assert_eq!(approval["event"]["supervisor"], "赵敏");
    assert_eq!(approval["clerk"], "王芳", "recorded while 王芳 was signed in");
    assert!(approval["event"]["at"].as_str().is_some_and(|t| t.ends_with('Z')));
}

/// Sets 王芳 and 李强 (clerks) and 赵敏 (supervisor) at the desk of `data_dir`.
fn clerks_at_desk(data_dir: &str) {
    for (clerk, role) in [(common::WANG, "clerk"), (common::LI, "clerk"), (common::ZHAO, "supervisor")] {
        let out = common::yichuang_with_stdin(
            &[
                "--data-dir",
                data_dir,
                "desk",
                "clerk",
                "set",
                "--name",
                clerk.name,
                "--role",
                role,
                "--pin-stdin",
            ],
            &format!("{}\n", clerk.pin),
        );
        assert!(out.status.success(), "{}", common::stderr(&out));
    }
}

/// The approvals in the journal of case `number`, as `case show --json` prints them.
fn approvals(dir: &std::path::Path, number: &str) -> Vec<serde_json::Value> {
    let shown = common::as_clerk(dir, &common::WANG, &["case", "show", number, "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&common::stdout(&shown)).unwrap();
    shown["journal"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["event"] == "exception_approved")
        .cloned()
        .collect()
}

/// The number of the only case at the desk.
fn only_case(dir: &std::path::Path) -> String {
    let list: serde_json::Value = serde_json::from_str(&common::stdout(&common::as_clerk(
        dir,
        &common::WANG,
        &["case", "list", "--json"],
    )))
    .unwrap();
    list[0]["number"].as_str().expect("a numbered case").to_string()
}

#[test]
fn a_refusal_is_final_only_with_a_supervisors_approval_of_its_reason() {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    clerks_at_desk(&data_dir);
    let args =
        ["--kb", KB, "--data-dir", &data_dir, "desk", "--center", "HRBDL", "--window", "05", "--as", "王芳"];
    let desk = Tmux::start(&args, 120, 40);
    desk.sign_in(common::WANG.name, common::WANG.pin);
    desk.wait_for("接待下一位申请人");
    desk.type_text("a013");
    desk.keys(&["Enter"]);
    desk.wait_for("办理事项");
    desk.paste("公司");
    desk.wait_for("有限责任公司设立登记");
    desk.keys(&["Enter"]);
    desk.wait_for("待核验");
    desk.keys(&["f", "n"]);
    desk.wait_for("不予受理原因");
    desk.type_text("申请人未满十八周岁");
    desk.keys(&["Enter"]);
    desk.wait_for("不予受理须经主管审批");
    // Enter asks the supervisor: a clerk's own PIN, or a clerk who is not a supervisor, is refused.
    desk.keys(&["Enter"]);
    let asked = desk.wait_for("主管授权");
    assert!(asked.contains("不予受理：不符合条件：申请人未满十八周岁"), "{asked}");
    desk.type_text(common::LI.name);
    desk.keys(&["Tab"]);
    desk.type_text(common::LI.pin);
    desk.keys(&["Enter"]);
    desk.wait_for("本窗口没有名为 李强 的主管");
    desk.type_text(common::ZHAO.name);
    desk.keys(&["Tab"]);
    desk.type_text(common::ZHAO.pin);
    desk.keys(&["Enter"]);
    desk.wait_for("申请人类型");
    // Back on the checklist the decision shows who approved it; editing the reason voids it.
    desk.keys(&["Escape"]);
    desk.wait_for("已由主管 赵敏 审批");
    desk.keys(&["n"]);
    desk.wait_for("不予受理原因");
    desk.type_text("，且无监护人陪同");
    desk.keys(&["Enter"]);
    let edited = desk.wait_for("不予受理须经主管审批");
    assert!(!edited.contains("已由主管 赵敏 审批"), "{edited}");
    desk.keys(&["Enter"]);
    desk.wait_for("主管授权");
    desk.keys(&["Escape"]);
    desk.wait_for("未经主管审批，不能继续");
    // The reason approved, exactly, is approved again: the intake goes on without asking.
    desk.keys(&["n"]);
    desk.wait_for("不予受理原因");
    desk.keys(&["C-u"]);
    desk.type_text("申请人未满十八周岁");
    desk.keys(&["Enter"]);
    desk.wait_for("已由主管 赵敏 审批");
    desk.keys(&["Enter"]);
    desk.wait_for("申请人类型");
    desk.type_text("张三");
    desk.keys(&["Enter"]);
    desk.type_text("11010519491231002X");
    desk.keys(&["Enter"]);
    desk.type_text("13800138000");
    desk.keys(&["Enter"]);
    desk.wait_for("好差评");
    desk.keys(&["5", "Enter"]);
    desk.wait_for("不予受理");
    desk.wait_for("办结");

    let number = only_case(dir.path());
    let approvals = approvals(dir.path(), &number);
    assert_eq!(approvals.len(), 1, "one approval, of the reason finally recorded: {approvals:?}");
    let approval = &approvals[0];
    assert_eq!(approval["event"]["exception"], "refusal");
    assert!(
        approval["event"]["value"].as_str().unwrap().starts_with("不符合条件：申请人未满十八周岁｜依据：")
    );
    assert_eq!(approval["event"]["supervisor"], "赵敏");
    assert_eq!(approval["clerk"], "王芳");
    // The case detail's history names the supervisor.
    desk.keys(&["F3"]);
    desk.wait_for(&number);
    desk.keys(&["Enter"]);
    desk.wait_for("主管 赵敏 审批不予受理");
}

#[test]
fn terminating_an_overdue_case_needs_a_supervisor() {
    use chrono::NaiveDate;
    use yichuang::intake::case::CaseEvent;
    use yichuang::intake::rules::{Decision, Deficiency, MaterialState, Supplement};
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    let db = dir.path().join("desk.sqlite3");
    {
        let store = yichuang::store::Store::open(&db, yichuang::store::StoreKind::Desk).unwrap();
        store.set_setting("center", "HRBDL").unwrap();
        store.set_setting("window", "05").unwrap();
    }
    clerks_at_desk(&data_dir);
    // 王芳's first sign-in encrypts the store; then, signed in here, a 容缺 case of three weeks
    // ago whose supplement was due long since.
    let out = common::as_clerk(dir.path(), &common::WANG, &["case", "list"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    common::sign_in_here(dir.path(), &common::WANG);
    let then = yichuang::time::from_hall_local(
        NaiveDate::from_ymd_opt(2026, 11, 2).unwrap().and_hms_opt(9, 0, 0).unwrap(),
    );
    let mut store = yichuang::store::Store::open(&db, yichuang::store::StoreKind::Desk).unwrap();
    let id = "overdue-1";
    store.create_case_with_id(id, then).unwrap();
    store
        .append(id, CaseEvent::ItemChosen { code: "00013112700401".into(), kb_version: "test".into() }, then)
        .unwrap();
    let deficiency = Deficiency {
        material: "premises".into(),
        name: "住所（经营场所）使用证明".into(),
        state: MaterialState::Missing,
        required: vec![],
        quantity: "复印件1份".into(),
        lenient: true,
    };
    let decision = Decision::AcceptPending {
        supplements: vec![Supplement { deficiency, deadline: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap() }],
        promised_date: NaiveDate::from_ymd_opt(2026, 11, 6).unwrap(),
        commitments: vec![],
    };
    let number = store.finish(id, "HRBDL", "05", decision, then).unwrap().number.clone().unwrap();
    drop(store);

    let args =
        ["--kb", KB, "--data-dir", &data_dir, "desk", "--center", "HRBDL", "--window", "05", "--as", "王芳"];
    let desk = Tmux::start(&args, 120, 40);
    desk.sign_in(common::WANG.name, common::WANG.pin);
    desk.wait_for("接待下一位申请人");
    desk.keys(&["F3"]);
    desk.wait_for(&number);
    desk.keys(&["Enter"]);
    desk.wait_for("逾期未补正");
    desk.keys(&["t"]);
    let asked = desk.wait_for("主管授权");
    assert!(asked.contains(&format!("终止案件：{number}｜终止受理")), "{asked}");
    // Not a supervisor: refused. Esc: the case stays as it was.
    desk.type_text(common::LI.name);
    desk.keys(&["Tab"]);
    desk.type_text(common::LI.pin);
    desk.keys(&["Enter"]);
    desk.wait_for("本窗口没有名为 李强 的主管");
    desk.keys(&["Escape"]);
    desk.wait_for("未经主管审批，案件未终止");
    desk.keys(&["t"]);
    desk.wait_for("主管授权");
    desk.type_text(common::ZHAO.name);
    desk.keys(&["Tab"]);
    desk.type_text("000000");
    desk.keys(&["Enter"]);
    desk.wait_for("赵敏 的 PIN 不正确");
    desk.type_text(common::ZHAO.pin);
    desk.keys(&["Enter"]);
    desk.wait_for("已经主管审批，案件已终止");
    desk.wait_for("主管 赵敏 审批终止案件");

    let approvals = approvals(dir.path(), &number);
    assert_eq!(approvals.len(), 1, "{approvals:?}");
    assert_eq!(approvals[0]["event"]["exception"], "termination");
    assert_eq!(approvals[0]["event"]["value"], format!("{number}｜终止受理"), "bound to this case and rule");
    assert_eq!(approvals[0]["event"]["supervisor"], "赵敏");
}
