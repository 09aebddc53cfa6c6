//! `kb check` for an item's time limits (see `src/kb/limits.rs`): units and amounts, the basis of
//! the statutory limit, extensions and special procedures, a promised limit that could end after the
//! statutory one on any intake date of the calendar's years (also in mixed units), and a 容缺
//! supplement deadline that could end after the promised date.

use super::calendar::Calendar;
use super::check::Reporter;
use super::limits::{Limit, Statutory, Unit, every_day};
use super::model::Item;

/// Reports an amount that does not fit its unit: 即办 takes none, every other unit at least 1.
fn check_amount(r: &mut Reporter, path: &[&str], limit: Limit) {
    let amount_path: Vec<&str> = path.iter().copied().chain(["amount"]).collect();
    match (limit.unit, limit.amount) {
        (Unit::Immediate, 0) => {}
        (Unit::Immediate, n) => r.at(&amount_path, format!("即办的时限不写数值（现为 {n}）")),
        (unit, 0) => r.at(
            path,
            format!("时限缺少数值 amount：以{}计的时限至少为 1；当场办结请写 unit = \"即办\"", unit.label()),
        ),
        _ => {}
    }
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// Checks `time_limits` of one item against the calendar of `years` (every intake date of them).
pub(crate) fn check_time_limits(r: &mut Reporter, item: &Item, years: &[i32], calendar: &Calendar) {
    let limits = &item.time_limits;
    let statutory = ["time_limits", "statutory"];
    if let Statutory::Set(s) = &limits.statutory {
        check_amount(r, &statutory, s.limit());
        if blank(&s.basis) {
            r.at(&["time_limits", "statutory", "basis"], "法定时限须写明设定依据（法律法规及条款）".into());
        }
    }
    check_amount(r, &["time_limits", "promised"], limits.promised);
    if let Some(ext) = &limits.extension {
        let at = |f: &'static str| ["time_limits", "extension", f];
        match limits.statutory.limit() {
            None => r.at(&at("unit"), "法定时限未规定，不能有延长期限".into()),
            Some(l) if l.is_immediate() => r.at(&at("unit"), "即办事项不能延长".into()),
            Some(_) => {}
        }
        if ext.unit == Unit::Immediate {
            r.at(&at("unit"), "延长期限须以工作日、自然日或月计".into());
        } else {
            check_amount(r, &["time_limits", "extension"], ext.limit());
        }
        if blank(&ext.condition) {
            r.at(&at("condition"), "须写明延长的条件（如“情况复杂，经负责人批准”）".into());
        }
        if blank(&ext.basis) {
            r.at(&at("basis"), "须写明延长的依据（法律法规及条款）".into());
        }
    }
    for (i, p) in limits.special_procedures.iter().enumerate() {
        let idx = i.to_string();
        let at = |f: &'static str| ["time_limits", "special_procedures", idx.as_str(), f];
        if p.unit == Unit::Immediate {
            r.at(&at("unit"), format!("{} 的时长须以工作日、自然日或月计", p.kind.label()));
        } else {
            check_amount(r, &["time_limits", "special_procedures", &idx], p.limit());
        }
        if blank(&p.basis) {
            r.at(&at("basis"), format!("须写明{}的依据", p.kind.label()));
        }
    }
    if let Some(s) = limits.statutory.limit() {
        if s.unit == limits.promised.unit {
            if limits.promised.amount > s.amount {
                r.at(
                    &["time_limits", "promised"],
                    format!("承诺时限 {} 超过法定时限 {}", limits.promised.text(), s.text()),
                );
            }
        } else if let Some((day, promised, statutory)) =
            limits.promised_beyond_statutory(years.iter().copied(), calendar)
        {
            r.at(
                &["time_limits", "promised"],
                format!(
                    "承诺时限 {} 可能晚于法定时限 {}：{day} 受理时承诺日期 {promised} 晚于法定日期 {statutory}",
                    limits.promised.text(),
                    s.text()
                ),
            );
        }
    }
    if let Some(days) = item.lenient.as_ref().filter(|l| l.allowed).and_then(|l| l.supplement_days)
        && days > 0
        && !limits.promised.is_immediate()
    {
        let supplement = Limit::working_days(days);
        let late = every_day(years.iter().copied()).find_map(|day| {
            let (s, p) = (supplement.due(day, calendar), limits.promised_date(day, calendar));
            (s > p).then_some((day, s, p))
        });
        if let Some((day, s, p)) = late {
            r.at(
                &["lenient", "supplement_days"],
                format!(
                    "补正期限 {days} 个工作日超过承诺时限 {}：{day} 受理时补正期限 {s} 晚于承诺日期 {p}",
                    limits.promised.text()
                ),
            );
        }
    }
}
