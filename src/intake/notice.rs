//! The documents the window issues (DOMAIN: 受理通知书 · 容缺受理承诺书 · 一次性告知书 ·
//! 不予受理通知书 · 材料接收凭证), built from a finished case, its KB item and the center. A notice
//! is a title, a case number and typed blocks, so the plain-text and PDF renderers print the same
//! content. Pure: no clock (the case's finish time is the notice's date), no IO.

use chrono::NaiveDate;
use unicode_width::UnicodeWidthStr;

use super::case::{ApplicantKind, Case, Delivery, Field, Representative, representative};
use super::rules::{Commitment, Decision, MaterialState, RejectReason, applies};
use super::validate::{mask_id, mask_phone};
use crate::kb::model::{ItemKind, Material};
use crate::kb::{Calendar, Item, PROVISIONAL_NOTE};

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// 受理通知书.
    Acceptance,
    /// 容缺受理承诺书 (also serves as the 容缺受理通知).
    LenientCommitment,
    /// 一次性告知书.
    Deficiency,
    /// 不予受理通知书.
    Rejection,
    /// 材料接收凭证.
    Receipt,
    /// An application form filled by agency staff (代办), for the applicant's signature.
    ApplicationForm,
    /// 一次性告知书 for materials the back office sent back (退回补正).
    Correction,
    /// 告知承诺书: certificates replaced by the applicant's commitment (告知承诺制), never 容缺.
    InformedCommitment,
    /// 送达回证: the result handed over at the window (signed by who collected it) or mailed.
    DeliveryReceipt,
}

impl NoticeKind {
    /// The title printed on top.
    pub fn title(self) -> &'static str {
        match self {
            Self::Acceptance => "受理通知书",
            Self::LenientCommitment => "容缺受理承诺书",
            Self::Deficiency => "一次性告知书",
            Self::Rejection => "不予受理通知书",
            Self::Receipt => "材料接收凭证",
            Self::ApplicationForm => "申请表",
            Self::Correction => "一次性告知书（退回补正）",
            Self::InformedCommitment => "告知承诺书",
            Self::DeliveryReceipt => "送达回证",
        }
    }

    /// ASCII name used in file names.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Acceptance => "acceptance",
            Self::LenientCommitment => "lenient-commitment",
            Self::Deficiency => "deficiency",
            Self::Rejection => "rejection",
            Self::Receipt => "receipt",
            Self::ApplicationForm => "form",
            Self::Correction => "correction",
            Self::InformedCommitment => "informed-commitment",
            Self::DeliveryReceipt => "delivery-receipt",
        }
    }
}

/// Who issues the notice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Center {
    /// The center's name, printed on every notice.
    pub name: String,
    /// Window id.
    pub window: String,
    /// The clerk who handled the case.
    pub clerk: String,
    /// The applicant's progress page at HQ (`yichuang desk --lookup-url`), printed with the
    /// query code and as a QR code on the 受理通知书; `None`: not printed.
    pub lookup_url: Option<String>,
}

impl Center {
    /// Who signs for the window: the clerk's name, or the window when none is configured (a
    /// notice or form never has a blank signer).
    pub fn signer(&self) -> String {
        if self.clerk.is_empty() { format!("{} 号窗口", self.window) } else { self.clerk.clone() }
    }
}

/// A piece of a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph of running text.
    Paragraph(String),
    /// Label and value lines.
    Fields(Vec<(String, String)>),
    /// A table: header and rows.
    Table {
        /// Column titles.
        header: Vec<String>,
        /// Rows of cells.
        rows: Vec<Vec<String>>,
    },
    /// Signature and date lines ("申请人（签字）：", …).
    Signatures(Vec<String>),
    /// A QR code of this text (an address), printed as a square image; the text renderer prints
    /// the text instead.
    Qr(String),
}

/// One printed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Which document.
    pub kind: NoticeKind,
    /// The title printed on top (the kind's, or the form's own).
    pub title: String,
    /// The case number.
    pub number: String,
    /// The issuing center's name.
    pub issuer: String,
    /// Its content.
    pub blocks: Vec<Block>,
}

fn date(d: NaiveDate) -> String {
    d.format("%Y年%m月%d日").to_string()
}

/// A computed date (deadline, promised date) as printed: marked “（暂定）” when its year's holiday
/// arrangement is not yet announced.
fn due(d: NaiveDate, calendar: &Calendar) -> String {
    format!("{}{}", date(d), calendar.mark(d))
}

