//! The one time model of yichuang, used by the desk, HQ, the console and sync.
//!
//! - An **instant** (when something happened) is a [`DateTime<Utc>`]. It is stored in the journal
//!   and the databases, and sent on the wire, as RFC 3339 with its offset (`2026-11-30T16:10:00.000Z`),
//!   so a desk and HQ compare and copy instants without guessing which clock made them.
//! - A **date** (a deadline, the date on a notice, the day whose case sequence numbers a case) is the
//!   calendar date in the hall's time zone: [`hall_date`]. At 00:10 in Shanghai it is already the
//!   next day although UTC still shows 16:10 of the day before.
//! - The **screen** shows the hall's wall-clock time: [`hall_local`].
//!
//! The hall's zone is named in the desk's settings (`yichuang desk --zone`, kept in the store) and in
//! HQ's (`hq serve --zone` or `zone` in its TOML); the default is `Asia/Shanghai`. Zones are kept
//! as a fixed offset per name ([`ZONES`]): every zone a Chinese service hall can be in has had no
//! daylight saving time since 1991, so a fixed offset is exact for every instant this program
//! records, and it spares the desk the tz database (chrono-tz compiles all of it into the binary).
//!
//! Older stores hold naive timestamps. They are read as what they were: what a desk wrote is the
//! hall's wall-clock time ([`parse_hall`], [`serde_hall`]), what HQ wrote (and HQ's times that a desk
//! copied into its journal) is UTC ([`parse_utc`], [`serde_utc`]).

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SubsecRound, TimeZone, Utc};

/// A time zone a hall can be in: its IANA name and its (fixed, DST-free) offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HallZone {
    /// The IANA name, as configured.
    pub name: &'static str,
    /// Seconds east of UTC.
    pub offset_secs: i32,
}

impl HallZone {
    /// The zone as a chrono offset.
    pub fn offset(self) -> FixedOffset {
        FixedOffset::east_opt(self.offset_secs).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
    }

    /// The zone for a configured name (case-insensitive), or an error listing the known names.
    pub fn parse(name: &str) -> Result<Self, String> {
        ZONES.iter().copied().find(|z| z.name.eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
            let known: Vec<&str> = ZONES.iter().map(|z| z.name).collect();
            format!("未知时区 “{name}”：可用 {}", known.join("、"))
        })
    }
}

/// The hall's zone unless configured otherwise.
pub const DEFAULT_ZONE: HallZone = HallZone { name: "Asia/Shanghai", offset_secs: 8 * 3600 };

/// The zones a hall may name. None has observed daylight saving time since 1991 (mainland China
/// ended it in 1991, Hong Kong and Macau in 1979), so each is one fixed offset.
pub const ZONES: &[HallZone] = &[
    DEFAULT_ZONE,
    HallZone { name: "Asia/Urumqi", offset_secs: 6 * 3600 },
    HallZone { name: "Asia/Hong_Kong", offset_secs: 8 * 3600 },
    HallZone { name: "Asia/Macau", offset_secs: 8 * 3600 },
    HallZone { name: "UTC", offset_secs: 0 },
];

/// Index into [`ZONES`] of the process's hall zone.
static ZONE: AtomicUsize = AtomicUsize::new(0);

/// Sets the hall's zone for this process (the desk and HQ do it once at start from their settings).
pub fn set_hall_zone(zone: HallZone) {
    let index = ZONES.iter().position(|z| *z == zone).unwrap_or(0);
    ZONE.store(index, Ordering::Relaxed);
}

/// The hall's zone of this process.
pub fn hall_zone() -> HallZone {
    ZONES.get(ZONE.load(Ordering::Relaxed)).copied().unwrap_or(DEFAULT_ZONE)
}

/// Now, to the millisecond (what the stores keep, so a time reads back equal).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// The hall's wall-clock time of an instant, for the screen and printed times.
pub fn hall_local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&hall_zone().offset()).naive_local()
}

/// The hall's calendar date of an instant: deadlines, notice dates, the day's case sequence.
pub fn hall_date(at: DateTime<Utc>) -> NaiveDate {
    hall_local(at).date()
}

