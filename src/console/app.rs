//! The approver's console: one update loop like the desk's. Three panes — calls ringing with their
//! waiting time, my open calls, the department's queue of accepted cases — and the selected entry's
//! detail. No IO here: commands go to the HQ client, its answers come back as messages.

use chrono::{DateTime, Utc};
use crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::model::{CANNED_ANSWERS, CallItem, ConsoleCmd, ExceptionItem, QueueCase};
use crate::intake::approval::ApprovalDecision;
use crate::intake::call::{CallState, MaterialLine};
use crate::tui::form::{Check, Form, FormEvent};
use crate::tui::input::TextInput;
use crate::tui::keys::{self, Action, Context};
use crate::tui::text::{layout_safe, wrap};
use crate::tui::widgets::{self, ASCII_BORDER, popup_block};

/// Everything that can happen to the console.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsoleMsg {
    /// A key press.
    Key(KeyEvent),
    /// SIGTERM, SIGHUP or SIGINT: the console ends as on quit, restoring the terminal.
    Terminate,
    /// Pasted text, treated as typed.
    Paste(String),
    /// The clock advanced.
    Tick(DateTime<Utc>),
    /// Every open call of the department, as HQ has them now.
    Calls(Vec<CallItem>),
    /// The department's queue.
    Queue(Vec<QueueCase>),
    /// The center's exceptions approved by supervisors (a supervisor's console only).
    Exceptions(Vec<ExceptionItem>),
    /// Connected to HQ's event stream, or not.
    Online(bool),
    /// A command succeeded (shown briefly).
    Done(String),
    /// A command failed.
    Failed(String),
}

impl ConsoleMsg {
    /// The message for a terminal event, if it matters.
    pub fn from_event(event: Event) -> Option<Self> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => Some(Self::Key(key)),
            Event::Paste(text) => Some(Self::Paste(text)),
            _ => None,
        }
    }
}

/// The three lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// Calls nobody has taken.
    Ringing,
    /// Calls I took and have not resolved.
    Mine,
    /// Accepted cases to decide.
    Queue,
    /// Exceptions approved at the center's windows (supervisors only).
    Exceptions,
}

/// Fields of the refusal form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefuseField {
    Reason,
    Basis,
}

/// A decision being composed for the selected case.
#[derive(Debug)]
enum Composer {
    /// Typing an answer to one of my calls (bound to its id, so a refreshed list cannot move the
    /// answer to another call).
    Answer {
        /// The call answered.
        call_id: String,
        /// The answer typed so far.
        input: TextInput,
    },
    /// Choosing 1 准予 / 2 不予 / 3 退回补正.
    Choose,
    /// Reason and legal basis of a refusal.
    Refuse(Form<RefuseField>),
    /// Materials to correct (selected index, ticked) and the note.
    Correct { selected: usize, ticked: Vec<bool>, note: TextInput },
}

/// The console's state.
#[derive(Debug)]
pub struct Console {
    /// The approver's name (shown, and sent as the answer's author by HQ).
    approver: String,
    department: String,
    calls: Vec<CallItem>,
    queue: Vec<QueueCase>,
    /// The center's exceptions, newest first; `None` on an approver's console (HQ serves them
    /// to supervisors only).
    exceptions: Option<Vec<ExceptionItem>>,
    pane: Pane,
    selected: [usize; 4],
    composer: Option<Composer>,
    now: DateTime<Utc>,
    online: bool,
    status: Option<(String, bool)>,
    help: bool,
    /// A call I asked HQ to let me take: once it arrives among my calls, the console selects it
    /// and opens the answer, so what the approver types next answers it.
    taking: Option<String>,
}

impl Console {
    /// A console for `approver` of `department`.
    pub fn new(approver: &str, department: &str, now: DateTime<Utc>) -> Self {
        Self {
            approver: approver.to_string(),
            department: department.to_string(),
            calls: Vec::new(),
            queue: Vec::new(),
            exceptions: None,
            pane: Pane::Ringing,
            selected: [0; 4],
            composer: None,
            now,
            online: false,
            status: None,
            help: false,
            taking: None,
        }
    }