/// Adds the sentence explaining the provisional mark before the signatures, when a block of the
/// notice carries the mark.
fn explain_marks(blocks: &mut Vec<Block>) {
    let mark = crate::kb::PROVISIONAL_MARK;
    let marked = blocks.iter().any(|b| match b {
        Block::Paragraph(t) => t.contains(mark),
        Block::Fields(f) => f.iter().any(|(_, v)| v.contains(mark)),
        Block::Table { rows, .. } => rows.iter().flatten().any(|c| c.contains(mark)),
        Block::Signatures(_) | Block::Qr(_) => false,
    });
    if marked {
        let at = blocks.iter().position(|b| matches!(b, Block::Signatures(_))).unwrap_or(blocks.len());
        blocks.insert(at, Block::Paragraph(PROVISIONAL_NOTE.to_string()));
    }
}

/// The applicant as addressed on notices: the name (the applicant's own copy may show it).
fn addressee(case: &Case) -> String {
    match case.field(Field::ApplicantName) {
        "" => "申请人".to_string(),
        name => name.to_string(),
    }
}

/// Applicant lines with ID and phone masked (PIPL: the full numbers are in the case, not needed here).
fn applicant_fields(case: &Case) -> Vec<(String, String)> {
    let mut fields = vec![("申请人".to_string(), addressee(case))];
    match case.applicant_kind {
        ApplicantKind::Person => {
            let id = case.field(Field::IdNumber);
            if !id.is_empty() {
                fields.push(("身份证号".into(), mask_id(id)));
            }
        }
        ApplicantKind::Organisation => {
            let code = case.field(Field::CreditCode);
            // A code failing its check character prints only once a supervisor approved it.
            let unapproved = crate::intake::validate::credit_code(code)
                .is_ok_and(|c| c.check_warning.is_some())
                && case.credit_code_approval().is_none();
            if unapproved {
                fields.push(("统一社会信用代码".into(), "（校验码不符，未经主管放行，不予打印）".into()));
            } else if !code.is_empty() {
                fields.push(("统一社会信用代码".into(), code.to_string()));
            }
            let rep = case.field(Field::LegalRepresentative);
            if !rep.is_empty() {
                fields.push(("法定代表人".into(), rep.to_string()));
            }
        }
        // A company being set up has no credit code yet: its name is the reserved one.
        ApplicantKind::ProposedOrganisation => {
            fields[0].0 = "申请人（拟设立）".into();
            let rep = case.field(Field::LegalRepresentative);
            if !rep.is_empty() {
                fields.push(("法定代表人".into(), rep.to_string()));
            }
            let id = case.field(Field::IdNumber);
            if !id.is_empty() {
                fields.push(("法定代表人身份证号".into(), mask_id(id)));
            }
        }
    }
    let phone = case.field(Field::Phone);
    if !phone.is_empty() {
        fields.push(("联系电话".into(), mask_phone(phone)));
    }
    fields.extend(representative_fields(case));
    fields
}

/// Who came to the window for the applicant: the applicant, or an agent or guardian with their
/// name and masked ID. Printed on every notice and used for the signature lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitter {
    /// The applicant in person (for an organisation: its legal representative or staff).
    Applicant,
    /// 委托代理人 or 监护人.
    Representative {
        /// Which.
        kind: Representative,
        /// Their name.
        name: String,
        /// Their ID number, masked (empty when not recorded).
        id: String,
    },
}

impl Submitter {
    /// The submitter of `case`.
    pub fn of(case: &Case) -> Self {
        match representative(case) {
            None => Self::Applicant,
            Some(kind) => Self::Representative {
                kind,
                name: case.field(Field::AgentName).to_string(),
                id: match case.field(Field::AgentIdNumber) {
                    "" => String::new(),
                    id => mask_id(id),
                },
            },
        }
    }

    /// The role as printed: 申请人 / 委托代理人 / 监护人.
    pub fn role(&self) -> &'static str {
        match self {
            Self::Applicant => "申请人",
            Self::Representative { kind: Representative::Agent, .. } => "委托代理人",
            Self::Representative { kind: Representative::Guardian, .. } => "监护人",
        }
    }

    /// Who handed in the materials, as a sentence fragment: `申请人` or
    /// `委托代理人李四（身份证号 110105********1234）代申请人张三丰`.
    fn who(&self, applicant: &str) -> String {
        match self {
            Self::Applicant => format!("申请人{applicant}"),
            Self::Representative { name, id, .. } => {
                let id = if id.is_empty() { String::new() } else { format!("（身份证号 {id}）") };
                let on_behalf = match self {
                    Self::Representative { kind: Representative::Guardian, .. } => "代被监护人",
                    _ => "代申请人",
                };
                format!("{}{name}{id}{on_behalf}{applicant}", self.role())
            }
        }
    }
}

