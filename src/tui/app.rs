//! The desk's state and its one update loop: `update(message) → commands`, `view(state) → frame`.
//! No IO happens here; the shell in `tui::run` hands commands to the effects worker and feeds its
//! answers back as messages.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::browser::{self, Browser};
use super::cases::CasesScreen;
use super::drill::DrillSession;
use super::effects::{Cmd, DeskConfig};
use super::handover::HandoverScreen;
use super::input::TextInput;
use super::intake::{Ctx, Intake};
use super::keys::{self, Action, Context, ScreenId};
use super::setup::Setup;
use super::widgets::{self, centered, clear_popup, popup_block};
use crate::intake::call::CallState;
use crate::intake::case::{Case, CaseEvent};
use crate::kb::Kb;
use crate::kb::search::SearchIndex;
use crate::store::{CaseSummary, HandoverRow};

/// The intake context of the desk (knowledge base, index, configuration, clock, drill mode),
/// borrowing only the fields it names so the screens can be borrowed mutably beside it.
macro_rules! desk_ctx {
    ($app:ident, $config:expr) => {
        Ctx { kb: &$app.kb, index: &$app.index, config: $config, now: $app.now, drill: $app.drill.is_some() }
    };
}

/// A loaded KB handed between threads; two are equal when they are the same load.
#[derive(Debug, Clone)]
pub struct SharedKb(pub Arc<Kb>);

impl PartialEq for SharedKb {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Everything that can happen to the desk.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A key press.
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste); treated as typed text.
    Paste(String),
    /// The terminal changed size; the next draw adapts.
    Resize,
    /// The clock advanced (the shell sends the wall clock; tests send what they need).
    Tick(DateTime<Utc>),
    /// The store finished a case and gave it its number.
    Finished {
        /// The case.
        case_id: String,
        /// The case as stored.
        case: Case,
    },
    /// Notices were printed (lines to show) or printing failed.
    Printed {
        /// The case.
        case_id: String,
        /// Outcome.
        result: Result<Vec<String>, String>,
    },
    /// The case list for the last query.
    Cases(Vec<CaseSummary>),
    /// One case, loaded for the case screen.
    CaseLoaded {
        /// The case.
        case_id: String,
        /// Its state.
        case: Case,
    },
    /// One case for the case detail, with its history (hall times, what happened) and the titles
    /// of the notices it prints, in print order.
    CaseDetail {
        /// The case.
        case_id: String,
        /// Its state.
        case: Case,
        /// What happened, oldest first.
        history: Vec<(DateTime<Utc>, String)>,
        /// The notices `Cmd::PrintNotice` prints, by index.
        notices: Vec<String>,
    },
    /// Results ready for handover.
    Handover(Vec<HandoverRow>),
    /// Background state for the status bar: outbox entries waiting for HQ.
    Pending(usize),
    /// The sync worker's state (and which cases HQ changed).
    Sync(crate::sync::SyncStatus),
    /// An effect failed; shown in the status bar (nothing typed is lost).
    Failed(String),
    /// The store cannot write: `held` commands wait in memory, in order, and are retried. The desk
    /// shows a blocking banner with `reason` (what is wrong and what to do) until
    /// [`Msg::StoreRecovered`].
    StoreBlocked {
        /// What is wrong and what to do, for the clerk.
        reason: String,
        /// How many commands wait.
        held: usize,
    },
    /// Every held write is on disk again.
    StoreRecovered,
    /// The process got SIGTERM, SIGHUP or SIGINT: the desk ends as on quit (terminal restored,
    /// every journal entry sent is written first).
    Terminate,
    /// The desk switched to a newer KB version (between intakes).
    KbSwitched(SharedKb),
    /// HQ sent an event for a case (call state, reply); already stored by the sync worker.
    Remote {
        /// The case.
        case_id: String,
        /// The event.
        event: CaseEvent,
    },
}

impl Msg {
    /// The message for a terminal event, if it matters.
    pub fn from_event(event: Event) -> Option<Self> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => Some(Self::Key(key)),
            Event::Paste(text) => Some(Self::Paste(text)),
            Event::Resize(..) => Some(Self::Resize),
            _ => None,
        }
    }
}

