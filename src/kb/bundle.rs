//! Bundles (一件事一次办): `bundles/<id>.toml`.
//!
//! National policy (国发〔2024〕3号, 推进关联事项集成办) asks a hall to take several related items
//! — 企业开办: the registration, the tax set-up, the invoices, the housing fund — at one window, with
//! one set of materials and the applicant's data typed once. A bundle names those items (by code:
//! never a copy of them), which of them the applicant may leave out, the order the back office
//! keeps (the seal after the licence: `after`), what an item's result provides to the items after
//! it (`yields`: the licence the tax office would otherwise ask for), and the applicant data the
//! desk asks once and passes to every item (`shared`). [`check_bundle`] is what `kb check` says
//! about one; intake's use of it (the union checklist, one decision per item) is in
//! `src/intake/bundle.rs`.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::check::{Reporter, is_identifier};
use super::forms::{Form, from_key};
use super::model::{DeliveryOption, Item, ServiceObject};

/// One bundle of items taken in one intake.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Identifier, equal to the file name (`bundles/<id>.toml`); ASCII snake_case.
    pub id: String,
    /// Name as the hall publishes it (`企业开办`), shown in the item list and on notices.
    pub name: String,
    /// What applicants call it (`开公司`), found by the search.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The documents that set the bundle up (at least one), as printed.
    pub basis: Vec<String>,
    /// Applicant data typed once and passed to every item: keys of the forms' `from` table
    /// ([`super::forms::FROM_KEYS`]) that name applicant data (`applicant.*`, `agent.*`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared: Vec<String>,
    /// The items, in the order the desk lists them (at least two).
    pub items: Vec<BundleItem>,
    /// Remarks for maintainers and clerks (what could not be verified, items still missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One item of a bundle.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BundleItem {
    /// The item's code (`items/<code>.toml`).
    pub code: String,
    /// The applicant may leave it out (公积金, 银行开户); the others are always part of the bundle.
    #[serde(default)]
    pub optional: bool,
    /// Codes of the items of this bundle whose decision the back office must have before it takes
    /// this one (the seal after the licence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// Shared materials (`materials/<id>.toml`) this item's result provides: the items after it
    /// do not ask the applicant for them (the 营业执照 the registration issues).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub yields: Vec<String>,
}

impl Bundle {
    /// The bundle's entry for an item code.
    pub fn member(&self, code: &str) -> Option<&BundleItem> {
        self.items.iter().find(|i| i.code == code)
    }

    /// Every item `code` waits for, directly or through others (its predecessors), in bundle order.
    pub fn predecessors(&self, code: &str) -> Vec<&str> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&str> =
            self.member(code).map(|m| m.after.iter().map(String::as_str).collect()).unwrap_or_default();
        while let Some(c) = stack.pop() {
            if c != code && seen.insert(c) {
                stack.extend(self.member(c).iter().flat_map(|m| m.after.iter().map(String::as_str)));
            }
        }
        self.items.iter().map(|i| i.code.as_str()).filter(|c| seen.contains(c)).collect()
    }

    /// Whether `later` comes after `earlier` in the back office's order (directly or not).
    pub fn comes_after(&self, later: &str, earlier: &str) -> bool {
        self.predecessors(later).contains(&earlier)
    }

    /// The codes of the items every application of the bundle has (not optional).
    pub fn required_codes(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter(|i| !i.optional).map(|i| i.code.as_str())
    }
}

/// Whether the desk asks `item`'s applicant for the datum `key` (a `from` key): through a form of
/// the item that fills a field from it, or because the applicant step asks it for the kinds of
/// applicant the item serves. `None` when the key is not applicant data at all.
pub fn item_uses(item: &Item, key: &str, forms: &[&Form]) -> Option<bool> {
    if !is_applicant_datum(key) {
        return None;
    }
    let person = item.service_objects.contains(&ServiceObject::Person);
    let organisation = item.service_objects.iter().any(|o| *o != ServiceObject::Person);
    let by_step = match key {
        "applicant.name" | "applicant.phone" => true,
        "applicant.id_number" => person || item.establishes,
        "applicant.credit_code" => organisation && !item.establishes,
        "applicant.legal_representative" => organisation || item.establishes,
        "applicant.address" => false,
        "agent.name" | "agent.id_number" | "agent.phone" | "authorisation.scope" => {
            item.situations.iter().any(|s| s.id == crate::intake::case::AGENT_SITUATION)
        }
        "mail.address" => item.delivery.contains(&DeliveryOption::Mail),
        _ => false,
    };
    let by_form = forms
        .iter()
        .filter(|f| f.items.contains(&item.code))
        .any(|f| f.sections.iter().flat_map(|s| &s.fields).any(|field| field.from.as_deref() == Some(key)));
    Some(by_step || by_form)
}

