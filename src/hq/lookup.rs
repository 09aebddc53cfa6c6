//! The applicant's progress lookup and self-rating (issue 14, items 4 and 5): the rules and the
//! store side. With the case number and the query code printed on the 受理通知书
//! (src/intake/query_code.rs) an applicant sees the case's timeline with the name masked — no ID,
//! phone, address or material — and, after 办结, rates the service once per stage.
//!
//! HQ keeps the code's SHA-256 only. Wrong codes are counted per case number in the database
//! (so a restart does not reset them): five in 15 minutes lock the case number until the oldest
//! of them is 15 minutes old. Every lookup and rating is audited (src/hq/audit.rs) with the
//! client's hashed address, never the code or a personal number. The page itself is
//! src/hq/lookup_page.rs.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::audit::{Action, Entry};
use super::storage::StorageError;
use crate::intake::case::{Case, CaseEvent, Field, RatingLevel};
use crate::intake::rules::Decision;

/// Wrong codes for one case number within [`LOCK_WINDOW`] that lock it.
pub const LOCK_AFTER: usize = 5;

/// The window in which wrong codes count, and how long a lock lasts after the oldest of them.
pub const LOCK_WINDOW: Duration = Duration::minutes(15);

/// The categories of a bad rating, after the 差评 classification of GB/T 39734—2020《政务服务评价
/// 工作指南》 as halls apply it (service attitude, efficiency, process, policy, environment), plus
/// 其他 for what none of them covers.
pub const BAD_CATEGORIES: [&str; 6] = ["服务态度", "办事效率", "办事流程", "政策理解", "窗口环境", "其他"];

/// The scale ratings are stored on: the level's name under GB/T 39734 (never a bare number,
/// whose direction differs between standards).
pub const SCALE: &str = "GB/T 39734 五级";

/// What a rating is about: the acceptance at the window, or the finished case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// 受理: the service at the window.
    Accepted,
    /// 办结: the case as a whole, once decided.
    Completed,
}

impl Stage {
    /// Both stages, in order.
    pub const ALL: [Stage; 2] = [Stage::Accepted, Stage::Completed];

    /// The stage's name, as stored and shown.
    pub fn label(self) -> &'static str {
        match self {
            Self::Accepted => "受理",
            Self::Completed => "办结",
        }
    }

    /// The stage of a form's value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.label() == s)
    }
}

/// Where the applicant rated: the progress page they opened themselves, or the QR code the desk
/// shows at the window (`?via=window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The progress page (from the notice's QR code or address).
    Web,
    /// The QR code shown at the window.
    WindowQr,
}

impl Channel {
    /// The channel's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::WindowQr => "window_qr",
        }
    }

    /// The channel of a form's `via` value (anything else is the page).
    pub fn parse(s: Option<&str>) -> Self {
        if s == Some("window") { Self::WindowQr } else { Self::Web }
    }
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// When.
    pub at: DateTime<Utc>,
    /// What happened (受理, 补正, 审批, 办结, 出件 …).
    pub label: String,
    /// More, when there is something the applicant needs (the promised date, the tracking number).
    pub detail: Option<String>,
}

/// What the page shows of a case: nothing personal but the masked name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseProgress {
    /// HQ's id of the case (never shown; binds the rating token).
    pub case_id: String,
    /// The case number.
    pub number: String,
    /// The applicant's name, masked (`王*`, `李*敏`).
    pub masked_name: String,
    /// What happened, oldest first.
    pub steps: Vec<Step>,
    /// Whether the case is 办结 (decided 准予 or 不予, or terminated).
    pub completed: bool,
    /// The stages already rated.
    pub rated: Vec<Stage>,
}

/// A back-office decision as HQ stores it: its label (准予, 不予, 退回补正) and time.
pub type DecisionRow = (String, DateTime<Utc>);