    /// The console of a supervisor: it also lists the center's exceptions (`Tab` reaches them).
    pub fn supervising(mut self) -> Self {
        self.exceptions = Some(Vec::new());
        self
    }

    fn ringing(&self) -> Vec<&CallItem> {
        // Escalated calls nobody took still ring (at the supervisor's console too).
        self.calls.iter().filter(|c| c.owner.is_none() && c.state != CallState::Resolved).collect()
    }

    fn mine(&self) -> Vec<&CallItem> {
        self.calls
            .iter()
            .filter(|c| c.owner.as_deref() == Some(self.approver.as_str()) && c.state != CallState::Resolved)
            .collect()
    }

    fn pane_index(pane: Pane) -> usize {
        match pane {
            Pane::Ringing => 0,
            Pane::Mine => 1,
            Pane::Queue => 2,
            Pane::Exceptions => 3,
        }
    }

    fn len(&self, pane: Pane) -> usize {
        match pane {
            Pane::Ringing => self.ringing().len(),
            Pane::Mine => self.mine().len(),
            Pane::Queue => self.queue.len(),
            Pane::Exceptions => self.exceptions.as_ref().map_or(0, Vec::len),
        }
    }

    fn selected_call(&self) -> Option<&CallItem> {
        let i = self.selected[Self::pane_index(self.pane)];
        match self.pane {
            Pane::Ringing => self.ringing().get(i).copied(),
            Pane::Mine => self.mine().get(i).copied(),
            Pane::Queue | Pane::Exceptions => None,
        }
    }

    fn selected_case(&self) -> Option<&QueueCase> {
        (self.pane == Pane::Queue).then(|| self.queue.get(self.selected[2])).flatten()
    }

    fn selected_exception(&self) -> Option<&ExceptionItem> {
        (self.pane == Pane::Exceptions).then(|| self.exceptions.as_ref()?.get(self.selected[3])).flatten()
    }

    /// The keyboard context, for keys and the footer.
    pub fn context(&self) -> Context {
        match &self.composer {
            None if self.pane == Pane::Exceptions => Context::ConsoleExceptions,
            None => Context::Console,
            Some(Composer::Choose) => Context::ConsoleDecide,
            Some(Composer::Correct { .. }) => Context::ConsoleCorrect,
            Some(Composer::Answer { .. } | Composer::Refuse(_)) => Context::Form,
        }
    }

    fn clamp(&mut self) {
        for pane in [Pane::Ringing, Pane::Mine, Pane::Queue, Pane::Exceptions] {
            let i = Self::pane_index(pane);
            self.selected[i] = self.selected[i].min(self.len(pane).saturating_sub(1));
        }
    }

    /// Applies a message; returns the commands for HQ.
    pub fn update(&mut self, msg: ConsoleMsg) -> Vec<ConsoleCmd> {
        match msg {
            ConsoleMsg::Key(key) => return self.on_key(key),
            ConsoleMsg::Terminate => return vec![ConsoleCmd::Quit],
            ConsoleMsg::Paste(text) => match &mut self.composer {
                Some(Composer::Answer { input, .. }) => input.insert(&text),
                Some(Composer::Refuse(form)) => {
                    form.paste(&text);
                }
                Some(Composer::Correct { note, .. }) => note.insert(&text),
                _ => {}
            },
            ConsoleMsg::Tick(now) => self.now = now,
            ConsoleMsg::Calls(calls) => self.calls_arrived(calls),
            ConsoleMsg::Queue(queue) => {
                self.queue = queue;
                self.clamp();
            }
            ConsoleMsg::Exceptions(list) => {
                // Newest first: the selection stays on the exception it was on.
                if let Some(exceptions) = &mut self.exceptions {
                    let kept = exceptions.get(self.selected[3]).map(|e| (e.case_id.clone(), e.at));
                    *exceptions = list;
                    if let Some(i) =
                        kept.and_then(|k| exceptions.iter().position(|e| (e.case_id.clone(), e.at) == k))
                    {
                        self.selected[3] = i;
                    }
                }
                self.clamp();
            }
            ConsoleMsg::Online(online) => self.online = online,
            ConsoleMsg::Done(text) => self.status = Some((text, false)),
            ConsoleMsg::Failed(text) => {
                // A take that failed (another approver was first, HQ unreachable) is not followed.
                self.taking = None;
                self.status = Some((text, true));
            }
        }
        vec![]
    }

