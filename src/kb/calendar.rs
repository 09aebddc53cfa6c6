//! Working days (工作日) on the holiday calendar: the basis of every promised date and 容缺 deadline.
//!
//! A day is a working day iff it is Monday–Friday and not a public holiday, or it is a make-up
//! workday (调休上班). Years without a calendar file fall back to Monday–Friday and are reported as
//! provisional so that a notice never pretends to know an unannounced arrangement.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::model::CalendarYear;

/// Printed after a computed date in a year whose holiday arrangement is not yet announced.
pub const PROVISIONAL_MARK: &str = "（暂定）";

/// The sentence every screen and notice showing a [`PROVISIONAL_MARK`]ed date carries.
pub const PROVISIONAL_NOTE: &str = "注：标“暂定”的日期所在年度的节假日安排国务院尚未公布，按暂定日历计算；公布后以国务院办公厅通知的安排为准。";

/// The holiday calendar of every year the knowledge base covers.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days_off: HashSet<NaiveDate>,
    make_up_workdays: HashSet<NaiveDate>,
    /// Year → whether its arrangement is still provisional.
    years: BTreeMap<i32, bool>,
    /// The same rule precomputed day by day over the calendar's years and the year after them, so
    /// that the time-limit checks of `kb check` (every intake date of two years, for every item)
    /// and the deadlines of every screen look days up instead of hashing them one at a time.
    table: DayTable,
}

/// Working days over a span of dates: whether each day is one, and how many there are up to it.
#[derive(Debug, Clone, Default)]
struct DayTable {
    /// The span's first day.
    first: Option<NaiveDate>,
    /// Whether the day `first + i` is a working day.
    working: Vec<bool>,
    /// Working days among `first ..= first + i`.
    count: Vec<u32>,
}

impl DayTable {
    /// The table over `first ..= last` by the given rule.
    fn new(first: NaiveDate, last: NaiveDate, is_working: impl Fn(NaiveDate) -> bool) -> Self {
        let working: Vec<bool> = first.iter_days().take_while(|d| *d <= last).map(is_working).collect();
        let count = working
            .iter()
            .scan(0u32, |n, &w| {
                *n += u32::from(w);
                Some(*n)
            })
            .collect();
        Self { first: Some(first), working, count }
    }

    /// The position of `day` in the table, if it is inside.
    fn index(&self, day: NaiveDate) -> Option<usize> {
        let offset = usize::try_from((day - self.first?).num_days()).ok()?;
        (offset < self.working.len()).then_some(offset)
    }

    /// The day `n` (≥ 1) working days after `start`, when both lie inside the table.
    fn add_working_days(&self, start: NaiveDate, n: u16) -> Option<NaiveDate> {
        let i = self.index(start)?;
        let target = self.count[i] + u32::from(n);
        // The first day whose count reaches the target is the n-th working day after `start`.
        let j = self.count.partition_point(|&c| c < target);
        (j < self.count.len()).then(|| start + Days::new((j - i) as u64))
    }
}

impl Calendar {
    /// Builds the calendar from the KB's year files.
    pub fn new(years: Vec<CalendarYear>) -> Self {
        let mut cal = Self::default();
        for year in years {
            cal.years.insert(year.year, year.provisional);
            for h in year.holidays {
                cal.days_off.extend(h.from.iter_days().take_while(|d| *d <= h.to));
                cal.make_up_workdays.extend(h.workdays);
            }
        }
        // Every day the sets name, the calendar's years and the year after them (deadlines of
        // intakes late in the last year run into it).
        let years = cal.years.keys().flat_map(|y| {
            [NaiveDate::from_ymd_opt(*y, 1, 1), NaiveDate::from_ymd_opt(y.saturating_add(1), 12, 31)]
        });
        let days = cal.days_off.iter().chain(&cal.make_up_workdays).copied().map(Some);
        let span = years.chain(days).flatten().fold(None, |span: Option<(NaiveDate, NaiveDate)>, d| {
            Some(span.map_or((d, d), |(a, b)| (a.min(d), b.max(d))))
        });
        if let Some((first, last)) = span {
            cal.table = DayTable::new(first, last, |d| cal.rule(d));
        }
        cal
    }