/// The instant of a wall-clock time in the hall.
pub fn from_hall_local(local: NaiveDateTime) -> DateTime<Utc> {
    // A fixed offset maps every wall-clock time to exactly one instant.
    hall_zone()
        .offset()
        .from_local_datetime(&local)
        .single()
        .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

/// An instant shown in the hall's time with a `strftime` pattern (`%m-%d %H:%M`).
pub fn show(at: DateTime<Utc>, pattern: &str) -> String {
    hall_local(at).format(pattern).to_string()
}

/// How instants are written into SQLite: RFC 3339 in UTC, milliseconds, `Z`. Sorts as text.
pub fn to_db(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Reads a stored instant; a naive one (written by an older desk) is the hall's wall-clock time.
pub fn parse_hall(s: &str) -> Option<DateTime<Utc>> {
    parse_with(s, from_hall_local)
}

/// Reads a stored instant; a naive one (written by older HQ, or copied from it) is UTC.
pub fn parse_utc(s: &str) -> Option<DateTime<Utc>> {
    parse_with(s, |n| Utc.from_utc_datetime(&n))
}

fn parse_with(s: &str, naive: impl Fn(NaiveDateTime) -> DateTime<Utc>) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(naive)
}

fn deserialize_with<'de, D: serde::Deserializer<'de>>(
    d: D,
    parse: fn(&str) -> Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, D::Error> {
    let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    parse(&s).ok_or_else(|| serde::de::Error::custom(format!("无法识别的时间 “{s}”")))
}

/// Serde for an instant a desk recorded: writes RFC 3339 UTC; reads RFC 3339 with any offset, or a
/// naive time of an older journal as the hall's wall-clock time.
pub mod serde_hall {
    use chrono::{DateTime, Utc};

    /// Writes RFC 3339 with `Z`.
    pub fn serialize<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(at, s)
    }

    /// Reads RFC 3339, or naive as the hall's time.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        super::deserialize_with(d, super::parse_hall)
    }
}

/// Serde for an instant HQ recorded: writes RFC 3339 UTC; reads RFC 3339 with any offset, or a naive
/// time (older HQ wrote UTC without offset) as UTC.
pub mod serde_utc {
    use chrono::{DateTime, Utc};

    /// Writes RFC 3339 with `Z`.
    pub fn serialize<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(at, s)
    }

    /// Reads RFC 3339, or naive as UTC.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        super::deserialize_with(d, super::parse_utc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn just_after_midnight_in_shanghai_is_the_next_day_though_utc_is_not() {
        let at = utc("2026-11-30T16:10:00Z");
        assert_eq!(hall_date(at), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(show(at, "%Y-%m-%d %H:%M"), "2026-12-01 00:10");
        assert_eq!(from_hall_local(hall_local(at)), at);
    }

    #[test]
    fn instants_are_written_with_their_offset_and_sort_as_text() {
        let a = utc("2026-11-30T16:10:00.5Z");
        assert_eq!(to_db(a), "2026-11-30T16:10:00.500Z");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"2026-11-30T16:10:00.500Z\"");
        assert!(to_db(a) < to_db(utc("2026-12-01T01:00:00Z")));
    }

    #[test]
    fn naive_times_read_as_what_they_were() {
        // A desk wrote its wall-clock time (Shanghai), HQ wrote UTC.
        assert_eq!(parse_hall("2026-12-01T00:10:00.000"), Some(utc("2026-11-30T16:10:00Z")));
        assert_eq!(parse_utc("2026-11-30T16:10:00.000"), Some(utc("2026-11-30T16:10:00Z")));
        assert_eq!(parse_hall("2026-12-01T08:10:00+08:00"), Some(utc("2026-12-01T00:10:00Z")));
        assert_eq!(parse_hall("yesterday"), None);
        #[derive(serde::Deserialize)]
        struct Both {
            #[serde(with = "serde_hall")]
            desk: DateTime<Utc>,
            #[serde(with = "serde_utc")]
            hq: DateTime<Utc>,
        }
        let both: Both =
            serde_json::from_str(r#"{"desk":"2026-12-01T00:10:00","hq":"2026-11-30T16:10:00"}"#).unwrap();
        assert_eq!(both.desk, both.hq);
        assert!(serde_json::from_str::<Both>(r#"{"desk":"soon","hq":"2026-11-30T16:10:00"}"#).is_err());
    }

    #[test]
    fn zones_are_named() {
        assert_eq!(HallZone::parse("asia/shanghai").unwrap(), DEFAULT_ZONE);
        assert_eq!(HallZone::parse("Asia/Urumqi").unwrap().offset_secs, 6 * 3600);
        assert!(HallZone::parse("+08:00").unwrap_err().contains("Asia/Shanghai"));
    }
}