/// The timeline of a case from its changes at HQ and the back office's decisions. Pure.
pub fn timeline(events: &[CaseEvent], decisions: &[DecisionRow]) -> (Vec<Step>, bool) {
    let step = |at, label: &str, detail: Option<String>| Step { at, label: label.to_string(), detail };
    let mut steps = Vec::new();
    let mut completed = false;
    for event in events {
        match event {
            CaseEvent::Finished { decision, at, .. } => match decision {
                Decision::Accept { promised_date, .. } => steps.push(step(
                    *at,
                    "受理",
                    Some(format!("承诺办结日期 {}", promised_date.format("%Y年%m月%d日"))),
                )),
                Decision::AcceptPending { promised_date, .. } => steps.push(step(
                    *at,
                    "容缺受理",
                    Some(format!(
                        "请按承诺书补齐材料；承诺办结日期 {}",
                        promised_date.format("%Y年%m月%d日")
                    )),
                )),
                _ => {}
            },
            CaseEvent::Supplemented { at, .. } => {
                steps.push(step(*at, "补正", Some("容缺材料已补齐".into())))
            }
            CaseEvent::SupplementReceived { at, complete, .. } => steps.push(step(
                *at,
                "补正",
                Some(
                    if *complete {
                        "补正材料已齐全，继续审批"
                    } else {
                        "已收到部分补正材料"
                    }
                    .into(),
                ),
            )),
            CaseEvent::Terminated { at, .. } => {
                completed = true;
                steps.push(step(*at, "办结", Some("终止办理（未按期补齐材料）".into())));
            }
            CaseEvent::HandedOver { to, reference, at } => {
                // The collector's name and ID number are never shown; a mailing's tracking number is.
                if to == "邮寄" {
                    steps.push(step(*at, "邮寄", Some(format!("已寄出，运单号 {reference}"))));
                } else {
                    steps.push(step(*at, "出件", Some("办理结果已在窗口领取".into())));
                }
            }
            _ => {}
        }
    }
    for (kind, at) in decisions {
        match kind.as_str() {
            "准予" | "不予" => {
                completed = true;
                let text =
                    if kind == "准予" { "准予许可" } else { "不予许可（理由见决定书）" };
                steps.push(step(*at, "审批", Some(text.into())));
                steps.push(step(*at, "办结", None));
            }
            crate::intake::approval::ApprovalDecision::CORRECTION_LABEL => {
                steps.push(step(*at, "补正", Some("审批部门退回补正，请按一次性告知书补正材料".into())))
            }
            _ => {}
        }
    }
    // Stable: a decision's 审批 stays before its 办结.
    steps.sort_by_key(|s| s.at);
    (steps, completed)
}

/// Until when a case number is locked, given the times of its recent wrong codes. Pure.
pub fn locked_until(failures: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut recent: Vec<DateTime<Utc>> =
        failures.iter().copied().filter(|t| *t > now - LOCK_WINDOW).collect();
    recent.sort();
    // Locked while LOCK_AFTER of them are in the window: until the oldest of the newest five
    // leaves it.
    (recent.len() >= LOCK_AFTER).then(|| recent[recent.len() - LOCK_AFTER] + LOCK_WINDOW)
}

/// A rating as the applicant submitted it, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RatingForm {
    /// The stage's name (受理 / 办结).
    pub stage: String,
    /// The level's name (非常满意 … 非常不满意).
    pub level: String,
    /// A category of [`BAD_CATEGORIES`], for a bad rating.
    pub category: String,
    /// The applicant's words.
    pub reason: String,
}

/// A checked rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    /// Stage.
    pub stage: Stage,
    /// Level.
    pub level: RatingLevel,
    /// The bad rating's category.
    pub category: Option<&'static str>,
    /// The applicant's words (trimmed; none when empty).
    pub reason: Option<String>,
}

/// Longest reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Whether a level is a bad rating (不满意, 非常不满意), which needs a reason and a follow-up.
pub fn is_bad(level: RatingLevel) -> bool {
    matches!(level, RatingLevel::Dissatisfied | RatingLevel::VeryDissatisfied)
}

/// Checks a rating against the case: a known stage and level, a category and a reason for the two
/// lowest, 办结 only once the case is, each stage once. The error is the message for the page.
pub fn check_rating(form: &RatingForm, progress: &CaseProgress) -> Result<Rating, String> {
    let stage = Stage::parse(form.stage.trim()).ok_or("请选择评价的环节（受理或办结）")?;
    let level = RatingLevel::ALL
        .into_iter()
        .find(|l| l.label() == form.level.trim())
        .ok_or("请选择满意程度（非常满意、满意、基本满意、不满意、非常不满意）")?;
    if stage == Stage::Completed && !progress.completed {
        return Err("案件尚未办结，办结后才能对办结环节进行评价".into());
    }
    if progress.rated.contains(&stage) {
        return Err(format!("本案件的「{}」环节已评价，每个环节只能评价一次", stage.label()));
    }
    let reason: String = form.reason.trim().chars().filter(|c| !c.is_control()).collect();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!("评价理由不能超过 {MAX_REASON_CHARS} 个字"));
    }
    let category = BAD_CATEGORIES.into_iter().find(|c| *c == form.category.trim());
    if is_bad(level) {
        if category.is_none() {
            return Err(format!("选择「{}」时请选择不满意的方面", level.label()));
        }
        if reason.is_empty() {
            return Err(format!("选择「{}」时请写明理由，以便我们回访整改", level.label()));
        }
    }
    Ok(Rating {
        stage,
        level,
        category: if is_bad(level) { category } else { None },
        reason: (!reason.is_empty()).then_some(reason),
    })
}

