//! Snapshot tests of the KB browser, driven through the same `update` entry point the terminal uses.

use std::path::Path;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use yichuang::kb::Kb;
use yichuang::tui::app::{App, Cmd, Msg};

fn app() -> App {
    let kb = Kb::from_dir(Path::new("tests/fixtures/kb-small")).expect("fixture KB loads");
    App::new(Arc::new(kb))
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

/// The screen as text plus the cursor position, as a snapshot.
fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.view(f)).unwrap();
    let backend = terminal.backend();
    let cursor = if backend.cursor_visible() {
        let p = backend.cursor_position();
        format!("cursor: ({}, {})", p.x, p.y)
    } else {
        "cursor: hidden".to_string()
    };
    format!("{backend}\n{cursor}")
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
    pasted.update(Msg::Paste("公司登记".into()));
    assert_eq!(screen(&typed, 120, 40), screen(&pasted, 120, 40));
}

#[test]
fn detail_and_help() {
    let mut app = app();
    type_text(&mut app, "公司");
    app.update(key(KeyCode::Enter));
    insta::assert_snapshot!("browser_detail_80x24", screen(&app, 80, 24));
    app.update(key(KeyCode::PageDown));
    insta::assert_snapshot!("browser_detail_scrolled_120x40", screen(&app, 120, 40));
    app.update(key(KeyCode::Char('?')));
    insta::assert_snapshot!("browser_help_80x24", screen(&app, 80, 24));
    app.update(key(KeyCode::Char('x')));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.browser().query(), "公司");
}

#[test]
fn esc_clears_then_quits_and_q_types_in_the_search_box() {
    let mut app = app();
    type_text(&mut app, "q");
    assert_eq!(app.browser().query(), "q");
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert_eq!(app.browser().query(), "");
    assert_eq!(app.update(key(KeyCode::Esc)), vec![Cmd::Quit]);
}

#[test]
fn no_panic_at_tiny_sizes_or_on_resize() {
    let mut app = app();
    type_text(&mut app, "公司");
    for (w, h) in [(1, 1), (20, 5), (19, 4), (30, 6), (200, 3), (3, 100)] {
        screen(&app, w, h);
        app.update(Msg::Resize);
    }
    app.update(key(KeyCode::Enter));
    for (w, h) in [(20, 5), (45, 8), (120, 40)] {
        screen(&app, w, h);
    }
}