    /// The id of the selected entry of `pane`'s call list.
    fn selected_id(&self, pane: Pane) -> Option<String> {
        let i = self.selected[Self::pane_index(pane)];
        let list = match pane {
            Pane::Ringing => self.ringing(),
            Pane::Mine => self.mine(),
            Pane::Queue | Pane::Exceptions => return None,
        };
        list.get(i).map(|c| c.id.clone())
    }

    /// A fresh list of calls: each pane keeps the call it had selected wherever it moved; a call
    /// being taken, once it is mine, becomes the selection with the answer open; an open answer
    /// whose call is no longer mine (resolved elsewhere, taken over) is closed and said so.
    fn calls_arrived(&mut self, calls: Vec<CallItem>) {
        let kept = [self.selected_id(Pane::Ringing), self.selected_id(Pane::Mine)];
        self.calls = calls;
        for (pane, id) in [Pane::Ringing, Pane::Mine].into_iter().zip(kept) {
            let list = if pane == Pane::Ringing { self.ringing() } else { self.mine() };
            if let Some(i) = id.and_then(|id| list.iter().position(|c| c.id == id)) {
                self.selected[Self::pane_index(pane)] = i;
            }
        }
        if let Some(id) = self.taking.clone() {
            let mine = self.mine().iter().position(|c| c.id == id);
            let elsewhere = self.calls.iter().find(|c| c.id == id).and_then(|c| c.owner.clone());
            match (mine, elsewhere) {
                (Some(i), _) => {
                    self.taking = None;
                    self.pane = Pane::Mine;
                    self.selected[1] = i;
                    if self.composer.is_none() {
                        self.composer = Some(Composer::Answer { call_id: id, input: TextInput::default() });
                    }
                }
                (None, Some(owner)) => {
                    self.taking = None;
                    self.status = Some((format!("该呼叫已由 {owner} 接听"), true));
                }
                // Not yet taken at HQ (this list predates the take), or gone.
                (None, None) => {
                    if !self.calls.iter().any(|c| c.id == id && c.state != CallState::Resolved) {
                        self.taking = None;
                    }
                }
            }
        }
        if let Some(Composer::Answer { call_id, .. }) = &self.composer
            && !self.mine().iter().any(|c| &c.id == call_id)
        {
            self.composer = None;
            self.status = Some(("该呼叫已不在「我的呼叫」中，答复未发送".into(), true));
        }
        self.clamp();
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<ConsoleCmd> {
        if self.help {
            self.help = false;
            return vec![];
        }
        self.status = None;
        let action = keys::action(self.context(), key);
        match action {
            Some(Action::Quit) => return vec![ConsoleCmd::Quit],
            Some(Action::Help) => {
                self.help = true;
                return vec![];
            }
            _ => {}
        }
        if self.composer.is_some() {
            return self.on_composer_key(action, key);
        }
        let pane = Self::pane_index(self.pane);
        match action {
            Some(Action::FocusNext) => {
                self.pane = match self.pane {
                    Pane::Ringing => Pane::Mine,
                    Pane::Mine => Pane::Queue,
                    Pane::Queue if self.exceptions.is_some() => Pane::Exceptions,
                    Pane::Queue | Pane::Exceptions => Pane::Ringing,
                }
            }
            Some(Action::Up) => self.selected[pane] = self.selected[pane].saturating_sub(1),
            Some(Action::Down) => {
                self.selected[pane] = (self.selected[pane] + 1).min(self.len(self.pane).saturating_sub(1))
            }
            Some(Action::Open) => match self.pane {
                Pane::Ringing => {
                    if let Some(call) = self.selected_call() {
                        let call_id = call.id.clone();
                        self.taking = Some(call_id.clone());
                        return vec![ConsoleCmd::Take { call_id }];
                    }
                }
                Pane::Mine => {
                    if let Some(call) = self.selected_call() {
                        let call_id = call.id.clone();
                        self.composer = Some(Composer::Answer { call_id, input: TextInput::default() });
                    }
                }
                Pane::Queue => {
                    if self.selected_case().is_some() {
                        self.composer = Some(Composer::Choose);
                    }
                }
                Pane::Exceptions => {}
            },
            Some(Action::Choose(n)) if self.pane == Pane::Mine => {
                if let (Some(call), Some(text)) =
                    (self.selected_call(), CANNED_ANSWERS.get(usize::from(n) - 1))
                {
                    return vec![ConsoleCmd::Answer { call_id: call.id.clone(), text: text.to_string() }];
                }
            }
            Some(Action::Act) if self.pane == Pane::Mine => {
                if let Some(call) = self.selected_call() {
                    return vec![ConsoleCmd::Resolve { call_id: call.id.clone() }];
                }
            }
            _ => {}
        }
        vec![]
    }

    fn on_composer_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<ConsoleCmd> {
        if action == Some(Action::Back) {
            self.composer = None;
            return vec![];
        }
        let case = self.selected_case().cloned();
        let Some(composer) = &mut self.composer else { return vec![] };
        match composer {
            Composer::Answer { call_id, input } => {
                if action == Some(Action::Open) {
                    let text = input.text().trim().to_string();
                    if !text.is_empty() {
                        let call_id = call_id.clone();
                        self.composer = None;
                        return vec![ConsoleCmd::Answer { call_id, text }];
                    }
                } else {
                    input.handle_key(key);
                }
            }
            Composer::Choose => {
                let Some(case) = case else { return vec![] };
                match action {
                    Some(Action::Choose(1)) => {
                        self.composer = None;
                        return vec![ConsoleCmd::Decide {
                            case_id: case.case_id,
                            decision: ApprovalDecision::Approve,
                        }];
                    }
                    Some(Action::Choose(2)) => {
                        let basis = case.legal_basis.first().cloned().unwrap_or_default();
                        let mut form = Form::new([
                            (RefuseField::Reason, "不予许可理由", String::new()),
                            (RefuseField::Basis, "法律依据", basis),
                        ]);
                        form.validate(refuse_check);
                        self.composer = Some(Composer::Refuse(form));
                    }
                    Some(Action::Choose(3)) => {
                        self.composer = Some(Composer::Correct {
                            selected: 0,
                            ticked: vec![false; case.materials.len()],
                            note: TextInput::default(),
                        });
                    }
                    _ => {}
                }
            }
            Composer::Refuse(form) => {
                let event = form.on_key(key);
                form.validate(refuse_check);
                if event == FormEvent::Submit
                    && let Some(case) = case
                {
                    let decision = ApprovalDecision::Refuse {
                        reason: form.value(RefuseField::Reason).trim().to_string(),
                        basis: form.value(RefuseField::Basis).trim().to_string(),
                    };
                    self.composer = None;
                    return vec![ConsoleCmd::Decide { case_id: case.case_id, decision }];
                }
            }
            Composer::Correct { selected, ticked, note } => match action {
                Some(Action::Up) => *selected = selected.saturating_sub(1),
                Some(Action::Down) => *selected = (*selected + 1).min(ticked.len().saturating_sub(1)),
                Some(Action::Toggle) => {
                    if let Some(t) = ticked.get_mut(*selected) {
                        *t = !*t;
                    }
                }
                Some(Action::Open) => {
                    let Some(case) = case else { return vec![] };
                    let materials: Vec<String> = case
                        .materials
                        .iter()
                        .zip(ticked.iter())
                        .filter(|(_, t)| **t)
                        .map(|(m, _)| m.name.clone())
                        .collect();
                    let note = match note.text().trim() {
                        "" => "请按一次性告知书补正所列材料".to_string(),
                        text => text.to_string(),
                    };
                    let decision = ApprovalDecision::RequestCorrection { materials, note };
                    if let Some(problem) = decision.problem() {
                        self.status = Some((problem.to_string(), true));
                        return vec![];
                    }
                    self.composer = None;
                    return vec![ConsoleCmd::Decide { case_id: case.case_id, decision }];
                }
                _ => {
                    note.handle_key(key);
                }
            },
        }
        vec![]
    }

    /// Draws the console.
    pub fn view(&self, frame: &mut Frame) {
        let area = frame.area();
        let Some([title, body, status, footer]) = widgets::chrome(frame, 8) else { return };
        let style = Style::new().bg(Color::Blue).fg(Color::White);
        let online = if self.online { "在线" } else { "离线" };
        let text =
            format!(" 一窗 后台审批台 | {} | {} | {online}", layout_safe(&self.department), self.approver);
        frame.render_widget(Paragraph::new(text).style(style), title);
        // The exceptions' rows are long (time, kind, case number, clerk and supervisor): wider.
        let share = if self.pane == Pane::Exceptions { 65 } else { 45 };
        let [lists, detail] = if body.width >= 100 {
            Layout::horizontal([Constraint::Percentage(share), Constraint::Fill(1)]).areas(body)
        } else {
            Layout::vertical([Constraint::Percentage(55), Constraint::Fill(1)]).areas(body)
        };
        self.view_lists(frame, lists);
        self.view_detail(frame, detail);
        if let Some((text, error)) = &self.status {
            let color = if *error { Color::Red } else { Color::Green };
            frame.render_widget(
                Span::styled(format!(" {}", layout_safe(text)), Style::new().fg(color)),
                status,
            );
        }
        widgets::footer(frame, footer, self.context());
        if self.help {
            widgets::help_popup(frame, area, self.context());
        }
    }

    fn view_lists(&self, frame: &mut Frame, area: Rect) {
        let ringing = self.ringing();
        let mine = self.mine();
        // A supervisor's exceptions: the whole list area while they are focused (a line above
        // counts the other lists); otherwise one line under the three lists says how many.
        let area = match &self.exceptions {
            Some(exceptions) if self.pane == Pane::Exceptions => {
                let [summary, list] =
                    Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
                let text = format!(
                    " 振铃 {} | 我的呼叫 {} | 待审批 {} | Tab 回到振铃",
                    ringing.len(),
                    mine.len(),
                    self.queue.len()
                );
                frame.render_widget(Line::styled(text, Style::new().fg(Color::DarkGray)), summary);
                let rows = exceptions.iter().map(|e| self.exception_row(e)).collect();
                let title =
                    format!(" 本中心例外审批（近 {} 天）{} ", super::model::EXCEPTION_DAYS, exceptions.len());
                self.view_pane(frame, list, Pane::Exceptions, &title, rows);
                return;
            }
            Some(exceptions) => {
                let [lists, line] =
                    Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
                let today = exceptions.iter().filter(|e| self.is_today(e.at)).count();
                let text = format!(
                    " 例外审批：今天 {today} 项，近 {} 天 {} 项（Tab 查看）",
                    super::model::EXCEPTION_DAYS,
                    exceptions.len()
                );
                frame.render_widget(Line::styled(text, Style::new().fg(Color::Magenta)), line);
                lists
            }
            None => area,
        };
        let [a, b, c] =
            Layout::vertical([Constraint::Ratio(1, 3), Constraint::Ratio(1, 3), Constraint::Ratio(1, 3)])
                .areas(area);
        let wait = |call: &CallItem| {
            let s = call.waiting(self.now);
            format!("{:02}:{:02}", s / 60, s % 60)
        };
        let call_line = |call: &&CallItem| {
            let escalated = if call.state == CallState::Escalated { " 已升级" } else { "" };
            format!(
                "{} {} {}{escalated} {}",
                wait(call),
                call.window,
                layout_safe(&call.snapshot.item_name),
                layout_safe(&call.question)
            )
        };
        self.view_pane(
            frame,
            a,
            Pane::Ringing,
            &format!(" 振铃 {} ", ringing.len()),
            ringing.iter().map(call_line).collect(),
        );
        self.view_pane(
            frame,
            b,
            Pane::Mine,
            &format!(" 我的呼叫 {} ", mine.len()),
            mine.iter().map(call_line).collect(),
        );
        let queue = self
            .queue
            .iter()
            .map(|q| {
                // First, so a narrow pane still shows it.
                let wait = if q.waiting_for.is_empty() { "" } else { "[待前序] " };
                format!(
                    "{wait}{} {} {} {}",
                    q.number,
                    layout_safe(&q.item_name),
                    q.applicant,
                    q.intake_decision
                )
            })
            .collect();
        self.view_pane(frame, c, Pane::Queue, &format!(" 待审批 {} ", self.queue.len()), queue);
    }

    /// Whether `at` falls on today in the hall's zone.
    fn is_today(&self, at: DateTime<Utc>) -> bool {
        crate::time::hall_date(at) == crate::time::hall_date(self.now)
    }

    /// One exception in the list: when, what, on which case, who asked and who approved, then
    /// the value (cut first on a narrow screen).
    fn exception_row(&self, e: &ExceptionItem) -> String {
        let when = if self.is_today(e.at) {
            format!("今天 {}", crate::time::show(e.at, "%H:%M"))
        } else {
            crate::time::show(e.at, "%m-%d %H:%M")
        };
        format!(
            "{when} {} {} {}→{} {}",
            e.label,
            e.number.as_deref().unwrap_or(&e.case_id),
            e.clerk.as_deref().unwrap_or("（未登录）"),
            e.supervisor,
            layout_safe(&e.value)
        )
    }

    fn view_pane(&self, frame: &mut Frame, area: Rect, pane: Pane, title: &str, rows: Vec<String>) {
        let focused = self.pane == pane;
        let border = if focused { Style::new().fg(Color::Yellow) } else { Style::new().fg(Color::DarkGray) };
        let block = Block::new()
            .borders(Borders::ALL)
            .border_set(ASCII_BORDER)
            .border_style(border)
            .title(title.to_string());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let selected = self.selected[Self::pane_index(pane)];
        let height = usize::from(inner.height.max(1));
        let offset = (selected + 1).saturating_sub(height);
        let lines: Vec<Line> = rows
            .into_iter()
            .enumerate()
            .skip(offset)
            .map(|(i, text)| {
                let line =
                    Line::from(format!("{}{text}", if i == selected && focused { "> " } else { "  " }));
                if i == selected && focused {
                    line.style(Style::new().bg(Color::Blue).fg(Color::White))
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }

    fn view_detail(&self, frame: &mut Frame, area: Rect) {
        let area = Rect { x: area.x + 1, width: area.width.saturating_sub(2), ..area };
        let width = area.width;
        let mut lines: Vec<Line> = Vec::new();
        let mut push = |text: &str, style: Style| {
            lines.extend(wrap(text, width, "", "  ").into_iter().map(|l| Line::styled(l, style)));
        };
        let heading = Style::new().fg(Color::Yellow).bold();
        let cyan = Style::new().fg(Color::Cyan);
        if let Some(call) = self.selected_call() {
            let s = &call.snapshot;
            push(&format!("{}（{}）", s.item_name, s.item_code), heading);
            push(
                &format!("{} 呼叫 | 申请人 {} | {}", call.window, s.applicant, call.state.label()),
                Style::new(),
            );
            if !s.situations.is_empty() {
                push(&format!("情形：{}", s.situations.join("、")), Style::new());
            }
            push(
                &format!("问题：{}", if call.question.is_empty() { "（未填写）" } else { &call.question }),
                cyan,
            );
            push("材料核验情况：", cyan);
            for m in &s.materials {
                push(&material_text(m), Style::new());
            }
            for r in &call.replies {
                push(
                    &format!("{} {}：{}", crate::time::show(r.at, "%H:%M"), r.by, r.text),
                    Style::new().fg(Color::Green),
                );
            }
            if self.pane == Pane::Mine {
                push("常用答复（按数字键发送）：", cyan);
                for (i, a) in CANNED_ANSWERS.iter().enumerate() {
                    push(&format!("{} {a}", i + 1), Style::new().fg(Color::DarkGray));
                }
            }
        } else if let Some(case) = self.selected_case() {
            push(&format!("{} {}", case.number, case.item_name), heading);
            push(
                &format!(
                    "申请人 {} | {} | {}",
                    case.applicant,
                    case.intake_decision,
                    crate::time::show(case.accepted_at, "%m-%d %H:%M")
                ),
                Style::new(),
            );
            if let Some(bundle) = &case.bundle {
                push(&format!("一件事：{bundle}"), cyan);
            }
            for why in &case.waiting_for {
                push(&format!("暂不能决定：{why}"), Style::new().fg(Color::Red));
            }
            push("材料：", cyan);
            for m in &case.materials {
                push(&material_text(m), Style::new());
                if let Some((_, points)) = case.checkpoints.iter().find(|(name, _)| *name == m.name) {
                    for p in points {
                        push(&format!("    - {p}"), Style::new().fg(Color::DarkGray));
                    }
                }
            }
            for n in &case.notes {
                push(&format!("窗口备注：{n}"), Style::new());
            }
        } else if let Some(e) = self.selected_exception() {
            push(&format!("{} {}", e.label, e.number.as_deref().unwrap_or("（未办结）")), heading);
            push(&format!("事项：{}", e.item_name), Style::new());
            push(&format!("审批内容：{}", e.value), cyan);
            push(
                &format!("窗口 {} | 经办人 {}", e.window, e.clerk.as_deref().unwrap_or("（未登录）")),
                Style::new(),
            );
            push(
                &format!("审批主管 {} | {}", e.supervisor, crate::time::show(e.at, "%Y-%m-%d %H:%M")),
                Style::new(),
            );
            push(&format!("案件标识 {}", e.case_id), Style::new().fg(Color::DarkGray));
        } else if self.pane == Pane::Exceptions {
            push(
                &format!("近 {} 天本中心没有经主管审批的例外。", super::model::EXCEPTION_DAYS),
                Style::new().fg(Color::DarkGray),
            );
        } else {
            push("没有选中的呼叫或案件。Tab 切换列表。", Style::new().fg(Color::DarkGray));
        }
        let composer_height = match &self.composer {
            None => 0,
            Some(Composer::Answer { .. } | Composer::Choose) => 3,
            Some(Composer::Refuse(form)) => form.height() + 2,
            Some(Composer::Correct { ticked, .. }) => ticked.len() as u16 + 4,
        };
        let [text, composer] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(composer_height)]).areas(area);
        frame.render_widget(Paragraph::new(lines), text);
        self.view_composer(frame, composer);
    }

    fn view_composer(&self, frame: &mut Frame, area: Rect) {
        let Some(composer) = &self.composer else { return };
        let title = match composer {
            Composer::Answer { .. } => " 答复（Enter 发送，Esc 取消） ",
            Composer::Choose => " 审批决定 ",
            Composer::Refuse(_) => " 不予许可 ",
            Composer::Correct { .. } => " 退回补正：Space 选择材料，Enter 发送 ",
        };
        let block = popup_block(title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        match composer {
            Composer::Answer { input, .. } => {
                input.render(frame, Rect { height: 1, ..inner }, Style::new().bg(Color::Indexed(236)), true)
            }
            Composer::Choose => {
                frame.render_widget(Line::from("1 准予   2 不予   3 退回补正   Esc 取消"), inner)
            }
            Composer::Refuse(form) => form.render(frame, inner, true),
            Composer::Correct { selected, ticked, note } => {
                let mut lines: Vec<Line> = self
                    .selected_case()
                    .map(|case| {
                        case.materials
                            .iter()
                            .zip(ticked)
                            .enumerate()
                            .map(|(i, (m, t))| {
                                let mark = if *t { "[x]" } else { "[ ]" };
                                let cursor = if i == *selected { "> " } else { "  " };
                                Line::from(format!("{cursor}{mark} {}", layout_safe(&m.name)))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                lines.push(Line::from("补正要求："));
                let y = inner.y + lines.len() as u16 - 1;
                frame.render_widget(Paragraph::new(lines), inner);
                if y < inner.bottom() {
                    let input = Rect::new(inner.x + 10, y, inner.width.saturating_sub(10), 1);
                    note.render(frame, input, Style::new().bg(Color::Indexed(236)), true);
                }
            }
        }
    }
}

fn refuse_check(field: RefuseField, value: &str) -> Check {
    match field {
        _ if !value.trim().is_empty() => Check::ok(),
        RefuseField::Reason => Check::error("请写明不予许可的理由"),
        RefuseField::Basis => Check::error("请写明法律依据"),
    }
}

fn material_text(m: &MaterialLine) -> String {
    match &m.defect {
        Some(d) => format!("  [{}] {}：{}", m.state, m.name, d),
        None => format!("  [{}] {}", m.state, m.name),
    }
}
