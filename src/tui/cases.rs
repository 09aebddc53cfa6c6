//! The case list (F3): today's and earlier cases, searchable by case number, name, ID number or item
//! code; 容缺 cases show the working days left or how long they are overdue. Opening a case records
//! supplemented materials, terminates an overdue 容缺 case by the item's rule, or reprints.

use std::cell::Cell;

use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::approval::{PromptStep, SupervisorPrompt};
use super::effects::Cmd;
use super::input::TextInput;
use super::intake::Ctx;
use super::keys::{Action, Context};
use super::supplement::{SessionStep, SupplementSession};
use super::text::{layout_safe, provisional_note, wrap};
use super::widgets::{labelled_input, pad, scrolled_list};
use crate::intake::approval::ApprovalDecision;
use crate::intake::case::{Case, CaseEvent, Delivery, Exception, Field, Status, termination_value};
use crate::intake::rules::Decision;
use crate::intake::rules::MaterialState;
use crate::intake::validate::mask_id;
use crate::kb::Kb;
use crate::kb::calendar::Calendar;
use crate::kb::model::ExpiryRule;
use crate::store::CaseSummary;
use unicode_width::UnicodeWidthStr;

/// One opened case.
#[derive(Debug, Default)]
struct Detail {
    case_id: String,
    case: Option<Case>,
    /// What happened, oldest first, in hall time.
    history: Vec<(DateTime<Utc>, String)>,
    /// The titles of the notices the case prints (`p` all, `1`-`9` one).
    notices: Vec<String>,
    /// Index into the pending supplements.
    selected: usize,
    message: Option<String>,
    /// A supplement being checked (`s`).
    session: Option<SupplementSession>,
    /// The receipt recorded during this visit: `u` undoes it until the clerk leaves the case.
    undoable: Option<String>,
    /// First row shown (the detail scrolls with PgUp/PgDn).
    scroll: usize,
    /// Rows beyond the screen at the last draw: how far `scroll` may go (0: it all fits).
    max_scroll: Cell<usize>,
    /// A supervisor approving the termination (`t`), with the termination it approves.
    supervisor: Option<(SupervisorPrompt, CaseEvent)>,
}

/// How many rows PgUp/PgDn move the case detail.
const DETAIL_PAGE: usize = 10;

/// State of the case list.
#[derive(Debug, Default)]
pub struct CasesScreen {
    query: TextInput,
    rows: Vec<CaseSummary>,
    selected: usize,
    detail: Option<Detail>,
}

/// How a 容缺 deadline stands today, in working days; the date marked when provisional.
pub fn deadline_text(calendar: &Calendar, today: NaiveDate, deadline: NaiveDate) -> (String, Color) {
    deadline_status(calendar, today, deadline, &calendar.show(deadline))
}

/// As [`deadline_text`], for a list row: the date without its year (`03-08（暂定）`), so the row
/// keeps the date and its mark within the screen.
fn deadline_short(calendar: &Calendar, today: NaiveDate, deadline: NaiveDate) -> (String, Color) {
    let shown = format!("{}{}", deadline.format("%m-%d"), calendar.mark(deadline));
    deadline_status(calendar, today, deadline, &shown)
}

fn deadline_status(
    calendar: &Calendar,
    today: NaiveDate,
    deadline: NaiveDate,
    shown: &str,
) -> (String, Color) {
    if today > deadline {
        (format!("已逾期 {} 天（{shown}）", (today - deadline).num_days()), Color::Red)
    } else {
        let left = calendar.working_days_between(today, deadline);
        let color = if left <= 1 { Color::Yellow } else { Color::Cyan };
        (format!("剩 {left} 个工作日（{shown} 前）",), color)
    }
}

fn item_name(kb: &Kb, code: Option<&str>) -> String {
    code.map(|c| kb.item(c).map_or_else(|| c.to_string(), |i| i.name.clone())).unwrap_or_default()
}

impl CasesScreen {
    /// The keyboard context.
    pub fn context(&self) -> Context {
        match &self.detail {
            Some(d) if d.session.is_some() => Context::Supplement,
            Some(d) if d.supervisor.is_some() => Context::Prompt,
            Some(_) => Context::CaseDetail,
            None => Context::Cases,
        }
    }

    /// The command that loads the list for the current query.
    pub fn reload(&self) -> Cmd {
        Cmd::LoadCases { query: self.query.text().trim().to_string() }
    }

    /// Whether the case is open on this screen (so news from HQ reloads it).
    pub fn showing(&self, case_id: &str) -> bool {
        self.detail.as_ref().is_some_and(|d| d.case_id == case_id)
    }

    /// The clerk went to another screen: that leaves the open case, so a supplement recorded on it
    /// can no longer be undone.
    pub fn left(&mut self) {
        if let Some(detail) = &mut self.detail {
            detail.undoable = None;
        }
    }