/// The representative's lines: name, masked ID and phone, and the mandate (委托事项及权限) or the
/// guardianship.
fn representative_fields(case: &Case) -> Vec<(String, String)> {
    let Submitter::Representative { kind, name, id } = Submitter::of(case) else { return Vec::new() };
    let role = Submitter::of(case).role();
    let mut fields = vec![("提交人".to_string(), format!("{role} {name}"))];
    if !id.is_empty() {
        fields.push((format!("{role}身份证号"), id));
    }
    let phone = case.field(Field::AgentPhone);
    if !phone.is_empty() {
        fields.push((format!("{role}电话"), mask_phone(phone)));
    }
    let scope = case.field(Field::AuthorisationScope);
    if !scope.is_empty() {
        let label = match kind {
            Representative::Agent => "委托事项及权限",
            Representative::Guardian => "监护关系及证明",
        };
        fields.push((label.to_string(), scope.to_string()));
    }
    fields
}

pub(crate) fn header(case: &Case, item: &Item, center: &Center, number: &str) -> Block {
    let mut fields =
        vec![("案件编号".to_string(), number.to_string()), ("申请事项".into(), item.name.clone())];
    fields.extend(applicant_fields(case));
    fields.push(("受理窗口".into(), format!("{} {} 号窗口", center.name, center.window)));
    Block::Fields(fields)
}

/// Signature and date lines with a generic 申请人 line when `applicant_signs` (kept for callers
/// that have no case at hand; [`signed_by`] follows who came).
pub(crate) fn signatures(center: &Center, on: NaiveDate, applicant_signs: bool) -> Block {
    let lines = if applicant_signs { vec![sign_line("申请人（签字）：")] } else { Vec::new() };
    window_signs(center, on, lines)
}

/// Signature and date lines for a document the person at the window signs: the applicant, or the
/// agent or guardian who came in the applicant's stead (named, so the signature can be checked),
/// or an organisation's seal and its legal representative.
pub(crate) fn signed_by(case: &Case, center: &Center, on: NaiveDate) -> Block {
    let lines = match Submitter::of(case) {
        Submitter::Applicant if case.applicant_kind == ApplicantKind::Organisation => {
            vec![sign_line("申请单位（盖章）："), sign_line("法定代表人或经办人（签字）：")]
        }
        Submitter::Applicant => vec![sign_line("申请人（签字）：")],
        submitter @ Submitter::Representative { .. } => {
            let on_behalf = match &submitter {
                Submitter::Representative { kind: Representative::Guardian, .. } => "被监护人",
                _ => "委托人",
            };
            vec![
                sign_line(&format!("{}（签字）：", submitter.role())),
                format!("（{on_behalf}：{}）", addressee(case)),
            ]
        }
    };
    window_signs(center, on, lines)
}

/// The signature lines of the person who collected a result (领取人), named so the signature can
/// be checked against the ID shown.
fn collector_signs(center: &Center, on: NaiveDate, collector: &str) -> Block {
    window_signs(center, on, vec![sign_line("领取人（签字）："), format!("（领取人：{collector}）")])
}

fn sign_line(label: &str) -> String {
    format!("{label}                  日期：    年  月  日")
}

fn window_signs(center: &Center, on: NaiveDate, mut lines: Vec<String>) -> Block {
    lines.push(format!("受理人：{}", center.signer()));
    lines.push(format!("{}（受理专用章）", center.name));
    lines.push(date(on));
    Block::Signatures(lines)
}

/// A table with a 序号 column numbering its rows: every list of materials on a notice (容缺承诺书,
/// 告知承诺书, 一次性告知书, 材料接收凭证) is built here.
pub(crate) fn numbered_table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Block {
    Block::Table {
        header: std::iter::once("序号").chain(header.iter().copied()).map(String::from).collect(),
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| std::iter::once((i + 1).to_string()).chain(row).collect())
            .collect(),
    }
}

fn delivery_text(case: &Case) -> String {
    match case.delivery {
        Delivery::Window => "办理结果请凭本通知书及身份证件到受理窗口领取（统一窗口出件）。".to_string(),
        Delivery::Mail => format!(
            "办理结果将邮寄送达：收件人 {}，电话 {}，地址 {}。",
            case.field(Field::MailRecipient),
            mask_phone(case.field(Field::MailPhone)),
            case.field(Field::MailAddress)
        ),
    }
}

fn legal_text(item: &Item) -> &'static str {
    if item.kind == ItemKind::Permit {
        "根据《中华人民共和国行政许可法》第三十二条的规定"
    } else {
        "根据有关规定"
    }
}

