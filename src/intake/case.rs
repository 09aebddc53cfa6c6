//! The case (办件) as a fold over its journal of events.
//!
//! Every change the clerk makes is one [`CaseEvent`]; the store appends it before the screen moves
//! on, and [`Case::apply`] rebuilds the case from the events. So a crash loses nothing, the history
//! of a case is complete by construction, and the same events later travel to HQ.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::call::{Call, CallSnapshot, CallState, Reply};
use super::rules::{Application, Decision, MaterialState};
pub use super::supplement::{Receipt, ReceivedMaterial, SupplementKind};
use crate::kb::Item;
use crate::kb::model::ExpiryRule;
pub use crate::kb::terms::ApplicantKind;

/// A step of the intake flow; journaled so the desk reopens where the clerk was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Queue ticket or appointment number.
    #[default]
    Ticket,
    /// Find the item.
    Item,
    /// Check each material; the computed decision shows beside it (容缺 agreement, not eligible).
    Checklist,
    /// Applicant (and agent) data.
    Applicant,
    /// Window pickup or mail.
    Delivery,
    /// Satisfaction rating.
    Rating,
    /// Finished: number assigned, notices printed.
    Done,
}

impl Step {
    /// Every step in flow order.
    pub const ALL: [Step; 7] = [
        Step::Ticket,
        Step::Item,
        Step::Checklist,
        Step::Applicant,
        Step::Delivery,
        Step::Rating,
        Step::Done,
    ];

    /// The step's name on screen.
    pub fn label(self) -> &'static str {
        match self {
            Step::Ticket => "取号",
            Step::Item => "选择事项",
            Step::Checklist => "材料核验",
            Step::Applicant => "申请人信息",
            Step::Delivery => "送达方式",
            Step::Rating => "好差评",
            Step::Done => "办结",
        }
    }
}

/// The situation id under which an agent applies for the applicant.
pub const AGENT_SITUATION: &str = "agent";

/// The situation id under which a guardian applies for the applicant (a minor, or a person
/// with an intellectual or mental disability).
pub const GUARDIAN_SITUATION: &str = "guardian";

/// Who applies on the applicant's behalf, if anybody: an agent with a letter of authorisation,
/// or a guardian. The applicant step asks for their data; notices name them and let them sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representative {
    /// 委托代理人.
    Agent,
    /// 监护人.
    Guardian,
}

/// Who applies on the applicant's behalf in this case (an agent's letter wins over guardianship
/// when both situations hold: the agent is the one at the window).
pub fn representative(case: &Case) -> Option<Representative> {
    if case.holds(AGENT_SITUATION) {
        Some(Representative::Agent)
    } else if case.holds(GUARDIAN_SITUATION) {
        Some(Representative::Guardian)
    } else {
        None
    }
}

/// A free-text field of the case, named so events say exactly what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Queue ticket (A005) or appointment number.
    Ticket,
    /// Applicant's name (person or organisation).
    ApplicantName,
    /// Resident ID number of the applicant (or the legal representative).
    IdNumber,
    /// Unified social credit code (organisations).
    CreditCode,
    /// Legal representative (organisations).
    LegalRepresentative,
    /// Applicant's mobile number.
    Phone,
    /// Applicant's address.
    Address,
    /// Agent's name (委托代理人).
    AgentName,
    /// Agent's ID number.
    AgentIdNumber,
    /// Agent's phone.
    AgentPhone,
    /// Scope of the authorisation (委托事项及权限).
    AuthorisationScope,
    /// Mail recipient.
    MailRecipient,
    /// Mail recipient's phone.
    MailPhone,
    /// Mail address.
    MailAddress,
    /// Why the applicant is not eligible (不予受理 reason).
    IneligibleReason,
    /// Reason given with a low rating.
    RatingReason,
    /// Supervisor who overrode a credit-code check warning.
    CreditCodeOverride,
    /// Agency (代办): what the applicant authorises the agency staff to do (委托事项及范围).
    AgencyScope,
    /// Agency: the address of a home visit (上门代办).
    HomeVisitAddress,
}

impl Field {
    /// The form this field's value is stored and compared in: ID numbers and credit codes without
    /// whitespace, half-width and upper case; phone numbers as digits without separators or `+86`
    /// (`src/intake/validate.rs`). Other fields keep what was typed.
    pub fn normalise(self, value: &str) -> String {
        self.normaliser()(value)
    }

    /// The function giving this field's stored form ([`Field::normalise`]).
    pub fn normaliser(self) -> fn(&str) -> String {
        match self {
            Field::IdNumber | Field::AgentIdNumber | Field::CreditCode => super::validate::normalise_code,
            Field::Phone | Field::AgentPhone | Field::MailPhone => super::validate::normalise_phone,
            _ => str::to_string,
        }
    }

    /// Whether the field holds a number with a stored form of its own ([`Field::normalise`]).
    pub fn is_number(self) -> bool {
        matches!(
            self,
            Field::IdNumber
                | Field::AgentIdNumber
                | Field::CreditCode
                | Field::Phone
                | Field::AgentPhone
                | Field::MailPhone
        )
    }
}

/// How the result reaches the applicant (GLOSSARY: `Delivery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// 统一窗口出件.
    #[default]
    Window,
    /// 邮寄送达.
    Mail,
}

/// A rating the applicant gave (on the progress page or the window's QR code), as the desk learns
/// it from HQ: the stage and whether it is bad — the level only then, for the follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingNote {
    /// 受理 or 办结.
    pub stage: String,
    /// A bad rating, to be followed up.
    pub bad: bool,
    /// The level, only when bad.
    pub level: Option<String>,
    /// When HQ recorded it.
    pub at: DateTime<Utc>,
}

/// The five levels of 好差评. Stored by name (numeric scales differ between standards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RatingLevel {
    /// 非常满意
    #[serde(rename = "非常满意")]
    VerySatisfied,
    /// 满意
    #[serde(rename = "满意")]
    Satisfied,
    /// 基本满意
    #[serde(rename = "基本满意")]
    Neutral,
    /// 不满意 (bad review: follow up)
    #[serde(rename = "不满意")]
    Dissatisfied,
    /// 非常不满意 (bad review: follow up)
    #[serde(rename = "非常不满意")]
    VeryDissatisfied,
}

impl RatingLevel {
    /// Levels from best to worst, as offered on screen (key 5 … 1).
    pub const ALL: [RatingLevel; 5] = [
        RatingLevel::VerySatisfied,
        RatingLevel::Satisfied,
        RatingLevel::Neutral,
        RatingLevel::Dissatisfied,
        RatingLevel::VeryDissatisfied,
    ];

    /// The level's name.
    pub fn label(self) -> &'static str {
        match self {
            Self::VerySatisfied => "非常满意",
            Self::Satisfied => "满意",
            Self::Neutral => "基本满意",
            Self::Dissatisfied => "不满意",
            Self::VeryDissatisfied => "非常不满意",
        }
    }

    /// Bad reviews must be followed up and need a reason.
    pub fn is_bad(self) -> bool {
        matches!(self, Self::Dissatisfied | Self::VeryDissatisfied)
    }

    /// The level on the provincial 1–5 scale (5 = 非常满意), for keys and exports.
    pub fn stars(self) -> u8 {
        5 - Self::ALL.iter().position(|l| *l == self).unwrap_or(0) as u8
    }

    /// The level for a provincial-scale number (5 = 非常满意).
    pub fn from_stars(stars: u8) -> Option<Self> {
        (1..=5).contains(&stars).then(|| Self::ALL[usize::from(5 - stars)])
    }
}

