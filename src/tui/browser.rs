//! The KB browser: a search box, ranked results, and the selected item's service guide.
//! It is where a clerk looks up any item while an applicant waits (F5).

use std::cell::Cell;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::input::TextInput;
use super::item_list::ItemList;
use super::keys::{self, Action, Context};
use super::text::wrap;
use crate::kb::Kb;
use crate::kb::guide::{LineKind, guide};
use crate::kb::search::SearchIndex;

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// Typing goes to the search box; Up/Down pick a result.
    Search,
    /// Up/Down scroll the guide.
    Detail,
}

/// State of the browser screen.
#[derive(Debug)]
pub struct Browser {
    query: TextInput,
    list: ItemList,
    focus: Focus,
    detail_scroll: u16,
    /// Height of the detail pane at the last draw, for paging.
    detail_height: Cell<u16>,
    /// Wrapped lines of the guide at the last draw, to bound scrolling.
    detail_lines: Cell<usize>,
}

/// What the browser asks of the app after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing beyond redrawing.
    None,
    /// Leave the desk.
    Quit,
    /// Leave the browser (back to the previous screen).
    Leave,
    /// Show the key list.
    Help,
}

impl Browser {
    /// A browser listing every item.
    pub fn new(kb: &Kb, index: &SearchIndex) -> Self {
        let mut browser = Self {
            query: TextInput::default(),
            list: ItemList::with_bundles(),
            focus: Focus::Search,
            detail_scroll: 0,
            detail_height: Cell::new(10),
            detail_lines: Cell::new(0),
        };
        browser.refresh(kb, index);
        browser
    }

    /// The keyboard context, for key lookup and the footer.
    pub fn context(&self) -> Context {
        match self.focus {
            Focus::Search => Context::BrowserSearch,
            Focus::Detail => Context::BrowserDetail,
        }
    }

    /// The current query text.
    pub fn query(&self) -> &str {
        self.query.text()
    }

