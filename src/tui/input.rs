//! A one-line text input that is correct for Chinese: the caret moves by character, widths come
//! from unicode-width, and the terminal cursor is placed at the caret so the input method's
//! candidate window follows it. A paste is inserted as typed text.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// State of a text input: the text and the caret as a character index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// Caret position in characters (0 = before the first character).
    caret: usize,
}

impl TextInput {
    /// An input holding `text` with the caret at its end.
    pub fn with_text(text: &str) -> Self {
        Self { text: text.to_string(), caret: text.chars().count() }
    }

    /// The current text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Empties the input.
    pub fn clear(&mut self) {
        self.text.clear();
        self.caret = 0;
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.text.char_indices().nth(char_index).map_or(self.text.len(), |(b, _)| b)
    }

    /// Inserts text at the caret. Line breaks and tabs become spaces, other control characters
    /// are dropped (a pasted multi-line value stays on one line).
    pub fn insert(&mut self, s: &str) {
        let clean: String = s
            .chars()
            .filter_map(|c| match c {
                '\r' | '\n' | '\t' => Some(' '),
                c if c.is_control() => None,
                c => Some(c),
            })
            .collect();
        let at = self.byte_at(self.caret);
        self.text.insert_str(at, &clean);
        self.caret += clean.chars().count();
    }

    /// Handles an editing key; returns false when the key is not an editing key.
    pub fn handle_key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(self.caret);
                self.text.replace_range(..at, "");
                self.caret = 0;
            }
            KeyCode::Char('a') if ctrl => self.caret = 0,
            KeyCode::Char('e') if ctrl => self.caret = self.text.chars().count(),
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                self.insert(c.encode_utf8(&mut [0; 4]))
            }
            KeyCode::Backspace if self.caret > 0 => {
                self.caret -= 1;
                let at = self.byte_at(self.caret);
                self.text.remove(at);
            }
            KeyCode::Delete if self.caret < self.text.chars().count() => {
                let at = self.byte_at(self.caret);
                self.text.remove(at);
            }
            KeyCode::Left => self.caret = self.caret.saturating_sub(1),
            KeyCode::Right => self.caret = (self.caret + 1).min(self.text.chars().count()),
            KeyCode::Home => self.caret = 0,
            KeyCode::End => self.caret = self.text.chars().count(),
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }

    /// Draws the input in `area` and, when `focused`, puts the terminal cursor at the caret.
    /// Text wider than the area scrolls so the caret stays visible.
    pub fn render(&self, frame: &mut Frame, area: Rect, style: Style, focused: bool) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let before: String = self.text.chars().take(self.caret).collect();
        let caret_x = before.width();
        let width = usize::from(area.width.saturating_sub(1));
        // Drop characters from the left until the caret fits.
        let mut skip_width = 0;
        let mut shown = self.text.as_str();
        for (b, c) in self.text.char_indices() {
            if caret_x - skip_width <= width {
                shown = &self.text[b..];
                break;
            }
            skip_width += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            shown = &self.text[b + c.len_utf8()..];
        }
        frame.render_widget(Line::from(Span::styled(shown, style)), area);
        if focused {
            let x =
                area.x + u16::try_from(caret_x - skip_width).unwrap_or(area.width - 1).min(area.width - 1);
            frame.set_cursor_position(Position::new(x, area.y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_by_character_not_byte() {
        let mut input = TextInput::with_text("公司登记");
        input.handle_key(key(KeyCode::Left));
        input.handle_key(key(KeyCode::Backspace));
        assert_eq!(input.text(), "公司记");
        input.insert("变更");
        assert_eq!(input.text(), "公司变更记");
        input.handle_key(key(KeyCode::Home));
        input.handle_key(key(KeyCode::Delete));
        assert_eq!(input.text(), "司变更记");
    }

    #[test]
    fn paste_keeps_one_line() {
        let mut input = TextInput::default();
        input.insert("张三\r\n李四\t\u{7}王五");
        assert_eq!(input.text(), "张三  李四 王五");
    }

    proptest! {
        #[test]
        fn never_panics_on_any_edit_sequence(ops in proptest::collection::vec((0u8..8, "\\PC{0,3}"), 0..60)) {
            let mut input = TextInput::default();
            for (op, s) in ops {
                match op {
                    0 => input.insert(&s),
                    1 => { input.handle_key(key(KeyCode::Left)); }
                    2 => { input.handle_key(key(KeyCode::Right)); }
                    3 => { input.handle_key(key(KeyCode::Backspace)); }
                    4 => { input.handle_key(key(KeyCode::Delete)); }
                    5 => { input.handle_key(key(KeyCode::Home)); }
                    6 => { input.handle_key(key(KeyCode::End)); }
                    _ => { input.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)); }
                }
                prop_assert!(input.caret <= input.text.chars().count());
            }
        }
    }
}
