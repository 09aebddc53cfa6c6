//! Intake step 3: the material checklist. One row per situation (yes/no) and per applicable material;
//! the clerk marks each material 合格 / 有缺陷 (picking the defect) / 缺少 while the decision the
//! rules give is shown live beside the list.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Ctx, Outcome};
use crate::intake::case::{Case, CaseEvent, Field};
use crate::intake::rules::{Decision, MaterialState, Outcome as RuleOutcome, RejectReason, answer, applies};
use crate::kb::conditions::group_of;
use crate::kb::model::Necessity;
use crate::kb::{Item, Material};
use crate::tui::approval::{PromptStep, SupervisorPrompt};
use crate::tui::input::TextInput;
use crate::tui::keys::{Action, Context};
use crate::tui::text::{layout_safe, wrap};
use crate::tui::widgets::{self, ASCII_BORDER, centered, clear_popup};

/// A row of the checklist.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Row<'a> {
    /// A yes/no situation.
    Situation(&'a crate::kb::model::Situation),
    /// A material that applies to this application.
    Material(&'a Material),
}

/// The defect picker of the selected material.
#[derive(Debug, Default)]
struct Picker {
    /// The material whose defect is being picked.
    material: String,
    /// Its state when the picker opened: Esc puts it back.
    before: Option<MaterialState>,
    /// Index into the typical defects; `defects` = the free-text line.
    choice: usize,
    /// How many typical defects the material lists.
    defects: usize,
    /// The free-text defect, journaled as typed (a crash never loses it).
    other: TextInput,
    /// Whether typed text has been journaled (Esc then restores `before`).
    typed: bool,
}

impl Picker {
    /// The typed defect as an event to journal at once.
    fn typed_event(&mut self) -> Vec<CaseEvent> {
        let text = self.other.text().trim().to_string();
        self.typed = true;
        let state = if text.is_empty() { self.before.clone() } else { Some(MaterialState::Defect { text }) };
        vec![CaseEvent::MaterialMarked { id: self.material.clone(), state }]
    }
}

/// The reason typed for 不予受理, journaled as typed.
#[derive(Debug)]
struct ReasonPrompt {
    input: TextInput,
    /// The reason recorded when the prompt opened: Esc puts it back.
    before: String,
}

impl ReasonPrompt {
    fn typed_event(&self) -> Vec<CaseEvent> {
        vec![CaseEvent::FieldSet { field: Field::IneligibleReason, value: self.input.text().to_string() }]
    }
}

/// State of the checklist step.
#[derive(Debug, Default)]
pub struct ChecklistStep {
    row: usize,
    picker: Option<Picker>,
    /// Reason being typed for 不予受理.
    reason: Option<ReasonPrompt>,
    /// A hint after a refused Enter.
    message: Option<String>,
    /// A supervisor approving the decision (不予受理, conditional 容缺) before the clerk moves on.
    supervisor: Option<SupervisorPrompt>,
}

fn rows<'a>(item: &'a Item, case: &Case, level: crate::intake::CenterLevel) -> Vec<Row<'a>> {
    let app = case.application(item, level);
    item.situations
        .iter()
        .map(Row::Situation)
        .chain(item.materials.iter().filter(|m| applies(item, m, &app)).map(Row::Material))
        .collect()
}

/// The answer shown for a situation: the clerk's, or 否 implied by a group; `None` = 未答.
fn shown_answer(item: &Item, case: &Case, level: crate::intake::CenterLevel, id: &str) -> Option<bool> {
    answer(item, &case.application(item, level), id)
}

/// The row to work on next: the first unanswered situation, else the first material still to
/// check, else the first material.
fn next_row(item: &Item, case: &Case, level: crate::intake::CenterLevel) -> Option<usize> {
    let rows = rows(item, case, level);
    let unanswered =
        |r: &Row| matches!(r, Row::Situation(s) if shown_answer(item, case, level, &s.id).is_none());
    let unmarked =
        |r: &Row| matches!(r, Row::Material(m) if !m.shared_data && !case.materials.contains_key(&m.id));
    let first_material = rows.iter().position(|r| matches!(r, Row::Material(_)));
    rows.iter().position(unanswered).or_else(|| rows.iter().position(unmarked)).or(first_material)
}

