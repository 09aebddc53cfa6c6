//! Intake of a bundle (一件事一次办): the items the applicant chose, one checklist of the union of
//! their materials (each once, with the items that need it), each situation asked once, and the
//! decision of every item by the same rules as a single item ([`super::rules::decide`]) plus the
//! bundle's own.
//!
//! Two items ask for *the same* material when both take it from the shared material library
//! (`use = "id_card"`, `knowledge-base/materials/`): one 居民身份证 is looked at once. Materials an
//! item defines itself are its own even when another item's have the same name (two 申请表 are
//! two forms). A material an earlier item's result provides (`yields`, the 营业执照 of the
//! registration) is not asked of the applicant by the items after it. Two items ask *the same*
//! question when their situations have the same id and the same wording; a situation whose id
//! another item words differently is asked for each item, since the answers may differ (a tax
//! 办税人员 is not the registration's 委托代理人).
//!
//! Pure: no terminal, clock or database; the desk, `precheck` and the HQ rules call these.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::case::{Case, CaseEvent};
use super::rules::{Application, Decision, Deficiency, Outcome, decide};
use crate::kb::terms::{CenterLevel, MaterialState};
use crate::kb::{Bundle, Calendar, Item, Kb};

/// The items of one application of a bundle, in the bundle's order.
#[derive(Debug, Clone)]
pub struct Selection<'k> {
    /// The bundle.
    pub bundle: &'k Bundle,
    /// The chosen items (every required one and the optional ones the applicant wants).
    pub items: Vec<&'k Item>,
}

impl<'k> Selection<'k> {
    /// The bundle's required items and the optional ones in `optional` (by code).
    pub fn new(kb: &'k Kb, bundle: &'k Bundle, optional: &[String]) -> Result<Self, String> {
        for code in optional {
            match bundle.member(code) {
                None => return Err(format!("{code} 不是一件事“{}”的事项", bundle.name)),
                Some(m) if !m.optional => {
                    return Err(format!("{code} 是“{}”的必办事项，不必选择", bundle.name));
                }
                Some(_) => {}
            }
        }
        let mut items = Vec::new();
        for member in &bundle.items {
            if member.optional && !optional.contains(&member.code) {
                continue;
            }
            let item = kb.item(&member.code).ok_or_else(|| format!("知识库中没有事项 {}", member.code))?;
            if let Some(reason) = item.draft_refusal() {
                return Err(reason);
            }
            items.push(item);
        }
        Ok(Self { bundle, items })
    }

    /// The chosen items `code` waits for (its predecessors that were chosen), in bundle order.
    pub fn waits_for(&self, code: &str) -> Vec<&'k str> {
        let before = self.bundle.predecessors(code);
        self.items.iter().map(|i| i.code.as_str()).filter(|c| before.contains(c)).collect()
    }

    /// The chosen item that provides shared material `uses` to `code` (an earlier item whose
    /// result `yields` it), if any.
    pub fn provider(&self, code: &str, uses: &str) -> Option<&'k str> {
        self.waits_for(code)
            .into_iter()
            .find(|earlier| self.bundle.member(earlier).is_some_and(|m| m.yields.iter().any(|y| y == uses)))
    }
}

/// One item's material behind a row of the union checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Need {
    /// The item's code.
    pub code: String,
    /// The material's id in that item.
    pub material: String,
    /// The earlier item whose result provides it: the applicant does not bring it for this item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provided_by: Option<String>,
}

/// One row of the bundle's checklist: a material looked at once for every item that needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnionMaterial {
    /// The row's key: the shared material id (`id_card`), or `CODE/material` for an item's own.
    pub key: String,
    /// Name as printed (the first item's).
    pub name: String,
    /// Every chosen item that asks for it, in bundle order.
    pub needs: Vec<Need>,
}

impl UnionMaterial {
    /// The items that need the applicant to bring it (not provided by an earlier item's result).
    pub fn brought_for(&self) -> impl Iterator<Item = &Need> {
        self.needs.iter().filter(|n| n.provided_by.is_none())
    }

