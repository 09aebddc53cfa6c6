//! End-to-end intakes of the real binary in tmux, typed as a clerk would: Chinese sent both as
//! literal UTF-8 keys and as one bracketed paste. Each ends in a case in the store (checked through
//! `yichuang case show --json`) and printed notices whose PDF text contains the applicant's and the
//! item's names.

mod e2e_support;

use std::path::Path;

use e2e_support::{Tmux, have_tmux, run};

const KB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kb-small");
const ID: &str = "11010519491231002X";

struct Intake {
    _dir: tempfile::TempDir,
    data_dir: String,
    desk: Tmux,
}

/// A desk on a fresh store, at the ticket step.
fn desk() -> Intake {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    let args = ["--kb", KB, "--data-dir", &data_dir, "desk", "--center", "HRBDL", "--window", "05"];
    let desk = Tmux::start(&args, 120, 40);
    desk.wait_for("接待下一位申请人");
    Intake { _dir: dir, data_dir, desk }
}

impl Intake {
    /// Ticket, item search (pasted Chinese), and the checklist marks.
    fn checklist(&self, marks: &[&str]) {
        self.desk.type_text("a012");
        self.desk.keys(&["Enter"]);
        self.desk.wait_for("办理事项");
        self.desk.paste("公司");
        self.desk.wait_for("有限责任公司设立登记");
        self.desk.keys(&["Enter"]);
        self.desk.wait_for("待核验");
        // No agent, no prior approval: `f` answers both situations 否.
        self.desk.keys(&["f"]);
        self.desk.keys(marks);
    }

    /// The applicant, the name typed as literal UTF-8 keys.
    fn applicant(&self, name: &str) {
        self.desk.keys(&["Enter"]);
        self.desk.wait_for("申请人类型");
        self.desk.type_text(name);
        self.desk.keys(&["Enter"]);
        self.desk.type_text(ID);
        self.desk.keys(&["Enter"]);
        self.desk.type_text("13800138000");
        self.desk.keys(&["Enter"]);
    }

    fn finish(&self, rating: &str) -> serde_json::Value {
        self.desk.wait_for("好差评");
        self.desk.keys(&[rating, "Enter"]);
        self.desk.wait_for("本次受理已办结");
        let list: serde_json::Value =
            serde_json::from_str(&run(&["--data-dir", &self.data_dir, "case", "list", "--json"])).unwrap();
        let number = list[0]["number"].as_str().expect("a numbered case").to_string();
        serde_json::from_str(&run(&["--data-dir", &self.data_dir, "case", "show", &number, "--json"]))
            .unwrap()
    }

    /// Text of every printed PDF of the case, via pdftotext, without whitespace.
    fn printed(&self, number: &str) -> String {
        self.desk.wait_for("notices");
        let dir = Path::new(&self.data_dir).join("notices");
        let mut text = String::new();
        for entry in std::fs::read_dir(&dir).expect("notices written") {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with(number) && name.ends_with(".pdf") {
                let out =
                    std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext");
                text.push_str(&String::from_utf8_lossy(&out.stdout));
            }
        }
        // Table cells wrap inside their columns; compare without line breaks and spaces.
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }
}

#[test]
fn standard_intake_ends_in_a_case_and_printed_notices() {
    let t = desk();
    t.checklist(&["1", "1", "1", "1", "1"]);
    t.applicant("张三丰");
    t.desk.wait_for("送达方式");
    t.desk.keys(&["Enter"]);
    let shown = t.finish("5");
    assert_eq!(shown["case"]["decision"]["decision"], "accept", "{shown:#}");
    assert_eq!(shown["case"]["fields"]["applicant_name"], "张三丰");
    assert_eq!(shown["case"]["fields"]["ticket"], "A012");
    let number = shown["case"]["number"].as_str().unwrap();
    let text = t.printed(number);
    assert!(text.contains("张三丰") && text.contains("有限责任公司设立登记"), "{text}");
    assert!(text.contains("受理通知书"), "{text}");
}

#[test]
fn lenient_intake_prints_the_commitment_with_the_deadline() {
    let t = desk();
    t.checklist(&["1", "1", "1", "1", "3", "y"]);
    t.desk.wait_for("申请人已同意签署容缺承诺");
    t.applicant("李四");
    t.desk.wait_for("送达方式");
    t.desk.keys(&["2"]);
    t.desk.wait_for("邮寄地址");
    t.desk.keys(&["Down", "Down"]);
    t.desk.paste("黑龙江省哈尔滨市道里区友谊路 100 号");
    t.desk.keys(&["Enter"]);
    let shown = t.finish("4");
    assert_eq!(shown["case"]["decision"]["decision"], "accept_pending", "{shown:#}");
    assert_eq!(shown["case"]["delivery"], "mail");
    assert_eq!(shown["case"]["fields"]["mail_address"], "黑龙江省哈尔滨市道里区友谊路 100 号");
    let text = t.printed(shown["case"]["number"].as_str().unwrap());
    assert!(text.contains("容缺受理承诺书") && text.contains("李四"), "{text}");
    assert!(text.contains("住所（经营场") && text.contains("邮寄"), "{text}");
}