/// The notices a finished case calls for, dated the day intake finished (empty when unfinished).
/// Computed dates in a year whose holiday arrangement is provisional on `calendar` are marked.
pub fn notices_for(case: &Case, item: &Item, center: &Center, calendar: &Calendar) -> Vec<Notice> {
    let (Some(number), Some(decision), Some(finished)) = (&case.number, &case.decision, case.finished_at)
    else {
        return Vec::new();
    };
    let on = crate::time::hall_date(finished);
    let notice = |kind: NoticeKind, mut blocks: Vec<Block>| {
        explain_marks(&mut blocks);
        Notice {
            kind,
            title: kind.title().to_string(),
            number: number.clone(),
            issuer: center.name.clone(),
            blocks,
        }
    };
    let to = addressee(case);
    match decision {
        Decision::Accept { promised_date, commitments } => {
            let accepted = Accepted { on, promised: *promised_date, supplements: 0, commitments };
            let mut out = vec![notice(
                NoticeKind::Acceptance,
                acceptance(case, item, center, number, &accepted, calendar),
            )];
            if !commitments.is_empty() {
                out.push(notice(
                    NoticeKind::InformedCommitment,
                    informed_commitment(case, item, center, number, on, commitments, calendar),
                ));
            }
            out.push(notice(NoticeKind::Receipt, receipt(case, item, center, number, on)));
            out
        }
        Decision::AcceptPending { supplements, promised_date, commitments } => {
            let accepted =
                Accepted { on, promised: *promised_date, supplements: supplements.len(), commitments };
            let mut blocks = acceptance(case, item, center, number, &accepted, calendar);
            let lenient = item.lenient.as_ref();
            let expiry = lenient.and_then(|l| l.on_expiry).map_or("终止受理", |r| r.label());
            let result = if lenient.is_some_and(|l| l.withhold_result) {
                "补齐后方可出具办理结果"
            } else {
                "补正期间本申请继续办理"
            };
            blocks.insert(
                2,
                Block::Paragraph(format!(
                    "尚需补正的 {} 项材料及期限见《容缺受理承诺书》，{result}；逾期未补正的，{expiry}。",
                    supplements.len()
                )),
            );
            let mut commitment = vec![
                header(case, item, center, number),
                Block::Paragraph(format!(
                    "本人（单位）申请办理{}，自愿选择容缺受理，承诺在下列期限内补齐所缺材料，并对所提交材料的真实性负责。",
                    item.name
                )),
                numbered_table(
                    &["需补正材料", "请携带", "依据", "补正期限"],
                    supplements.iter().map(|s| {
                        let d = &s.deficiency;
                        vec![
                            d.name.clone(),
                            to_bring_for(item, &d.material, &d.state, &d.required),
                            basis_cell(item, &d.material),
                            format!("{} 前", due(s.deadline, calendar)),
                        ]
                    }),
                ),
                Block::Paragraph(
                    "补正方式：到受理窗口提交，或邮寄至受理窗口（以邮戳日期为准）。补正期限按工作日计算，已扣除法定节假日。"
                        .into(),
                ),
                Block::Paragraph(format!(
                    "逾期未补齐的，按规定{expiry}{}，由此产生的后果由本人（单位）承担。",
                    if lenient.is_some_and(|l| l.credit_record) { "，并记入信用记录" } else { "" }
                )),
            ];
            commitment
                .extend(item_basis_note(item, supplements.iter().map(|s| s.deficiency.material.as_str())));
            commitment.push(signed_by(case, center, on));
            let mut out = vec![
                notice(NoticeKind::Acceptance, blocks),
                notice(NoticeKind::LenientCommitment, commitment),
            ];
            if !commitments.is_empty() {
                out.push(notice(
                    NoticeKind::InformedCommitment,
                    informed_commitment(case, item, center, number, on, commitments, calendar),
                ));
            }
            out.push(notice(NoticeKind::Receipt, receipt(case, item, center, number, on)));
            out
        }
        Decision::NoticeOfDeficiency { deficiencies, .. } => {
            let mut blocks = vec![
                header(case, item, center, number),
                Block::Paragraph(format!(
                    "{to}：你（单位）于{}申请办理{}，经审查，申请材料不齐全或者不符合法定形式，现一次性告知需要补正的全部内容如下：",
                    date(on),
                    item.name
                )),
                numbered_table(
                    &["材料名称", "问题", "请携带", "依据"],
                    deficiencies.iter().map(|d| {
                        vec![
                            d.name.clone(),
                            problem_text(&d.state),
                            to_bring_for(item, &d.material, &MaterialState::Missing, &d.required),
                            basis_cell(item, &d.material),
                        ]
                    }),
                ),
            ];
            blocks.extend(item_basis_note(item, deficiencies.iter().map(|d| d.material.as_str())));
            blocks.push(Block::Paragraph(
                "请按上述要求补齐材料后再次提交。补齐后符合要求的，本窗口将当场受理。".to_string(),
            ));
            blocks.push(signatures(center, on, false));
            vec![notice(NoticeKind::Deficiency, blocks)]
        }
        Decision::Reject { reason, basis } => {
            let why = match reason {
                RejectReason::NotHandledHere { go_to } => {
                    format!("该事项不属于本中心受理范围，请到{go_to}申请办理")
                }
                RejectReason::NotEligible { reason } => format!("申请人不符合申请条件：{reason}"),
            };
            let blocks = vec![
                header(case, item, center, number),
                Block::Paragraph(format!(
                    "{to}：你（单位）于{}提出的{}申请，经审查，{why}。依据{}，决定不予受理。",
                    date(on),
                    item.name,
                    basis.join("、")
                )),
                Block::Paragraph(
                    "如对本决定不服，可以自收到本通知书之日起六十日内依法申请行政复议，或者在六个月内依法向人民法院提起行政诉讼。"
                        .into(),
                ),
                signatures(center, on, false),
            ];
            vec![notice(NoticeKind::Rejection, blocks)]
        }
    }
}