/// The desk.
pub struct App {
    kb: Arc<Kb>,
    index: SearchIndex,
    /// `None` until the first-run set-up has named the center and window.
    config: Option<DeskConfig>,
    setup: Setup,
    screen: ScreenId,
    /// The screen to return to when the browser is left.
    previous: ScreenId,
    intake: Option<Intake>,
    cases: CasesScreen,
    handover: HandoverScreen,
    browser: Browser,
    help: bool,
    now: DateTime<Utc>,
    pending: usize,
    sync: Option<crate::sync::SyncStatus>,
    error: Option<String>,
    /// The question being typed for a call (F6).
    call_prompt: Option<TextInput>,
    /// A reply from the back office, shown until a key is pressed.
    reply: Option<(String, String)>,
    /// Drill mode: the scenarios and the score just earned.
    drill: Option<DrillSession>,
    /// The drill's "today" minus the wall clock (zero outside drills).
    clock_offset: chrono::TimeDelta,
    /// The store cannot write: (what is wrong and what to do, commands held). Input waits.
    blocked: Option<(String, usize)>,
    /// Quit was pressed once while writes are held: a second press quits and loses them.
    quit_armed: bool,
}

impl App {
    /// A desk on this knowledge base. Without a config it starts with the set-up form.
    pub fn new(kb: Arc<Kb>, config: Option<DeskConfig>, now: DateTime<Utc>) -> Self {
        let index = SearchIndex::with_bundles(&kb.items, &kb.bundles);
        let browser = Browser::new(&kb, &index);
        let mut app = Self {
            setup: Setup::new(config.as_ref()),
            kb,
            index,
            config: None,
            screen: ScreenId::Intake,
            previous: ScreenId::Intake,
            intake: None,
            cases: CasesScreen::default(),
            handover: HandoverScreen::default(),
            browser,
            help: false,
            now,
            pending: 0,
            sync: None,
            error: None,
            call_prompt: None,
            reply: None,
            drill: None,
            clock_offset: chrono::TimeDelta::zero(),
            blocked: None,
            quit_armed: false,
        };
        if let Some(config) = config {
            app.configure(config);
        }
        app
    }

    fn configure(&mut self, config: DeskConfig) {
        self.config = Some(config);
        let ctx = self.ctx_parts();
        if let Some(ctx) = ctx {
            self.intake = Some(Intake::new(&ctx));
        }
    }