    /// Whether every item that asks for it gets it from an earlier item's result.
    pub fn all_provided(&self) -> bool {
        self.needs.iter().all(|n| n.provided_by.is_some())
    }
}

/// The key of an item's material in the union checklist: the shared material's id for the item's
/// first use of it, else `CODE/material`. A second use in one item is another document (RS0016
/// asks for the heir's 身份证 and the deceased's), so it gets a row of its own.
fn material_key(item: &Item, material: &crate::kb::Material) -> String {
    match &material.uses {
        Some(shared)
            if item.materials.iter().find(|m| m.uses.as_ref() == Some(shared)).map(|m| &m.id)
                == Some(&material.id) =>
        {
            shared.clone()
        }
        _ => format!("{}/{}", item.code, material.id),
    }
}

/// The union checklist of a selection: each material once, in the order it first appears.
pub fn union_materials(sel: &Selection) -> Vec<UnionMaterial> {
    let mut rows: Vec<UnionMaterial> = Vec::new();
    for item in &sel.items {
        for m in &item.materials {
            let key = material_key(item, m);
            let provided_by = m.uses.as_deref().and_then(|u| sel.provider(&item.code, u)).map(str::to_string);
            let need = Need { code: item.code.clone(), material: m.id.clone(), provided_by };
            match rows.iter_mut().find(|r| r.key == key) {
                Some(row) => row.needs.push(need),
                None => rows.push(UnionMaterial { key, name: m.name.clone(), needs: vec![need] }),
            }
        }
    }
    rows
}

/// One question of the bundle, asked once for the items that have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnionSituation {
    /// The answer's key: the situation id, or `CODE/id` when items word that id differently.
    pub key: String,
    /// The situation id in the items.
    pub id: String,
    /// The question as shown.
    pub label: String,
    /// The items that ask it, in bundle order.
    pub asked_by: Vec<String>,
}

/// The bundle's questions: a situation shared (same id and wording) is asked once.
pub fn union_situations(sel: &Selection) -> Vec<UnionSituation> {
    let worded_alike = |id: &str| {
        let mut labels =
            sel.items.iter().flat_map(|i| &i.situations).filter(|s| s.id == id).map(|s| &s.label);
        let first = labels.next();
        labels.all(|l| Some(l) == first)
    };
    let mut rows: Vec<UnionSituation> = Vec::new();
    for item in &sel.items {
        for s in &item.situations {
            let key = if worded_alike(&s.id) { s.id.clone() } else { format!("{}/{}", item.code, s.id) };
            match rows.iter_mut().find(|r| r.key == key) {
                Some(row) => row.asked_by.push(item.code.clone()),
                None => rows.push(UnionSituation {
                    key,
                    id: s.id.clone(),
                    label: s.label.clone(),
                    asked_by: vec![item.code.clone()],
                }),
            }
        }
    }
    rows
}

/// What the clerk found for the whole bundle: material states by union key, answers by
/// situation key, and what holds for every item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BundleApplication {
    /// State of each union row by its key ([`UnionMaterial::key`]).
    pub states: BTreeMap<String, MaterialState>,
    /// Answers by [`UnionSituation::key`].
    pub answers: BTreeMap<String, bool>,
    /// The applicant agrees to sign the 容缺 commitment (one commitment for the bundle).
    pub agrees_to_commitment: bool,
    /// The applicant's credit record bars 容缺.
    pub bad_credit: bool,
    /// Where this window is.
    pub here: CenterLevel,
}

