//! Intake step 4: who applies. A person (name, ID card, mobile), an organisation (name, credit code,
//! legal representative, phone) or, for an item that sets one up (设立), the organisation still to be
//! registered (its reserved name, the legal representative and ID, phone; no credit code), plus the agent and the authorisation when the situation `agent`
//! holds. Every keystroke is journaled; invalid values stay in place with the reason at the field.

use chrono::NaiveDate;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use super::{Ctx, Outcome};
use crate::intake::case::{ApplicantKind, Case, CaseEvent, Exception, Field};
use crate::intake::validate;
use crate::kb::Item;
use crate::kb::model::ServiceObject;
use crate::tui::approval::{PromptStep, SupervisorPrompt};
use crate::tui::form::{Check, Form, FormEvent};
use crate::tui::keys::Action;

// Who applies on the applicant's behalf is the case's business (notices print it too):
// `src/intake/case.rs`.
pub use crate::intake::case::{AGENT_SITUATION, Representative, representative};

/// State of the applicant step.
#[derive(Debug)]
pub struct ApplicantStep {
    form: Form<Field>,
    /// The shape the form was built for: (kind, who applies on the applicant's behalf).
    shape: Option<(ApplicantKind, Option<Representative>)>,
    /// Whether the case will be accepted: only then must every number be valid. A notice of
    /// deficiency or a refusal can go to an applicant whose ID number fails its check — that
    /// failure may be the very reason.
    strict: bool,
    /// A supervisor's approval being entered (Ctrl-O on a credit-code warning).
    prompt: Option<SupervisorPrompt>,
}

impl Default for ApplicantStep {
    fn default() -> Self {
        Self { form: Form::empty(), shape: None, strict: true, prompt: None }
    }
}

/// The credit code as the journal keeps it, which an approval is bound to.
fn bound_code(value: &str) -> String {
    Field::CreditCode.normalise(value.trim())
}

/// Whether `value` is a credit code whose only fault is its check character.
fn has_check_warning(value: &str) -> bool {
    validate::credit_code(value).ok().and_then(|c| c.check_warning).is_some()
}

/// The fields of a form of this shape, in the order the clerk reads them off the documents.
fn fields(kind: ApplicantKind, representative: Option<Representative>) -> Vec<(Field, &'static str)> {
    let mut fields = match kind {
        ApplicantKind::Person => {
            vec![
                (Field::ApplicantName, "申请人姓名"),
                (Field::IdNumber, "身份证号"),
                (Field::Phone, "手机号码"),
            ]
        }
        ApplicantKind::Organisation => vec![
            (Field::ApplicantName, "单位名称"),
            (Field::CreditCode, "统一社会信用代码"),
            (Field::LegalRepresentative, "法定代表人"),
            (Field::Phone, "联系电话"),
        ],
        // Not registered yet: the name is the reserved one and there is no credit code to ask for.
        ApplicantKind::ProposedOrganisation => vec![
            (Field::ApplicantName, "拟设立单位名称"),
            (Field::LegalRepresentative, "法定代表人"),
            (Field::IdNumber, "法定代表人身份证号"),
            (Field::Phone, "联系电话"),
        ],
    };
    match representative {
        Some(Representative::Agent) => fields.extend([
            (Field::AgentName, "代理人姓名"),
            (Field::AgentIdNumber, "代理人身份证号"),
            (Field::AgentPhone, "代理人手机"),
            (Field::AuthorisationScope, "委托事项及权限"),
        ]),
        Some(Representative::Guardian) => fields.extend([
            (Field::AgentName, "监护人姓名"),
            (Field::AgentIdNumber, "监护人身份证号"),
            (Field::AgentPhone, "监护人手机"),
            (Field::AuthorisationScope, "监护关系及证明"),
        ]),
        None => {}
    }
    fields
}

/// The applicant kind an item suggests when the clerk has not chosen: organisations for items that
/// serve only legal persons and organisations.
pub fn suggested_kind(item: &Item) -> ApplicantKind {
    if !item.service_objects.is_empty() && item.service_objects.iter().all(|o| *o != ServiceObject::Person) {
        ApplicantKind::Organisation
    } else {
        ApplicantKind::Person
    }
}

/// The applicant kinds Ctrl-T cycles through for `item`: a person, an organisation, and for an
/// item that sets one up (设立) the organisation still to be registered.
pub fn kinds(item: Option<&Item>) -> Vec<ApplicantKind> {
    let mut kinds = vec![ApplicantKind::Person, ApplicantKind::Organisation];
    if item.is_some_and(|i| i.establishes) {
        kinds.push(ApplicantKind::ProposedOrganisation);
    }
    kinds
}

/// The kind after `kind` in [`kinds`] (back to a person after the last).
pub fn next_kind(item: Option<&Item>, kind: ApplicantKind) -> ApplicantKind {
    let kinds = kinds(item);
    let at = kinds.iter().position(|k| *k == kind).unwrap_or(kinds.len() - 1);
    kinds[(at + 1) % kinds.len()]
}