/// Checks one bundle against the items and forms of the knowledge base.
pub(crate) fn check_bundle(r: &mut Reporter, bundle: &Bundle, items: &HashMap<&str, &Item>, forms: &[&Form]) {
    if r.file_path() != format!("bundles/{}.toml", bundle.id) {
        r.at(&["id"], format!("文件应为 bundles/{}.toml（文件名与套餐标识一致）", bundle.id));
    }
    if !is_identifier(&bundle.id) {
        r.at(&["id"], format!("套餐标识 {:?} 只能用小写字母、数字和下划线", bundle.id));
    }
    if bundle.name.trim().is_empty() {
        r.at(&["name"], "不能为空".into());
    }
    if bundle.basis.iter().all(|b| b.trim().is_empty()) {
        r.at(&["basis"], "至少需要一条设立依据".into());
    }
    if bundle.items.len() < 2 {
        r.at(&["items"], "一件事至少包含两个事项".into());
    }
    if !bundle.items.is_empty() && bundle.items.iter().all(|i| i.optional) {
        r.at(&["items"], "至少需要一个必办事项（optional = false）".into());
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, member) in bundle.items.iter().enumerate() {
        let si = i.to_string();
        if let Some(first) = seen.insert(member.code.as_str(), i) {
            r.at(
                &["items", &si, "code"],
                format!("事项 {} 重复列出（已是第 {} 项）", member.code, first + 1),
            );
            seen.insert(member.code.as_str(), first);
        }
        // A draft item loads (marked 待审核) and fails `kb check` on its own; a bundle holding it
        // is refused at intake (`Selection::new`) until it is reviewed.
        if !items.contains_key(member.code.as_str()) {
            r.at(&["items", &si, "code"], format!("没有编码为 {} 的事项", member.code));
        }
        for (j, after) in member.after.iter().enumerate() {
            let sj = j.to_string();
            if *after == member.code {
                r.at(&["items", &si, "after", &sj], format!("事项 {after} 不能排在自己之后"));
            } else if bundle.member(after).is_none() {
                r.at(&["items", &si, "after", &sj], format!("{after} 不是本一件事的事项"));
            }
        }
    }
    check_cycles(r, bundle);
    check_yields(r, bundle, items);
    for (k, key) in bundle.shared.iter().enumerate() {
        let sk = k.to_string();
        let members: Vec<&Item> =
            bundle.items.iter().filter_map(|m| items.get(m.code.as_str()).copied()).collect();
        if !is_applicant_datum(key) {
            r.at(
                &["shared", &sk],
                format!(
                    "{key} 不是申请人数据（可用 applicant.*、agent.*、authorisation.scope、mail.address）"
                ),
            );
        } else if !members.iter().any(|item| item_uses(item, key, forms) == Some(true)) {
            r.at(&["shared", &sk], format!("共享数据 {key} 没有任何事项使用"));
        }
        if bundle.shared[..k].contains(key) {
            r.at(&["shared", &sk], format!("共享数据 {key} 重复"));
        }
    }
}

/// Whether `key` names applicant data the desk asks for (not a value the desk makes itself).
pub fn is_applicant_datum(key: &str) -> bool {
    from_key(key).is_some() && !key.starts_with("case.") && !key.starts_with("item.")
}

/// Reports each cycle of the `after` relation once, at the `after` entry that closes it.
fn check_cycles(r: &mut Reporter, bundle: &Bundle) {
    // Depth-first search with colours; a back edge closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let index: HashMap<&str, usize> =
        bundle.items.iter().enumerate().rev().map(|(i, m)| (m.code.as_str(), i)).collect();
    let mut colour = vec![Colour::White; bundle.items.len()];
    let mut found: Vec<(usize, usize, Vec<usize>)> = Vec::new();
    fn visit(
        at: usize,
        bundle: &Bundle,
        index: &HashMap<&str, usize>,
        colour: &mut [Colour],
        path: &mut Vec<usize>,
        found: &mut Vec<(usize, usize, Vec<usize>)>,
    ) {
        colour[at] = Colour::Grey;
        path.push(at);
        for (j, after) in bundle.items[at].after.iter().enumerate() {
            let Some(&next) = index.get(after.as_str()) else { continue };
            if next == at {
                continue; // reported as "not after itself"
            }
            match colour[next] {
                Colour::White => visit(next, bundle, index, colour, path, found),
                Colour::Grey => {
                    let start = path.iter().position(|&p| p == next).unwrap_or(0);
                    found.push((at, j, path[start..].to_vec()));
                }
                Colour::Black => {}
            }
        }
        path.pop();
        colour[at] = Colour::Black;
    }
    for start in 0..bundle.items.len() {
        if colour[start] == Colour::White {
            visit(start, bundle, &index, &mut colour, &mut Vec::new(), &mut found);
        }
    }
    for (at, j, cycle) in found {
        let mut names: Vec<&str> = cycle.iter().map(|&i| bundle.items[i].code.as_str()).collect();
        names.push(bundle.items[cycle[0]].code.as_str());
        // `after` points backwards in time: print the order the back office would have to keep.
        names.reverse();
        r.at(
            &["items", &at.to_string(), "after", &j.to_string()],
            format!("办理顺序成环：{}（每个事项都要等前一个，无法开始）", names.join(" → ")),
        );
    }
}

/// `yields`: a shared material some item after this one asks for.
fn check_yields(r: &mut Reporter, bundle: &Bundle, items: &HashMap<&str, &Item>) {
    for (i, member) in bundle.items.iter().enumerate() {
        for (j, shared) in member.yields.iter().enumerate() {
            let used_later =
                bundle.items.iter().filter(|later| bundle.comes_after(&later.code, &member.code)).any(
                    |later| {
                        items.get(later.code.as_str()).is_some_and(|item| {
                            item.materials.iter().any(|m| m.uses.as_deref() == Some(shared.as_str()))
                        })
                    },
                );
            if !used_later {
                r.at(
                    &["items", &i.to_string(), "yields", &j.to_string()],
                    format!("排在 {} 之后的事项都没有使用共享材料 {shared}", member.code),
                );
            }
        }
    }
}