/// The single-item application the rules decide for `item` of the selection.
pub fn item_application(sel: &Selection, item: &Item, app: &BundleApplication) -> Application {
    let situations = union_situations(sel);
    let mut out = Application {
        agrees_to_commitment: app.agrees_to_commitment,
        bad_credit: app.bad_credit,
        here: app.here,
        ..Default::default()
    };
    for m in &item.materials {
        let provided = m.uses.as_deref().and_then(|u| sel.provider(&item.code, u)).is_some();
        let state =
            if provided { Some(MaterialState::Ok) } else { app.states.get(&material_key(item, m)).cloned() };
        if let Some(state) = state {
            out.states.insert(m.id.clone(), state);
        }
    }
    for s in situations.iter().filter(|s| s.asked_by.contains(&item.code)) {
        if let Some(holds) = app.answers.get(&s.key) {
            out.answers.insert(s.id.clone(), *holds);
        }
    }
    out
}

/// One item's result within the bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemOutcome {
    /// The item's code.
    pub code: String,
    /// The item's name.
    pub name: String,
    /// Its department (the back office that takes it).
    pub department: String,
    /// What the rules give for it alone.
    pub outcome: Outcome,
    /// The chosen items the back office must decide first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waits_for: Vec<String>,
    /// Those of them not accepted now: this item cannot be accepted before they are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<String>,
}

impl ItemOutcome {
    /// Accepted now (受理 or 容缺受理, and every predecessor accepted too).
    pub fn accepted(&self) -> bool {
        self.blocked_by.is_empty() && accepted(&self.outcome)
    }

    /// The item's label as shown: its decision, or that it waits for a predecessor.
    pub fn label(&self) -> String {
        if self.blocked_by.is_empty() || !accepted(&self.outcome) {
            self.outcome.label().to_string()
        } else {
            format!("待前序事项受理（{}）", self.blocked_by.join("、"))
        }
    }
}

fn accepted(outcome: &Outcome) -> bool {
    matches!(outcome.decision(), Some(Decision::Accept { .. } | Decision::AcceptPending { .. }))
}

/// The decision for the bundle as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BundleDecision {
    /// A question is still open for some item.
    Unanswered,
    /// Every item 受理.
    Accept,
    /// Every item accepted, some with 容缺.
    AcceptPending,
    /// Some items accepted, others not (the notice lists what the others need).
    Partial,
    /// No item can be accepted now; at least one needs materials (一次性告知).
    NoticeOfDeficiency,
    /// Every item refused (不予受理).
    Reject,
}

impl BundleDecision {
    /// The name as shown and printed.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unanswered => super::rules::UNANSWERED_LABEL,
            Self::Accept => "受理",
            Self::AcceptPending => "容缺受理",
            Self::Partial => "部分受理",
            Self::NoticeOfDeficiency => "一次性告知",
            Self::Reject => "不予受理",
        }
    }
}

/// Every item's outcome and the bundle's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleOutcome {
    /// The bundle's decision.
    pub decision: BundleDecision,
    /// Each chosen item, in bundle order.
    pub items: Vec<ItemOutcome>,
}

/// One material missing or defective across the bundle, once, with the items that need it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleDeficiency {
    /// The union row's key.
    pub key: String,
    /// The first item's deficiency (name, state, what is required).
    pub deficiency: Deficiency,
    /// Codes of the items not accepted for want of it.
    pub items: Vec<String>,
}

impl BundleOutcome {
    /// What the one 一次性告知书 of the bundle lists: every material missing or defective for an
    /// item given 一次性告知, once, with the items that need it.
    pub fn deficiencies(&self, sel: &Selection) -> Vec<BundleDeficiency> {
        let mut out: Vec<BundleDeficiency> = Vec::new();
        for (outcome, item) in self.items.iter().zip(&sel.items) {
            let Some(Decision::NoticeOfDeficiency { deficiencies, .. }) = outcome.outcome.decision() else {
                continue;
            };
            for d in deficiencies {
                let key = item
                    .materials
                    .iter()
                    .find(|m| m.id == d.material)
                    .map_or_else(|| format!("{}/{}", item.code, d.material), |m| material_key(item, m));
                match out.iter_mut().find(|x| x.key == key) {
                    Some(x) => x.items.push(item.code.clone()),
                    None => out.push(BundleDeficiency {
                        key,
                        deficiency: d.clone(),
                        items: vec![item.code.clone()],
                    }),
                }
            }
        }
        out
    }
}

