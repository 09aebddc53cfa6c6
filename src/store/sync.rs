//! The desk store's side of sync with HQ: recording what HQ answered for each outbox entry, the pull
//! cursor (kept in the same transaction as what was pulled, so a crash between the two cannot lose
//! or repeat anything), results and call replies from HQ, and KB versions HQ announced.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, parse_ts, ts};
use crate::intake::approval::ApprovalDecision;
use crate::intake::case::CaseEvent;
use crate::protocol::{ChangeStatus, FeedBody, FeedItem};

/// Setting that holds the pull cursor (HQ's feed sequence number).
const CURSOR: &str = "sync_cursor";

/// What HQ answered for one outbox entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Outbox row id.
    pub outbox_id: i64,
    /// Applied, duplicate or conflict.
    pub status: ChangeStatus,
    /// HQ's sequence number, if given.
    pub hq_seq: Option<i64>,
    /// HQ's message (conflicts).
    pub message: Option<String>,
}

/// What a pull changed in the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pulled {
    /// Back-office decisions recorded.
    pub decisions: usize,
    /// Call replies and state changes journaled into cases.
    pub call_events: usize,
    /// KB versions announced.
    pub kb_versions: usize,
    /// Items for other devices or of unknown cases, skipped.
    pub skipped: usize,
    /// Case ids whose journal changed (the desk reloads them).
    pub cases: Vec<String>,
    /// Clerk credentials set or revoked at HQ, written to `clerks.json`.
    pub clerks: usize,
}

