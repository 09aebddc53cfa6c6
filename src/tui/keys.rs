//! Key bindings as data: every binding of every screen lives in one table, from which key handling,
//! the footer hints and the `?` help are all derived, so they can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The desk's top-level screens, switched with function keys from anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenId {
    /// Guided intake (受理).
    Intake,
    /// Case list (案件).
    Cases,
    /// Handover of results (出件).
    Handover,
    /// Knowledge-base browser (知识库).
    Browser,
}

/// What a key asks for, independent of which key it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the desk.
    Quit,
    /// Show or hide the key list.
    Help,
    /// Switch to a screen.
    Screen(ScreenId),
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
    /// Open the selected entry / confirm / go to the next step.
    Open,
    /// Go back one level (previous step, clear the search, close a pane).
    Back,
    /// Mark the material 合格.
    MarkOk,
    /// Mark the material 有缺陷 (pick the defect).
    MarkDefect,
    /// Mark the material 缺少.
    MarkMissing,
    /// Mark the material 以告知承诺替代 (告知承诺制, where the item and material allow it).
    MarkCommitted,
    /// Clear the material's mark.
    ClearMark,
    /// Toggle the selected situation / option.
    Toggle,
    /// Answer 否 to every situation still unanswered that is neither in a group nor an
    /// eligibility condition answered 否 to refuse (the common case in one key).
    AnswerRestNo,
    /// The applicant agrees (or no longer agrees) to the 容缺 commitment.
    AgreeLenient,
    /// Toggle: the applicant's credit bars 容缺.
    BadCredit,
    /// Record that the applicant is not eligible (不予受理), with a reason.
    NotEligible,
    /// Switch the applicant between person, organisation and (设立 items) organisation to be set up.
    ToggleApplicantKind,
    /// A supervisor overrides a credit-code check warning.
    Override,
    /// Choose option N: a delivery (1 window, 2 mail).
    Choose(u8),
    /// Print the notices again.
    Reprint,
    /// Record a supplement / hand over (on lists).
    Act,
    /// Terminate an overdue 容缺 case.
    Terminate,
    /// Take back the supplement just recorded (until the clerk leaves the case).
    Undo,
    /// Discard the current draft.
    Discard,
    /// Call the back office about the current case (一键呼叫).
    Call,
    /// Fill the item's application form for the applicant (代办).
    Agency,
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
    /// Intake: ticket number (printable keys type).
    Ticket,
    /// Intake: item search (printable keys type).
    ItemSearch,
    /// Intake: material checklist.
    Checklist,
    /// Intake: picking a defect (printable keys type the defect).
    DefectPicker,
    /// A one-line text prompt (reason, supervisor name …).
    Prompt,
    /// A form of text fields (mail address, handover, set-up).
    Form,
    /// The applicant form: a form plus person/organisation and the credit-code override.
    Applicant,
    /// Intake: delivery choice and mail address.
    Delivery,
    /// Intake: the invitation to rate (the applicant rates on their own).
    Rating,
    /// Intake finished.
    Done,
    /// Case list with its search box.
    Cases,
    /// One case's detail.
    CaseDetail,
    /// Checking a supplement's materials (容缺补正 / 退回补正) in a case's detail.
    Supplement,
    /// Handover list.
    Handover,
    /// A yes/no question (another item would drop the marks).
    Confirm,
    /// Approver's console: the lists.
    Console,
    /// Supervisor's console: the center's exceptions (read only).
    ConsoleExceptions,
    /// Approver's console: choosing a decision.
    ConsoleDecide,
    /// Approver's console: ticking materials to correct (other printable keys type the note).
    ConsoleCorrect,
}

