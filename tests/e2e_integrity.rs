//! What was typed is neither lost nor garbled, on the real binary in tmux:
//! - an ID number pasted with a trailing newline and a lower-case x is stored normalised; a real
//!   HQ on loopback approves the case (准予) and the result is handed over to the same ID typed by
//!   hand;
//! - Esc pressed just before another key (one burst) is two keys: no escape-sequence fragment
//!   reaches a field or the journal;
//! - SIGTERM, SIGHUP and SIGINT restore the terminal (cooked mode, main screen) and the journal
//!   holds everything typed before the signal;
//! - `case show` masks ID and phone numbers unless `--reveal`, which the audit records;
//! - while the desk cannot write (its file-size limit lowered with `prlimit`, a full disk for it
//!   alone) it holds what was typed behind a blocking banner and goes on, finishing included, once
//!   it can write again.

mod e2e_support;
mod hq_support;

use std::path::Path;
use std::time::Duration;

use e2e_support::{Tmux, binary_command, have_tmux, run};
use hq_support::{Hq, enroll, wait_for};
use yichuang::intake::approval::ApprovalDecision;
use yichuang::protocol::{ChangeStatus, DecisionRequest};
use yichuang::store::{Store, StoreKind};
use yichuang::sync::HqClient;

const KB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kb-small");
const ID: &str = "11010519491231002X";

/// Every case in the store as `case list --json` prints it.
fn cases(data_dir: &str) -> Vec<serde_json::Value> {
    let list: serde_json::Value =
        serde_json::from_str(&run(&["--data-dir", data_dir, "case", "list", "--json"])).unwrap();
    list.as_array().unwrap().clone()
}

/// A case with its journal, numbers in full (`--reveal`).
fn revealed(data_dir: &str, case: &str) -> serde_json::Value {
    serde_json::from_str(&run(&["--data-dir", data_dir, "case", "show", case, "--json", "--reveal"])).unwrap()
}

