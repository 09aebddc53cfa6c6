//! Supplements taken like an intake: when an applicant brings a 容缺 material later, or the
//! corrections the back office asked for (退回补正), the clerk checks each material concerned
//! against its checkpoints and marks it 合格 / 有缺陷 / 缺少, and the window issues a 材料接收凭证
//! for what it received. The record is one case event ([`super::case::CaseEvent::SupplementReceived`]),
//! undone by another ([`super::case::CaseEvent::SupplementUndone`]) while the clerk is still on the
//! case; both travel to HQ, whose rules (`src/hq/rules.rs`) let the back office decide once the
//! correction is complete and refuse an undo after it has decided.
//!
//! Pure: no clock, no store, no terminal.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::case::{Case, Correction, Status};
use super::notice::{Block, Center, Notice, NoticeKind, header, signatures};
use super::rules::MaterialState;
use crate::kb::{Item, Material};

/// What the applicant brings back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplementKind {
    /// 容缺 materials promised at intake (容缺补正).
    Lenient,
    /// Materials the back office sent back (退回补正).
    Correction,
}

impl SupplementKind {
    /// The name on screen and on the receipt.
    pub fn label(self) -> &'static str {
        match self {
            Self::Lenient => "容缺补正",
            Self::Correction => "退回补正",
        }
    }
}

/// One material of a supplement as the clerk found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedMaterial {
    /// Material id in the item (the name, for a material the KB no longer has).
    pub id: String,
    /// Material name, as printed.
    pub name: String,
    /// 合格, 有缺陷 (received, not acceptable) or 缺少 (not brought).
    pub state: MaterialState,
}

impl ReceivedMaterial {
    /// Whether the window took the paper in (合格 or 有缺陷): what the receipt lists as received.
    pub fn received(&self) -> bool {
        matches!(self.state, MaterialState::Ok | MaterialState::Defect { .. })
    }
}

/// A supplement recorded on a case, as the fold keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// The receipt's number (`<case number>-B<n>`).
    pub number: String,
    /// 容缺补正 or 退回补正.
    pub kind: SupplementKind,
    /// Each material concerned, as marked.
    pub materials: Vec<ReceivedMaterial>,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// When it was undone, if it was.
    pub undone_at: Option<DateTime<Utc>>,
    /// 容缺 materials this receipt supplemented (so an undo takes exactly these back).
    pub supplemented: Vec<String>,
    /// The 退回补正 this receipt completed (so an undo reopens it).
    pub closed: Option<Correction>,
}

/// A material a supplement concerns: its id (the name for one the KB no longer has), its name, and
/// the KB's material with its checkpoints when there is one.
pub type Owed<'a> = (String, String, Option<&'a Material>);

/// The materials a supplement concerns for a case as it stands, with the KB's material when it
/// still has one: the 容缺 materials still pending, or the materials the back office sent back.
/// `None` when the case waits for nothing.
pub fn concerned<'a>(case: &Case, item: &'a Item) -> Option<(SupplementKind, Vec<Owed<'a>>)> {
    if case.status == Status::CorrectionRequested {
        let correction = case.correction.as_ref()?;
        let rows = correction
            .materials
            .iter()
            .map(|name| {
                let m = item.materials.iter().find(|m| &m.name == name);
                (m.map_or_else(|| name.clone(), |m| m.id.clone()), name.clone(), m)
            })
            .collect();
        return Some((SupplementKind::Correction, rows));
    }
    if case.status != Status::AwaitingSupplement {
        return None;
    }
    let rows: Vec<_> = case
        .pending_supplements()
        .into_iter()
        .map(|(id, name, _)| (id.to_string(), name.to_string(), item.materials.iter().find(|m| m.id == id)))
        .collect();
    (!rows.is_empty()).then_some((SupplementKind::Lenient, rows))
}

/// Whether recording `materials` completes what the case waits for: every material of a 退回补正
/// is 合格 (a 容缺 case completes in the fold, material by material).
pub fn completes(case: &Case, kind: SupplementKind, materials: &[ReceivedMaterial]) -> bool {
    match (kind, &case.correction) {
        (SupplementKind::Correction, Some(correction)) => correction
            .materials
            .iter()
            .all(|name| materials.iter().any(|m| &m.name == name && m.state == MaterialState::Ok)),
        _ => false,
    }
}

/// The next receipt number of a case: its number and `-B` with the count of receipts so far + 1
/// (undone ones keep their number, so a number is never reused).
pub fn next_receipt_number(case: &Case) -> Option<String> {
    Some(format!("{}-B{}", case.number.as_deref()?, case.receipts.len() + 1))
}

/// The 材料接收凭证 of one supplement: what the window received (and what it found wrong with it),
/// what was not brought, and what happens next; dated the day it was recorded.
pub fn receipt_notice(
    case: &Case,
    item: &Item,
    center: &Center,
    receipt: &Receipt,
    on: NaiveDate,
) -> Option<Notice> {
    let number = case.number.clone()?;
    let mut head = header(case, item, center, &number);
    if let Block::Fields(fields) = &mut head {
        fields.insert(1, ("凭证编号".into(), receipt.number.clone()));
        fields.insert(2, ("收件类别".into(), receipt.kind.label().into()));
    }
    let received: Vec<&ReceivedMaterial> = receipt.materials.iter().filter(|m| m.received()).collect();
    let rows = received
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let kb = item.materials.iter().find(|k| k.id == m.id);
            let count = |n: u8| if n > 0 { format!("{n} 份") } else { "-".into() };
            let finding = match &m.state {
                MaterialState::Defect { text } => format!("有缺陷：{text}"),
                _ => "合格".into(),
            };
            vec![
                (i + 1).to_string(),
                m.name.clone(),
                kb.map_or_else(|| "-".into(), |k| count(k.originals)),
                kb.map_or_else(|| "-".into(), |k| count(k.copies)),
                finding,
            ]
        })
        .collect();
    let mut blocks = vec![
        head,
        Block::Paragraph(format!("今收到申请人补交的下列材料（{}）：", receipt.kind.label())),
        Block::Table {
            header: vec!["序号".into(), "材料名称".into(), "原件".into(), "复印件".into(), "核验结果".into()],
            rows,
        },
    ];
    let missing: Vec<&str> =
        receipt.materials.iter().filter(|m| !m.received()).map(|m| m.name.as_str()).collect();
    if !missing.is_empty() {
        blocks.push(Block::Paragraph(format!("以下材料本次未提交，仍须补正：{}。", missing.join("、"))));
    }
    let defects = received.iter().any(|m| matches!(m.state, MaterialState::Defect { .. }));
    let next = if defects || !missing.is_empty() {
        "所列缺陷更正、未交材料补齐后，案件方可继续办理。"
    } else {
        match receipt.kind {
            SupplementKind::Lenient => "补正材料已收齐合格，案件按正常程序办理。",
            SupplementKind::Correction => "补正材料已收齐合格，案件重新提交审批。",
        }
    };
    blocks.push(Block::Paragraph(format!(
        "本凭证仅证明窗口收到上列材料，不代表审批结果。{next}收件时间：{}。",
        crate::time::show(receipt.at, "%Y年%m月%d日 %H:%M")
    )));
    blocks.push(signatures(center, on, true));
    Some(Notice {
        kind: NoticeKind::Receipt,
        title: format!("{}（{}）", NoticeKind::Receipt.title(), receipt.kind.label()),
        number: receipt.number.clone(),
        issuer: center.name.clone(),
        blocks,
    })
}