    /// Whether the clerk's office works on `day`.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.table.index(day) {
            Some(i) => self.table.working[i],
            None => self.rule(day),
        }
    }

    /// The working-day rule itself, from the sets (the table holds its results).
    fn rule(&self, day: NaiveDate) -> bool {
        if self.make_up_workdays.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.days_off.contains(&day)
    }

    /// The date `n` working days after `start`, counting from the day after `start`.
    /// `n = 0` means the same day.
    pub fn add_working_days(&self, start: NaiveDate, n: u16) -> NaiveDate {
        if n > 0
            && let Some(day) = self.table.add_working_days(start, n)
        {
            return day;
        }
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day.checked_add_days(Days::new(1)).unwrap_or(day);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// `day` itself when it is a working day, else the next working day after it (a period whose
    /// last day is a holiday ends on the next working day).
    pub fn next_working_day_from(&self, day: NaiveDate) -> NaiveDate {
        let mut day = day;
        // Holidays and weekends never run for more than a few weeks; the bound keeps a bad
        // calendar from looping.
        for _ in 0..366 {
            if self.is_working_day(day) {
                return day;
            }
            match day.checked_add_days(Days::new(1)) {
                Some(next) => day = next,
                None => return day,
            }
        }
        day
    }

    /// The years that have a calendar file, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// Whether `day` lies in a year whose arrangement is provisional or not known: every screen and
    /// notice marks such a date (see [`crate::kb::PROVISIONAL_NOTE`]).
    pub fn is_provisional(&self, day: NaiveDate) -> bool {
        !self.is_confirmed(day.year())
    }

    /// The mark a computed date carries on screens and notices: [`PROVISIONAL_MARK`] in a year
    /// whose arrangement is provisional or unknown, else nothing.
    pub fn mark(&self, day: NaiveDate) -> &'static str {
        if self.is_provisional(day) { PROVISIONAL_MARK } else { "" }
    }

    /// A computed date as screens show it: `2027-01-05（暂定）` in a provisional year.
    pub fn show(&self, day: NaiveDate) -> String {
        format!("{day}{}", self.mark(day))
    }

    /// Working days from `from` (exclusive) to `to` (inclusive); negative when `to` is earlier.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (a, b, sign) = if to >= from { (from, to, 1) } else { (to, from, -1) };
        let count = a.iter_days().skip(1).take_while(|d| *d <= b).filter(|d| self.is_working_day(*d)).count();
        sign * count as i64
    }

    /// Whether dates in `year` rest on an announced arrangement (false for provisional or missing years).
    pub fn is_confirmed(&self, year: i32) -> bool {
        self.years.get(&year) == Some(&false)
    }

    /// Whether every day from `from` to `to` lies in confirmed years.
    pub fn confirmed_between(&self, from: NaiveDate, to: NaiveDate) -> bool {
        (from.year()..=to.year()).all(|y| self.is_confirmed(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::Kb;
    use proptest::prelude::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The embedded KB's calendar, loaded once (proptests call this per case).
    fn calendar() -> &'static Calendar {
        static KB: std::sync::LazyLock<Kb> = std::sync::LazyLock::new(|| Kb::embedded().unwrap());
        &KB.calendar
    }

    #[test]
    fn spring_festival_2026_with_make_up_saturdays() {
        let cal = calendar();
        assert!(cal.is_working_day(date("2026-02-14")), "Sat 2-14 is a make-up workday");
        assert!(!cal.is_working_day(date("2026-02-16")), "Mon 2-16 is a holiday");
        assert!(cal.is_working_day(date("2026-02-28")), "Sat 2-28 is a make-up workday");
        assert_eq!(cal.add_working_days(date("2026-02-13"), 1), date("2026-02-14"));
        assert_eq!(cal.add_working_days(date("2026-02-14"), 1), date("2026-02-24"));
        assert_eq!(cal.add_working_days(date("2026-02-13"), 5), date("2026-02-27"));
    }

    #[test]
    fn national_day_2026() {
        let cal = calendar();
        assert_eq!(cal.add_working_days(date("2026-09-18"), 1), date("2026-09-20"));
        assert_eq!(cal.add_working_days(date("2026-09-30"), 1), date("2026-10-08"));
        assert_eq!(cal.add_working_days(date("2026-10-09"), 1), date("2026-10-10"));
        assert_eq!(cal.add_working_days(date("2026-09-24"), 1), date("2026-09-28"));
    }

    #[test]
    fn zero_days_is_the_same_day_and_counting_starts_the_day_after() {
        let cal = calendar();
        assert_eq!(cal.add_working_days(date("2026-11-28"), 0), date("2026-11-28"));
        assert_eq!(cal.add_working_days(date("2026-11-28"), 1), date("2026-11-30"));
        assert_eq!(cal.working_days_between(date("2026-11-28"), date("2026-11-30")), 1);
        assert_eq!(cal.working_days_between(date("2026-11-30"), date("2026-11-28")), -1);
    }

    #[test]
    fn provisional_and_missing_years_are_not_confirmed() {
        let cal = calendar();
        assert!(cal.is_confirmed(2026));
        assert!(!cal.is_confirmed(2027));
        assert!(!cal.is_confirmed(2030));
        assert!(!cal.confirmed_between(date("2026-12-30"), date("2027-01-05")));
    }

    /// The precomputed table answers exactly as walking the rule day by day, inside the table,
    /// across its end and outside it.
    #[test]
    fn the_day_table_agrees_with_the_rule() {
        let cal = calendar();
        let walk = |start: NaiveDate, n: u16| {
            let (mut day, mut left) = (start, n);
            while left > 0 {
                day = day + Days::new(1);
                if cal.rule(day) {
                    left -= 1;
                }
            }
            day
        };
        let first = date("2025-12-01");
        for day in first.iter_days().take_while(|d| *d <= date("2029-02-01")) {
            assert_eq!(cal.is_working_day(day), cal.rule(day), "{day}");
            for n in [0, 1, 2, 5, 20, 60, 250] {
                assert_eq!(cal.add_working_days(day, n), walk(day, n), "{day} + {n}");
            }
        }
        let empty = Calendar::new(Vec::new());
        assert_eq!(empty.add_working_days(date("2026-02-13"), 1), date("2026-02-16"));
    }

    proptest! {
        #[test]
        fn deadlines_land_on_working_days(day in 0u32..720, n in 1u16..40) {
            let cal = calendar();
            let start = date("2026-01-01") + Days::new(day.into());
            let end = cal.add_working_days(start, n);
            prop_assert!(cal.is_working_day(end));
            prop_assert_eq!(cal.working_days_between(start, end), i64::from(n));
        }
    }
}
