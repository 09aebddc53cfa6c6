//! Working days (工作日) on the holiday calendar: the basis of every promised date and 容缺 deadline.
//!
//! A day is a working day iff it is Monday–Friday and not a public holiday, or it is a make-up
//! workday (调休上班). Years without a calendar file fall back to Monday–Friday and are reported as
//! provisional so that a notice never pretends to know an unannounced arrangement.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::model::CalendarYear;

/// The holiday calendar of every year the knowledge base covers.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days_off: HashSet<NaiveDate>,
    make_up_workdays: HashSet<NaiveDate>,
    /// Year → whether its arrangement is still provisional.
    years: BTreeMap<i32, bool>,
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
        cal
    }

    /// Whether the clerk's office works on `day`.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.make_up_workdays.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.days_off.contains(&day)
    }

    /// The date `n` working days after `start`, counting from the day after `start`.
    /// `n = 0` means the same day.
    pub fn add_working_days(&self, start: NaiveDate, n: u16) -> NaiveDate {
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