/// Validates one applicant field; `overridden` is set when a supervisor accepted a credit-code
/// check-character warning. An organisation's 联系电话 may be a landline; a person's must be a mobile.
pub fn check_field(
    field: Field,
    kind: ApplicantKind,
    value: &str,
    today: NaiveDate,
    overridden: bool,
) -> Check {
    let required = |what: &str| {
        if value.trim().is_empty() { Check::error(format!("请填写{what}")) } else { Check::ok() }
    };
    match field {
        Field::ApplicantName if kind == ApplicantKind::ProposedOrganisation => {
            if value.trim().is_empty() {
                Check::error("请填写拟设立单位名称（以名称自主申报结果为准）")
            } else if value.trim().chars().count() < 4 {
                Check::error("单位名称过短：请按名称自主申报结果完整填写（行政区划+字号+行业+组织形式）")
            } else {
                Check::ok()
            }
        }
        Field::ApplicantName => required("名称"),
        Field::AgentName => required("代理人姓名"),
        Field::LegalRepresentative => required("法定代表人"),
        Field::AuthorisationScope => required("委托事项及权限"),
        Field::IdNumber | Field::AgentIdNumber => match validate::id_card(value, today) {
            Ok(id) => Check {
                info: Some(format!(
                    "出生 {} | {} | {}",
                    id.birth_date.format("%Y-%m-%d"),
                    if id.male { "男" } else { "女" },
                    crate::intake::region::describe(&id.region)
                )),
                ..Check::default()
            },
            Err(e) if kind == ApplicantKind::ProposedOrganisation && field == Field::IdNumber => {
                Check::error(format!("法定代表人身份证号{e}"))
            }
            Err(e) => Check::error(format!("身份证号{e}")),
        },
        Field::CreditCode => match validate::credit_code(value) {
            Ok(code) => match code.check_warning {
                Some(w) if !overridden => Check {
                    warning: Some(format!("{w}（请核对证照；主管确认后按 Ctrl-O 放行）")),
                    ..Check::default()
                },
                Some(_) => {
                    Check { warning: Some("校验码不符，已由主管放行".into()), ..Check::default() }
                }
                None => Check::ok(),
            },
            Err(e) => Check::error(format!("统一社会信用代码{e}")),
        },
        Field::Phone if kind != ApplicantKind::Person => match validate::contact_phone(value) {
            Ok(_) => Check::ok(),
            Err(e) => Check::error(e.to_string()),
        },
        Field::Phone | Field::AgentPhone => match validate::mobile(value) {
            Ok(_) => Check::ok(),
            Err(e) => Check::error(e.to_string()),
        },
        _ => Check::ok(),
    }
}

impl ApplicantStep {
    /// Builds the form for the case's current shape from the values already recorded.
    pub fn enter(&mut self, ctx: &Ctx, case: &Case, strict: bool) {
        self.strict = strict;
        let shape = (case.applicant_kind, representative(case));
        let same_shape = self.shape == Some(shape);
        let focus = self.form.focus;
        self.form = Form::new(
            fields(shape.0, shape.1).into_iter().map(|(f, label)| (f, label, case.field(f).to_string())),
        )
        .normalised_by(Field::normaliser);
        self.shape = Some(shape);
        self.validate(ctx, case);
        // Back on the step (or after a restart), the cursor goes where work remains.
        self.form.focus = if same_shape { focus } else { self.form.first_error().unwrap_or(0) };
        self.form.focus = self.form.focus.min(self.form.fields.len().saturating_sub(1));
    }

    /// Whether the case changed shape (kind or agent) and the form must be rebuilt.
    pub fn needs_rebuild(&self, case: &Case) -> bool {
        self.shape != Some((case.applicant_kind, representative(case)))
    }

    fn validate(&mut self, ctx: &Ctx, case: &Case) {
        let today = crate::time::hall_date(ctx.now);
        let strict = self.strict;
        let kind = case.applicant_kind;
        self.form.validate(|f, v| {
            // An approval counts only for the very code it was given for.
            let approval = (f == Field::CreditCode)
                .then(|| case.approved(Exception::CreditCodeWarning, &bound_code(v)))
                .flatten();
            let mut check = check_field(f, kind, v, today, approval.is_some());
            if let (Some(a), Some(_)) = (approval, &check.warning) {
                check.warning = Some(format!("校验码不符，已由主管 {} 放行", a.supervisor));
            }
            let number = !matches!(f, Field::ApplicantName | Field::AgentName | Field::LegalRepresentative);
            match check.error {
                Some(error) if !strict && number && !v.trim().is_empty() => Check {
                    warning: Some(format!("{error}（本次不予受理/一次性告知，可继续）")),
                    ..Check::default()
                },
                _ => check,
            }
        });
    }