/// Events answering situation `id`: an answer 是 in an exclusive group also takes back any other
/// 是 of the group (its members then read 否), so the answers never contradict the group.
fn answer_events(item: &Item, case: &Case, id: &str, holds: bool) -> Vec<CaseEvent> {
    let mut events = vec![CaseEvent::SituationSet { id: id.to_string(), holds }];
    if holds && let Some(group) = group_of(item, id).filter(|g| g.rule.exclusive()) {
        for other in group.situations.iter().filter(|s| *s != id && case.holds(s)) {
            events.push(CaseEvent::SituationSet { id: other.clone(), holds: false });
        }
    }
    events
}

/// Events of the one-key answer: 否 to every situation still unanswered that is in no group and
/// is not an eligibility condition whose 否 refuses the applicant.
fn rest_no_events(item: &Item, case: &Case, level: crate::intake::CenterLevel) -> Vec<CaseEvent> {
    item.situations
        .iter()
        .filter(|s| shown_answer(item, case, level, &s.id).is_none())
        .filter(|s| group_of(item, &s.id).is_none() && s.ineligible_if != Some(false))
        .map(|s| CaseEvent::SituationSet { id: s.id.clone(), holds: false })
        .collect()
}

impl ChecklistStep {
    /// Entering the step starts on the first situation still unanswered, else on the first
    /// material still to check.
    pub fn enter(&mut self, ctx: &Ctx, item: Option<&Item>, case: &Case) {
        if let Some(i) = item.and_then(|item| next_row(item, case, ctx.config.level)) {
            self.row = i;
        }
        self.picker = None;
        self.reason = None;
        self.message = None;
        self.supervisor = None;
    }

    /// The keyboard context.
    pub fn context(&self) -> Context {
        if self.picker.is_some() {
            Context::DefectPicker
        } else if self.reason.is_some() || self.supervisor.is_some() {
            Context::Prompt
        } else {
            Context::Checklist
        }
    }

    /// Pasted text goes into the open text input, journaled like typed text.
    pub fn paste(&mut self, text: &str) -> Vec<CaseEvent> {
        if let Some(p) = &mut self.picker {
            // Pasted text is typed text: it goes to the 其他 line and selects it.
            p.other.insert(text);
            p.choice = p.defects;
            p.typed_event()
        } else if let Some(r) = &mut self.reason {
            r.input.insert(text);
            r.typed_event()
        } else {
            vec![]
        }
    }

