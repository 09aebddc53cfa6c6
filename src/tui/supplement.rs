//! Taking a supplement at the window like an intake (case detail, `s`): the materials a 容缺 case
//! still owes, or those the back office sent back (退回补正), each with its checkpoints and typical
//! defects beside it, marked `1` 合格 / `2` 有缺陷 (again: the next typical defect) / `3` 缺少.
//! `Enter` records the supplement (one journaled event, `src/intake/supplement.rs`) and prints its
//! 材料接收凭证; `Esc` leaves without recording anything.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::keys::Action;
use super::text::layout_safe;
use crate::intake::case::{Case, CaseEvent};
use crate::intake::rules::MaterialState;
use crate::intake::supplement::{
    ReceivedMaterial, SupplementKind, completes, concerned, next_receipt_number,
};
use crate::kb::Item;

/// One material being checked.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    name: String,
    state: Option<MaterialState>,
}

/// A supplement being checked.
#[derive(Debug)]
pub struct SupplementSession {
    kind: SupplementKind,
    rows: Vec<Row>,
    selected: usize,
    message: Option<String>,
}

/// What a key did to the session.
#[derive(Debug, PartialEq)]
pub enum SessionStep {
    /// Still checking.
    Stay,
    /// Left without recording.
    Cancel,
    /// Record this event (a [`CaseEvent::SupplementReceived`]) and print its receipt.
    Record(Box<CaseEvent>),
}

/// The KB's typical defects of a material, or a generic one naming its first checkpoint.
fn defects(item: &Item, id: &str) -> Vec<String> {
    let Some(m) = item.materials.iter().find(|m| m.id == id) else {
        return vec!["不符合受理标准".into()];
    };
    if m.defects.is_empty() {
        vec![match m.checkpoints.first() {
            Some(c) => format!("不符合受理标准：{c}"),
            None => "不符合受理标准".into(),
        }]
    } else {
        m.defects.iter().map(|d| d.text.clone()).collect()
    }
}