    fn ctx_parts(&self) -> Option<Ctx<'_>> {
        Some(desk_ctx!(self, self.config.as_ref()?))
    }

    /// Turns the desk into a drill over `session`'s scenarios (the store must be a drill database).
    pub fn start_drill(&mut self, session: DrillSession) {
        let wall = self.now - self.clock_offset;
        self.clock_offset = session.clock_offset(&self.kb, wall);
        self.now = wall + self.clock_offset;
        if let (Some(config), Some(drill)) = (self.config.as_mut(), session.current(&self.kb)) {
            config.level = drill.at;
        }
        self.drill = Some(session);
        self.screen = ScreenId::Intake;
        if let Some(ctx) = self.ctx_parts() {
            self.intake = Some(Intake::new(&ctx));
        }
    }

    /// The drill session, in drill mode.
    pub fn drill(&self) -> Option<&DrillSession> {
        self.drill.as_ref()
    }

    /// Scores the drill case just finished and asks the store to keep the result.
    fn score_drill(&mut self, case: &Case) -> Vec<Cmd> {
        let (Some(session), Some(intake)) = (self.drill.as_mut(), self.intake.as_ref()) else {
            return vec![];
        };
        let Some(drill) = session.current(&self.kb) else { return vec![] };
        let seconds = intake.elapsed(self.now).unwrap_or(0);
        let score = crate::drill::score::score(&self.kb, drill, case, seconds, intake.keystrokes);
        let result = crate::store::DrillResult {
            drill: drill.id.clone(),
            trainee: session.trainee.clone(),
            finished_at: self.now,
            score: score.total,
            seconds,
            keystrokes: intake.keystrokes,
            missed: score.missed.clone(),
        };
        session.result = Some(score);
        vec![Cmd::RecordDrill(result)]
    }

    /// After the score: the next scenario, on a fresh intake.
    fn next_drill(&mut self) {
        let Some(session) = self.drill.as_mut() else { return };
        if session.index + 1 >= session.scenarios.len() {
            return;
        }
        session.index += 1;
        session.result = None;
        let session = session.clone();
        self.start_drill(session);
    }

    /// Reopens an unfinished case found in the store after a restart.
    pub fn resume(&mut self, case_id: String, case: Case) {
        if let Some(ctx) = self.ctx_parts() {
            let intake = Intake::resume(&ctx, case_id, case);
            self.intake = Some(intake);
            self.screen = ScreenId::Intake;
        }
    }

    /// The browser screen (tests).
    pub fn browser(&self) -> &Browser {
        &self.browser
    }

    /// The intake in progress (tests, drills).
    pub fn intake(&self) -> Option<&Intake> {
        self.intake.as_ref()
    }

    /// The screen shown.
    pub fn screen(&self) -> ScreenId {
        self.screen
    }

    /// The desk's configuration, once set up.
    pub fn config(&self) -> Option<&DeskConfig> {
        self.config.as_ref()
    }

    fn context(&self) -> Context {
        if self.config.is_none() {
            return Context::Form;
        }
        if self.call_prompt.is_some() {
            return Context::Prompt;
        }
        match self.screen {
            ScreenId::Intake => self.intake.as_ref().map_or(Context::Ticket, Intake::context),
            ScreenId::Cases => self.cases.context(),
            ScreenId::Handover => self.handover.context(),
            ScreenId::Browser => self.browser.context(),
        }
    }

    fn switch(&mut self, screen: ScreenId) -> Vec<Cmd> {
        if screen == ScreenId::Browser && self.screen != ScreenId::Browser {
            self.previous = self.screen;
        }
        if self.screen == ScreenId::Cases && screen != ScreenId::Cases {
            self.cases.left();
        }
        self.screen = screen;
        match screen {
            ScreenId::Cases => vec![self.cases.reload()],
            ScreenId::Handover => vec![Cmd::LoadHandover],
            ScreenId::Intake | ScreenId::Browser => vec![],
        }
    }

    /// Applies a message; returns the commands it causes.
    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Paste(text) => {
                self.help = false;
                self.on_paste(&text)
            }
            Msg::Resize => vec![],
            Msg::Tick(now) => {
                self.now = now + self.clock_offset;
                vec![]
            }
            Msg::Finished { case_id, case } => {
                let mut cmds = match &mut self.intake {
                    Some(intake) => intake.finished(&case_id, case.clone()),
                    None => vec![],
                };
                if self.drill.is_some() {
                    cmds.extend(self.score_drill(&case));
                }
                cmds
            }
            Msg::Printed { case_id, result } => {
                if let Some(intake) = &mut self.intake {
                    intake.printed(&case_id, result.clone());
                }
                if self.screen == ScreenId::Handover {
                    self.handover.printed(&result);
                }
                self.cases.printed(&case_id, result);
                vec![]
            }
            Msg::Cases(rows) => {
                self.cases.loaded(rows);
                vec![]
            }
            Msg::CaseLoaded { case_id, case } => {
                // HQ may have answered a call of the case in front of the window.
                if let Some(intake) = &mut self.intake
                    && let Some(reply) = intake.refresh(&case_id, &case)
                {
                    self.reply = Some((reply.by, reply.text));
                }
                self.cases.case_loaded(case_id, case);
                vec![]
            }
            Msg::CaseDetail { case_id, case, history, notices } => {
                self.cases.detail_loaded(case_id, case, history, notices);
                vec![]
            }
            Msg::Handover(rows) => {
                self.handover.loaded(rows);
                vec![]
            }
            Msg::Pending(n) => {
                self.pending = n;
                if let Some(status) = &mut self.sync {
                    status.pending = n;
                }
                vec![]
            }
            Msg::Sync(status) => {
                let mut cmds: Vec<Cmd> = Vec::new();
                let current = self.intake.as_ref().and_then(|i| i.case_id.clone());
                for case_id in &status.changed_cases {
                    if Some(case_id) == current.as_ref() {
                        cmds.push(Cmd::LoadCase { case_id: case_id.clone() });
                    }
                    if self.cases.showing(case_id) {
                        cmds.push(Cmd::LoadCaseDetail { case_id: case_id.clone() });
                    }
                }
                if !status.changed_cases.is_empty() {
                    match self.screen {
                        ScreenId::Handover => cmds.push(Cmd::LoadHandover),
                        ScreenId::Cases => cmds.push(self.cases.reload()),
                        _ => {}
                    }
                }
                // A new KB version switches in only at a safe point: no applicant at the window.
                let idle = self.intake.as_ref().is_none_or(|i| i.case_id.is_none());
                if status.kb_ready.is_some() && idle && self.drill.is_none() {
                    cmds.push(Cmd::SwitchKb);
                }
                self.pending = status.pending;
                self.sync = Some(status);
                cmds
            }
            Msg::Failed(e) => {
                self.error = Some(e);
                vec![]
            }
            Msg::StoreBlocked { reason, held } => {
                self.blocked = Some((reason, held));
                vec![]
            }
            Msg::Terminate => vec![Cmd::Quit],
            Msg::StoreRecovered => {
                self.blocked = None;
                self.quit_armed = false;
                self.error = Some("本地数据库已恢复写入，暂存的内容已全部保存".into());
                vec![]
            }
            Msg::KbSwitched(SharedKb(kb)) => {
                self.index = SearchIndex::with_bundles(&kb.items, &kb.bundles);
                self.browser = Browser::new(&kb, &self.index);
                self.kb = kb;
                if self.intake.as_ref().is_none_or(|i| i.case_id.is_none())
                    && let Some(ctx) = self.ctx_parts()
                {
                    self.intake = Some(Intake::new(&ctx));
                }
                self.error = Some(format!("已切换到知识库 {}", self.kb.meta.version));
                vec![]
            }
            Msg::Remote { case_id, event } => {
                if let Some(intake) = &mut self.intake
                    && intake.remote(&case_id, &event)
                    && let CaseEvent::CallReplied { reply, .. } = &event
                {
                    self.reply = Some((reply.by.clone(), reply.text.clone()));
                }
                vec![]
            }
        }
    }

    /// Whether the store cannot write and the desk waits (the blocking banner is up).
    pub fn blocked(&self) -> bool {
        self.blocked.is_some()
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        // Nothing more is accepted while writes are held: it could not be saved either.
        if self.blocked.is_some() {
            if keys::action(Context::Global, key) == Some(Action::Quit) {
                if self.quit_armed {
                    return vec![Cmd::Quit];
                }
                self.quit_armed = true;
            }
            return vec![];
        }
        if self.help {
            self.help = false;
            if keys::action(Context::Global, key) == Some(Action::Quit) {
                return vec![Cmd::Quit];
            }
            return vec![];
        }
        self.error = None;
        if self.reply.take().is_some() {
            return vec![];
        }
        if self.drill.as_ref().is_some_and(|d| d.result.is_some()) {
            return match keys::action(Context::Global, key) {
                Some(Action::Quit) => vec![Cmd::Quit],
                _ if key.code == crossterm::event::KeyCode::Enter => {
                    self.next_drill();
                    vec![]
                }
                _ => vec![],
            };
        }
        let context = self.context();
        let action = keys::action(context, key);
        if let Some(prompt) = &mut self.call_prompt {
            return match action {
                Some(Action::Back) => {
                    self.call_prompt = None;
                    vec![]
                }
                Some(Action::Open) => {
                    let question = prompt.text().to_string();
                    self.call_prompt = None;
                    self.raise_call(&question)
                }
                Some(Action::Quit) => vec![Cmd::Quit],
                _ => {
                    prompt.handle_key(key);
                    vec![]
                }
            };
        }
        if action == Some(Action::Agency) {
            let opened = match (self.config.as_ref(), self.intake.as_mut()) {
                (Some(config), Some(intake)) if self.screen == ScreenId::Intake => {
                    let ctx = desk_ctx!(self, config);
                    intake.open_agency(&ctx)
                }
                _ => None,
            };
            return opened.unwrap_or_else(|| {
                self.error = Some("请先选定事项；本事项没有代办表单时不能代办填表".into());
                vec![]
            });
        }
        if action == Some(Action::Call) {
            let has_item = self.intake.as_ref().is_some_and(|i| i.case.item_code.is_some());
            if self.screen == ScreenId::Intake && has_item {
                self.call_prompt = Some(TextInput::default());
            } else {
                self.error = Some("请先在受理页面选定事项，再呼叫后台".into());
            }
            return vec![];
        }
        match action {
            Some(Action::Quit) => return vec![Cmd::Quit],
            Some(Action::Help) => {
                self.help = true;
                return vec![];
            }
            Some(Action::Screen(screen)) if self.config.is_some() => return self.switch(screen),
            _ => {}
        }
        let Some(config) = self.config.as_ref() else {
            return match self.setup.on_key(key) {
                Some(config) => {
                    self.configure(config.clone());
                    vec![Cmd::SaveConfig(config)]
                }
                None => vec![],
            };
        };
        let ctx = desk_ctx!(self, config);
        match self.screen {
            ScreenId::Intake => match &mut self.intake {
                Some(intake) => {
                    let reply = intake.on_key(&ctx, key);
                    self.help = reply.help;
                    reply.cmds
                }
                None => vec![],
            },
            ScreenId::Cases => self.cases.on_key(&ctx, action, key),
            ScreenId::Handover => self.handover.on_key(&ctx, action, key),
            ScreenId::Browser => match self.browser.on_key(&self.kb, &self.index, key) {
                browser::Outcome::Quit => vec![Cmd::Quit],
                browser::Outcome::Help => {
                    self.help = true;
                    vec![]
                }
                browser::Outcome::Leave => {
                    self.screen = self.previous;
                    vec![]
                }
                browser::Outcome::None => vec![],
            },
        }
    }

    fn raise_call(&mut self, question: &str) -> Vec<Cmd> {
        let (Some(config), Some(intake)) = (self.config.as_ref(), self.intake.as_mut()) else {
            return vec![];
        };
        let ctx = desk_ctx!(self, config);
        intake.raise_call(&ctx, question).unwrap_or_default()
    }

    fn on_paste(&mut self, text: &str) -> Vec<Cmd> {
        if self.blocked.is_some() {
            return vec![];
        }
        if let Some(prompt) = &mut self.call_prompt {
            prompt.insert(text);
            return vec![];
        }
        let Some(config) = self.config.as_ref() else {
            self.setup.paste(text);
            return vec![];
        };
        let ctx = desk_ctx!(self, config);
        match self.screen {
            ScreenId::Intake => self.intake.as_mut().map(|i| i.on_paste(&ctx, text).cmds).unwrap_or_default(),
            ScreenId::Cases => self.cases.on_paste(text),
            ScreenId::Handover => self.handover.on_paste(&ctx, text),
            ScreenId::Browser => {
                self.browser.on_paste(&self.kb, &self.index, text);
                vec![]
            }
        }
    }

    /// Draws the whole desk.
    pub fn view(&self, frame: &mut Frame) {
        let area = frame.area();
        let Some([title, body, status, footer]) = widgets::chrome(frame, 5) else { return };
        let (status_spans, overflow) = self.status_parts(status.width);
        // An error too long for the status bar takes rows above it (at most three), whole.
        let rows = (overflow.len() as u16).min(3).min(body.height.saturating_sub(3));
        let [body, error_rows] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(rows)]).areas(body);
        self.view_title(frame, title);
        match (self.config.as_ref(), self.screen) {
            (None, _) => self.setup.view(frame, body),
            (Some(config), screen) => {
                let ctx = desk_ctx!(self, config);
                match screen {
                    ScreenId::Intake => {
                        let mut body = body;
                        if let Some(session) = &self.drill {
                            let lines =
                                session.narrative_lines(&self.kb, body.width.saturating_sub(2)).len() as u16;
                            let height = lines.min(body.height / 3).max(1);
                            let [story, rest] =
                                Layout::vertical([Constraint::Length(height), Constraint::Fill(1)])
                                    .areas(body);
                            session.view_narrative(&self.kb, frame, story);
                            body = rest;
                        }
                        if let Some(intake) = &self.intake {
                            intake.view(&ctx, frame, body);
                        }
                    }
                    ScreenId::Cases => self.cases.view(&ctx, frame, body),
                    ScreenId::Handover => self.handover.view(&ctx, frame, body),
                    ScreenId::Browser => self.browser.view(&self.kb, frame, body),
                }
            }
        }
        self.view_status(frame, status, status_spans);
        if rows > 0 {
            frame.render_widget(Clear, error_rows);
            let lines: Vec<Line> = overflow
                .into_iter()
                .take(usize::from(rows))
                .map(|l| Line::styled(l, Style::new().fg(Color::Red).bold()))
                .collect();
            frame.render_widget(Paragraph::new(lines), error_rows);
        }
        match (self.config.as_ref(), self.screen, self.call_prompt.is_none()) {
            (Some(config), ScreenId::Cases, true) => {
                let ctx = desk_ctx!(self, config);
                widgets::footer_hints(frame, footer, &self.cases.hints(&ctx));
            }
            _ => widgets::footer(frame, footer, self.context()),
        }
        if self.help {
            widgets::help_popup(frame, area, self.context());
        }
        if let Some(session) = &self.drill {
            session.view_result(frame, area);
        }
        if let Some(prompt) = &self.call_prompt {
            let popup = centered(area, 70, 5);
            clear_popup(frame, popup);
            let block = popup_block(" 呼叫后台：输入问题（可不填），Enter 发送，Esc 取消 ");
            let inner = block.inner(popup);
            frame.render_widget(block, popup);
            prompt.render(frame, Rect { height: 1, ..inner }, Style::new().bg(Color::Indexed(236)), true);
        }
        if let Some((reason, held)) = &self.blocked {
            self.view_blocked(frame, area, reason, *held);
        }
        if let Some((by, text)) = &self.reply {
            let lines = super::text::wrap(text, 66, "", "");
            let popup = centered(area, 70, lines.len() as u16 + 3);
            clear_popup(frame, popup);
            let title = format!(" 后台答复（{}）按任意键关闭 ", super::text::layout_safe(by));
            let block = popup_block(&title);
            let lines: Vec<Line> = lines.into_iter().map(Line::from).collect();
            frame.render_widget(Paragraph::new(lines).block(block), popup);
        }
    }

    /// The blocking banner while the store cannot write.
    fn view_blocked(&self, frame: &mut Frame, area: Rect, reason: &str, held: usize) {
        let width = area.width.saturating_sub(4).min(76);
        let mut paragraphs = vec![
            reason.to_string(),
            format!(
                "已输入的内容暂存在内存中（{held} 条待写入），写入恢复后自动保存并继续；在此之前不能继续输入。"
            ),
        ];
        if self.quit_armed {
            paragraphs.push(format!("再按一次退出键将放弃这 {held} 条未保存的记录并退出。"));
        }
        let text: Vec<String> =
            paragraphs.iter().flat_map(|p| super::text::wrap(p, width.saturating_sub(2), "", "")).collect();
        let popup = centered(area, width, text.len() as u16 + 2);
        clear_popup(frame, popup);
        let block = popup_block(" 无法保存：本地数据库写入失败 ")
            .border_style(Style::new().fg(Color::Red))
            .title_style(Style::new().fg(Color::Red).bold());
        let lines: Vec<Line> = text.into_iter().map(Line::from).collect();
        frame.render_widget(Paragraph::new(lines).block(block), popup);
    }

    fn view_title(&self, frame: &mut Frame, area: Rect) {
        let style = Style::new().bg(Color::Blue).fg(Color::White);
        let mut spans = vec![Span::styled(" 一窗 yichuang ", style.bold())];
        if self.drill.is_some() {
            spans.push(Span::styled(
                " 演练模式 不会上报 ",
                Style::new().bg(Color::Red).fg(Color::White).bold(),
            ));
        }
        if let Some(config) = &self.config {
            let text = if area.width >= 100 {
                format!("| {} {} 号窗口 ", super::text::layout_safe(&config.center_name), config.window)
            } else {
                format!("| {} 号窗口 ", config.window)
            };
            spans.push(Span::styled(text, style));
        }
        for (screen, key, label) in [
            (ScreenId::Intake, "F2", "受理"),
            (ScreenId::Cases, "F3", "案件"),
            (ScreenId::Handover, "F4", "出件"),
            (ScreenId::Browser, "F5", "知识库"),
        ] {
            let tab = if screen == self.screen {
                Style::new().bg(Color::Yellow).fg(Color::Black).bold()
            } else {
                style
            };
            spans.push(Span::styled(format!(" {key} {label} "), tab));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)).style(style), area);
    }

    /// The status bar's parts for a bar `width` cells wide, most important kept: the hall's date
    /// and time, this applicant's time, the sync state with the pending count, a call's state and
    /// the KB version always stay; the F6/F7 hints go first, the long sync summary is shortened.
    /// An error that does not fit beside them comes back as lines to show above the bar.
    fn status_parts(&self, width: u16) -> (Vec<Span<'static>>, Vec<String>) {
        let width = usize::from(width);
        let local = crate::time::hall_local(self.now);
        const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
        let weekday = WEEKDAYS[chrono::Datelike::weekday(&local).num_days_from_monday() as usize];
        let clock_long = format!(" {} 周{weekday} {} ", local.format("%Y-%m-%d"), local.format("%H:%M"));
        let clock_short = format!(" {} {} ", local.format("%m-%d"), local.format("%H:%M"));
        let clock_style = Style::new().fg(Color::White).bold();
        // Only the applicant in front of the window has a running clock; a finished applicant's
        // time stays on the intake's last step only, never on the other screens.
        let current =
            self.intake.as_ref().filter(|i| self.screen == ScreenId::Intake || i.case.finished_at.is_none());
        let elapsed = current.and_then(|i| i.elapsed(self.now));
        let elapsed = elapsed.map(|seconds| {
            let color = match seconds / 60 {
                0..15 => Color::Green,
                15..20 => Color::Yellow,
                _ => Color::Red,
            };
            Span::styled(
                format!(" 本次用时 {:02}:{:02} ", seconds / 60, seconds % 60),
                Style::new().bg(color).fg(Color::Black),
            )
        });
        let mut keys = Vec::new();
        // F6 and F7 work on the intake screen only: elsewhere they would refuse.
        let on_intake = current.filter(|_| self.screen == ScreenId::Intake);
        if let Some(code) = on_intake.and_then(|i| i.case.item_code.as_deref()) {
            keys.push(Span::styled(" F6 呼叫后台 ", Style::new().fg(Color::Magenta).bold()));
            if crate::intake::agency::form_for(&self.kb, code).is_some() {
                keys.push(Span::styled("F7 代办填表 ", Style::new().fg(Color::Cyan)));
            }
        }
        let (sync_long, sync_short, online) = match &self.sync {
            Some(status) => {
                let short = if status.pending > 0 {
                    format!(" {} {} 待同步 ", if status.online { "在线" } else { "离线" }, status.pending)
                } else {
                    format!(" {} ", if status.online { "在线" } else { "离线" })
                };
                (format!(" {} ", super::text::layout_safe(&status.summary())), short, status.online)
            }
            None if self.pending > 0 => {
                let text = format!(" 离线，{} 待同步 ", self.pending);
                (text.clone(), text, false)
            }
            None => (" 离线 ".to_string(), " 离线 ".to_string(), false),
        };
        let sync_style = Style::new().fg(if online { Color::Green } else { Color::Yellow });
        let call_text = |long: bool| {
            current.and_then(|i| i.case.calls.last()).map(|call| {
                let waited = call.waiting(self.now);
                let text = match call.state {
                    CallState::Pending if long => {
                        format!("| 呼叫{}（离线，联网后送达） ", call.state.label())
                    }
                    CallState::Pending => format!("| 呼叫{} ", call.state.label()),
                    state => format!("| 呼叫{} {:02}:{:02} ", state.label(), waited / 60, waited % 60),
                };
                Span::styled(text, Style::new().fg(Color::Magenta))
            })
        };
        let (call_long, call_short) = (call_text(true), call_text(false));
        let kb =
            Span::styled(format!("| 知识库 {} ", self.kb.meta.version), Style::new().fg(Color::DarkGray));
        let build = |clock: &str, with_keys: bool, sync: &str, call: &Option<Span<'static>>| {
            let mut spans = vec![Span::styled(clock.to_string(), clock_style)];
            spans.extend(elapsed.clone());
            if with_keys {
                spans.extend(keys.iter().cloned());
            }
            spans.push(Span::styled(sync.to_string(), sync_style));
            spans.extend(call.clone());
            spans.push(kb.clone());
            spans
        };
        let fits = |spans: &[Span]| spans.iter().map(|s| s.content.width()).sum::<usize>() <= width;
        let candidates = [
            build(&clock_long, true, &sync_long, &call_long),
            build(&clock_short, true, &sync_long, &call_long),
            build(&clock_short, false, &sync_long, &call_long),
            build(&clock_short, false, &sync_short, &call_long),
            build(&clock_short, false, &sync_short, &call_short),
        ];
        let mut spans = candidates.iter().find(|c| fits(c)).unwrap_or(&candidates[4]).clone();
        let mut overflow = Vec::new();
        if let Some(e) = &self.error {
            let text = format!("| {}", super::text::layout_safe(e));
            let used: usize = spans.iter().map(|s| s.content.width()).sum();
            if used + text.width() <= width {
                spans.push(Span::styled(text, Style::new().fg(Color::Red).bold()));
            } else {
                overflow = super::text::wrap(e, u16::try_from(width).unwrap_or(u16::MAX), " ", " ");
            }
        }
        (spans, overflow)
    }

    fn view_status(&self, frame: &mut Frame, area: Rect, spans: Vec<Span<'static>>) {
        frame.render_widget(Line::from(spans), area);
    }
}