    /// Handles a key; returns the events to record.
    pub fn on_key(
        &mut self,
        ctx: &Ctx,
        item: &Item,
        case: &Case,
        action: Option<Action>,
        key: KeyEvent,
    ) -> (Outcome, Vec<CaseEvent>) {
        let rows = rows(item, case, ctx.config.level);
        self.row = self.row.min(rows.len().saturating_sub(1));
        self.message = None;
        if let Some(prompt) = &mut self.supervisor {
            return match prompt.on_key(key, ctx.now) {
                PromptStep::Open => (Outcome::Stay, vec![]),
                PromptStep::Cancelled => {
                    self.supervisor = None;
                    self.message = Some("未经主管审批，不能继续；可修改决定或再按 Enter 请主管审批".into());
                    (Outcome::Stay, vec![])
                }
                // Approved: the decision is final as it stands and the intake goes on at once.
                PromptStep::Approved(event) => {
                    self.supervisor = None;
                    (Outcome::Next, vec![*event])
                }
            };
        }
        if let Some(picker) = &mut self.picker {
            let Some(Row::Material(m)) = rows.get(self.row) else {
                self.picker = None;
                return (Outcome::Stay, vec![]);
            };
            match action {
                Some(Action::Up) => picker.choice = picker.choice.saturating_sub(1),
                Some(Action::Down) => picker.choice = (picker.choice + 1).min(m.defects.len()),
                Some(Action::Back) => {
                    // Cancelled: the material's state goes back to what it was.
                    let restore = picker.typed.then(|| CaseEvent::MaterialMarked {
                        id: picker.material.clone(),
                        state: picker.before.clone(),
                    });
                    self.picker = None;
                    return (Outcome::Stay, restore.into_iter().collect());
                }
                Some(Action::Open) => {
                    let text = match m.defects.get(picker.choice) {
                        Some(d) => d.text.clone(),
                        None => picker.other.text().trim().to_string(),
                    };
                    if text.is_empty() {
                        self.message = Some("请选择常见缺陷，或在「其他」一行输入缺陷".into());
                        return (Outcome::Stay, vec![]);
                    }
                    self.picker = None;
                    let event = CaseEvent::MaterialMarked {
                        id: m.id.clone(),
                        state: Some(MaterialState::Defect { text }),
                    };
                    self.advance(rows.len());
                    return (Outcome::Stay, vec![event]);
                }
                _ => {
                    let before = picker.other.text().to_string();
                    if picker.other.handle_key(key) {
                        picker.choice = m.defects.len();
                        if picker.other.text() != before {
                            return (Outcome::Stay, picker.typed_event());
                        }
                    }
                }
            }
            return (Outcome::Stay, vec![]);
        }
        if let Some(reason) = &mut self.reason {
            match action {
                Some(Action::Back) => {
                    let value = reason.before.clone();
                    self.reason = None;
                    return (
                        Outcome::Stay,
                        vec![CaseEvent::FieldSet { field: Field::IneligibleReason, value }],
                    );
                }
                Some(Action::Open) => {
                    let value = reason.input.text().trim().to_string();
                    self.reason = None;
                    return (
                        Outcome::Stay,
                        vec![CaseEvent::FieldSet { field: Field::IneligibleReason, value }],
                    );
                }
                _ => {
                    let before = reason.input.text().to_string();
                    if reason.input.handle_key(key) && reason.input.text() != before {
                        return (Outcome::Stay, reason.typed_event());
                    }
                }
            }
            return (Outcome::Stay, vec![]);
        }
        let current = rows.get(self.row).copied();
        let mark = |state: Option<MaterialState>| match current {
            Some(Row::Material(m)) => vec![CaseEvent::MaterialMarked { id: m.id.clone(), state }],
            _ => vec![],
        };
        let events = match action {
            Some(Action::Up) => {
                self.row = self.row.saturating_sub(1);
                vec![]
            }
            Some(Action::Down) => {
                self.advance(rows.len());
                vec![]
            }
            Some(Action::MarkOk) => {
                let e = mark(Some(MaterialState::Ok));
                self.advance(rows.len());
                e
            }
            Some(Action::MarkMissing) => {
                let e = mark(Some(MaterialState::Missing));
                self.advance(rows.len());
                e
            }
            Some(Action::MarkCommitted) => match current {
                Some(Row::Material(m)) if crate::intake::rules::commitment_allowed(item, m) => {
                    let e = mark(Some(MaterialState::Committed));
                    self.advance(rows.len());
                    e
                }
                Some(Row::Material(m)) => {
                    self.message = Some(format!("{}不在本事项的告知承诺清单内，不能以承诺替代", m.name));
                    vec![]
                }
                _ => vec![],
            },
            Some(Action::ClearMark) => match current {
                Some(Row::Situation(s)) => vec![CaseEvent::SituationCleared { id: s.id.clone() }],
                _ => mark(None),
            },
            Some(Action::MarkDefect) => {
                if let Some(Row::Material(m)) = current {
                    let choice = match case.materials.get(&m.id) {
                        Some(MaterialState::Defect { text }) => {
                            m.defects.iter().position(|d| d.text == *text)
                        }
                        _ => None,
                    };
                    let mut picker = Picker {
                        material: m.id.clone(),
                        before: case.materials.get(&m.id).cloned(),
                        choice: choice.unwrap_or(0),
                        defects: m.defects.len(),
                        other: TextInput::default(),
                        typed: false,
                    };
                    if let (None, Some(MaterialState::Defect { text })) = (choice, case.materials.get(&m.id))
                    {
                        picker.other = TextInput::with_text(text);
                        picker.choice = m.defects.len();
                    }
                    self.picker = Some(picker);
                }
                vec![]
            }
            Some(Action::Toggle) => match current {
                // 未答 -> 是 -> 否 -> 是; `0` takes an answer back.
                Some(Row::Situation(s)) => {
                    let now = shown_answer(item, case, ctx.config.level, &s.id);
                    answer_events(item, case, &s.id, now != Some(true))
                }
                _ => vec![],
            },
            Some(Action::AnswerRestNo) => {
                let events = rest_no_events(item, case, ctx.config.level);
                if events.is_empty() {
                    self.message = Some("没有可一键答否的情形：分组情形和资格条件请逐项按 Space 回答".into());
                } else {
                    // The cursor moves on to what is left: a group question or the materials.
                    let mut after = case.clone();
                    for e in &events {
                        after.apply(e);
                    }
                    if let Some(i) = next_row(item, &after, ctx.config.level) {
                        self.row = i;
                    }
                }
                events
            }
            Some(Action::AgreeLenient) => {
                vec![CaseEvent::CommitmentAgreed { agrees: !case.agrees_to_commitment }]
            }
            Some(Action::BadCredit) => vec![CaseEvent::BadCreditSet { bad: !case.bad_credit }],
            Some(Action::NotEligible) => {
                let before = case.field(Field::IneligibleReason).to_string();
                self.reason = Some(ReasonPrompt { input: TextInput::with_text(&before), before });
                vec![]
            }
            Some(Action::Back) => return (Outcome::Back, vec![]),
            Some(Action::Open) => {
                let unmarked = rows
                    .iter()
                    .position(|r| matches!(r, Row::Material(m) if !m.shared_data && !case.materials.contains_key(&m.id)));
                let outcome = crate::intake::decide(
                    item,
                    &case.application(item, ctx.config.level),
                    crate::time::hall_date(ctx.now),
                    &ctx.kb.calendar,
                );
                if let RuleOutcome::Unanswered { questions } = &outcome {
                    // The first open question: its situation, or the first member of its group.
                    let first = questions.first().map(|q| {
                        item.groups
                            .iter()
                            .find(|g| g.id == q.id)
                            .and_then(|g| g.situations.first().cloned())
                            .unwrap_or_else(|| q.id.clone())
                    });
                    if let Some(i) = rows
                        .iter()
                        .position(|r| matches!(r, Row::Situation(s) if Some(&s.id) == first.as_ref()))
                    {
                        self.row = i;
                    }
                    self.message =
                        Some(format!("还有 {} 个情形未回答：Space 答是/否，f 其余答否", questions.len()));
                    return (Outcome::Stay, vec![]);
                }
                let rejected = matches!(outcome, RuleOutcome::Decided { decision: Decision::Reject { .. } });
                match unmarked {
                    Some(i) if !rejected => {
                        self.row = i;
                        self.message =
                            Some("还有材料未核验：请逐项标记 合格(1) / 有缺陷(2) / 缺少(3)".into());
                        vec![]
                    }
                    _ => {
                        // A 不予受理 or a conditional 容缺 is final only with a supervisor's approval of
                        // exactly this decision (drills excepted: the trainee's decision is scored).
                        let unapproved =
                            outcome.decision().and_then(|d| case.unapproved(item, d)).filter(|_| !ctx.drill);
                        if let Some((exception, value)) = unapproved {
                            self.supervisor = Some(SupervisorPrompt::new(exception, value));
                            return (Outcome::Stay, vec![]);
                        }
                        return (Outcome::Next, vec![]);
                    }
                }
            }
            _ => vec![],
        };
        (Outcome::Stay, events)
    }