#[test]
fn deficiency_intake_prints_the_one_time_notice() {
    let t = desk();
    t.checklist(&["2", "Enter", "1", "1", "1", "3"]);
    t.desk.wait_for("需一次性告知 2 项材料");
    t.applicant("王五");
    let shown = t.finish("3");
    assert_eq!(shown["case"]["decision"]["decision"], "notice_of_deficiency", "{shown:#}");
    let text = t.printed(shown["case"]["number"].as_str().unwrap());
    assert!(text.contains("一次性告知书") && text.contains("王五"), "{text}");
    assert!(text.contains("法定代表人未签字"), "{text}");
}

#[test]
fn a_company_being_set_up_applies_by_its_reserved_name_and_prints_as_such() {
    let t = desk();
    t.checklist(&["1", "1", "1", "1", "1"]);
    t.desk.keys(&["Enter"]);
    t.desk.wait_for("申请人类型");
    // Person, organisation, then the company still to be registered: no credit code asked.
    t.desk.keys(&["C-t", "C-t"]);
    let screen = t.desk.wait_for("拟设立单位名称");
    assert!(!screen.contains("统一社会信用代码  "), "{screen}");
    t.desk.paste("哈尔滨冰城示例科技有限公司");
    t.desk.keys(&["Enter"]);
    t.desk.type_text("王五");
    t.desk.keys(&["Enter"]);
    t.desk.type_text(ID);
    t.desk.keys(&["Enter"]);
    t.desk.wait_for("户籍地 北京市朝阳区（110105）");
    t.desk.type_text("0451-86661234");
    t.desk.keys(&["Enter"]);
    t.desk.wait_for("送达方式");
    t.desk.keys(&["Enter"]);
    let shown = t.finish("5");
    assert_eq!(shown["case"]["applicant_kind"], "proposed_organisation", "{shown:#}");
    assert_eq!(shown["case"]["fields"]["applicant_name"], "哈尔滨冰城示例科技有限公司");
    assert!(shown["case"]["fields"].get("credit_code").is_none(), "{shown:#}");
    let text = t.printed(shown["case"]["number"].as_str().unwrap());
    assert!(text.contains("申请人（拟设立）") && text.contains("哈尔滨冰城示例科技有限公司"), "{text}");
    assert!(text.contains("法定代表人王五") || text.contains("法定代表人：王五"), "{text}");
}

#[test]
fn a_supplement_is_checked_like_an_intake_and_gets_its_receipt() {
    let t = desk();
    t.checklist(&["1", "1", "1", "1", "3", "y"]);
    t.desk.wait_for("申请人已同意签署容缺承诺");
    t.applicant("李四");
    t.desk.wait_for("送达方式");
    t.desk.keys(&["Enter"]);
    let shown = t.finish("5");
    let number = shown["case"]["number"].as_str().unwrap().to_string();
    t.desk.keys(&["Enter"]);
    t.desk.wait_for("接待下一位申请人");
    t.desk.keys(&["F3"]);
    t.desk.wait_for(&number);
    t.desk.keys(&["Enter"]);
    t.desk.wait_for("待补正材料");
    t.desk.keys(&["s"]);
    let screen = t.desk.wait_for("容缺补正收件");
    assert!(screen.contains("审查要点") && screen.contains("[待核验]"), "{screen}");
    // Nothing is recorded while a material is unmarked.
    t.desk.keys(&["Enter"]);
    t.desk.wait_for("项材料未标记");
    t.desk.keys(&["1", "Enter"]);
    t.desk.wait_for("已登记补正收件");
    t.desk.wait_for(&format!("{number}-B1"));
    let shown: serde_json::Value =
        serde_json::from_str(&run(&["--data-dir", &t.data_dir, "case", "show", &number, "--json"])).unwrap();
    assert_eq!(shown["case"]["status"], "supplemented", "{shown:#}");
    let pdf = Path::new(&t.data_dir).join("notices").join(format!("{number}-B1-receipt.pdf"));
    let start = std::time::Instant::now();
    while !pdf.exists() && start.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext");
    let text: String = String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains("材料接收凭证（容缺补正）") && text.contains(&format!("{number}-B1")), "{text}");
    assert!(text.contains("住所（经营场所）使用证明") && text.contains("合格"), "{text}");
    assert!(text.contains("李四") && text.contains("案件按正常程序办理"), "{text}");
    // Undone before leaving the case: the material is owed again.
    t.desk.keys(&["u"]);
    t.desk.wait_for("已撤销补正收件");
    let shown: serde_json::Value =
        serde_json::from_str(&run(&["--data-dir", &t.data_dir, "case", "show", &number, "--json"])).unwrap();
    assert_eq!(shown["case"]["status"], "awaiting_supplement", "{shown:#}");
    t.desk.keys(&["Escape"]);
    t.desk.wait_for("查找案件");
    t.desk.keys(&["Enter"]);
    t.desk.wait_for("待补正材料");
    t.desk.keys(&["u"]);
    t.desk.wait_for("离开案件后不能撤销");
}
