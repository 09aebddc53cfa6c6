//! Intake step 6: the invitation to rate (好差评). The clerk invites a rating but never makes or
//! suggests one (docs: GB/T 39734 practice; issue 14): the applicant rates on their own — on the
//! progress page HQ serves (src/hq/lookup_page.rs), from the QR code on the 受理通知书 or the one
//! the window shows in the case's detail. This step only says so; Enter finishes intake and prints.
//! (Older journals may hold a clerk-keyed `rated` event; it is still folded, never offered.)

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::Outcome;
use crate::intake::case::{Case, CaseEvent};
use crate::intake::rules::Decision;
use crate::tui::keys::{Action, Context};

/// State of the invitation step (none: nothing is chosen here).
#[derive(Debug, Default)]
pub struct RatingStep;

impl RatingStep {
    /// Entering the step.
    pub fn enter(&mut self, _case: &Case) {}

    /// The keyboard context.
    pub fn context(&self) -> Context {
        Context::Rating
    }

    /// Handles a key; `Outcome::Next` means: finish the intake.
    pub fn on_key(
        &mut self,
        _case: &Case,
        action: Option<Action>,
        _key: KeyEvent,
    ) -> (Outcome, Vec<CaseEvent>) {
        match action {
            Some(Action::Back) => (Outcome::Back, vec![]),
            Some(Action::Open) => (Outcome::Next, vec![]),
            _ => (Outcome::Stay, vec![]),
        }
    }

    /// Nothing to paste into.
    pub fn paste(&mut self, _text: &str) -> Vec<CaseEvent> {
        vec![]
    }

    /// Draws the invitation and what Enter will do.
    pub fn view(&self, _case: &Case, decision: Option<&Decision>, frame: &mut Frame, area: Rect) {
        let mut lines = vec![
            Line::styled("邀请申请人评价本次服务（好差评）", Style::new().bold()),
            Line::from(""),
            Line::from("评价由申请人本人进行，工作人员只作邀请，不代评、不暗示。"),
            Line::from("受理后，申请人可扫描受理通知书上的二维码，凭案件编号和查询码查询进度并评价；"),
            Line::from("也可扫描本窗口在案件详情中展示的评价二维码。办结后可再对办结环节评价。"),
            Line::from(""),
        ];
        if let Some(decision) = decision {
            lines.push(Line::styled(
                format!("按 Enter 办结：{}，分配案件编号并打印文书。", decision.label()),
                Style::new().fg(Color::Yellow),
            ));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}
