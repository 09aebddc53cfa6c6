//! First run: the desk asks which center and window it is, because both are part of every case
//! number and printed on every notice. Kept in the store's settings afterwards.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::effects::DeskConfig;
use super::form::{Check, Form, FormEvent};
use crate::intake::rules::CenterLevel;

/// The set-up form's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Center,
    CenterName,
    Window,
    Clerk,
}

/// State of the set-up screen.
#[derive(Debug)]
pub struct Setup {
    form: Form<Key>,
    level: CenterLevel,
}

/// Ids go into case numbers and file names: ASCII letters, digits, at most `max` characters.
fn check_id(value: &str, what: &str, max: usize) -> Check {
    let value = value.trim();
    if value.is_empty() {
        Check::error(format!("请填写{what}"))
    } else if value.len() > max || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        Check::error(format!("{what}只能是英文字母和数字，最多 {max} 位"))
    } else {
        Check::ok()
    }
}

fn check(key: Key, value: &str) -> Check {
    match key {
        Key::Center => check_id(value, "中心编码", 12),
        Key::Window => check_id(value, "窗口号", 4),
        Key::CenterName if value.trim().is_empty() => Check::error("请填写中心名称（打印在文书上）"),
        Key::CenterName | Key::Clerk => Check::ok(),
    }
}

impl Setup {
    /// The form, prefilled from a partial configuration.
    pub fn new(config: Option<&DeskConfig>) -> Self {
        let get = |f: fn(&DeskConfig) -> &str| config.map(f).unwrap_or_default().to_string();
        let mut form = Form::new([
            (Key::Center, "中心编码", get(|c| &c.center)),
            (Key::CenterName, "中心名称", get(|c| &c.center_name)),
            (Key::Window, "窗口号", get(|c| &c.window)),
            (Key::Clerk, "窗口人员", get(|c| &c.clerk)),
        ]);
        form.validate(check);
        Self { form, level: config.map(|c| c.level).unwrap_or_default() }
    }

    /// Handles a key; the configuration once the form is complete.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<DeskConfig> {
        let event = self.form.on_key(key);
        self.form.validate(check);
        (event == FormEvent::Submit).then(|| self.config())
    }

    /// Pasted text goes into the focused field.
    pub fn paste(&mut self, text: &str) {
        self.form.paste(text);
        self.form.validate(check);
    }

    fn config(&self) -> DeskConfig {
        DeskConfig {
            center: self.form.value(Key::Center).trim().to_uppercase(),
            center_name: self.form.value(Key::CenterName).trim().to_string(),
            window: self.form.value(Key::Window).trim().to_uppercase(),
            level: self.level,
            clerk: self.form.value(Key::Clerk).trim().to_string(),
            lookup_url: None,
        }
    }

    /// Draws the form with an explanation.
    pub fn view(&self, frame: &mut Frame, area: Rect) {
        let [text, form] = Layout::vertical([Constraint::Length(4), Constraint::Fill(1)]).areas(area);
        let lines = vec![
            Line::styled(" 首次使用：请设置本窗口", Style::new().bold()),
            Line::from(
                " 中心编码和窗口号是案件编号的一部分（如 HRBDL-05-20261128-0001），设置后保存在本机。",
            ),
            Line::styled(" Enter 下一项，最后一项按 Enter 完成。", Style::new().fg(Color::DarkGray)),
        ];
        frame.render_widget(Paragraph::new(lines), text);
        self.form.render(frame, Rect { x: form.x + 1, width: form.width.saturating_sub(1), ..form }, true);
    }
}