/// The 一次性告知书 for materials the back office sent back (退回补正): each named material with
/// what the KB requires of it, and the approver's note.
pub fn correction_notice(
    case: &Case,
    item: &Item,
    center: &Center,
    materials: &[String],
    note: &str,
    on: NaiveDate,
) -> Option<Notice> {
    let number = case.number.clone()?;
    // The approver names materials; the KB says what to bring for each.
    let ids: Vec<&str> = materials
        .iter()
        .filter_map(|name| item.materials.iter().find(|m| &m.name == name).map(|m| m.id.as_str()))
        .collect();
    let table = numbered_table(
        &["需补正材料", "请携带", "依据"],
        materials.iter().map(|name| match item.materials.iter().find(|m| &m.name == name) {
            Some(m) => vec![name.clone(), what_to_bring(m), basis_cell(item, &m.id)],
            None => vec![name.clone(), "按审查意见补正".into(), String::new()],
        }),
    );
    let mut blocks = vec![
        header(case, item, center, &number),
        Block::Paragraph(format!(
            "{}：你（单位）申请办理的{}，经审查，以下材料需要补正，现一次性告知如下：",
            addressee(case),
            item.name
        )),
        table,
    ];
    blocks.extend(item_basis_note(item, ids.into_iter()));
    blocks.push(Block::Paragraph(format!("审查意见：{note}")));
    blocks.push(Block::Paragraph("请补正后到受理窗口提交；补正材料齐全后继续办理。".into()));
    blocks.push(signatures(center, on, false));
    Some(Notice {
        kind: NoticeKind::Correction,
        title: NoticeKind::Correction.title().to_string(),
        number,
        issuer: center.name.clone(),
        blocks,
    })
}

/// The 送达回证 of a case whose result was handed over: at the window, who collected it (masked
/// ID) and their signature line; by mail, the recipient, address and tracking number. `None` until
/// the case is handed over.
pub fn delivery_receipt(case: &Case, item: &Item, center: &Center) -> Option<Notice> {
    let number = case.number.clone()?;
    let (to, reference, at) = case.handover.clone()?;
    let on = crate::time::hall_date(at);
    let result = item.result.as_ref().map_or_else(|| format!("{}办理结果", item.name), |r| r.name.clone());
    let when = crate::time::show(at, "%Y年%m月%d日 %H:%M");
    let mut blocks = vec![header(case, item, center, &number)];
    match case.delivery {
        Delivery::Window => {
            blocks.push(Block::Fields(vec![
                ("送达文书".into(), result.clone()),
                ("送达方式".into(), "窗口领取（统一窗口出件）".into()),
                ("领取人".into(), to.clone()),
                (
                    "领取人身份证号".into(),
                    if reference.is_empty() { String::new() } else { mask_id(&reference) },
                ),
                ("领取时间".into(), when),
            ]));
            blocks.push(Block::Paragraph(format!("领取人已当场核对并领取《{result}》。")));
            blocks.push(collector_signs(center, on, &to));
        }
        Delivery::Mail => {
            blocks.push(Block::Fields(vec![
                ("送达文书".into(), result),
                ("送达方式".into(), "邮寄送达".into()),
                ("收件人".into(), case.field(Field::MailRecipient).to_string()),
                ("收件人电话".into(), mask_phone(case.field(Field::MailPhone))),
                ("收件地址".into(), case.field(Field::MailAddress).to_string()),
                ("快递单号".into(), reference),
                ("交寄时间".into(), when),
            ]));
            blocks.push(Block::Paragraph("以收件人签收之日为送达之日；签收记录以快递单号查询为准。".into()));
            blocks.push(signatures(center, on, false));
        }
    }
    Some(Notice {
        kind: NoticeKind::DeliveryReceipt,
        title: NoticeKind::DeliveryReceipt.title().to_string(),
        number,
        issuer: center.name.clone(),
        blocks,
    })
}

