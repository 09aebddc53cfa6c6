//! One-key call routing at HQ (DESIGN §7): a call rings at the connected approvers of its
//! department; the first who takes it owns it; unanswered too long, it escalates to supervisors;
//! resolving closes it. Also the approver's views: the department's open calls and its queue of
//! accepted cases. Plain functions over a SQLite connection, run inside the store's transactions.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::audit::{Action, Entry};
use super::rules::{self, CallFacts, CaseStage, DecisionKind, ResolveStep, TakeStep};
use super::sqlite::{
    add_feed_item, call_facts, case_facts, department_target, parse_time, time, window_target,
};
use super::storage::{Scope, StorageError};
use crate::console::model::{CallItem, ExceptionItem, QueueCase};
use crate::intake::call::{CallSnapshot, CallState, MaterialLine, Reply};
use crate::intake::case::{Case, CaseEvent, Field};
use crate::intake::validate::mask_name;
use crate::kb::Kb;
use crate::protocol::{Device, FeedBody, Role};

/// The embedded KB, for item names and checkpoints in the approvers' queue.
static KB: LazyLock<Option<Kb>> = LazyLock::new(|| Kb::embedded().ok());

/// What taking a call did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TakeOutcome {
    /// This approver owns it now.
    Taken,
    /// This approver already owned it (a repeated request).
    AlreadyYours,
    /// Another approver took it first.
    TakenBy {
        /// Who.
        owner: String,
    },
    /// No such open call.
    NoCall,
}

fn parse_state(s: &str) -> CallState {
    CallState::parse(s).unwrap_or(CallState::Ringing)
}