    /// Opens the supervisor's approval of `exception` on `value` (a decision reached the end of
    /// the intake unapproved).
    pub fn ask_supervisor(&mut self, exception: crate::intake::case::Exception, value: String) {
        self.supervisor = Some(SupervisorPrompt::new(exception, value));
    }

    fn advance(&mut self, len: usize) {
        self.row = (self.row + 1).min(len.saturating_sub(1));
    }

    /// Draws the checklist, the selected material's standard and the live decision.
    pub fn view(
        &self,
        ctx: &Ctx,
        item: &Item,
        case: &Case,
        outcome: Option<&RuleOutcome>,
        frame: &mut Frame,
        area: Rect,
    ) {
        let rows = rows(item, case, ctx.config.level);
        let row = self.row.min(rows.len().saturating_sub(1));
        let wide = area.width >= 100;
        let message = self.message.as_deref().map(|m| wrap(m, area.width, "", "")).unwrap_or_default();
        let message_rows = message.len().min(2) as u16;
        let (list_area, message_area, decision_area, right) = if wide {
            let [l, r] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).spacing(2).areas(area);
            let [list, message, decision] = Layout::vertical([
                Constraint::Fill(1),
                Constraint::Length(message_rows),
                Constraint::Length(10),
            ])
            .areas(l);
            (list, message, decision, r)
        } else {
            // Narrow terminals (80x24): the list takes what it needs up to two fifths of the
            // height (the rest scrolls, and says so), then the decision in four rows, and the
            // selected row's standard gets everything else.
            let list_rows = (rows.len() as u16).min((area.height * 2 / 5).max(4));
            let [list, message, decision, standard] = Layout::vertical([
                Constraint::Length(list_rows),
                Constraint::Length(message_rows),
                Constraint::Length(4),
                Constraint::Fill(1),
            ])
            .areas(area);
            (list, message, decision, standard)
        };
        let mut lines = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let selected = i == row;
            let marker = if selected { "> " } else { "  " };
            let line = match r {
                Row::Situation(s) => {
                    let (text, color) = match shown_answer(item, case, ctx.config.level, &s.id) {
                        Some(true) => ("[是]   ", Color::Cyan),
                        Some(false) => ("[否]   ", Color::Cyan),
                        None => ("[未答] ", Color::Yellow),
                    };
                    let mut spans = vec![
                        Span::raw(marker),
                        Span::styled(text, Style::new().fg(color)),
                        Span::raw(layout_safe(&s.label).into_owned()),
                    ];
                    if let Some(g) = group_of(item, &s.id) {
                        spans.push(Span::styled(
                            format!(" {}:{}", layout_safe(&g.label), g.rule.label()),
                            Style::new().fg(Color::DarkGray),
                        ));
                    }
                    if s.ineligible_if.is_some() {
                        spans.push(Span::styled(" 资格条件", Style::new().fg(Color::Magenta)));
                    }
                    Line::from(spans)
                }
                Row::Material(m) => {
                    let (label, color) = match (case.materials.get(&m.id), m.shared_data) {
                        (Some(MaterialState::Ok), _) => ("合格  ".to_string(), Color::Green),
                        (Some(MaterialState::Defect { .. }), _) => ("有缺陷".to_string(), Color::Yellow),
                        (Some(MaterialState::Missing), _) => ("缺少  ".to_string(), Color::Red),
                        (Some(MaterialState::Committed), _) => ("承诺  ".to_string(), Color::Cyan),
                        (None, true) => ("共享  ".to_string(), Color::Green),
                        (None, false) => ("待核验".to_string(), Color::DarkGray),
                    };
                    let mut spans = vec![
                        Span::raw(marker),
                        Span::styled(format!("[{label}] "), Style::new().fg(color)),
                        Span::raw(layout_safe(&m.name).into_owned()),
                    ];
                    if m.key {
                        spans.push(Span::styled(" 核心", Style::new().fg(Color::Magenta)));
                    }
                    if m.lenient {
                        let tag =
                            if m.lenient_condition.is_some() { " 附条件可容缺" } else { " 可容缺" };
                        spans.push(Span::styled(tag, Style::new().fg(Color::Cyan)));
                    }
                    if crate::intake::rules::commitment_allowed(item, m) {
                        spans.push(Span::styled(" 可告知承诺", Style::new().fg(Color::Cyan)));
                    }
                    if let Some(MaterialState::Defect { text }) = case.materials.get(&m.id) {
                        spans.push(Span::styled(
                            format!(" ({})", layout_safe(text)),
                            Style::new().fg(Color::Yellow),
                        ));
                    }
                    Line::from(spans)
                }
            };
            lines.push(if selected { line.style(Style::new().bg(Color::Indexed(236))) } else { line });
        }
        widgets::scrolled_list(frame, list_area, lines, row);
        let message: Vec<Line> =
            message.into_iter().map(|l| Line::styled(l, Style::new().fg(Color::Yellow))).collect();
        frame.render_widget(Paragraph::new(message), message_area);
        view_decision(outcome, item, case, &ctx.kb.calendar, frame, decision_area);
        self.view_standard(item, rows.get(row), frame, right, !wide);
        self.view_popups(rows.get(row), frame, area);
    }

    fn view_standard(&self, item: &Item, row: Option<&Row>, frame: &mut Frame, area: Rect, narrow: bool) {
        if let Some(Row::Material(m)) = row {
            return view_material_standard(item, m, frame, area, narrow);
        }
        let width = area.width;
        let mut lines = Vec::new();
        let mut push = |text: &str, first: &str, rest: &str, style: Style| {
            lines.extend(wrap(text, width, first, rest).into_iter().map(|l| Line::styled(l, style)));
        };
        match row {
            Some(Row::Material(_)) => {}
            Some(Row::Situation(s)) => {
                push(&s.label, "", "", Style::new().bold().fg(Color::Yellow));
                push(
                    "请询问申请人后回答：Space 答是/否，0 撤回回答，f 其余情形答否。未回答前不能受理；情形必要的材料随回答出现或消失。",
                    "",
                    "",
                    Style::new(),
                );
                if let Some(g) = group_of(item, &s.id) {
                    let names: Vec<&str> = g
                        .situations
                        .iter()
                        .filter_map(|id| item.situations.iter().find(|x| &x.id == id))
                        .map(|x| x.label.as_str())
                        .collect();
                    push(
                        &format!("{}（{}）：{}", g.label, g.rule.label(), names.join(" / ")),
                        "",
                        "",
                        Style::new().fg(Color::Cyan),
                    );
                    if g.rule.exclusive() {
                        push("答「是」时，同组其他情形自动为「否」。", "", "", Style::new());
                    }
                }
                if let Some(bad) = s.ineligible_if {
                    push(
                        &format!(
                            "资格条件：回答「{}」即不符合申请条件，不予受理。",
                            if bad { "是" } else { "否" }
                        ),
                        "",
                        "",
                        Style::new().fg(Color::Magenta),
                    );
                    if !s.basis.is_empty() {
                        push(&format!("依据：{}", s.basis.join("；")), "", "", Style::new());
                    }
                }
            }
            None => {}
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn view_popups(&self, row: Option<&Row>, frame: &mut Frame, area: Rect) {
        if let (Some(picker), Some(Row::Material(m))) = (&self.picker, row) {
            let height = (m.defects.len() as u16 + 5).min(area.height);
            let popup = centered(area, 60, height);
            clear_popup(frame, popup);
            let block = Block::new().borders(Borders::ALL).border_set(ASCII_BORDER).title(" 选择缺陷 ");
            let inner = block.inner(popup);
            frame.render_widget(block, popup);
            let mut lines: Vec<Line> = m
                .defects
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let fix = if d.correctable { "（可当场更正）" } else { "" };
                    let line = Line::from(format!(
                        "{}{}{fix}",
                        if i == picker.choice { "> " } else { "  " },
                        layout_safe(&d.text)
                    ));
                    if i == picker.choice { line.style(Style::new().bg(Color::Blue)) } else { line }
                })
                .collect();
            let other_selected = picker.choice == m.defects.len();
            lines.push(Line::from(if other_selected { "> 其他：" } else { "  其他：" }));
            frame.render_widget(Paragraph::new(lines), inner);
            let y = inner.y + m.defects.len() as u16;
            if y < inner.bottom() {
                let input = Rect::new(inner.x + 8, y, inner.width.saturating_sub(8), 1);
                picker.other.render(frame, input, Style::new().bg(Color::Indexed(236)), true);
            }
        }
        if let Some(prompt) = &self.supervisor {
            prompt.view(frame, area);
        }
        if let Some(reason) = &self.reason {
            let popup = centered(area, 60, 4);
            clear_popup(frame, popup);
            let block = Block::new()
                .borders(Borders::ALL)
                .border_set(ASCII_BORDER)
                .title(" 不予受理原因（留空则撤销） ");
            let inner = block.inner(popup);
            frame.render_widget(block, popup);
            reason.input.render(
                frame,
                Rect { height: 1, ..inner },
                Style::new().bg(Color::Indexed(236)),
                true,
            );
        }
    }
}

