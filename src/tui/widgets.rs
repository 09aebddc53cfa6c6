//! Pieces every screen draws the same way: ASCII borders and popups (box-drawing characters are
//! ambiguous-width in CJK terminals), a labelled one-line input, the key footer and the help list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::input::TextInput;
use super::keys::{self, Context};

/// ASCII border set: box-drawing characters are ambiguous-width in CJK terminals.
pub const ASCII_BORDER: ratatui::symbols::border::Set = ratatui::symbols::border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// Clears the area of a popup, one column wider on each side: a wide character straddling the
/// popup's edge would otherwise survive and hide the border.
pub fn clear_popup(frame: &mut Frame, popup: Rect) {
    let x = popup.x.saturating_sub(1);
    let right = (popup.right() + 1).min(frame.area().right());
    frame.render_widget(Clear, Rect { x, width: right - x, ..popup });
}

/// A rectangle of at most `width` x `height` centered in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(v);
    h
}

/// A bordered popup block with a title.
pub fn popup_block(title: &str) -> Block<'_> {
    Block::new().borders(Borders::ALL).border_set(ASCII_BORDER).title(title)
}

/// A label and a one-line input beside it on the first row of `area`; the input gets the cursor.
pub fn labelled_input(frame: &mut Frame, area: Rect, label: &str, input: &TextInput, focused: bool) {
    let width = label.width() as u16;
    let row = Rect { height: 1.min(area.height), ..area };
    let [l, i] = Layout::horizontal([Constraint::Length(width), Constraint::Fill(1)]).areas(row);
    let style = if focused { Style::new().fg(Color::Yellow).bold() } else { Style::new() };
    frame.render_widget(Span::styled(label.to_string(), style), l);
    input.render(frame, i, Style::new(), focused);
}

/// The footer: the keys of `context`, then the global ones.
pub fn footer(frame: &mut Frame, area: Rect, context: Context) {
    let mut spans = Vec::new();
    for (key, label) in keys::footer(context) {
        spans.push(Span::styled(format!(" {key} "), Style::new().bg(Color::DarkGray).fg(Color::White)));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    frame.render_widget(Line::from(spans), area);
}

/// Every key of `context` in a popup over `area`.
pub fn help_popup(frame: &mut Frame, area: Rect, context: Context) {
    let rows = keys::help(context);
    let popup = centered(area, 52, rows.len() as u16 + 3);
    clear_popup(frame, popup);
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
    frame.render_widget(Paragraph::new(lines).block(popup_block(" 按键说明 ")), popup);
}

/// Splits the frame into title, body, status line and key footer; `None`, after saying so, when
/// the terminal is too small to work in.
pub fn chrome(frame: &mut Frame, min_height: u16) -> Option<[Rect; 4]> {
    let area = frame.area();
    if area.width < 20 || area.height < min_height {
        frame.render_widget(Paragraph::new("窗口太小"), area);
        return None;
    }
    Some(
        Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area),
    )
}
