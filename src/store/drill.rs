//! Results of drills, kept in the drill database only (a desk database refuses them).

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{Store, StoreError, parse_ts, ts};

/// One finished drill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillResult {
    /// Scenario id.
    pub drill: String,
    /// The trainee's name.
    pub trainee: String,
    /// When it was finished.
    pub finished_at: DateTime<Utc>,
    /// Score 0–100.
    pub score: u32,
    /// Seconds taken.
    pub seconds: i64,
    /// Keys pressed.
    pub keystrokes: u32,
    /// What was missed, with reasons.
    pub missed: Vec<String>,
}

impl Store {
    /// Records a drill result.
    pub fn record_drill(&mut self, result: &DrillResult) -> Result<(), StoreError> {
        self.require_drill()?;
        self.conn.execute(
            "INSERT INTO drill_results(drill, trainee, finished_at, score, seconds, keystrokes, missed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                result.drill,
                result.trainee,
                ts(result.finished_at),
                result.score,
                result.seconds,
                result.keystrokes,
                serde_json::to_string(&result.missed).unwrap_or_default()
            ],
        )?;
        Ok(())
    }

    /// Every drill result, by trainee then scenario then time.
    pub fn drill_results(&self) -> Result<Vec<DrillResult>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT drill, trainee, finished_at, score, seconds, keystrokes, missed FROM drill_results
             ORDER BY trainee, drill, finished_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DrillResult {
                drill: r.get(0)?,
                trainee: r.get(1)?,
                finished_at: parse_ts(&r.get::<_, String>(2)?),
                score: r.get(3)?,
                seconds: r.get(4)?,
                keystrokes: r.get(5)?,
                missed: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