/// The selected material's acceptance standard: name and facts, then its checkpoints and typical
/// defects. On a wide screen one column beside the list; on a narrow one (80 columns, the standard
/// below the list) checkpoints and defects sit side by side so both show in the few rows left, and
/// a column cut short says how much more the service guide (F5) holds.
fn view_material_standard(item: &Item, m: &Material, frame: &mut Frame, area: Rect, narrow: bool) {
    let column = if narrow { area.width.saturating_sub(2) / 2 } else { area.width };
    let styled = |text: &str, width: u16, first: &str, rest: &str, style: Style| -> Vec<Line<'static>> {
        wrap(text, width, first, rest).into_iter().map(|l| Line::styled(l, style)).collect()
    };
    let mut head = styled(&m.name, area.width, "", "", Style::new().bold().fg(Color::Yellow));
    let mut facts = vec![match m.necessity {
        Necessity::Required => "必要".to_string(),
        Necessity::Conditional => format!("情形必要：{}", m.condition.as_deref().unwrap_or("")),
    }];
    if m.originals > 0 {
        facts.push(format!("原件 {} 份", m.originals));
    }
    if m.copies > 0 {
        facts.push(format!("复印件 {} 份", m.copies));
    }
    facts.extend([m.medium.label().to_string(), m.source.label().to_string()]);
    head.extend(styled(&facts.join(" | "), area.width, "", "", Style::new()));
    let mut checks = styled("审查要点：", column, "", "", Style::new().fg(Color::Cyan));
    for c in &m.checkpoints {
        checks.extend(styled(c, column, "  - ", "    ", Style::new()));
    }
    let mut other = Vec::new();
    if !m.defects.is_empty() {
        other.extend(styled("常见缺陷：", column, "", "", Style::new().fg(Color::Cyan)));
        for d in &m.defects {
            let fix = if d.correctable { "（可当场更正）" } else { "" };
            other.extend(styled(&format!("{}{fix}", d.text), column, "  - ", "    ", Style::new()));
        }
    }
    if m.shared_data {
        other.extend(styled(
            "本材料通过数据共享获取，申请人无需提交。",
            column,
            "",
            "",
            Style::new().fg(Color::Green),
        ));
    }
    if let Some(c) = m.lenient_condition.as_ref().filter(|_| m.lenient) {
        let text = format!("附条件容缺：{c}。以此容缺须主管确认条件成立（Enter 时输入主管姓名和 PIN）");
        other.extend(styled(&text, column, "", "", Style::new().fg(Color::Cyan)));
    }
    let commitment = m.informed_commitment.as_ref();
    if let Some(c) = commitment.filter(|_| crate::intake::rules::commitment_allowed(item, m)) {
        let text = format!(
            "可实行告知承诺（按 4）：申请人签署《告知承诺书》代替本材料，受理后 {}内核查。承诺内容：{}",
            c.check.text(),
            c.text
        );
        other.extend(styled(&text, column, "", "", Style::new().fg(Color::Cyan)));
    }
    let mut notes = Vec::new();
    for (label, value) in [("要求依据", &m.basis), ("填写说明", &m.fill_notes)] {
        if let Some(v) = value {
            notes.extend(styled(&format!("{label}：{v}"), column, "", "", Style::new().fg(Color::DarkGray)));
        }
    }
    if !narrow {
        head.extend(notes);
        head.extend(checks);
        head.extend(other);
        frame.render_widget(Paragraph::new(head), area);
        return;
    }
    other.extend(notes);
    let head_rows = (head.len() as u16).min(area.height);
    let [top, rest] = Layout::vertical([Constraint::Length(head_rows), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(head), top);
    let [left, right] =
        Layout::horizontal([Constraint::Length(column), Constraint::Fill(1)]).spacing(2).areas(rest);
    for (lines, area) in [(checks, left), (other, right)] {
        let height = usize::from(area.height);
        if lines.len() <= height {
            frame.render_widget(Paragraph::new(lines), area);
        } else if height > 0 {
            let more = lines.len() - (height - 1);
            let mut shown: Vec<Line<'static>> = lines.into_iter().take(height - 1).collect();
            shown.push(Line::styled(
                format!("v 另有 {more} 行，F5 知识库看全文"),
                Style::new().fg(Color::Yellow),
            ));
            frame.render_widget(Paragraph::new(shown), area);
        }
    }
}

