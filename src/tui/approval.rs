//! The supervisor's approval at the window (issue #12), the one prompt every exception uses — a
//! credit code with a wrong check character, a 不予受理, a conditional 容缺, a case terminated: the
//! supervisor types their name and PIN, checked offline against the credential HQ sent
//! (`src/store/clerks.rs`); the clerk working the case cannot approve, nor can a clerk who is not a
//! supervisor. The result is one [`CaseEvent::ExceptionApproved`] bound to the exact value shown.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::intake::case::{CaseEvent, Exception};
use crate::store::clerks::ApprovalError;
use crate::tui::text::{layout_safe, wrap};

/// A supervisor's approval being entered for `exception` on exactly `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisorPrompt {
    exception: Exception,
    value: String,
    name: String,
    pin: String,
    on_pin: bool,
    message: Option<String>,
}

/// What a key did to the prompt.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptStep {
    /// Still open.
    Open,
    /// `Esc`: nothing approved.
    Cancelled,
    /// The supervisor's PIN checked: the event to journal.
    Approved(Box<CaseEvent>),
}

impl SupervisorPrompt {
    /// A prompt for `exception` on `value` (the value the approval will be bound to).
    pub fn new(exception: Exception, value: impl Into<String>) -> Self {
        Self {
            exception,
            value: value.into(),
            name: String::new(),
            pin: String::new(),
            on_pin: false,
            message: None,
        }
    }

    /// The exception being approved.
    pub fn exception(&self) -> Exception {
        self.exception
    }

    /// The value the approval will be bound to.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// A key: `Tab` switches name and PIN, `Enter` checks, `Esc` cancels. A PIN is never pasted.
    pub fn on_key(&mut self, key: KeyEvent, now: DateTime<Utc>) -> PromptStep {
        if key.kind == KeyEventKind::Release {
            return PromptStep::Open;
        }
        let typing = if self.on_pin { &mut self.pin } else { &mut self.name };
        match key.code {
            KeyCode::Esc => return PromptStep::Cancelled,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => self.on_pin = !self.on_pin,
            KeyCode::Backspace => {
                typing.pop();
            }
            KeyCode::Char(c)
                if !key.modifiers.contains(KeyModifiers::CONTROL) && typing.chars().count() < 64 =>
            {
                typing.push(c);
            }
            KeyCode::Enter if !self.on_pin => self.on_pin = true,
            KeyCode::Enter => {
                let pin = std::mem::take(&mut self.pin);
                let clerk = crate::store::session_clerk();
                match crate::store::clerks::verify_supervisor(&self.name, &pin, clerk.as_deref()) {
                    Ok(supervisor) => {
                        return PromptStep::Approved(Box::new(CaseEvent::ExceptionApproved {
                            exception: self.exception,
                            value: self.value.clone(),
                            supervisor,
                            at: now,
                        }));
                    }
                    Err(e) => {
                        // Back to what was wrong: the name (not a supervisor, the clerk) or the PIN.
                        if !matches!(e, ApprovalError::WrongPin(_)) {
                            self.name.clear();
                            self.on_pin = false;
                        }
                        self.message = Some(e.to_string());
                    }
                }
            }
            _ => {}
        }
        PromptStep::Open
    }

    /// A box over the bottom of `area`: what is approved (wrapped, never cut), the supervisor's
    /// name and PIN (masked), the last refusal.
    pub fn view(&self, frame: &mut Frame, area: Rect) {
        let width = area.width.saturating_sub(2);
        let head = format!("{}：{}", self.exception.label(), layout_safe(&self.value));
        let mut lines: Vec<Line> = wrap(&head, width.saturating_sub(10), "", "")
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let lead = if i == 0 { "主管放行：" } else { "          " };
                Line::from(vec![Span::styled(lead, Style::new().bold()), Span::raw(l)])
            })
            .collect();
        let cursor = |on: bool| if on { "▏" } else { "" };
        lines.push(Line::from(format!("主管姓名：{}{}", self.name, cursor(!self.on_pin))));
        lines.push(Line::from(format!(
            "主管 PIN：{}{}",
            "*".repeat(self.pin.chars().count()),
            cursor(self.on_pin)
        )));
        let message = self.message.clone().unwrap_or_default();
        lines.extend(
            wrap(&message, width, "", "").into_iter().map(|l| Line::styled(l, Style::new().fg(Color::Red))),
        );
        lines.push(Line::styled("Tab 切换 · Enter 确认 · Esc 取消", Style::new().fg(Color::DarkGray)));
        let height = (lines.len() as u16 + 2).min(area.height);
        let box_area = Rect { y: area.y + area.height - height, height, ..area };
        frame.render_widget(Clear, box_area);
        frame.render_widget(
            Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title("主管授权")),
            box_area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn key(prompt: &mut SupervisorPrompt, code: KeyCode) -> PromptStep {
        prompt.on_key(KeyEvent::new(code, KeyModifiers::NONE), Utc::now())
    }

    fn typed(prompt: &mut SupervisorPrompt, text: &str) {
        for c in text.chars() {
            key(prompt, KeyCode::Char(c));
        }
    }

    /// The prompt drawn at `width`×`height`, as its text without blanks (wide characters leave
    /// blank cells behind them).
    fn screen(prompt: &SupervisorPrompt, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| prompt.view(f, f.area())).unwrap();
        let buffer = terminal.backend().buffer();
        (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| buffer[(x, y)].symbol().to_string())
            .filter(|s| !s.trim().is_empty())
            .collect()
    }

    #[test]
    fn an_unknown_name_is_refused_the_pin_is_masked_and_esc_cancels() {
        let value = "不符合条件：申请人未满十八周岁｜依据：《中华人民共和国行政许可法》第三十二条第一款";
        let mut prompt = SupervisorPrompt::new(Exception::Refusal, value);
        typed(&mut prompt, "无此主管");
        assert_eq!(key(&mut prompt, KeyCode::Enter), PromptStep::Open, "Enter on the name moves to the PIN");
        typed(&mut prompt, "135790");
        let shown = screen(&prompt, 60, 12);
        assert!(shown.contains("主管PIN：******") && !shown.contains("135790"), "{shown}");
        // The value is shown whole, wrapped, never cut: what the supervisor approves is all there.
        assert!(shown.contains("第三十二条第一款"), "{shown}");
        assert_eq!(key(&mut prompt, KeyCode::Enter), PromptStep::Open);
        let refused = screen(&prompt, 60, 12);
        assert!(refused.contains("本窗口没有名为无此主管的主管"), "{refused}");
        assert!(refused.contains("主管姓名：▏"), "back on an empty name: {refused}");
        assert_eq!(key(&mut prompt, KeyCode::Esc), PromptStep::Cancelled);
        assert_eq!((prompt.exception(), prompt.value()), (Exception::Refusal, value));
    }
}
