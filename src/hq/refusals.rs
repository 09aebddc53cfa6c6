//! Refused requests in HQ's audit without letting a flood grow it without bound: the first refusal
//! of a kind (same device, status, code and route) in a window is audited as it comes; repeats in
//! that window are only counted, and when the window ends one `refused_repeat` row records how
//! many there were (its `count`). Every row is still a link of the hash chain, so `hq audit
//! verify` holds, and the audit grows by at most two rows per kind and window — a kind being
//! bounded by the enrolled devices (unknown tokens all count as device `-`), and the table of
//! kinds by [`MAX_KINDS`]. Plain state; the routes (src/hq/routes.rs) and `hq serve`'s flush
//! timer (src/hq/mod.rs) write what it returns.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::audit::{Action, Entry};

/// How long repeats of one kind of refusal are counted before their summary row is written.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Most kinds tracked at once; beyond it, new kinds share one more, catch-all kind.
pub const MAX_KINDS: usize = 4_096;

type Kind = (String, u16, Option<&'static str>, Option<String>);

#[derive(Debug)]
struct Slot {
    started: Instant,
    repeats: u64,
    sample: Entry,
}

/// The refusals seen in the current windows.
#[derive(Debug)]
pub struct RefusalGate {
    window: Duration,
    slots: HashMap<Kind, Slot>,
}

impl Default for RefusalGate {
    fn default() -> Self {
        Self::new(WINDOW)
    }
}

impl RefusalGate {
    /// A gate counting repeats over `window`.
    pub fn new(window: Duration) -> Self {
        Self { window, slots: HashMap::new() }
    }

    /// A refusal happened: the rows to audit now (the refusal itself when it opens a window,
    /// preceded by the summary of the window of its kind that just ended; nothing for a repeat).
    pub fn admit(&mut self, entry: Entry, now: Instant) -> Vec<Entry> {
        let mut rows = Vec::new();
        let mut kind: Kind = (entry.device.clone(), entry.status, entry.reason, entry.subject.clone());
        if !self.slots.contains_key(&kind) && self.slots.len() >= MAX_KINDS {
            rows.extend(self.expire(entry.at, now));
            if self.slots.len() >= MAX_KINDS {
                kind = ("*".into(), 0, None, None);
            }
        }
        match self.slots.get_mut(&kind) {
            Some(slot) if now.duration_since(slot.started) < self.window => {
                slot.repeats += 1;
                return rows;
            }
            Some(slot) => {
                if let Some(summary) = summary(slot, entry.at) {
                    rows.push(summary);
                }
                *slot = Slot { started: now, repeats: 0, sample: entry.clone() };
            }
            None => {
                self.slots.insert(kind, Slot { started: now, repeats: 0, sample: entry.clone() });
            }
        }
        rows.push(entry);
        rows
    }

    /// Closes the windows that ended by `now`: their summary rows (only for kinds that repeated).
    pub fn expire(&mut self, at: DateTime<Utc>, now: Instant) -> Vec<Entry> {
        let window = self.window;
        let mut rows = Vec::new();
        self.slots.retain(|_, slot| {
            if now.duration_since(slot.started) < window {
                return true;
            }
            rows.extend(summary(slot, at));
            false
        });
        rows
    }

    /// Kinds being counted now.
    pub fn kinds(&self) -> usize {
        self.slots.len()
    }
}

/// The row saying how many repeats a window counted, if any.
fn summary(slot: &Slot, at: DateTime<Utc>) -> Option<Entry> {
    (slot.repeats > 0).then(|| Entry {
        at,
        action: Action::RefusedRepeat,
        count: Some(slot.repeats),
        ..slot.sample.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(device: &str, status: u16) -> Entry {
        Entry {
            at: "2026-12-03T01:00:00Z".parse().unwrap(),
            center: String::new(),
            actor: "-".into(),
            device: device.into(),
            action: Action::Refused,
            case_id: None,
            subject: Some("/v1/pull".into()),
            status,
            reason: Some("unauthorized"),
            count: None,
        }
    }

    #[test]
    fn a_flood_is_one_row_then_one_summary_per_window() {
        let t0 = Instant::now();
        let mut gate = RefusalGate::new(Duration::from_secs(60));
        assert_eq!(gate.admit(refusal("-", 401), t0).len(), 1);
        for i in 0..10_000 {
            assert!(gate.admit(refusal("-", 401), t0 + Duration::from_millis(i)).is_empty());
        }
        // Another kind is audited on its own.
        assert_eq!(gate.admit(refusal("d-1", 403), t0).len(), 1);
        // The window ends: the next refusal brings the summary, then itself.
        let rows = gate.admit(refusal("-", 401), t0 + Duration::from_secs(61));
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].action, rows[0].count), (Action::RefusedRepeat, Some(10_000)));
        assert_eq!((rows[1].action, rows[1].count), (Action::Refused, None));
        // A window with no repeats leaves no summary; one with repeats is flushed by the timer.
        gate.admit(refusal("-", 401), t0 + Duration::from_secs(62));
        let rows = gate.expire(Utc::now(), t0 + Duration::from_secs(200));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].count, Some(1));
        assert_eq!(gate.kinds(), 0);
    }

    #[test]
    fn the_table_of_kinds_is_bounded() {
        let t0 = Instant::now();
        let mut gate = RefusalGate::new(Duration::from_secs(60));
        for i in 0..(MAX_KINDS + 500) {
            gate.admit(refusal(&format!("d-{i}"), 403), t0);
        }
        // The kinds beyond the limit share one catch-all kind.
        assert_eq!(gate.kinds(), MAX_KINDS + 1);
    }
}