/// Keeps a case's query code hash (a newer one replaces it: a reprint with a new code).
pub(crate) fn store_code(
    conn: &Connection,
    case_id: &str,
    code_sha256: &str,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    conn.prepare_cached(
        "INSERT INTO lookup_codes(case_id, code_sha256, issued_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(case_id) DO UPDATE SET code_sha256 = excluded.code_sha256, issued_at = excluded.issued_at",
    )?
    .execute(params![case_id, code_sha256.to_ascii_lowercase(), super::sqlite::time(at)])?;
    Ok(())
}

/// The answer to a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupOutcome {
    /// The code is right: the case's progress.
    Found(CaseProgress),
    /// No case with this number and code; `left` more tries before the lock.
    Wrong {
        /// Tries left within the window.
        left: usize,
    },
    /// Too many wrong codes: locked until then.
    Locked {
        /// When lookups of this case number work again.
        until: DateTime<Utc>,
    },
}

/// An audit row of the page (no device: the applicant's hashed address as subject).
pub(crate) fn entry(action: Action, client: &str, at: DateTime<Utc>) -> Entry {
    Entry {
        at,
        center: String::new(),
        actor: "applicant".into(),
        device: "-".into(),
        action,
        case_id: None,
        subject: Some(client.to_string()),
        status: 200,
        reason: None,
        count: None,
    }
}

/// Looks a case up by number and code hash, counting a wrong code and auditing, in one
/// transaction (run on HQ's writer).
pub(crate) fn lookup(
    conn: &Connection,
    number: &str,
    code_sha256: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<LookupOutcome, StorageError> {
    // Wrong codes older than the window no longer count: dropped, so the table stays small.
    conn.prepare_cached("DELETE FROM lookup_failures WHERE number = ?1 AND at <= ?2")?
        .execute(params![number, super::sqlite::time(now - LOCK_WINDOW)])?;
    let failures = recent_failures(conn, number, now)?;
    let row = entry(Action::Lookup, client, now);
    if let Some(until) = locked_until(&failures, now) {
        super::audit::append(conn, &row.status(423, Some("locked")))?;
        return Ok(LookupOutcome::Locked { until });
    }
    match progress_if_code(conn, number, code_sha256)? {
        Some(progress) => {
            let mut row = row.case(&progress.case_id);
            row.center = center_of(conn, &progress.case_id)?;
            super::audit::append(conn, &row)?;
            Ok(LookupOutcome::Found(progress))
        }
        None => {
            conn.prepare_cached("INSERT INTO lookup_failures(number, at) VALUES (?1, ?2)")?
                .execute(params![number, super::sqlite::time(now)])?;
            super::audit::append(conn, &row.status(404, Some("wrong_code")))?;
            let mut all = failures;
            all.push(now);
            Ok(match locked_until(&all, now) {
                Some(until) => LookupOutcome::Locked { until },
                None => LookupOutcome::Wrong {
                    left: LOCK_AFTER - all.iter().filter(|t| **t > now - LOCK_WINDOW).count(),
                },
            })
        }
    }
}

/// The answer to a rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateOutcome {
    /// Recorded.
    Recorded(CaseProgress),
    /// Refused, with the message for the page and the case as it stands.
    Refused(String, Box<CaseProgress>),
    /// The case is gone (or the token names no case).
    NoCase,
}

