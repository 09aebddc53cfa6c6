//! Intake step 2: find the item by Chinese, pinyin, initials, code or material name.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::{Ctx, Outcome};
use crate::kb::guide::where_handled;
use crate::tui::input::TextInput;
use crate::tui::item_list::ItemList;
use crate::tui::keys::Action;
use crate::tui::text::layout_safe;
use crate::tui::widgets::labelled_input;

/// State of the item step.
#[derive(Debug, Default)]
pub struct ItemStep {
    query: TextInput,
    list: ItemList,
    /// Why the item the clerk tried to take cannot be accepted (a draft, 待审核).
    refusal: Option<String>,
}

impl ItemStep {
    /// The step listing every item.
    pub fn new(ctx: &Ctx) -> Self {
        let mut step = Self::default();
        step.list.search(ctx.kb, ctx.index, "");
        step
    }

    /// Handles a key; returns the chosen item code on Enter.
    pub fn on_key(&mut self, ctx: &Ctx, action: Option<Action>, key: KeyEvent) -> (Outcome, Option<String>) {
        self.refusal = None;
        match action {
            Some(Action::Up) => self.list.select(-1),
            Some(Action::Down) => self.list.select(1),
            Some(Action::PageUp) => self.list.select(-10),
            Some(Action::PageDown) => self.list.select(10),
            Some(Action::Back) => return (Outcome::Back, None),
            Some(Action::Open) => {
                if let Some(item) = self.list.selected(ctx.kb) {
                    // A draft's checkpoints and key marks are unreviewed: no decision rests on it.
                    if let Some(reason) = item.draft_refusal() {
                        self.refusal = Some(reason);
                        return (Outcome::Stay, None);
                    }
                    return (Outcome::Next, Some(item.code.clone()));
                }
            }
            _ => {
                let before = self.query.text().to_string();
                if self.query.handle_key(key) && self.query.text() != before {
                    self.list.search(ctx.kb, ctx.index, self.query.text());
                }
            }
        }
        (Outcome::Stay, None)
    }

    /// Pasted text searches as if typed.
    pub fn paste(&mut self, ctx: &Ctx, text: &str) {
        self.query.insert(text);
        self.list.search(ctx.kb, ctx.index, self.query.text());
    }

    /// Draws the search box, the results and a summary of the selected item.
    pub fn view(&self, ctx: &Ctx, frame: &mut Frame, area: Rect) {
        let [search, body] = Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(area);
        labelled_input(frame, search, "办理事项 > ", &self.query, true);
        if body.width >= 90 {
            let [list, summary] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).areas(body);
            self.list.view(ctx.kb, Some(ctx.config.level), true, frame, list);
            self.view_summary(ctx, frame, summary);
        } else {
            self.list.view(ctx.kb, Some(ctx.config.level), true, frame, body);
        }
    }

    fn view_summary(&self, ctx: &Ctx, frame: &mut Frame, area: Rect) {
        if let Some(reason) = &self.refusal {
            let lines = vec![
                Line::styled("不能受理", Style::new().fg(Color::Red).bold()),
                Line::styled(layout_safe(reason).into_owned(), Style::new().fg(Color::Red)),
            ];
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            return;
        }
        let Some(item) = self.list.selected(ctx.kb) else {
            frame.render_widget(Line::from("没有找到匹配的事项：换个说法，或试试拼音首字母"), area);
            return;
        };
        let lenient = match &item.lenient {
            Some(l) if l.allowed => format!("可容缺，补正期限 {} 个工作日", l.supplement_days.unwrap_or(0)),
            _ => "不适用容缺".into(),
        };
        let mut lines = vec![
            Line::styled(layout_safe(&item.name).into_owned(), Style::new().fg(Color::Yellow).bold()),
            Line::from(format!("{} | {}", item.department, item.kind.label())),
            Line::from(format!("承诺时限 {} | {}", item.time_limits.promised.text(), lenient)),
            Line::from(format!("办理地点：{}", where_handled(item))),
            Line::from(format!("申请材料 {} 项：", item.materials.len())),
        ];
        if item.is_draft() {
            lines.insert(
                1,
                Line::styled("待审核：从事项目录导入，未经审核，不能受理", Style::new().fg(Color::Red)),
            );
        }
        lines.extend(item.materials.iter().map(|m| Line::from(format!("  - {}", layout_safe(&m.name)))));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}