/// A KB version HQ announced, as the desk has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbVersionRow {
    /// Content hash.
    pub hash: String,
    /// `kb.toml` version.
    pub version: String,
    /// The files as JSON (a list of `{path, text}`), once downloaded and verified.
    pub files: Option<String>,
    /// When HQ announced it.
    pub announced_at: DateTime<Utc>,
    /// When the desk switched to it.
    pub active_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Records HQ's answers for outbox entries, all in one transaction. Applied and duplicate
    /// entries are delivered; a conflict is kept with HQ's message and never sent again.
    pub fn mark_delivered(&mut self, deliveries: &[Delivery], at: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET sent_at = ?2, result = ?3, hq_seq = ?4, message = ?5 WHERE id = ?1 AND sent_at IS NULL",
            )?;
            for d in deliveries {
                stmt.execute(params![d.outbox_id, ts(at), d.status.as_str(), d.hq_seq, d.message])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Outbox entries HQ refused as conflicts: (event id, case id, HQ's message).
    pub fn outbox_conflicts(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT event_id, case_id, coalesce(message, '') FROM outbox WHERE result = 'conflict' ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Moves the pull cursor back to `to` (HQ answered that the cursor is ahead of it).
    pub fn reset_sync_cursor(&self, to: i64) -> Result<(), StoreError> {
        self.set_setting(CURSOR, &to.max(0).to_string())
    }

    /// The pull cursor: HQ's feed sequence number of the last item applied (0 at first).
    pub fn sync_cursor(&self) -> Result<i64, StoreError> {
        Ok(self.setting(CURSOR)?.and_then(|s| s.parse().ok()).unwrap_or(0))
    }

    /// Applies pulled items and moves the cursor to `next`, in one transaction: decisions go to
    /// the decisions table, call replies and states into the case's journal (never back to the
    /// outbox), KB versions into the list to download.
    pub fn apply_pulled(
        &mut self,
        items: &[FeedItem],
        next: i64,
        at: DateTime<Utc>,
    ) -> Result<Pulled, StoreError> {
        let mut pulled = Pulled::default();
        let mut credentials = Vec::new();
        let data_dir = self.data_dir();
        // Fold the cases that get events before the transaction (reads use the cache).
        let mut cases = std::collections::HashMap::new();
        for item in items {
            if let FeedBody::CallReply { case_id, .. }
            | FeedBody::CallState { case_id, .. }
            | FeedBody::Decision { case_id, .. } = &item.body
                && !cases.contains_key(case_id)
            {
                match self.load(case_id) {
                    Ok(case) => {
                        cases.insert(case_id.clone(), case);
                    }
                    Err(StoreError::NoCase(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        // Immediate, and the cursor read again inside: another process on the same store (a
        // `yichuang sync --once` beside the desk) may have applied this page meanwhile.
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let cursor: i64 = tx
            .query_row("SELECT value FROM settings WHERE key = ?1", [CURSOR], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        for item in items.iter().filter(|i| i.seq > cursor) {
            match &item.body {
                FeedBody::Decision { case_id, number, decision, .. } => {
                    let local: Option<String> = tx
                        .query_row("SELECT number FROM cases WHERE id = ?1", [case_id], |r| r.get(0))
                        .optional()?
                        .flatten();
                    let Some(number) = number.clone().or(local) else {
                        pulled.skipped += 1;
                        continue;
                    };
                    let body = serde_json::to_string(&item.body).unwrap_or_default();
                    tx.execute(
                        "INSERT INTO decisions(case_number, kind, body, received_at) VALUES (?1, ?2, ?3, ?4)",
                        params![number, decision.label(), body, ts(at)],
                    )?;
                    pulled.decisions += 1;
                    pulled.cases.push(case_id.clone());
                    // 退回补正 reopens the case until the applicant brings the corrections.
                    if let (ApprovalDecision::RequestCorrection { materials, note }, Some(case)) =
                        (decision, cases.get_mut(case_id))
                    {
                        let event = CaseEvent::CorrectionRequested {
                            materials: materials.clone(),
                            note: note.clone(),
                            at: item.at,
                        };
                        super::write_event(&tx, case_id, case, &event, at)?;
                    }
                }
                FeedBody::CallReply { case_id, call_id, reply } => {
                    let Some(case) = cases.get_mut(case_id) else {
                        pulled.skipped += 1;
                        continue;
                    };
                    let event = CaseEvent::CallReplied { call_id: call_id.clone(), reply: reply.clone() };
                    super::write_event(&tx, case_id, case, &event, at)?;
                    pulled.call_events += 1;
                    pulled.cases.push(case_id.clone());
                }
                FeedBody::CallState { case_id, call_id, state, at: when } => {
                    let Some(case) = cases.get_mut(case_id) else {
                        pulled.skipped += 1;
                        continue;
                    };
                    let event =
                        CaseEvent::CallStateChanged { call_id: call_id.clone(), state: *state, at: *when };
                    super::write_event(&tx, case_id, case, &event, at)?;
                    pulled.call_events += 1;
                    pulled.cases.push(case_id.clone());
                }
                FeedBody::KbVersion { version, hash } => {
                    tx.execute(
                        "INSERT OR IGNORE INTO kb_versions(hash, version, announced_at) VALUES (?1, ?2, ?3)",
                        params![hash, version, ts(at)],
                    )?;
                    pulled.kb_versions += 1;
                }
                FeedBody::Rating { case_id, stage, bad, level, at: when, .. } => {
                    let Some(case) = cases.get_mut(case_id) else {
                        pulled.skipped += 1;
                        continue;
                    };
                    let event = CaseEvent::RatingReceived {
                        stage: stage.clone(),
                        bad: *bad,
                        level: level.clone(),
                        at: *when,
                    };
                    super::write_event(&tx, case_id, case, &event, at)?;
                    pulled.call_events += 1;
                    pulled.cases.push(case_id.clone());
                }
                FeedBody::Call { .. } => pulled.skipped += 1,
                FeedBody::Clerk(credential) => credentials.push(credential.clone()),
            }
        }
        // Credentials go to `clerks.json` (read before the store opens) before the cursor
        // commits: a crash between the two pulls them again, and receiving is idempotent.
        if !credentials.is_empty() {
            pulled.clerks = receive_clerks(data_dir.as_deref(), credentials)?;
        }
        tx.execute(
            "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![CURSOR, next.max(cursor).to_string()],
        )?;
        tx.commit()?;
        for (id, case) in cases {
            self.cache.insert(id, case);
        }
        pulled.cases.sort();
        pulled.cases.dedup();
        Ok(pulled)
    }

    /// The directory of the store's file (where `clerks.json` lives).
    pub fn data_dir(&self) -> Option<std::path::PathBuf> {
        let path = self.conn.path().filter(|p| !p.is_empty())?;
        std::path::Path::new(path).parent().map(std::path::Path::to_path_buf)
    }
}

/// Takes clerk credentials HQ sent into `clerks.json` in `dir` (next to the store); with the store
/// key open in this process, seals it for the new ones so they can sign in alone next time.
fn receive_clerks(
    dir: Option<&std::path::Path>,
    credentials: Vec<crate::store::clerks::Credential>,
) -> Result<usize, StoreError> {
    use crate::store::clerks::Clerks;
    {
        let dir = dir.ok_or_else(|| StoreError::Io("数据库没有所在目录，无法保存工作人员".into()))?;
        let fail = |e: crate::store::clerks::ClerkError| StoreError::Io(e.to_string());
        let mut clerks = Clerks::load(dir).map_err(fail)?;
        let mut changed = 0;
        for credential in credentials {
            changed += usize::from(clerks.receive(credential));
        }
        if let Some(key) = super::session_key() {
            changed += clerks.seal_pending(&key).map_err(fail)?;
        }
        if changed > 0 {
            clerks.save(dir).map_err(fail)?;
        }
        if super::session_key().is_some() {
            crate::store::clerks::set_desk_credentials(clerks.credentials.clone());
        }
        Ok(changed)
    }
}

impl Store {
    /// KB versions announced but not yet downloaded, oldest first.
    pub fn kb_to_download(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT hash, version FROM kb_versions WHERE files IS NULL ORDER BY announced_at, hash",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Keeps a downloaded KB's files (already verified against `hash`).
    pub fn save_kb_files(&self, hash: &str, files_json: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE kb_versions SET files = ?2, downloaded_at = ?3 WHERE hash = ?1",
            params![hash, files_json, ts(at)],
        )?;
        Ok(())
    }

    /// The newest downloaded KB version, if any.
    pub fn latest_kb(&self) -> Result<Option<KbVersionRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT hash, version, files, announced_at, active_at FROM kb_versions
                 WHERE files IS NOT NULL ORDER BY announced_at DESC, rowid DESC LIMIT 1",
                [],
                |r| {
                    Ok(KbVersionRow {
                        hash: r.get(0)?,
                        version: r.get(1)?,
                        files: r.get(2)?,
                        announced_at: parse_ts(&r.get::<_, String>(3)?),
                        active_at: r.get::<_, Option<String>>(4)?.map(|s| parse_ts(&s)),
                    })
                },
            )
            .optional()?)
    }

    /// Records that the desk switched to this KB version (between intakes).
    pub fn activate_kb(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE kb_versions SET active_at = ?2 WHERE hash = ?1 AND active_at IS NULL",
            params![hash, ts(at)],
        )?;
        Ok(())
    }

    /// Drops the folded copy of a case, so the next read sees what another connection (the sync
    /// worker) journaled.
    pub fn forget(&mut self, case_id: &str) {
        self.cache.remove(case_id);
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::intake::call::{CallSnapshot, CallState, Reply};
    use crate::intake::rules::Decision;
    use crate::store::StoreKind;

    fn at(h: u32) -> DateTime<Utc> {
        crate::time::from_hall_local(
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap().and_hms_opt(h, 0, 0).unwrap(),
        )
    }

    #[test]
    fn delivered_entries_leave_the_outbox_and_conflicts_are_kept() {
        let mut store = Store::in_memory(StoreKind::Desk).unwrap();
        let id = store.create_case(at(9)).unwrap();
        let accept = Decision::Accept {
            promised_date: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            commitments: Vec::new(),
        };
        store.finish(&id, "PF", "W03", accept, at(9)).unwrap();
        let pending = store.outbox_pending(10).unwrap();
        // Started, finished and the query code.
        assert_eq!(pending.len(), 3);
        let d = |e: &crate::store::OutboxEntry, status| Delivery {
            outbox_id: e.id,
            status,
            hq_seq: Some(1),
            message: (status == ChangeStatus::Conflict).then(|| "x".into()),
        };
        store
            .mark_delivered(
                &[
                    d(&pending[0], ChangeStatus::Duplicate),
                    d(&pending[1], ChangeStatus::Conflict),
                    d(&pending[2], ChangeStatus::Applied),
                ],
                at(10),
            )
            .unwrap();
        assert_eq!(store.outbox_count().unwrap(), 0);
        assert_eq!(store.outbox_conflicts().unwrap().len(), 1);
    }

    #[test]
    fn pulled_items_and_the_cursor_land_together_and_replies_never_go_back() {
        let mut store = Store::in_memory(StoreKind::Desk).unwrap();
        let id = store.create_case(at(9)).unwrap();
        let raised = CaseEvent::CallRaised {
            call_id: "c1".into(),
            question: "?".into(),
            snapshot: CallSnapshot::default(),
            at: at(9),
        };
        store.append(&id, raised, at(9)).unwrap();
        let before = store.outbox_count().unwrap();
        let items = vec![
            FeedItem {
                seq: 5,
                at: at(10),
                body: FeedBody::CallState {
                    case_id: id.clone(),
                    call_id: "c1".into(),
                    state: CallState::Ringing,
                    at: at(10),
                },
            },
            FeedItem {
                seq: 7,
                at: at(10),
                body: FeedBody::CallReply {
                    case_id: id.clone(),
                    call_id: "c1".into(),
                    reply: Reply { by: "审批".into(), text: "可以".into(), at: at(10) },
                },
            },
            FeedItem {
                seq: 8,
                at: at(10),
                body: FeedBody::KbVersion { version: "2".into(), hash: "ab".into() },
            },
            FeedItem {
                seq: 9,
                at: at(10),
                body: FeedBody::CallReply {
                    case_id: "unknown".into(),
                    call_id: "c9".into(),
                    reply: Reply { by: "x".into(), text: "y".into(), at: at(10) },
                },
            },
        ];
        let pulled = store.apply_pulled(&items, 9, at(10)).unwrap();
        assert_eq!((pulled.call_events, pulled.kb_versions, pulled.skipped), (2, 1, 1));
        assert_eq!(store.sync_cursor().unwrap(), 9);
        // The same page again (pulled by a second process on the same store) changes nothing.
        let again = store.apply_pulled(&items, 9, at(10)).unwrap();
        assert_eq!((again.call_events, again.kb_versions, again.skipped), (0, 0, 0));
        assert!(again.cases.is_empty());
        let case = store.load(&id).unwrap();
        assert_eq!(case.calls[0].state, CallState::Answered);
        assert_eq!(case.calls[0].replies.len(), 1);
        assert_eq!(store.outbox_count().unwrap(), before);
        assert_eq!(store.kb_to_download().unwrap(), vec![("ab".to_string(), "2".to_string())]);
        store.save_kb_files("ab", "[]", at(11)).unwrap();
        assert_eq!(store.latest_kb().unwrap().unwrap().version, "2");
    }
}
