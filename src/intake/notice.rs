//! The documents the window issues (DOMAIN: 受理通知书 · 容缺受理承诺书 · 一次性告知书 ·
//! 不予受理通知书 · 材料接收凭证), built from a finished case, its KB item and the center. A notice
//! is a title, a case number and typed blocks, so the plain-text and PDF renderers print the same
//! content. Pure: no clock (the case's finish time is the notice's date), no IO.

use chrono::NaiveDate;
use unicode_width::UnicodeWidthStr;

use super::case::{ApplicantKind, Case, Delivery, Field};
use super::rules::{Commitment, Decision, MaterialState, RejectReason, applies};
use super::validate::{mask_id, mask_phone};
use crate::kb::model::ItemKind;
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
        Block::Signatures(_) => false,
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
            if !code.is_empty() {
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
    let agent = case.field(Field::AgentName);
    if !agent.is_empty() {
        fields.push(("委托代理人".into(), agent.to_string()));
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

pub(crate) fn signatures(center: &Center, on: NaiveDate, applicant_signs: bool) -> Block {
    let mut lines = Vec::new();
    if applicant_signs {
        lines.push("申请人（签字）：                  日期：    年  月  日".to_string());
    }
    lines.push(format!("受理人：{}", center.signer()));
    lines.push(format!("{}（受理专用章）", center.name));
    lines.push(date(on));
    Block::Signatures(lines)
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
                Block::Table {
                    header: vec!["序号".into(), "需补正材料".into(), "补正要求".into(), "补正期限".into()],
                    rows: supplements
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            vec![
                                (i + 1).to_string(),
                                s.deficiency.name.clone(),
                                requirement(&s.deficiency.state, &s.deficiency.required),
                                format!("{} 前", due(s.deadline, calendar)),
                            ]
                        })
                        .collect(),
                },
                Block::Paragraph(
                    "补正方式：到受理窗口提交，或邮寄至受理窗口（以邮戳日期为准）。补正期限按工作日计算，已扣除法定节假日。"
                        .into(),
                ),
                Block::Paragraph(format!(
                    "逾期未补齐的，按规定{expiry}{}，由此产生的后果由本人（单位）承担。",
                    if lenient.is_some_and(|l| l.credit_record) { "，并记入信用记录" } else { "" }
                )),
            ];
            commitment.push(signatures(center, on, true));
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
            let blocks = vec![
                header(case, item, center, number),
                Block::Paragraph(format!(
                    "{to}：你（单位）于{}申请办理{}，经审查，申请材料不齐全或者不符合法定形式，现一次性告知需要补正的全部内容如下：",
                    date(on),
                    item.name
                )),
                Block::Table {
                    header: vec!["序号".into(), "材料名称".into(), "问题".into(), "补正要求".into()],
                    rows: deficiencies
                        .iter()
                        .enumerate()
                        .map(|(i, d)| {
                            let problem = match &d.state {
                                MaterialState::Missing => "未提交".to_string(),
                                MaterialState::Defect { text } => text.clone(),
                                MaterialState::Ok | MaterialState::Committed => String::new(),
                            };
                            vec![
                                (i + 1).to_string(),
                                d.name.clone(),
                                problem,
                                requirement(&d.state, &d.required),
                            ]
                        })
                        .collect(),
                },
                Block::Paragraph(
                    "请按上述要求补齐材料后再次提交。补齐后符合要求的，本窗口将当场受理。".to_string(),
                ),
                signatures(center, on, false),
            ];
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
    let rows = materials
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let standard = item
                .materials
                .iter()
                .find(|m| &m.name == name)
                .map(|m| m.checkpoints.join("；"))
                .unwrap_or_default();
            vec![(i + 1).to_string(), name.clone(), standard]
        })
        .collect();
    let blocks = vec![
        header(case, item, center, &number),
        Block::Paragraph(format!(
            "{}：你（单位）申请办理的{}，经审查，以下材料需要补正，现一次性告知如下：",
            addressee(case),
            item.name
        )),
        Block::Table { header: vec!["序号".into(), "需补正材料".into(), "要求".into()], rows },
        Block::Paragraph(format!("审查意见：{note}")),
        Block::Paragraph("请补正后到受理窗口提交；补正材料齐全后继续办理。".into()),
        signatures(center, on, false),
    ];
    Some(Notice {
        kind: NoticeKind::Correction,
        title: NoticeKind::Correction.title().to_string(),
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
        signatures(center, on, false),
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
        Block::Table {
            header: vec!["序号".into(), "以承诺替代的证明".into(), "承诺内容".into(), "核查期限".into()],
            rows: commitments
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    vec![
                        (i + 1).to_string(),
                        c.name.clone(),
                        c.text.clone(),
                        format!("{} 前", due(c.check_deadline, calendar)),
                    ]
                })
                .collect(),
        },
        Block::Paragraph(
            "行政机关将在受理后于上述核查期限内对承诺内容进行核查。本人（单位）承诺所作承诺真实、准确、完整，愿意接受核查。"
                .into(),
        ),
        Block::Paragraph(format!(
            "承诺不实的后果：{}",
            commitments.iter().map(|c| format!("{}——{}", c.name, c.consequence)).collect::<Vec<_>>().join("；")
        )),
        signatures(center, on, true),
    ]
}

fn receipt(case: &Case, item: &Item, center: &Center, number: &str, on: NaiveDate) -> Vec<Block> {
    let app = case.application(item, Default::default());
    let rows = item
        .materials
        .iter()
        .filter(|m| applies(item, m, &app) && !m.shared_data)
        .filter(|m| {
            matches!(case.materials.get(&m.id), Some(MaterialState::Ok | MaterialState::Defect { .. }))
        })
        .enumerate()
        .map(|(i, m)| {
            vec![
                (i + 1).to_string(),
                m.name.clone(),
                if m.originals > 0 { format!("{} 份", m.originals) } else { "-".into() },
                if m.copies > 0 { format!("{} 份", m.copies) } else { "-".into() },
                m.medium.label().to_string(),
            ]
        })
        .collect();
    vec![
        header(case, item, center, number),
        Block::Paragraph("今收到申请人提交的下列材料：".into()),
        Block::Table {
            header: vec!["序号".into(), "材料名称".into(), "原件".into(), "复印件".into(), "形式".into()],
            rows,
        },
        signatures(center, on, true),
    ]
}

/// What the applicant must bring for a deficiency: the defect to fix, then the standard.
fn requirement(state: &MaterialState, required: &[String]) -> String {
    let standard = required.join("；");
    match state {
        MaterialState::Defect { text } if standard.is_empty() => format!("更正：{text}"),
        MaterialState::Defect { text } => format!("更正：{text}。要求：{standard}"),
        _ if standard.is_empty() => "提交该材料".into(),
        _ => standard,
    }
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
        let wrap = |text: &str, indent: &str| {
            textwrap::wrap(
                text,
                textwrap::Options::new(WIDTH).initial_indent(indent).subsequent_indent(indent),
            )
            .into_iter()
            .map(|l| l.into_owned() + "\n")
            .collect::<String>()
        };
        for block in &self.blocks {
            match block {
                Block::Paragraph(text) => out.push_str(&wrap(&format!("    {text}"), "")),
                Block::Fields(fields) => {
                    for (label, value) in fields {
                        out.push_str(&wrap(&format!("{label}：{value}"), ""));
                    }
                }
                Block::Table { header, rows } => {
                    out.push_str(&header.join(" | "));
                    out.push('\n');
                    for row in rows {
                        out.push_str(&wrap(&row.join(" | "), ""));
                    }
                }
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

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
pub(crate) mod tests_limits;
