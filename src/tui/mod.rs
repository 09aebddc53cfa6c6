//! The desk's terminal shell: sets up the terminal, feeds terminal events into [`app::App`] as
//! messages from a reader thread, draws after each message, and hands commands to the effects
//! worker, whose answers come back on the same channel.

pub mod app;
pub mod approval;
pub mod browser;
pub mod cases;
pub mod drill;
pub mod effects;
pub mod escape;
pub mod form;
pub mod handover;
pub mod input;
pub mod intake;
pub mod item_list;
pub mod keys;
pub mod lock;
pub mod setup;
pub mod supplement;
pub mod terminal;
pub mod text;
pub mod widgets;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;

use app::{App, Msg};
use effects::{Cmd, DeskConfig, Effects};

use crate::kb::Kb;
use crate::print::PrintConfig;
use crate::store::Store;

/// How often the clocks on screen refresh without input.
const TICK: Duration = Duration::from_millis(500);

/// The desk's clock: local wall time.
fn now() -> chrono::DateTime<chrono::Utc> {
    crate::time::now()
}

/// The scheduled backup of the desk's store to a second directory.
#[derive(Debug, Clone)]
pub struct Backup {
    /// The store's file.
    pub db: std::path::PathBuf,
    /// Where backups go.
    pub dir: std::path::PathBuf,
    /// How often.
    pub every: Duration,
}

/// What a real desk's shift adds to the screens: the scheduled backup and the lock of the
/// signed-in clerk (both absent in a drill).
#[derive(Debug, Clone, Default)]
pub struct Shift {
    /// The scheduled backup, if set.
    pub backup: Option<Backup>,
    /// The inactivity lock, when a clerk signed in.
    pub lock: Option<lock::Lock>,
}

/// Runs the desk until the clerk quits; reopens an unfinished case first. A draft whose journal
/// cannot be read is set aside (the desk starts and says so).
pub fn run(
    kb: Arc<Kb>,
    mut store: Store,
    config: Option<DeskConfig>,
    print: PrintConfig,
    drill: Option<drill::DrillSession>,
    sync: Option<(std::path::PathBuf, crate::sync::SyncConfig)>,
    shift: Shift,
) -> anyhow::Result<()> {
    let Shift { backup, lock } = shift;
    let mut app = App::new(kb.clone(), config.clone(), now());
    let (tx, rx) = mpsc::channel::<Msg>();
    if let Some(session) = drill {
        // A drill always starts fresh; drafts of earlier drills are not resumed.
        app.start_drill(session);
    } else {
        while let Some(case_id) = store.open_draft()? {
            match store.load(&case_id) {
                Ok(case) => {
                    app.resume(case_id, case);
                    break;
                }
                Err(e) => {
                    let label = store.set_aside(&case_id, &e.to_string(), now())?;
                    let _ = tx.send(Msg::Failed(format!(
                        "上次未办完的案件（{label}）有记录无法读取，已搁置：{e}。请运行 yichuang doctor 检查"
                    )));
                }
            }
        }
    }
    let pending = store.outbox_count()?;
    let _ = tx.send(Msg::Pending(pending));
    // Backups off the UI thread; dropping `_stop_backups` ends the thread.
    let (_stop_backups, stop) = mpsc::channel::<()>();
    if let Some(backup) = backup {
        let tx = tx.clone();
        std::thread::spawn(move || {
            loop {
                if let Err(e) = crate::store::backup_to(&backup.db, &backup.dir, now()) {
                    let _ = tx.send(Msg::Failed(format!("定时备份失败：{e}")));
                }
                if !matches!(stop.recv_timeout(backup.every), Err(mpsc::RecvTimeoutError::Timeout)) {
                    return;
                }
            }
        });
    }
    let mut effects = Effects::new(store, kb, config.unwrap_or_default(), print);
    // Sync with HQ off the UI thread; a drill database never gets here (the worker refuses it too).
    let sync_worker = match sync {
        Some((db, sync_config)) if effects.store.require_desk().is_ok() => {
            let status_tx = tx.clone();
            let worker = crate::sync::SyncWorker::spawn(&db, sync_config, move |status| {
                let _ = status_tx.send(Msg::Sync(status.clone()));
            })?;
            Some(Arc::new(worker))
        }
        _ => None,
    };
    if let Some(worker) = &sync_worker {
        let worker = worker.clone();
        effects.on_outbox(Box::new(move || worker.nudge()));
    }
    let (commands, worker) = effects::spawn_worker(effects, tx.clone());
    let mut terminal = ratatui::init();
    execute!(std::io::stdout(), EnableBracketedPaste)?;
    let result = event_loop(&mut terminal, app, lock, &tx, &rx, &commands);
    let _ = execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    // Let the worker journal everything already sent before the process ends.
    drop(commands);
    let lost = worker.join().unwrap_or(0);
    drop(sync_worker);
    if lost > 0 {
        eprintln!("警告：本地数据库仍无法写入，最后 {lost} 条记录未能保存（请释放磁盘空间后重新核对本案件）");
    }
    result
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    mut app: App,
    mut lock: Option<lock::Lock>,
    tx: &mpsc::Sender<Msg>,
    rx: &mpsc::Receiver<Msg>,
    commands: &mpsc::Sender<Cmd>,
) -> anyhow::Result<()> {
    terminal::spawn_reader(tx.clone(), Msg::from_event);
    terminal::spawn_signals(tx.clone(), |_| Msg::Terminate)?;
    terminal::survive_file_size_limit()?;
    loop {
        terminal.draw(|frame| {
            app.view(frame);
            if let Some(lock) = lock.as_ref().filter(|l| l.is_locked()) {
                lock.view(frame);
            }
        })?;
        let msg = match rx.recv_timeout(TICK) {
            Ok(msg) => msg,
            Err(mpsc::RecvTimeoutError::Timeout) => Msg::Tick(now()),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        };
        app.update(Msg::Tick(now()));
        // While locked, keys go to the lock and pastes are dropped; the app keeps everything else
        // (results, sync status, a terminating signal) and its draft.
        if let Some(lock) = lock.as_mut() {
            lock.tick(now());
            match &msg {
                Msg::Key(key) if lock.is_locked() => {
                    lock.key(*key, now());
                    continue;
                }
                Msg::Paste(_) if lock.is_locked() => continue,
                Msg::Key(key)
                    if key.code == crossterm::event::KeyCode::Char('l')
                        && key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL) =>
                {
                    lock.lock();
                    continue;
                }
                Msg::Key(_) | Msg::Paste(_) => lock.input(now()),
                _ => {}
            }
        }
        for cmd in app.update(msg) {
            if cmd == Cmd::Quit {
                return Ok(());
            }
            if commands.send(cmd).is_err() {
                anyhow::bail!("后台任务已停止");
            }
        }
    }
}