    /// Whether a supervisor's approval is being entered (keys go to it).
    pub fn approving(&self) -> bool {
        self.prompt.is_some()
    }

    /// A key while the supervisor enters name and PIN (`src/tui/approval.rs`).
    fn prompt_key(&mut self, ctx: &Ctx, case: &Case, key: KeyEvent) -> Vec<CaseEvent> {
        let Some(prompt) = self.prompt.as_mut() else { return vec![] };
        match prompt.on_key(key, ctx.now) {
            PromptStep::Open => vec![],
            PromptStep::Cancelled => {
                self.prompt = None;
                vec![]
            }
            PromptStep::Approved(event) => {
                self.prompt = None;
                let mut after = case.clone();
                after.apply(&event);
                self.validate(ctx, &after);
                vec![*event]
            }
        }
    }

    /// Handles a key; returns the events to record.
    pub fn on_key(
        &mut self,
        ctx: &Ctx,
        case: &Case,
        action: Option<Action>,
        key: KeyEvent,
    ) -> (Outcome, Vec<CaseEvent>) {
        if self.prompt.is_some() {
            return (Outcome::Stay, self.prompt_key(ctx, case, key));
        }
        match action {
            Some(Action::Back) => return (Outcome::Back, vec![]),
            Some(Action::ToggleApplicantKind) => {
                let item = case.item_code.as_deref().and_then(|c| ctx.kb.item(c));
                let kind = next_kind(item, case.applicant_kind);
                return (Outcome::Stay, vec![CaseEvent::ApplicantKindSet { kind }]);
            }
            Some(Action::Override) => {
                // Only a code whose check character is wrong, not yet approved, needs a
                // supervisor; on an empty or valid code Ctrl-O does nothing.
                let value = bound_code(case.field(Field::CreditCode));
                if has_check_warning(&value) && case.credit_code_approval().is_none() {
                    self.prompt = Some(SupervisorPrompt::new(Exception::CreditCodeWarning, value));
                }
                return (Outcome::Stay, vec![]);
            }
            _ => {}
        }
        let event = self.form.on_key(key);
        self.validate(ctx, case);
        match event {
            FormEvent::Changed(field, value) => (Outcome::Stay, vec![CaseEvent::FieldSet { field, value }]),
            FormEvent::Submit => (Outcome::Next, vec![]),
            FormEvent::None => (Outcome::Stay, vec![]),
        }
    }

    /// Pasted text goes into the focused field.
    pub fn paste(&mut self, ctx: &Ctx, case: &Case, text: &str) -> Vec<CaseEvent> {
        // A PIN is typed by the supervisor, never pasted; nor does a paste reach the form behind.
        if self.approving() {
            return vec![];
        }
        let event = self.form.paste(text);
        self.validate(ctx, case);
        match event {
            FormEvent::Changed(field, value) => vec![CaseEvent::FieldSet { field, value }],
            _ => vec![],
        }
    }

    /// Draws the form with the kind and what the keys do.
    pub fn view(&self, case: &Case, frame: &mut Frame, area: Rect) {
        let [heading, form] = Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(area);
        let kind = match case.applicant_kind {
            ApplicantKind::Person => "自然人",
            ApplicantKind::Organisation => "法人或其他组织",
            ApplicantKind::ProposedOrganisation => "拟设立单位（尚未登记）",
        };
        let mut spans = vec![
            Span::styled("申请人类型：", Style::new().bold()),
            Span::styled(kind, Style::new().fg(Color::Cyan)),
            Span::styled("（Ctrl-T 切换）", Style::new().fg(Color::DarkGray)),
        ];
        let note = match (representative(case), case.applicant_kind) {
            (Some(Representative::Agent), _) => "  委托代理人办理：请核对授权委托书",
            (Some(Representative::Guardian), _) => "  监护人代为申请：请核对监护关系证明",
            (None, ApplicantKind::ProposedOrganisation) => "  经办人：法定代表人本人",
            (None, _) => "",
        };
        spans.push(Span::styled(note, Style::new().fg(Color::Magenta)));
        frame.render_widget(Line::from(spans), heading);
        self.form.render(frame, form, true);
        if let Some(prompt) = &self.prompt {
            prompt.view(frame, form);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::case::GUARDIAN_SITUATION;

    #[test]
    fn a_guardian_or_an_agent_applying_brings_their_own_fields() {
        let mut case = Case::default();
        assert_eq!(representative(&case), None);
        case.answers.insert(GUARDIAN_SITUATION.into(), true);
        assert_eq!(representative(&case), Some(Representative::Guardian));
        let labels: Vec<_> =
            fields(ApplicantKind::Person, representative(&case)).into_iter().map(|f| f.1).collect();
        assert!(labels.contains(&"监护人身份证号") && labels.contains(&"监护关系及证明"), "{labels:?}");
        case.answers.insert(AGENT_SITUATION.into(), true);
        assert_eq!(representative(&case), Some(Representative::Agent));
    }
}
