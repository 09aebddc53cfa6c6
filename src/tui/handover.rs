//! Handover (出件, F4): results the back office approved, waiting at the window or for mail. The
//! clerk records who collected (ID checked against the case's applicant or agent) or the mail
//! tracking number.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::effects::Cmd;
use super::form::{Check, Form, FormEvent};
use super::intake::Ctx;
use super::keys::{Action, Context};
use super::text::layout_safe;
use crate::intake::case::{CaseEvent, Delivery, Status};
use crate::intake::validate;
use crate::store::HandoverRow;

/// Fields of the handover form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Collector,
    CollectorId,
    Tracking,
}

/// State of the handover screen.
#[derive(Debug, Default)]
pub struct HandoverScreen {
    rows: Vec<HandoverRow>,
    selected: usize,
    /// The open form for the selected row.
    form: Option<Form<Key>>,
    message: Option<String>,
}

/// Whether the result must wait: a 容缺 case whose item withholds results until every
/// supplement has arrived.
fn withheld(ctx: &Ctx, row: &HandoverRow) -> bool {
    row.status == Status::AwaitingSupplement
        && row
            .item_code
            .as_deref()
            .and_then(|c| ctx.kb.item(c))
            .and_then(|i| i.lenient.as_ref())
            .is_some_and(|l| l.withhold_result)
}

/// Checks the form against the row: the collector's ID must be the applicant's or the agent's.
fn check(row: &HandoverRow, today: chrono::NaiveDate) -> impl Fn(Key, &str) -> Check + '_ {
    move |key, value| match key {
        Key::Collector if value.trim().is_empty() => Check::error("请填写领取人姓名"),
        Key::Collector => Check::ok(),
        Key::CollectorId => match validate::id_card(value, today) {
            Err(e) => Check::error(format!("身份证号{e}")),
            // An organisation that applied itself has no person on record: its collector shows
            // the unit's authorisation letter (介绍信), which the clerk checks by eye.
            Ok(_) if row.collector_ids.is_empty() => Check {
                info: Some("单位申请：请核验单位介绍信或授权委托书".into()),
                ..Check::default()
            },
            Ok(id) if !row.collector_ids.contains(&id.number) => {
                Check::error("与申请人、代理人的身份证号都不一致：请核对证件或凭授权委托书办理")
            }
            Ok(_) => Check { info: Some("与案件记录一致".into()), ..Check::default() },
        },
        Key::Tracking if value.trim().len() < 6 => Check::error("请填写快递单号"),
        Key::Tracking => Check::ok(),
    }
}

impl HandoverScreen {
    /// The keyboard context.
    pub fn context(&self) -> Context {
        if self.form.is_some() { Context::Form } else { Context::Handover }
    }

