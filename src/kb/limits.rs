//! Time limits with units (办结时限): the statutory limit (法定时限) with its legal basis, the center's
//! promised limit (承诺时限), an optional extension (延长) and the special procedures (特别程序) whose
//! time does not count toward the limit.
//!
//! Each limit keeps its own unit — 工作日, 自然日, 月 or 即办 — because the law counts in different
//! units: 《行政许可法》第八十二条 makes *its own* limits working days, while a regulation's “十五日”
//! is calendar days and “三个月” is months. Converting one into another by estimate is how a promised
//! date came to fall after the statutory one; here every date is computed in its own unit on the
//! holiday calendar, and [`TimeLimits::promised_date`] never returns a date after the statutory one.
//! The KB syntax is documented in `knowledge-base/README.md` (“Time limits”).

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::calendar::Calendar;

/// The unit a time limit is counted in.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
pub enum Unit {
    /// 工作日: working days on the holiday calendar (make-up workdays count, holidays do not).
    #[serde(rename = "工作日")]
    WorkingDays,
    /// 自然日: calendar days; a last day that is not a working day moves to the next working day.
    #[serde(rename = "自然日")]
    CalendarDays,
    /// 月: months, to the same day of the month (or the month's last day), then as for 自然日.
    #[serde(rename = "月")]
    Months,
    /// 即办: decided on the spot, the same day.
    #[serde(rename = "即办")]
    Immediate,
}

impl Unit {
    /// The unit's word as written in the KB.
    pub fn label(self) -> &'static str {
        match self {
            Self::WorkingDays => "工作日",
            Self::CalendarDays => "自然日",
            Self::Months => "月",
            Self::Immediate => "即办",
        }
    }
}

/// An amount of time in a unit: “20 个工作日”, “15 日（自然日）”, “3 个月”, “即办”.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// How many units; left out (0) for 即办, at least 1 otherwise.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub amount: u16,
    /// The unit.
    pub unit: Unit,
}

fn is_zero(n: &u16) -> bool {
    *n == 0
}

impl Limit {
    /// A limit of `amount` working days (0 = 即办), as older files and tests express it.
    pub fn working_days(amount: u16) -> Self {
        if amount == 0 { Self::immediate() } else { Self { amount, unit: Unit::WorkingDays } }
    }

    /// 即办.
    pub fn immediate() -> Self {
        Self { amount: 0, unit: Unit::Immediate }
    }

    /// Whether the matter is decided the same day.
    pub fn is_immediate(self) -> bool {
        self.unit == Unit::Immediate
    }

    /// The last day of the limit for something that starts on `start`: counting starts the day
    /// after; 工作日 on the calendar; 自然日 and 月 whose last day is not a working day end on the
    /// next working day (《民法典》第二百零三条); 即办 is `start` itself.
    pub fn due(self, start: NaiveDate, calendar: &Calendar) -> NaiveDate {
        match self.unit {
            Unit::Immediate => start,
            Unit::WorkingDays => calendar.add_working_days(start, self.amount),
            Unit::CalendarDays => calendar.next_working_day_from(
                start.checked_add_days(Days::new(self.amount.into())).unwrap_or(NaiveDate::MAX),
            ),
            Unit::Months => calendar.next_working_day_from(
                start.checked_add_months(Months::new(self.amount.into())).unwrap_or(NaiveDate::MAX),
            ),
        }
    }

    /// As printed: “20 个工作日”, “15 日（自然日）”, “3 个月”, “即办（当场办结）”.
    pub fn text(self) -> String {
        match self.unit {
            Unit::WorkingDays => format!("{} 个工作日", self.amount),
            Unit::CalendarDays => format!("{} 日（自然日）", self.amount),
            Unit::Months => format!("{} 个月", self.amount),
            Unit::Immediate => "即办（当场办结）".to_string(),
        }
    }
}

