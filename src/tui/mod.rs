//! The desk's terminal shell: sets up the terminal, feeds terminal events into [`app::App`] as
//! messages from a reader thread, draws after each message, and carries out the commands.

pub mod app;
pub mod browser;
pub mod input;
pub mod keys;
pub mod text;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;

use app::{App, Cmd, Msg};

use crate::kb::Kb;

/// How often the clocks on screen refresh without input.
const TICK: Duration = Duration::from_millis(500);

/// Runs the desk until the clerk quits.
pub fn run(kb: Arc<Kb>) -> anyhow::Result<()> {
    let mut terminal = ratatui::init();
    execute!(std::io::stdout(), EnableBracketedPaste)?;
    let result = event_loop(&mut terminal, App::new(kb));
    let _ = execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    result
}

fn event_loop(terminal: &mut ratatui::DefaultTerminal, mut app: App) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel::<Msg>();
    std::thread::spawn(move || {
        while let Ok(event) = crossterm::event::read() {
            if let Some(msg) = Msg::from_event(event)
                && tx.send(msg).is_err()
            {
                break;
            }
        }
    });
    loop {
        terminal.draw(|frame| app.view(frame))?;
        let msg = match rx.recv_timeout(TICK) {
            Ok(msg) => msg,
            Err(mpsc::RecvTimeoutError::Timeout) => Msg::Tick,
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        };
        if app.update(msg).iter().any(|cmd| matches!(cmd, Cmd::Quit)) {
            return Ok(());
        }
    }
}
