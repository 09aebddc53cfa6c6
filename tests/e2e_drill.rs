//! Drills with the real binary in tmux: one done right (full score), one done wrong (the missed
//! defect listed), both reported by `yichuang drill report`; and every scenario's expected decision
//! is what `yichuang precheck` gives.

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
        drill(data_dir, "d01-company-accept", &["1", "1", "1", "1", "1"], "张伟", "230103199001011237");
    desk.wait_for("送达方式");
    desk.keys(&["Enter", "5", "Enter"]);
    desk.wait_for("得分 100 / 100");
    desk.keys(&["F10"]);
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
        "d21-company-unsigned-articles",
        &["1", "1", "1", "1", "1"],
        "李娜",
        "230102198506152341",
    );
    desk.wait_for("送达方式");
    desk.keys(&["Enter", "5", "Enter"]);
    let screen = desk.wait_for("演练评分");
    assert!(screen.contains("未发现「公司章程」的缺陷"), "{screen}");
    assert!(screen.contains("受理决定错误"), "{screen}");
}

#[test]
fn every_scenario_matches_precheck() {
    let kb = yichuang::kb::Kb::embedded().unwrap();
    assert!(!kb.drills.is_empty());
    for d in &kb.drills {
        let mut args = vec![
            "precheck".to_string(),
            d.item.clone(),
            "--json".into(),
            "--date".into(),
            d.date.to_string(),
        ];
        for m in &d.materials {
            let state = match m.state {
                yichuang::kb::drills::DrillState::Ok => "ok".to_string(),
                yichuang::kb::drills::DrillState::Defect => {
                    format!("defect:{}", m.defect.clone().unwrap_or_default())
                }
            };
            args.extend(["--state".into(), format!("{}={state}", m.id)]);
        }
        for s in &d.situations {
            args.extend(["--situation".into(), s.clone()]);
        }
        if d.agrees_to_commitment {
            args.push("--agree-commitment".into());
        }
        if d.bad_credit {
            args.push("--bad-credit".into());
        }
        if let Some(reason) = &d.not_eligible {
            args.extend(["--not-eligible".into(), reason.clone()]);
        }
        let at = match d.center {
            yichuang::intake::CenterLevel::District => "district",
            yichuang::intake::CenterLevel::Community => "community",
        };
        args.extend(["--at".into(), at.into()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out: serde_json::Value = serde_json::from_str(&run(&refs)).unwrap();
        let expected = serde_json::to_value(d.expect.decision).unwrap();
        assert_eq!(out["decision"], expected, "{}: {out:#}", d.id);
    }
}
