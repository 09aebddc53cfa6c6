//! The desk's effects: the commands the update loop asks for and the executor that carries them out
//! against the local store and the printer. The executor runs on a worker thread in the real desk,
//! so a slow disk or printer never blocks a keystroke; tests drive it synchronously.
//!
//! No write is ever dropped: when the store cannot write (disk full, I/O error, locked), the command
//! and every command after it are held in order in memory, the desk is told
//! ([`Msg::StoreBlocked`]: it shows a blocking banner) and the executor retries until the write
//! succeeds ([`Msg::StoreRecovered`]). Nothing is answered as done before it is on disk.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::app::Msg;
use crate::intake::agency::{filled_forms, form_notice};
use crate::intake::approval::ApprovalDecision;
use crate::intake::case::CaseEvent;
use crate::intake::notice::{Center, Notice, correction_notice, delivery_receipt, notices_for};
use crate::intake::rules::{CenterLevel, Decision};
use crate::intake::supplement::receipt_notice;
use crate::kb::Kb;
use crate::print::{self, PrintConfig};
use crate::store::{Store, StoreError};

/// Who and where the desk is: printed on notices and part of every case number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeskConfig {
    /// Center id (part of case numbers), e.g. `HRBDL`.
    pub center: String,
    /// The center's name as printed on notices.
    pub center_name: String,
    /// Window id, e.g. `05`.
    pub window: String,
    /// District or community center, to tell which items are handled here.
    pub level: CenterLevel,
    /// The clerk's name or id, for the audit and notices.
    pub clerk: String,
    /// The applicant's progress page at HQ (`--lookup-url`): printed on the 受理通知书 and shown
    /// in a case's detail as the window's rating address.
    pub lookup_url: Option<String>,
}

/// Effects the shell must carry out. Each is independent of the terminal.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    /// Restore the terminal and exit.
    Quit,
    /// Start a case with this id (made by the desk, so the UI never waits for the store).
    CreateCase {
        /// The new case's id.
        case_id: String,
        /// When service started.
        at: DateTime<Utc>,
    },
    /// Journal one change of a case.
    Journal {
        /// The case.
        case_id: String,
        /// The change.
        event: CaseEvent,
        /// When.
        at: DateTime<Utc>,
    },
    /// Finish intake: allocate the case number and record the decision; answers `Msg::Finished`.
    Finish {
        /// The case.
        case_id: String,
        /// The decision the rules gave.
        decision: Decision,
        /// When.
        at: DateTime<Utc>,
    },
    /// Print the case's notices; answers `Msg::Printed`.
    Print {
        /// The case.
        case_id: String,
    },
    /// Print the 送达回证 of a case just handed over; answers `Msg::Printed`.
    PrintDelivery {
        /// The case.
        case_id: String,
    },
    /// Print the 材料接收凭证 of one supplement of the case; answers `Msg::Printed`.
    PrintReceipt {
        /// The case.
        case_id: String,
        /// The receipt's number.
        receipt: String,
    },
    /// Load the case list for a query; answers `Msg::Cases`.
    LoadCases {
        /// Search text (number, name, ID, item code); empty = recent cases.
        query: String,
    },
    /// Load one case; answers `Msg::CaseLoaded`.
    LoadCase {
        /// The case.
        case_id: String,
    },
    /// Load one case with its history and the notices it prints, for the case detail; answers
    /// `Msg::CaseDetail`.
    LoadCaseDetail {
        /// The case.
        case_id: String,
    },
    /// Print one of the case's notices again (index into the list `Msg::CaseDetail` named);
    /// answers `Msg::Printed`.
    PrintNotice {
        /// The case.
        case_id: String,
        /// Which notice.
        index: usize,
    },
    /// Load the results ready for handover; answers `Msg::Handover`.
    LoadHandover,
    /// Keep the center and window chosen at first run.
    SaveConfig(DeskConfig),
    /// Keep a drill's score (drill database only).
    RecordDrill(crate::store::DrillResult),
    /// Switch to the KB version HQ published and sync downloaded (only between intakes).
    SwitchKb,
}

impl Cmd {
    /// Whether the command writes to the store (and so must be held and retried, never dropped).
    fn writes(&self) -> bool {
        matches!(
            self,
            Cmd::CreateCase { .. }
                | Cmd::Journal { .. }
                | Cmd::Finish { .. }
                | Cmd::SaveConfig(_)
                | Cmd::RecordDrill(_)
        )
    }
}

/// How long the worker waits before retrying a held write.
pub const RETRY_EVERY: Duration = Duration::from_secs(1);