/// Where a finished case stands afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Intake in progress.
    #[default]
    Draft,
    /// 受理: waiting for the back office.
    Accepted,
    /// 容缺受理: waiting for supplements (已受理・待补正).
    AwaitingSupplement,
    /// Every supplement arrived (已补正).
    Supplemented,
    /// 一次性告知 issued; the applicant comes back once.
    NoticeIssued,
    /// 不予受理.
    Rejected,
    /// 容缺 deadline passed without supplements; terminated per the item's rule.
    Terminated,
    /// The back office sent the case back for correction (退回补正): the window waits for the
    /// applicant to bring the named materials.
    CorrectionRequested,
    /// Result handed over or mailed (出件).
    HandedOver,
    /// The clerk discarded the draft.
    Abandoned,
    /// A draft whose journal has a record that cannot be read: set aside (by the desk at start or
    /// by `yichuang doctor`) so the desk starts; support looks at it with `case show`.
    SetAside,
    /// The intake of a bundle (一件事), finished: its items live on as sub-cases, one ordinary
    /// case per item (see [`CaseEvent::BundleSplit`]); this journal keeps what the clerk did.
    Split,
}

impl Status {
    /// The status name on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "办理中",
            Self::Accepted => "已受理",
            Self::AwaitingSupplement => "已受理・待补正",
            Self::Supplemented => "已补正",
            Self::NoticeIssued => "已一次性告知",
            Self::Rejected => "不予受理",
            Self::Terminated => "已终止",
            Self::CorrectionRequested => "退回补正・待补正",
            Self::HandedOver => "已出件",
            Self::Abandoned => "已放弃",
            Self::SetAside => "已搁置・记录损坏",
            Self::Split => "一件事・已分为各事项子件",
        }
    }
}

