//! Intake step 6: the applicant's satisfaction rating (好差评, 5 = 非常满意 … 1 = 非常不满意). A low
//! rating needs a reason, which the hall must follow up. Enter finishes intake and prints.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Outcome;
use crate::intake::case::{Case, CaseEvent, Field, RatingLevel};
use crate::intake::rules::Decision;
use crate::tui::input::TextInput;
use crate::tui::keys::{Action, Context};

/// State of the rating step.
#[derive(Debug, Default)]
pub struct RatingStep {
    /// The reason input, open after a low rating.
    reason: Option<TextInput>,
    message: Option<String>,
}

impl RatingStep {
    /// Entering the step: the reason input opens again if a low rating still lacks one.
    pub fn enter(&mut self, case: &Case) {
        self.message = None;
        self.reason = None;
        if case.rating.is_some_and(RatingLevel::is_bad) {
            self.reason = Some(TextInput::with_text(case.field(Field::RatingReason)));
        }
    }

    /// The keyboard context: digits choose, unless the reason is being typed.
    pub fn context(&self) -> Context {
        if self.reason.is_some() { Context::Prompt } else { Context::Rating }
    }

    /// Handles a key; `Outcome::Next` means: finish the intake.
    pub fn on_key(
        &mut self,
        case: &Case,
        action: Option<Action>,
        key: KeyEvent,
    ) -> (Outcome, Vec<CaseEvent>) {
        self.message = None;
        if let Some(reason) = &mut self.reason {
            return match action {
                Some(Action::Back) => {
                    self.reason = None;
                    (Outcome::Stay, vec![])
                }
                Some(Action::Open) => {
                    if reason.text().trim().is_empty() {
                        self.message = Some("差评须填写原因，以便回访整改".into());
                        (Outcome::Stay, vec![])
                    } else {
                        (Outcome::Next, vec![])
                    }
                }
                _ => {
                    let before = reason.text().to_string();
                    if reason.handle_key(key) && reason.text() != before {
                        let value = reason.text().to_string();
                        (Outcome::Stay, vec![CaseEvent::FieldSet { field: Field::RatingReason, value }])
                    } else {
                        (Outcome::Stay, vec![])
                    }
                }
            };
        }
        match action {
            Some(Action::Back) => (Outcome::Back, vec![]),
            Some(Action::Choose(n)) => match RatingLevel::from_stars(n) {
                Some(level) => {
                    if level.is_bad() {
                        self.reason = Some(TextInput::with_text(case.field(Field::RatingReason)));
                    }
                    (Outcome::Stay, vec![CaseEvent::Rated { level }])
                }
                None => (Outcome::Stay, vec![]),
            },
            Some(Action::Open) => {
                if case.rating.is_some_and(RatingLevel::is_bad)
                    && case.field(Field::RatingReason).trim().is_empty()
                {
                    self.reason = Some(TextInput::default());
                    self.message = Some("差评须填写原因，以便回访整改".into());
                    return (Outcome::Stay, vec![]);
                }
                (Outcome::Next, vec![])
            }
            _ => (Outcome::Stay, vec![]),
        }
    }

    /// Pasted text goes into the reason.
    pub fn paste(&mut self, text: &str) -> Vec<CaseEvent> {
        match &mut self.reason {
            Some(reason) => {
                reason.insert(text);
                vec![CaseEvent::FieldSet { field: Field::RatingReason, value: reason.text().to_string() }]
            }
            None => vec![],
        }
    }

    /// Draws the scale, the chosen level, the reason and what Enter will do.
    pub fn view(&self, case: &Case, decision: Option<&Decision>, frame: &mut Frame, area: Rect) {
        let [scale, reason, summary] =
            Layout::vertical([Constraint::Length(8), Constraint::Length(3), Constraint::Fill(1)]).areas(area);
        let mut lines =
            vec![Line::styled("请申请人评价本次服务（好差评）", Style::new().bold()), Line::from("")];
        for level in RatingLevel::ALL {
            let chosen = case.rating == Some(level);
            let style = if chosen { Style::new().fg(Color::Yellow).bold() } else { Style::new() };
            lines.push(Line::styled(
                format!("{} {} {}", if chosen { "(*)" } else { "( )" }, level.stars(), level.label()),
                style,
            ));
        }
        frame.render_widget(Paragraph::new(lines), scale);
        if let Some(input) = &self.reason {
            let [label, field] =
                Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(reason);
            frame.render_widget(Span::styled("差评原因：", Style::new().fg(Color::Red)), label);
            input.render(frame, field, Style::new().bg(Color::Indexed(236)), true);
        } else if let Some(level) = case.rating.filter(|l| l.is_bad()) {
            let text = format!("差评原因（{}）：{}", level.label(), case.field(Field::RatingReason));
            frame.render_widget(Line::from(text), reason);
        }
        let mut lines = Vec::new();
        if let Some(message) = &self.message {
            lines.push(Line::styled(message.clone(), Style::new().fg(Color::Yellow)));
        }
        if let Some(decision) = decision {
            lines.push(Line::from(format!("按 Enter 办结：{}，分配案件编号并打印文书。", decision.label())));
        }
        frame.render_widget(Paragraph::new(lines), summary);
    }
}
