//! `yichuang console`: the back-office approver's TUI (DESIGN §7). Calls ring here in real time;
//! the approver takes one, answers (typed or canned) and resolves it, and decides accepted cases of
//! the department: 准予, 不予 (reason and legal basis), 退回补正 (naming the materials).

pub mod app;
pub mod model;

use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;

use crate::intake::approval::ApprovalDecision;
use crate::protocol::{ChangeResult, ChangeStatus, DecisionRequest, ReplyRequest};
use crate::sync::{HqClient, SyncError};
use app::{Console, ConsoleMsg};
use model::ConsoleCmd;

/// HQ's clock (UTC): call times come from HQ, so waiting times use the same clock.
fn hq_now() -> chrono::DateTime<chrono::Utc> {
    crate::time::now()
}

/// Carries out one console command against HQ; the answer for the status line.
pub fn execute(client: &HqClient, cmd: &ConsoleCmd) -> Result<String, SyncError> {
    let id = || uuid::Uuid::new_v4().to_string();
    match cmd {
        ConsoleCmd::Quit => Ok(String::new()),
        ConsoleCmd::Take { call_id } => {
            client.take_call(call_id).map(|_| "已接听：呼叫已移到「我的呼叫」，可直接输入答复".into())
        }
        ConsoleCmd::Answer { call_id, text } => client
            .reply(call_id, &ReplyRequest { id: id(), text: text.clone(), resolve: false })
            .map(|r| refused(&r).unwrap_or_else(|| "答复已发送".into())),
        ConsoleCmd::Resolve { call_id } => client.resolve_call(call_id).map(|_| "呼叫已解决".into()),
        ConsoleCmd::Decide { case_id, decision } => client
            .decide(&DecisionRequest { id: id(), case_id: case_id.clone(), decision: decision.clone() })
            .map(|r| {
                refused(&r).unwrap_or_else(|| match decision {
                    ApprovalDecision::Approve => "已准予，结果将出现在窗口的出件列表".into(),
                    ApprovalDecision::Refuse { .. } => "已作出不予许可决定".into(),
                    ApprovalDecision::RequestCorrection { .. } => "已退回补正，窗口可打印一次性告知书".into(),
                })
            }),
    }
}

/// HQ's reason when it did not apply an answer or a decision (a conflict is a 200 with a reason).
fn refused(result: &ChangeResult) -> Option<String> {
    (result.status == ChangeStatus::Conflict)
        .then(|| format!("未执行：{}", result.message.as_deref().unwrap_or("与总部记录冲突")))
}

/// Runs the approver's console until quit: the screen, a worker carrying out commands, a poller
/// refreshing calls and the queue (woken at once by HQ's live event stream).
pub fn run(client: HqClient) -> anyhow::Result<()> {
    let me = client.whoami()?;
    let department = me.department.clone().unwrap_or_else(|| "全部部门".into());
    let supervisor = me.role == crate::protocol::Role::Supervisor;
    let mut console = Console::new(&me.name(), &department, hq_now());
    if supervisor {
        console = console.supervising();
    }
    let (tx, rx) = mpsc::channel::<ConsoleMsg>();
    let (wake_tx, wake_rx) = mpsc::channel::<()>();
    // Poller: calls and queue (and a supervisor's exceptions), every second or when an event
    // arrives.
    {
        let (client, tx) = (client.clone(), tx.clone());
        std::thread::spawn(move || {
            loop {
                let calls = client.open_calls();
                let queue = client.queue();
                // HQ serves the center's exceptions to supervisors only.
                let exceptions = supervisor.then(|| client.exceptions());
                let online = calls.is_ok() && queue.is_ok() && exceptions.as_ref().is_none_or(Result::is_ok);
                let sent = [
                    calls.map(ConsoleMsg::Calls),
                    queue.map(ConsoleMsg::Queue),
                    Ok(ConsoleMsg::Online(online)),
                ]
                .into_iter()
                .chain(exceptions.map(|e| e.map(ConsoleMsg::Exceptions)))
                .flatten()
                .all(|m| tx.send(m).is_ok());
                if !sent {
                    return;
                }
                match wake_rx.recv_timeout(Duration::from_secs(1)) {
                    Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => while wake_rx.try_recv().is_ok() {},
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        });
    }
    // Live stream: any event wakes the poller; reconnects by itself from the last id.
    {
        let (client, wake) = (client.clone(), wake_tx.clone());
        std::thread::spawn(move || {
            // From the start of the department's feed: replayed items only wake the poller once.
            let mut last = 0;
            loop {
                let result = client.listen(last, Duration::from_secs(300), &|| true, &mut |id| {
                    last = id;
                    let _ = wake.send(());
                });
                if let Ok(id) = result {
                    last = id;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
    }
    // Worker: commands to HQ, answers back as messages.
    let (cmd_tx, cmd_rx) = mpsc::channel::<ConsoleCmd>();
    {
        let (client, tx, wake) = (client.clone(), tx.clone(), wake_tx);
        std::thread::spawn(move || {
            while let Ok(cmd) = cmd_rx.recv() {
                let msg = match execute(&client, &cmd) {
                    Ok(text) => ConsoleMsg::Done(text),
                    Err(e) => ConsoleMsg::Failed(e.to_string()),
                };
                let _ = wake.send(());
                if tx.send(msg).is_err() {
                    return;
                }
            }
        });
    }
    crate::tui::terminal::spawn_reader(tx.clone(), ConsoleMsg::from_event);
    crate::tui::terminal::spawn_signals(tx.clone(), |_| ConsoleMsg::Terminate)?;
    let mut terminal = ratatui::init();
    execute!(std::io::stdout(), EnableBracketedPaste)?;
    let result = (|| -> anyhow::Result<()> {
        loop {
            terminal.draw(|f| console.view(f))?;
            let msg = match rx.recv_timeout(Duration::from_millis(500)) {
                Ok(msg) => msg,
                Err(mpsc::RecvTimeoutError::Timeout) => ConsoleMsg::Tick(hq_now()),
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            };
            console.update(ConsoleMsg::Tick(hq_now()));
            for cmd in console.update(msg) {
                if cmd == ConsoleCmd::Quit {
                    return Ok(());
                }
                let _ = cmd_tx.send(cmd);
            }
        }
    })();
    let _ = execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    result
}
