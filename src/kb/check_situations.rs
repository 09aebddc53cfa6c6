//! `kb check` for an item's situations (情形) and groups: the static rules (ids, groups, eligibility
//! conditions with their basis) and a walk over **every** combination of answers, so that no
//! combination the groups allow can be accepted without a key material, no group contradicts the
//! others, and no material is made necessary by two contradicting rules.
//!
//! The walk uses the same [`conditions`] the intake rules use. It is exponential in the number of
//! situations, which is fine for real items (a handful each); an item above [`MAX_SITUATIONS`] is
//! reported instead of walked.

use std::collections::{BTreeMap, HashSet};

use super::check::{Reporter, is_identifier};
use super::conditions::{self, Answers};
use super::model::{GroupRule, Item, Material};

/// The most situations an item may have: 2^16 combinations are walked in well under a second.
pub const MAX_SITUATIONS: usize = 16;

/// Checks the situations and groups of `item`.
pub(crate) fn check_situations(r: &mut Reporter, item: &Item) {
    let situations: HashSet<&str> = item.situations.iter().map(|s| s.id.as_str()).collect();
    for (i, s) in item.situations.iter().enumerate() {
        let idx = i.to_string();
        if s.label.trim().is_empty() {
            r.at(&["situations", &idx, "label"], "情形须写明要问的问题".into());
        }
        match (s.ineligible_if, s.basis.is_empty()) {
            (Some(_), true) => r.at(
                &["situations", &idx, "ineligible_if"],
                format!("资格条件 {} 须写明法律依据 basis（不予受理通知书要引用）", s.id),
            ),
            (None, false) => r.at(
                &["situations", &idx, "basis"],
                "只有资格条件（ineligible_if）才写 basis；条件材料的依据写在材料上".into(),
            ),
            _ => {}
        }
    }
    let mut group_ids = HashSet::new();
    let mut member_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (i, g) in item.groups.iter().enumerate() {
        let idx = i.to_string();
        if !is_identifier(&g.id) {
            r.at(&["groups", &idx, "id"], format!("分组标识 {:?} 只能用小写字母、数字和下划线", g.id));
        }
        if situations.contains(g.id.as_str()) || !group_ids.insert(g.id.as_str()) {
            r.at(&["groups", &idx, "id"], format!("分组标识 {} 与情形或其他分组重复", g.id));
        }
        if g.label.trim().is_empty() {
            r.at(&["groups", &idx, "label"], "分组须写明要问的问题（如 申请途径）".into());
        }
        if g.situations.len() < 2 {
            r.at(&["groups", &idx, "situations"], "分组至少需要两个情形".into());
        }
        for (j, id) in g.situations.iter().enumerate() {
            let at = ["groups", idx.as_str(), "situations", &j.to_string()];
            if !situations.contains(id.as_str()) {
                r.at(&at, format!("分组中的 {id} 不是本事项的情形"));
            } else if let Some(other) = member_of.insert(id.as_str(), g.id.as_str()) {
                r.at(&at, format!("情形 {id} 已属于分组 {other}：一个情形只能属于一个分组"));
            }
        }
    }
    for (i, m) in item.materials.iter().enumerate() {
        if let Some(s) = m.when.as_deref().and_then(|w| item.situations.iter().find(|s| s.id == w))
            && s.ineligible_if == Some(true)
        {
            r.at(
                &["materials", &i.to_string(), "when"],
                format!("条件 {} 是资格条件，答“是”即不予受理，本材料永远用不上", s.id),
            );
        }
    }
    walk(r, item);
}

