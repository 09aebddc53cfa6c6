//! Intake step 5: how the result reaches the applicant — window pickup (统一窗口出件) or mail with
//! recipient, phone and address (prefilled from the applicant). Only the options the item offers.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;

use super::{Ctx, Outcome};
use crate::intake::case::{Case, CaseEvent, Delivery, Field};
use crate::intake::validate;
use crate::kb::Item;
use crate::kb::model::DeliveryOption;
use crate::tui::form::{Check, Form, FormEvent};
use crate::tui::keys::{Action, Context};

/// State of the delivery step.
#[derive(Debug)]
pub struct DeliveryStep {
    mail: Form<Field>,
    /// The mail form has focus.
    editing: bool,
    message: Option<String>,
}

impl Default for DeliveryStep {
    fn default() -> Self {
        Self { mail: Form::empty(), editing: false, message: None }
    }
}

/// Whether the item offers a delivery (items listing neither accept both).
fn offers(item: Option<&Item>, delivery: Delivery) -> bool {
    let Some(item) = item else { return true };
    let wanted = match delivery {
        Delivery::Window => DeliveryOption::Window,
        Delivery::Mail => DeliveryOption::Mail,
    };
    let known = item.delivery.iter().any(|d| matches!(d, DeliveryOption::Window | DeliveryOption::Mail));
    !known || item.delivery.contains(&wanted)
}

fn check(field: Field, value: &str) -> Check {
    match field {
        Field::MailPhone => match validate::mobile(value) {
            Ok(_) => Check::ok(),
            Err(e) => Check::error(e.to_string()),
        },
        Field::MailAddress if value.trim().chars().count() < 6 => {
            Check::error("请填写详细地址（省市区、街道、门牌号）")
        }
        _ if value.trim().is_empty() => Check::error("请填写收件人"),
        _ => Check::ok(),
    }
}

impl DeliveryStep {
    /// Prepares the mail form from what is recorded, defaulting to the applicant.
    pub fn enter(&mut self, case: &Case) {
        let or = |field: Field, fallback: Field| {
            let value = case.field(field);
            if value.is_empty() { case.field(fallback).to_string() } else { value.to_string() }
        };
        self.mail = Form::new([
            (Field::MailRecipient, "收件人", or(Field::MailRecipient, Field::ApplicantName)),
            (Field::MailPhone, "收件人电话", or(Field::MailPhone, Field::Phone)),
            (Field::MailAddress, "邮寄地址", or(Field::MailAddress, Field::Address)),
        ])
        .normalised_by(Field::normaliser);
        self.mail.validate(check);
        self.editing = false;
        self.message = None;
    }

    /// The keyboard context: the choice, or the mail form.
    pub fn context(&self) -> Context {
        if self.editing { Context::Form } else { Context::Delivery }
    }

    /// The recorded fields of the mail form that differ from the case, as events (the prefilled
    /// values become part of the case when mail is chosen).
    fn mail_events(&self, case: &Case) -> Vec<CaseEvent> {
        self.mail
            .fields
            .iter()
            .filter(|f| case.field(f.key) != f.input.text())
            .map(|f| CaseEvent::FieldSet { field: f.key, value: f.input.text().to_string() })
            .collect()
    }

    /// Handles a key; returns the events to record.
    pub fn on_key(
        &mut self,
        _ctx: &Ctx,
        item: Option<&Item>,
        case: &Case,
        action: Option<Action>,
        key: KeyEvent,
    ) -> (Outcome, Vec<CaseEvent>) {
        self.message = None;
        if self.editing {
            if action == Some(Action::Back) {
                self.editing = false;
                return (Outcome::Stay, vec![]);
            }
            let event = self.mail.on_key(key);
            self.mail.validate(check);
            return match event {
                FormEvent::Changed(field, value) => {
                    (Outcome::Stay, vec![CaseEvent::FieldSet { field, value }])
                }
                FormEvent::Submit => (Outcome::Next, self.mail_events(case)),
                FormEvent::None => (Outcome::Stay, vec![]),
            };
        }
        let choose = |delivery: Delivery| {
            if case.delivery == delivery { vec![] } else { vec![CaseEvent::DeliverySet { delivery }] }
        };
        match action {
            Some(Action::Back) => (Outcome::Back, vec![]),
            Some(Action::Choose(1)) if offers(item, Delivery::Window) => {
                (Outcome::Stay, choose(Delivery::Window))
            }
            Some(Action::Choose(2)) if offers(item, Delivery::Mail) => {
                self.editing = true;
                let mut events = choose(Delivery::Mail);
                events.extend(self.mail_events(case));
                (Outcome::Stay, events)
            }
            Some(Action::Choose(_)) => {
                self.message = Some("本事项不提供该送达方式".into());
                (Outcome::Stay, vec![])
            }
            Some(Action::Open) => {
                if case.delivery == Delivery::Mail {
                    if let FormEvent::None = self.mail.submit() {
                        self.editing = true;
                        return (Outcome::Stay, vec![]);
                    }
                    return (Outcome::Next, self.mail_events(case));
                }
                if !offers(item, Delivery::Window) {
                    self.message = Some("本事项只能邮寄送达：按 2 填写邮寄信息".into());
                    return (Outcome::Stay, vec![]);
                }
                (Outcome::Next, vec![])
            }
            _ => (Outcome::Stay, vec![]),
        }
    }

    /// Pasted text goes into the mail form when it has focus.
    pub fn paste(&mut self, text: &str) -> Vec<CaseEvent> {
        if !self.editing {
            return vec![];
        }
        let event = self.mail.paste(text);
        self.mail.validate(check);
        match event {
            FormEvent::Changed(field, value) => vec![CaseEvent::FieldSet { field, value }],
            _ => vec![],
        }
    }

    /// Draws the choice and, for mail, the address form.
    pub fn view(&self, item: Option<&Item>, case: &Case, frame: &mut Frame, area: Rect) {
        let [choices, form, message] =
            Layout::vertical([Constraint::Length(4), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
        let option = |n: u8, delivery: Delivery, label: &str| {
            let selected = case.delivery == delivery;
            let available = offers(item, delivery);
            let text = format!(
                "{} {n} {label}{}",
                if selected { "(*)" } else { "( )" },
                if available { "" } else { "（本事项不提供）" }
            );
            let style = match (selected, available) {
                (_, false) => Style::new().fg(Color::DarkGray),
                (true, true) => Style::new().fg(Color::Yellow).bold(),
                (false, true) => Style::new(),
            };
            Line::styled(text, style)
        };
        let lines = vec![
            Line::styled("送达方式", Style::new().bold()),
            option(1, Delivery::Window, "窗口领取（统一窗口出件）"),
            option(2, Delivery::Mail, "邮寄送达"),
        ];
        frame.render_widget(ratatui::widgets::Paragraph::new(lines), choices);
        if case.delivery == Delivery::Mail {
            self.mail.render(frame, form, self.editing);
        }
        if let Some(text) = &self.message {
            frame.render_widget(Line::styled(text.clone(), Style::new().fg(Color::Yellow)), message);
        }
    }
}
