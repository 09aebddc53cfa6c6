//! The terminal side of the desk's and the console's shells: a reader thread that turns terminal
//! input into messages (with Esc bursts repaired, `src/tui/escape.rs`) and a thread that turns
//! SIGTERM, SIGHUP and SIGINT into a message, so the loop ends the normal way — the terminal leaves
//! raw mode and the alternate screen, and the journal worker writes everything sent — instead of
//! the process dying with the terminal unusable.

use std::sync::mpsc::Sender;
use std::time::Duration;

use crossterm::event::Event;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGXFSZ};

use super::escape::EscapeRepair;

/// Reads terminal events on a thread and sends `map(event)` for those that matter, until the
/// receiver is gone.
pub fn spawn_reader<M: Send + 'static>(tx: Sender<M>, map: impl Fn(Event) -> Option<M> + Send + 'static) {
    std::thread::spawn(move || {
        let mut repair = EscapeRepair::default();
        while let Ok(event) = crossterm::event::read() {
            // Events of the same read are already parsed and waiting.
            let more = crossterm::event::poll(Duration::ZERO).unwrap_or(false);
            let mut events = repair.push(event, more);
            if !more {
                events.extend(repair.flush());
            }
            for event in events {
                if let Some(msg) = map(event)
                    && tx.send(msg).is_err()
                {
                    return;
                }
            }
        }
    });
}

/// Sends `message(signal)` when the process gets SIGTERM, SIGHUP or SIGINT (which then no longer
/// kill it outright: the loop receiving the message must end).
pub fn spawn_signals<M: Send + 'static>(
    tx: Sender<M>,
    message: impl Fn(i32) -> M + Send + 'static,
) -> std::io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if tx.send(message(signal)).is_err() {
                return;
            }
        }
    });
    Ok(())
}

/// Makes a write beyond the file-size limit (`ulimit -f`, RLIMIT_FSIZE) an I/O error instead of
/// the SIGXFSZ that would kill the desk with entries still held in memory: the store reports the
/// failed write, the desk shows its banner and retries (`src/tui/effects.rs`).
pub fn survive_file_size_limit() -> std::io::Result<()> {
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    signal_hook::flag::register(SIGXFSZ, seen).map(drop)
}
