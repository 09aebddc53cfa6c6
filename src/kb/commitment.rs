//! 告知承诺制 (国办发〔2020〕42号) in the KB: an item on a published 告知承诺 list lets the applicant
//! sign a commitment instead of producing a listed certificate; the department checks afterwards,
//! within a period, and a false commitment has the item's consequence. It is a path of its own,
//! distinct from 容缺受理 (where a material is supplied later): the certificate is never brought.
//! The KB syntax is documented in `knowledge-base/README.md` (“告知承诺制”).

use serde::{Deserialize, Serialize};

use super::check::Reporter;
use super::limits::{Limit, Unit};
use super::model::Item;

/// `[informed_commitment]` of an item: whether the item is on a 告知承诺 list, and which.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InformedCommitment {
    /// The item is on a published 告知承诺 list.
    pub allowed: bool,
    /// The list that covers it (issuer, document number, entry), so that a reviewer can find it.
    pub list: String,
}

/// `informed_commitment` of a material: the commitment that may replace it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MaterialCommitment {
    /// What the applicant commits to, printed on the 告知承诺书 (“本人承诺已取得…”).
    pub text: String,
    /// The consequence of a false commitment (撤销许可、记入信用记录 …), printed on it.
    pub consequence: String,
    /// The period after intake within which the department checks the commitment, in the unit its
    /// rule uses (usually working days: `{ amount = 20, unit = "工作日" }`).
    pub check: Limit,
}

/// The documents' name for the path, so no screen or notice calls it 容缺.
pub const COMMITMENT_LABEL: &str = "告知承诺";

/// Checks the 告知承诺 data of an item.
pub(crate) fn check_commitment(r: &mut Reporter, item: &Item) {
    let allowed = item.informed_commitment.as_ref().is_some_and(|c| c.allowed);
    if let Some(c) = &item.informed_commitment {
        if c.list.trim().chars().count() < 4 {
            r.at(
                &["informed_commitment", "list"],
                "写明覆盖本事项的告知承诺清单（发布机关、文号、条目）".into(),
            );
        }
        if c.allowed && !item.materials.iter().any(|m| m.informed_commitment.is_some()) {
            r.at(
                &["informed_commitment", "allowed"],
                "允许告知承诺，但没有任何材料写明可用承诺替代 (informed_commitment)".into(),
            );
        }
    }
    for (i, m) in item.materials.iter().enumerate() {
        let Some(c) = &m.informed_commitment else { continue };
        let idx = i.to_string();
        let at = |f: &'static str| ["materials", idx.as_str(), "informed_commitment", f];
        if !allowed {
            r.at(
                &["materials", &idx, "informed_commitment"],
                "本事项未列入告知承诺清单（[informed_commitment] allowed = true），材料不能以承诺替代".into(),
            );
        }
        match (c.check.unit, c.check.amount) {
            (Unit::Immediate, _) => r.at(&at("check"), "核查期限须以工作日、自然日或月计".into()),
            (_, 0) => r.at(&at("check"), "核查期限缺少数值 amount（至少为 1）".into()),
            _ => {}
        }
        if c.text.trim().chars().count() < 4 {
            r.at(&at("text"), "写明承诺内容".into());
        }
        if c.consequence.trim().chars().count() < 4 {
            r.at(&at("consequence"), "写明虚假承诺的后果".into());
        }
        if m.shared_data {
            r.at(&["materials", &idx, "informed_commitment"], "窗口共享获取的材料无须承诺替代".into());
        }
    }
}