/// One change to a case. Events are append-only; the case is their fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CaseEvent {
    /// The clerk began serving an applicant (the clock starts).
    Started {
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// The clerk moved to another step.
    StepEntered {
        /// Which.
        step: Step,
    },
    /// The item was chosen, under this KB version.
    ItemChosen {
        /// Item code.
        code: String,
        /// KB version the case is decided under.
        kb_version: String,
    },
    /// A bundle (一件事) was chosen instead of an item: the intake's marks and answers are then
    /// keyed by the bundle's checklist rows and questions (`src/intake/bundle.rs`).
    BundleChosen {
        /// The bundle's id (`bundles/<id>.toml`).
        bundle: String,
        /// The chosen items' codes, in the bundle's order (required and chosen optional ones).
        items: Vec<String>,
        /// KB version the case is decided under.
        kb_version: String,
    },
    /// This case is one item of a bundle's intake (a sub-case): written when the bundle's intake
    /// is split, before the sub-case's `finished`. Its own journal is that of an ordinary case.
    BundleMember {
        /// The bundle's id.
        bundle: String,
        /// The bundle's name as printed (`企业开办`).
        name: String,
        /// The bundle's case number, the one the applicant is given: that of its first sub-case.
        number: String,
        /// Position of this item in the bundle (0-based).
        position: u16,
        /// Codes of every item of this application of the bundle, in order.
        items: Vec<String>,
        /// The sub-cases' numbers, in the same order (the back office finds a predecessor's).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        numbers: Vec<String>,
        /// Codes of the items the back office decides before this one.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        waits_for: Vec<String>,
        /// Ids of this item's materials an earlier item's result provides (not brought).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        provided: Vec<String>,
    },
    /// The bundle's intake was split into its sub-cases, which got these numbers (in bundle
    /// order; the first is the bundle's number).
    BundleSplit {
        /// The sub-cases' numbers.
        numbers: Vec<String>,
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// A situation was answered 是 (`holds`) or 否.
    SituationSet {
        /// Situation id.
        id: String,
        /// Whether it holds.
        holds: bool,
    },
    /// A situation's answer was taken back: it is unanswered again.
    SituationCleared {
        /// Situation id.
        id: String,
    },
    /// A material was marked (`None` clears the mark).
    MaterialMarked {
        /// Material id.
        id: String,
        /// The new state.
        state: Option<MaterialState>,
    },
    /// The applicant agreed (or not) to sign the 容缺 commitment.
    CommitmentAgreed {
        /// Agreement.
        agrees: bool,
    },
    /// The clerk recorded that the applicant's credit bars 容缺.
    BadCreditSet {
        /// Whether it does.
        bad: bool,
    },
    /// A text field changed.
    FieldSet {
        /// Which.
        field: Field,
        /// New value.
        value: String,
    },
    /// Person or organisation.
    ApplicantKindSet {
        /// Which.
        kind: ApplicantKind,
    },
    /// Delivery chosen.
    DeliverySet {
        /// Window or mail.
        delivery: Delivery,
    },
    /// Satisfaction rated.
    Rated {
        /// Level.
        level: RatingLevel,
    },
    /// The applicant's query code for the progress page (src/hq/lookup.rs), drawn at the desk when
    /// the case is accepted and printed on the 受理通知书. The desk's journal keeps `code` (for
    /// reprints); what leaves the desk carries only `code_sha256` ([`CaseEvent::for_hq`]), and HQ
    /// refuses a change that carries the code itself.
    QueryCodeIssued {
        /// The code as printed (`XXXX-XXXX`); only in the desk's own journal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// SHA-256 (hex) of the code without its dash: what HQ checks a lookup against.
        code_sha256: String,
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// HQ says the applicant rated the service (src/hq/lookup.rs): that a rating arrived, and
    /// its level only when bad (for the follow-up). The clerk never makes the rating.
    RatingReceived {
        /// 受理 or 办结.
        stage: String,
        /// A bad rating (不满意, 非常不满意), to be followed up.
        bad: bool,
        /// The level, only when bad.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<String>,
        /// When HQ recorded it.
        #[serde(with = "crate::time::serde_utc")]
        at: DateTime<Utc>,
    },
    /// Intake finished: the decision is final and the case has its number.
    Finished {
        /// Case number (center-window-date-sequence).
        number: String,
        /// The decision made.
        decision: Decision,
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// A 容缺 material was supplemented.
    Supplemented {
        /// Material id.
        material: String,
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// The 容缺 deadline passed; the case was closed per the item's rule.
    Terminated {
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
        /// The item's rule applied (终止受理 / 不予发证 / 撤销决定); absent in older journals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<ExpiryRule>,
        /// Whether the missed deadline goes to the credit record, as the item says.
        #[serde(default)]
        credit_record: bool,
    },
    /// The result was handed over at the window or mailed.
    HandedOver {
        /// Collector's name or "邮寄".
        to: String,
        /// Collector's ID number (checked against the case) or the tracking number.
        reference: String,
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// The clerk discarded the draft.
    Abandoned {
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// The clerk called the back office about this case (一键呼叫).
    CallRaised {
        /// Client-made call id.
        call_id: String,
        /// The clerk's question.
        question: String,
        /// The case as the approver will see it.
        snapshot: CallSnapshot,
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// Agency staff filled a field of the item's application form.
    FormValueSet {
        /// Form id.
        form: String,
        /// Field id.
        field: String,
        /// Value.
        value: String,
    },
    /// Agency: whether staff visit the applicant at home.
    HomeVisitSet {
        /// Whether.
        home_visit: bool,
    },
    /// HQ reported a call's new state (from sync).
    CallStateChanged {
        /// The call.
        call_id: String,
        /// New state.
        state: CallState,
        /// When.
        #[serde(with = "crate::time::serde_utc")]
        at: DateTime<Utc>,
    },
    /// An approver answered a call (from sync).
    CallReplied {
        /// The call.
        call_id: String,
        /// The answer.
        reply: Reply,
    },
    /// The back office sent the case back for correction (退回补正, from sync): it reopens.
    CorrectionRequested {
        /// Names of the materials to correct.
        materials: Vec<String>,
        /// What the approver requires.
        note: String,
        /// When the decision arrived.
        #[serde(with = "crate::time::serde_utc")]
        at: DateTime<Utc>,
    },
    /// The applicant brought the corrected materials; the case goes back to the back office.
    /// (Journals before supplements were checked like an intake; now [`CaseEvent::SupplementReceived`].)
    Corrected {
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// A supervisor approved an exception at the window, for exactly this value (issue #12): it is
    /// void once the value changes.
    ExceptionApproved {
        /// Which exception.
        exception: Exception,
        /// The value approved, as recorded (e.g. the credit code as typed, normalised).
        value: String,
        /// The supervisor who entered their PIN.
        supervisor: String,
        /// When.
        #[serde(with = "crate::time::serde_utc")]
        at: DateTime<Utc>,
    },
    /// A supplement checked like an intake (`src/intake/supplement.rs`): each material concerned
    /// marked, a 材料接收凭证 issued for what was received.
    SupplementReceived {
        /// The receipt's number (`<case number>-B<n>`).
        receipt: String,
        /// 容缺补正 or 退回补正.
        kind: SupplementKind,
        /// Each material concerned, as marked.
        materials: Vec<ReceivedMaterial>,
        /// Every material of the 退回补正 is now 合格: the case goes back to the back office.
        #[serde(default)]
        complete: bool,
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// The clerk took a supplement back before leaving the case (recorded by mistake).
    SupplementUndone {
        /// The receipt undone.
        receipt: String,
        /// The receipt had completed a 退回补正, which is open again (HQ takes the case back out of
        /// the department's queue).
        #[serde(default)]
        reopens: bool,
        /// When.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
}

/// An exception at the window that needs a supervisor's approval. Every kind goes through the one
/// mechanism: the supervisor's name and PIN checked offline (`src/tui/approval.rs`), an
/// [`CaseEvent::ExceptionApproved`] bound to the exact value ([`Exception`]'s `*_value` functions
/// below), void once the value changes, audited at HQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Exception {
    /// A unified social credit code whose check character does not match, accepted as on the licence.
    CreditCodeWarning,
    /// 不予受理: the window refuses the application (bound to the reason and the legal basis).
    Refusal,
    /// 容缺受理 of a material the KB lets follow only under a condition (`lenient_condition`), which
    /// the supervisor confirms holds (bound to the materials and their conditions).
    ConditionalLenient,
    /// A case closed on its missed 容缺 deadline (终止受理 / 不予发证 / 撤销决定; bound to the case
    /// number and the rule).
    Termination,
}

impl Exception {
    /// The name on screen and in the journal.
    pub fn label(self) -> &'static str {
        match self {
            Self::CreditCodeWarning => "统一社会信用代码校验码不符",
            Self::Refusal => "不予受理",
            Self::ConditionalLenient => "附条件容缺",
            Self::Termination => "终止案件",
        }
    }

    /// The fixed code HQ's audit records.
    pub fn code(self) -> &'static str {
        match self {
            Self::CreditCodeWarning => "credit_code_warning",
            Self::Refusal => "refusal",
            Self::ConditionalLenient => "conditional_lenient",
            Self::Termination => "termination",
        }
    }

    /// Whether HQ refuses the act without this approval: a 不予受理 and a termination close the
    /// case for the applicant, and HQ knows the center's supervisors (`hq clerk set`).
    pub fn checked_at_hq(self) -> bool {
        matches!(self, Self::Refusal | Self::Termination)
    }
}

/// Why the window refuses, in the words of the notice.
pub fn refusal_reason(reason: &super::rules::RejectReason) -> String {
    match reason {
        super::rules::RejectReason::NotHandledHere { go_to } => format!("本中心不办理，请到{go_to}办理"),
        super::rules::RejectReason::NotEligible { reason } => format!("不符合条件：{reason}"),
    }
}

/// The value a 不予受理 approval is bound to: the reason and the legal basis, as printed. Any change
/// to either (another reason typed, another eligibility answer) makes another value.
pub fn refusal_value(decision: &Decision) -> Option<String> {
    match decision {
        Decision::Reject { reason, basis } => {
            Some(format!("{}｜依据：{}", refusal_reason(reason), basis.join("；")))
        }
        _ => None,
    }
}

/// The value a conditional 容缺 approval is bound to: each owed material whose 容缺 the KB allows
/// only under a condition, with that condition, in the item's order; `None` when the decision owes
/// none (an ordinary 容缺 needs no supervisor).
pub fn conditional_lenient_value(item: &Item, decision: &Decision) -> Option<String> {
    let Decision::AcceptPending { supplements, .. } = decision else { return None };
    let owed: Vec<String> = item
        .materials
        .iter()
        .filter(|m| supplements.iter().any(|s| s.deficiency.material == m.id))
        .filter_map(|m| m.lenient_condition.as_ref().map(|c| format!("{}（{}）", m.name, c.trim())))
        .collect();
    (!owed.is_empty()).then(|| owed.join("；"))
}

/// The value a termination approval is bound to: the case number and the rule applied.
pub fn termination_value(number: &str, rule: ExpiryRule) -> String {
    format!("{number}｜{}", rule.label())
}

/// The exception an intake decision needs approved before it is final, with the value it binds.
pub fn decision_exception(item: &Item, decision: &Decision) -> Option<(Exception, String)> {
    refusal_value(decision)
        .map(|v| (Exception::Refusal, v))
        .or_else(|| conditional_lenient_value(item, decision).map(|v| (Exception::ConditionalLenient, v)))
}

/// A supervisor's approval of an exception, bound to the value approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Which exception.
    pub exception: Exception,
    /// The value approved.
    pub value: String,
    /// Who approved.
    pub supervisor: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl CaseEvent {
    /// The event as it must be journaled, when it differs from `self`: a number field's value in
    /// its stored form ([`Field::normalise`]), so the store never holds a garbled number.
    pub fn normalised(&self) -> Option<CaseEvent> {
        match self {
            Self::FieldSet { field, value } if field.is_number() => {
                let normal = field.normalise(value);
                (normal != *value).then_some(Self::FieldSet { field: *field, value: normal })
            }
            _ => None,
        }
    }

    /// Whether the event came from HQ (and so must not be pushed back to it).
    pub fn is_from_hq(&self) -> bool {
        matches!(
            self,
            Self::CallStateChanged { .. }
                | Self::CallReplied { .. }
                | Self::CorrectionRequested { .. }
                | Self::RatingReceived { .. }
        )
    }

    /// The event as it leaves the desk: a query code travels as its hash only (HQ must never hold
    /// the code itself); `None` when the event goes as journaled.
    pub fn for_hq(&self) -> Option<CaseEvent> {
        match self {
            Self::QueryCodeIssued { code: Some(_), code_sha256, at } => {
                Some(Self::QueryCodeIssued { code: None, code_sha256: code_sha256.clone(), at: *at })
            }
            _ => None,
        }
    }

    /// Whether the event must reach HQ at once, even while the case is still a draft.
    pub fn is_urgent(&self) -> bool {
        matches!(self, Self::CallRaised { .. })
    }
}

/// A case: everything the clerk recorded, rebuilt from events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// When the applicant's service started.
    pub started_at: Option<DateTime<Utc>>,
    /// Current step of the intake flow.
    pub step: Step,
    /// Item code, once chosen.
    pub item_code: Option<String>,
    /// KB version the item was chosen under.
    pub kb_version: Option<String>,
    /// Material states by id (unmarked materials are absent).
    pub materials: BTreeMap<String, MaterialState>,
    /// The clerk's answers to the item's situations (情形): 是 = `true`, 否 = `false`; an
    /// unanswered situation is absent.
    pub answers: BTreeMap<String, bool>,
    /// The applicant agrees to the 容缺 commitment.
    pub agrees_to_commitment: bool,
    /// Credit record bars 容缺.
    pub bad_credit: bool,
    /// Person or organisation.
    pub applicant_kind: ApplicantKind,
    /// Text fields.
    pub fields: BTreeMap<Field, String>,
    /// Delivery.
    pub delivery: Delivery,
    /// Rating, once given.
    pub rating: Option<RatingLevel>,
    /// Ratings the applicant gave on their own (from HQ): that one arrived, the level only when bad.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings_received: Vec<RatingNote>,
    /// The query code printed on the 受理通知书 (desk only; HQ holds its hash).
    pub query_code: Option<String>,
    /// Case number, once finished.
    pub number: Option<String>,
    /// Final decision, once finished.
    pub decision: Option<Decision>,
    /// When intake finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Status.
    pub status: Status,
    /// Supplemented materials with dates.
    pub supplemented: BTreeMap<String, DateTime<Utc>>,
    /// Handover record: (to, reference, at).
    pub handover: Option<(String, String, DateTime<Utc>)>,
    /// Calls to the back office about this case.
    #[serde(default)]
    pub calls: Vec<Call>,
    /// Agency mode (代办): the application form's values by field id, once staff fill it.
    #[serde(default)]
    pub form_values: BTreeMap<String, String>,
    /// Agency: the form being filled.
    #[serde(default)]
    pub form_id: Option<String>,
    /// Agency: values of the item's other forms filled earlier, by form id, kept when staff move
    /// to another form and back.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other_forms: BTreeMap<String, BTreeMap<String, String>>,
    /// Agency: staff visit the applicant at home (上门代办).
    #[serde(default)]
    pub home_visit: bool,
    /// The back office's request for correction the window is waiting on.
    #[serde(default)]
    pub correction: Option<Correction>,
    /// How a missed 容缺 deadline was handled, once it was.
    #[serde(default)]
    pub expiry: Option<Expiry>,
    /// Supervisors' approvals of exceptions, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// Supplements checked at the window, each with its 材料接收凭证 (undone ones kept, marked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<Receipt>,
    /// The intake of a bundle: its id and chosen items (marks and answers are keyed by the
    /// bundle's rows and questions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_choice: Option<BundleChoice>,
    /// A sub-case: the bundle it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<BundleLink>,
    /// A bundle's intake, split: the sub-cases' numbers, the first being the bundle's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_cases: Vec<String>,
}

/// The bundle chosen at intake ([`CaseEvent::BundleChosen`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleChoice {
    /// The bundle's id.
    pub bundle: String,
    /// The chosen items' codes, in order.
    pub items: Vec<String>,
}

/// A sub-case's place in its bundle ([`CaseEvent::BundleMember`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleLink {
    /// The bundle's id.
    pub bundle: String,
    /// Its name as printed.
    pub name: String,
    /// The bundle's case number (its first sub-case's).
    pub number: String,
    /// Position in the bundle (0-based).
    pub position: u16,
    /// Every item of the application, in order.
    pub items: Vec<String>,
    /// The sub-cases' numbers, in the same order.
    pub numbers: Vec<String>,
    /// Items the back office decides before this one.
    pub waits_for: Vec<String>,
    /// Materials an earlier item's result provides.
    pub provided: Vec<String>,
}

impl BundleLink {
    /// The numbers of the sub-cases this one waits for, with their item codes.
    pub fn predecessors(&self) -> Vec<(&str, &str)> {
        self.waits_for
            .iter()
            .filter_map(|code| {
                let at = self.items.iter().position(|c| c == code)?;
                Some((code.as_str(), self.numbers.get(at)?.as_str()))
            })
            .collect()
    }
}

impl Case {
    /// The approval of `exception` for exactly `value`, if a supervisor gave one (an approval of
    /// another value — the field edited since — does not count).
    pub fn approved(&self, exception: Exception, value: &str) -> Option<&Approval> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        self.approvals.iter().rev().find(|a| a.exception == exception && a.value == value)
    }

    /// The credit-code warning's approval for the code recorded now.
    pub fn credit_code_approval(&self) -> Option<&Approval> {
        self.approved(Exception::CreditCodeWarning, self.field(Field::CreditCode))
    }

    /// What `decision` still lacks before it may be final: the exception and value a supervisor
    /// must approve, when none approved exactly that value (`None`: nothing is missing).
    pub fn unapproved(&self, item: &Item, decision: &Decision) -> Option<(Exception, String)> {
        decision_exception(item, decision).filter(|(e, v)| self.approved(*e, v).is_none())
    }
}

/// The item's rule applied to a missed 容缺 deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    /// 终止受理 / 不予发证 / 撤销决定.
    pub rule: ExpiryRule,
    /// Recorded in the credit system.
    pub credit_record: bool,
}

/// A 退回补正 the window is waiting on: what the applicant must bring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    /// Names of the materials to correct.
    pub materials: Vec<String>,
    /// What the approver requires.
    pub note: String,
    /// When the decision arrived.
    pub at: DateTime<Utc>,
}

impl Case {
    /// Rebuilds a case from its events, in order.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Self {
        let mut case = Case::default();
        for e in events {
            case.apply(e);
        }
        case
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &CaseEvent) {
        match event {
            CaseEvent::Started { at } => self.started_at = Some(*at),
            CaseEvent::StepEntered { step } => self.step = *step,
            CaseEvent::ExceptionApproved { exception, value, supervisor, at } => {
                self.approvals.push(Approval {
                    exception: *exception,
                    value: value.clone(),
                    supervisor: supervisor.clone(),
                    at: *at,
                });
            }
            CaseEvent::ItemChosen { code, kb_version } => {
                if self.item_code.as_deref() != Some(code) || self.bundle_choice.take().is_some() {
                    self.materials.clear();
                    self.answers.clear();
                    self.agrees_to_commitment = false;
                }
                self.item_code = Some(code.clone());
                self.kb_version = Some(kb_version.clone());
            }
            CaseEvent::SituationSet { id, holds } => {
                self.answers.insert(id.clone(), *holds);
            }
            CaseEvent::SituationCleared { id } => {
                self.answers.remove(id);
            }
            CaseEvent::MaterialMarked { id, state } => match state {
                Some(s) => {
                    self.materials.insert(id.clone(), s.clone());
                }
                None => {
                    self.materials.remove(id);
                }
            },
            CaseEvent::CommitmentAgreed { agrees } => self.agrees_to_commitment = *agrees,
            CaseEvent::BadCreditSet { bad } => self.bad_credit = *bad,
            CaseEvent::FieldSet { field, value } => {
                // Journals written before numbers were normalised fold to the same stored form.
                let value = field.normalise(value);
                if value.is_empty() {
                    self.fields.remove(field);
                } else {
                    self.fields.insert(*field, value);
                }
            }
            CaseEvent::ApplicantKindSet { kind } => self.applicant_kind = *kind,
            CaseEvent::DeliverySet { delivery } => self.delivery = *delivery,
            CaseEvent::Rated { level } => self.rating = Some(*level),
            CaseEvent::RatingReceived { stage, bad, level, at } => self.ratings_received.push(RatingNote {
                stage: stage.clone(),
                bad: *bad,
                level: level.clone(),
                at: *at,
            }),
            CaseEvent::QueryCodeIssued { code, .. } => {
                if code.is_some() {
                    self.query_code = code.clone();
                }
            }
            CaseEvent::Finished { number, decision, at } => {
                self.number = Some(number.clone());
                self.finished_at = Some(*at);
                self.step = Step::Done;
                self.status = match decision {
                    Decision::Accept { .. } => Status::Accepted,
                    Decision::AcceptPending { .. } => Status::AwaitingSupplement,
                    Decision::NoticeOfDeficiency { .. } => Status::NoticeIssued,
                    Decision::Reject { .. } => Status::Rejected,
                };
                self.decision = Some(decision.clone());
            }
            CaseEvent::Supplemented { material, at } => {
                self.supplemented.insert(material.clone(), *at);
                self.settle_supplements();
            }
            CaseEvent::SupplementReceived { receipt, kind, materials, complete, at } => {
                let mut record = Receipt {
                    number: receipt.clone(),
                    kind: *kind,
                    materials: materials.clone(),
                    at: *at,
                    undone_at: None,
                    supplemented: Vec::new(),
                    closed: None,
                };
                match kind {
                    SupplementKind::Lenient if self.status == Status::AwaitingSupplement => {
                        for m in materials.iter().filter(|m| m.state == MaterialState::Ok) {
                            if !self.supplemented.contains_key(&m.id) {
                                self.supplemented.insert(m.id.clone(), *at);
                                record.supplemented.push(m.id.clone());
                            }
                        }
                        self.settle_supplements();
                    }
                    SupplementKind::Correction if *complete && self.status == Status::CorrectionRequested => {
                        record.closed = self.correction.take();
                        self.status = Status::Accepted;
                    }
                    _ => {}
                }
                self.receipts.push(record);
            }
            CaseEvent::SupplementUndone { receipt, at, .. } => {
                if let Some(record) =
                    self.receipts.iter_mut().find(|r| &r.number == receipt && r.undone_at.is_none())
                {
                    record.undone_at = Some(*at);
                    let (taken_back, closed) = (record.supplemented.clone(), record.closed.clone());
                    for id in &taken_back {
                        self.supplemented.remove(id);
                    }
                    if self.status == Status::Supplemented && !self.pending_supplements().is_empty() {
                        self.status = Status::AwaitingSupplement;
                    }
                    if let Some(correction) = closed
                        && self.status == Status::Accepted
                    {
                        self.correction = Some(correction);
                        self.status = Status::CorrectionRequested;
                    }
                }
            }
            CaseEvent::Terminated { rule, credit_record, .. } => {
                self.status = Status::Terminated;
                self.expiry = Some(Expiry {
                    rule: rule.unwrap_or(ExpiryRule::Terminate),
                    credit_record: *credit_record,
                });
            }
            CaseEvent::HandedOver { to, reference, at } => {
                self.handover = Some((to.clone(), reference.clone(), *at));
                self.status = Status::HandedOver;
            }
            CaseEvent::Abandoned { .. } => self.status = Status::Abandoned,
            CaseEvent::BundleChosen { bundle, items, kb_version } => {
                // Marks and answers are keyed by the bundle's rows and questions: another bundle
                // starts afresh; other optional items of the same bundle keep what was marked
                // (a row or question no longer asked is simply not read).
                let same = self.bundle_choice.as_ref().is_some_and(|c| &c.bundle == bundle);
                if !same || self.item_code.is_some() {
                    self.materials.clear();
                    self.answers.clear();
                    self.agrees_to_commitment = false;
                }
                self.bundle_choice = Some(BundleChoice { bundle: bundle.clone(), items: items.clone() });
                self.item_code = None;
                self.kb_version = Some(kb_version.clone());
            }
            CaseEvent::BundleMember {
                bundle,
                name,
                number,
                position,
                items,
                numbers,
                waits_for,
                provided,
            } => {
                self.bundle = Some(BundleLink {
                    bundle: bundle.clone(),
                    name: name.clone(),
                    number: number.clone(),
                    position: *position,
                    items: items.clone(),
                    numbers: numbers.clone(),
                    waits_for: waits_for.clone(),
                    provided: provided.clone(),
                });
            }
            CaseEvent::BundleSplit { numbers, at } => {
                self.sub_cases = numbers.clone();
                self.finished_at = Some(*at);
                self.status = Status::Split;
            }
            CaseEvent::CorrectionRequested { materials, note, at } => {
                self.correction =
                    Some(Correction { materials: materials.clone(), note: note.clone(), at: *at });
                if !matches!(self.status, Status::HandedOver | Status::Terminated) {
                    self.status = Status::CorrectionRequested;
                }
            }
            CaseEvent::Corrected { .. } => {
                if self.status == Status::CorrectionRequested {
                    self.correction = None;
                    self.status = Status::Accepted;
                }
            }
            CaseEvent::CallRaised { call_id, question, snapshot, at } => self.calls.push(Call {
                id: call_id.clone(),
                question: question.clone(),
                snapshot: snapshot.clone(),
                state: CallState::Pending,
                raised_at: *at,
                replies: Vec::new(),
            }),
            CaseEvent::FormValueSet { form, field, value } => {
                if self.form_id.as_deref() != Some(form) {
                    let values = self.other_forms.remove(form).unwrap_or_default();
                    let previous = std::mem::replace(&mut self.form_values, values);
                    if let Some(id) = self.form_id.replace(form.clone())
                        && !previous.is_empty()
                    {
                        self.other_forms.insert(id, previous);
                    }
                }
                self.form_values.insert(field.clone(), value.clone());
            }
            CaseEvent::HomeVisitSet { home_visit } => self.home_visit = *home_visit,
            CaseEvent::CallStateChanged { call_id, state, .. } => {
                if let Some(call) = self.calls.iter_mut().find(|c| &c.id == call_id) {
                    call.state = *state;
                }
            }
            CaseEvent::CallReplied { call_id, reply } => {
                if let Some(call) = self.calls.iter_mut().find(|c| &c.id == call_id) {
                    call.replies.push(reply.clone());
                    if call.state < CallState::Answered {
                        call.state = CallState::Answered;
                    }
                }
            }
        }
    }

    /// A 容缺 case whose every material is now supplemented moves on (已补正); only a case still
    /// waiting does: a handed-over or terminated case stays so.
    fn settle_supplements(&mut self) {
        if self.status == Status::AwaitingSupplement
            && let Some(Decision::AcceptPending { supplements, .. }) = &self.decision
            && supplements.iter().all(|s| self.supplemented.contains_key(&s.deficiency.material))
        {
            self.status = Status::Supplemented;
        }
    }

    /// Whether the clerk answered the situation `id` 是 (a group never implies 是, so this is the
    /// whole truth about 是).
    pub fn holds(&self, id: &str) -> bool {
        self.answers.get(id) == Some(&true)
    }

    /// A text field, or "" when not set.
    pub fn field(&self, field: Field) -> &str {
        self.fields.get(&field).map_or("", String::as_str)
    }

    /// The rules' view of this case.
    ///
    /// Journals written before situations had to be answered recorded only the situations that
    /// held (a toggle that defaulted to 否); their cases were finished on that reading. So for a
    /// finished case, and only for one, an unanswered situation of `item` counts as answered 否 —
    /// a case finished today cannot have one, since the rules refuse to decide while a question
    /// is open.
    pub fn application(&self, item: &Item, here: super::rules::CenterLevel) -> Application {
        let ineligible = self.fields.get(&Field::IneligibleReason).cloned();
        let mut answers = self.answers.clone();
        if self.decision.is_some() {
            for s in &item.situations {
                answers.entry(s.id.clone()).or_insert(false);
            }
        }
        Application {
            states: self.materials.clone(),
            answers,
            agrees_to_commitment: self.agrees_to_commitment,
            bad_credit: self.bad_credit,
            here,
            ineligible,
        }
    }

    /// 容缺 materials still to supplement, with deadlines.
    pub fn pending_supplements(&self) -> Vec<(&str, &str, NaiveDate)> {
        match &self.decision {
            Some(Decision::AcceptPending { supplements, .. }) => supplements
                .iter()
                .filter(|s| !self.supplemented.contains_key(&s.deficiency.material))
                .map(|s| (s.deficiency.material.as_str(), s.deficiency.name.as_str(), s.deadline))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The post-acceptance check tasks of 告知承诺 (国办发〔2020〕42号): each certificate replaced by
    /// a commitment, which the department must check by its deadline.
    pub fn check_tasks(&self) -> &[super::rules::Commitment] {
        match &self.decision {
            Some(Decision::Accept { commitments, .. } | Decision::AcceptPending { commitments, .. }) => {
                commitments
            }
            _ => &[],
        }
    }
}

/// What one value-setting event sets: a later event of the same slot makes it obsolete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot<'a> {
    Field(Field),
    Form(&'a str, &'a str),
    Material(&'a str),
    Situation(&'a str),
    Commitment,
    BadCredit,
    ApplicantKind,
    Delivery,
    Rating,
    HomeVisit,
}

fn slot(event: &CaseEvent) -> Option<Slot<'_>> {
    Some(match event {
        CaseEvent::FieldSet { field, .. } => Slot::Field(*field),
        CaseEvent::FormValueSet { form, field, .. } => Slot::Form(form, field),
        CaseEvent::MaterialMarked { id, .. } => Slot::Material(id),
        // Taking an answer back sets the situation too (to unanswered).
        CaseEvent::SituationSet { id, .. } | CaseEvent::SituationCleared { id } => Slot::Situation(id),
        CaseEvent::CommitmentAgreed { .. } => Slot::Commitment,
        CaseEvent::BadCreditSet { .. } => Slot::BadCredit,
        CaseEvent::ApplicantKindSet { .. } => Slot::ApplicantKind,
        CaseEvent::DeliverySet { .. } => Slot::Delivery,
        CaseEvent::Rated { .. } => Slot::Rating,
        CaseEvent::HomeVisitSet { .. } => Slot::HomeVisit,
        _ => return None,
    })
}

/// Which events of a case's journal leave the desk (`true`) — the case, not the keystrokes.
///
/// The journal keeps every keystroke for crash safety (a name typed `张`, `张三`, `张三丰` is three
/// events). HQ needs what the clerk settled on: a value-setting event (a field, a form value, a
/// material mark, a situation, a choice) is sent only when no later event sets the same thing
/// before the clerk leaves the step or the case finishes — the value when its step was left.
/// Step moves themselves stay local (they are navigation); every other event (item chosen, calls,
/// the decision, supplements, handover …) is sent. Folding the sent events gives the same case as
/// folding the whole journal: a dropped event is always overwritten by a kept one of its slot with
/// nothing in between that reads or clears it.
pub fn leaves_desk(events: &[CaseEvent]) -> Vec<bool> {
    let mut keep = vec![true; events.len()];
    // Walking backwards: the slots set later within the current stretch of one step.
    let mut later: Vec<Slot> = Vec::new();
    for (i, event) in events.iter().enumerate().rev() {
        match slot(event) {
            Some(s) => {
                if later.contains(&s) {
                    keep[i] = false;
                } else {
                    // A form value of another form switches forms: values of other forms before
                    // it must stay, so it ends their stretch.
                    if let Slot::Form(form, _) = s {
                        later.retain(|l| !matches!(l, Slot::Form(f, _) if *f != form));
                    }
                    later.push(s);
                }
            }
            None => {
                later.clear();
                if matches!(event, CaseEvent::StepEntered { .. }) {
                    keep[i] = false;
                }
            }
        }
    }
    keep
}

/// A case number: center, window, date and the day's sequence — unique without HQ because each
/// window numbers only its own cases.
pub fn case_number(center: &str, window: &str, date: NaiveDate, sequence: u32) -> String {
    format!("{center}-{window}-{}-{sequence:04}", date.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::rules::{Deficiency, Supplement};

    fn at(s: &str) -> DateTime<Utc> {
        crate::time::parse_hall(s).unwrap()
    }

    #[test]
    fn fold_rebuilds_the_case_and_choosing_another_item_clears_the_checklist() {
        let events = vec![
            CaseEvent::Started { at: at("2026-11-30 09:00") },
            CaseEvent::FieldSet { field: Field::Ticket, value: "A005".into() },
            CaseEvent::ItemChosen { code: "X1".into(), kb_version: "1".into() },
            CaseEvent::MaterialMarked { id: "a".into(), state: Some(MaterialState::Ok) },
            CaseEvent::ItemChosen { code: "X2".into(), kb_version: "1".into() },
            CaseEvent::MaterialMarked { id: "b".into(), state: Some(MaterialState::Missing) },
            CaseEvent::FieldSet { field: Field::ApplicantName, value: "张三".into() },
            CaseEvent::FieldSet { field: Field::ApplicantName, value: "张三丰".into() },
        ];
        let case = Case::from_events(&events);
        assert_eq!(case.item_code.as_deref(), Some("X2"));
        assert_eq!(case.materials.len(), 1);
        assert_eq!(case.field(Field::ApplicantName), "张三丰");
        assert_eq!(case.field(Field::Ticket), "A005");
    }

    #[test]
    fn a_late_supplement_never_reopens_a_handed_over_or_terminated_case() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let supplement = owed("a", "章程", date);
        let finished = CaseEvent::Finished {
            number: "N-1".into(),
            decision: Decision::AcceptPending {
                supplements: vec![supplement],
                promised_date: date,
                commitments: Vec::new(),
            },
            at: at("2026-11-30 09:00"),
        };
        let supplemented = CaseEvent::Supplemented { material: "a".into(), at: at("2026-12-01 09:00") };
        let waiting = Case::from_events(std::slice::from_ref(&finished));
        assert_eq!(waiting.status, Status::AwaitingSupplement);
        let done = Case::from_events(&[finished.clone(), supplemented.clone()]);
        assert_eq!(done.status, Status::Supplemented);
        let handed =
            CaseEvent::HandedOver { to: "李四".into(), reference: "X".into(), at: at("2026-12-01 10:00") };
        let closed = Case::from_events(&[finished.clone(), handed, supplemented.clone()]);
        assert_eq!(closed.status, Status::HandedOver);
        let ended = CaseEvent::Terminated {
            at: at("2026-12-02 09:00"),
            rule: Some(ExpiryRule::WithholdResult),
            credit_record: false,
        };
        let ended = Case::from_events(&[finished, ended, supplemented]);
        assert_eq!(ended.status, Status::Terminated);
        assert_eq!(ended.expiry, Some(Expiry { rule: ExpiryRule::WithholdResult, credit_record: false }));
    }

    /// A 容缺 material owed by `deadline`.
    fn owed(id: &str, name: &str, deadline: NaiveDate) -> Supplement {
        Supplement {
            deficiency: Deficiency {
                material: id.into(),
                name: name.into(),
                state: MaterialState::Missing,
                required: vec![],
                quantity: String::new(),
                lenient: true,
            },
            deadline,
        }
    }

    #[test]
    fn a_supplement_receipt_settles_what_it_brought_and_its_undo_takes_exactly_that_back() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let owed = |id: &str| owed(id, &format!("材料{id}"), date);
        let finished = CaseEvent::Finished {
            number: "N-1".into(),
            decision: Decision::AcceptPending {
                supplements: vec![owed("a"), owed("b")],
                promised_date: date,
                commitments: Vec::new(),
            },
            at: at("2026-11-30 09:00"),
        };
        let got = |id: &str, state: MaterialState| ReceivedMaterial {
            id: id.into(),
            name: format!("材料{id}"),
            state,
        };
        let first = CaseEvent::SupplementReceived {
            receipt: "N-1-B1".into(),
            kind: SupplementKind::Lenient,
            materials: vec![
                got("a", MaterialState::Ok),
                got("b", MaterialState::Defect { text: "未盖章".into() }),
            ],
            complete: false,
            at: at("2026-12-01 09:00"),
        };
        let case = Case::from_events(&[finished.clone(), first.clone()]);
        assert_eq!(case.status, Status::AwaitingSupplement, "b was brought with a defect: still owed");
        assert_eq!(case.pending_supplements().len(), 1);
        let second = CaseEvent::SupplementReceived {
            receipt: "N-1-B2".into(),
            kind: SupplementKind::Lenient,
            materials: vec![got("b", MaterialState::Ok)],
            complete: false,
            at: at("2026-12-01 10:00"),
        };
        let case = Case::from_events(&[finished.clone(), first.clone(), second.clone()]);
        assert_eq!(case.status, Status::Supplemented);
        let undo = CaseEvent::SupplementUndone {
            receipt: "N-1-B2".into(),
            reopens: false,
            at: at("2026-12-01 10:01"),
        };
        let case = Case::from_events(&[finished, first, second, undo.clone(), undo]);
        assert_eq!(case.status, Status::AwaitingSupplement, "only B2's material is owed again");
        assert_eq!(case.pending_supplements().iter().map(|p| p.0).collect::<Vec<_>>(), vec!["b"]);
        assert!(case.receipts[1].undone_at.is_some() && case.receipts[0].undone_at.is_none());
    }

    #[test]
    fn a_complete_correction_goes_back_and_its_undo_reopens_it() {
        let finished = CaseEvent::Finished {
            number: "N-1".into(),
            decision: Decision::Accept {
                promised_date: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
                commitments: vec![],
            },
            at: at("2026-11-30 09:00"),
        };
        let sent_back = CaseEvent::CorrectionRequested {
            materials: vec!["公司章程".into()],
            note: "签字".into(),
            at: at("2026-12-01 09:00"),
        };
        let received = CaseEvent::SupplementReceived {
            receipt: "N-1-B1".into(),
            kind: SupplementKind::Correction,
            materials: vec![ReceivedMaterial {
                id: "articles".into(),
                name: "公司章程".into(),
                state: MaterialState::Ok,
            }],
            complete: true,
            at: at("2026-12-02 09:00"),
        };
        let case = Case::from_events(&[finished.clone(), sent_back.clone(), received.clone()]);
        assert_eq!(case.status, Status::Accepted);
        assert_eq!(case.correction, None);
        let undo = CaseEvent::SupplementUndone {
            receipt: "N-1-B1".into(),
            reopens: true,
            at: at("2026-12-02 09:01"),
        };
        let case = Case::from_events(&[finished, sent_back, received, undo]);
        assert_eq!(case.status, Status::CorrectionRequested);
        assert_eq!(case.correction.map(|c| c.materials), Some(vec!["公司章程".to_string()]));
    }

    #[test]
    fn events_round_trip_through_json() {
        let e = CaseEvent::MaterialMarked {
            id: "a".into(),
            state: Some(MaterialState::Defect { text: "未签字".into() }),
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<CaseEvent>(&json).unwrap(), e);
    }

    #[test]
    fn rating_scales() {
        assert_eq!(RatingLevel::VerySatisfied.stars(), 5);
        assert_eq!(RatingLevel::from_stars(1), Some(RatingLevel::VeryDissatisfied));
        assert_eq!(RatingLevel::from_stars(0), None);
        assert!(RatingLevel::Dissatisfied.is_bad());
    }

    fn typed(field: Field, text: &str) -> Vec<CaseEvent> {
        let chars: Vec<char> = text.chars().collect();
        (1..=chars.len()).map(|n| CaseEvent::FieldSet { field, value: chars[..n].iter().collect() }).collect()
    }

    fn sent(events: &[CaseEvent]) -> Vec<CaseEvent> {
        events.iter().zip(leaves_desk(events)).filter(|(_, keep)| *keep).map(|(e, _)| e.clone()).collect()
    }

    #[test]
    fn only_the_value_a_field_had_when_its_step_was_left_leaves_the_desk() {
        let mut events = vec![CaseEvent::StepEntered { step: Step::Applicant }];
        events.extend(typed(Field::IdNumber, "230102199003071234"));
        events.extend(typed(Field::ApplicantName, "张三丰"));
        // Back to the ID: one more correction in the same step.
        events.push(CaseEvent::FieldSet { field: Field::IdNumber, value: "23010219900307123".into() });
        events.push(CaseEvent::FieldSet { field: Field::IdNumber, value: "23010219900307123X".into() });
        events.push(CaseEvent::StepEntered { step: Step::Delivery });
        events.extend(typed(Field::Phone, "13900001111"));
        let out = sent(&events);
        assert_eq!(
            out,
            vec![
                CaseEvent::FieldSet { field: Field::ApplicantName, value: "张三丰".into() },
                CaseEvent::FieldSet { field: Field::IdNumber, value: "23010219900307123X".into() },
                CaseEvent::FieldSet { field: Field::Phone, value: "13900001111".into() },
            ]
        );
        assert_eq!(Case::from_events(&out).fields, Case::from_events(&events).fields);
    }

    #[test]
    fn a_value_left_in_one_step_and_changed_in_a_later_one_is_sent_both_times() {
        let mut events = typed(Field::Ticket, "A05");
        events.push(CaseEvent::StepEntered { step: Step::Item });
        events.push(CaseEvent::ItemChosen { code: "X".into(), kb_version: "1".into() });
        events.push(CaseEvent::StepEntered { step: Step::Ticket });
        events.extend(typed(Field::Ticket, "A06"));
        let out = sent(&events);
        let tickets: Vec<&CaseEvent> =
            out.iter().filter(|e| matches!(e, CaseEvent::FieldSet { .. })).collect();
        assert_eq!(tickets.len(), 2);
        assert_eq!(Case::from_events(&out).field(Field::Ticket), "A06");
    }

    #[test]
    fn a_defect_typed_into_a_mark_is_sent_once_and_choosing_another_item_keeps_earlier_marks() {
        let defect = |t: &str| CaseEvent::MaterialMarked {
            id: "a".into(),
            state: Some(MaterialState::Defect { text: t.into() }),
        };
        let events = vec![
            CaseEvent::ItemChosen { code: "X1".into(), kb_version: "1".into() },
            defect("未"),
            defect("未签"),
            defect("未签字"),
            CaseEvent::ItemChosen { code: "X2".into(), kb_version: "1".into() },
            CaseEvent::MaterialMarked { id: "a".into(), state: Some(MaterialState::Ok) },
        ];
        let out = sent(&events);
        assert_eq!(out.len(), 4, "{out:?}");
        assert_eq!(out[1], defect("未签字"));
        assert_eq!(Case::from_events(&out), Case::from_events(&events));
    }

    mod folding {
        use super::*;
        use proptest::prelude::*;

        fn event() -> impl Strategy<Value = CaseEvent> {
            let field = prop_oneof![Just(Field::IdNumber), Just(Field::ApplicantName), Just(Field::Phone)];
            let text = "[0-9a]{0,3}";
            let mark = prop_oneof![
                Just(None),
                Just(Some(MaterialState::Ok)),
                "[a-c]{1,2}".prop_map(|t| Some(MaterialState::Defect { text: t })),
            ];
            prop_oneof![
                4 => (field, text).prop_map(|(field, value)| CaseEvent::FieldSet { field, value }),
                2 => ("[ab]", "[xy]", text).prop_map(|(form, field, value)| CaseEvent::FormValueSet { form, field, value }),
                2 => ("[ab]", mark).prop_map(|(id, state)| CaseEvent::MaterialMarked { id, state }),
                1 => ("[ab]", any::<bool>()).prop_map(|(id, holds)| CaseEvent::SituationSet { id, holds }),
                1 => "[ab]".prop_map(|id| CaseEvent::SituationCleared { id }),
                1 => any::<bool>().prop_map(|agrees| CaseEvent::CommitmentAgreed { agrees }),
                1 => "[XY]".prop_map(|code| CaseEvent::ItemChosen { code, kb_version: "1".into() }),
                1 => Just(CaseEvent::StepEntered { step: Step::Applicant }),
                1 => Just(CaseEvent::StepEntered { step: Step::Delivery }),
            ]
        }

        proptest! {
            /// HQ rebuilds the same case from what the desk sends as the desk from its journal
            /// (but for the step the clerk is on, which is navigation and stays at the desk).
            #[test]
            fn the_sent_events_fold_to_the_same_case(events in proptest::collection::vec(event(), 0..40)) {
                let mut all = Case::from_events(&events);
                let mut out = Case::from_events(&sent(&events));
                all.step = Step::default();
                out.step = Step::default();
                prop_assert_eq!(out, all);
            }
        }
    }

    #[test]
    fn numbers_sort_by_date_then_sequence() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(case_number("PF", "W03", d, 7), "PF-W03-20261130-0007");
    }

    #[test]
    fn a_refusal_and_a_conditional_lenient_need_an_approval_of_exactly_their_value() {
        use crate::intake::rules::{Application, MaterialState as S, RejectReason, decide};
        let kb = crate::kb::Kb::embedded().unwrap();
        let mut item = kb.item("00013112700401").unwrap().clone();
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let approve = |case: &mut Case, exception, value: &str| {
            case.apply(&CaseEvent::ExceptionApproved {
                exception,
                value: value.into(),
                supervisor: "赵敏".into(),
                at: at("2026-11-30 09:10"),
            })
        };
        // 不予受理: bound to the reason and the basis.
        let refusal = Decision::Reject {
            reason: RejectReason::NotEligible { reason: "未满十八周岁".into() },
            basis: vec!["《行政许可法》第三十二条".into()],
        };
        let mut case = Case::default();
        let (exception, value) = case.unapproved(&item, &refusal).unwrap();
        assert_eq!(
            (exception, value.as_str()),
            (Exception::Refusal, "不符合条件：未满十八周岁｜依据：《行政许可法》第三十二条")
        );
        approve(&mut case, Exception::Refusal, "不符合条件：未满十六周岁｜依据：《行政许可法》第三十二条");
        assert!(case.unapproved(&item, &refusal).is_some(), "an approval of another reason is void");
        approve(&mut case, Exception::Refusal, &value);
        assert_eq!(case.unapproved(&item, &refusal), None);
        let other_basis = Decision::Reject {
            reason: RejectReason::NotEligible { reason: "未满十八周岁".into() },
            basis: vec!["《公司法》第二十九条".into()],
        };
        assert!(case.unapproved(&item, &other_basis).is_some(), "another basis voids it too");

        // 容缺: an ordinary one needs nobody; one owing a material 容缺 only under a condition does.
        let lenient: Vec<String> =
            item.materials.iter().filter(|m| m.lenient).map(|m| m.id.clone()).collect();
        assert!(!lenient.is_empty(), "the company item has 容缺 materials");
        let mut app = Application { agrees_to_commitment: true, ..Application::default() };
        for m in &item.materials {
            app.states.insert(m.id.clone(), if m.id == lenient[0] { S::Missing } else { S::Ok });
        }
        app.answers = item.situations.iter().map(|s| (s.id.clone(), false)).collect();
        let ordinary = decide(&item, &app, today, &kb.calendar).into_decision().unwrap();
        assert_eq!(ordinary.label(), "容缺受理");
        assert_eq!(Case::default().unapproved(&item, &ordinary), None);
        let m = item.materials.iter_mut().find(|m| m.id == lenient[0]).unwrap();
        m.lenient_condition = Some("已提交住所承诺书".into());
        let name = m.name.clone();
        let conditional = decide(&item, &app, today, &kb.calendar).into_decision().unwrap();
        let mut case = Case::default();
        let (exception, value) = case.unapproved(&item, &conditional).unwrap();
        assert_eq!(
            (exception, value.clone()),
            (Exception::ConditionalLenient, format!("{name}（已提交住所承诺书）"))
        );
        approve(&mut case, Exception::ConditionalLenient, &value);
        assert_eq!(case.unapproved(&item, &conditional), None);
        // Termination: the case number and the rule.
        assert_eq!(
            termination_value("HRB-01-20261130-0001", ExpiryRule::WithholdResult),
            "HRB-01-20261130-0001｜不予发证"
        );
    }
}