/// What a 受理通知书 states about the acceptance.
struct Accepted<'a> {
    /// Intake date.
    on: NaiveDate,
    /// Promised completion date.
    promised: NaiveDate,
    /// How many materials are to be supplemented under 容缺.
    supplements: usize,
    /// Certificates replaced by commitments (告知承诺).
    commitments: &'a [Commitment],
}

fn acceptance(
    case: &Case,
    item: &Item,
    center: &Center,
    number: &str,
    accepted: &Accepted,
    calendar: &Calendar,
) -> Vec<Block> {
    let Accepted { on, promised, supplements, commitments } = *accepted;
    let to = addressee(case);
    let limits = &item.time_limits;
    let limit = if limits.promised.is_immediate() {
        "当场办结".to_string()
    } else {
        format!("承诺时限 {}", limits.promised.text())
    };
    // A 容缺 acceptance must not claim the materials are complete.
    let finding = if supplements == 0 {
        "申请材料齐全、符合法定形式".to_string()
    } else {
        format!("主要申请材料齐全、符合法定形式，尚有 {supplements} 项次要材料需容缺补正")
    };
    // 告知承诺 is its own path: the certificates are replaced, not supplemented later.
    let finding = if commitments.is_empty() {
        finding
    } else {
        let names: Vec<&str> = commitments.iter().map(|c| c.name.as_str()).collect();
        format!("{finding}（其中{}由申请人以告知承诺方式替代，见《告知承诺书》）", names.join("、"))
    };
    let decided = if supplements == 0 { "决定予以受理" } else { "决定容缺受理" };
    vec![
        header(case, item, center, number),
        Block::Paragraph(format!(
            "{to}：你（单位）于{}提出的{}申请，经审查，{finding}，{}，{decided}。",
            date(on),
            item.name,
            legal_text(item)
        )),
        Block::Paragraph(format!(
            "本中心将于{}前办结（{limit}）。{}",
            due(promised, calendar),
            delivery_text(case)
        )),
        Block::Paragraph(limits_text(item)),
    ]
    .into_iter()
    .chain(lookup_blocks(case, center, number))
    .chain([signatures(center, on, false)])
    .collect()
}

/// How the applicant follows the case: case number, query code and the page's address, also as a
/// QR code (src/hq/lookup.rs). Nothing when the case has no code or the desk no lookup address.
fn lookup_blocks(case: &Case, center: &Center, number: &str) -> Vec<Block> {
    let (Some(code), Some(base)) = (&case.query_code, center.lookup_url.as_deref().filter(|u| !u.is_empty()))
    else {
        return Vec::new();
    };
    let link = super::query_code::lookup_link(base, number);
    vec![
        Block::Paragraph(
            "你可凭案件编号和查询码在以下网址（或扫描二维码）查询办理进度，办结后可对本次服务进行评价。\
             查询码请妥善保管，不要告诉他人。"
                .to_string(),
        ),
        Block::Fields(vec![
            ("案件编号".into(), number.to_string()),
            ("查询码".into(), code.clone()),
            ("查询网址".into(), link.clone()),
        ]),
        Block::Qr(link),
    ]
}

/// The statutory limit with its basis, the extension and the special procedures, as the
/// 受理通知书 states them (《行政许可法》第四十五条: the applicant is told in writing how long the
/// special procedures take, and that their time does not count).
fn limits_text(item: &Item) -> String {
    let limits = &item.time_limits;
    let mut text = format!("法定办结时限：{}。", limits.statutory.text());
    if let Some(ext) = &limits.extension {
        text.push_str(&format!("{}。", ext.text()));
    }
    if !limits.special_procedures.is_empty() {
        let list: Vec<String> = limits.special_procedures.iter().map(|p| p.text()).collect();
        text.push_str(&format!(
            "本事项需经特别程序：{}；{}。",
            list.join("；"),
            crate::kb::limits::SPECIAL_NOT_COUNTED
        ));
    }
    text
}