    /// Code of the selected item, if any.
    pub fn selected_code<'k>(&self, kb: &'k Kb) -> Option<&'k str> {
        self.list.selected(kb).map(|i| i.code.as_str())
    }

    fn refresh(&mut self, kb: &Kb, index: &SearchIndex) {
        self.list.search(kb, index, self.query.text());
        self.detail_scroll = 0;
    }

    fn select(&mut self, delta: isize) {
        self.list.select(delta);
        self.detail_scroll = 0;
    }

    fn scroll(&mut self, kb: &Kb, delta: i32) {
        let lines = match self.detail_lines.get() {
            0 => match self.list.selected_bundle(kb) {
                Some(bundle) => crate::intake::bundle::guide(kb, bundle).len(),
                None => self.list.selected(kb).map_or(0, |item| guide(item).len()),
            },
            n => n,
        };
        let max = i32::try_from(lines).unwrap_or(i32::MAX).saturating_sub(1).max(0);
        self.detail_scroll =
            u16::try_from((i32::from(self.detail_scroll) + delta).clamp(0, max)).unwrap_or(0);
    }

    /// Handles a key press.
    pub fn on_key(&mut self, kb: &Kb, index: &SearchIndex, key: KeyEvent) -> Outcome {
        let action = keys::action(self.context(), key);
        let page = i32::from(self.detail_height.get().max(2) - 1);
        match (self.focus, action) {
            (_, Some(Action::Quit)) => return Outcome::Quit,
            (_, Some(Action::Help)) => return Outcome::Help,
            (Focus::Search, Some(Action::Up)) => self.select(-1),
            (Focus::Search, Some(Action::Down)) => self.select(1),
            (Focus::Search, Some(Action::PageUp)) => self.select(-(page as isize)),
            (Focus::Search, Some(Action::PageDown)) => self.select(page as isize),
            (Focus::Search, Some(Action::Open | Action::FocusNext)) if !self.list.is_empty() => {
                self.focus = Focus::Detail
            }
            (Focus::Search, Some(Action::Back)) => {
                if self.query.text().is_empty() {
                    return Outcome::Leave;
                }
                self.query.clear();
                self.refresh(kb, index);
            }
            (Focus::Detail, Some(Action::Up)) => self.scroll(kb, -1),
            (Focus::Detail, Some(Action::Down)) => self.scroll(kb, 1),
            (Focus::Detail, Some(Action::PageUp)) => self.scroll(kb, -page),
            (Focus::Detail, Some(Action::PageDown)) => self.scroll(kb, page),
            (Focus::Detail, Some(Action::Back | Action::FocusNext)) => self.focus = Focus::Search,
            (Focus::Search, _) => {
                let before = self.query.text().to_string();
                if self.query.handle_key(key) && self.query.text() != before {
                    self.refresh(kb, index);
                }
            }
            _ => {}
        }
        Outcome::None
    }

    /// Handles pasted text: it goes into the search box, as if typed.
    pub fn on_paste(&mut self, kb: &Kb, index: &SearchIndex, text: &str) {
        self.focus = Focus::Search;
        self.query.insert(text);
        self.refresh(kb, index);
    }

    /// Draws the screen into `area`.
    pub fn view(&self, kb: &Kb, frame: &mut Frame, area: Rect) {
        let [search, body] = Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(area);
        self.view_search(frame, search);
        if body.width >= 90 {
            let [list, gap, detail] =
                Layout::horizontal([Constraint::Percentage(40), Constraint::Length(1), Constraint::Fill(1)])
                    .areas(body);
            self.list.view(kb, None, self.focus == Focus::Search, frame, list);
            frame.render_widget(Paragraph::new("").style(Style::new().bg(Color::DarkGray)), gap);
            self.view_detail(kb, frame, detail);
        } else if self.focus == Focus::Detail {
            self.view_detail(kb, frame, body);
        } else {
            self.list.view(kb, None, true, frame, body);
        }
    }

    fn view_search(&self, frame: &mut Frame, area: Rect) {
        let [line, count] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
        let label = " 搜索事项 > ";
        let [label_area, input_area] =
            Layout::horizontal([Constraint::Length(label.width() as u16), Constraint::Fill(1)]).areas(line);
        let focused = self.focus == Focus::Search;
        let label_style = if focused { Style::new().fg(Color::Yellow).bold() } else { Style::new() };
        frame.render_widget(Span::styled(label, label_style), label_area);
        self.query.render(frame, input_area, Style::new(), focused);
        let summary = if self.query.text().trim().is_empty() {
            format!(" 共 {} 个事项。输入中文、拼音、首字母（如 gsdj）、编码或材料名称", self.list.len())
        } else if self.list.is_empty() {
            " 没有找到匹配的事项。换个说法，或试试拼音首字母".to_string()
        } else {
            format!(" 找到 {} 个事项", self.list.len())
        };
        frame.render_widget(Span::styled(summary, Style::new().fg(Color::DarkGray)), count);
    }

    fn view_detail(&self, kb: &Kb, frame: &mut Frame, area: Rect) {
        self.detail_height.set(area.height);
        let lines = if let Some(bundle) = self.list.selected_bundle(kb) {
            bundle_lines(kb, bundle, area.width)
        } else if let Some(item) = self.list.selected(kb) {
            detail_lines(item, area.width)
        } else {
            return;
        };
        self.detail_lines.set(lines.len());
        let max_scroll = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_sub(1);
        let scroll = self.detail_scroll.min(max_scroll);
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), area);
    }
}

/// A bundle's guide (一件事: its items in order, the data typed once, the union checklist) wrapped
/// to `width`: the title and the headings (lines ending in `：`) stand out.
fn bundle_lines(kb: &Kb, bundle: &crate::kb::Bundle, width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (i, text) in crate::intake::bundle::guide(kb, bundle).into_iter().enumerate() {
        let style = if i == 0 {
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else if text.ends_with('：') {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        let rest = if text.starts_with("  ") { "        " } else { "    " };
        lines.extend(wrap(&text, width, "  ", rest).into_iter().map(|l| Line::styled(l, style)));
    }
    lines
}

/// The item's guide wrapped to `width`, styled by line kind.
fn detail_lines(item: &crate::kb::Item, width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for g in guide(item) {
        let style = match g.kind {
            LineKind::Title => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            LineKind::Heading => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            LineKind::Material => Style::new().add_modifier(Modifier::BOLD),
            LineKind::Note => Style::new().fg(Color::DarkGray),
            LineKind::Fact | LineKind::Bullet => Style::new(),
        };
        let indent = "  ".repeat(usize::from(g.indent) + 1);
        let rest = format!("{indent}  ");
        lines.extend(wrap(&g.text, width, &indent, &rest).into_iter().map(|l| Line::styled(l, style)));
    }
    lines
}
