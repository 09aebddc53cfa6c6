//! yichuang (一窗): the combined-window workstation. The library holds the functional core (knowledge
//! base, intake rules, validators) and the shells (TUI, CLI) that the binary dispatches to.

pub mod cli;
pub mod console;
pub mod drill;
pub mod hq;
pub mod intake;
pub mod kb;
pub mod print;
pub mod protocol;
pub mod store;

pub mod sync;
pub mod time;
pub mod tui;
