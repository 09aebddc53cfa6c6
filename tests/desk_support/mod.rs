//! A desk driven in-process for screen tests: the real `App` update loop and the real effects
//! executor over a real SQLite file, run synchronously so every test is deterministic.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use unicode_width::UnicodeWidthStr;
use yichuang::intake::CenterLevel;
use yichuang::kb::Kb;
use yichuang::print::PrintConfig;
use yichuang::store::{Store, StoreKind};
use yichuang::tui::app::{App, Msg};
use yichuang::tui::effects::{Cmd, DeskConfig, Effects};

/// The window every test desk is.
pub fn config() -> DeskConfig {
    DeskConfig {
        center: "HRBDL".into(),
        center_name: "哈尔滨市道里区政务服务中心".into(),
        window: "05".into(),
        level: CenterLevel::District,
        clerk: "王丽".into(),
        lookup_url: None,
    }
}

/// Monday 2026-11-30, 09:00 in the hall (01:00 UTC).
pub fn monday_morning() -> DateTime<Utc> {
    yichuang::time::from_hall_local(
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap().and_hms_opt(9, 0, 0).unwrap(),
    )
}

/// The fixture KB with one company-registration item.
pub fn small_kb() -> Arc<Kb> {
    Arc::new(Kb::from_dir(Path::new("tests/fixtures/kb-small")).expect("fixture KB loads"))
}

/// A desk with its store in a temporary directory.
pub struct Desk {
    pub app: App,
    pub effects: Effects,
    pub dir: tempfile::TempDir,
    /// Set once a command asked to quit.
    pub quit: bool,
}

impl Desk {
    /// A configured desk on `kb` at `now`.
    pub fn new(kb: Arc<Kb>, now: DateTime<Utc>) -> Self {
        Self::with_config(kb, Some(config()), now)
    }

    /// A desk with or without configuration (first run).
    pub fn with_config(kb: Arc<Kb>, config: Option<DeskConfig>, now: DateTime<Utc>) -> Self {
        Self::open(kb, config, now, StoreKind::Desk)
    }

    /// A configured desk on a drill database.
    pub fn drill(kb: Arc<Kb>, now: DateTime<Utc>) -> Self {
        Self::open(kb, Some(config()), now, StoreKind::Drill)
    }

    fn open(kb: Arc<Kb>, config: Option<DeskConfig>, now: DateTime<Utc>, kind: StoreKind) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("desk.sqlite3"), kind).unwrap();
        let print = PrintConfig::files(dir.path().join("notices"));
        let effects = Effects::new(store, kb.clone(), config.clone().unwrap_or_default(), print);
        Self { app: App::new(kb, config, now), effects, dir, quit: false }
    }

    /// Sends a message and carries out every command it causes, feeding answers back.
    pub fn send(&mut self, msg: Msg) {
        let mut queue = std::collections::VecDeque::from([msg]);
        while let Some(msg) = queue.pop_front() {
            for cmd in self.app.update(msg) {
                if cmd == Cmd::Quit {
                    self.quit = true;
                    continue;
                }
                queue.extend(self.effects.run(cmd));
            }
        }
    }

    /// Retries held writes, as the worker does every second, and feeds the answers back.
    pub fn retry(&mut self) {
        let answers = self.effects.retry();
        for msg in answers {
            self.send(msg);
        }
    }

    /// Presses a key.
    pub fn key(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    /// Presses a key with Ctrl.
    pub fn ctrl(&mut self, c: char) {
        self.send(Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)));
    }

    /// Types text key by key.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Pastes text (bracketed paste).
    pub fn paste(&mut self, text: &str) {
        self.send(Msg::Paste(text.into()));
    }

    /// Moves the clock.
    pub fn at(&mut self, now: DateTime<Utc>) {
        self.send(Msg::Tick(now));
    }

    /// The screen as text plus the cursor position.
    pub fn screen(&self, width: u16, height: u16) -> String {
        screen(&self.app, width, height)
    }
}

/// The standard intake of the fixture item, typed key by key as a clerk does: ticket, item, the
/// situations answered 否, all five materials present, a person's name, ID number and phone, window pickup, the invitation to rate; returns the
/// finished case's id, back on the start screen.
pub fn standard_intake(desk: &mut Desk) -> String {
    desk.key(KeyCode::F(2));
    desk.type_text("A006");
    desk.key(KeyCode::Enter);
    desk.type_text("公司");
    desk.key(KeyCode::Enter);
    // `f` answers both situations 否 (no agent, no prior approval); then the five materials.
    desk.type_text("f11111");
    desk.key(KeyCode::Enter);
    for text in ["张三丰", "11010519491231002X", "13800138000"] {
        desk.type_text(text);
        desk.key(KeyCode::Enter);
    }
    desk.key(KeyCode::Enter);
    desk.key(KeyCode::Enter);
    let intake = desk.app.intake().expect("intake");
    assert!(intake.case.number.is_some(), "finished");
    let id = intake.case_id.clone().expect("case id");
    desk.key(KeyCode::Enter);
    id
}

/// Renders the app and returns its text, then the cursor position.
pub fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.view(f)).unwrap();
    let backend = terminal.backend();
    let cursor = if backend.cursor_visible() {
        let p = backend.cursor_position();
        format!("cursor: ({}, {})", p.x, p.y)
    } else {
        "cursor: hidden".to_string()
    };
    buffer_text(backend.buffer()) + &cursor
}

/// A buffer's text, one line per row: wide characters once, without the padding cells after them.
pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buffer.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = symbol.width().saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