/// What the clerk reads on the blocking banner for a write that failed with `error`: what is
/// wrong, and what to do.
fn blocked_reason(error: &rusqlite::Error) -> Option<String> {
    use rusqlite::ErrorCode as C;
    let what = match error.sqlite_error_code()? {
        C::DiskFull => "磁盘空间已满，本地数据库无法写入。请释放磁盘空间（删除不需要的文件，或请运维扩容）",
        C::SystemIoFailure => {
            "磁盘读写出错，本地数据库无法写入。请检查磁盘（是否已满、已拔出或损坏），或请运维处理"
        }
        C::DatabaseBusy | C::DatabaseLocked | C::FileLockingProtocolFailed => {
            "本地数据库被其他程序占用。请关闭同时打开本数据库的其他程序"
        }
        C::ReadOnly | C::CannotOpen | C::PermissionDenied => {
            "本地数据库无法写入（只读或无权限）。请检查数据目录的权限，或请运维处理"
        }
        C::OutOfMemory => "内存不足，本地数据库无法写入。请关闭其他程序",
        _ => return None,
    };
    Some(format!("{what}（{error}）"))
}

/// Carries out commands against the store; holds everything IO needs.
pub struct Effects {
    /// The local store.
    pub store: Store,
    kb: Arc<Kb>,
    config: DeskConfig,
    print: PrintConfig,
    /// Called after something went into the outbox, so sync sends it at once.
    outbox_written: Option<Box<dyn Fn() + Send>>,
    /// A write that failed and every command after it, in order, until the store writes again.
    held: VecDeque<Cmd>,
    /// Whether the desk was told the store is blocked (and must be told when it writes again).
    blocked: bool,
    /// The outbox changed since the desk was last told its size (the status bar's pending count).
    outbox_dirty: bool,
}

impl Effects {
    /// An executor over `store`.
    pub fn new(store: Store, kb: Arc<Kb>, config: DeskConfig, print: PrintConfig) -> Self {
        Self {
            store,
            kb,
            config,
            print,
            outbox_written: None,
            held: VecDeque::new(),
            blocked: false,
            outbox_dirty: false,
        }
    }