/// Records a rating of the case `case_id` (the token proved a lookup with the right code), once
/// per stage, and tells the owning window that a rating arrived — its level only when bad, for the
/// follow-up. One transaction.
pub(crate) fn rate(
    conn: &Connection,
    case_id: &str,
    form: &RatingForm,
    channel: Channel,
    client: &str,
    now: DateTime<Utc>,
) -> Result<RateOutcome, StorageError> {
    let Some(progress) = progress_of(conn, case_id)? else { return Ok(RateOutcome::NoCase) };
    let mut row = entry(Action::Rate, client, now).case(case_id);
    row.center = center_of(conn, case_id)?;
    let rating = match check_rating(form, &progress) {
        Ok(r) => r,
        Err(message) => {
            super::audit::append(conn, &row.status(422, Some("rating_refused")))?;
            return Ok(RateOutcome::Refused(message, Box::new(progress)));
        }
    };
    conn.prepare_cached(
        "INSERT INTO ratings(case_id, stage, level, scale, category, reason, channel, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        case_id,
        rating.stage.label(),
        rating.level.label(),
        SCALE,
        rating.category,
        rating.reason,
        channel.as_str(),
        super::sqlite::time(now)
    ])?;
    super::audit::append(conn, &row.status(200, Some(channel_reason(channel))))?;
    let window: Option<(String, String)> = conn
        .prepare_cached("SELECT center, window FROM cases WHERE case_id = ?1")?
        .query_row([case_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((center, window)) = window {
        let body = crate::protocol::FeedBody::Rating {
            case_id: case_id.to_string(),
            number: Some(progress.number.clone()),
            stage: rating.stage.label().to_string(),
            bad: is_bad(rating.level),
            level: is_bad(rating.level).then(|| rating.level.label().to_string()),
            at: now,
        };
        super::sqlite::add_feed_item(
            conn,
            &super::sqlite::window_target(&center, &window),
            Some(case_id),
            &body,
            now,
        )?;
    }
    let mut progress = progress;
    progress.rated.push(rating.stage);
    Ok(RateOutcome::Recorded(progress))
}

fn channel_reason(channel: Channel) -> &'static str {
    match channel {
        Channel::Web => "web",
        Channel::WindowQr => "window_qr",
    }
}

