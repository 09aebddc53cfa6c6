//! Agency mode (代办, F7): agency staff fill the item's application form for the applicant, over any
//! intake step once the item is chosen. The authorisation (委托事项, 上门代办 and its address) comes
//! first, then the form's sections; values start from the case, each is checked by its kind and
//! journaled as typed.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::Ctx;
use crate::intake::agency::{applicable_fields, check, numbered_choices, prefill};
use crate::intake::case::{Case, CaseEvent, Field};
use crate::kb::Item;
use crate::kb::forms::{FieldKind, Form as FormSpec, FormField, normaliser};
use crate::tui::form::{Check, Form, FormEvent};
use crate::tui::keys::Action;
use crate::tui::text::wrap;
use crate::tui::widgets::popup_block;

/// A row of the agency form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// 委托事项及范围.
    Scope,
    /// 上门代办: 1 否 / 2 是.
    HomeVisit,
    /// 上门地址.
    HomeAddress,
    /// The n-th field of the form, sections flattened.
    Field(usize),
}

/// The open agency form.
#[derive(Debug)]
pub struct AgencyPanel {
    form_id: String,
    fields: Vec<FormField>,
    form: Form<Key>,
    title: String,
    /// Which of the item's forms this is, of how many (F7 moves to the next).
    choice: (usize, usize),
}

fn yes_no(value: &str) -> Option<bool> {
    match value.trim() {
        "1" | "否" => Some(false),
        "2" | "是" => Some(true),
        _ => None,
    }
}

impl AgencyPanel {
    /// Opens `spec` for `case`: recorded values first, else the case's data, else empty.
    pub fn open(ctx: &Ctx, spec: &FormSpec, item: &Item, case: &Case) -> (Self, Vec<CaseEvent>) {
        let fields: Vec<FormField> = applicable_fields(spec, case).into_iter().cloned().collect();
        let today = crate::time::hall_date(ctx.now);
        // Values recorded for this form, whether it is the one in progress or one filled earlier.
        let recorded_values = if case.form_id.as_deref() == Some(spec.id.as_str()) {
            Some(&case.form_values)
        } else {
            case.other_forms.get(&spec.id)
        };
        let mut events = Vec::new();
        let mut rows: Vec<(Key, String, String)> = vec![
            (Key::Scope, "委托事项及范围".into(), case.field(Field::AgencyScope).to_string()),
            (Key::HomeVisit, "上门代办（1 否/2 是）".into(), if case.home_visit { "2" } else { "1" }.into()),
            (Key::HomeAddress, "上门地址".into(), case.field(Field::HomeVisitAddress).to_string()),
        ];
        for (i, f) in fields.iter().enumerate() {
            let recorded = recorded_values.and_then(|v| v.get(&f.id).cloned());
            let value = recorded.unwrap_or_else(|| {
                let value = prefill(f, case, item, today);
                if !value.is_empty() {
                    events.push(CaseEvent::FormValueSet {
                        form: spec.id.clone(),
                        field: f.id.clone(),
                        value: value.clone(),
                    });
                }
                value
            });
            let label = if f.required { format!("{}*", f.label) } else { f.label.clone() };
            rows.push((Key::Field(i), label, value));
        }
        // Opening a form makes it the case's form (the one printed), even when nothing new was
        // prefilled.
        if events.is_empty()
            && case.form_id.as_deref() != Some(spec.id.as_str())
            && let Some(f) = fields.first()
        {
            let value = rows.iter().find(|r| r.0 == Key::Field(0)).map(|r| r.2.clone()).unwrap_or_default();
            events.push(CaseEvent::FormValueSet { form: spec.id.clone(), field: f.id.clone(), value });
        }
        let normalisers: Vec<fn(&str) -> String> = fields.iter().map(|f| normaliser(f.kind)).collect();
        let mut panel = Self {
            form_id: spec.id.clone(),
            fields,
            form: Form::new(rows).normalised_by(|key| match key {
                Key::Field(i) => normalisers.get(i).copied().unwrap_or(crate::tui::form::as_typed),
                _ => crate::tui::form::as_typed,
            }),
            title: spec.title.clone(),
            choice: (0, 1),
        };
        panel.validate(ctx, case);
        (panel, events)
    }

    /// The id of the form being filled.
    pub fn form_id(&self) -> &str {
        &self.form_id
    }

    /// Notes that this is form `index` of the item's `count` forms.
    pub fn set_choice(&mut self, index: usize, count: usize) {
        self.choice = (index, count);
    }

