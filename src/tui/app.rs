//! The desk's state and its one update loop: `update(message) → commands`, `view(state) → frame`.
//! No IO happens here; the shell in `tui::run` turns commands into effects.

use std::sync::Arc;

use crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::browser::{Browser, Outcome};
use super::keys::{self, Context};
use crate::kb::Kb;
use crate::kb::search::SearchIndex;

/// Everything that can happen to the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// A key press.
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste); treated as typed text.
    Paste(String),
    /// The terminal changed size; the next draw adapts.
    Resize,
    /// A periodic tick (clocks).
    Tick,
}

impl Msg {
    /// The message for a terminal event, if it matters.
    pub fn from_event(event: Event) -> Option<Self> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => Some(Self::Key(key)),
            Event::Paste(text) => Some(Self::Paste(text)),
            Event::Resize(..) => Some(Self::Resize),
            _ => None,
        }
    }
}

/// Effects the shell must carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Restore the terminal and exit.
    Quit,
}

/// The desk.
pub struct App {
    kb: Arc<Kb>,
    index: SearchIndex,
    browser: Browser,
    help: bool,
}

impl App {
    /// A desk on this knowledge base, showing the browser.
    pub fn new(kb: Arc<Kb>) -> Self {
        let index = SearchIndex::new(&kb.items);
        let browser = Browser::new(&kb, &index);
        Self { kb, index, browser, help: false }
    }

    /// The browser screen (for tests and later screens).
    pub fn browser(&self) -> &Browser {
        &self.browser
    }

    fn context(&self) -> Context {
        self.browser.context()
    }

    /// Applies a message; returns the commands it causes.
    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Key(key) if self.help => {
                if keys::action(Context::Global, key) == Some(keys::Action::Quit) {
                    return vec![Cmd::Quit];
                }
                self.help = false;
            }
            Msg::Key(key) => match self.browser.on_key(&self.kb, &self.index, key) {
                Outcome::Quit => return vec![Cmd::Quit],
                Outcome::Help => self.help = true,
                Outcome::None => {}
            },
            Msg::Paste(text) => {
                self.help = false;
                self.browser.on_paste(&self.kb, &self.index, &text);
            }
            Msg::Resize | Msg::Tick => {}
        }
        Vec::new()
    }

    /// Draws the whole desk.
    pub fn view(&self, frame: &mut Frame) {
        let area = frame.area();
        if area.width < 20 || area.height < 5 {
            frame.render_widget(Paragraph::new("窗口太小"), area);
            return;
        }
        let [title, body, footer] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
        self.view_title(frame, title);
        self.browser.view(&self.kb, frame, body);
        self.view_footer(frame, footer);
        if self.help {
            self.view_help(frame, area);
        }
    }

    fn view_title(&self, frame: &mut Frame, area: Rect) {
        let style = Style::new().bg(Color::Blue).fg(Color::White);
        let text =
            format!(" 一窗 yichuang | 知识库 {} | {} 个事项", self.kb.meta.version, self.kb.items.len());
        frame.render_widget(Paragraph::new(text).style(style), area);
    }

    fn view_footer(&self, frame: &mut Frame, area: Rect) {
        let mut spans = Vec::new();
        for (key, label) in keys::footer(self.context()) {
            spans.push(Span::styled(format!(" {key} "), Style::new().bg(Color::DarkGray).fg(Color::White)));
            spans.push(Span::raw(format!(" {label}  ")));
        }
        frame.render_widget(Line::from(spans), area);
    }

    fn view_help(&self, frame: &mut Frame, area: Rect) {
        let rows = keys::help(self.context());
        let height = (rows.len() as u16 + 4).min(area.height);
        let width = 44.min(area.width);
        let [popup] = Layout::vertical([Constraint::Length(height)]).flex(Flex::Center).areas(area);
        let [popup] = Layout::horizontal([Constraint::Length(width)]).flex(Flex::Center).areas(popup);
        let mut lines: Vec<Line> = rows
            .into_iter()
            .map(|(key, label)| {
                Line::from(vec![
                    Span::styled(format!(" {key:<12}"), Style::new().fg(Color::Yellow)),
                    Span::raw(label),
                ])
            })
            .collect();
        lines.push(Line::from(Span::styled(" 按任意键关闭", Style::new().fg(Color::DarkGray))));
        let block = Block::new()
            .borders(Borders::ALL)
            .border_set(ratatui::symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            })
            .title(" 按键说明 ");
        frame.render_widget(Clear, popup);
        frame.render_widget(Paragraph::new(lines).block(block), popup);
    }
}
