//! Key bindings as data: every binding of every screen lives in one table, from which key handling,
//! the footer hints and the `?` help are all derived, so they can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for, independent of which key it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the desk.
    Quit,
    /// Show or hide the key list.
    Help,
    /// Previous entry / scroll up.
    Up,
    /// Next entry / scroll down.
    Down,
    /// One page up.
    PageUp,
    /// One page down.
    PageDown,
    /// Move focus to the next pane.
    FocusNext,
    /// Open the selected entry.
    Open,
    /// Go back one level (clear the search, close a pane).
    Back,
}

/// Where a key was pressed: decides which table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Anywhere.
    Global,
    /// The KB browser with the search box focused (printable keys type).
    BrowserSearch,
    /// The KB browser with the item detail focused.
    BrowserDetail,
}

/// One key binding with the text shown in the footer and help.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Context it applies in.
    pub context: Context,
    /// The key.
    pub code: KeyCode,
    /// Required modifiers.
    pub modifiers: KeyModifiers,
    /// What it does.
    pub action: Action,
    /// The key as written in hints (ASCII only: ambiguous-width arrows stay out of the layout).
    pub key_label: &'static str,
    /// What it does, in Chinese.
    pub label: &'static str,
    /// Shown in the footer (others only in help).
    pub in_footer: bool,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn bind(
    context: Context,
    code: KeyCode,
    modifiers: KeyModifiers,
    action: Action,
    key_label: &'static str,
    label: &'static str,
    in_footer: bool,
) -> Binding {
    Binding { context, code, modifiers, action, key_label, label, in_footer }
}

/// Every binding of the desk.
pub const BINDINGS: &[Binding] = &[
    bind(Context::Global, KeyCode::Char('c'), CTRL, Action::Quit, "Ctrl-C", "退出", false),
    bind(Context::Global, KeyCode::Char('?'), NONE, Action::Help, "?", "帮助", true),
    bind(Context::Global, KeyCode::F(1), NONE, Action::Help, "F1", "帮助", false),
    bind(Context::BrowserSearch, KeyCode::Up, NONE, Action::Up, "Up/Down", "选择事项", true),
    bind(Context::BrowserSearch, KeyCode::Down, NONE, Action::Down, "Up/Down", "选择事项", false),
    bind(Context::BrowserSearch, KeyCode::Char('p'), CTRL, Action::Up, "Ctrl-P/N", "选择事项", false),
    bind(Context::BrowserSearch, KeyCode::Char('n'), CTRL, Action::Down, "Ctrl-P/N", "选择事项", false),
    bind(Context::BrowserSearch, KeyCode::PageUp, NONE, Action::PageUp, "PgUp/PgDn", "翻页", false),
    bind(Context::BrowserSearch, KeyCode::PageDown, NONE, Action::PageDown, "PgUp/PgDn", "翻页", false),
    bind(Context::BrowserSearch, KeyCode::Enter, NONE, Action::Open, "Enter", "查看办事指南", true),
    bind(Context::BrowserSearch, KeyCode::Tab, NONE, Action::FocusNext, "Tab", "切换到详情", false),
    bind(Context::BrowserSearch, KeyCode::Esc, NONE, Action::Back, "Esc", "清空搜索/退出", true),
    bind(Context::BrowserDetail, KeyCode::Up, NONE, Action::Up, "Up/Down", "滚动", true),
    bind(Context::BrowserDetail, KeyCode::Down, NONE, Action::Down, "Up/Down", "滚动", false),
    bind(Context::BrowserDetail, KeyCode::Char('k'), NONE, Action::Up, "j/k", "滚动", false),
    bind(Context::BrowserDetail, KeyCode::Char('j'), NONE, Action::Down, "j/k", "滚动", false),
    bind(Context::BrowserDetail, KeyCode::PageUp, NONE, Action::PageUp, "PgUp/PgDn", "翻页", true),
    bind(Context::BrowserDetail, KeyCode::PageDown, NONE, Action::PageDown, "PgUp/PgDn", "翻页", false),
    bind(Context::BrowserDetail, KeyCode::Char(' '), NONE, Action::PageDown, "Space", "下一页", false),
    bind(Context::BrowserDetail, KeyCode::Tab, NONE, Action::FocusNext, "Tab", "回到搜索", false),
    bind(Context::BrowserDetail, KeyCode::Esc, NONE, Action::Back, "Esc", "回到搜索", true),
    bind(Context::BrowserDetail, KeyCode::Char('q'), NONE, Action::Quit, "q", "退出", true),
];

/// The action bound to `key` in `context`, falling back to the global bindings.
pub fn action(context: Context, key: KeyEvent) -> Option<Action> {
    let matches = |b: &&Binding| {
        b.code == key.code
            && (b.modifiers == key.modifiers || (b.modifiers == NONE && key.modifiers == KeyModifiers::SHIFT))
    };
    BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .find(matches)
        .or_else(|| BINDINGS.iter().filter(|b| b.context == Context::Global).find(matches))
        .map(|b| b.action)
}

/// Footer hints of a context, one per distinct key label, in table order (global ones last).
pub fn footer(context: Context) -> Vec<(&'static str, &'static str)> {
    let mut hints: Vec<(&str, &str)> = Vec::new();
    for b in BINDINGS.iter().filter(|b| b.in_footer && b.context == context) {
        if !hints.iter().any(|(k, _)| *k == b.key_label) {
            hints.push((b.key_label, b.label));
        }
    }
    hints.extend(
        BINDINGS
            .iter()
            .filter(|b| b.in_footer && b.context == Context::Global)
            .map(|b| (b.key_label, b.label)),
    );
    hints
}

/// All bindings of a context for the help overlay, deduplicated by key label.
pub fn help(context: Context) -> Vec<(&'static str, &'static str)> {
    let mut rows: Vec<(&str, &str)> = Vec::new();
    for b in BINDINGS.iter().filter(|b| b.context == context || b.context == Context::Global) {
        if !rows.iter().any(|(k, _)| *k == b.key_label) {
            rows.push((b.key_label, b.label));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn labels_have_no_ambiguous_width_characters() {
        for b in BINDINGS {
            assert_eq!(b.key_label.width(), b.key_label.width_cjk(), "{}", b.key_label);
            assert_eq!(b.label.width(), b.label.width_cjk(), "{}", b.label);
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                assert!(
                    !(a.context == b.context && a.code == b.code && a.modifiers == b.modifiers),
                    "{:?} {:?} bound twice",
                    a.context,
                    a.code
                );
            }
        }
    }

    #[test]
    fn question_mark_typed_with_shift_opens_help() {
        let key = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(action(Context::BrowserDetail, key), Some(Action::Help));
    }
}
