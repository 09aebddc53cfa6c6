//! The desk never loses what was typed when the store cannot write: a full disk (SQLite's
//! `max_page_count` on the real store file) holds every entry in order, shows a blocking banner
//! and goes on once space is back, to the finished case; a restart finds everything typed.

mod desk_support;

use crossterm::event::KeyCode;
use desk_support::{Desk, monday_morning, small_kb};
use yichuang::intake::case::{Field, Status, Step};
use yichuang::store::{Store, StoreKind};

const ID: &str = "11010519491231002X";
const PHONE: &str = "13800138000";

fn step(desk: &Desk) -> Step {
    desk.app.intake().expect("intake").step()
}

/// The applicant's name as the store holds it, read through a second connection (what a restart
/// would find).
fn stored_name(desk: &Desk) -> String {
    let mut store = Store::open(&desk.dir.path().join("desk.sqlite3"), StoreKind::Desk).unwrap();
    let id = store.list("", &[], 1).unwrap()[0].id.clone();
    store.load(&id).unwrap().field(Field::ApplicantName).to_string()
}

/// Fills the disk: no page beyond those the store has now.
fn fill_disk(desk: &Desk) {
    let pages = desk.effects.store.page_count().unwrap();
    desk.effects.store.limit_pages(Some(pages)).unwrap();
}

fn free_disk(desk: &Desk) {
    desk.effects.store.limit_pages(None).unwrap();
}

#[test]
fn a_full_disk_holds_every_keystroke_blocks_and_goes_on_when_space_is_back() {
    let kb = small_kb();
    let mut desk = Desk::new(kb.clone(), monday_morning());
    desk.type_text("A001");
    desk.key(KeyCode::Enter);
    desk.paste("公司");
    desk.key(KeyCode::Enter);
    // No agent, no prior approval: `f` answers both situations 否.
    desk.key(KeyCode::Char('f'));
    for _ in 0..5 {
        desk.key(KeyCode::Char('1'));
    }
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Applicant);

    fill_disk(&desk);
    // Type until the store refuses a write: everything typed up to then is held, in order.
    let long_name = "黑龙江省哈尔滨市道里区某某某某科技发展有限责任公司第一分公司".repeat(20);
    let mut typed = String::new();
    for c in long_name.chars() {
        desk.type_text(&c.to_string());
        typed.push(c);
        if desk.app.blocked() {
            break;
        }
    }
    assert!(desk.app.blocked(), "the store never filled up after {} characters", typed.chars().count());
    assert!(desk.effects.held() >= 1);
    let screen = desk.screen(120, 40);
    assert!(screen.contains("无法保存"), "{screen}");
    assert!(screen.contains("释放磁盘空间"), "{screen}");
    assert!(screen.contains("待写入"), "{screen}");
    let screen = desk.screen(80, 24);
    assert!(screen.contains("释放磁盘空间"), "{screen}");
    // Keys while blocked are refused, not half-kept; retries fail while the disk is full.
    desk.type_text("X");
    desk.retry();
    assert!(desk.app.blocked());
    assert!(stored_name(&desk).chars().count() < typed.chars().count());

    // Quitting now would lose the held entries: the first quit key only warns.
    desk.key(KeyCode::F(10));
    assert!(!desk.quit);
    assert!(desk.screen(120, 40).contains("再按一次退出键将放弃"), "{}", desk.screen(120, 40));

    free_disk(&desk);
    desk.retry();
    assert!(!desk.app.blocked(), "{}", desk.screen(120, 40));
    assert_eq!(desk.effects.held(), 0);
    assert_eq!(stored_name(&desk), typed, "every character typed before the banner is on disk");
    assert!(desk.screen(120, 40).contains("已恢复写入"));

    // Space is back: the intake goes on and finishes. (A finish held by a full disk is shown on
    // the real binary: tests/e2e_integrity.rs.)
    desk.key(KeyCode::Enter);
    desk.type_text(ID);
    desk.key(KeyCode::Enter);
    desk.type_text(PHONE);
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Rating);
    desk.key(KeyCode::Enter);
    assert_eq!(step(&desk), Step::Done, "{}", desk.screen(120, 40));
    assert!(desk.screen(120, 40).contains("HRBDL-05-20261130-0001"));

    // A restart finds the finished case with everything typed.
    let mut store = Store::open(&desk.dir.path().join("desk.sqlite3"), StoreKind::Desk).unwrap();
    assert_eq!(store.open_draft().unwrap(), None);
    let row = store.list("", &[], 1).unwrap().remove(0);
    assert_eq!(row.status, Status::Accepted);
    let case = store.load(&row.id).unwrap();
    assert_eq!(case.field(Field::ApplicantName), typed);
    assert_eq!(case.field(Field::IdNumber), ID);
}