fn recent_failures(
    conn: &Connection,
    number: &str,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, StorageError> {
    let since = super::sqlite::time(now - LOCK_WINDOW);
    let mut stmt = conn.prepare_cached("SELECT at FROM lookup_failures WHERE number = ?1 AND at > ?2")?;
    let rows = stmt.query_map(params![number, since], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(super::sqlite::parse_time(&row?));
    }
    Ok(out)
}

fn center_of(conn: &Connection, case_id: &str) -> Result<String, StorageError> {
    Ok(conn
        .prepare_cached("SELECT center FROM cases WHERE case_id = ?1")?
        .query_row([case_id], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

/// The case with this number whose code hash matches, if any.
fn progress_if_code(
    conn: &Connection,
    number: &str,
    code_sha256: &str,
) -> Result<Option<CaseProgress>, StorageError> {
    let found: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT c.case_id, l.code_sha256 FROM cases c JOIN lookup_codes l ON l.case_id = c.case_id
             WHERE c.number = ?1",
        )?
        .query_row([number], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match found {
        // Both are SHA-256 digests: comparing them leaks nothing about the code.
        Some((case_id, stored)) if stored == code_sha256 => progress_of(conn, &case_id),
        _ => Ok(None),
    }
}

/// A case's progress from its changes, decisions and ratings.
pub(crate) fn progress_of(conn: &Connection, case_id: &str) -> Result<Option<CaseProgress>, StorageError> {
    let number: Option<Option<String>> = conn
        .prepare_cached("SELECT number FROM cases WHERE case_id = ?1")?
        .query_row([case_id], |r| r.get(0))
        .optional()?;
    let Some(Some(number)) = number else { return Ok(None) };
    let mut events = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT body FROM changes WHERE case_id = ?1 ORDER BY seq")?;
    for body in stmt.query_map([case_id], |r| r.get::<_, String>(0))? {
        if let Ok(event) = serde_json::from_str::<CaseEvent>(&body?) {
            events.push(event);
        }
    }
    let mut decisions = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT kind, at FROM decisions WHERE case_id = ?1 ORDER BY rowid")?;
    for row in stmt.query_map([case_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (kind, at) = row?;
        decisions.push((kind, super::sqlite::parse_time(&at)));
    }
    let mut rated = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT stage FROM ratings WHERE case_id = ?1")?;
    for stage in stmt.query_map([case_id], |r| r.get::<_, String>(0))? {
        rated.extend(Stage::parse(&stage?));
    }
    let case = Case::from_events(&events);
    let (steps, completed) = timeline(&events, &decisions);
    Ok(Some(CaseProgress {
        case_id: case_id.to_string(),
        number,
        masked_name: crate::intake::validate::mask_name(case.field(Field::ApplicantName)),
        steps,
        completed,
        rated,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000, 0).unwrap() + Duration::minutes(min)
    }

    fn progress(completed: bool, rated: Vec<Stage>) -> CaseProgress {
        CaseProgress {
            case_id: "c".into(),
            number: "N".into(),
            masked_name: "王*".into(),
            steps: Vec::new(),
            completed,
            rated,
        }
    }

    fn form(stage: &str, level: &str, category: &str, reason: &str) -> RatingForm {
        RatingForm {
            stage: stage.into(),
            level: level.into(),
            category: category.into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn five_wrong_codes_in_fifteen_minutes_lock_until_the_oldest_leaves_the_window() {
        let four = [t(0), t(1), t(2), t(3)];
        assert_eq!(locked_until(&four, t(4)), None);
        let five = [t(0), t(1), t(2), t(3), t(4)];
        assert_eq!(locked_until(&five, t(4)), Some(t(15)));
        assert_eq!(locked_until(&five, t(15)), None, "the oldest is 15 minutes old");
        // Spread over more than the window: never five at once.
        let spread = [t(0), t(5), t(10), t(16), t(21)];
        assert_eq!(locked_until(&spread, t(21)), None);
    }

    #[test]
    fn the_timeline_shows_acceptance_correction_decision_completion_and_mailing_never_an_id() {
        let promised = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let events = vec![
            CaseEvent::FieldSet { field: Field::ApplicantName, value: "王小明".into() },
            CaseEvent::Finished {
                number: "N".into(),
                decision: Decision::Accept { promised_date: promised, commitments: Vec::new() },
                at: t(0),
            },
            CaseEvent::HandedOver { to: "邮寄".into(), reference: "SF1234567890".into(), at: t(300) },
        ];
        let decisions = vec![("退回补正".to_string(), t(60)), ("准予".to_string(), t(200))];
        let (steps, completed) = timeline(&events, &decisions);
        assert!(completed);
        let labels: Vec<&str> = steps.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["受理", "补正", "审批", "办结", "邮寄"]);
        assert_eq!(steps[0].detail.as_deref(), Some("承诺办结日期 2026年12月04日"));
        assert!(steps[4].detail.as_deref().unwrap().contains("SF1234567890"));
        // Collected at the window: the collector's ID number is not shown.
        let collected =
            [CaseEvent::HandedOver {
                to: "王小明".into(), reference: "11010519491231002X".into(), at: t(1)
            }];
        let (steps, completed) = timeline(&collected, &[]);
        assert!(!completed);
        assert_eq!(steps[0].label, "出件");
        assert!(!format!("{steps:?}").contains("1101") && !format!("{steps:?}").contains("王小明"));
    }

    #[test]
    fn ratings_need_a_reason_when_bad_wait_for_completion_and_come_once_per_stage() {
        let open = progress(false, Vec::new());
        let r = check_rating(&form("受理", "满意", "", ""), &open).unwrap();
        assert_eq!(
            (r.stage, r.level, r.category, r.reason),
            (Stage::Accepted, RatingLevel::Satisfied, None, None)
        );
        assert!(check_rating(&form("办结", "满意", "", ""), &open).unwrap_err().contains("尚未办结"));
        let done = progress(true, vec![Stage::Accepted]);
        assert!(check_rating(&form("受理", "满意", "", ""), &done).unwrap_err().contains("已评价"));
        for level in ["不满意", "非常不满意"] {
            assert!(check_rating(&form("办结", level, "", "等了很久"), &done).unwrap_err().contains("方面"));
            assert!(
                check_rating(&form("办结", level, "办事效率", "  "), &done).unwrap_err().contains("理由")
            );
            let r = check_rating(&form("办结", level, "办事效率", "等了很久"), &done).unwrap();
            assert_eq!((r.category, r.reason.as_deref()), (Some("办事效率"), Some("等了很久")));
        }
        assert!(check_rating(&form("办结", "差", "", ""), &done).is_err());
        assert!(check_rating(&form("办结", "不满意", "别的", "x"), &done).is_err(), "unknown category");
        let long = "长".repeat(MAX_REASON_CHARS + 1);
        assert!(check_rating(&form("办结", "满意", "", &long), &done).is_err());
    }
}
