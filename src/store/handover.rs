//! Results coming back from the back office (DESIGN §6–7): HQ decisions recorded against a case
//! number, and the list of results waiting for handover (出件) at the window or by mail.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError, parse_ts, ts};
use crate::hq::rules::{CaseFacts, CaseStage, DecisionKind, IntakeOutcome};
use crate::intake::approval::ApprovalDecision;
use crate::intake::case::{Delivery, Field, Status};
use crate::intake::rules::Decision;

/// A back-office result ready to hand over.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandoverRow {
    /// Local case id.
    pub case_id: String,
    /// Case number.
    pub number: String,
    /// Item code.
    pub item_code: Option<String>,
    /// Applicant's name.
    pub applicant_name: Option<String>,
    /// The decision kind from HQ (准予 …).
    pub kind: String,
    /// When the decision arrived.
    pub received_at: DateTime<Utc>,
    /// Window pickup or mail.
    pub delivery: Delivery,
    /// ID numbers allowed to collect: the applicant's and the agent's (never shown unmasked).
    /// Empty for an organisation that applied itself: its collector shows the unit's letter.
    #[serde(skip)]
    pub collector_ids: Vec<String>,
    /// The case's status: a 容缺 case may still wait for its supplements.
    pub status: Status,
    /// The promised completion date of the acceptance, shown (and marked when provisional).
    pub promised: Option<chrono::NaiveDate>,
}

impl Store {
    /// Records a back-office decision for a case number (from sync, or tests).
    pub fn record_decision(
        &mut self,
        case_number: &str,
        kind: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO decisions(case_number, kind, body, received_at) VALUES (?1, ?2, ?3, ?4)",
            params![case_number, kind, body, ts(at)],
        )?;
        Ok(())
    }

    /// Approved results not yet handed over, oldest first; a 准予 the case's state machine
    /// ([`crate::hq::rules`]) does not allow is left out.
    pub fn ready_for_handover(&mut self) -> Result<Vec<HandoverRow>, StoreError> {
        let rows: Vec<HandoverRow> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT c.id, c.number, c.item_code, c.applicant_name, d.kind, d.received_at
                 FROM decisions d JOIN cases c ON c.number = d.case_number
                 WHERE d.id = (SELECT max(id) FROM decisions WHERE case_number = d.case_number)
                   AND d.kind = '准予' AND c.status NOT IN (?1, ?2)
                 ORDER BY d.received_at",
            )?;
            let mapped = stmt.query_map(
                params![super::status_str(Status::HandedOver), super::status_str(Status::Terminated)],
                |r| {
                    Ok(HandoverRow {
                        case_id: r.get(0)?,
                        number: r.get(1)?,
                        item_code: r.get(2)?,
                        applicant_name: r.get(3)?,
                        kind: r.get(4)?,
                        received_at: parse_ts(&r.get::<_, String>(5)?),
                        delivery: Delivery::Window,
                        collector_ids: Vec::new(),
                        status: Status::Accepted,
                        promised: None,
                    })
                },
            )?;
            mapped.collect::<Result<_, _>>()?
        };
        let mut allowed = Vec::with_capacity(rows.len());
        for mut row in rows {
            let case = self.load(&row.case_id)?;
            // HQ's state machine again, on what the desk knows: a 准予 HQ should have refused (on a
            // case the window refused, after 退回补正 with no correction recorded, on a terminated
            // case) is never handed over.
            let kinds: Vec<String> = self
                .conn
                .prepare_cached("SELECT kind FROM decisions WHERE case_number = ?1 ORDER BY id")?
                .query_map([&row.number], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            // The decision before this 准予, if any.
            let previous = kinds.len().checked_sub(2).and_then(|i| DecisionKind::from_label(&kinds[i]));
            let facts = CaseFacts {
                intake: case.decision.as_ref().map(IntakeOutcome::of),
                terminated: case.status == Status::Terminated,
                last_decision: previous,
                corrected_since: case.status != Status::CorrectionRequested,
            };
            if CaseStage::of(&facts).may_decide(DecisionKind::Approve).is_err() {
                continue;
            }
            row.delivery = case.delivery;
            row.status = case.status;
            row.promised = match &case.decision {
                Some(
                    Decision::Accept { promised_date, .. } | Decision::AcceptPending { promised_date, .. },
                ) => Some(*promised_date),
                _ => None,
            };
            row.collector_ids = [Field::IdNumber, Field::AgentIdNumber]
                .into_iter()
                .map(|f| f.normalise(case.field(f)))
                .filter(|id| !id.is_empty())
                .collect();
            allowed.push(row);
        }
        // A bundle (一件事) is handed over once: its items' results wait until every item the back
        // office accepted to decide has its result here.
        let ready: Vec<String> = allowed.iter().map(|r| r.number.clone()).collect();
        let mut complete = Vec::with_capacity(allowed.len());
        for row in allowed {
            let case = self.load(&row.case_id)?;
            let waiting = match &case.bundle {
                Some(link) => self.bundle_results_missing(&link.numbers, &ready)?,
                None => false,
            };
            if !waiting {
                complete.push(row);
            }
        }
        Ok(complete)
    }

    /// Whether a sub-case of the bundle `numbers` still waits for its back-office result: accepted
    /// at the window, not refused by HQ, not terminated or handed over, and not in `ready`.
    fn bundle_results_missing(&mut self, numbers: &[String], ready: &[String]) -> Result<bool, StoreError> {
        for number in numbers {
            if ready.contains(number) {
                continue;
            }
            let Some(id) = self.find(number)? else { return Ok(true) };
            let sibling = self.load(&id)?;
            let accepted =
                matches!(sibling.decision, Some(Decision::Accept { .. } | Decision::AcceptPending { .. }));
            let closed = matches!(sibling.status, Status::HandedOver | Status::Terminated);
            let last: Option<String> = self
                .conn
                .query_row(
                    "SELECT kind FROM decisions WHERE case_number = ?1 ORDER BY id DESC LIMIT 1",
                    [number],
                    |r| r.get(0),
                )
                .optional()?;
            let refused = last.as_deref().and_then(DecisionKind::from_label) == Some(DecisionKind::Refuse);
            if accepted && !closed && !refused {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The back office's decisions on a case number, oldest first.
    pub fn hq_decisions(
        &self,
        case_number: &str,
    ) -> Result<Vec<(ApprovalDecision, DateTime<Utc>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body, received_at FROM decisions WHERE case_number = ?1 ORDER BY id")?;
        let rows = stmt.query_map([case_number], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (body, at) = row?;
            // The body is HQ's feed item; its `decision` is what the approver decided.
            if let Some(decision) = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| serde_json::from_value::<ApprovalDecision>(v["decision"].clone()).ok())
            {
                out.push((decision, parse_ts(&at)));
            }
        }
        Ok(out)
    }
}