/// A statutory limit that is set: the limit and the article that sets it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StatutoryLimit {
    /// How many units (left out for 即办).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub amount: u16,
    /// The unit the law counts in.
    pub unit: Unit,
    /// The article that sets it (“《中华人民共和国行政许可法》第四十二条”).
    pub basis: String,
}

impl StatutoryLimit {
    /// The limit without its basis.
    pub fn limit(&self) -> Limit {
        Limit { amount: self.amount, unit: self.unit }
    }
}

/// The word a KB file writes for "no statutory time limit" (法律法规未规定).
pub const NO_LEGAL_LIMIT: &str = "未规定";

/// The statutory limit (法定时限): set by a law or regulation, or `未规定`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statutory {
    /// No law or regulation sets one (written `"未规定"`, shown as “法律法规未规定”).
    Unset,
    /// Set, with its unit and basis.
    Set(StatutoryLimit),
}

impl Statutory {
    /// The limit, when one is set.
    pub fn limit(&self) -> Option<Limit> {
        match self {
            Self::Unset => None,
            Self::Set(s) => Some(s.limit()),
        }
    }

    /// As printed: “20 个工作日（依据：…）” or “法律法规未规定”.
    pub fn text(&self) -> String {
        match self {
            Self::Unset => "法律法规未规定".to_string(),
            Self::Set(s) => format!("{}（依据：{}）", s.limit().text(), s.basis),
        }
    }
}

impl<'de> Deserialize<'de> for Statutory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StatutoryVisitor;

        impl<'de> Visitor<'de> for StatutoryVisitor {
            type Value = Statutory;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "{{ amount = …, unit = \"工作日\", basis = \"…\" }} 或 \"{NO_LEGAL_LIMIT}\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Statutory, E> {
                if v == NO_LEGAL_LIMIT {
                    Ok(Statutory::Unset)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Statutory, A::Error> {
                StatutoryLimit::deserialize(de::value::MapAccessDeserializer::new(map)).map(Statutory::Set)
            }
        }

        d.deserialize_any(StatutoryVisitor)
    }
}

impl Serialize for Statutory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Unset => s.serialize_str(NO_LEGAL_LIMIT),
            Self::Set(limit) => limit.serialize(s),
        }
    }
}

/// The extension (延长) a law allows, with its condition.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// How many units the limit may be extended by.
    #[serde(default)]
    pub amount: u16,
    /// The unit.
    pub unit: Unit,
    /// When it may be extended (“情况复杂，经本行政机关负责人批准”).
    pub condition: String,
    /// The article that allows it.
    pub basis: String,
}

impl Extension {
    /// The extension's length.
    pub fn limit(&self) -> Limit {
        Limit { amount: self.amount, unit: self.unit }
    }

    /// As printed: “情况复杂，经负责人批准，可延长 10 个工作日（依据：…）”.
    pub fn text(&self) -> String {
        format!("{}，可延长 {}（依据：{}）", self.condition, self.limit().text(), self.basis)
    }
}

/// The special procedures of 《行政许可法》第四十五条 and similar rules: their time does not count
/// toward the limit and the applicant must be told in writing how long they take.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
pub enum SpecialKind {
    #[serde(rename = "检测")]
    Testing,
    #[serde(rename = "检验")]
    Inspection,
    #[serde(rename = "检疫")]
    Quarantine,
    #[serde(rename = "鉴定")]
    Appraisal,
    #[serde(rename = "评定")]
    Assessment,
    #[serde(rename = "公示")]
    Publicity,
    #[serde(rename = "听证")]
    Hearing,
    #[serde(rename = "招标")]
    Tender,
    #[serde(rename = "拍卖")]
    Auction,
    #[serde(rename = "专家评审")]
    ExpertReview,
}