/// The live decision panel: the decision, or the questions still open.
/// The 告知承诺 lines of the decision panel: each certificate replaced and its check deadline.
fn commitment_lines(
    lines: &mut Vec<Line<'static>>,
    commitments: &[crate::intake::rules::Commitment],
    calendar: &crate::kb::Calendar,
) {
    for c in commitments {
        lines.push(Line::styled(
            format!("  告知承诺 {}：核查期限 {}", layout_safe(&c.name), calendar.show(c.check_deadline)),
            Style::new().fg(Color::Cyan),
        ));
    }
}

fn view_decision(
    outcome: Option<&RuleOutcome>,
    item: &Item,
    case: &Case,
    calendar: &crate::kb::Calendar,
    frame: &mut Frame,
    area: Rect,
) {
    let decision = match outcome {
        None => return,
        Some(RuleOutcome::Decided { decision }) => decision,
        Some(RuleOutcome::Unanswered { questions }) => {
            let mut lines = vec![Line::from(vec![
                Span::raw("当前决定："),
                Span::styled(
                    format!(" {} ", crate::intake::rules::UNANSWERED_LABEL),
                    Style::new().bg(Color::Yellow).fg(Color::Black).bold(),
                ),
            ])];
            // One wrapped sentence rather than a row each, so a narrow screen's few rows hold them.
            let names: Vec<String> = questions.iter().map(|q| layout_safe(&q.label).into_owned()).collect();
            let text = format!("以下 {} 项回答前不能受理：{}", questions.len(), names.join("、"));
            lines.extend(wrap(&text, area.width, "", "").into_iter().map(Line::from));
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            return;
        }
    };
    let color = match decision {
        Decision::Accept { .. } => Color::Green,
        Decision::AcceptPending { .. } => Color::Cyan,
        Decision::NoticeOfDeficiency { .. } => Color::Yellow,
        Decision::Reject { .. } => Color::Red,
    };
    let mut lines = vec![Line::from(vec![
        Span::raw("当前决定："),
        Span::styled(format!(" {} ", decision.label()), Style::new().bg(color).fg(Color::Black).bold()),
    ])];
    match decision {
        Decision::Accept { promised_date, commitments } => {
            lines.push(Line::from(format!("承诺办结日期 {}", calendar.show(*promised_date))));
            commitment_lines(&mut lines, commitments, calendar);
        }
        Decision::AcceptPending { supplements, promised_date, commitments } => {
            lines.push(Line::from(format!(
                "申请人已同意签署容缺承诺（y 撤销）。承诺办结 {}",
                calendar.show(*promised_date)
            )));
            for s in supplements {
                lines.push(Line::from(format!(
                    "  补正 {}：{} 前",
                    layout_safe(&s.deficiency.name),
                    calendar.show(s.deadline)
                )));
            }
            commitment_lines(&mut lines, commitments, calendar);
        }
        Decision::NoticeOfDeficiency { deficiencies, lenient_possible } => {
            lines.push(Line::from(format!("需一次性告知 {} 项材料", deficiencies.len())));
            if *lenient_possible {
                lines.push(Line::styled(
                    "所缺材料均可容缺：申请人同意签署承诺书请按 y",
                    Style::new().fg(Color::Cyan),
                ));
            } else if case.bad_credit {
                lines.push(Line::styled("信用记录不良，不得容缺（c 撤销）", Style::new().fg(Color::Red)));
            }
        }
        Decision::Reject { reason, basis } => {
            let why = match reason {
                RejectReason::NotHandledHere { go_to } => format!("本中心不办理，请到{go_to}办理"),
                RejectReason::NotEligible { reason } => format!("不符合条件：{reason}（n 修改）"),
            };
            lines.push(Line::from(layout_safe(&why).into_owned()));
            lines.push(Line::from(format!("依据：{}", layout_safe(&basis.join("；")))));
        }
    }
    if let Some((exception, value)) = crate::intake::case::decision_exception(item, decision) {
        lines.push(match case.approved(exception, &value) {
            Some(a) => Line::styled(
                format!("已由主管 {} 审批（{}）", a.supervisor, crate::time::show(a.at, "%H:%M")),
                Style::new().fg(Color::Green),
            ),
            None => Line::styled(
                format!("{}须经主管审批：Enter 请主管输入姓名和 PIN", exception.label()),
                Style::new().fg(Color::Magenta),
            ),
        });
    }
    crate::tui::text::provisional_note(&mut lines);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