    /// The list arrived.
    pub fn loaded(&mut self, rows: Vec<HandoverRow>) {
        self.rows = rows;
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Handles a key.
    pub fn on_key(&mut self, ctx: &Ctx, action: Option<Action>, key: KeyEvent) -> Vec<Cmd> {
        self.message = None;
        let Some(row) = self.rows.get(self.selected) else { return vec![] };
        if let Some(form) = &mut self.form {
            if action == Some(Action::Back) {
                self.form = None;
                return vec![];
            }
            let event = form.on_key(key);
            form.validate(check(row, crate::time::hall_date(ctx.now)));
            if event != FormEvent::Submit {
                return vec![];
            }
            // The collector's ID in its stored form, as it was compared with the case's.
            let (to, reference) = match row.delivery {
                Delivery::Window => (
                    form.value(Key::Collector).trim(),
                    validate::normalise_code(form.value(Key::CollectorId)),
                ),
                Delivery::Mail => ("邮寄", form.value(Key::Tracking).trim().to_uppercase()),
            };
            let event = CaseEvent::HandedOver { to: to.to_string(), reference, at: ctx.now };
            self.message = Some(format!("{} 已出件", row.number));
            let case_id = row.case_id.clone();
            self.form = None;
            return vec![Cmd::Journal { case_id, event, at: ctx.now }, Cmd::LoadHandover];
        }
        match action {
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1)),
            Some(Action::Open) if withheld(ctx, row) => {
                self.message = Some(format!("{} 容缺材料尚未补齐：本事项补齐前不出件", row.number));
            }
            Some(Action::Open) => {
                let mut form = match row.delivery {
                    Delivery::Window => Form::new([
                        (Key::Collector, "领取人姓名", String::new()),
                        (Key::CollectorId, "领取人身份证号", String::new()),
                    ])
                    .normalised_by(|key| match key {
                        Key::CollectorId => validate::normalise_code,
                        _ => crate::tui::form::as_typed,
                    }),
                    Delivery::Mail => Form::new([(Key::Tracking, "快递单号", String::new())]),
                };
                form.validate(check(row, crate::time::hall_date(ctx.now)));
                self.form = Some(form);
            }
            _ => {}
        }
        vec![]
    }

    /// Pasted text goes into the open form.
    pub fn on_paste(&mut self, ctx: &Ctx, text: &str) -> Vec<Cmd> {
        if let (Some(form), Some(row)) = (&mut self.form, self.rows.get(self.selected)) {
            form.paste(text);
            form.validate(check(row, crate::time::hall_date(ctx.now)));
        }
        vec![]
    }

    /// Draws the list and the open form.
    pub fn view(&self, ctx: &Ctx, frame: &mut Frame, area: Rect) {
        let area = Rect { x: area.x + 1, width: area.width.saturating_sub(2), ..area };
        let [list, form] = Layout::vertical([Constraint::Fill(1), Constraint::Length(6)]).areas(area);
        let mut notes = Vec::new();
        let mut lines = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let item = row.item_code.as_deref().and_then(|c| ctx.kb.item(c)).map_or("", |i| i.name.as_str());
            let how = match row.delivery {
                Delivery::Window => "窗口领取",
                Delivery::Mail => "邮寄",
            };
            // What the clerk acts on (the number, the result and how it goes, a withheld result,
            // the promised date) before the name, the item and when HQ decided, which a narrow
            // screen may cut.
            let mut line = Line::from(vec![
                Span::raw(if i == self.selected { "> " } else { "  " }),
                Span::styled(format!("{:<24}", row.number), Style::new().bold()),
                Span::styled(format!(" {} {how}", row.kind), Style::new().fg(Color::Cyan)),
            ]);
            if withheld(ctx, row) {
                line.push_span(Span::styled(" 待补正，补齐前不出件", Style::new().fg(Color::Red)));
            }
            if let Some(promised) = row.promised {
                line.push_span(Span::styled(
                    format!(" 承诺 {}", ctx.kb.calendar.show(promised)),
                    Style::new().fg(Color::DarkGray),
                ));
            }
            line.push_span(Span::raw(format!(
                " {} {}",
                layout_safe(row.applicant_name.as_deref().unwrap_or_default()),
                layout_safe(item)
            )));
            line.push_span(Span::styled(
                format!(" 办结 {}", crate::time::show(row.received_at, "%m-%d %H:%M")),
                Style::new().fg(Color::DarkGray),
            ));
            lines.push(if i == self.selected {
                line.style(Style::new().bg(Color::Indexed(236)))
            } else {
                line
            });
        }
        let mut marked = lines.clone();
        crate::tui::text::provisional_note(&mut marked);
        notes.extend(marked.into_iter().skip(lines.len()));
        if let Some(message) = &self.message {
            notes.push(Line::styled(message.clone(), Style::new().fg(Color::Green)));
        }
        if self.form.is_some() && self.rows.get(self.selected).is_some_and(|r| r.collector_ids.is_empty()) {
            notes.push(Line::styled(
                "单位申请：领取人须出示单位介绍信或授权委托书，核验后登记其身份证号",
                Style::new().fg(Color::Yellow),
            ));
        }
        let room = list.height.saturating_sub(1 + notes.len() as u16);
        let [heading, rows, below] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length((lines.len() as u16).min(room)),
            Constraint::Fill(1),
        ])
        .areas(list);
        frame.render_widget(
            Line::styled(format!("待出件 {} 件（后台已办结）", self.rows.len()), Style::new().bold()),
            heading,
        );
        crate::tui::widgets::scrolled_list(frame, rows, lines, self.selected);
        frame.render_widget(Paragraph::new(notes), below);
        if let Some(f) = &self.form {
            f.render(frame, form, true);
        }
    }
}
