//! The desk's lock: after a stretch without input (default 10 minutes, `--lock-after MINUTES`) or on
//! `Ctrl+L`, the whole screen is covered (nothing of the applicant stays visible) until the clerk
//! who signed in types the PIN again. The app behind keeps its state, so the draft is where it was.
//! Plain state, no IO: the shell (src/tui/mod.rs) routes keys here while locked.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Minutes without input before the desk locks, when not set.
pub const DEFAULT_LOCK_MINUTES: u32 = 10;

/// Wrong PINs in a row after which the lock waits before it accepts another.
const TRIES: u32 = 5;

/// How long the lock waits after [`TRIES`] wrong PINs.
const BACKOFF_SECS: i64 = 60;

/// The lock of a signed-in desk.
#[derive(Debug, Clone)]
pub struct Lock {
    clerk: String,
    verifier: String,
    after: Duration,
    last_input: DateTime<Utc>,
    locked: bool,
    typed: String,
    message: Option<String>,
    failures: u32,
    wait_until: Option<DateTime<Utc>>,
}

impl Lock {
    /// A lock for `clerk`, whose PIN `verifier` (src/store/clerks.rs) unlocks it; locks after `after`.
    pub fn new(clerk: &str, verifier: &str, after: std::time::Duration, now: DateTime<Utc>) -> Self {
        Self {
            clerk: clerk.to_string(),
            verifier: verifier.to_string(),
            after: Duration::from_std(after).unwrap_or(Duration::minutes(i64::from(DEFAULT_LOCK_MINUTES))),
            last_input: now,
            locked: false,
            typed: String::new(),
            message: None,
            failures: 0,
            wait_until: None,
        }
    }

    /// Whether the screen is locked.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Locks now (`Ctrl+L`, or the inactivity limit).
    pub fn lock(&mut self) {
        self.locked = true;
        self.typed.clear();
        self.message = None;
    }

    /// The clock advanced: locks once the desk has been idle for the limit.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        if !self.locked && now - self.last_input >= self.after {
            self.lock();
        }
    }

    /// The clerk typed or pasted something while unlocked.
    pub fn input(&mut self, now: DateTime<Utc>) {
        self.last_input = now;
    }

    /// A key while locked: digits and letters go into the PIN, `Enter` checks it.
    pub fn key(&mut self, key: KeyEvent, now: DateTime<Utc>) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        match key.code {
            KeyCode::Enter => self.try_unlock(now),
            KeyCode::Backspace => {
                self.typed.pop();
            }
            KeyCode::Esc => self.typed.clear(),
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) && self.typed.len() < 128 => {
                self.typed.push(c);
            }
            _ => {}
        }
    }

    fn try_unlock(&mut self, now: DateTime<Utc>) {
        let pin = std::mem::take(&mut self.typed);
        if let Some(until) = self.wait_until.filter(|u| now < *u) {
            self.message =
                Some(format!("PIN 连续输入错误，请 {} 秒后再试", (until - now).num_seconds().max(1)));
            return;
        }
        match crate::store::clerks::verify_pin(&self.verifier, &pin) {
            Some(true) => {
                self.locked = false;
                self.failures = 0;
                self.wait_until = None;
                self.message = None;
                self.last_input = now;
            }
            Some(false) => {
                self.failures += 1;
                if self.failures >= TRIES {
                    self.failures = 0;
                    self.wait_until = Some(now + Duration::seconds(BACKOFF_SECS));
                    self.message = Some(format!("PIN 连续 {TRIES} 次错误，请 {BACKOFF_SECS} 秒后再试"));
                } else {
                    self.message = Some("PIN 不正确".into());
                }
            }
            None => self.message = Some("工作人员记录已损坏：请重新设置 PIN".into()),
        }
    }

    /// Covers the whole screen with the lock (draws over whatever the app drew).
    pub fn view(&self, frame: &mut Frame) {
        let area = frame.area();
        frame.render_widget(Clear, area);
        let [_, middle, _] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(7), Constraint::Fill(1)]).areas(area);
        let [_, boxed, _] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(44), Constraint::Fill(1)])
                .areas(middle);
        let lines = vec![
            Line::from(format!("窗口已锁定 - {}", super::text::layout_safe(&self.clerk))),
            Line::from(""),
            Line::from(format!("请输入 PIN 解锁：{}", "*".repeat(self.typed.chars().count()))),
            Line::styled(self.message.clone().unwrap_or_default(), Style::new().fg(Color::Red)),
            Line::from("未办完的案件已保存，解锁后继续"),
        ];
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::new().borders(Borders::ALL).border_set(super::widgets::ASCII_BORDER).title("一窗"),
            ),
            boxed,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn at(secs: i64) -> DateTime<Utc> {
        "2026-12-03T01:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::seconds(secs)
    }

    fn typed(lock: &mut Lock, text: &str, now: DateTime<Utc>) {
        for c in text.chars() {
            lock.key(KeyEvent::from(KeyCode::Char(c)), now);
        }
        lock.key(KeyEvent::from(KeyCode::Enter), now);
    }

    fn screen(lock: &Lock) -> String {
        let mut terminal = Terminal::new(TestBackend::new(80, 20)).unwrap();
        terminal
            .draw(|f| {
                f.render_widget(Paragraph::new("申请人张三11010519491231002X"), f.area());
                lock.view(f);
            })
            .unwrap();
        let buffer = terminal.backend().buffer();
        // Wide characters leave a blank cell after them: compare without blanks.
        buffer.content().iter().map(|c| c.symbol()).collect::<String>().replace(' ', "")
    }

    #[test]
    fn locks_after_the_idle_limit_and_only_the_pin_unlocks() {
        let verifier = crate::store::clerks::hash_pin("246810").unwrap();
        let mut lock = Lock::new("王芳", &verifier, std::time::Duration::from_secs(600), at(0));
        lock.tick(at(300));
        lock.input(at(300));
        lock.tick(at(899));
        assert!(!lock.is_locked(), "input restarts the count");
        lock.tick(at(900));
        assert!(lock.is_locked());
        let shown = screen(&lock);
        assert!(shown.contains("窗口已锁定") && !shown.contains("张三"), "the draft is hidden: {shown}");
        typed(&mut lock, "111111", at(901));
        assert!(lock.is_locked());
        assert!(screen(&lock).contains("PIN不正确"));
        for c in "246810".chars() {
            lock.key(KeyEvent::from(KeyCode::Char(c)), at(902));
        }
        assert!(screen(&lock).contains("******") && !screen(&lock).contains("246810"), "the PIN is masked");
        lock.key(KeyEvent::from(KeyCode::Enter), at(903));
        assert!(!lock.is_locked());
        lock.tick(at(1502));
        assert!(!lock.is_locked(), "unlocking counts as input");
        lock.lock();
        assert!(lock.is_locked(), "Ctrl+L locks at once");
    }

    #[test]
    fn five_wrong_pins_make_the_lock_wait() {
        let verifier = crate::store::clerks::hash_pin("246810").unwrap();
        let mut lock = Lock::new("王芳", &verifier, std::time::Duration::from_secs(60), at(0));
        lock.lock();
        for i in 0..5 {
            typed(&mut lock, "000000", at(i));
        }
        typed(&mut lock, "246810", at(10));
        assert!(lock.is_locked(), "the right PIN waits too");
        assert!(screen(&lock).contains("秒后再试"));
        typed(&mut lock, "246810", at(65));
        assert!(!lock.is_locked());
    }
}