/// Decides every chosen item by the single-item rules and the bundle from them.
pub fn decide_bundle(
    sel: &Selection,
    app: &BundleApplication,
    today: NaiveDate,
    calendar: &Calendar,
) -> BundleOutcome {
    let mut items: Vec<ItemOutcome> = sel
        .items
        .iter()
        .map(|item| ItemOutcome {
            code: item.code.clone(),
            name: item.name.clone(),
            department: item.department.clone(),
            outcome: decide(item, &item_application(sel, item, app), today, calendar),
            waits_for: sel.waits_for(&item.code).into_iter().map(str::to_string).collect(),
            blocked_by: Vec::new(),
        })
        .collect();
    // An item is accepted when it is by itself and so is every item it waits for; `after` may
    // point at an item listed later, so repeat until nothing changes (the order has no cycle:
    // `kb check`; the pass count bounds it anyway).
    for _ in 0..=items.len() {
        let accepted_now: Vec<bool> = items.iter().map(ItemOutcome::accepted).collect();
        let mut changed = false;
        for i in 0..items.len() {
            let blocked: Vec<String> = items[i]
                .waits_for
                .iter()
                .filter(|c| items.iter().position(|o| &o.code == *c).is_none_or(|j| !accepted_now[j]))
                .cloned()
                .collect();
            if blocked != items[i].blocked_by {
                items[i].blocked_by = blocked;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let decision = if items.iter().any(|o| matches!(o.outcome, Outcome::Unanswered { .. })) {
        BundleDecision::Unanswered
    } else if items.iter().all(ItemOutcome::accepted) {
        if items.iter().all(|o| matches!(o.outcome.decision(), Some(Decision::Accept { .. }))) {
            BundleDecision::Accept
        } else {
            BundleDecision::AcceptPending
        }
    } else if items.iter().any(ItemOutcome::accepted) {
        BundleDecision::Partial
    } else if items.iter().all(|o| matches!(o.outcome.decision(), Some(Decision::Reject { .. }))) {
        BundleDecision::Reject
    } else {
        BundleDecision::NoticeOfDeficiency
    };
    BundleOutcome { decision, items }
}

/// A bundle's guide as lines of text (`kb show BUNDLE`, the desk's browser): its items in order
/// with what each waits for, the data typed once, and the checklist of every item chosen.
pub fn guide(kb: &Kb, bundle: &Bundle) -> Vec<String> {
    let mut out = vec![format!("【一件事】{}（{}）", bundle.name, bundle.id)];
    if !bundle.aliases.is_empty() {
        out.push(format!("又称：{}", bundle.aliases.join("、")));
    }
    out.push(format!("设立依据：{}", bundle.basis.join("；")));
    out.push("包含事项（按后台办理顺序）：".into());
    for (i, member) in bundle.items.iter().enumerate() {
        let (name, department) =
            kb.item(&member.code).map_or(("（知识库中没有此事项）", ""), |it| {
                (it.name.as_str(), it.department.as_str())
            });
        let mut line = format!(
            "  {}. {}{}（{}）  {}",
            i + 1,
            name,
            if member.optional { "【可选】" } else { "" },
            member.code,
            department
        );
        if !member.after.is_empty() {
            line.push_str(&format!("  待 {} 办结后办理", member.after.join("、")));
        }
        out.push(line);
    }
    if !bundle.shared.is_empty() {
        let labels: Vec<&str> = bundle
            .shared
            .iter()
            .map(|k| crate::kb::forms::from_key(k).map_or(k.as_str(), |f| f.label))
            .collect();
        out.push(format!("一次录入、各事项共用：{}", labels.join("、")));
    }
    let optional: Vec<String> = bundle.items.iter().filter(|m| m.optional).map(|m| m.code.clone()).collect();
    if let Ok(sel) = Selection::new(kb, bundle, &optional) {
        out.push("材料（全部事项，每份只收一次）：".into());
        for (i, row) in union_materials(&sel).iter().enumerate() {
            let mut line = format!("  {}. {}  —  {}", i + 1, row.name, needs_text(&row.needs));
            if row.all_provided() {
                let by: Vec<&str> = row.needs.iter().filter_map(|n| n.provided_by.as_deref()).collect();
                line.push_str(&format!("（由 {} 的办理结果取得，申请人不必提交）", by[..1].join("")));
            }
            out.push(line);
        }
        let questions = union_situations(&sel);
        if !questions.is_empty() {
            out.push("受理时询问（每个问题只问一次）：".into());
            for (i, q) in questions.iter().enumerate() {
                out.push(format!("  {}. {}  —  {}", i + 1, q.label, q.asked_by.join("、")));
            }
        }
    }
    if let Some(note) = &bundle.note {
        out.push(format!("说明：{}", note.trim().replace('\n', "")));
    }
    out
}

/// `事项 A、B` for a union row: the items that ask for it.
pub fn needs_text(needs: &[Need]) -> String {
    let codes: Vec<&str> = needs.iter().map(|n| n.code.as_str()).collect();
    codes.join("、")
}

/// The selection a bundle intake's case recorded ([`crate::intake::case::CaseEvent::BundleChosen`]).
pub fn case_selection<'k>(kb: &'k Kb, case: &Case) -> Result<Selection<'k>, String> {
    let choice = case.bundle_choice.as_ref().ok_or("本件不是一件事")?;
    let bundle = kb.bundle(&choice.bundle).ok_or_else(|| format!("知识库中没有一件事 {}", choice.bundle))?;
    let optional: Vec<String> =
        choice.items.iter().filter(|c| bundle.member(c).is_some_and(|m| m.optional)).cloned().collect();
    let sel = Selection::new(kb, bundle, &optional)?;
    if sel.items.iter().map(|i| &i.code).ne(choice.items.iter()) {
        return Err(format!("一件事“{}”的事项与知识库不一致：{}", bundle.name, choice.items.join("、")));
    }
    Ok(sel)
}

/// What a bundle intake's case recorded, as the rules read it (`here`: where this window is).
pub fn case_application(case: &Case, here: CenterLevel) -> BundleApplication {
    BundleApplication {
        states: case.materials.clone(),
        answers: case.answers.clone(),
        agrees_to_commitment: case.agrees_to_commitment,
        bad_credit: case.bad_credit,
        here,
    }
}

/// One item of a bundle's intake as an ordinary case, ready to be journaled by the store (which
/// adds `started`, the [`CaseEvent::BundleMember`] link with the numbers, and `finished`).
#[derive(Debug, Clone, PartialEq)]
pub struct SubCase {
    /// The item's code.
    pub code: String,
    /// What the intake recorded, restated for this item alone: the item, its answers and marks by
    /// its own ids, the applicant data typed once, delivery, rating.
    pub events: Vec<CaseEvent>,
    /// The item's final decision at the window.
    pub decision: Decision,
    /// Items the back office decides first.
    pub waits_for: Vec<String>,
    /// This item's materials an earlier item's result provides.
    pub provided: Vec<String>,
}

/// Splits a bundle intake into one ordinary case per chosen item (DESIGN: one case number, a
/// sub-case per item). Each sub-case's decision is the item's own, except that an item whose
/// predecessor is not accepted cannot be: it gets 一次性告知 listing what its predecessors lack
/// (or 不予受理 when a predecessor was refused), so the applicant comes back once for all.
/// Refused while a question is open.
pub fn split(kb: &Kb, case: &Case, here: CenterLevel, today: NaiveDate) -> Result<Vec<SubCase>, String> {
    let sel = case_selection(kb, case)?;
    let app = case_application(case, here);
    let result = decide_bundle(&sel, &app, today, &kb.calendar);
    if result.decision == BundleDecision::Unanswered {
        return Err("还有情形未回答，不能办结".into());
    }
    let version = case.kb_version.clone().unwrap_or_else(|| kb.meta.version.clone());
    let mut common: Vec<CaseEvent> = vec![CaseEvent::ApplicantKindSet { kind: case.applicant_kind }];
    common.extend(
        case.fields.iter().map(|(field, value)| CaseEvent::FieldSet { field: *field, value: value.clone() }),
    );
    common.push(CaseEvent::DeliverySet { delivery: case.delivery });
    if let Some(level) = case.rating {
        common.push(CaseEvent::Rated { level });
    }
    let mut out = Vec::new();
    for (item, outcome) in sel.items.iter().zip(&result.items) {
        let single = item_application(&sel, item, &app);
        let mut events = vec![CaseEvent::ItemChosen { code: item.code.clone(), kb_version: version.clone() }];
        events.extend(
            single
                .answers
                .iter()
                .map(|(id, holds)| CaseEvent::SituationSet { id: id.clone(), holds: *holds }),
        );
        events.extend(
            single
                .states
                .iter()
                .map(|(id, state)| CaseEvent::MaterialMarked { id: id.clone(), state: Some(state.clone()) }),
        );
        events.push(CaseEvent::CommitmentAgreed { agrees: case.agrees_to_commitment });
        events.push(CaseEvent::BadCreditSet { bad: case.bad_credit });
        events.extend(common.iter().cloned());
        let own = outcome.outcome.decision().cloned().ok_or("还有情形未回答，不能办结")?;
        let decision =
            if outcome.blocked_by.is_empty() { own } else { held_back(&result, &outcome.blocked_by, &own) };
        let provided = item
            .materials
            .iter()
            .filter(|m| m.uses.as_deref().is_some_and(|u| sel.provider(&item.code, u).is_some()))
            .map(|m| m.id.clone())
            .collect();
        out.push(SubCase {
            code: item.code.clone(),
            events,
            decision,
            waits_for: outcome.waits_for.clone(),
            provided,
        });
    }
    Ok(out)
}

/// The decision of an item held back by predecessors not accepted: 不予受理 when one of them was
/// refused, else 一次性告知 with what they lack and then what it lacks itself (`own`).
fn held_back(result: &BundleOutcome, blocked_by: &[String], own: &Decision) -> Decision {
    let before: Vec<&ItemOutcome> = result.items.iter().filter(|o| blocked_by.contains(&o.code)).collect();
    if let Some((o, Decision::Reject { basis, .. })) = before
        .iter()
        .find_map(|o| o.outcome.decision().filter(|d| matches!(d, Decision::Reject { .. })).map(|d| (o, d)))
    {
        return Decision::Reject {
            reason: super::rules::RejectReason::NotEligible {
                reason: format!("前序事项 {}（{}）不予受理，本事项不能单独办理", o.name, o.code),
            },
            basis: basis.clone(),
        };
    }
    let mut deficiencies: Vec<Deficiency> = Vec::new();
    for o in &before {
        if let Some(Decision::NoticeOfDeficiency { deficiencies: d, .. }) = o.outcome.decision() {
            deficiencies.extend(d.iter().filter(|x| !deficiencies.contains(x)).cloned().collect::<Vec<_>>());
        }
    }
    match own {
        Decision::NoticeOfDeficiency { deficiencies: d, .. } => deficiencies.extend(d.iter().cloned()),
        Decision::AcceptPending { supplements, .. } => {
            deficiencies.extend(supplements.iter().map(|s| s.deficiency.clone()));
        }
        Decision::Accept { .. } | Decision::Reject { .. } => {}
    }
    Decision::NoticeOfDeficiency { deficiencies, lenient_possible: false }
}

#[cfg(test)]
mod tests;
