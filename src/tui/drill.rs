//! Drill mode (演练): the trainee works scenarios in the normal desk screens under a banner, with the
//! applicant's visit described on screen; at the end the desk scores the intake and lists what was
//! missed. Runs only on a drill database, which never syncs.

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::text::wrap;
use super::widgets::{centered, clear_popup, popup_block};
use crate::drill::score::Score;
use crate::kb::Kb;
use crate::kb::drills::Drill;

/// A trainee's run through one or more scenarios.
#[derive(Debug, Clone)]
pub struct DrillSession {
    /// Scenario ids, in order.
    pub scenarios: Vec<String>,
    /// The scenario being worked.
    pub index: usize,
    /// The trainee's name, for the report.
    pub trainee: String,
    /// The score of the scenario just finished, shown until a key is pressed.
    pub result: Option<Score>,
}

impl DrillSession {
    /// A session over `scenarios` for `trainee`.
    pub fn new(scenarios: Vec<String>, trainee: String) -> Self {
        Self { scenarios, index: 0, trainee, result: None }
    }

    /// The current scenario.
    pub fn current<'k>(&self, kb: &'k Kb) -> Option<&'k Drill> {
        self.scenarios.get(self.index).and_then(|id| kb.drill(id))
    }

    /// Whether every scenario is done.
    pub fn finished(&self) -> bool {
        self.index >= self.scenarios.len()
    }

    /// How far the drill's "today" is from the wall clock, so deadlines fall as the scenario says.
    pub fn clock_offset(&self, kb: &Kb, wall: DateTime<Utc>) -> TimeDelta {
        self.current(kb).map_or(TimeDelta::zero(), |d| {
            // The scenario's date at the hall's wall-clock time of day.
            let local = crate::time::hall_local(wall);
            d.date.and_time(local.time()) - local
        })
    }

    /// Lines the narrative needs at `width`.
    pub fn narrative_lines(&self, kb: &Kb, width: u16) -> Vec<String> {
        let Some(drill) = self.current(kb) else { return Vec::new() };
        let mut lines = vec![format!("演练 {}/{}：{}", self.index + 1, self.scenarios.len(), drill.title)];
        for paragraph in drill.narrative.trim().lines().filter(|l| !l.trim().is_empty()) {
            lines.extend(wrap(paragraph.trim(), width, "", ""));
        }
        // What the trainee sees of each document handed over.
        let item = kb.item(&drill.item);
        for m in &drill.materials {
            if let Some(shows) = &m.shows {
                let name = item
                    .and_then(|i| i.materials.iter().find(|x| x.id == m.id))
                    .map_or(m.id.as_str(), |x| x.name.as_str());
                lines.extend(wrap(&format!("{name}：{shows}"), width, "- ", "  "));
            }
        }
        lines
    }

    /// Draws the narrative (what the applicant says and brings) in `area`.
    pub fn view_narrative(&self, kb: &Kb, frame: &mut Frame, area: Rect) {
        let lines: Vec<Line> = self
            .narrative_lines(kb, area.width.saturating_sub(2))
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let style = if i == 0 {
                    Style::new().fg(Color::Black).bg(Color::Magenta).bold()
                } else {
                    Style::new().fg(Color::Magenta)
                };
                Line::styled(l, style)
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines),
            Rect { x: area.x + 1, width: area.width.saturating_sub(2), ..area },
        );
    }

    /// Draws the score of the scenario just finished.
    pub fn view_result(&self, frame: &mut Frame, area: Rect) {
        let Some(score) = &self.result else { return };
        let mut lines = vec![
            format!("得分 {} / 100", score.total),
            format!(
                "受理决定{} | 问题材料 {}/{} | 通知书{} | 用时 {} 分 {} 秒 | 按键 {} 次",
                if score.decision_right { "正确" } else { "错误" },
                score.caught.0,
                score.caught.1,
                if score.notices_right { "正确" } else { "有误" },
                score.seconds / 60,
                score.seconds % 60,
                score.keystrokes
            ),
        ];
        if score.missed.is_empty() {
            lines.push("全部正确。".into());
        } else {
            lines.push("遗漏与错误：".into());
            for m in &score.missed {
                lines.extend(wrap(m, 72, "- ", "  "));
            }
        }
        lines.push(String::new());
        lines.push(if self.index + 1 < self.scenarios.len() {
            "按 Enter 开始下一个演练场景".into()
        } else {
            "全部演练已完成，按 F10 退出；成绩见 yichuang drill report".into()
        });
        let popup = centered(area, 78, lines.len() as u16 + 2);
        clear_popup(frame, popup);
        let lines: Vec<Line> = lines.into_iter().map(Line::from).collect();
        frame.render_widget(Paragraph::new(lines).block(popup_block(" 演练评分 ")), popup);
    }
}
