//! The case list (F3): today's and earlier cases, searchable by case number, name, ID number or item
//! code; 容缺 cases show the working days left or how long they are overdue. Opening a case records
//! supplemented materials, terminates an overdue 容缺 case by the item's rule, or reprints.

use chrono::NaiveDate;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::effects::Cmd;
use super::input::TextInput;
use super::intake::Ctx;
use super::keys::{Action, Context};
use super::supplement::{SessionStep, SupplementSession};
use super::text::{layout_safe, provisional_note};
use super::widgets::labelled_input;
use crate::intake::case::{Case, CaseEvent, Delivery, Field, Status};
use crate::intake::rules::Decision;
use crate::intake::validate::mask_id;
use crate::kb::Kb;
use crate::kb::calendar::Calendar;
use crate::store::CaseSummary;

/// One opened case.
#[derive(Debug)]
struct Detail {
    case_id: String,
    case: Option<Case>,
    /// Index into the pending supplements.
    selected: usize,
    message: Option<String>,
    /// A supplement being checked (`s`).
    session: Option<SupplementSession>,
    /// The receipt recorded during this visit: `u` undoes it until the clerk leaves the case.
    undoable: Option<String>,
}

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
                Some(done) => format!("{done}\n{printed}"),
                None => printed,
            });
        }
    }

    /// Handles a key.
    pub fn on_key(&mut self, ctx: &Ctx, action: Option<Action>, key: KeyEvent) -> Vec<Cmd> {
        if let Some(detail) = &mut self.detail {
            let hq = self.rows.iter().find(|r| r.id == detail.case_id).and_then(|r| r.hq_decision.clone());
            return Self::on_detail_key(detail, hq.as_deref(), ctx, action).unwrap_or_else(|| {
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
                    self.detail = Some(Detail {
                        case_id: case_id.clone(),
                        case: None,
                        selected: 0,
                        message: None,
                        session: None,
                        undoable: None,
                    });
                    return vec![Cmd::LoadCase { case_id }];
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
    ) -> Option<Vec<Cmd>> {
        detail.message = None;
        let Some(case) = &detail.case else {
            return if action == Some(Action::Back) { None } else { Some(vec![]) };
        };
        let pending = case.pending_supplements();
        let journal = |event: CaseEvent| {
            vec![
                Cmd::Journal { case_id: detail.case_id.clone(), event, at: ctx.now },
                Cmd::LoadCase { case_id: detail.case_id.clone() },
            ]
        };
        let item = case.item_code.as_deref().and_then(|c| ctx.kb.item(c));
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
                let overdue =
                    pending.iter().any(|(_, _, deadline)| crate::time::hall_date(ctx.now) > *deadline);
                if case.status == Status::AwaitingSupplement && overdue {
                    // The item's rule decides what the missed deadline means.
                    let lenient = case
                        .item_code
                        .as_deref()
                        .and_then(|c| ctx.kb.item(c))
                        .and_then(|i| i.lenient.as_ref());
                    journal(CaseEvent::Terminated {
                        at: ctx.now,
                        rule: lenient.and_then(|l| l.on_expiry),
                        credit_record: lenient.is_some_and(|l| l.credit_record),
                    })
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
                view_detail(detail, hq, ctx, frame, area)
            }
            None => self.view_list(ctx, frame, area),
        }
    }

    fn view_list(&self, ctx: &Ctx, frame: &mut Frame, area: Rect) {
        let [search, list] = Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(area);
        labelled_input(frame, search, "查找案件 > ", &self.query, true);
        let today = crate::time::hall_date(ctx.now);
        let mut lines = vec![Line::styled(
            format!("共 {} 件（输入案件编号、姓名、身份证号或事项编码查找）", self.rows.len()),
            Style::new().fg(Color::DarkGray),
        )];
        for (i, row) in self.rows.iter().enumerate() {
            let selected = i == self.selected;
            let when = crate::time::show(
                row.created_at,
                if crate::time::hall_date(row.created_at) == today { "%H:%M" } else { "%m-%d" },
            );
            // Status and deadline come before the item and the masked ID, so that a narrow
            // screen cuts those rather than the deadline and its provisional mark.
            let mut spans = vec![
                Span::raw(if selected { "> " } else { "  " }),
                Span::styled(
                    format!("{:<24}", row.number.as_deref().unwrap_or("（办理中）")),
                    Style::new().bold(),
                ),
                Span::raw(format!(" {when}")),
                Span::styled(format!(" {}", row.status.label()), Style::new().fg(Color::Cyan)),
            ];
            if row.status == Status::AwaitingSupplement
                && let Some(deadline) = row.deadline
            {
                let (text, color) = deadline_short(&ctx.kb.calendar, today, deadline);
                spans.push(Span::styled(format!(" {text}"), Style::new().fg(color)));
            }
            if let Some(kind) = &row.hq_decision {
                spans.push(Span::styled(format!(" 后台：{kind}"), Style::new().fg(Color::Magenta)));
            }
            spans.extend([
                Span::raw(format!(" {}", row.applicant_name.as_deref().unwrap_or(""))),
                Span::raw(format!(" {}", layout_safe(&item_name(ctx.kb, row.item_code.as_deref())))),
                Span::styled(
                    format!(" {}", row.id_number.as_deref().map(mask_id).unwrap_or_default()),
                    Style::new().fg(Color::DarkGray),
                ),
            ]);
            let line = Line::from(spans);
            lines.push(if selected { line.style(Style::new().bg(Color::Indexed(236))) } else { line });
        }
        provisional_note(&mut lines);
        let height = usize::from(list.height.max(1));
        let scroll = (self.selected + 2).saturating_sub(height);
        frame.render_widget(Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(0), 0)), list);
    }
}