/// The 告知承诺书: each certificate replaced, what the applicant commits to, the department's check
/// deadline and the consequence of a false commitment (国办发〔2020〕42号).
fn informed_commitment(
    case: &Case,
    item: &Item,
    center: &Center,
    number: &str,
    on: NaiveDate,
    commitments: &[Commitment],
    calendar: &Calendar,
) -> Vec<Block> {
    let list = item.informed_commitment.as_ref().map(|c| c.list.as_str()).unwrap_or_default();
    vec![
        header(case, item, center, number),
        Block::Paragraph(format!(
            "本人（单位）申请办理{}，已知晓行政机关告知的条件和要求，自愿选择告知承诺制（依据：国务院办公厅关于全面推行证明事项和涉企经营许可事项告知承诺制的指导意见，国办发〔2020〕42号；{list}），以书面承诺代替下列证明材料，不再提交：",
            item.name
        )),
        numbered_table(
            &["以承诺替代的证明", "承诺内容", "核查期限"],
            commitments.iter().map(|c| {
                vec![c.name.clone(), c.text.clone(), format!("{} 前", due(c.check_deadline, calendar))]
            }),
        ),
        Block::Paragraph(
            "行政机关将在受理后于上述核查期限内对承诺内容进行核查。本人（单位）承诺所作承诺真实、准确、完整，愿意接受核查。"
                .into(),
        ),
        Block::Paragraph(format!(
            "承诺不实的后果：{}",
            commitments.iter().map(|c| format!("{}——{}", c.name, c.consequence)).collect::<Vec<_>>().join("；")
        )),
        signed_by(case, center, on),
    ]
}

fn receipt(case: &Case, item: &Item, center: &Center, number: &str, on: NaiveDate) -> Vec<Block> {
    let app = case.application(item, Default::default());
    let received: Vec<&Material> = item
        .materials
        .iter()
        .filter(|m| applies(item, m, &app) && !m.shared_data)
        .filter(|m| {
            matches!(case.materials.get(&m.id), Some(MaterialState::Ok | MaterialState::Defect { .. }))
        })
        .collect();
    let count = |n: u8| if n > 0 { format!("{n} 份") } else { "-".into() };
    let submitter = Submitter::of(case);
    let mut blocks = vec![
        header(case, item, center, number),
        Block::Paragraph(format!("今收到{}提交的下列材料：", submitter.who(&addressee(case)))),
        numbered_table(
            &["材料名称", "原件", "复印件", "形式"],
            received.iter().map(|m| {
                vec![m.name.clone(), count(m.originals), count(m.copies), m.medium.label().to_string()]
            }),
        ),
    ];
    if let Submitter::Representative { kind: Representative::Agent, .. } = submitter {
        blocks.push(Block::Paragraph(mandate_text(case, item, &app)));
    }
    blocks.push(signed_by(case, center, on));
    blocks
}

/// What the receipt says of the agent's mandate (授权委托书): received or not, and its scope.
fn mandate_text(case: &Case, item: &Item, app: &super::rules::Application) -> String {
    let letter = item.materials.iter().find(|m| {
        applies(item, m, app) && (m.uses.as_deref() == Some("authorisation") || m.id == "authorisation")
    });
    let held = match letter.map(|m| (m, case.materials.get(&m.id))) {
        Some((m, Some(MaterialState::Ok | MaterialState::Defect { .. }))) => format!("已收取《{}》", m.name),
        Some((m, _)) => format!("未收到《{}》", m.name),
        None => "授权委托书已核验".to_string(),
    };
    let scope = match case.field(Field::AuthorisationScope) {
        "" => String::new(),
        scope => format!("，委托事项及权限：{scope}"),
    };
    format!("委托代理人办理：{held}{scope}。")
}

/// What the applicant must bring for `material`, in plain words: the KB's `to_bring`, else said
/// from the quantities, the medium, the blank form, the sample and the filling notes.
pub fn what_to_bring(material: &Material) -> String {
    if let Some(text) = material.to_bring.as_deref().filter(|t| !t.trim().is_empty()) {
        return text.to_string();
    }
    let count = match (material.originals, material.copies) {
        (0, 0) => String::new(),
        (o, 0) => format!("原件 {o} 份"),
        (0, c) => format!("复印件 {c} 份"),
        (o, c) => format!("原件 {o} 份、复印件 {c} 份"),
    };
    let medium = match material.medium {
        crate::kb::model::Medium::Paper => "纸质",
        crate::kb::model::Medium::Electronic => "电子版",
        crate::kb::model::Medium::Either => "纸质或电子版均可",
    };
    let mut text = format!("《{}》{count}（{medium}）", material.name);
    if let Some(form) = &material.blank_form {
        text.push_str(&format!("，使用{form}填写"));
    }
    if let Some(sample) = &material.sample {
        text.push_str(&format!("，可参照{sample}"));
    }
    text.push('。');
    if let Some(notes) = &material.fill_notes {
        text.push_str(&format!("填写要求：{notes}。"));
    }
    text
}