impl SpecialKind {
    /// The kind's name as printed.
    pub fn label(self) -> &'static str {
        match self {
            Self::Testing => "检测",
            Self::Inspection => "检验",
            Self::Quarantine => "检疫",
            Self::Appraisal => "鉴定",
            Self::Assessment => "评定",
            Self::Publicity => "公示",
            Self::Hearing => "听证",
            Self::Tender => "招标",
            Self::Auction => "拍卖",
            Self::ExpertReview => "专家评审",
        }
    }
}

/// One special procedure (特别程序) of an item.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SpecialProcedure {
    /// What it is.
    pub kind: SpecialKind,
    /// How many units it takes (at most).
    #[serde(default)]
    pub amount: u16,
    /// The unit.
    pub unit: Unit,
    /// The rule that sets it or its duration.
    pub basis: String,
}

impl SpecialProcedure {
    /// Its duration.
    pub fn limit(&self) -> Limit {
        Limit { amount: self.amount, unit: self.unit }
    }

    /// As printed: “公示 7 日（自然日）（依据：…）”.
    pub fn text(&self) -> String {
        format!("{} {}（依据：{}）", self.kind.label(), self.limit().text(), self.basis)
    }
}

/// An item's time limits (`time_limits` in the KB).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TimeLimits {
    /// The statutory limit with its basis, or 未规定. Never copied from the promised limit.
    pub statutory: Statutory,
    /// The limit the center promises, printed on the acceptance notice.
    pub promised: Limit,
    /// The extension the law allows, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<Extension>,
    /// Special procedures whose time does not count toward the limit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_procedures: Vec<SpecialProcedure>,
}

/// The sentence printed wherever special procedures are listed (《行政许可法》第四十五条).
pub const SPECIAL_NOT_COUNTED: &str = "特别程序所需时间不计算在办理时限内";

impl TimeLimits {
    /// The statutory date for an intake on `start`, when a statutory limit is set.
    pub fn statutory_date(&self, start: NaiveDate, calendar: &Calendar) -> Option<NaiveDate> {
        self.statutory.limit().map(|l| l.due(start, calendar))
    }

    /// The promised date for an intake on `start`: the promised limit in its own unit, never after
    /// the statutory date.
    pub fn promised_date(&self, start: NaiveDate, calendar: &Calendar) -> NaiveDate {
        let promised = self.promised.due(start, calendar);
        match self.statutory_date(start, calendar) {
            Some(statutory) => promised.min(statutory),
            None => promised,
        }
    }

    /// The first intake date in `years` on which the promised limit (unclamped) would end after the
    /// statutory one, with both dates; `None` when it never does.
    pub fn promised_beyond_statutory(
        &self,
        years: impl IntoIterator<Item = i32>,
        calendar: &Calendar,
    ) -> Option<(NaiveDate, NaiveDate, NaiveDate)> {
        let statutory = self.statutory.limit()?;
        every_day(years).find_map(|day| {
            let (p, s) = (self.promised.due(day, calendar), statutory.due(day, calendar));
            (p > s).then_some((day, p, s))
        })
    }
}