impl Context {
    /// Whether printable keys type into a text input here (so no printable key may be bound).
    pub fn types_text(self) -> bool {
        matches!(
            self,
            Self::Ticket
                | Self::ItemSearch
                | Self::DefectPicker
                | Self::Prompt
                | Self::Form
                | Self::Applicant
                | Self::Cases
                | Self::Handover
        )
    }
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

use Context as C;
use KeyCode as K;

/// Every binding of the desk.
pub const BINDINGS: &[Binding] = &[
    bind(C::Global, K::F(1), NONE, Action::Help, "F1", "帮助", true),
    bind(C::Global, K::F(2), NONE, Action::Screen(ScreenId::Intake), "F2", "受理", false),
    bind(C::Global, K::F(3), NONE, Action::Screen(ScreenId::Cases), "F3", "案件", false),
    bind(C::Global, K::F(4), NONE, Action::Screen(ScreenId::Handover), "F4", "出件", false),
    bind(C::Global, K::F(5), NONE, Action::Screen(ScreenId::Browser), "F5", "知识库", false),
    bind(C::Global, K::F(6), NONE, Action::Call, "F6", "呼叫后台", false),
    bind(C::Global, K::F(7), NONE, Action::Agency, "F7", "代办填表", false),
    bind(C::Global, K::F(10), NONE, Action::Quit, "F10", "退出", false),
    bind(C::Global, K::Char('c'), CTRL, Action::Quit, "Ctrl-C", "退出（已录入的内容都已保存）", false),
    // Knowledge-base browser.
    bind(C::BrowserSearch, K::Up, NONE, Action::Up, "Up/Down", "选择事项", true),
    bind(C::BrowserSearch, K::Down, NONE, Action::Down, "Up/Down", "选择事项", false),
    bind(C::BrowserSearch, K::Char('p'), CTRL, Action::Up, "Ctrl-P/N", "选择事项", false),
    bind(C::BrowserSearch, K::Char('n'), CTRL, Action::Down, "Ctrl-P/N", "选择事项", false),
    bind(C::BrowserSearch, K::PageUp, NONE, Action::PageUp, "PgUp/PgDn", "翻页", false),
    bind(C::BrowserSearch, K::PageDown, NONE, Action::PageDown, "PgUp/PgDn", "翻页", false),
    bind(C::BrowserSearch, K::Enter, NONE, Action::Open, "Enter", "查看办事指南", true),
    bind(C::BrowserSearch, K::Tab, NONE, Action::FocusNext, "Tab", "切换到详情", false),
    bind(C::BrowserSearch, K::Esc, NONE, Action::Back, "Esc", "清空搜索/离开", true),
    bind(C::BrowserSearch, K::Char('?'), NONE, Action::Help, "?", "帮助", false),
    bind(C::BrowserDetail, K::Up, NONE, Action::Up, "Up/Down", "滚动", true),
    bind(C::BrowserDetail, K::Down, NONE, Action::Down, "Up/Down", "滚动", false),
    bind(C::BrowserDetail, K::Char('k'), NONE, Action::Up, "j/k", "滚动", false),
    bind(C::BrowserDetail, K::Char('j'), NONE, Action::Down, "j/k", "滚动", false),
    bind(C::BrowserDetail, K::PageUp, NONE, Action::PageUp, "PgUp/PgDn", "翻页", true),
    bind(C::BrowserDetail, K::PageDown, NONE, Action::PageDown, "PgUp/PgDn", "翻页", false),
    bind(C::BrowserDetail, K::Char(' '), NONE, Action::PageDown, "Space", "下一页", false),
    bind(C::BrowserDetail, K::Tab, NONE, Action::FocusNext, "Tab", "回到搜索", false),
    bind(C::BrowserDetail, K::Esc, NONE, Action::Back, "Esc", "回到搜索", true),
    bind(C::BrowserDetail, K::Char('q'), NONE, Action::Back, "q", "离开", true),
    bind(C::BrowserDetail, K::Char('?'), NONE, Action::Help, "?", "帮助", false),
    // Intake: ticket.
    bind(C::Ticket, K::Enter, NONE, Action::Open, "Enter", "开始接待（排队号可不填）", true),
    // Intake: item search.
    bind(C::ItemSearch, K::Up, NONE, Action::Up, "Up/Down", "选择事项", true),
    bind(C::ItemSearch, K::Down, NONE, Action::Down, "Up/Down", "选择事项", false),
    bind(C::ItemSearch, K::PageUp, NONE, Action::PageUp, "PgUp/PgDn", "翻页", false),
    bind(C::ItemSearch, K::PageDown, NONE, Action::PageDown, "PgUp/PgDn", "翻页", false),
    bind(C::ItemSearch, K::Enter, NONE, Action::Open, "Enter", "选定事项", true),
    bind(C::ItemSearch, K::Esc, NONE, Action::Back, "Esc", "上一步", true),
    // Intake: checklist.
    bind(C::Checklist, K::Up, NONE, Action::Up, "Up/Down", "选择", true),
    bind(C::Checklist, K::Down, NONE, Action::Down, "Up/Down", "选择", false),
    bind(C::Checklist, K::Char('1'), NONE, Action::MarkOk, "1", "合格", true),
    bind(C::Checklist, K::Char('2'), NONE, Action::MarkDefect, "2", "有缺陷", true),
    bind(C::Checklist, K::Char('3'), NONE, Action::MarkMissing, "3", "缺少", true),
    bind(C::Checklist, K::Char('4'), NONE, Action::MarkCommitted, "4", "以告知承诺替代", false),
    bind(C::Checklist, K::Char('0'), NONE, Action::ClearMark, "0", "清除标记/回答", false),
    bind(C::Checklist, K::Char(' '), NONE, Action::Toggle, "Space", "情形答是/否", false),
    bind(C::Checklist, K::Char('f'), NONE, Action::AnswerRestNo, "f", "其余情形答否", true),
    bind(C::Checklist, K::Char('y'), NONE, Action::AgreeLenient, "y", "申请人同意容缺承诺", false),
    bind(C::Checklist, K::Char('c'), NONE, Action::BadCredit, "c", "信用记录不良（不得容缺）", false),
    bind(C::Checklist, K::Char('n'), NONE, Action::NotEligible, "n", "不符合条件（不予受理）", false),
    bind(C::Checklist, K::Enter, NONE, Action::Open, "Enter", "下一步", true),
    bind(C::Checklist, K::Esc, NONE, Action::Back, "Esc", "上一步", true),
    bind(C::Checklist, K::Char('?'), NONE, Action::Help, "?", "帮助", false),
    // Defect picker.
    bind(C::DefectPicker, K::Up, NONE, Action::Up, "Up/Down", "选择常见缺陷", true),
    bind(C::DefectPicker, K::Down, NONE, Action::Down, "Up/Down", "选择常见缺陷", false),
    bind(C::DefectPicker, K::Enter, NONE, Action::Open, "Enter", "确定（或输入其他缺陷）", true),
    bind(C::DefectPicker, K::Esc, NONE, Action::Back, "Esc", "取消", true),
    // One-line prompt.
    bind(C::Prompt, K::Enter, NONE, Action::Open, "Enter", "确定", true),
    bind(C::Prompt, K::Esc, NONE, Action::Back, "Esc", "取消", true),
    // Forms.
    bind(C::Form, K::Up, NONE, Action::Up, "Up/Down/Tab", "切换字段", true),
    bind(C::Form, K::Enter, NONE, Action::Open, "Enter", "下一项/完成", true),
    bind(C::Form, K::Down, NONE, Action::Down, "Up/Down/Tab", "切换字段", false),
    bind(C::Form, K::Esc, NONE, Action::Back, "Esc", "返回", true),
    // Applicant form.
    bind(C::Applicant, K::Up, NONE, Action::Up, "Up/Down/Tab", "切换字段", true),
    bind(C::Applicant, K::Down, NONE, Action::Down, "Up/Down/Tab", "切换字段", false),
    bind(C::Applicant, K::Enter, NONE, Action::Open, "Enter", "下一项/完成", true),
    bind(C::Applicant, K::Char('t'), CTRL, Action::ToggleApplicantKind, "Ctrl-T", "个人/单位", true),
    bind(C::Applicant, K::Char('o'), CTRL, Action::Override, "Ctrl-O", "主管放行校验码警告", false),
    bind(C::Applicant, K::Esc, NONE, Action::Back, "Esc", "上一步", true),
    // Delivery.
    bind(C::Delivery, K::Char('1'), NONE, Action::Choose(1), "1", "窗口领取", true),
    bind(C::Delivery, K::Char('2'), NONE, Action::Choose(2), "2", "邮寄送达", true),
    bind(C::Delivery, K::Enter, NONE, Action::Open, "Enter", "下一步", true),
    bind(C::Delivery, K::Esc, NONE, Action::Back, "Esc", "上一步", true),
    bind(C::Delivery, K::Char('?'), NONE, Action::Help, "?", "帮助", false),
    // Rating.
    bind(C::Rating, K::Enter, NONE, Action::Open, "Enter", "办结并打印", true),
    bind(C::Rating, K::Esc, NONE, Action::Back, "Esc", "上一步", true),
    bind(C::Rating, K::Char('?'), NONE, Action::Help, "?", "帮助", false),
    // Done.
    bind(C::Done, K::Enter, NONE, Action::Open, "Enter", "接待下一位", true),
    bind(C::Done, K::Char('p'), NONE, Action::Reprint, "p", "重新打印", true),
    bind(C::Done, K::Char('?'), NONE, Action::Help, "?", "帮助", false),
    // Case list.
    bind(C::Cases, K::Up, NONE, Action::Up, "Up/Down", "选择", true),
    bind(C::Cases, K::Down, NONE, Action::Down, "Up/Down", "选择", false),
    bind(C::Cases, K::Enter, NONE, Action::Open, "Enter", "查看案件", true),
    bind(C::Cases, K::Esc, NONE, Action::Back, "Esc", "清空搜索", true),
    bind(C::CaseDetail, K::Up, NONE, Action::Up, "Up/Down", "选择待补材料", true),
    bind(C::CaseDetail, K::Down, NONE, Action::Down, "Up/Down", "选择待补材料", false),
    bind(C::CaseDetail, K::Char('s'), NONE, Action::Act, "s", "补正收件", true),
    bind(C::CaseDetail, K::Char('u'), NONE, Action::Undo, "u", "撤销刚登记的补正", false),
    bind(C::CaseDetail, K::Char('t'), NONE, Action::Terminate, "t", "逾期终止", true),
    bind(C::CaseDetail, K::Char('p'), NONE, Action::Reprint, "p", "全部重印", true),
    bind(C::CaseDetail, K::Char('1'), NONE, Action::Choose(1), "1-9", "打印单份", true),
    bind(C::CaseDetail, K::Char('2'), NONE, Action::Choose(2), "1-9", "打印单份", false),
    bind(C::CaseDetail, K::Char('3'), NONE, Action::Choose(3), "1-9", "打印单份", false),
    bind(C::CaseDetail, K::Char('4'), NONE, Action::Choose(4), "1-9", "打印单份", false),
    bind(C::CaseDetail, K::Char('5'), NONE, Action::Choose(5), "1-9", "打印单份", false),
    bind(C::CaseDetail, K::Char('6'), NONE, Action::Choose(6), "1-9", "打印单份", false),
    bind(C::CaseDetail, K::Char('7'), NONE, Action::Choose(7), "1-9", "打印单份", false),
    bind(C::CaseDetail, K::Char('8'), NONE, Action::Choose(8), "1-9", "打印单份", false),
    bind(C::CaseDetail, K::Char('9'), NONE, Action::Choose(9), "1-9", "打印单份", false),
    bind(C::CaseDetail, K::PageUp, NONE, Action::PageUp, "PgUp/PgDn", "翻页", true),
    bind(C::CaseDetail, K::PageDown, NONE, Action::PageDown, "PgUp/PgDn", "翻页", false),
    bind(C::CaseDetail, K::Esc, NONE, Action::Back, "Esc", "返回列表", true),
    bind(C::CaseDetail, K::Char('?'), NONE, Action::Help, "?", "帮助", false),
    // Yes/no question.
    bind(C::Confirm, K::Char('y'), NONE, Action::Open, "y", "确定", true),
    bind(C::Confirm, K::Char('n'), NONE, Action::Back, "n/Esc", "取消", true),
    bind(C::Confirm, K::Esc, NONE, Action::Back, "n/Esc", "取消", false),
    // Supplement (补正收件).
    bind(C::Supplement, K::Up, NONE, Action::Up, "Up/Down", "选择材料", true),
    bind(C::Supplement, K::Down, NONE, Action::Down, "Up/Down", "选择材料", false),
    bind(C::Supplement, K::Char('1'), NONE, Action::MarkOk, "1", "合格", true),
    bind(C::Supplement, K::Char('2'), NONE, Action::MarkDefect, "2", "有缺陷", true),
    bind(C::Supplement, K::Char('3'), NONE, Action::MarkMissing, "3", "缺少", true),
    bind(C::Supplement, K::Char('0'), NONE, Action::ClearMark, "0", "清除标记", false),
    bind(C::Supplement, K::Enter, NONE, Action::Open, "Enter", "登记并打印凭证", true),
    bind(C::Supplement, K::Esc, NONE, Action::Back, "Esc", "取消", true),
    bind(C::Supplement, K::Char('?'), NONE, Action::Help, "?", "帮助", false),
    // Handover list.
    bind(C::Handover, K::Up, NONE, Action::Up, "Up/Down", "选择", true),
    bind(C::Handover, K::Down, NONE, Action::Down, "Up/Down", "选择", false),
    bind(C::Handover, K::Enter, NONE, Action::Open, "Enter", "登记出件", true),
    bind(C::Handover, K::Esc, NONE, Action::Back, "Esc", "清空/取消", true),
    // Approver's console.
    bind(C::Console, K::Tab, NONE, Action::FocusNext, "Tab", "切换列表", true),
    bind(C::Console, K::Up, NONE, Action::Up, "Up/Down", "选择", true),
    bind(C::Console, K::Down, NONE, Action::Down, "Up/Down", "选择", false),
    bind(C::Console, K::Enter, NONE, Action::Open, "Enter", "接听/答复/审批", true),
    bind(C::Console, K::Char('1'), NONE, Action::Choose(1), "1-5", "发送常用答复", true),
    bind(C::Console, K::Char('2'), NONE, Action::Choose(2), "1-5", "发送常用答复", false),
    bind(C::Console, K::Char('3'), NONE, Action::Choose(3), "1-5", "发送常用答复", false),
    bind(C::Console, K::Char('4'), NONE, Action::Choose(4), "1-5", "发送常用答复", false),
    bind(C::Console, K::Char('5'), NONE, Action::Choose(5), "1-5", "发送常用答复", false),
    bind(C::Console, K::Char('r'), NONE, Action::Act, "r", "呼叫已解决", true),
    bind(C::Console, K::Char('q'), NONE, Action::Quit, "q", "退出", false),
    bind(C::Console, K::Char('?'), NONE, Action::Help, "?", "帮助", false),
    bind(C::ConsoleExceptions, K::Tab, NONE, Action::FocusNext, "Tab", "切换列表", true),
    bind(C::ConsoleExceptions, K::Up, NONE, Action::Up, "Up/Down", "选择", true),
    bind(C::ConsoleExceptions, K::Down, NONE, Action::Down, "Up/Down", "选择", false),
    bind(C::ConsoleDecide, K::Char('1'), NONE, Action::Choose(1), "1", "准予", true),
    bind(C::ConsoleDecide, K::Char('2'), NONE, Action::Choose(2), "2", "不予", true),
    bind(C::ConsoleDecide, K::Char('3'), NONE, Action::Choose(3), "3", "退回补正", true),
    bind(C::ConsoleDecide, K::Esc, NONE, Action::Back, "Esc", "取消", true),
    bind(C::ConsoleCorrect, K::Up, NONE, Action::Up, "Up/Down", "选择材料", true),
    bind(C::ConsoleCorrect, K::Down, NONE, Action::Down, "Up/Down", "选择材料", false),
    bind(C::ConsoleCorrect, K::Char(' '), NONE, Action::Toggle, "Space", "选中/取消", true),
    bind(C::ConsoleCorrect, K::Enter, NONE, Action::Open, "Enter", "发送", true),
    bind(C::ConsoleCorrect, K::Esc, NONE, Action::Back, "Esc", "取消", true),
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
    let own = BINDINGS.iter().filter(|b| b.context == context);
    for b in own.chain(BINDINGS.iter().filter(|b| b.context == Context::Global)) {
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

    #[test]
    fn no_printable_key_is_bound_where_keys_type_text() {
        for b in BINDINGS.iter().filter(|b| b.context.types_text()) {
            let printable =
                matches!(b.code, KeyCode::Char(_)) && !b.modifiers.contains(KeyModifiers::CONTROL);
            assert!(!printable, "{:?} binds printable {:?}", b.context, b.code);
        }
    }
}