/// The 问题 column of a 一次性告知书 row: what is wrong with the material.
pub(crate) fn problem_text(state: &MaterialState) -> String {
    match state {
        MaterialState::Missing => "未提交".to_string(),
        MaterialState::Defect { text } => format!("{text}（请更正后重新提交）"),
        MaterialState::Ok | MaterialState::Committed => String::new(),
    }
}

/// The 请携带 cell for a missing or defective material: the defect to correct, then what to bring.
/// A material the item no longer has (a KB changed since) falls back on what the decision recorded.
fn to_bring_for(item: &Item, material: &str, state: &MaterialState, recorded: &[String]) -> String {
    let bring = match item.materials.iter().find(|m| m.id == material) {
        Some(m) => what_to_bring(m),
        None => recorded.join("；"),
    };
    match state {
        MaterialState::Defect { text } => format!("{bring}（需更正：{text}）"),
        _ => bring,
    }
}

/// The article requiring a material: its own basis, else a pointer to the item's basis printed
/// under the table ([`item_basis_note`]).
fn basis_cell(item: &Item, material: &str) -> String {
    match item.materials.iter().find(|m| m.id == material).and_then(|m| m.basis.as_deref()) {
        Some(basis) => basis.to_string(),
        None => ITEM_BASIS.to_string(),
    }
}

/// The cell text pointing to the item's legal basis.
const ITEM_BASIS: &str = "本事项设定依据（见表下）";

/// The item's legal basis, printed once under a table when a listed material has no basis of its own.
fn item_basis_note<'a>(item: &Item, materials: impl Iterator<Item = &'a str>) -> Option<Block> {
    let needed = materials.into_iter().any(|id| basis_cell(item, id) == ITEM_BASIS);
    (needed && !item.legal_basis.is_empty())
        .then(|| Block::Paragraph(format!("本事项设定依据：{}。", item.legal_basis.join("；"))))
}

impl Notice {
    /// The notice's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// File name stem: `<case number>-<kind>`.
    pub fn file_stem(&self) -> String {
        format!("{}-{}", self.number, self.kind.slug())
    }

    /// Plain text, 80 columns, wrapped by display width.
    pub fn to_text(&self) -> String {
        const WIDTH: usize = 80;
        let mut out = String::new();
        let title = self.title();
        let pad = WIDTH.saturating_sub(title.width()) / 2;
        out.push_str(&format!("{}{title}\n", " ".repeat(pad)));
        let issuer_pad = WIDTH.saturating_sub(self.issuer.width()) / 2;
        out.push_str(&format!("{}{}\n\n", " ".repeat(issuer_pad), self.issuer));
        let columns = |s: &str| s.width() as f32;
        // `indent` columns of spaces before the first line.
        let wrap = |text: &str, indent: usize| {
            lines::break_lines(text, WIDTH as f32, indent as f32, columns)
                .into_iter()
                .enumerate()
                .map(|(i, l)| format!("{}{l}\n", if i == 0 { " ".repeat(indent) } else { String::new() }))
                .collect::<String>()
        };
        for block in &self.blocks {
            match block {
                Block::Paragraph(text) => out.push_str(&wrap(text, 4)),
                Block::Fields(fields) => {
                    for (label, value) in fields {
                        out.push_str(&wrap(&format!("{label}：{value}"), 0));
                    }
                }
                Block::Table { header, rows } => {
                    // A row that fits prints on one line under the header; a longer one as a
                    // numbered record, each further cell on its own line after its column title.
                    let fits = |row: &Vec<String>| row.join(" | ").width() <= WIDTH;
                    if rows.iter().all(fits) {
                        out.push_str(&header.join(" | "));
                        out.push('\n');
                        for row in rows {
                            out.push_str(&row.join(" | "));
                            out.push('\n');
                        }
                    } else {
                        for row in rows {
                            let mut cells = row.iter();
                            let first: Vec<&str> = cells.by_ref().take(2).map(String::as_str).collect();
                            out.push_str(&wrap(&first.join(". "), 0));
                            for (title, cell) in header.iter().skip(2).zip(cells) {
                                let text = lines::break_lines(
                                    &format!("{title}：{cell}"),
                                    (WIDTH - 4) as f32,
                                    0.0,
                                    columns,
                                );
                                for line in text {
                                    out.push_str(&format!("    {line}\n"));
                                }
                            }
                        }
                    }
                }
                Block::Qr(text) => out.push_str(&format!("[二维码] {text}\n")),
                Block::Signatures(lines) => {
                    out.push('\n');
                    for line in lines {
                        let pad = WIDTH.saturating_sub(line.width() + 4);
                        out.push_str(&format!("{}{line}\n", " ".repeat(pad)));
                    }
                }
            }
            out.push('\n');
        }
        out
    }
}

pub mod bundle;
pub mod lines;

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
pub(crate) mod tests_limits;
