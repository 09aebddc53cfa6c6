//! Drills with the real binary in tmux: one done right (full score), one done wrong (the missed
//! defect listed), reported by `yichuang drill report`. (Answer keys against `precheck`:
//! tests/drill_check.rs.)

mod e2e_support;

use e2e_support::{Tmux, have_tmux, run};

fn drill(data_dir: &str, scenario: &str, marks: &[&str], name: &str, id: &str) -> Tmux {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let args = ["--data-dir", data_dir, "desk", "--drill", scenario, "--trainee", "学员甲"];
    let desk = Tmux::start(&args, 120, 40);
    desk.wait_for("演练模式");
    desk.keys(&["Enter"]);
    desk.type_text("gsdj");
    desk.wait_for("有限责任公司设立登记");
    desk.keys(&["Enter"]);
    desk.wait_for("待核验");
    // The scenarios' applicants send no agent and need no prior approval: `f` answers both 否.
    desk.keys(&["f"]);
    desk.keys(marks);
    desk.keys(&["Enter"]);
    desk.wait_for("申请人类型");
    for text in [name, id, "13804511234"] {
        desk.type_text(text);
        desk.keys(&["Enter"]);
    }
    desk
}

#[test]
fn a_drill_done_right_gets_full_marks_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let desk =
        drill(data_dir, "company_complete", &["1", "1", "1", "1", "1"], "王建国", "230103198506121234");
    desk.wait_for("送达方式");
    desk.keys(&["Enter", "5", "Enter"]);
    desk.wait_for("得分 100 / 100");
    desk.keys(&["F10"]);
    // The desk writes everything sent before it exits; read the report after that.
    let start = std::time::Instant::now();
    while !desk.exited() && start.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let report: serde_json::Value =
        serde_json::from_str(&run(&["--data-dir", data_dir, "drill", "report", "--json"])).unwrap();
    assert_eq!(report[0]["score"], 100, "{report:#}");
    assert_eq!(report[0]["trainee"], "学员甲");
    assert!(!dir.path().join("desk.sqlite3").exists(), "a drill never touches the desk database");
}

#[test]
fn a_drill_done_wrong_lists_the_missed_defect() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let desk = drill(
        data_dir,
        "company_notice_everything",
        &["1", "1", "1", "1", "1"],
        "张秀兰",
        "230104197811203561",
    );
    desk.wait_for("送达方式");
    desk.keys(&["Enter", "5", "Enter"]);
    let screen = desk.wait_for("未发现「住所（经营场所）使用证明」的缺陷");
    assert!(screen.contains("演练评分"), "{screen}");
    assert!(screen.contains("受理决定错误"), "{screen}");
}

#[test]
fn a_drill_database_cannot_be_synced() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("drill.sqlite3");
    drop(yichuang::store::Store::open(&db, yichuang::store::StoreKind::Drill).unwrap());
    let config = yichuang::sync::SyncConfig::new("http://127.0.0.1:9", "yc_test");
    let client = config.client().unwrap();
    let refused = yichuang::sync::SyncWorker::spawn(&db, config, |_| {});
    let refused = refused.err().expect("the sync worker must refuse a drill database").to_string();
    assert!(refused.contains("drill"), "{refused}");
    // Nor does one round run on it, even when the store was opened as a drill store.
    let mut store = yichuang::store::Store::open(&db, yichuang::store::StoreKind::Drill).unwrap();
    let round = yichuang::sync::sync_once(&mut store, &client, 50).expect_err("a drill store never syncs");
    assert!(round.to_string().contains("drill"), "{round}");
    // And the desk never opens it as its own.
    assert!(yichuang::store::Store::open(&db, yichuang::store::StoreKind::Desk).is_err());
}
