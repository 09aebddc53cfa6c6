//! Which departments have an approver connected right now (a live event stream open). A call
//! rings for the connected approvers of its department; when none is connected it escalates to
//! the supervisors without waiting out the full escalation time.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// Connected approvers per department, shared by the routes and the escalation task.
#[derive(Debug, Clone, Default)]
pub struct Presence(Arc<Mutex<HashMap<String, usize>>>);

/// Held while one approver's stream is open; dropping it (the stream ended) counts them out.
#[derive(Debug)]
pub struct Connected {
    presence: Presence,
    department: String,
}

impl Presence {
    /// Counts an approver of `department` in until the returned guard is dropped.
    pub fn connect(&self, department: &str) -> Connected {
        if let Ok(mut map) = self.0.lock() {
            *map.entry(department.to_string()).or_default() += 1;
        }
        Connected { presence: self.clone(), department: department.to_string() }
    }

    /// The departments with at least one approver connected.
    pub fn attended(&self) -> BTreeSet<String> {
        self.0
            .lock()
            .map(|m| m.iter().filter(|(_, n)| **n > 0).map(|(d, _)| d.clone()).collect())
            .unwrap_or_default()
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        if let Ok(mut map) = self.presence.0.lock()
            && let Some(n) = map.get_mut(&self.department)
        {
            *n = n.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_department_is_attended_while_one_of_its_approvers_is_connected() {
        let presence = Presence::default();
        assert!(presence.attended().is_empty());
        let a = presence.connect("市场监管");
        let b = presence.connect("市场监管");
        assert!(presence.attended().contains("市场监管"));
        drop(a);
        assert!(presence.attended().contains("市场监管"));
        drop(b);
        assert!(presence.attended().is_empty());
    }
}
