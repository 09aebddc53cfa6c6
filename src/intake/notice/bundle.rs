//! The notices of a bundle (一件事): one set for the applicant. Each item accepted gets its own
//! 受理通知书 (and 容缺受理承诺书, 告知承诺书, 材料接收凭证) under its sub-case number, as its
//! department will decide it; every item not accepted is covered by **one** 一次性告知书 under the
//! bundle's number that lists every material missing or defective across the bundle, each once,
//! with the items that need it — so the applicant comes back once for all of them.

use super::{
    Block, Center, Notice, NoticeKind, addressee, date, header, notices_for, numbered_table, signatures,
};
use super::{basis_cell, explain_marks, problem_text, to_bring_for};
use crate::intake::case::Case;
use crate::intake::rules::{Decision, Deficiency, MaterialState};
use crate::kb::{Calendar, Item};

/// One material in the bundle's 一次性告知书, with every item that needs it.
struct Row<'a> {
    key: String,
    deficiency: &'a Deficiency,
    item: &'a Item,
    items: Vec<&'a Item>,
}

/// The notices for a finished bundle: `cases` are its sub-cases in bundle order, each with its
/// item. Nothing when the sub-cases are not finished or not of one bundle.
pub fn bundle_notices(cases: &[(&Case, &Item)], center: &Center, calendar: &Calendar) -> Vec<Notice> {
    let Some((first, _)) = cases.first() else { return Vec::new() };
    let Some(link) = &first.bundle else { return Vec::new() };
    if cases.iter().any(|(c, _)| c.bundle.as_ref().is_none_or(|l| l.number != link.number)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut held: Vec<&Item> = Vec::new();
    for (case, item) in cases {
        match &case.decision {
            Some(Decision::NoticeOfDeficiency { deficiencies, .. }) => {
                held.push(item);
                for d in deficiencies {
                    // An item held back by its predecessor carries the predecessor's deficiencies
                    // (`src/intake/bundle.rs`, `split`): the same entry, listed once.
                    if let Some(row) = rows.iter_mut().find(|r| r.deficiency == d) {
                        if !row.items.iter().any(|i| i.code == item.code) {
                            row.items.push(item);
                        }
                        continue;
                    }
                    let key = item
                        .materials
                        .iter()
                        .find(|m| m.id == d.material)
                        .and_then(|m| m.uses.clone())
                        .unwrap_or_else(|| format!("{}/{}", item.code, d.material));
                    match rows.iter_mut().find(|r| r.key == key) {
                        Some(row) => {
                            if !row.items.iter().any(|i| i.code == item.code) {
                                row.items.push(item);
                            }
                        }
                        None => rows.push(Row { key, deficiency: d, item, items: vec![item] }),
                    }
                }
            }
            Some(_) => out.extend(notices_for(case, item, center, calendar)),
            None => return Vec::new(),
        }
    }
    if rows.is_empty() {
        return out;
    }
    let Some(finished) = first.finished_at else { return out };
    let on = crate::time::hall_date(finished);
    let (case, item) = cases
        .iter()
        .find(|(c, _)| matches!(c.decision, Some(Decision::NoticeOfDeficiency { .. })))
        .copied()
        .unwrap_or(cases[0]);
    let mut head = header(case, item, center, &link.number);
    if let Block::Fields(fields) = &mut head {
        // The bundle, not one item, is what the applicant applied for.
        if let Some(f) = fields.iter_mut().find(|(k, _)| k == "申请事项") {
            f.1 = format!("{}（一件事）", link.name);
        }
        fields.insert(
            2,
            ("暂不能受理的事项".into(), held.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("、")),
        );
    }
    let mut blocks = vec![
        head,
        Block::Paragraph(format!(
            "{}：你（单位）于{}申请办理“{}”一件事，经审查，以下事项的申请材料不齐全或者不符合法定形式（其中排在后面的事项须待前面的事项受理后办理），现一次性告知需要补正的全部内容如下，每份材料只列一次：",
            addressee(case),
            date(on),
            link.name
        )),
        numbered_table(
            &["材料名称", "问题", "请携带", "涉及事项", "依据"],
            rows.iter().map(|r| {
                let d = r.deficiency;
                vec![
                    d.name.clone(),
                    problem_text(&d.state),
                    to_bring_for(r.item, &d.material, &MaterialState::Missing, &d.required),
                    r.items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("、"),
                    basis_cell(r.item, &d.material),
                ]
            }),
        ),
        Block::Paragraph(
            "请按上述要求补齐材料后再次提交。补齐后符合要求的，本窗口将当场受理上述全部事项。".to_string(),
        ),
        signatures(center, on, false),
    ];
    explain_marks(&mut blocks);
    out.push(Notice {
        kind: NoticeKind::Deficiency,
        title: NoticeKind::Deficiency.title().to_string(),
        number: link.number.clone(),
        issuer: center.name.clone(),
        blocks,
    });
    out
}
