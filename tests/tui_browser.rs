//! Snapshot tests of the KB browser, driven through the same `update` entry point the terminal uses.

mod desk_support;

use crossterm::event::KeyCode;
use desk_support::{Desk, monday_morning, small_kb};
use yichuang::tui::app::Msg;
use yichuang::tui::keys::ScreenId;

/// A configured desk switched to the browser (F5).
fn app() -> Desk {
    let mut desk = Desk::new(small_kb(), monday_morning());
    desk.key(KeyCode::F(5));
    desk
}

fn type_text(desk: &mut Desk, text: &str) {
    desk.type_text(text);
}

fn screen(desk: &Desk, width: u16, height: u16) -> String {
    desk.screen(width, height)
}

#[test]
fn browser_lists_every_item_at_start() {
    let app = app();
    insta::assert_snapshot!("browser_start_120x40", screen(&app, 120, 40));
    insta::assert_snapshot!("browser_start_80x24", screen(&app, 80, 24));
}

#[test]
fn chinese_query_puts_the_cursor_right_after_the_last_character() {
    let mut app = app();
    type_text(&mut app, "公司登记");
    let wide = screen(&app, 120, 40);
    // " 搜索事项 > " is 12 columns, "公司登记" 8 more.
    assert!(wide.ends_with("cursor: (20, 1)"), "{wide}");
    insta::assert_snapshot!("browser_query_120x40", wide);
    insta::assert_snapshot!("browser_query_80x24", screen(&app, 80, 24));
}

#[test]
fn paste_is_treated_as_typed_text() {
    let mut typed = app();
    type_text(&mut typed, "公司登记");
    let mut pasted = app();
    pasted.paste("公司登记");
    assert_eq!(screen(&typed, 120, 40), screen(&pasted, 120, 40));
}

#[test]
fn detail_and_help() {
    let mut app = app();
    type_text(&mut app, "gongsi");
    app.key(KeyCode::Enter);
    // PageDown scrolls by the height last drawn: the 80x24 frame is drawn last.
    insta::assert_snapshot!("browser_detail_120x40", screen(&app, 120, 40));
    insta::assert_snapshot!("browser_detail_80x24", screen(&app, 80, 24));
    app.key(KeyCode::PageDown);
    insta::assert_snapshot!("browser_detail_scrolled_120x40", screen(&app, 120, 40));
    app.key(KeyCode::Char('?'));
    insta::assert_snapshot!("browser_help_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("browser_help_120x40", screen(&app, 120, 40));
    app.key(KeyCode::Char('x'));
    app.key(KeyCode::Esc);
    assert_eq!(app.app.browser().query(), "gongsi");
}

#[test]
fn esc_clears_then_leaves_and_q_types_in_the_search_box() {
    let mut app = app();
    type_text(&mut app, "q");
    assert_eq!(app.app.browser().query(), "q");
    app.key(KeyCode::Esc);
    assert_eq!(app.app.browser().query(), "");
    assert_eq!(app.app.screen(), ScreenId::Browser);
    app.key(KeyCode::Esc);
    assert_eq!(app.app.screen(), ScreenId::Intake, "Esc on an empty search leaves the browser");
    assert!(!app.quit);
}

#[test]
fn no_panic_at_tiny_sizes_or_on_resize() {
    let mut app = app();
    type_text(&mut app, "公司");
    for (w, h) in [(1, 1), (20, 5), (19, 4), (30, 6), (200, 3), (3, 100)] {
        screen(&app, w, h);
        app.send(Msg::Resize);
    }
    app.key(KeyCode::Enter);
    for (w, h) in [(20, 5), (45, 8), (120, 40)] {
        screen(&app, w, h);
    }
}

#[test]
fn an_item_found_by_an_aliases_initials_says_which_alias() {
    let mut app = app();
    type_text(&mut app, "gsdj");
    let wide = screen(&app, 120, 40);
    assert!(wide.contains("有限责任公司设立登记"), "{wide}");
    assert!(wide.contains("又称：公司登记"), "{wide}");
}

/// The browser on the embedded KB, which has bundles (一件事).
fn embedded() -> Desk {
    let kb = std::sync::Arc::new(yichuang::kb::Kb::embedded().expect("embedded KB"));
    let mut desk = Desk::new(kb, monday_morning());
    desk.key(KeyCode::F(5));
    desk
}

#[test]
fn a_bundle_is_found_by_its_initials_and_shows_its_union_checklist() {
    let mut app = embedded();
    type_text(&mut app, "qykb");
    let list = screen(&app, 160, 48);
    assert!(list.contains("> 【一件事】企业开办"), "{list}");
    assert!(list.contains("4 个事项"), "{list}");
    // The detail pane shows the bundle: its items in order and each material once.
    assert!(list.contains("【一件事】企业开办（company_startup）"), "{list}");
    assert!(list.contains("有限责任公司设立登记（00013112700401）"), "{list}");
    assert!(list.contains("营业执照  -  SW0003、GJJ0003"), "{list}");
    // Enter moves into the guide; PageDown reaches the questions, each asked once.
    app.key(KeyCode::Enter);
    app.key(KeyCode::PageDown);
    let detail = screen(&app, 160, 48);
    assert!(detail.contains("由法定代表人以外的单位经办人办理  -  GJJ0003"), "{detail}");
    // An alias says which one matched.
    let mut app = embedded();
    type_text(&mut app, "开公司");
    let list = screen(&app, 160, 48);
    assert!(list.contains("> 【一件事】企业开办  又称：开公司"), "{list}");
}

#[test]
fn intake_lists_items_only() {
    let mut desk = {
        let kb = std::sync::Arc::new(yichuang::kb::Kb::embedded().expect("embedded KB"));
        Desk::new(kb, monday_morning())
    };
    desk.key(KeyCode::F(2));
    desk.type_text("A001");
    desk.key(KeyCode::Enter);
    desk.type_text("qykb");
    let text = desk.screen(160, 48);
    assert!(!text.contains("【一件事】"), "{text}");
}