/// Every day of the given years, in order.
pub fn every_day(years: impl IntoIterator<Item = i32>) -> impl Iterator<Item = NaiveDate> {
    years.into_iter().flat_map(|y| {
        let first = NaiveDate::from_ymd_opt(y, 1, 1);
        first.into_iter().flat_map(move |d| d.iter_days().take_while(move |d| d.year() == y))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::Kb;
    use proptest::prelude::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn kb() -> &'static Kb {
        static KB: std::sync::LazyLock<Kb> = std::sync::LazyLock::new(|| Kb::embedded().unwrap());
        &KB
    }

    fn limits(text: &str) -> TimeLimits {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn each_unit_counts_in_its_own_way() {
        let cal = &kb().calendar;
        let start = date("2026-02-10");
        // 10 working days across the 2026 Spring Festival (2-15…2-23, work Sat 2-14 and 2-28).
        assert_eq!(Limit { amount: 10, unit: Unit::WorkingDays }.due(start, cal), date("2026-03-02"));
        // 15 calendar days end on Wed 2-25, a working day.
        assert_eq!(Limit { amount: 15, unit: Unit::CalendarDays }.due(start, cal), date("2026-02-25"));
        // 7 calendar days end on Tue 2-17, a holiday: the next working day is Tue 2-24.
        assert_eq!(Limit { amount: 7, unit: Unit::CalendarDays }.due(start, cal), date("2026-02-24"));
        // One month from 1-31 ends on the month's last day, Sat 2-28 — a make-up workday.
        assert_eq!(Limit { amount: 1, unit: Unit::Months }.due(date("2026-01-31"), cal), date("2026-02-28"));
        // Three months from 7-3 end on Sat 10-3 (National Day): next working day Thu 10-8.
        assert_eq!(Limit { amount: 3, unit: Unit::Months }.due(date("2026-07-03"), cal), date("2026-10-08"));
        assert_eq!(Limit::immediate().due(start, cal), start);
    }

    #[test]
    fn statutory_reads_a_table_or_the_word_for_none() {
        let l = limits("statutory = \"未规定\"\npromised = { amount = 5, unit = \"工作日\" }");
        assert_eq!(l.statutory, Statutory::Unset);
        let l = limits(
            "statutory = { amount = 15, unit = \"自然日\", basis = \"《居住证暂行条例》第九条\" }\n\
             promised = { unit = \"即办\" }",
        );
        assert_eq!(l.statutory.limit(), Some(Limit { amount: 15, unit: Unit::CalendarDays }));
        assert!(l.promised.is_immediate());
        assert!(toml::from_str::<TimeLimits>("statutory = \"无\"\npromised = { unit = \"即办\" }").is_err());
        assert!(
            toml::from_str::<TimeLimits>(
                "statutory = { amount = 3, basis = \"x\" }\npromised = { unit = \"即办\" }"
            )
            .is_err(),
            "a limit without a unit is an error"
        );
        let json = serde_json::to_value(&l).unwrap();
        assert_eq!(json["statutory"]["unit"], "自然日");
        assert_eq!(json["promised"]["unit"], "即办");
    }

    #[test]
    fn promised_working_days_beyond_calendar_days_are_found_and_clamped() {
        let cal = &kb().calendar;
        let l = limits(
            "statutory = { amount = 15, unit = \"自然日\", basis = \"x\" }\npromised = { amount = 10, unit = \"工作日\" }",
        );
        let (day, promised, statutory) = l.promised_beyond_statutory([2026, 2027], cal).unwrap();
        assert!(promised > statutory, "{day}: {promised} > {statutory}");
        // Across the Spring Festival the clamp gives the statutory date.
        assert_eq!(l.promised_date(date("2026-02-10"), cal), date("2026-02-25"));
        let ok = limits(
            "statutory = { amount = 20, unit = \"工作日\", basis = \"x\" }\npromised = { amount = 10, unit = \"工作日\" }",
        );
        assert_eq!(ok.promised_beyond_statutory([2026, 2027], cal), None);
    }

    #[test]
    fn every_day_covers_whole_years() {
        assert_eq!(every_day([2026, 2027]).count(), 730);
        assert_eq!(every_day([2028]).count(), 366);
    }

    proptest! {
        /// For every embedded item and any intake date in the calendar's years, the promised date is
        /// never after the statutory date, and a statutory date is never before the intake.
        #[test]
        fn promised_never_after_statutory(item_index in 0usize..1000, day in 0u32..730) {
            let kb = kb();
            let item = &kb.items[item_index % kb.items.len()];
            let today = date("2026-01-01") + Days::new(day.into());
            let promised = item.time_limits.promised_date(today, &kb.calendar);
            prop_assert!(promised >= today);
            if let Some(statutory) = item.time_limits.statutory_date(today, &kb.calendar) {
                prop_assert!(promised <= statutory, "{}: {promised} > {statutory}", item.code);
            }
        }
    }
}
