//! The intake screen: one applicant from ticket to case number (DESIGN §3).
//!
//! Each step is a module with its own keys and drawing; this module holds the case being built,
//! turns every change into a journaled [`CaseEvent`] (so nothing typed is ever lost) and moves
//! between steps. The decision is always computed by [`crate::intake::decide`], never entered.

mod agency;
mod applicant;
mod checklist;
mod delivery;
mod done;
mod item;
mod rating;

pub use applicant::{AGENT_SITUATION, check_field};

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use super::effects::{Cmd, DeskConfig};
use super::input::TextInput;
use super::keys::{self, Action, Context};
use crate::intake::call::CallSnapshot;
use crate::intake::case::{Case, CaseEvent, Field, Step};
use crate::intake::decide;
use crate::intake::rules::{Decision, Outcome as RuleOutcome};
use crate::kb::search::SearchIndex;
use crate::kb::{Item, Kb};

/// What the intake screen needs from the rest of the desk for one update.
pub struct Ctx<'a> {
    /// The knowledge base.
    pub kb: &'a Kb,
    /// Its search index.
    pub index: &'a SearchIndex,
    /// Center and window.
    pub config: &'a DeskConfig,
    /// The desk's clock.
    pub now: DateTime<Utc>,
    /// Drill mode (演练): exceptions need no supervisor, the trainee's decision is scored.
    pub drill: bool,
}

/// What the intake screen asks of the app besides commands.
#[derive(Debug, Default, PartialEq)]
pub struct Reply {
    /// Effects for the shell.
    pub cmds: Vec<Cmd>,
    /// Show the key list.
    pub help: bool,
}

/// State of the intake screen.
#[derive(Debug)]
pub struct Intake {
    /// Local id of the case being worked, once started.
    pub case_id: Option<String>,
    /// The case, folded from the same events that are journaled.
    pub case: Case,
    ticket: TextInput,
    item: item::ItemStep,
    checklist: checklist::ChecklistStep,
    applicant: applicant::ApplicantStep,
    delivery: delivery::DeliveryStep,
    rating: rating::RatingStep,
    done: done::DoneStep,
    /// Waiting for the store to assign the case number.
    finishing: bool,
    /// Keys pressed for this applicant, for drills and the keystroke budget.
    pub keystrokes: u32,
    /// The agency form (代办, F7), while open.
    agency: Option<agency::AgencyPanel>,
    /// Required fields of the filled agency forms still empty, shown when the clerk went to
    /// finish: Enter again prints anyway (gaps marked), F7 fills them.
    form_gaps: Option<Vec<crate::intake::agency::FormGaps>>,
    /// Another item chosen while materials are marked: the clerk is asked before the marks go.
    item_change: Option<String>,
}

impl Intake {
    /// An empty intake, waiting for the next applicant.
    pub fn new(ctx: &Ctx) -> Self {
        Self {
            case_id: None,
            case: Case::default(),
            ticket: TextInput::default(),
            item: item::ItemStep::new(ctx),
            checklist: checklist::ChecklistStep::default(),
            applicant: applicant::ApplicantStep::default(),
            delivery: delivery::DeliveryStep::default(),
            rating: rating::RatingStep,
            done: done::DoneStep::default(),
            finishing: false,
            keystrokes: 0,
            agency: None,
            form_gaps: None,
            item_change: None,
        }
    }

    /// Reopens an unfinished case after a restart, on the step where the clerk was.
    pub fn resume(ctx: &Ctx, case_id: String, case: Case) -> Self {
        let mut intake = Self::new(ctx);
        intake.ticket = TextInput::with_text(case.field(Field::Ticket));
        intake.case_id = Some(case_id);
        intake.case = case;
        let step = intake.case.step;
        intake.enter(ctx, step);
        intake
    }

    /// The current step.
    pub fn step(&self) -> Step {
        self.case.step
    }