impl SupplementSession {
    /// A session over what the case waits for; the reason when it waits for nothing.
    pub fn open(case: &Case, item: &Item) -> Result<Self, &'static str> {
        let Some((kind, rows)) = concerned(case, item) else {
            return Err("本案件没有待补正的材料");
        };
        let rows = rows.into_iter().map(|(id, name, _)| Row { id, name, state: None }).collect();
        Ok(Self { kind, rows, selected: 0, message: None })
    }

    /// Handles a key.
    pub fn on_key(
        &mut self,
        item: &Item,
        case: &Case,
        action: Option<Action>,
        now: DateTime<Utc>,
    ) -> SessionStep {
        self.message = None;
        let last = self.rows.len().saturating_sub(1);
        let Some(row) = self.rows.get_mut(self.selected) else { return SessionStep::Cancel };
        match action {
            Some(Action::Back) => return SessionStep::Cancel,
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(last),
            Some(Action::MarkOk) => {
                row.state = Some(MaterialState::Ok);
                self.selected = (self.selected + 1).min(last);
            }
            Some(Action::MarkMissing) => {
                row.state = Some(MaterialState::Missing);
                self.selected = (self.selected + 1).min(last);
            }
            Some(Action::ClearMark) => row.state = None,
            Some(Action::MarkDefect) => {
                let list = defects(item, &row.id);
                let next = match &row.state {
                    Some(MaterialState::Defect { text }) => {
                        list.iter().position(|d| d == text).map_or(0, |i| (i + 1) % list.len())
                    }
                    _ => 0,
                };
                row.state = Some(MaterialState::Defect { text: list[next].clone() });
            }
            Some(Action::Open) => return self.record(case, now),
            _ => {}
        }
        SessionStep::Stay
    }

    fn record(&mut self, case: &Case, now: DateTime<Utc>) -> SessionStep {
        let open = self.rows.iter().filter(|r| r.state.is_none()).count();
        if open > 0 {
            self.message = Some(format!("还有 {open} 项材料未标记（1 合格 / 2 有缺陷 / 3 缺少）"));
            self.selected = self.rows.iter().position(|r| r.state.is_none()).unwrap_or(0);
            return SessionStep::Stay;
        }
        let materials: Vec<ReceivedMaterial> = self
            .rows
            .iter()
            .filter_map(|r| {
                Some(ReceivedMaterial { id: r.id.clone(), name: r.name.clone(), state: r.state.clone()? })
            })
            .collect();
        if !materials.iter().any(ReceivedMaterial::received) {
            self.message = Some("未收到任何材料，无需登记（Esc 返回）".into());
            return SessionStep::Stay;
        }
        let Some(receipt) = next_receipt_number(case) else {
            self.message = Some("案件尚无编号，不能登记补正".into());
            return SessionStep::Stay;
        };
        let complete = completes(case, self.kind, &materials);
        let event = CaseEvent::SupplementReceived { receipt, kind: self.kind, materials, complete, at: now };
        SessionStep::Record(Box::new(event))
    }

    /// Draws the materials with their marks, and the selected one's checkpoints and defects.
    pub fn view(&self, item: &Item, frame: &mut Frame, area: Rect) {
        let rows = u16::try_from(self.rows.len()).unwrap_or(u16::MAX).saturating_add(2);
        let [list, detail] =
            Layout::vertical([Constraint::Length(rows.min(area.height / 2)), Constraint::Fill(1)])
                .areas(area);
        let mut lines = vec![Line::styled(
            format!("{}收件：逐项核验后 Enter 登记并打印材料接收凭证", self.kind.label()),
            Style::new().fg(Color::Cyan).bold(),
        )];
        for (i, row) in self.rows.iter().enumerate() {
            let (mark, color) = match &row.state {
                None => ("[待核验]".to_string(), Color::DarkGray),
                Some(MaterialState::Ok) => ("[合格]".into(), Color::Green),
                Some(MaterialState::Defect { text }) => {
                    (format!("[有缺陷：{}]", layout_safe(text)), Color::Red)
                }
                Some(state) => (format!("[{}]", state.label()), Color::Yellow),
            };
            let line = Line::from(vec![
                Span::raw(if i == self.selected { "> " } else { "  " }),
                Span::raw(format!("{} ", layout_safe(&row.name))),
                Span::styled(mark, Style::new().fg(color)),
            ]);
            lines.push(if i == self.selected {
                line.style(Style::new().bg(Color::Indexed(236)))
            } else {
                line
            });
        }
        if let Some(message) = &self.message {
            lines.push(Line::styled(message.clone(), Style::new().fg(Color::Yellow)));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), list);
        let Some(row) = self.rows.get(self.selected) else { return };
        let mut lines = Vec::new();
        match item.materials.iter().find(|m| m.id == row.id) {
            Some(m) => {
                lines.push(Line::styled(
                    format!("{}：原件 {} 份，复印件 {} 份", layout_safe(&m.name), m.originals, m.copies),
                    Style::new().bold(),
                ));
                lines.push(Line::styled("审查要点：", Style::new().fg(Color::Cyan)));
                lines.extend(m.checkpoints.iter().map(|c| Line::from(format!("  - {}", layout_safe(c)))));
                if !m.defects.is_empty() {
                    lines.push(Line::styled("常见缺陷（2 依次选择）：", Style::new().fg(Color::Cyan)));
                    lines.extend(
                        m.defects.iter().map(|d| Line::from(format!("  - {}", layout_safe(&d.text)))),
                    );
                }
            }
            None => lines.push(Line::from("知识库中没有该材料的审查要点：按后台的补正要求核验")),
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), detail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::case::Correction;
    use crate::intake::case::Status;

    fn item() -> Item {
        let kb =
            crate::kb::Kb::from_dir(std::path::Path::new("tests/fixtures/kb-small")).expect("fixture KB");
        kb.item("00013112700401").expect("item").clone()
    }

    fn sent_back(item: &Item) -> Case {
        let name = item.materials[1].name.clone();
        Case {
            number: Some("HRBDL-05-20261130-0001".into()),
            status: Status::CorrectionRequested,
            correction: Some(Correction {
                materials: vec![name],
                note: String::new(),
                at: Default::default(),
            }),
            ..Case::default()
        }
    }

    #[test]
    fn every_material_must_be_marked_and_something_received_before_recording() {
        let item = item();
        let case = sent_back(&item);
        let mut s = SupplementSession::open(&case, &item).expect("waits for a correction");
        let now = Utc::now();
        assert_eq!(s.on_key(&item, &case, Some(Action::Open), now), SessionStep::Stay);
        assert!(s.message.as_deref().is_some_and(|m| m.contains("1 项材料未标记")));
        s.on_key(&item, &case, Some(Action::MarkMissing), now);
        assert_eq!(s.on_key(&item, &case, Some(Action::Open), now), SessionStep::Stay);
        assert!(s.message.as_deref().is_some_and(|m| m.contains("未收到任何材料")));
        s.on_key(&item, &case, Some(Action::MarkOk), now);
        match s.on_key(&item, &case, Some(Action::Open), now) {
            SessionStep::Record(event) => {
                let CaseEvent::SupplementReceived { receipt, complete, kind, .. } = *event else {
                    panic!("{event:?}")
                };
                assert_eq!(receipt, "HRBDL-05-20261130-0001-B1");
                assert!(complete);
                assert_eq!(kind, SupplementKind::Correction);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_defect_cycles_through_the_kbs_typical_defects() {
        let item = item();
        let case = sent_back(&item);
        let mut s = SupplementSession::open(&case, &item).unwrap();
        let list = defects(&item, &s.rows[0].id);
        let now = Utc::now();
        s.on_key(&item, &case, Some(Action::MarkDefect), now);
        assert_eq!(s.rows[0].state, Some(MaterialState::Defect { text: list[0].clone() }));
        s.on_key(&item, &case, Some(Action::MarkDefect), now);
        let second = list.get(1).unwrap_or(&list[0]).clone();
        assert_eq!(s.rows[0].state, Some(MaterialState::Defect { text: second }));
        match s.on_key(&item, &case, Some(Action::Open), now) {
            SessionStep::Record(event) => {
                assert!(matches!(*event, CaseEvent::SupplementReceived { complete: false, .. }), "{event:?}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_case_waiting_for_nothing_opens_no_session() {
        let item = item();
        assert!(SupplementSession::open(&Case::default(), &item).is_err());
    }
}