/// Walks every combination of answers.
fn walk(r: &mut Reporter, item: &Item) {
    let n = item.situations.len();
    if n > MAX_SITUATIONS {
        r.at(
            &["situations"],
            format!("情形有 {n} 个，超过 {MAX_SITUATIONS} 个的上限，无法逐一检查全部 2^{n} 种回答组合；请拆分事项或合并情形"),
        );
        return;
    }
    // How many combinations satisfy the groups up to each group: the first group that brings the
    // count to zero is the one that contradicts the others.
    let mut allowed_by_prefix = vec![0usize; item.groups.len()];
    let mut eligible_in_group = vec![false; item.groups.len()];
    let mut no_key: Option<Answers> = None;
    let mut clash: Option<(usize, usize, Answers)> = None;
    let mut eligible_any = false;
    let mut allowed_any = false;
    for mask in 0u32..(1u32 << n) {
        let answers: Answers =
            item.situations.iter().enumerate().map(|(i, s)| (s.id.clone(), mask & (1 << i) != 0)).collect();
        let holding = |ids: &[String]| ids.iter().filter(|id| answers.get(*id) == Some(&true)).count();
        let mut ok = true;
        for (k, g) in item.groups.iter().enumerate() {
            ok = ok && g.rule.allows(holding(&g.situations));
            if ok {
                allowed_by_prefix[k] += 1;
            }
        }
        if !ok {
            continue;
        }
        allowed_any = true;
        if conditions::ineligible_by(item, &answers).is_some() {
            continue;
        }
        eligible_any = true;
        for (k, g) in item.groups.iter().enumerate() {
            if holding(&g.situations) > 0 {
                eligible_in_group[k] = true;
            }
        }
        // Materials that depend on another material are left out: the walk asks what the
        // answers alone require.
        let needed: Vec<(usize, &Material)> = item
            .materials
            .iter()
            .enumerate()
            .filter(|(_, m)| conditions::applies(item, m, &answers, |_| false))
            .collect();
        if no_key.is_none() && !needed.iter().any(|(_, m)| m.key) {
            no_key = Some(answers.clone());
        }
        if clash.is_none()
            && let Some((a, b)) = contradicting(&needed)
        {
            clash = Some((a, b, answers.clone()));
        }
    }
    if let Some(k) = allowed_by_prefix.iter().position(|c| *c == 0) {
        r.at(
            &["groups", &k.to_string(), "rule"],
            format!("分组 {} 与前面的分组相互矛盾：没有任何回答组合能同时满足", item.groups[k].id),
        );
        return;
    }
    let mut contradicted = false;
    for (k, g) in item.groups.iter().enumerate() {
        if g.rule != GroupRule::AtMostOne && !eligible_in_group[k] {
            contradicted = true;
            r.at(
                &["groups", &k.to_string(), "situations"],
                format!("分组 {} 要求至少一项为是，但每一项为是都不符合资格条件：分组与资格条件矛盾", g.id),
            );
        }
    }
    if contradicted {
        return;
    }
    if allowed_any && !eligible_any {
        r.at(&["situations"], "每一种回答组合都不符合资格条件：本事项无人能申请".into());
        return;
    }
    if let Some(answers) = no_key {
        let at = culprit(item, &answers);
        r.at(
            &at.iter().map(String::as_str).collect::<Vec<_>>(),
            format!(
                "回答组合 {} 下没有任何核心材料 (key = true)：这样的申请会在缺少关键材料时被受理",
                show(item, &answers)
            ),
        );
    }
    if let Some((a, b, answers)) = clash {
        let (ma, mb) = (&item.materials[a], &item.materials[b]);
        r.at(
            &["materials", &b.to_string(), "use"],
            format!(
                "材料 {} 与 {} 引用同一共享材料 {}，在回答组合 {} 下同时需要，但规定相互矛盾（{}）",
                ma.id,
                mb.id,
                mb.uses.as_deref().unwrap_or(""),
                show(item, &answers),
                differences(ma, mb).join("、")
            ),
        );
    }
}

/// Two materials needed together that are the same shared material under different rules.
fn contradicting(needed: &[(usize, &Material)]) -> Option<(usize, usize)> {
    for (i, (a, ma)) in needed.iter().enumerate() {
        for (b, mb) in &needed[i + 1..] {
            if ma.uses.is_some() && ma.uses == mb.uses && !differences(ma, mb).is_empty() {
                return Some((*a, *b));
            }
        }
    }
    None
}

/// How two uses of one shared material differ in what the window asks.
fn differences(a: &Material, b: &Material) -> Vec<&'static str> {
    let mut out = Vec::new();
    if a.key != b.key {
        out.push("是否核心材料");
    }
    if a.lenient != b.lenient {
        out.push("是否可容缺");
    }
    if (a.originals, a.copies) != (b.originals, b.copies) {
        out.push("原件、复印件份数");
    }
    if a.shared_data != b.shared_data {
        out.push("是否数据共享免提交");
    }
    out
}

/// Where to report a combination: the first group with a situation answered 是, else the first
/// situation answered 是, else the item's situations.
fn culprit(item: &Item, answers: &Answers) -> Vec<String> {
    let yes = |id: &String| answers.get(id) == Some(&true);
    if let Some(k) = item.groups.iter().position(|g| g.situations.iter().any(yes)) {
        return vec!["groups".into(), k.to_string()];
    }
    match item.situations.iter().position(|s| yes(&s.id)) {
        Some(i) => vec!["situations".into(), i.to_string()],
        None if item.situations.is_empty() => vec!["materials".into()],
        None => vec!["situations".into()],
    }
}

/// A combination as written in messages: `{agent=是, employed=否}`.
fn show(item: &Item, answers: &Answers) -> String {
    let parts: Vec<String> = item
        .situations
        .iter()
        .map(|s| format!("{}={}", s.id, if answers.get(&s.id) == Some(&true) { "是" } else { "否" }))
        .collect();
    format!("{{{}}}", parts.join(", "))
}