    /// The item chosen for the case.
    pub fn item<'k>(&self, kb: &'k Kb) -> Option<&'k Item> {
        self.case.item_code.as_deref().and_then(|c| kb.item(c))
    }

    /// What the rules give for the case as it stands: a decision, or the questions still open.
    pub fn outcome(&self, ctx: &Ctx) -> Option<RuleOutcome> {
        let item = self.item(ctx.kb)?;
        Some(decide(
            item,
            &self.case.application(item, ctx.config.level),
            crate::time::hall_date(ctx.now),
            &ctx.kb.calendar,
        ))
    }

    /// The decision the rules give for the case as it stands (none while a situation is open).
    pub fn decision(&self, ctx: &Ctx) -> Option<Decision> {
        self.outcome(ctx).and_then(RuleOutcome::into_decision)
    }

    /// Whether the case as it stands will be accepted (受理 or 容缺受理).
    fn accepts(&self, ctx: &Ctx) -> bool {
        matches!(self.decision(ctx), Some(Decision::Accept { .. } | Decision::AcceptPending { .. }) | None)
    }

    /// Keyboard context for key lookup and the footer.
    pub fn context(&self) -> Context {
        if self.agency.is_some() {
            return Context::Form;
        }
        if self.item_change.is_some() {
            return Context::Confirm;
        }
        match self.case.step {
            Step::Ticket => Context::Ticket,
            Step::Item => Context::ItemSearch,
            Step::Checklist => self.checklist.context(),
            Step::Applicant => Context::Applicant,
            Step::Delivery => self.delivery.context(),
            Step::Rating => self.rating.context(),
            Step::Done => Context::Done,
        }
    }

    /// Records an event: applies it to the case and journals it.
    fn record(&mut self, ctx: &Ctx, event: CaseEvent, cmds: &mut Vec<Cmd>) {
        self.case.apply(&event);
        if let Some(case_id) = &self.case_id {
            cmds.push(Cmd::Journal { case_id: case_id.clone(), event, at: ctx.now });
        }
    }

    /// Moves to `step`, preparing its inputs from the case.
    fn goto(&mut self, ctx: &Ctx, step: Step, cmds: &mut Vec<Cmd>) {
        self.record(ctx, CaseEvent::StepEntered { step }, cmds);
        self.enter(ctx, step);
    }

    fn enter(&mut self, ctx: &Ctx, step: Step) {
        match step {
            Step::Checklist => {
                let item = self.case.item_code.as_deref().and_then(|c| ctx.kb.item(c));
                self.checklist.enter(ctx, item, &self.case);
            }
            Step::Applicant => {
                let strict = self.accepts(ctx);
                self.applicant.enter(ctx, &self.case, strict);
            }
            Step::Delivery => self.delivery.enter(&self.case),
            Step::Rating => self.rating.enter(&self.case),
            Step::Ticket | Step::Item | Step::Done => {}
        }
    }

    /// The step after `step` for this case (no delivery when there is no result to deliver).
    fn next_step(&self, ctx: &Ctx, step: Step) -> Step {
        match step {
            Step::Ticket => Step::Item,
            Step::Item => Step::Checklist,
            Step::Checklist => Step::Applicant,
            Step::Applicant => match self.decision(ctx) {
                Some(Decision::Accept { .. } | Decision::AcceptPending { .. }) => Step::Delivery,
                _ => Step::Rating,
            },
            Step::Delivery => Step::Rating,
            Step::Rating | Step::Done => Step::Done,
        }
    }

    fn previous_step(&self, ctx: &Ctx, step: Step) -> Step {
        match step {
            Step::Ticket | Step::Item => Step::Ticket,
            Step::Checklist => Step::Item,
            Step::Applicant => Step::Checklist,
            Step::Delivery => Step::Applicant,
            Step::Rating => {
                if self.next_step(ctx, Step::Applicant) == Step::Delivery {
                    Step::Delivery
                } else {
                    Step::Applicant
                }
            }
            Step::Done => Step::Done,
        }
    }

    /// Handles a key press.
    pub fn on_key(&mut self, ctx: &Ctx, key: KeyEvent) -> Reply {
        let mut reply = Reply::default();
        if self.finishing {
            return reply;
        }
        self.keystrokes += 1;
        let action = keys::action(self.context(), key);
        if action == Some(Action::Help) {
            reply.help = true;
            return reply;
        }
        if let Some(code) = self.item_change.take() {
            self.on_item_change(ctx, code, action, &mut reply.cmds);
            return reply;
        }
        if let Some(panel) = &mut self.agency {
            let (open, events) = panel.on_key(ctx, &self.case, action, key);
            if !open {
                self.agency = None;
            }
            for e in events {
                self.record(ctx, e, &mut reply.cmds);
            }
            return reply;
        }
        let cmds = &mut reply.cmds;
        let outcome = match self.case.step {
            Step::Ticket => self.on_ticket(ctx, action, key, cmds),
            Step::Item => {
                let (outcome, chosen) = self.item.on_key(ctx, action, key);
                match chosen {
                    // Another item would drop the marks and answers: ask first.
                    Some(code) if self.marks_lost_by(&code) > 0 => {
                        self.item_change = Some(code);
                        Outcome::Stay
                    }
                    Some(code) => {
                        self.choose_item(ctx, code, cmds);
                        outcome
                    }
                    None => outcome,
                }
            }
            Step::Checklist => {
                let item = self.item(ctx.kb).cloned();
                match item {
                    Some(item) => {
                        let (outcome, events) = self.checklist.on_key(ctx, &item, &self.case, action, key);
                        for e in events {
                            self.record(ctx, e, cmds);
                        }
                        outcome
                    }
                    None => Outcome::Back,
                }
            }
            Step::Applicant => {
                let (outcome, events) = self.applicant.on_key(ctx, &self.case, action, key);
                for e in events {
                    self.record(ctx, e, cmds);
                }
                if outcome == Outcome::Stay && self.applicant.needs_rebuild(&self.case) {
                    let strict = self.accepts(ctx);
                    self.applicant.enter(ctx, &self.case, strict);
                }
                outcome
            }
            Step::Delivery => {
                let item = self.item(ctx.kb).cloned();
                let (outcome, events) = self.delivery.on_key(ctx, item.as_ref(), &self.case, action, key);
                for e in events {
                    self.record(ctx, e, cmds);
                }
                outcome
            }
            Step::Rating => {
                let (outcome, events) = self.rating.on_key(&self.case, action, key);
                for e in events {
                    self.record(ctx, e, cmds);
                }
                if outcome == Outcome::Next {
                    // Empty required fields of a filled agency form are listed before anything
                    // prints; the same list confirmed with Enter again prints with the gaps marked.
                    let gaps = crate::intake::agency::form_gaps(ctx.kb, &self.case);
                    if !gaps.is_empty() && self.form_gaps.as_ref() != Some(&gaps) {
                        self.form_gaps = Some(gaps);
                        return reply;
                    }
                    self.form_gaps = None;
                    self.finish(ctx, cmds);
                    return reply;
                }
                if action == Some(Action::Back) {
                    self.form_gaps = None;
                }
                outcome
            }
            Step::Done => match action {
                Some(Action::Open) => {
                    *self = Self::new(ctx);
                    Outcome::Stay
                }
                Some(Action::Reprint) => {
                    if let Some(id) = &self.case_id {
                        cmds.push(Cmd::Print { case_id: id.clone() });
                    }
                    Outcome::Stay
                }
                _ => Outcome::Stay,
            },
        };
        match outcome {
            Outcome::Stay => {}
            Outcome::Next => {
                let next = self.next_step(ctx, self.case.step);
                self.goto(ctx, next, cmds);
            }
            Outcome::Back => {
                let previous = self.previous_step(ctx, self.case.step);
                self.goto(ctx, previous, cmds);
            }
        }
        reply
    }

    /// How many material marks and situation answers choosing `code` would drop (none when it
    /// is the item already chosen).
    fn marks_lost_by(&self, code: &str) -> usize {
        if self.case.item_code.as_deref() == Some(code) {
            0
        } else {
            self.case.materials.len() + self.case.answers.len()
        }
    }

    /// Records `code` as the case's item (with the applicant kind it suggests when it is a new one).
    fn choose_item(&mut self, ctx: &Ctx, code: String, cmds: &mut Vec<Cmd>) {
        let kind = ctx.kb.item(&code).map(applicant::suggested_kind);
        let changed = self.case.item_code.as_deref() != Some(code.as_str());
        let event = CaseEvent::ItemChosen { code, kb_version: ctx.kb.meta.version.clone() };
        self.record(ctx, event, cmds);
        if let Some(kind) = kind.filter(|k| changed && *k != self.case.applicant_kind) {
            self.record(ctx, CaseEvent::ApplicantKindSet { kind }, cmds);
        }
    }

    /// The clerk's answer to "change the item and drop the marks?": `Open` changes it and goes on
    /// to the new checklist, `Back` keeps the item and every mark and returns to its checklist;
    /// any other key leaves the question open.
    fn on_item_change(&mut self, ctx: &Ctx, code: String, action: Option<Action>, cmds: &mut Vec<Cmd>) {
        match action {
            Some(Action::Open) => {
                self.choose_item(ctx, code, cmds);
                self.goto(ctx, Step::Checklist, cmds);
            }
            Some(Action::Back) => self.goto(ctx, Step::Checklist, cmds),
            _ => self.item_change = Some(code),
        }
    }

    fn on_ticket(
        &mut self,
        ctx: &Ctx,
        action: Option<Action>,
        key: KeyEvent,
        cmds: &mut Vec<Cmd>,
    ) -> Outcome {
        if action == Some(Action::Open) {
            self.start(ctx, cmds);
            self.journal_ticket(ctx, cmds);
            return Outcome::Next;
        }
        let before = self.ticket.text().to_string();
        if self.ticket.handle_key(key) && self.ticket.text() != before {
            self.start(ctx, cmds);
            self.journal_ticket(ctx, cmds);
        }
        Outcome::Stay
    }

    /// Starts the case (and the applicant's clock) at the first thing the clerk records.
    fn start(&mut self, ctx: &Ctx, cmds: &mut Vec<Cmd>) {
        if self.case_id.is_none() {
            let id = uuid::Uuid::new_v4().to_string();
            cmds.push(Cmd::CreateCase { case_id: id.clone(), at: ctx.now });
            self.case_id = Some(id);
            self.case.apply(&CaseEvent::Started { at: ctx.now });
        }
    }

    fn journal_ticket(&mut self, ctx: &Ctx, cmds: &mut Vec<Cmd>) {
        let ticket = self.ticket.text().trim().to_uppercase();
        if ticket != self.case.field(Field::Ticket) {
            self.record(ctx, CaseEvent::FieldSet { field: Field::Ticket, value: ticket }, cmds);
        }
    }

    /// Pasted text goes to whatever text input has focus, as if typed.
    pub fn on_paste(&mut self, ctx: &Ctx, text: &str) -> Reply {
        let mut reply = Reply::default();
        if let Some(panel) = &mut self.agency {
            for e in panel.paste(ctx, &self.case, text) {
                self.record(ctx, e, &mut reply.cmds);
            }
            return reply;
        }
        match self.case.step {
            Step::Ticket => {
                self.ticket.insert(text);
                self.start(ctx, &mut reply.cmds);
                self.journal_ticket(ctx, &mut reply.cmds);
            }
            Step::Item => self.item.paste(ctx, text),
            Step::Checklist => {
                for e in self.checklist.paste(text) {
                    self.record(ctx, e, &mut reply.cmds);
                }
            }
            Step::Applicant => {
                for e in self.applicant.paste(ctx, &self.case, text) {
                    self.record(ctx, e, &mut reply.cmds);
                }
            }
            Step::Delivery => {
                for e in self.delivery.paste(text) {
                    self.record(ctx, e, &mut reply.cmds);
                }
            }
            Step::Rating => {
                for e in self.rating.paste(text) {
                    self.record(ctx, e, &mut reply.cmds);
                }
            }
            Step::Done => {}
        }
        reply
    }

    /// Opens the item's application form for agency staff (the one in progress, else the item's
    /// own); pressed again while open, the next of the item's forms. `None` when it has none.
    pub fn open_agency(&mut self, ctx: &Ctx) -> Option<Vec<Cmd>> {
        let code = self.case.item_code.clone()?;
        let forms = crate::intake::agency::forms_for(ctx.kb, &code);
        let at = |id: &str| forms.iter().position(|f| f.id == id);
        let index = match (&self.agency, self.case.form_id.as_deref().and_then(at)) {
            (Some(open), _) => at(open.form_id()).map_or(0, |i| (i + 1) % forms.len().max(1)),
            (None, Some(i)) => i,
            (None, None) => 0,
        };
        let spec = *forms.get(index)?;
        let item = ctx.kb.item(&code)?;
        let (mut panel, events) = agency::AgencyPanel::open(ctx, spec, item, &self.case);
        panel.set_choice(index, forms.len());
        self.agency = Some(panel);
        let mut cmds = Vec::new();
        for e in events {
            self.record(ctx, e, &mut cmds);
        }
        Some(cmds)
    }

    /// Raises a call to the back office about this case; `None` when there is no item yet.
    pub fn raise_call(&mut self, ctx: &Ctx, question: &str) -> Option<Vec<Cmd>> {
        let item = self.item(ctx.kb)?.clone();
        let mut cmds = Vec::new();
        let event = CaseEvent::CallRaised {
            call_id: uuid::Uuid::new_v4().to_string(),
            question: question.trim().to_string(),
            snapshot: CallSnapshot::of(&self.case, &item),
            at: ctx.now,
        };
        self.record(ctx, event, &mut cmds);
        Some(cmds)
    }

    /// The case as stored now (the sync worker added HQ's events); returns a reply that is new.
    pub fn refresh(&mut self, case_id: &str, case: &Case) -> Option<crate::intake::call::Reply> {
        if self.case_id.as_deref() != Some(case_id) {
            return None;
        }
        let replies = |c: &Case| c.calls.iter().map(|call| call.replies.len()).sum::<usize>();
        let before = replies(&self.case);
        self.case.calls = case.calls.clone();
        (replies(&self.case) > before)
            .then(|| self.case.calls.iter().flat_map(|c| c.replies.iter()).max_by_key(|r| r.at).cloned())
            .flatten()
    }

    /// Applies an event that HQ sent for this case (call states and replies); the sync worker has
    /// already stored it.
    pub fn remote(&mut self, case_id: &str, event: &CaseEvent) -> bool {
        if self.case_id.as_deref() != Some(case_id) {
            return false;
        }
        self.case.apply(event);
        true
    }

    fn finish(&mut self, ctx: &Ctx, cmds: &mut Vec<Cmd>) {
        let (Some(case_id), Some(decision)) = (self.case_id.clone(), self.decision(ctx)) else {
            return;
        };
        // Never final without the supervisor's approval of exactly this decision: back to the
        // checklist, where the supervisor approves it (`src/tui/approval.rs`).
        if let Some(item) = self.item(ctx.kb)
            && !ctx.drill
            && let Some((exception, value)) = self.case.unapproved(item, &decision)
        {
            self.goto(ctx, Step::Checklist, cmds);
            self.checklist.ask_supervisor(exception, value);
            return;
        }
        self.finishing = true;
        cmds.push(Cmd::Finish { case_id, decision, at: ctx.now });
    }

    /// The store assigned the number: show the result and print the notices.
    pub fn finished(&mut self, case_id: &str, case: Case) -> Vec<Cmd> {
        if self.case_id.as_deref() != Some(case_id) {
            return Vec::new();
        }
        self.finishing = false;
        self.case = case;
        self.done = done::DoneStep::default();
        vec![Cmd::Print { case_id: case_id.to_string() }]
    }

    /// The notices were printed (or failed).
    pub fn printed(&mut self, case_id: &str, result: Result<Vec<String>, String>) {
        if self.case_id.as_deref() == Some(case_id) {
            self.done.printed = Some(result);
        }
    }

    /// Seconds since the applicant's service started.
    pub fn elapsed(&self, now: DateTime<Utc>) -> Option<i64> {
        let start = self.case.started_at?;
        let end = self.case.finished_at.unwrap_or(now);
        Some((end - start).num_seconds().max(0))
    }

    /// Draws the screen.
    pub fn view(&self, ctx: &Ctx, frame: &mut Frame, area: Rect) {
        let [steps, body] = Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(area);
        self.view_steps(ctx, frame, steps);
        let body = Rect { x: body.x + 1, width: body.width.saturating_sub(2), ..body };
        if self.finishing {
            frame.render_widget(Line::from("正在办结，分配案件编号..."), body);
            return;
        }
        match self.case.step {
            Step::Ticket => self.view_ticket(frame, body),
            Step::Item => self.item.view(ctx, frame, body),
            Step::Checklist => {
                if let Some(item) = self.item(ctx.kb) {
                    let outcome = self.outcome(ctx);
                    self.checklist.view(ctx, item, &self.case, outcome.as_ref(), frame, body);
                }
            }
            Step::Applicant => self.applicant.view(&self.case, frame, body),
            Step::Delivery => self.delivery.view(self.item(ctx.kb), &self.case, frame, body),
            Step::Rating => self.rating.view(&self.case, self.decision(ctx).as_ref(), frame, body),
            Step::Done => self.done.view(ctx, &self.case, frame, body),
        }
        if let Some(panel) = &self.agency {
            let area = Rect { x: body.x + 2, width: body.width.saturating_sub(4).min(110), ..body };
            panel.view(frame, area);
        } else if let (Some(gaps), Step::Rating) = (&self.form_gaps, self.case.step) {
            view_form_gaps(gaps, frame, body);
        }
        if let Some(code) = &self.item_change {
            self.view_item_change(ctx, code, frame, body);
        }
    }

    /// The question asked before another item drops the marks.
    fn view_item_change(&self, ctx: &Ctx, code: &str, frame: &mut Frame, area: Rect) {
        use ratatui::widgets::{Paragraph, Wrap};
        let name = |code: Option<&str>| {
            code.map(|c| ctx.kb.item(c).map_or_else(|| c.to_string(), |i| i.name.clone())).unwrap_or_default()
        };
        let lines = vec![
            Line::from(format!(
                "当前事项：{}",
                crate::tui::text::layout_safe(&name(self.case.item_code.as_deref()))
            )),
            Line::from(format!(
                "已标记材料 {} 项、已回答情形 {} 个。",
                self.case.materials.len(),
                self.case.answers.len()
            )),
            Line::from(format!(
                "更换为「{}」将清除这些标记。",
                crate::tui::text::layout_safe(&name(Some(code)))
            )),
            Line::from(""),
            Line::styled("y 更换并清除标记    n/Esc 保留原事项和标记", Style::new().fg(Color::Yellow)),
        ];
        let popup = crate::tui::widgets::centered(area, 64.min(area.width), 9.min(area.height));
        crate::tui::widgets::clear_popup(frame, popup);
        let block = crate::tui::widgets::popup_block(" 更换事项？ ");
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }

    fn view_steps(&self, ctx: &Ctx, frame: &mut Frame, area: Rect) {
        let [line, info] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
        let mut spans = vec![Span::raw(" ")];
        for (i, step) in Step::ALL.iter().enumerate() {
            let style = if *step == self.case.step {
                Style::new().bg(Color::Yellow).fg(Color::Black).bold()
            } else if *step < self.case.step {
                Style::new().fg(Color::Green)
            } else {
                Style::new().fg(Color::DarkGray)
            };
            // Narrow terminals name only the current step.
            let text = if *step == self.case.step || area.width >= 100 {
                format!(" {} {} ", i + 1, step.label())
            } else {
                format!(" {} ", i + 1)
            };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(" "));
        }
        frame.render_widget(Line::from(spans), line);
        let mut facts = Vec::new();
        let ticket = self.case.field(Field::Ticket);
        if !ticket.is_empty() {
            facts.push(format!("排队号 {ticket}"));
        }
        if let Some(item) = self.item(ctx.kb) {
            facts.push(format!("{}（{}）", item.name, item.code));
        }
        if let Some(number) = &self.case.number {
            facts.push(format!("案件编号 {number}"));
        }
        let text = super::text::layout_safe(&facts.join(" | ")).into_owned();
        frame.render_widget(Span::styled(format!(" {text}"), Style::new().fg(Color::Cyan)), info);
    }

    fn view_ticket(&self, frame: &mut Frame, area: Rect) {
        let [title, input, hint] =
            Layout::vertical([Constraint::Length(2), Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let heading = if self.case_id.is_some() {
            "排队号（已开始计时）"
        } else {
            "接待下一位申请人"
        };
        frame.render_widget(Span::styled(heading, Style::new().bold()), title);
        let label = "排队号/预约号 > ";
        let width = unicode_width::UnicodeWidthStr::width(label) as u16;
        let [l, i] = Layout::horizontal([Constraint::Length(width), Constraint::Fill(1)]).areas(input);
        frame.render_widget(Span::styled(label, Style::new().fg(Color::Yellow)), l);
        self.ticket.render(frame, i, Style::new().bg(Color::Indexed(236)), true);
        let lines = vec![
            Line::from(""),
            Line::from("输入叫号机的排队号（如 A005）或预约号，按 Enter 开始；没有号也可直接按 Enter。"),
            Line::from("按 Enter 后开始计时：每位申请人在窗口的时间不超过 20 分钟。"),
        ];
        frame.render_widget(
            ratatui::widgets::Paragraph::new(lines).style(Style::new().fg(Color::DarkGray)),
            hint,
        );
    }
}

/// The required fields still empty in the filled agency forms, and the two ways on.
fn view_form_gaps(gaps: &[crate::intake::agency::FormGaps], frame: &mut Frame, body: Rect) {
    let width = body.width.saturating_sub(4).min(100);
    let mut lines = Vec::new();
    for gap in gaps {
        let text = format!("《{}》：{}", gap.title, gap.labels.join("、"));
        lines.extend(super::text::wrap(&text, width.saturating_sub(2), "", "  ").into_iter().map(Line::from));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "F7 补填   Enter 仍然办结并打印（空项印为【未填】）   Esc 返回",
        Style::new().bold(),
    ));
    let height = (lines.len() as u16 + 2).min(body.height);
    let area = Rect { x: body.x + 2, y: body.bottom().saturating_sub(height), width, height };
    super::widgets::clear_popup(frame, area);
    let block = super::widgets::popup_block(" 代办申请表有必填项未填 ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(ratatui::widgets::Paragraph::new(lines).style(Style::new().fg(Color::Yellow)), inner);
}

/// What a step asks the flow to do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stay on this step.
    Stay,
    /// Go to the next step.
    Next,
    /// Go back one step.
    Back,
}