/// Announces a call's new state to the calling window and to the department's consoles.
fn announce(
    conn: &Connection,
    call_id: &str,
    state: CallState,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    let row: Option<(String, String, String, String)> = conn
        .query_row(
            "SELECT c.case_id, c.department, k.center, k.window FROM calls c JOIN cases k ON k.case_id = c.case_id
             WHERE c.call_id = ?1",
            [call_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((case_id, department, center, window)) = row else { return Ok(()) };
    let body = FeedBody::CallState { case_id: case_id.clone(), call_id: call_id.to_string(), state, at };
    add_feed_item(conn, &window_target(&center, &window), Some(&case_id), &body, at)?;
    add_feed_item(conn, &department_target(&center, &department), Some(&case_id), &body, at)?;
    Ok(())
}

/// The first approver to take a call owns it.
pub fn take(
    conn: &Connection,
    device: &Device,
    call_id: &str,
    at: DateTime<Utc>,
) -> Result<TakeOutcome, StorageError> {
    let Some(call) = call_facts(conn, call_id)? else { return Ok(TakeOutcome::NoCall) };
    match rules::take(&call, &device.id) {
        TakeStep::Closed => return Ok(TakeOutcome::NoCall),
        TakeStep::AlreadyYours => return Ok(TakeOutcome::AlreadyYours),
        TakeStep::TakenByOther => {
            let label: Option<String> = conn
                .query_row("SELECT owner_label FROM calls WHERE call_id = ?1", [call_id], |r| r.get(0))
                .optional()?
                .flatten();
            return Ok(TakeOutcome::TakenBy { owner: label.unwrap_or_default() });
        }
        TakeStep::Take => {}
    }
    conn.execute(
        "UPDATE calls SET owner = ?2, owner_label = ?3, taken_at = ?4, state = ?5
         WHERE call_id = ?1 AND owner IS NULL",
        params![call_id, device.id, device.name(), time(at), CallState::Answered.as_str()],
    )?;
    announce(conn, call_id, CallState::Answered, at)?;
    Ok(TakeOutcome::Taken)
}

/// The owner (or a supervisor) closes a call; closing it again is a no-op that succeeds.
pub fn resolve(
    conn: &Connection,
    device: &Device,
    call_id: &str,
    at: DateTime<Utc>,
) -> Result<ResolveStep, StorageError> {
    let Some(call) = call_facts(conn, call_id)? else { return Ok(ResolveStep::NotYours) };
    let step = rules::resolve(&call, &device.id, device.role == Role::Supervisor);
    if step == ResolveStep::Resolve {
        conn.execute(
            "UPDATE calls SET state = ?2 WHERE call_id = ?1",
            params![call_id, CallState::Resolved.as_str()],
        )?;
        announce(conn, call_id, CallState::Resolved, at)?;
    }
    Ok(step)
}

/// When ringing calls escalate to supervisors.
#[derive(Debug, Clone)]
pub struct Escalation {
    /// Unanswered for this long.
    pub after: std::time::Duration,
    /// Unanswered for this long while no approver of the department is connected.
    pub unattended_after: std::time::Duration,
    /// The departments with an approver connected now.
    pub attended: std::collections::BTreeSet<String>,
}

/// Ringing calls nobody took escalate to supervisors by `rule`; returns how many.
pub fn escalate(conn: &Connection, rule: &Escalation, at: DateTime<Utc>) -> Result<usize, StorageError> {
    let before = |d: std::time::Duration| time(at - chrono::Duration::from_std(d).unwrap_or_default());
    let attended = serde_json::to_string(&rule.attended).unwrap_or_else(|_| "[]".into());
    // The time limits select candidates; the state machine decides which of them escalate.
    let candidates: Vec<(String, String, String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT c.call_id, c.case_id, coalesce(k.center, ''), c.state, c.owner
               FROM calls c LEFT JOIN cases k ON k.case_id = c.case_id
              WHERE c.state = ?4
               AND (c.raised_at < ?1
                    OR (c.raised_at < ?2 AND c.department NOT IN (SELECT value FROM json_each(?3))))",
        )?
        .query_map(
            params![before(rule.after), before(rule.unattended_after), attended, CallState::Ringing.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?
        .collect::<Result<_, _>>()?;
    let mut n = 0;
    for (id, case_id, center, state, owner) in candidates {
        let call = CallFacts { state: parse_state(&state), owner };
        if !rules::may_escalate(&call) {
            continue;
        }
        conn.execute(
            "UPDATE calls SET state = ?2 WHERE call_id = ?1",
            params![id, CallState::Escalated.as_str()],
        )?;
        announce(conn, &id, CallState::Escalated, at)?;
        // HQ itself acts here; the audit names it.
        let entry = Entry {
            at,
            center,
            actor: "HQ".into(),
            device: "hq".into(),
            action: Action::Escalate,
            case_id: Some(case_id),
            subject: Some(id),
            status: 200,
            reason: None,
            count: None,
        };
        super::audit::append(conn, &entry)?;
        n += 1;
    }
    Ok(n)
}

/// Open calls in `scope`, oldest first.
pub fn open_calls(conn: &Connection, scope: &Scope) -> Result<Vec<CallItem>, StorageError> {
    type Row = (String, String, String, String, String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT call_id, case_id, state, raised_at, coalesce(window, ''), owner_label, question, snapshot
             FROM calls c WHERE state != ?3 AND (?1 IS NULL OR department = ?1)
               AND (?2 IS NULL OR EXISTS (SELECT 1 FROM cases k WHERE k.case_id = c.case_id AND k.center = ?2))
             ORDER BY raised_at",
        )?
        .query_map(params![scope.department, scope.center, CallState::Resolved.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, case_id, state, raised_at, window, owner, question, snapshot) in rows {
        let replies = conn
            .prepare_cached(
                "SELECT r.body, r.at, coalesce(d.department, d.center) FROM replies r
                 LEFT JOIN devices d ON d.id = r.device_id WHERE r.call_id = ?1 ORDER BY r.at",
            )?
            .query_map([&id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
            })?
            .filter_map(Result::ok)
            .map(|(body, at, by)| {
                let text = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["text"].as_str().map(String::from))
                    .unwrap_or_default();
                Reply { by: by.unwrap_or_default(), text, at: parse_time(&at) }
            })
            .collect();
        out.push(CallItem {
            id,
            case_id,
            window,
            question: question.unwrap_or_default(),
            snapshot: snapshot.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
            state: parse_state(&state),
            raised_at: parse_time(&raised_at),
            owner,
            replies,
        });
    }
    Ok(out)
}

/// Accepted cases in `scope` waiting for the back office, oldest first: those the state machine
/// ([`rules::CaseStage`]) says await a decision — accepted, not terminated, not decided, or sent
/// back (退回补正) and corrected since.
/// For a sub-case of a bundle (一件事): the earlier items of the bundle without a decision yet,
/// as `待 有限责任公司设立登记（HRBDL-05-20261130-0001）作出决定` — the back office keeps the
/// bundle's order (`knowledge-base/bundles/`, `after`), so this case cannot be decided before
/// them. A predecessor counts as decided once 准予 or 不予 (a 退回补正 is not a decision).
pub fn waiting_for(conn: &Connection, case: &Case) -> Result<Vec<String>, StorageError> {
    let Some(link) = &case.bundle else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (code, number) in link.predecessors() {
        let name = KB.as_ref().and_then(|kb| kb.item(code)).map_or(code, |i| i.name.as_str());
        let case_id: Option<String> = conn
            .query_row("SELECT case_id FROM cases WHERE number = ?1", [number], |r| r.get(0))
            .optional()?;
        let decided = match &case_id {
            Some(id) => conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM decisions WHERE case_id = ?1 AND kind != ?2)",
                params![id, DecisionKind::RequestCorrection.label()],
                |r| r.get::<_, bool>(0),
            )?,
            None => false,
        };
        if !decided {
            out.push(match case_id {
                Some(_) => format!("待 {name}（{number}）作出决定"),
                None => format!("待 {name}（{number}）送达总部并作出决定"),
            });
        }
    }
    Ok(out)
}

/// A case folded from the changes HQ holds for it.
pub fn folded_case(conn: &Connection, case_id: &str) -> Result<Case, StorageError> {
    let bodies: Vec<String> = conn
        .prepare_cached("SELECT body FROM changes WHERE case_id = ?1 ORDER BY seq")?
        .query_map([case_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let events: Vec<CaseEvent> = bodies.iter().filter_map(|b| serde_json::from_str(b).ok()).collect();
    Ok(Case::from_events(&events))
}

/// The back office's queue.
pub fn queue(conn: &Connection, scope: &Scope) -> Result<Vec<QueueCase>, StorageError> {
    let candidates: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT case_id, coalesce(number, '') FROM cases c
             WHERE number IS NOT NULL AND (?1 IS NULL OR department = ?1) AND (?2 IS NULL OR center = ?2)
               AND terminated_at IS NULL AND decision IN ('受理', '容缺受理')
               AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.case_id = c.case_id AND d.kind != ?3)
             ORDER BY created_at",
        )?
        .query_map(params![scope.department, scope.center, DecisionKind::RequestCorrection.label()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut cases = Vec::new();
    for (case_id, number) in candidates {
        if CaseStage::of(&case_facts(conn, &case_id)?.1) == CaseStage::AwaitingDecision {
            cases.push((case_id, number));
            if cases.len() == 200 {
                break;
            }
        }
    }
    let mut out = Vec::with_capacity(cases.len());
    for (case_id, number) in cases {
        let case = folded_case(conn, &case_id)?;
        let item = case.item_code.as_deref().and_then(|c| KB.as_ref().and_then(|kb| kb.item(c)));
        let snapshot = item.map(|i| CallSnapshot::of(&case, i)).unwrap_or_default();
        // As on a call: a person's name masked, an organisation's (or one being set up) in full.
        let applicant = if item.is_some() {
            snapshot.applicant.clone()
        } else {
            mask_name(case.field(Field::ApplicantName))
        };
        let checkpoints = item
            .map(|i| i.materials.iter().map(|m| (m.name.clone(), m.checkpoints.clone())).collect())
            .unwrap_or_default();
        let notes = case
            .calls
            .iter()
            .filter(|c| !c.question.is_empty())
            .map(|c| format!("呼叫：{}", c.question))
            .collect();
        out.push(QueueCase {
            case_id,
            number,
            item_name: item.map_or_else(|| case.item_code.clone().unwrap_or_default(), |i| i.name.clone()),
            applicant,
            intake_decision: case.decision.as_ref().map_or("", |d| d.label()).to_string(),
            accepted_at: case.finished_at.unwrap_or_default(),
            materials: snapshot
                .materials
                .into_iter()
                .filter(|m: &MaterialLine| m.state != "待核验")
                .collect(),
            checkpoints,
            notes,
            legal_basis: item.map(|i| i.legal_basis.clone()).unwrap_or_default(),
            bundle: case
                .bundle
                .as_ref()
                .map(|b| format!("{}（{}）第 {} 项", b.name, b.number, b.position + 1)),
            waiting_for: waiting_for(conn, &case)?,
        });
    }
    Ok(out)
}

/// The exceptions supervisors approved at `center`'s windows since `since` (HQ's receipt time),
/// newest first, at most 200: the supervisor's console lists them (`GET /v1/exceptions`).
pub fn exceptions(
    conn: &Connection,
    center: &str,
    since: DateTime<Utc>,
) -> Result<Vec<ExceptionItem>, StorageError> {
    type Row = (String, String, Option<String>, Option<String>, Option<String>, String);
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT ch.case_id, ch.body, ch.clerk, k.number, k.item_code, k.center || '-' || k.window
             FROM changes ch JOIN cases k ON k.case_id = ch.case_id
             WHERE k.center = ?1 AND ch.received_at >= ?2 AND ch.body LIKE '%exception_approved%'
             ORDER BY ch.seq DESC LIMIT 200",
        )?
        .query_map(params![center, time(since)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (case_id, body, clerk, number, item_code, window) in rows {
        let Ok(CaseEvent::ExceptionApproved { exception, value, supervisor, at }) =
            serde_json::from_str(&body)
        else {
            continue;
        };
        let item_code = item_code.unwrap_or_default();
        let item_name = KB
            .as_ref()
            .and_then(|kb| kb.item(&item_code))
            .map_or_else(|| item_code.clone(), |i| i.name.clone());
        out.push(ExceptionItem {
            case_id,
            number,
            item_name,
            kind: exception.code().to_string(),
            label: exception.label().to_string(),
            value,
            window,
            clerk,
            supervisor,
            at,
        });
    }
    Ok(out)
}