    /// How many commands wait for the store to write again (0 when nothing is held).
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Asks to be told when the outbox gets new entries (the sync worker's nudge).
    pub fn on_outbox(&mut self, notify: Box<dyn Fn() + Send>) {
        self.outbox_written = Some(notify);
    }

    fn outbox_changed(&mut self) {
        self.outbox_dirty = true;
        if let Some(notify) = &self.outbox_written {
            notify();
        }
    }

    /// Runs one command after any held ones; returns the messages answering them. A write the store
    /// cannot make now is held with everything after it ([`Msg::StoreBlocked`]); other errors become
    /// a message for the status bar.
    pub fn run(&mut self, cmd: Cmd) -> Vec<Msg> {
        self.held.push_back(cmd);
        self.drain()
    }

    /// Retries the held commands (the worker calls this every [`RETRY_EVERY`] while any are held).
    pub fn retry(&mut self) -> Vec<Msg> {
        if self.held.is_empty() { vec![] } else { self.drain() }
    }

    fn drain(&mut self) -> Vec<Msg> {
        let mut out = Vec::new();
        while let Some(cmd) = self.held.pop_front() {
            let writes = cmd.writes();
            match self.try_run(cmd.clone()) {
                Ok(msg) => out.extend(msg),
                Err(StoreError::Sqlite(e)) if writes && blocked_reason(&e).is_some() => {
                    self.held.push_front(cmd);
                    let reason = blocked_reason(&e).unwrap_or_default();
                    out.push(Msg::StoreBlocked { reason, held: self.held.len() });
                    self.blocked = true;
                    return out;
                }
                Err(e) => out.push(Msg::Failed(e.to_string())),
            }
        }
        if std::mem::take(&mut self.blocked) {
            out.push(Msg::StoreRecovered);
        }
        // The status bar's pending count follows the outbox at once, with or without HQ.
        if std::mem::take(&mut self.outbox_dirty)
            && let Ok(n) = self.store.outbox_count()
        {
            out.push(Msg::Pending(n));
        }
        out
    }

    /// Who issues this desk's notices.
    fn center(&self) -> Center {
        Center {
            name: self.config.center_name.clone(),
            window: self.config.window.clone(),
            clerk: self.config.clerk.clone(),
            lookup_url: self.config.lookup_url.clone(),
        }
    }

    /// The notices a case prints, in order: the intake's, every filled agency form, the
    /// 一次性告知书 of the back office's latest 退回补正 and, once handed over, the 送达回证. The inner
    /// error says why there are none.
    fn notices(
        &mut self,
        case: &crate::intake::case::Case,
    ) -> Result<Result<Vec<Notice>, String>, StoreError> {
        let Some(item) = case.item_code.as_deref().and_then(|code| self.kb.item(code)) else {
            return Ok(Err("知识库中没有本案件的事项，无法生成文书".into()));
        };
        let center = self.center();
        let mut notices = notices_for(case, item, &center, &self.kb.calendar);
        // Agency mode: every filled form prints for the applicant's signature (empty required
        // fields marked; the desk listed them before).
        if let (Some(number), Some(at)) = (&case.number, case.finished_at) {
            for form in filled_forms(&self.kb, case) {
                notices.push(form_notice(case, item, form, &center, number, crate::time::hall_date(at)));
            }
        }
        // The back office sent materials back (退回补正): their 一次性告知书.
        let latest = match &case.number {
            Some(number) => self.store.hq_decisions(number)?.pop(),
            None => None,
        };
        if let Some((ApprovalDecision::RequestCorrection { materials, note }, at)) = latest
            && let Some(n) =
                correction_notice(case, item, &center, &materials, &note, crate::time::hall_date(at))
        {
            notices.push(n);
        }
        // Each supplement's 材料接收凭证 that stands (not undone).
        notices.extend(
            case.receipts
                .iter()
                .filter(|r| r.undone_at.is_none())
                .filter_map(|r| receipt_notice(case, item, &center, r, crate::time::hall_date(r.at))),
        );
        notices.extend(delivery_receipt(case, item, &center));
        Ok(Ok(notices))
    }

    fn try_run(&mut self, cmd: Cmd) -> Result<Option<Msg>, StoreError> {
        Ok(match cmd {
            Cmd::Quit => None,
            Cmd::CreateCase { case_id, at } => {
                self.store.create_case_with_id(&case_id, at)?;
                None
            }
            Cmd::Journal { case_id, event, at } => {
                let urgent = event.is_urgent();
                let finished = self.store.append(&case_id, event, at)?.number.is_some();
                if urgent || finished {
                    self.outbox_changed();
                }
                None
            }
            Cmd::Finish { case_id, decision, at } => {
                let case = self
                    .store
                    .finish(&case_id, &self.config.center, &self.config.window, decision, at)?
                    .clone();
                self.outbox_changed();
                Some(Msg::Finished { case_id, case })
            }
            Cmd::PrintDelivery { case_id } => {
                // The handover was journaled through the same store just before.
                self.store.forget(&case_id);
                let case = self.store.load(&case_id)?;
                let item = case.item_code.as_deref().and_then(|code| self.kb.item(code));
                let result = match item.and_then(|item| delivery_receipt(&case, item, &self.center())) {
                    Some(notice) => print::print_all(&[notice], &self.print),
                    None => Err("本案件尚未出件或知识库中没有其事项，无法生成送达回证".into()),
                };
                Some(Msg::Printed { case_id, result })
            }
            Cmd::Print { case_id } => {
                let case = self.store.load(&case_id)?;
                let result = self.notices(&case)?.and_then(|notices| print::print_all(&notices, &self.print));
                Some(Msg::Printed { case_id, result })
            }
            Cmd::PrintNotice { case_id, index } => {
                let case = self.store.load(&case_id)?;
                let result =
                    self.notices(&case)?.and_then(|notices| print::print_nth(&notices, index, &self.print));
                Some(Msg::Printed { case_id, result })
            }
            Cmd::LoadCaseDetail { case_id } => {
                self.store.forget(&case_id);
                let case = self.store.load(&case_id)?;
                let events: Vec<_> =
                    self.store.events(&case_id)?.into_iter().map(|(_, at, event)| (at, event)).collect();
                let decisions = match &case.number {
                    Some(number) => self.store.hq_decisions(number)?,
                    None => vec![],
                };
                let history = super::cases::history(&self.kb, &events, &decisions);
                let notices = match self.notices(&case)? {
                    Ok(notices) => notices.iter().map(|n| n.title().to_string()).collect(),
                    Err(_) => vec![],
                };
                Some(Msg::CaseDetail { case_id, case, history, notices })
            }
            Cmd::PrintReceipt { case_id, receipt } => {
                let case = self.store.load(&case_id)?;
                let center = self.center();
                let item = case.item_code.as_deref().and_then(|code| self.kb.item(code));
                let record = case.receipts.iter().find(|r| r.number == receipt);
                let notice = item.zip(record).and_then(|(item, r)| {
                    receipt_notice(&case, item, &center, r, crate::time::hall_date(r.at))
                });
                let result = match notice {
                    Some(notice) => print::print_all(&[notice], &self.print),
                    None => Err(format!("找不到补正收件 {receipt}，无法打印材料接收凭证")),
                };
                Some(Msg::Printed { case_id, result })
            }
            Cmd::LoadCases { query } => {
                Some(Msg::Cases(self.store.list(&query, &self.kb.codes_named(&query), 500)?))
            }
            Cmd::LoadCase { case_id } => {
                // The sync worker writes through its own connection: read the journal afresh.
                self.store.forget(&case_id);
                let case = self.store.load(&case_id)?;
                Some(Msg::CaseLoaded { case_id, case })
            }
            Cmd::LoadHandover => Some(Msg::Handover(self.store.ready_for_handover()?)),
            Cmd::SwitchKb => match crate::sync::ready_kb(&self.store) {
                Ok(Some((hash, kb))) => {
                    self.store.activate_kb(&hash, crate::time::now())?;
                    self.kb = Arc::new(kb);
                    Some(Msg::KbSwitched(super::app::SharedKb(self.kb.clone())))
                }
                Ok(None) => None,
                Err(e) => Some(Msg::Failed(format!("无法切换知识库：{e}"))),
            },
            Cmd::RecordDrill(result) => {
                self.store.record_drill(&result)?;
                None
            }
            Cmd::SaveConfig(config) => {
                save_config(&self.store, &config)?;
                self.config = config;
                None
            }
        })
    }
}

/// How often a desk that is quitting retries writes still held before giving up.
const FINAL_RETRIES: u32 = 5;

/// Runs `effects` on its own thread: commands in, answers out as desk messages; held writes are
/// retried every [`RETRY_EVERY`]. Dropping the sender ends the thread after it has carried out
/// every command already sent (retrying held writes a few more times); join it before exit so
/// nothing journaled is lost. Returns how many commands could not be written in the end.
pub fn spawn_worker(mut effects: Effects, answers: Sender<Msg>) -> (Sender<Cmd>, JoinHandle<usize>) {
    let (tx, rx): (Sender<Cmd>, Receiver<Cmd>) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        loop {
            let msgs = match rx.recv_timeout(RETRY_EVERY) {
                Ok(cmd) => effects.run(cmd),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => effects.retry(),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            };
            for msg in msgs {
                // The desk is gone (quitting): keep writing what was sent.
                let _ = answers.send(msg);
            }
        }
        for _ in 0..FINAL_RETRIES {
            if effects.held() == 0 {
                break;
            }
            std::thread::sleep(RETRY_EVERY);
            effects.retry();
        }
        effects.held()
    });
    (tx, handle)
}

