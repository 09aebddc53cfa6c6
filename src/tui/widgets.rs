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
    footer_hints(frame, area, &keys::footer(context));
}

/// The footer for `hints` (the screen's keys, then the global ones): hints are dropped from the
/// end of the screen's own keys until the rest fits `area`, so `F1 帮助` — where every other key is
/// listed — always stays, and no hint is cut in the middle.
pub fn footer_hints(frame: &mut Frame, area: Rect, hints: &[(&str, &str)]) {
    let global: Vec<&str> = keys::footer(Context::Global).iter().map(|(k, _)| *k).collect();
    // " key " and " label  ", or tighter (" key " and "label ") when not all hints fit that way;
    // the last hint's trailing spaces may fall off the edge.
    let all: usize = hints.iter().map(|(k, l)| k.width() + l.width() + 5).sum();
    let compact = all > usize::from(area.width) + 2;
    let gap = if compact { 3 } else { 5 };
    let width = |(key, label): &(&str, &str)| key.width() + label.width() + gap;
    let kept_global: Vec<&(&str, &str)> = hints.iter().filter(|(k, _)| global.contains(k)).collect();
    let trailing = if compact { 1 } else { 2 };
    let mut room =
        (usize::from(area.width) + trailing).saturating_sub(kept_global.iter().map(|h| width(h)).sum());
    let mut kept: Vec<&(&str, &str)> = Vec::new();
    for hint in hints.iter().filter(|(k, _)| !global.contains(k)) {
        // A long hint that does not fit leaves room for a shorter one after it (Esc, say).
        if width(hint) > room {
            continue;
        }
        room -= width(hint);
        kept.push(hint);
    }
    kept.extend(kept_global);
    let mut spans = Vec::new();
    for (key, label) in kept {
        spans.push(Span::styled(format!(" {key} "), Style::new().bg(Color::DarkGray).fg(Color::White)));
        spans.push(Span::raw(if compact { format!("{label} ") } else { format!(" {label}  ") }));
    }
    frame.render_widget(Line::from(spans), area);
}

/// A one-line sign that a list has more entries above or below what is shown (`^ 上方还有 3 项`),
/// so a clerk on a small terminal knows to scroll. ASCII arrows: `↑` is ambiguous-width.
pub fn scroll_sign(above: usize, below: usize) -> Option<Line<'static>> {
    let text = match (above, below) {
        (0, 0) => return None,
        (a, 0) => format!("^ 上方还有 {a} 项"),
        (0, b) => format!("v 下方还有 {b} 项"),
        (a, b) => format!("^ 上方还有 {a} 项  v 下方还有 {b} 项"),
    };
    Some(Line::styled(text, Style::new().fg(Color::Yellow)))
}

/// Renders `lines` (one per list entry, `selected` among them) in `area`, scrolled so the selected
/// entry shows; when they do not all fit, the last row says how many entries are above and below.
pub fn scrolled_list(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, selected: usize) {
    let height = usize::from(area.height);
    if height == 0 {
        return;
    }
    if lines.len() <= height {
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    // One row goes to the sign; keep one entry of context below the selection when possible.
    let shown = height.saturating_sub(1).max(1);
    let top = (selected + 2).saturating_sub(shown).min(lines.len().saturating_sub(shown));
    let below = lines.len().saturating_sub(top + shown);
    let mut visible: Vec<Line<'static>> = lines.into_iter().skip(top).take(shown).collect();
    if let Some(sign) = scroll_sign(top, below) {
        visible.push(sign);
    }
    frame.render_widget(Paragraph::new(visible), area);
}

/// `text` padded with spaces to `width` terminal columns (measured with unicode-width, so a
/// Chinese character counts two), for columns that line up.
pub fn pad(text: &str, width: usize) -> String {
    let w = text.width();
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn footer_text(width: u16, context: Context) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, 1)).unwrap();
        terminal.draw(|f| footer(f, f.area(), context)).unwrap();
        row_text(terminal.backend().buffer(), 0)
    }

    /// One row of a buffer as text, wide characters once.
    fn row_text(buffer: &ratatui::buffer::Buffer, y: u16) -> String {
        let width = buffer.area.width;
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = symbol.width().saturating_sub(1);
            line.push_str(symbol);
        }
        line.trim_end().to_string()
    }

    #[test]
    fn the_footer_keeps_f1_and_never_cuts_a_hint() {
        for width in [40, 60, 80, 120] {
            for context in [Context::Checklist, Context::Applicant, Context::Console, Context::CaseDetail] {
                let text = footer_text(width, context);
                assert!(
                    text.ends_with("F1 帮助") || text.ends_with("F1  帮助"),
                    "{width} {context:?}: {text}"
                );
                assert!(text.width() <= usize::from(width), "{text}");
                for (key, label) in keys::footer(context) {
                    // A hint is there whole or not at all.
                    if text.contains(&format!(" {key} ")) {
                        assert!(text.contains(label), "{width} {context:?}: {key} without {label}: {text}");
                    }
                }
            }
        }
        assert!(footer_text(120, Context::Checklist).contains("Enter  下一步"), "roomy: normal spacing");
    }

    #[test]
    fn a_list_that_does_not_fit_says_how_many_entries_are_above_and_below() {
        let lines: Vec<Line<'static>> = (0..20).map(|i| Line::from(format!("entry {i}"))).collect();
        let mut terminal = Terminal::new(TestBackend::new(40, 6)).unwrap();
        terminal.draw(|f| scrolled_list(f, f.area(), lines.clone(), 10)).unwrap();
        let buffer = terminal.backend().buffer();
        let last = row_text(buffer, 5);
        assert!(last.contains("上方还有 7 项") && last.contains("下方还有 8 项"), "{last}");
        assert!((0..5).any(|y| row_text(buffer, y).contains("entry 10")), "the selected entry shows");
        assert_eq!(scroll_sign(0, 0), None);
    }
}
