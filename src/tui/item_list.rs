//! A search box's result list of items, shared by the KB browser and the intake's item step so both
//! rank, mark and scroll the same way.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::layout_safe;
use crate::intake::CenterLevel;
use crate::kb::search::{MatchKind, SearchIndex};
use crate::kb::{Item, Kb};

/// How many results a query shows at most.
const MAX_RESULTS: usize = 200;

/// One row of the result list.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    /// Index into `kb.items`, or into `kb.bundles` when `bundle`.
    item: usize,
    /// The row is a bundle (一件事).
    bundle: bool,
    /// Why it matched, when it matched on something other than the name.
    why: Option<String>,
}

/// Ranked items for a query, with a selection.
#[derive(Debug, Default)]
pub struct ItemList {
    /// List bundles (一件事) found by the query too; intake takes items only.
    with_bundles: bool,
    rows: Vec<Row>,
    selected: usize,
    /// First visible row; adjusted while drawing so the selection stays visible.
    offset: Cell<usize>,
}

impl ItemList {
    /// A list that also shows the bundles (一件事) a query finds (the KB browser's).
    pub fn with_bundles() -> Self {
        Self { with_bundles: true, ..Self::default() }
    }

    /// The list for `query` (every item when empty).
    pub fn search(&mut self, kb: &Kb, index: &SearchIndex, query: &str) {
        let query = query.trim();
        self.rows = if query.is_empty() {
            (0..kb.items.len()).map(|item| Row { item, bundle: false, why: None }).collect()
        } else {
            index
                .search(query, MAX_RESULTS)
                .into_iter()
                .filter(|hit| self.with_bundles || !hit.bundle)
                .map(|hit| {
                    // Say why an item whose name does not show the query is listed: a material,
                    // or an alias matched by characters, pinyin or initials.
                    let why = match hit.matched {
                        MatchKind::Material => Some(format!("材料：{}", hit.field)),
                        MatchKind::Code => None,
                        _ if hit.bundle && kb.bundles.get(hit.index).is_some_and(|b| b.name != hit.field) => {
                            Some(format!("又称：{}", hit.field))
                        }
                        _ if !hit.bundle && kb.items.get(hit.index).is_some_and(|i| i.name != hit.field) => {
                            Some(format!("又称：{}", hit.field))
                        }
                        _ => None,
                    };
                    Row { item: hit.index, bundle: hit.bundle, why }
                })
                .collect()
        };
        self.selected = 0;
        self.offset.set(0);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Moves the selection by `delta` rows, clamped.
    pub fn select(&mut self, delta: isize) {
        if let Some(last) = self.rows.len().checked_sub(1) {
            self.selected = self.selected.saturating_add_signed(delta).min(last);
        }
    }

    /// The selected item (none when a bundle is selected).
    pub fn selected<'k>(&self, kb: &'k Kb) -> Option<&'k Item> {
        self.rows.get(self.selected).filter(|r| !r.bundle).and_then(|r| kb.items.get(r.item))
    }

    /// The selected bundle (一件事), when one is.
    pub fn selected_bundle<'k>(&self, kb: &'k Kb) -> Option<&'k crate::kb::Bundle> {
        self.rows.get(self.selected).filter(|r| r.bundle).and_then(|r| kb.bundles.get(r.item))
    }

    /// Draws the rows; `active` highlights the selection strongly. Items not handled at a center of
    /// `level` are marked so the clerk sees at once where to send the applicant.
    pub fn view(&self, kb: &Kb, level: Option<CenterLevel>, active: bool, frame: &mut Frame, area: Rect) {
        let height = usize::from(area.height);
        if height == 0 {
            return;
        }
        // A list longer than the area gives its last row to a sign saying how many more there are.
        let overflow = self.rows.len() > height;
        let height = if overflow { height.saturating_sub(1).max(1) } else { height };
        let mut offset = self.offset.get();
        if self.selected < offset {
            offset = self.selected;
        } else if self.selected >= offset + height {
            offset = self.selected + 1 - height;
        }
        self.offset.set(offset);
        let mut lines: Vec<Line> = self
            .rows
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, row)| {
                let selected = i == self.selected;
                let mark = |line: Line<'static>| {
                    if selected {
                        let bg = if active { Color::Blue } else { Color::DarkGray };
                        line.style(Style::new().bg(bg).fg(Color::White))
                    } else {
                        line
                    }
                };
                let item = match (row.bundle, kb.items.get(row.item)) {
                    (false, Some(item)) => item,
                    _ => {
                        let Some(bundle) = kb.bundles.get(row.item).filter(|_| row.bundle) else {
                            return Line::from("");
                        };
                        let mut spans = vec![
                            Span::raw(if selected { "> " } else { "  " }),
                            Span::styled("【一件事】", Style::new().fg(Color::Yellow).bold()),
                            Span::styled(layout_safe(&bundle.name).into_owned(), Style::new().bold()),
                        ];
                        if let Some(why) = &row.why {
                            spans.push(Span::styled(
                                format!("  {}", layout_safe(why)),
                                Style::new().fg(Color::DarkGray),
                            ));
                        }
                        spans.push(Span::styled(
                            format!("  {} 个事项", bundle.items.len()),
                            Style::new().fg(Color::Cyan),
                        ));
                        spans
                            .push(Span::styled(format!("  {}", bundle.id), Style::new().fg(Color::DarkGray)));
                        return mark(Line::from(spans));
                    }
                };
                let mut spans = vec![
                    Span::raw(if selected { "> " } else { "  " }),
                    Span::styled(layout_safe(&item.name).into_owned(), Style::new().bold()),
                ];
                if item.is_draft() {
                    spans.push(Span::styled(
                        format!("  {}", crate::kb::ItemStatus::DRAFT_MARK),
                        Style::new().fg(Color::Yellow).bold(),
                    ));
                }
                // Why an item whose name does not show the query is here, next to the name: the
                // end of a row is cut off in a narrow list.
                if let Some(why) = &row.why {
                    spans.push(Span::styled(
                        format!("  {}", layout_safe(why)),
                        Style::new().fg(Color::DarkGray),
                    ));
                }
                spans.extend([
                    Span::styled(format!("  {}", item.department_group), Style::new().fg(Color::Cyan)),
                    Span::styled(format!("  {}", item.code), Style::new().fg(Color::DarkGray)),
                ]);
                if item.handled_at.both_centers {
                    spans.push(Span::styled("  两地通办", Style::new().fg(Color::Green)));
                }
                let here = match level {
                    Some(CenterLevel::District) => item.handled_at.district,
                    Some(CenterLevel::Community) => item.handled_at.community,
                    None => true,
                };
                if !here {
                    spans.push(Span::styled("  本中心不办理", Style::new().fg(Color::Red)));
                } else if !item.handled_at.district {
                    spans.push(Span::styled("  社区办理", Style::new().fg(Color::Magenta)));
                }
                mark(Line::from(spans))
            })
            .collect();
        if overflow
            && let Some(sign) =
                super::widgets::scroll_sign(offset, self.rows.len().saturating_sub(offset + height))
        {
            lines.push(sign);
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}