#[test]
fn a_pasted_id_with_a_newline_is_approved_at_hq_and_handed_over_to_the_id_typed_by_hand() {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&hq_db, &["--center", "HRBDL", "--window", "05", "--role", "clerk"]);
    let approver = enroll(&hq_db, &["--center", "HRBDL", "--department", "市场监管", "--role", "approver"]);
    let hq = Hq::start(&hq_db, "127.0.0.1:0");
    let data = dir.path().join("desk");
    let data_dir = data.to_str().unwrap();
    let desk = Tmux::start(
        &[
            "--data-dir",
            data_dir,
            "desk",
            "--center",
            "HRBDL",
            "--window",
            "05",
            "--clerk",
            "王丽",
            "--hq",
            &hq.url,
            "--token",
            &clerk,
        ],
        120,
        40,
    );
    desk.wait_for("接待下一位申请人");
    desk.keys(&["Enter"]);
    desk.type_text("gsdj");
    desk.wait_for("有限责任公司设立登记");
    desk.keys(&["Enter"]);
    desk.wait_for("待核验");
    // No agent, no prior approval: `f` answers both situations 否.
    desk.keys(&["f"]);
    for _ in 0..12 {
        if desk.capture().contains("当前决定： 受理") {
            break;
        }
        desk.keys(&["1"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    desk.wait_for("当前决定： 受理");
    desk.keys(&["Enter"]);
    desk.wait_for("申请人类型");
    desk.type_text("张三丰");
    desk.keys(&["Enter"]);
    // Copied from another system: lower-case x and the line break after it.
    desk.paste("11010519491231002x\n");
    let screen = desk.wait_for(ID);
    assert!(!screen.contains("002x"), "{screen}");
    desk.keys(&["Enter"]);
    desk.type_text("+86 138 0013 8000");
    desk.keys(&["Enter"]);
    desk.wait_for("送达方式");
    desk.keys(&["Enter", "5", "Enter"]);
    let screen = desk.wait_for("本次受理已办结");
    let number = screen
        .split_whitespace()
        .find(|w| w.contains("HRBDL-05-"))
        .map(|w| w.trim_start_matches("案件编号：").to_string())
        .expect("case number on screen");
    let shown = revealed(data_dir, &number);
    assert_eq!(shown["case"]["fields"]["id_number"], ID, "{shown:#}");
    assert_eq!(shown["case"]["fields"]["phone"], "13800138000", "{shown:#}");
    let journal = shown["journal"].to_string();
    assert!(!journal.contains("002x") && !journal.contains("002X ") && !journal.contains("+86"), "{journal}");

    // The back office approves at HQ once the desk has pushed the case.
    let case_id = shown["id"].as_str().unwrap().to_string();
    let approver = HqClient::new(&hq.url, &approver, None, Duration::from_secs(10)).unwrap();
    let decide = DecisionRequest { id: "d-1".into(), case_id, decision: ApprovalDecision::Approve };
    assert!(
        wait_for(Duration::from_secs(20), || approver
            .decide(&decide)
            .is_ok_and(|r| matches!(r.status, ChangeStatus::Applied | ChangeStatus::Duplicate))),
        "HQ never had the case to approve"
    );
    desk.keys(&["F4"]);
    let screen = desk.wait_for_within("待出件 1 件", Duration::from_secs(20));
    assert!(screen.contains(&number) && screen.contains("准予"), "{screen}");
    desk.keys(&["Enter"]);
    desk.wait_for("领取人姓名");
    desk.type_text("张三丰");
    desk.keys(&["Enter"]);
    desk.type_text(ID);
    desk.keys(&["Enter"]);
    let screen = desk.wait_for("已出件");
    assert!(!screen.contains("不是申请人"), "{screen}");
    desk.keys(&["F10"]);
    assert!(wait_for(Duration::from_secs(5), || desk.exited()));
    let shown = revealed(data_dir, &number);
    assert_eq!(shown["case"]["status"], "handed_over", "{shown:#}");
    assert_eq!(shown["case"]["handover"][1], ID, "{shown:#}");

    // `case show` masks by default; --reveal is in the audit with the desk's clerk and window.
    let masked = run(&["--data-dir", data_dir, "case", "show", &number]);
    assert!(!masked.contains(ID) && !masked.contains("13800138000"), "{masked}");
    assert!(masked.contains("110105********002X") && masked.contains("138****8000"), "{masked}");
    let store = Store::open(&data.join("desk.sqlite3"), StoreKind::Desk).unwrap();
    let reveals: Vec<_> =
        store.audit_entries(None).unwrap().into_iter().filter(|e| e.action == "reveal").collect();
    assert_eq!(reveals.len(), 2, "{reveals:?}");
    assert!(reveals[0].actor.contains("王丽") && reveals[0].actor.contains("HRBDL-05"), "{reveals:?}");
    assert!(store.verify_audit().is_ok());
    drop(hq);
}

#[test]
fn esc_then_another_key_in_one_burst_is_two_keys_never_text() {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    let args = ["--kb", KB, "--data-dir", &data_dir, "desk", "--center", "HRBDL", "--window", "05"];
    let desk = Tmux::start(&args, 120, 40);
    desk.wait_for("接待下一位申请人");
    desk.type_text("A007");
    for burst in [["Escape", "Down"], ["Escape", "Up"], ["Escape", "PageDown"], ["Escape", "F5"]] {
        desk.keys(&["Enter"]);
        desk.wait_for("办理事项");
        // One tmux command: both keys reach the desk in the same read.
        desk.burst(&burst);
        std::thread::sleep(Duration::from_millis(300));
        if burst[1] == "F5" {
            desk.wait_for("知识库");
            desk.keys(&["F2"]);
        }
        let screen = desk.wait_for("排队号");
        assert!(!screen.contains("[B") && !screen.contains("[A") && !screen.contains("[6"), "{screen}");
    }
    desk.keys(&["Enter"]);
    pick_company_with_every_material_ok(&desk);
    desk.type_text("张三");
    desk.burst(&["Escape", "Down"]);
    std::thread::sleep(Duration::from_millis(300));
    desk.keys(&["F10"]);
    assert!(wait_for(Duration::from_secs(5), || desk.exited()));
    let case = cases(&data_dir).remove(0);
    assert_eq!(case["ticket"], "A007", "{case}");
    let shown = revealed(&data_dir, case["id"].as_str().unwrap());
    let journal = shown["journal"].to_string();
    for fragment in ["[B", "[A", "[6~", "[15~", "OB"] {
        assert!(!journal.contains(fragment), "{fragment} in the journal: {journal}");
    }
    assert_eq!(shown["case"]["fields"]["applicant_name"], "张三");
}

#[test]
fn sigterm_sighup_and_sigint_restore_the_terminal_and_keep_the_journal() {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    for (n, signal) in ["TERM", "HUP", "INT"].into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_str().unwrap().to_string();
        let stty = dir.path().join("stty.txt");
        let shell = Tmux::shell(120, 40);
        let backups = dir.path().join("backups");
        let desk = binary_command(&[
            "--kb",
            KB,
            "--data-dir",
            &data_dir,
            "desk",
            "--center",
            "HRBDL",
            "--window",
            "05",
            "--backup-dir",
            backups.to_str().unwrap(),
        ]);
        // The exit status is printed by printf so the command line itself never matches the marker.
        shell.command(&format!("{desk}; printf 'desk-%s=%d\\n' exit $?; stty -a > {}", stty.display()));
        shell.wait_for("接待下一位申请人");
        assert!(shell.alternate_on());
        let ticket = format!("B{n}42");
        shell.type_text(&ticket);
        shell.wait_for(&ticket);
        let pid = shell.child_pid().expect("the desk runs under the shell");
        // The signal follows the last keystroke at once: the journal worker may still be writing.
        let status =
            std::process::Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status();
        assert!(status.unwrap().success());
        let screen = shell.wait_for("desk-exit=");
        assert!(screen.contains("desk-exit=0"), "SIG{signal}: {screen}");
        assert!(wait_for(Duration::from_secs(5), || std::fs::metadata(&stty).is_ok_and(|m| m.len() > 0)));
        let modes = std::fs::read_to_string(&stty).unwrap();
        let words: Vec<&str> = modes.split_whitespace().collect();
        for mode in ["icanon", "echo", "isig", "icrnl", "opost"] {
            assert!(words.contains(&mode), "SIG{signal}: {mode} not restored: {modes}");
        }
        assert!(!shell.alternate_on(), "SIG{signal}: still on the alternate screen");
        // The backup the desk made at start (SQLite online backup) is a sound store.
        let made: Vec<_> =
            std::fs::read_dir(&backups).expect("backups written").map(|e| e.unwrap().path()).collect();
        assert_eq!(made.len(), 1, "{made:?}");
        assert!(yichuang::store::check_file(&made[0]).unwrap().is_empty());
        let case = cases(&data_dir).into_iter().find(|c| c["status"] == "draft").expect("the draft");
        assert_eq!(case["ticket"], ticket.as_str(), "SIG{signal}: journal incomplete");
        // A restart reopens the draft with everything typed.
        let restarted = Tmux::start(
            &["--kb", KB, "--data-dir", &data_dir, "desk", "--center", "HRBDL", "--window", "05"],
            120,
            40,
        );
        restarted.wait_for(&ticket);
        // The backup directory was kept in the settings: the restarted desk backs up too (a
        // file is named to the millisecond).
        assert!(
            wait_for(Duration::from_secs(5), || std::fs::read_dir(&backups).unwrap().count() >= 2),
            "no backup after the restart"
        );
        restarted.keys(&["F10"]);
    }
}

/// Limits (or with `None` frees) how far the desk may write into any file (RLIMIT_FSIZE, soft
/// limit only: lifting it again needs no privilege) — a disk that is full for the desk alone.
fn limit_file_size(pid: u32, bytes: Option<u64>) {
    let limit = bytes.map_or("unlimited:".to_string(), |b| format!("{b}:"));
    let status = std::process::Command::new("prlimit")
        .args(["--pid", &pid.to_string(), &format!("--fsize={limit}")])
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(status.success(), "prlimit failed");
}

/// The size of the desk's write-ahead log: every journal write appends to it, so a limit at this
/// size makes the next write fail.
fn wal_size(data_dir: &str) -> u64 {
    std::fs::metadata(Path::new(data_dir).join("desk.sqlite3-wal")).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn the_real_desk_holds_what_was_typed_while_it_cannot_write_and_finishes_once_it_can() {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    let args = ["--kb", KB, "--data-dir", &data_dir, "desk", "--center", "HRBDL", "--window", "05"];
    let desk = Tmux::start(&args, 120, 40);
    desk.wait_for("接待下一位申请人");
    desk.type_text("A021");
    desk.keys(&["Enter"]);
    desk.wait_for("办理事项");
    pick_company_with_every_material_ok(&desk);
    // Let the journal worker finish, then the disk is full.
    std::thread::sleep(Duration::from_millis(500));
    let pid = desk.pid();
    limit_file_size(pid, Some(wal_size(&data_dir)));
    desk.type_text("王");
    let screen = desk.wait_for("无法保存");
    assert!(screen.contains("待写入") && screen.contains("不能继续输入"), "{screen}");
    // Refused while the banner shows, not half-kept.
    desk.type_text("乙");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!desk.capture().contains("王乙"));
    limit_file_size(pid, None);
    desk.wait_for("已恢复写入");
    desk.type_text("小明");
    desk.keys(&["Enter"]);
    desk.type_text(ID);
    desk.keys(&["Enter"]);
    desk.type_text("13800138000");
    desk.keys(&["Enter"]);
    desk.wait_for("送达方式");
    desk.keys(&["Enter"]);
    desk.wait_for("邀请申请人评价本次服务");
    // Finishing while the disk is full: held, then done once it can write.
    std::thread::sleep(Duration::from_millis(500));
    limit_file_size(pid, Some(wal_size(&data_dir)));
    desk.keys(&["Enter"]);
    desk.wait_for("无法保存");
    assert!(!desk.capture().contains("本次受理已办结"));
    limit_file_size(pid, None);
    let screen = desk.wait_for("本次受理已办结");
    assert!(screen.contains("HRBDL-05-"), "{screen}");
    desk.keys(&["F10"]);
    assert!(wait_for(Duration::from_secs(5), || desk.exited()));
    // A restart finds everything typed, the case finished.
    let case = cases(&data_dir).remove(0);
    assert_eq!(case["applicant_name"], "王小明", "{case}");
    assert_eq!(case["status"], "accepted", "{case}");
    let restarted = Tmux::start(&args, 120, 40);
    restarted.wait_for("接待下一位申请人");
    restarted.keys(&["F3"]);
    restarted.wait_for("王小明");
    restarted.keys(&["F10"]);
}

/// From the item search to the applicant step: the company item, both situations answered 否 with
/// `f`, its five required materials 合格.
fn pick_company_with_every_material_ok(desk: &Tmux) {
    desk.paste("公司");
    desk.wait_for("有限责任公司设立登记");
    desk.keys(&["Enter"]);
    desk.wait_for("待核验");
    // No agent, no prior approval: `f` answers both situations 否.
    desk.keys(&["f"]);
    for _ in 0..5 {
        desk.keys(&["1"]);
    }
    desk.keys(&["Enter"]);
    desk.wait_for("申请人类型");
}
