//! A vertical form of labelled text inputs with per-field validation shown at the field.
//! Used by the applicant step, mail delivery and first-run set-up. Nothing typed is ever discarded:
//! an invalid value stays in its input with the reason beside it.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::input::TextInput;

/// Result of validating one field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Check {
    /// Blocks continuing (shown in red).
    pub error: Option<String>,
    /// Does not block (shown in amber), e.g. a credit-code check character a supervisor may override.
    pub warning: Option<String>,
    /// What a valid value says, for the clerk to compare with the document (birth date of an ID).
    pub info: Option<String>,
}

impl Check {
    /// No problem.
    pub fn ok() -> Self {
        Self::default()
    }

    /// The message shown under the field, most severe first.
    pub fn message(&self) -> Option<&str> {
        self.error.as_deref().or(self.warning.as_deref()).or(self.info.as_deref())
    }

    /// A blocking error.
    pub fn error(message: impl Into<String>) -> Self {
        Self { error: Some(message.into()), ..Self::default() }
    }
}

/// One field of a form.
#[derive(Debug, Clone)]
pub struct FormField<K> {
    /// What the field is (a case field, a setting …).
    pub key: K,
    /// Label shown to the left.
    pub label: String,
    /// The input.
    pub input: TextInput,
    /// Last validation result.
    pub check: Check,
    /// Whether the clerk has left the field at least once (errors show only then, or on submit).
    pub touched: bool,
    /// The stored form of the field's value (ID numbers, phones: `src/intake/validate.rs`); the
    /// field shows it once left or pasted into, so the screen shows what the store holds.
    pub normalise: fn(&str) -> String,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormEvent<K> {
    /// Nothing the owner needs to know.
    None,
    /// A field's text changed (journal it).
    Changed(K, String),
    /// Enter on the last field, or on any field when all are valid: the owner may continue.
    Submit,
}

/// A list of fields with one focused.
#[derive(Debug, Clone)]
pub struct Form<K> {
    /// The fields, top to bottom.
    pub fields: Vec<FormField<K>>,
    /// Index of the focused field.
    pub focus: usize,
}

/// The value as typed: the normaliser of fields without a stored form of their own.
pub fn as_typed(value: &str) -> String {
    value.to_string()
}

impl<K: Copy + PartialEq> Form<K> {
    /// A form of (key, label, initial text) fields.
    pub fn new<L: Into<String>>(fields: impl IntoIterator<Item = (K, L, String)>) -> Self {
        let fields = fields
            .into_iter()
            .map(|(key, label, text)| FormField {
                key,
                label: label.into(),
                input: TextInput::with_text(&text),
                check: Check::ok(),
                touched: !text.is_empty(),
                normalise: as_typed,
            })
            .collect();
        Self { fields, focus: 0 }
    }

    /// A form without fields (filled in later).
    pub fn empty() -> Self {
        Self { fields: Vec::new(), focus: 0 }
    }

    /// The form with each field's stored form given by `normaliser(key)`.
    pub fn normalised_by(mut self, normaliser: impl Fn(K) -> fn(&str) -> String) -> Self {
        for field in &mut self.fields {
            field.normalise = normaliser(field.key);
        }
        self
    }

    /// Shows the focused field's value in its stored form (after leaving it or a paste).
    fn normalise_focused(&mut self) {
        if let Some(field) = self.fields.get_mut(self.focus) {
            let normal = (field.normalise)(field.input.text());
            if normal != field.input.text() {
                field.input = TextInput::with_text(&normal);
            }
        }
    }

    /// The text of a field.
    pub fn value(&self, key: K) -> &str {
        self.fields.iter().find(|f| f.key == key).map_or("", |f| f.input.text())
    }

    /// Re-validates every field with `validate`.
    pub fn validate(&mut self, validate: impl Fn(K, &str) -> Check) {
        for f in &mut self.fields {
            f.check = validate(f.key, f.input.text());
        }
    }

    /// Index of the first field with a blocking error.
    pub fn first_error(&self) -> Option<usize> {
        self.fields.iter().position(|f| f.check.error.is_some())
    }