    fn validate(&mut self, ctx: &Ctx, case: &Case) {
        let today = crate::time::hall_date(ctx.now);
        let fields = &self.fields;
        let home_visit = yes_no(self.form.value(Key::HomeVisit)).unwrap_or(case.home_visit);
        self.form.validate(|key, value| match key {
            Key::Scope if value.trim().is_empty() => {
                Check::error("请写明委托事项及范围（如：代为填写申请表、提交材料、领取结果）")
            }
            Key::HomeVisit if yes_no(value).is_none() => Check::error("请填 1（否）或 2（是）"),
            Key::HomeAddress if home_visit && value.trim().chars().count() < 6 => {
                Check::error("上门代办须填写详细地址")
            }
            Key::Field(i) => match fields.get(i).map(|f| check(f, value, today)) {
                Some(Err(e)) => Check::error(e),
                _ => Check::ok(),
            },
            _ => Check::ok(),
        });
    }

    /// Handles a key; returns whether the panel stays open, and the events to record.
    pub fn on_key(
        &mut self,
        ctx: &Ctx,
        case: &Case,
        action: Option<Action>,
        key: KeyEvent,
    ) -> (bool, Vec<CaseEvent>) {
        if action == Some(Action::Back) {
            return (false, vec![]);
        }
        let event = self.form.on_key(key);
        let events = self.events(event.clone());
        let mut after = case.clone();
        for e in &events {
            after.apply(e);
        }
        self.validate(ctx, &after);
        (event != FormEvent::Submit, events)
    }

    /// Pasted text goes into the focused field.
    pub fn paste(&mut self, ctx: &Ctx, case: &Case, text: &str) -> Vec<CaseEvent> {
        let event = self.form.paste(text);
        let events = self.events(event);
        let mut after = case.clone();
        for e in &events {
            after.apply(e);
        }
        self.validate(ctx, &after);
        events
    }

    fn events(&self, event: FormEvent<Key>) -> Vec<CaseEvent> {
        let FormEvent::Changed(key, value) = event else { return vec![] };
        match key {
            Key::Scope => vec![CaseEvent::FieldSet { field: Field::AgencyScope, value }],
            Key::HomeAddress => vec![CaseEvent::FieldSet { field: Field::HomeVisitAddress, value }],
            Key::HomeVisit => {
                yes_no(&value).map(|home_visit| CaseEvent::HomeVisitSet { home_visit }).into_iter().collect()
            }
            Key::Field(i) => self
                .fields
                .get(i)
                .map(|f| CaseEvent::FormValueSet {
                    form: self.form_id.clone(),
                    field: f.id.clone(),
                    value: normaliser(f.kind)(&value),
                })
                .into_iter()
                .collect(),
        }
    }

    /// Draws the panel over `area`: the form, and the focused field's help.
    pub fn view(&self, frame: &mut Frame, area: Rect) {
        crate::tui::widgets::clear_popup(frame, area);
        let block = popup_block(" 代办填表（Enter 下一项，最后一项 Enter 完成，Esc 收起） ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [title, form, help_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(3)])
                .areas(inner);
        let (index, count) = self.choice;
        let heading = if count > 1 {
            format!("{}（第 {}/{count} 份，F7 换下一份）", self.title, index + 1)
        } else {
            self.title.clone()
        };
        frame.render_widget(Line::styled(heading, Style::new().bold().fg(Color::Yellow)), title);
        // Keep the focused row visible: skip whole fields above it when the form is taller.
        let mut view = self.form.clone();
        let skip = (self.form.focus + 3).saturating_sub(usize::from(form.height.max(3)));
        view.fields.drain(..skip.min(view.fields.len()));
        view.focus = self.form.focus - skip.min(self.form.focus);
        view.render(frame, form, true);
        let help = match self.form.fields.get(self.form.focus).map(|f| f.key) {
            Some(Key::Field(i)) => self.fields.get(i).map(|f| {
                let mut text = f.help.clone().unwrap_or_default();
                if f.kind == FieldKind::Choice {
                    text = format!("{text} 可选：{}（可输入序号）", numbered_choices(f));
                }
                text
            }),
            Some(Key::Scope) => Some("申请人委托代办人员办理的事项和权限，打印在申请表的委托栏".into()),
            _ => None,
        };
        if let Some(text) = help.filter(|t| !t.trim().is_empty()) {
            let lines: Vec<Line> = wrap(&text, help_area.width, "说明：", "      ")
                .into_iter()
                .map(|l| Line::styled(l, Style::new().fg(Color::Cyan)))
                .collect();
            frame.render_widget(Paragraph::new(lines), help_area);
        }
    }
}
