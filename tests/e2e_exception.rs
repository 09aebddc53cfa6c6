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
    for (clerk, role) in [(common::WANG, "clerk"), (common::ZHAO, "supervisor")] {
        let out = common::yichuang_with_stdin(
            &[
                "--data-dir",
                &data_dir,
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