    /// Handles a key: Up/Down/Tab move between fields, Enter moves to the next field and submits on
    /// the last, other keys edit.
    pub fn on_key(&mut self, key: KeyEvent) -> FormEvent<K> {
        if self.fields.is_empty() {
            return if key.code == KeyCode::Enter { FormEvent::Submit } else { FormEvent::None };
        }
        if matches!(key.code, KeyCode::Up | KeyCode::BackTab | KeyCode::Down | KeyCode::Tab | KeyCode::Enter)
        {
            self.normalise_focused();
        }
        match key.code {
            KeyCode::Up | KeyCode::BackTab => {
                self.leave_focused();
                self.focus = self.focus.saturating_sub(1);
            }
            KeyCode::Down | KeyCode::Tab => {
                self.leave_focused();
                self.focus = (self.focus + 1).min(self.fields.len() - 1);
            }
            KeyCode::Enter => {
                self.leave_focused();
                if self.focus + 1 < self.fields.len() {
                    self.focus += 1;
                } else {
                    return self.submit();
                }
            }
            _ => {
                let field = &mut self.fields[self.focus];
                let before = field.input.text().to_string();
                if field.input.handle_key(key) && field.input.text() != before {
                    return FormEvent::Changed(field.key, field.input.text().to_string());
                }
            }
        }
        FormEvent::None
    }

    /// Leaving a field shows its check once something was typed in it: passing an empty field on
    /// the way to another says nothing (a `请填写…` before anything was typed is noise); trying to
    /// finish ([`Form::submit`]) shows every error.
    fn leave_focused(&mut self) {
        let field = &mut self.fields[self.focus];
        field.touched |= !field.input.text().is_empty();
    }

    /// Tries to submit: on an error, focuses the first invalid field and shows every error.
    pub fn submit(&mut self) -> FormEvent<K> {
        for f in &mut self.fields {
            f.touched = true;
        }
        match self.first_error() {
            Some(i) => {
                self.focus = i;
                FormEvent::None
            }
            None => FormEvent::Submit,
        }
    }

    /// Inserts pasted text into the focused field.
    pub fn paste(&mut self, text: &str) -> FormEvent<K> {
        let Some(field) = self.fields.get_mut(self.focus) else { return FormEvent::None };
        field.input.insert(text);
        self.normalise_focused();
        let field = &self.fields[self.focus];
        FormEvent::Changed(field.key, field.input.text().to_string())
    }

    /// Lines the form needs: one per field plus one per shown message.
    pub fn height(&self) -> u16 {
        self.fields.iter().map(|f| 1 + u16::from(f.touched && f.check.message().is_some())).sum()
    }

    /// Draws the form; the focused field gets the terminal cursor when `focused`.
    pub fn render(&self, frame: &mut Frame, area: Rect, focused: bool) {
        let label_width = self.fields.iter().map(|f| f.label.width()).max().unwrap_or(0) as u16 + 4;
        let mut y = area.y;
        for (i, f) in self.fields.iter().enumerate() {
            if y >= area.bottom() {
                break;
            }
            let active = i == self.focus;
            let label_style =
                if active && focused { Style::new().fg(Color::Yellow).bold() } else { Style::new() };
            let marker = if active { "> " } else { "  " };
            let label_area = Rect::new(area.x, y, label_width.min(area.width), 1);
            frame.render_widget(
                Line::from(vec![Span::raw(marker), Span::styled(f.label.as_str(), label_style)]),
                label_area,
            );
            let input_area =
                Rect::new(area.x + label_area.width, y, area.width.saturating_sub(label_area.width), 1);
            let input_style = if active { Style::new().bg(Color::Indexed(236)) } else { Style::new() };
            f.input.render(frame, input_area, input_style, active && focused);
            y += 1;
            let message = match (&f.check.error, &f.check.warning, &f.check.info) {
                (Some(e), _, _) => Some((e, Color::Red)),
                (None, Some(w), _) => Some((w, Color::Yellow)),
                (None, None, Some(i)) => Some((i, Color::Green)),
                _ => None,
            };
            if let Some((text, color)) = message.filter(|_| f.touched) {
                // Wrapped, never cut: a hint cut mid-sentence can say the opposite of what it means.
                let width = area.width.saturating_sub(label_width);
                for line in super::text::wrap(text, width, "^ ", "  ") {
                    if y >= area.bottom() {
                        break;
                    }
                    let row = Rect::new(area.x + label_width, y, width, 1);
                    frame.render_widget(Span::styled(line, Style::new().fg(color)), row);
                    y += 1;
                }
            }
        }
    }
}