const CENTER: &str = "center";
const CENTER_NAME: &str = "center_name";
const WINDOW: &str = "window";
const LEVEL: &str = "level";
const CLERK: &str = "clerk";
/// The setting holding the applicant's progress page at HQ (`yichuang desk --lookup-url`).
pub const LOOKUP_URL: &str = "lookup_url";

/// The desk's configuration as kept in the store's settings, if set up.
pub fn load_config(store: &Store) -> Result<Option<DeskConfig>, StoreError> {
    let (Some(center), Some(window)) = (store.setting(CENTER)?, store.setting(WINDOW)?) else {
        return Ok(None);
    };
    let level = match store.setting(LEVEL)?.as_deref() {
        Some("community") => CenterLevel::Community,
        _ => CenterLevel::District,
    };
    Ok(Some(DeskConfig {
        center_name: store.setting(CENTER_NAME)?.unwrap_or_else(|| center.clone()),
        center,
        window,
        level,
        clerk: store.setting(CLERK)?.unwrap_or_default(),
        lookup_url: store.setting(LOOKUP_URL)?.filter(|u| !u.trim().is_empty()),
    }))
}

/// Keeps the configuration in the store's settings.
pub fn save_config(store: &Store, config: &DeskConfig) -> Result<(), StoreError> {
    store.set_setting(CENTER, &config.center)?;
    store.set_setting(CENTER_NAME, &config.center_name)?;
    store.set_setting(WINDOW, &config.window)?;
    let level = match config.level {
        CenterLevel::District => "district",
        CenterLevel::Community => "community",
    };
    store.set_setting(LEVEL, level)?;
    store.set_setting(LOOKUP_URL, config.lookup_url.as_deref().unwrap_or(""))?;
    store.set_setting(CLERK, &config.clerk)
}