    /// The list arrived.
    pub fn loaded(&mut self, rows: Vec<CaseSummary>) {
        self.rows = rows;
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// An opened case arrived (or changed).
    pub fn case_loaded(&mut self, case_id: String, case: Case) {
        if let Some(detail) = &mut self.detail
            && detail.case_id == case_id
        {
            detail.selected = detail.selected.min(case.pending_supplements().len().saturating_sub(1));
            detail.case = Some(case);
        }
    }

    /// An opened case arrived with its history and notices (or changed).
    pub fn detail_loaded(
        &mut self,
        case_id: String,
        case: Case,
        history: Vec<(DateTime<Utc>, String)>,
        notices: Vec<String>,
    ) {
        if let Some(detail) = &mut self.detail
            && detail.case_id == case_id
        {
            detail.selected = detail.selected.min(case.pending_supplements().len().saturating_sub(1));
            detail.case = Some(case);
            detail.history = history;
            detail.notices = notices;
        }
    }

    /// The footer of the screen: on an opened case only the keys that do something in its state
    /// (a key that would only refuse is not offered); on the list, the list's keys.
    pub fn hints(&self, ctx: &Ctx) -> Vec<(&'static str, &'static str)> {
        let Some(detail) = &self.detail else { return super::keys::footer(Context::Cases) };
        if detail.session.is_some() {
            return super::keys::footer(Context::Supplement);
        }
        let works = |key: &str| match &detail.case {
            None => key == "Esc",
            Some(case) => {
                let pending = case.pending_supplements();
                match key {
                    "Up/Down" => pending.len() > 1,
                    "s" => {
                        case.status == Status::CorrectionRequested
                            || (case.status == Status::AwaitingSupplement && !pending.is_empty())
                    }
                    "u" => detail.undoable.as_deref().is_some_and(|n| {
                        case.receipts.iter().any(|r| r.number == n && r.undone_at.is_none())
                    }),
                    "t" => terminable(case, ctx),
                    "p" => case.number.is_some() && !detail.notices.is_empty(),
                    "1-9" => case.number.is_some() && detail.notices.len() > 1,
                    "PgUp/PgDn" => detail.max_scroll.get() > 0,
                    "Esc" => true,
                    _ => false,
                }
            }
        };
        let own: Vec<&str> = super::keys::BINDINGS
            .iter()
            .filter(|b| b.context == Context::CaseDetail)
            .map(|b| b.key_label)
            .collect();
        let mut hints: Vec<(&'static str, &'static str)> = super::keys::help(Context::CaseDetail)
            .into_iter()
            .filter(|(key, _)| own.contains(key) && works(key))
            .collect();
        hints.extend(
            super::keys::BINDINGS
                .iter()
                .filter(|b| b.in_footer && b.context == Context::Global)
                .map(|b| (b.key_label, b.label)),
        );
        hints
    }

    /// A reprint finished.
    pub fn printed(&mut self, case_id: &str, result: Result<Vec<String>, String>) {
        if let Some(detail) = &mut self.detail
            && detail.case_id == case_id
        {
            let printed = match result {
                Ok(lines) => lines.join("；"),
                Err(e) => format!("打印失败：{e}"),
            };
            // What the clerk just did (a supplement recorded) stays beside where it printed.
            detail.message = Some(match detail.message.take() {
                Some(done) => format!("{done}；{printed}"),
                None => printed,
            });
        }
    }

    /// Handles a key.
    pub fn on_key(&mut self, ctx: &Ctx, action: Option<Action>, key: KeyEvent) -> Vec<Cmd> {
        if let Some(detail) = &mut self.detail {
            let hq = self.rows.iter().find(|r| r.id == detail.case_id).and_then(|r| r.hq_decision.clone());
            return Self::on_detail_key(detail, hq.as_deref(), ctx, action, key).unwrap_or_else(|| {
                self.detail = None;
                vec![self.reload()]
            });
        }
        match action {
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1)),
            Some(Action::Open) => {
                if let Some(row) = self.rows.get(self.selected) {
                    let case_id = row.id.clone();
                    self.detail = Some(Detail { case_id: case_id.clone(), ..Detail::default() });
                    return vec![Cmd::LoadCaseDetail { case_id }];
                }
            }
            Some(Action::Back) => {
                self.query.clear();
                return vec![self.reload()];
            }
            _ => {
                let before = self.query.text().to_string();
                if self.query.handle_key(key) && self.query.text() != before {
                    self.selected = 0;
                    return vec![self.reload()];
                }
            }
        }
        vec![]
    }

    /// Keys on an opened case; `None` closes it.
    fn on_detail_key(
        detail: &mut Detail,
        hq_decision: Option<&str>,
        ctx: &Ctx,
        action: Option<Action>,
        key: KeyEvent,
    ) -> Option<Vec<Cmd>> {
        detail.message = None;
        let Some(case) = &detail.case else {
            return if action == Some(Action::Back) { None } else { Some(vec![]) };
        };
        let pending = case.pending_supplements();
        let journal = |event: CaseEvent| {
            vec![
                Cmd::Journal { case_id: detail.case_id.clone(), event, at: ctx.now },
                Cmd::LoadCaseDetail { case_id: detail.case_id.clone() },
            ]
        };
        let item = case.item_code.as_deref().and_then(|c| ctx.kb.item(c));
        if let Some((prompt, terminated)) = &mut detail.supervisor {
            return Some(match prompt.on_key(key, ctx.now) {
                PromptStep::Open => vec![],
                PromptStep::Cancelled => {
                    detail.supervisor = None;
                    detail.message = Some("未经主管审批，案件未终止".into());
                    vec![]
                }
                // The approval, then the termination it approves, in that order (HQ checks both).
                PromptStep::Approved(approval) => {
                    let terminated = terminated.clone();
                    detail.supervisor = None;
                    detail.message = Some("已经主管审批，案件已终止".into());
                    let mut cmds = journal(*approval);
                    cmds.retain(|c| !matches!(c, Cmd::LoadCaseDetail { .. }));
                    cmds.extend(journal(terminated));
                    cmds
                }
            });
        }
        if let Some(session) = &mut detail.session {
            let Some(item) = item else {
                detail.session = None;
                return Some(vec![]);
            };
            return Some(match session.on_key(item, case, action, ctx.now) {
                SessionStep::Stay => vec![],
                SessionStep::Cancel => {
                    detail.session = None;
                    vec![]
                }
                SessionStep::Record(event) => {
                    let event = *event;
                    let receipt = match &event {
                        CaseEvent::SupplementReceived { receipt, .. } => receipt.clone(),
                        _ => String::new(),
                    };
                    detail.session = None;
                    detail.message =
                        Some(format!("已登记补正收件 {receipt}，正在打印材料接收凭证（u 撤销）"));
                    detail.undoable = Some(receipt.clone());
                    let mut cmds = journal(event);
                    cmds.push(Cmd::PrintReceipt { case_id: detail.case_id.clone(), receipt });
                    cmds
                }
            });
        }
        Some(match action {
            Some(Action::Back) => return None,
            Some(Action::Up) => {
                detail.selected = detail.selected.saturating_sub(1);
                vec![]
            }
            Some(Action::Down) => {
                detail.selected = (detail.selected + 1).min(pending.len().saturating_sub(1));
                vec![]
            }
            Some(Action::PageUp) => {
                detail.scroll = detail.scroll.min(detail.max_scroll.get()).saturating_sub(DETAIL_PAGE);
                vec![]
            }
            Some(Action::PageDown) => {
                detail.scroll = (detail.scroll + DETAIL_PAGE).min(detail.max_scroll.get());
                vec![]
            }
            Some(Action::Choose(n)) if case.number.is_some() => {
                let index = usize::from(n).saturating_sub(1);
                if index < detail.notices.len() {
                    vec![Cmd::PrintNotice { case_id: detail.case_id.clone(), index }]
                } else {
                    detail.message = Some(format!("本案件只有 {} 份文书", detail.notices.len()));
                    vec![]
                }
            }
            Some(Action::Act) if case.status == Status::Terminated => {
                detail.message = Some("本案件已终止受理，不能再登记补正材料".into());
                vec![]
            }
            // 容缺补正 or 退回补正: the materials brought are checked like an intake.
            Some(Action::Act) => {
                match item
                    .ok_or("知识库中没有本案件的事项")
                    .and_then(|item| SupplementSession::open(case, item))
                {
                    Ok(session) => detail.session = Some(session),
                    Err(why) => detail.message = Some(why.into()),
                }
                vec![]
            }
            Some(Action::Undo) => {
                let open = detail.undoable.as_deref().and_then(|number| {
                    case.receipts.iter().find(|r| r.number == number && r.undone_at.is_none())
                });
                // HQ refuses to reopen a correction the back office has decided after.
                let decided = matches!(hq_decision, Some("准予" | "不予"));
                match open {
                    Some(receipt) if receipt.closed.is_some() && decided => {
                        detail.message = Some("后台已作出审批决定，不能再撤销这次补正收件".into());
                        vec![]
                    }
                    Some(receipt) => {
                        detail.message =
                            Some(format!("已撤销补正收件 {}，其材料接收凭证作废", receipt.number));
                        let event = CaseEvent::SupplementUndone {
                            receipt: receipt.number.clone(),
                            reopens: receipt.closed.is_some(),
                            at: ctx.now,
                        };
                        detail.undoable = None;
                        journal(event)
                    }
                    None => {
                        detail.message = Some("没有可撤销的补正收件（离开案件后不能撤销）".into());
                        vec![]
                    }
                }
            }
            Some(Action::Terminate) => {
                if terminable(case, ctx) {
                    // The item's rule decides what the missed deadline means.
                    let lenient = case
                        .item_code
                        .as_deref()
                        .and_then(|c| ctx.kb.item(c))
                        .and_then(|i| i.lenient.as_ref());
                    let rule = lenient.and_then(|l| l.on_expiry);
                    let terminated = CaseEvent::Terminated {
                        at: ctx.now,
                        rule,
                        credit_record: lenient.is_some_and(|l| l.credit_record),
                    };
                    // A supervisor approves exactly this termination: this case, this rule.
                    let value = termination_value(
                        case.number.as_deref().unwrap_or(""),
                        rule.unwrap_or(ExpiryRule::Terminate),
                    );
                    if ctx.drill || case.approved(Exception::Termination, &value).is_some() {
                        journal(terminated)
                    } else {
                        detail.supervisor =
                            Some((SupervisorPrompt::new(Exception::Termination, value), terminated));
                        vec![]
                    }
                } else {
                    detail.message = Some("只有逾期未补正的容缺受理案件才能终止".into());
                    vec![]
                }
            }
            Some(Action::Reprint) if case.number.is_some() => {
                vec![Cmd::Print { case_id: detail.case_id.clone() }]
            }
            _ => vec![],
        })
    }

    /// Pasted text searches.
    pub fn on_paste(&mut self, text: &str) -> Vec<Cmd> {
        if self.detail.is_some() {
            return vec![];
        }
        self.query.insert(text);
        self.selected = 0;
        vec![self.reload()]
    }

    /// Draws the list or the opened case.
    pub fn view(&self, ctx: &Ctx, frame: &mut Frame, area: Rect) {
        let area = Rect { x: area.x + 1, width: area.width.saturating_sub(2), ..area };
        match &self.detail {
            Some(detail) => {
                let hq =
                    self.rows.iter().find(|r| r.id == detail.case_id).and_then(|r| r.hq_decision.as_deref());
                view_detail(detail, hq, ctx, frame, area);
                if let Some((prompt, _)) = &detail.supervisor {
                    prompt.view(frame, area);
                }
            }
            None => self.view_list(ctx, frame, area),
        }
    }

    fn view_list(&self, ctx: &Ctx, frame: &mut Frame, area: Rect) {
        let [search, count, list] =
            Layout::vertical([Constraint::Length(2), Constraint::Length(2), Constraint::Fill(1)]).areas(area);
        labelled_input(frame, search, "查找案件 > ", &self.query, true);
        let today = crate::time::hall_date(ctx.now);
        // Status and the 容缺 deadline come first, in columns measured in terminal cells, so that a
        // narrow screen cuts the item and the masked ID rather than what the clerk acts on.
        let deadlines: Vec<Option<(String, Color)>> = self
            .rows
            .iter()
            .map(|row| match (row.status, row.deadline) {
                (Status::AwaitingSupplement, Some(deadline)) => {
                    Some(deadline_short(&ctx.kb.calendar, today, deadline))
                }
                _ => None,
            })
            .collect();
        let status_width = self.rows.iter().map(|r| r.status.label().width()).max().unwrap_or(0).max(4);
        let deadline_width = deadlines.iter().flatten().map(|(t, _)| t.width()).max().unwrap_or(0);
        let mut header = vec![Span::raw("  "), Span::raw(pad("状态", status_width + 1))];
        if deadline_width > 0 {
            header.push(Span::raw(pad("补正期限", deadline_width + 1)));
        }
        header.push(Span::raw(pad("案件编号", 25)));
        header.push(Span::raw("受理  申请人 事项 证件号"));
        let mut lines = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let selected = i == self.selected;
            let when = crate::time::show(
                row.created_at,
                if crate::time::hall_date(row.created_at) == today { "%H:%M" } else { "%m-%d" },
            );
            let mut spans = vec![
                Span::raw(if selected { "> " } else { "  " }),
                Span::styled(pad(row.status.label(), status_width + 1), Style::new().fg(Color::Cyan)),
            ];
            if deadline_width > 0 {
                let (text, color) = deadlines[i].clone().unwrap_or_default();
                spans.push(Span::styled(pad(&text, deadline_width + 1), Style::new().fg(color)));
            }
            spans.push(Span::styled(
                pad(row.number.as_deref().unwrap_or("（办理中）"), 25),
                Style::new().bold(),
            ));
            spans.push(Span::raw(format!("{when} ")));
            if let Some(kind) = &row.hq_decision {
                spans.push(Span::styled(format!("后台：{kind} "), Style::new().fg(Color::Magenta)));
            }
            spans.extend([
                Span::raw(format!("{} ", layout_safe(row.applicant_name.as_deref().unwrap_or("")))),
                Span::raw(format!("{} ", layout_safe(&item_name(ctx.kb, row.item_code.as_deref())))),
                Span::styled(
                    row.id_number.as_deref().map(mask_id).unwrap_or_default(),
                    Style::new().fg(Color::DarkGray),
                ),
            ]);
            let line = Line::from(spans);
            lines.push(if selected { line.style(Style::new().bg(Color::Indexed(236))) } else { line });
        }
        let mut heading = vec![Line::styled(
            format!("共 {} 件（输入案件编号、姓名、身份证号或事项编码查找）", self.rows.len()),
            Style::new().fg(Color::DarkGray),
        )];
        if !self.rows.is_empty() {
            heading.push(Line::from(header).style(Style::new().fg(Color::DarkGray)));
        }
        frame.render_widget(Paragraph::new(heading), count);
        let mut note = Vec::new();
        provisional_note_for(&lines, &mut note);
        let list = if note.is_empty() {
            list
        } else {
            let [l, n] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(list);
            frame.render_widget(Paragraph::new(note), n);
            l
        };
        scrolled_list(frame, list, lines, self.selected);
    }
}

