//! Versioned migrations of the local store. Each entry runs once, in order, inside a transaction;
//! `PRAGMA user_version` records how far a database has come. Never edit a released migration:
//! add a new one.

/// The schema version whose migration also collapses pending keystroke entries of the outbox into
/// case-level changes (done in Rust by the store after the SQL below).
pub const CASE_LEVEL_OUTBOX: usize = 4;

/// Stands for migration 4's statements, which depend on the hall's zone.
const UTC_TIMES: &str = "-- naive hall times to UTC";

/// The columns (table, column) where a version-3 desk wrote naive wall-clock times of the hall.
const NAIVE_TIMES: &[(&str, &str)] = &[
    ("cases", "created_at"),
    ("cases", "updated_at"),
    ("cases", "finished_at"),
    ("outbox", "created_at"),
    ("outbox", "sent_at"),
    ("decisions", "received_at"),
    ("kb_versions", "announced_at"),
    ("kb_versions", "downloaded_at"),
    ("kb_versions", "active_at"),
    ("drill_results", "finished_at"),
];

/// A migration's SQL, with the hall zone filled in: migration 4 turns each naive time of
/// [`NAIVE_TIMES`] into UTC in `time::to_db`'s format; a value it cannot read stays as it was.
pub fn prepare(sql: &str, zone: crate::time::HallZone) -> String {
    if sql != UTC_TIMES {
        return sql.to_string();
    }
    let shift = -i64::from(zone.offset_secs);
    NAIVE_TIMES
        .iter()
        .map(|(table, column)| {
            format!(
                "UPDATE {table} SET {column} = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', {column}, '{shift} seconds'), {column})
                 WHERE {column} IS NOT NULL AND {column} NOT LIKE '%Z';\n"
            )
        })
        .collect()
}

/// The migrations, in order; index + 1 is the schema version they produce.
pub const MIGRATIONS: &[&str] = &[
    // 1: cases, their append-only journal, the outbox, settings, per-day case numbers, audit.
    r#"
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE cases (
        id             TEXT PRIMARY KEY,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        status         TEXT NOT NULL,
        number         TEXT UNIQUE,
        item_code      TEXT,
        applicant_name TEXT,
        id_number      TEXT,
        credit_code    TEXT,
        ticket         TEXT,
        decision       TEXT,
        deadline       TEXT,
        finished_at    TEXT
    );
    CREATE INDEX cases_status ON cases(status);
    CREATE INDEX cases_created ON cases(created_at);
    CREATE TABLE case_events (
        case_id  TEXT NOT NULL REFERENCES cases(id),
        seq      INTEGER NOT NULL,
        event_id TEXT NOT NULL UNIQUE,
        at       TEXT NOT NULL,
        body     TEXT NOT NULL,
        PRIMARY KEY (case_id, seq)
    );
    CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
        BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
    CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
        BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
    CREATE TABLE outbox (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id   TEXT NOT NULL UNIQUE,
        case_id    TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at    TEXT
    );
    CREATE INDEX outbox_unsent ON outbox(sent_at, id);
    CREATE TABLE day_sequence (
        day  TEXT PRIMARY KEY,
        last INTEGER NOT NULL
    );
    CREATE TABLE decisions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        case_number TEXT NOT NULL,
        kind        TEXT NOT NULL,
        body        TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE TABLE audit (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        at        TEXT NOT NULL,
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        case_id   TEXT,
        detail    TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    "#,
    // 2: sync with HQ: what HQ answered for each outbox entry, and KB versions announced by HQ.
    r#"
    ALTER TABLE outbox ADD COLUMN result TEXT;
    ALTER TABLE outbox ADD COLUMN hq_seq INTEGER;
    ALTER TABLE outbox ADD COLUMN message TEXT;
    CREATE TABLE kb_versions (
        hash          TEXT PRIMARY KEY,
        version       TEXT NOT NULL,
        files         TEXT,
        announced_at  TEXT NOT NULL,
        downloaded_at TEXT,
        active_at     TEXT
    );
    "#,
    // 3: drill results (only ever written in a drill database).
    r#"
    CREATE TABLE drill_results (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        drill       TEXT NOT NULL,
        trainee     TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        score       INTEGER NOT NULL,
        seconds     INTEGER NOT NULL,
        keystrokes  INTEGER NOT NULL,
        missed      TEXT NOT NULL
    );
    "#,
    // 4: one time model (src/time.rs). Instants were the desk's naive wall-clock time; they become
    //    UTC with an offset (the statements are made by `prepare` from NAIVE_TIMES). The journal
    //    (case_events) and the audit chain are append-only and keep their text (a naive time there
    //    is read as the hall's time). The outbox also drops pending keystroke entries
    //    (CASE_LEVEL_OUTBOX, done by the store).
    UTC_TIMES,
];
