//! Intake finished: the case number, the decision, what was printed (or where the files are), and
//! Enter for the next applicant.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::Ctx;
use crate::intake::case::{Case, Field};
use crate::intake::rules::Decision;
use crate::tui::text::{layout_safe, provisional_note};

/// State of the finished screen.
#[derive(Debug, Default)]
pub struct DoneStep {
    /// Result of printing: the lines to show (printed / files written), or the error.
    pub printed: Option<Result<Vec<String>, String>>,
}

impl DoneStep {
    /// Draws the summary.
    pub fn view(&self, ctx: &Ctx, case: &Case, frame: &mut Frame, area: Rect) {
        let mut lines =
            vec![Line::styled("本次受理已办结", Style::new().fg(Color::Green).bold()), Line::from("")];
        if let Some(number) = &case.number {
            lines.push(Line::from(format!("案件编号：{number}")));
        }
        if let Some(decision) = &case.decision {
            lines.push(Line::from(format!("受理决定：{}", decision.label())));
            let cal = &ctx.kb.calendar;
            match decision {
                Decision::Accept { promised_date, .. } => {
                    lines.push(Line::from(format!("承诺办结日期：{}", cal.show(*promised_date))));
                }
                Decision::AcceptPending { supplements, promised_date, .. } => {
                    lines.push(Line::from(format!(
                        "承诺办结日期：{}（补齐材料后）",
                        cal.show(*promised_date)
                    )));
                    for s in supplements {
                        lines.push(Line::from(format!(
                            "  须于 {} 前补交：{}",
                            cal.show(s.deadline),
                            layout_safe(&s.deficiency.name)
                        )));
                    }
                }
                Decision::NoticeOfDeficiency { deficiencies, .. } => {
                    lines.push(Line::from(format!("已一次性告知 {} 项需补正的材料", deficiencies.len())));
                }
                Decision::Reject { .. } => {}
            }
            for c in case.check_tasks() {
                lines.push(Line::from(format!(
                    "  告知承诺：{}，部门于 {} 前核查",
                    layout_safe(&c.name),
                    cal.show(c.check_deadline)
                )));
            }
            provisional_note(&mut lines);
        }
        let name = case.field(Field::ApplicantName);
        if !name.is_empty() {
            lines.push(Line::from(format!("申请人：{}", layout_safe(name))));
        }
        if let Some(seconds) = case.finished_at.zip(case.started_at).map(|(f, s)| (f - s).num_seconds()) {
            lines.push(Line::from(format!("本次接待用时 {} 分 {} 秒", seconds / 60, seconds % 60)));
        }
        lines.push(Line::from(""));
        match &self.printed {
            None => lines.push(Line::styled("正在生成并打印文书...", Style::new().fg(Color::DarkGray))),
            Some(Ok(done)) => {
                lines.extend(
                    done.iter()
                        .map(|l| Line::styled(layout_safe(l).into_owned(), Style::new().fg(Color::Cyan))),
                );
            }
            Some(Err(e)) => {
                lines
                    .push(Line::styled(format!("打印失败：{}", layout_safe(e)), Style::new().fg(Color::Red)));
                lines.push(Line::from("按 p 重试；文书可在案件列表（F3）中重新打印。"));
            }
        }
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!("按 Enter 接待下一位申请人（{} 号窗口）", ctx.config.window),
            Style::new().fg(Color::Yellow),
        ));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}
