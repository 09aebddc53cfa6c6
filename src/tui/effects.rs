//! The desk's effects: the commands the update loop asks for and the executor that carries them out
//! against the local store and the printer. The executor runs on a worker thread in the real desk,
//! so a slow disk or printer never blocks a keystroke; tests drive it synchronously.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};

use super::app::Msg;
use crate::intake::agency::form_notice;
use crate::intake::approval::ApprovalDecision;
use crate::intake::case::CaseEvent;
use crate::intake::notice::{Center, correction_notice, notices_for};
use crate::intake::rules::{CenterLevel, Decision};
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
    /// Load the results ready for handover; answers `Msg::Handover`.
    LoadHandover,
    /// Keep the center and window chosen at first run.
    SaveConfig(DeskConfig),
    /// Keep a drill's score (drill database only).
    RecordDrill(crate::store::DrillResult),
    /// Switch to the KB version HQ published and sync downloaded (only between intakes).
    SwitchKb,
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
}

impl Effects {
    /// An executor over `store`.
    pub fn new(store: Store, kb: Arc<Kb>, config: DeskConfig, print: PrintConfig) -> Self {
        Self { store, kb, config, print, outbox_written: None }
    }

    /// Asks to be told when the outbox gets new entries (the sync worker's nudge).
    pub fn on_outbox(&mut self, notify: Box<dyn Fn() + Send>) {
        self.outbox_written = Some(notify);
    }

    fn outbox_changed(&self) {
        if let Some(notify) = &self.outbox_written {
            notify();
        }
    }

    /// Runs one command; returns the message answering it, if any. Store errors become a message
    /// for the status bar: what was typed stays on screen and the clerk can retry.
    pub fn run(&mut self, cmd: Cmd) -> Option<Msg> {
        match self.try_run(cmd) {
            Ok(msg) => msg,
            Err(e) => Some(Msg::Failed(e.to_string())),
        }
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
            Cmd::Print { case_id } => {
                let case = self.store.load(&case_id)?;
                let result = match case.item_code.as_deref().and_then(|code| self.kb.item(code)) {
                    Some(item) => {
                        let center = Center {
                            name: self.config.center_name.clone(),
                            window: self.config.window.clone(),
                            clerk: self.config.clerk.clone(),
                        };
                        let mut notices = notices_for(&case, item, &center, &self.kb.calendar);
                        // Agency mode: the filled application form prints for the applicant's signature.
                        let form =
                            case.form_id.as_deref().and_then(|id| self.kb.forms.iter().find(|f| f.id == id));
                        if let (Some(form), Some(number), Some(at)) = (form, &case.number, case.finished_at) {
                            notices.push(form_notice(
                                &case,
                                item,
                                form,
                                &center,
                                number,
                                crate::time::hall_date(at),
                            ));
                        }
                        // The back office sent materials back (退回补正): their 一次性告知书.
                        let latest = match &case.number {
                            Some(number) => self.store.hq_decisions(number)?.pop(),
                            None => None,
                        };
                        if let Some((ApprovalDecision::RequestCorrection { materials, note }, at)) = latest
                            && let Some(n) = correction_notice(
                                &case,
                                item,
                                &center,
                                &materials,
                                &note,
                                crate::time::hall_date(at),
                            )
                        {
                            notices.push(n);
                        }
                        print::print_all(&notices, &self.print)
                    }
                    None => Err("知识库中没有本案件的事项，无法生成文书".into()),
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

/// Runs `effects` on its own thread: commands in, answers out as desk messages. Dropping the
/// sender ends the thread after it has carried out every command already sent; join it before exit
/// so nothing journaled is lost.
pub fn spawn_worker(mut effects: Effects, answers: Sender<Msg>) -> (Sender<Cmd>, JoinHandle<()>) {
    let (tx, rx): (Sender<Cmd>, Receiver<Cmd>) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        while let Ok(cmd) = rx.recv() {
            if let Some(msg) = effects.run(cmd)
                && answers.send(msg).is_err()
            {
                break;
            }
        }
    });
    (tx, handle)
}

const CENTER: &str = "center";
const CENTER_NAME: &str = "center_name";
const WINDOW: &str = "window";
const LEVEL: &str = "level";
const CLERK: &str = "clerk";

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
    store.set_setting(CLERK, &config.clerk)
}
