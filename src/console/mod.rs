//! `yichuang console`: the back-office approver's TUI (DESIGN §7). Calls ring here in real time;
//! the approver takes one, answers (typed or canned) and resolves it, and decides accepted cases of
//! the department: 准予, 不予 (reason and legal basis), 退回补正 (naming the materials).

pub mod app;
pub mod model;