fn view_detail(detail: &Detail, hq_decision: Option<&str>, ctx: &Ctx, frame: &mut Frame, area: Rect) {
    let Some(case) = &detail.case else {
        frame.render_widget(Line::from("正在读取案件..."), area);
        return;
    };
    let item = case.item_code.as_deref().and_then(|c| ctx.kb.item(c));
    let mut lines = vec![Line::styled(
        format!(
            "案件 {} | {} | {}",
            case.number.as_deref().unwrap_or("（办理中）"),
            layout_safe(&item_name(ctx.kb, case.item_code.as_deref())),
            case.status.label()
        ),
        Style::new().fg(Color::Yellow).bold(),
    )];
    let id = case.field(Field::IdNumber);
    let id = if id.is_empty() { case.field(Field::CreditCode).to_string() } else { mask_id(id) };
    lines.push(Line::from(format!("申请人：{} {id}", layout_safe(case.field(Field::ApplicantName)))));
    // Checking a supplement: the case's head stays on top, the materials below it.
    if let (Some(session), Some(item)) = (&detail.session, item) {
        let [head, body] = Layout::vertical([Constraint::Length(3), Constraint::Fill(1)]).areas(area);
        frame.render_widget(Paragraph::new(lines), head);
        session.view(item, frame, body);
        return;
    }
    if let Some(decision) = &case.decision {
        lines.push(Line::from(format!("受理决定：{}", decision.label())));
        if let Decision::Accept { promised_date, .. } | Decision::AcceptPending { promised_date, .. } =
            decision
        {
            lines.push(Line::from(format!("承诺办结日期：{}", ctx.kb.calendar.show(*promised_date))));
        }
    }
    let checks = case.check_tasks();
    if !checks.is_empty() {
        lines.push(Line::styled("告知承诺（受理后核查，非容缺）：", Style::new().fg(Color::Cyan)));
        for c in checks {
            lines.push(Line::from(format!(
                "  {}：部门于 {} 前核查承诺",
                layout_safe(&c.name),
                ctx.kb.calendar.show(c.check_deadline)
            )));
        }
    }
    match hq_decision {
        Some("退回补正") => lines.push(Line::styled(
            "后台决定：退回补正（按 p 打印列明补正材料的一次性告知书）",
            Style::new().fg(Color::Magenta).bold(),
        )),
        Some(kind) => lines.push(Line::styled(format!("后台决定：{kind}"), Style::new().fg(Color::Magenta))),
        None => {}
    }
    if let Some(correction) = &case.correction {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            "退回补正，待申请人补正下列材料（s 补正收件，全部合格后重新提交后台）：",
            Style::new().fg(Color::Cyan),
        ));
        for name in &correction.materials {
            lines.push(Line::from(format!("  {}", layout_safe(name))));
        }
        if !correction.note.is_empty() {
            lines.push(Line::from(format!("  要求：{}", layout_safe(&correction.note))));
        }
    }
    let pending = case.pending_supplements();
    if !pending.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled("待补正材料（s 补正收件）：", Style::new().fg(Color::Cyan)));
        for (i, (_, name, deadline)) in pending.iter().enumerate() {
            let (text, color) = deadline_text(&ctx.kb.calendar, crate::time::hall_date(ctx.now), *deadline);
            let marker = if i == detail.selected { "> " } else { "  " };
            lines.push(Line::from(vec![
                Span::raw(format!("{marker}{} ", layout_safe(name))),
                Span::styled(text, Style::new().fg(color)),
            ]));
        }
        if let Some(rule) = item.and_then(|i| i.lenient.as_ref()).and_then(|l| l.on_expiry)
            && case.expiry.is_none()
        {
            lines.push(Line::from(format!("逾期未补正：{}（t 执行）", rule.label())));
        }
    }
    if let Some(expiry) = &case.expiry {
        let credit = if expiry.credit_record { "，已记入信用记录" } else { "" };
        lines.push(Line::styled(
            format!("逾期未补正，已按事项规定处理：{}{credit}", expiry.rule.label()),
            Style::new().fg(Color::Red),
        ));
    }
    for (material, at) in &case.supplemented {
        let name = item
            .and_then(|i| i.materials.iter().find(|m| &m.id == material))
            .map_or(material.as_str(), |m| m.name.as_str());
        lines.push(Line::styled(
            format!("  已补正 {} {}", layout_safe(name), crate::time::show(*at, "%Y-%m-%d %H:%M")),
            Style::new().fg(Color::Green),
        ));
    }
    lines.extend(super::supplement::history(case));
    for call in &case.calls {
        let question =
            if call.question.is_empty() { "（未填写问题）" } else { call.question.as_str() };
        lines.push(Line::styled(
            format!(
                "呼叫后台 {} {}：{}",
                crate::time::show(call.raised_at, "%H:%M"),
                call.state.label(),
                layout_safe(question)
            ),
            Style::new().fg(Color::Magenta),
        ));
        for reply in &call.replies {
            lines.push(Line::from(format!(
                "  {} {}：{}",
                crate::time::show(reply.at, "%H:%M"),
                reply.by,
                layout_safe(&reply.text)
            )));
        }
    }
    if let Some((to, reference, at)) = &case.handover {
        // A collector's ID number is masked like every other; a tracking number is not.
        let reference =
            if case.delivery == Delivery::Window { mask_id(reference) } else { reference.clone() };
        lines.push(Line::from(format!(
            "已出件：{to} {reference} {}",
            crate::time::show(*at, "%Y-%m-%d %H:%M")
        )));
    }
    if let Some(message) = &detail.message {
        lines.push(Line::from(""));
        for part in message.lines() {
            lines.push(Line::styled(layout_safe(part).into_owned(), Style::new().fg(Color::Yellow)));
        }
    }
    provisional_note(&mut lines);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