/// The provisional-mark sentence for `lines`, if any shows a provisional date.
fn provisional_note_for(lines: &[Line<'static>], note: &mut Vec<Line<'static>>) {
    let mut all = lines.to_vec();
    let before = all.len();
    provisional_note(&mut all);
    note.extend(all.into_iter().skip(before));
}

/// Whether the case is a 容缺 case past a supplement deadline (the only kind `t` terminates).
fn terminable(case: &Case, ctx: &Ctx) -> bool {
    let today = crate::time::hall_date(ctx.now);
    case.status == Status::AwaitingSupplement
        && case.pending_supplements().iter().any(|(_, _, deadline)| today > *deadline)
}

/// A case's history for the case detail: what happened, with the time it happened (the journal's
/// time for what the desk did, HQ's for what came from HQ), oldest first. Keystrokes (fields,
/// marks) are left out: the materials as checked show their outcome.
pub fn history(
    kb: &Kb,
    events: &[(DateTime<Utc>, CaseEvent)],
    decisions: &[(ApprovalDecision, DateTime<Utc>)],
) -> Vec<(DateTime<Utc>, String)> {
    let item = events.iter().rev().find_map(|(_, e)| match e {
        CaseEvent::ItemChosen { code, .. } => kb.item(code),
        _ => None,
    });
    let material = |id: &str| {
        item.and_then(|i| i.materials.iter().find(|m| m.id == id)).map_or(id.to_string(), |m| m.name.clone())
    };
    let mut out: Vec<(DateTime<Utc>, String)> = Vec::new();
    let mut last_item: Option<&str> = None;
    for (at, event) in events {
        let entry = match event {
            CaseEvent::Started { at } => Some((*at, "开始接待".to_string())),
            CaseEvent::ItemChosen { code, .. } if last_item != Some(code.as_str()) => {
                let changed = last_item.is_some();
                last_item = Some(code.as_str());
                let name = kb.item(code).map_or(code.as_str(), |i| i.name.as_str());
                Some((*at, format!("{}事项：{name}", if changed { "改选" } else { "选定" })))
            }
            CaseEvent::Finished { number, decision, at } => {
                Some((*at, format!("办结：{}，案件编号 {number}", decision.label())))
            }
            CaseEvent::Supplemented { material: id, at } => {
                Some((*at, format!("登记已补正：{}", material(id))))
            }
            CaseEvent::Terminated { at, rule, credit_record } => Some((
                *at,
                format!(
                    "逾期未补正，{}{}",
                    rule.map_or("终止受理", |r| r.label()),
                    if *credit_record { "，记入信用记录" } else { "" }
                ),
            )),
            CaseEvent::ExceptionApproved { exception, value, supervisor, at } => {
                Some((*at, format!("主管 {supervisor} 审批{}：{value}", exception.label())))
            }
            CaseEvent::HandedOver { to, at, .. } => Some((*at, format!("出件：{to}"))),
            CaseEvent::Abandoned { at } => Some((*at, "放弃办理".to_string())),
            // That a rating arrived; its level only when bad, for the follow-up.
            CaseEvent::RatingReceived { stage, bad: true, level: Some(level), at } => {
                Some((*at, format!("申请人评价（{stage}）：差评 {level}，须回访")))
            }
            CaseEvent::RatingReceived { stage, at, .. } => Some((*at, format!("申请人已评价（{stage}）"))),
            CaseEvent::CallRaised { at, .. } => Some((*at, "呼叫后台".to_string())),
            CaseEvent::CallStateChanged { state, at, .. } => Some((*at, format!("呼叫{}", state.label()))),
            CaseEvent::CallReplied { reply, .. } => Some((reply.at, format!("后台答复（{}）", reply.by))),
            CaseEvent::CorrectionRequested { materials, at, .. } => {
                Some((*at, format!("后台退回补正：{}", materials.join("、"))))
            }
            CaseEvent::Corrected { at } => Some((*at, "登记补正材料，重新提交后台".to_string())),
            CaseEvent::SupplementReceived { receipt, kind, materials, complete, at } => {
                let found: Vec<String> = materials
                    .iter()
                    .map(|m| match &m.state {
                        MaterialState::Defect { text } => format!("{} 有缺陷（{text}）", m.name),
                        state => format!("{} {}", m.name, state.label()),
                    })
                    .collect();
                let back = if *complete { "，重新提交后台" } else { "" };
                Some((*at, format!("{}收件 {receipt}：{}{back}", kind.label(), found.join("；"))))
            }
            CaseEvent::SupplementUndone { receipt, at, .. } => {
                Some((*at, format!("撤销补正收件 {receipt}（凭证作废）")))
            }
            _ => None,
        };
        out.extend(entry);
    }
    for (decision, at) in decisions {
        let text = match decision {
            ApprovalDecision::Approve => "后台决定：准予".to_string(),
            ApprovalDecision::Refuse { reason, .. } => format!("后台决定：不予（{reason}）"),
            // Already in the journal as the case reopening (CorrectionRequested).
            ApprovalDecision::RequestCorrection { .. } => continue,
        };
        out.push((*at, text));
    }
    out.sort_by_key(|(at, _)| *at);
    out
}

/// The applicant's own rating: the window's address to scan (the clerk invites, never rates), and
/// that a rating arrived from HQ — its level only when it is bad, for the follow-up.
fn rating_rows(case: &Case, lookup_url: Option<&str>, rows: &mut Rows, heading: Style) {
    let (Some(number), Some(base)) = (case.number.as_deref(), lookup_url) else {
        if case.ratings_received.is_empty() {
            return;
        }
        rows.push("申请人评价：", heading);
        rating_notes(case, rows);
        return;
    };
    if case.query_code.is_some() || !case.ratings_received.is_empty() {
        rows.push("申请人评价（由申请人本人扫码评价，工作人员只作邀请）：", heading);
        if case.query_code.is_some() {
            let link = format!("{}&via=window", crate::intake::query_code::lookup_link(base, number));
            rows.indented(&format!("窗口评价地址：{link}"), "  ", "    ", Style::new());
        }
        rating_notes(case, rows);
    }
}

fn rating_notes(case: &Case, rows: &mut Rows) {
    for note in &case.ratings_received {
        let when = crate::time::show(note.at, "%Y-%m-%d %H:%M");
        match (&note.level, note.bad) {
            (Some(level), true) => rows.indented(
                &format!("{}环节收到差评（{level}，{when}）：须在 15 个工作日内回访整改", note.stage),
                "  ",
                "    ",
                Style::new().fg(Color::Red),
            ),
            _ => rows.indented(&format!("{}环节已评价（{when}）", note.stage), "  ", "    ", Style::new()),
        }
    }
}

/// The detail's text, wrapped to `width`: one entry per screen row.
struct Rows {
    width: u16,
    lines: Vec<Line<'static>>,
}

impl Rows {
    fn push(&mut self, text: &str, style: Style) {
        self.indented(text, "", "", style);
    }

    fn indented(&mut self, text: &str, first: &str, rest: &str, style: Style) {
        for l in wrap(text, self.width, first, rest) {
            self.lines.push(Line::styled(l, style));
        }
    }

    fn blank(&mut self) {
        self.lines.push(Line::from(""));
    }
}

fn view_detail(detail: &Detail, hq_decision: Option<&str>, ctx: &Ctx, frame: &mut Frame, area: Rect) {
    let Some(case) = &detail.case else {
        frame.render_widget(Line::from("正在读取案件..."), area);
        return;
    };
    let calendar = &ctx.kb.calendar;
    let item = case.item_code.as_deref().and_then(|c| ctx.kb.item(c));
    let mut rows = Rows { width: area.width.max(10), lines: Vec::new() };
    let heading = Style::new().fg(Color::Cyan);
    rows.push(
        &format!(
            "案件 {} | {} | {}",
            case.number.as_deref().unwrap_or("（办理中）"),
            item_name(ctx.kb, case.item_code.as_deref()),
            case.status.label()
        ),
        Style::new().fg(Color::Yellow).bold(),
    );
    // What the last key did comes first, where it is seen without scrolling.
    if let Some(message) = &detail.message {
        rows.push(message, Style::new().fg(Color::Yellow));
    }
    let id = case.field(Field::IdNumber);
    let id = if id.is_empty() { case.field(Field::CreditCode).to_string() } else { mask_id(id) };
    rows.push(&format!("申请人：{} {id}", case.field(Field::ApplicantName)), Style::new());
    // Checking a supplement: the case's head stays on top, the materials below it.
    if let (Some(session), Some(item)) = (&detail.session, item) {
        let head = u16::try_from(rows.lines.len() + 1).unwrap_or(3);
        let [top, body] = Layout::vertical([Constraint::Length(head), Constraint::Fill(1)]).areas(area);
        frame.render_widget(Paragraph::new(std::mem::take(&mut rows.lines)), top);
        session.view(item, frame, body);
        return;
    }
    let agent = case.field(Field::AgentName);
    if agent.is_empty() {
        rows.push("提交人：申请人本人", Style::new());
    } else {
        let agent_id = mask_id(case.field(Field::AgentIdNumber));
        let scope = case.field(Field::AuthorisationScope);
        let scope = if scope.is_empty() { String::new() } else { format!("，委托事项：{scope}") };
        rows.push(&format!("提交人：委托代理人 {agent} {agent_id}{scope}"), Style::new());
    }
    if let Some(decision) = &case.decision {
        let when = case.finished_at.map(|at| format!("（{}）", crate::time::show(at, "%Y-%m-%d %H:%M")));
        rows.push(
            &format!("受理决定：{}{}", decision.label(), when.unwrap_or_default()),
            Style::new().bold(),
        );
        match decision {
            Decision::Accept { promised_date, .. } | Decision::AcceptPending { promised_date, .. } => {
                rows.push(&format!("承诺办结日期：{}", calendar.show(*promised_date)), Style::new());
            }
            Decision::NoticeOfDeficiency { deficiencies, .. } => {
                rows.push(
                    &format!("一次性告知 {} 项材料，申请人补齐后再来办理", deficiencies.len()),
                    Style::new(),
                );
            }
            Decision::Reject { reason, basis } => {
                let why = match reason {
                    crate::intake::rules::RejectReason::NotHandledHere { go_to } => {
                        format!("本中心不办理，请到{go_to}办理")
                    }
                    crate::intake::rules::RejectReason::NotEligible { reason } => {
                        format!("不符合条件：{reason}")
                    }
                };
                rows.push(&format!("{why}；依据：{}", basis.join("；")), Style::new());
            }
        }
    }
    match hq_decision {
        Some("退回补正") => rows.push(
            "后台决定：退回补正（按 p 打印列明补正材料的一次性告知书）",
            Style::new().fg(Color::Magenta).bold(),
        ),
        Some(kind) => rows.push(&format!("后台决定：{kind}"), Style::new().fg(Color::Magenta)),
        None => {}
    }
    rating_rows(case, ctx.config.lookup_url.as_deref(), &mut rows, heading);
    let checks = case.check_tasks();
    if !checks.is_empty() {
        rows.push("告知承诺（受理后核查，非容缺）：", heading);
        for c in checks {
            rows.indented(
                &format!("{}：部门于 {} 前核查承诺", c.name, calendar.show(c.check_deadline)),
                "  ",
                "    ",
                Style::new(),
            );
        }
    }
    if let Some(correction) = &case.correction {
        rows.push("退回补正，待申请人补正下列材料（s 补正收件，全部合格后重新提交后台）：", heading);
        for name in &correction.materials {
            rows.indented(name, "  ", "    ", Style::new());
        }
        if !correction.note.is_empty() {
            rows.indented(&format!("要求：{}", correction.note), "  ", "    ", Style::new());
        }
    }
    let pending = case.pending_supplements();
    if !pending.is_empty() {
        let keys = if pending.len() > 1 { "Up/Down 选择，s 补正收件" } else { "s 补正收件" };
        rows.push(&format!("待补正材料（{keys}）："), heading);
        let today = crate::time::hall_date(ctx.now);
        for (i, (_, name, deadline)) in pending.iter().enumerate() {
            let (text, color) = deadline_text(calendar, today, *deadline);
            let marker = if i == detail.selected { "> " } else { "  " };
            rows.indented(&format!("{name} {text}"), marker, "    ", Style::new().fg(color));
        }
        if let Some(rule) = item.and_then(|i| i.lenient.as_ref()).and_then(|l| l.on_expiry)
            && case.expiry.is_none()
        {
            rows.push(&format!("逾期未补正：{}（t 执行）", rule.label()), Style::new());
        }
    }
    if let Some(expiry) = &case.expiry {
        let credit = if expiry.credit_record { "，已记入信用记录" } else { "" };
        rows.push(
            &format!("逾期未补正，已按事项规定处理：{}{credit}", expiry.rule.label()),
            Style::new().fg(Color::Red),
        );
    }
    for (material, at) in &case.supplemented {
        let name = item
            .and_then(|i| i.materials.iter().find(|m| &m.id == material))
            .map_or(material.as_str(), |m| m.name.as_str());
        rows.indented(
            &format!("已补正 {name} {}", crate::time::show(*at, "%Y-%m-%d %H:%M")),
            "  ",
            "    ",
            Style::new().fg(Color::Green),
        );
    }
    if let Some(item) = item {
        let checked: Vec<_> = item
            .materials
            .iter()
            .filter_map(|m| match (case.materials.get(&m.id), m.shared_data) {
                (Some(state), _) => Some((m, Some(state))),
                (None, true) => Some((m, None)),
                (None, false) => None,
            })
            .collect();
        if !checked.is_empty() {
            rows.blank();
            rows.push("材料核验：", heading);
            for (m, state) in checked {
                let (label, color) = match state {
                    Some(MaterialState::Ok) => ("合格".to_string(), Color::Green),
                    Some(MaterialState::Defect { text }) => (format!("有缺陷：{text}"), Color::Yellow),
                    Some(MaterialState::Missing) => ("缺少".to_string(), Color::Red),
                    Some(MaterialState::Committed) => ("以告知承诺替代".to_string(), Color::Cyan),
                    None => ("数据共享获取".to_string(), Color::Green),
                };
                rows.indented(&format!("[{label}] {}", m.name), "  ", "    ", Style::new().fg(color));
            }
        }
    }
    if !detail.history.is_empty() {
        rows.blank();
        rows.push("办理记录：", heading);
        for (at, text) in &detail.history {
            rows.indented(
                &format!("{} {text}", crate::time::show(*at, "%m-%d %H:%M")),
                "  ",
                "                ",
                Style::new(),
            );
        }
    }
    if !case.calls.is_empty() {
        rows.blank();
        rows.push("呼叫后台：", heading);
        for call in &case.calls {
            let question =
                if call.question.is_empty() { "（未填写问题）" } else { call.question.as_str() };
            rows.indented(
                &format!(
                    "{} {}：{question}",
                    crate::time::show(call.raised_at, "%m-%d %H:%M"),
                    call.state.label()
                ),
                "  ",
                "    ",
                Style::new().fg(Color::Magenta),
            );
            for reply in &call.replies {
                rows.indented(
                    &format!(
                        "{} {}答复：{}",
                        crate::time::show(reply.at, "%m-%d %H:%M"),
                        reply.by,
                        reply.text
                    ),
                    "    ",
                    "      ",
                    Style::new(),
                );
            }
        }
    }
    if case.number.is_some() && !detail.notices.is_empty() {
        rows.blank();
        let keys = if detail.notices.len() > 1 {
            "p 全部重新打印，数字键打印单份"
        } else {
            "p 重新打印"
        };
        rows.push(&format!("文书（{keys}）："), heading);
        for (i, title) in detail.notices.iter().enumerate() {
            let key = if i < 9 { format!("{}", i + 1) } else { " ".to_string() };
            rows.indented(&format!("{key} {title}"), "  ", "    ", Style::new());
        }
    }
    if let Some((to, reference, at)) = &case.handover {
        // A collector's ID number is masked like every other; a tracking number is not.
        let reference =
            if case.delivery == Delivery::Window { mask_id(reference) } else { reference.clone() };
        rows.push(
            &format!("已出件：{to} {reference} {}", crate::time::show(*at, "%Y-%m-%d %H:%M")),
            Style::new(),
        );
    }
    let mut lines = rows.lines;
    provisional_note(&mut lines);
    let height = usize::from(area.height);
    if lines.len() <= height {
        detail.max_scroll.set(0);
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    // The last row says what is above and below, and how to get there.
    let shown = height.saturating_sub(1);
    let max_scroll = lines.len() - shown;
    detail.max_scroll.set(max_scroll);
    let top = detail.scroll.min(max_scroll);
    let below = lines.len() - top - shown;
    let mut visible: Vec<Line<'static>> = lines.into_iter().skip(top).take(shown).collect();
    let sign = match (top, below) {
        (0, b) => format!("v 下方还有 {b} 行（PgDn 翻页）"),
        (a, 0) => format!("^ 上方还有 {a} 行（PgUp 翻页）"),
        (a, b) => format!("^ 上方还有 {a} 行  v 下方还有 {b} 行（PgUp/PgDn 翻页）"),
    };
    visible.push(Line::styled(sign, Style::new().fg(Color::Yellow)));
    frame.render_widget(Paragraph::new(visible), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::call::Reply;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        crate::time::from_hall_local(
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap().and_hms_opt(hour, minute, 0).unwrap(),
        )
    }

    #[test]
    fn history_keeps_what_happened_in_time_order_and_leaves_keystrokes_out() {
        let kb = Kb::embedded().unwrap();
        let code = "00013112700401".to_string();
        let events = vec![
            (at(9, 0), CaseEvent::Started { at: at(9, 0) }),
            (at(9, 1), CaseEvent::ItemChosen { code: code.clone(), kb_version: "v".into() }),
            (at(9, 1), CaseEvent::ItemChosen { code: code.clone(), kb_version: "v".into() }),
            (at(9, 2), CaseEvent::FieldSet { field: Field::ApplicantName, value: "李".into() }),
            (
                at(9, 30),
                CaseEvent::CallReplied {
                    call_id: "c1".into(),
                    reply: Reply { by: "张科长".into(), text: "可以".into(), at: at(9, 20) },
                },
            ),
            (
                at(9, 40),
                CaseEvent::Finished {
                    number: "HRBDL-05-20261130-0001".into(),
                    decision: Decision::Accept {
                        promised_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                        commitments: vec![],
                    },
                    at: at(9, 40),
                },
            ),
        ];
        let decisions = vec![
            (ApprovalDecision::RequestCorrection { materials: vec![], note: String::new() }, at(10, 0)),
            (ApprovalDecision::Approve, at(11, 0)),
        ];
        let history = history(&kb, &events, &decisions);
        let texts: Vec<&str> = history.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [
                "开始接待",
                "选定事项：有限责任公司设立登记",
                "后台答复（张科长）",
                "办结：受理，案件编号 HRBDL-05-20261130-0001",
                "后台决定：准予",
            ]
        );
        assert_eq!(history[2].0, at(9, 20), "HQ's time, not the time the desk journaled it");
    }
}
