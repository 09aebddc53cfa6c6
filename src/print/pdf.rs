//! A notice as an A4 PDF with the embedded Chinese font (subset again by krilla to the characters
//! used). Layout first — lines measured with the font's real advances and broken between Chinese
//! characters — into drawing operations per page, then rendering.

use std::sync::{Arc, LazyLock};

use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use crate::intake::notice::lines::break_lines;
use crate::intake::notice::{Block, Notice};

/// The font shipped in `assets/fonts` (Noto Sans CJK SC, OFL).
static FONT_DATA: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-Regular-subset.otf");

static FONT: LazyLock<Option<Font>> = LazyLock::new(|| Font::new(Arc::new(FONT_DATA.to_vec()).into(), 0));

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 64.0;
const BODY: f32 = 11.0;
const LEADING: f32 = 1.7;

/// Measures text with the font's advances and tells which characters it lacks. Advances are
/// looked up once per character (at 1 pt, scaled): line breaking measures candidate lines often.
struct Metrics<'a> {
    font: FontRef<'a>,
    advances: std::cell::RefCell<std::collections::HashMap<char, f32>>,
}

impl Metrics<'static> {
    fn new() -> Option<Self> {
        FontRef::new(FONT_DATA).ok().map(|font| Self { font, advances: Default::default() })
    }
}

impl Metrics<'_> {
    fn has(&self, c: char) -> bool {
        c.is_whitespace() || self.font.charmap().map(c).is_some()
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let mut advances = self.advances.borrow_mut();
        let unit: f32 = text
            .chars()
            .map(|c| {
                *advances.entry(c).or_insert_with(|| {
                    let metrics = self.font.glyph_metrics(Size::new(1.0), LocationRef::default());
                    self.font.charmap().map(c).and_then(|g| metrics.advance_width(g)).unwrap_or(0.5)
                })
            })
            .sum();
        unit * size
    }

    /// Breaks `text` into lines of at most `width` points by the Chinese line-breaking rules
    /// (`src/intake/notice/lines.rs`).
    fn wrap(&self, text: &str, size: f32, width: f32, first_indent: f32) -> Vec<String> {
        break_lines(text, width, first_indent, |s| self.width(s, size))
    }
}

/// One drawing operation on a page.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
    /// A filled black square (a QR code's dark module).
    Square {
        x: f32,
        y: f32,
        size: f32,
    },
}

impl Op {
    fn shifted(self, dy: f32) -> Self {
        match self {
            Op::Text { x, y, size, text } => Op::Text { x, y: y + dy, size, text },
            Op::Rule { x1, y1, x2, y2 } => Op::Rule { x1, y1: y1 + dy, x2, y2: y2 + dy },
            Op::Square { x, y, size } => Op::Square { x, y: y + dy, size },
        }
    }
}

/// What a unit of the layout holds, for page-break decisions (and the tests that check them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Title, text, fields, table rows.
    Body,
    /// A signature, seal or date line.
    Signature,
    /// Space between blocks; dropped at the top of a page.
    Gap,
}

/// An unbreakable piece of the page: a line, a table row, a gap. Its operations are placed
/// relative to its top. `keep` binds it to the next unit on the same page.
#[derive(Debug, Clone)]
struct Unit {
    height: f32,
    ops: Vec<Op>,
    keep: bool,
    role: Role,
}

/// The notice as units, top to bottom, before pagination.
#[derive(Default)]
struct Flow {
    units: Vec<Unit>,
}

impl Flow {
    fn unit(&mut self, height: f32, ops: Vec<Op>, role: Role) {
        self.units.push(Unit { height, ops, keep: false, role });
    }

    fn text(&mut self, x: f32, size: f32, text: String, role: Role) {
        self.unit(size * LEADING, vec![Op::Text { x, y: size, size, text }], role);
    }

    fn gap(&mut self, height: f32) {
        self.unit(height, Vec::new(), Role::Gap);
    }

    /// Keeps the units from `from` on together with what follows them.
    fn keep_from(&mut self, from: usize) {
        for unit in self.units.iter_mut().skip(from) {
            unit.keep = true;
        }
    }

    /// Lines of a paragraph or field from `first`: no first line alone at the foot of a page and
    /// no last line alone at the top of the next (orphans and widows).
    fn keep_lines(&mut self, first: usize) {
        let n = self.units.len() - first;
        if n >= 2 {
            self.units[first].keep = true;
            let last = self.units.len() - 2;
            self.units[last].keep = true;
        }
    }
}

/// Pages of the flow: units go down the page; a unit bound to the next ones (`keep`) moves with
/// them to a new page when the group does not fit (unless the group is taller than a page).
fn paginate(units: Vec<Unit>) -> Vec<Vec<(Role, Op)>> {
    let bottom = PAGE_H - MARGIN;
    let full = bottom - MARGIN;
    let mut pages: Vec<Vec<(Role, Op)>> = vec![Vec::new()];
    let mut y = MARGIN;
    let mut i = 0;
    while i < units.len() {
        let end = (i..units.len()).find(|&k| !units[k].keep).unwrap_or(units.len() - 1);
        let group: f32 = units[i..=end].iter().map(|u| u.height).sum();
        if y > MARGIN && y + group > bottom && group <= full {
            pages.push(Vec::new());
            y = MARGIN;
        }
        for unit in &units[i..=end] {
            // A gap never starts a page nor breaks one: the next line will.
            if unit.role == Role::Gap && (y == MARGIN || y + unit.height > bottom) {
                continue;
            }
            if y > MARGIN && y + unit.height > bottom {
                pages.push(Vec::new());
                y = MARGIN;
            }
            if let Some(page) = pages.last_mut() {
                page.extend(unit.ops.iter().cloned().map(|op| (unit.role, op.shifted(y))));
            }
            y += unit.height;
        }
        i = end + 1;
    }
    pages
}

/// Characters the font lacks are printed as □ and reported.
fn sanitize(metrics: &Metrics, text: &str, missing: &mut Vec<char>) -> String {
    text.chars()
        .map(|c| {
            if metrics.has(c) {
                c
            } else {
                if !missing.contains(&c) {
                    missing.push(c);
                }
                '□'
            }
        })
        .collect()
}

fn layout(notice: &Notice, metrics: &Metrics, missing: &mut Vec<char>) -> Vec<Vec<(Role, Op)>> {
    let mut f = Flow::default();
    let width = PAGE_W - 2.0 * MARGIN;
    let mut clean = |text: &str| sanitize(metrics, text, missing);
    let centered = |f: &mut Flow, text: String, size: f32| {
        let x = MARGIN + (width - metrics.width(&text, size)).max(0.0) / 2.0;
        f.text(x, size, text, Role::Body);
    };
    centered(&mut f, clean(notice.title()), 20.0);
    centered(&mut f, clean(&notice.issuer), 12.0);
    f.keep_from(0);
    f.gap(BODY);
    for block in &notice.blocks {
        let start = f.units.len();
        match block {
            Block::Paragraph(text) => {
                let indent = 2.0 * BODY;
                for (i, line) in metrics.wrap(&clean(text), BODY, width, indent).into_iter().enumerate() {
                    f.text(MARGIN + if i == 0 { indent } else { 0.0 }, BODY, line, Role::Body);
                }
                f.keep_lines(start);
            }
            Block::Fields(fields) => {
                for (label, value) in fields {
                    let first = f.units.len();
                    let label = clean(&format!("{label}："));
                    let label_w = metrics.width(&label, BODY).max(6.0 * BODY);
                    let lines = metrics.wrap(&clean(value), BODY, width - label_w, 0.0);
                    for (i, line) in lines.into_iter().enumerate() {
                        let mut ops = vec![Op::Text { x: MARGIN + label_w, y: BODY, size: BODY, text: line }];
                        if i == 0 {
                            ops.push(Op::Text { x: MARGIN, y: BODY, size: BODY, text: label.clone() });
                        }
                        f.unit(BODY * LEADING, ops, Role::Body);
                    }
                    f.keep_lines(first);
                }
            }
            Block::Table { header, rows } => table(&mut f, metrics, &mut clean, header, rows, width),
            Block::Qr(text) => {
                // Unprintable data (too long for a QR code) prints as text instead.
                match qr_modules(text) {
                    Some((side, dark)) => {
                        let size = QR_SIDE / side as f32;
                        let ops = (0..side * side)
                            .filter(|i| dark[*i])
                            .map(|i| Op::Square {
                                x: MARGIN + (i % side) as f32 * size,
                                y: (i / side) as f32 * size,
                                size,
                            })
                            .collect();
                        f.unit(QR_SIDE + BODY, ops, Role::Body);
                    }
                    None => {
                        for line in metrics.wrap(&clean(text), BODY, width, 0.0) {
                            f.text(MARGIN, BODY, line, Role::Body);
                        }
                    }
                }
            }
            Block::Signatures(lines) => {
                // The closing lines never stand alone: they go with the block before them (the
                // whole block when it is short, else its last two lines).
                let previous = f.units[..start].iter().rposition(|u| u.role != Role::Gap);
                if let Some(last) = previous {
                    let block_start =
                        f.units[..last].iter().rposition(|u| u.role == Role::Gap).map_or(0, |g| g + 1);
                    let short = f.units[block_start..=last].iter().map(|u| u.height).sum::<f32>()
                        < (PAGE_H - 2.0 * MARGIN) / 3.0;
                    // And at least two lines of body go with them, whatever the block.
                    let mut from = if short { block_start } else { last.saturating_sub(1) };
                    let body = |from: usize, f: &Flow| {
                        f.units[from..].iter().filter(|u| u.role == Role::Body).count()
                    };
                    while from > 0 && body(from, &f) < 2 {
                        from -= 1;
                    }
                    f.keep_from(from);
                }
                f.gap(BODY);
                for line in lines {
                    let text = clean(line);
                    let x = PAGE_W - MARGIN - metrics.width(&text, BODY);
                    f.text(x.max(MARGIN), BODY, text, Role::Signature);
                }
                f.keep_from(f.units.len() - lines.len() - 1);
                if let Some(last) = f.units.last_mut() {
                    last.keep = false;
                }
            }
        }
        f.gap(BODY * 0.6);
    }
    paginate(f.units)
}

/// A table with ruled rows; the first column is narrow (序号), the others share the width by the
/// length of their content. Each row is one unit; the header stays with the first row.
fn table(
    f: &mut Flow,
    metrics: &Metrics,
    clean: &mut impl FnMut(&str) -> String,
    header: &[String],
    rows: &[Vec<String>],
    width: f32,
) {
    let n = header.len().max(1);
    let first = 3.0 * BODY;
    let weights: Vec<f32> = (1..n)
        .map(|c| {
            let longest = rows
                .iter()
                .chain(std::iter::once(&header.to_vec()))
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max();
            (longest.unwrap_or(1) as f32).clamp(8.0, 40.0)
        })
        .collect();
    let total: f32 = weights.iter().sum::<f32>().max(1.0);
    let mut widths = vec![first];
    widths.extend(weights.iter().map(|w| (width - first) * w / total));
    let pad = 3.0;
    // Every row rules its top too, so a row that starts a page is closed above.
    let mut row_unit = |f: &mut Flow, cells: &[String]| {
        let wrapped: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(c, w)| {
                metrics.wrap(&clean(cells.get(c).map_or("", String::as_str)), BODY, w - 2.0 * pad, 0.0)
            })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32 * BODY * LEADING;
        let mut ops = Vec::new();
        ops.push(Op::Rule { x1: MARGIN, y1: 0.0, x2: MARGIN + width, y2: 0.0 });
        let mut x = MARGIN;
        for (c, lines) in wrapped.into_iter().enumerate() {
            for (i, line) in lines.into_iter().enumerate() {
                let y = pad + BODY + i as f32 * BODY * LEADING;
                ops.push(Op::Text { x: x + pad, y, size: BODY, text: line });
            }
            x += widths[c];
        }
        let bottom = height + pad;
        ops.push(Op::Rule { x1: MARGIN, y1: bottom, x2: MARGIN + width, y2: bottom });
        f.unit(height + pad, ops, Role::Body);
    };
    row_unit(f, header);
    if let Some(unit) = f.units.last_mut() {
        unit.keep = !rows.is_empty();
    }
    for row in rows {
        row_unit(f, row);
    }
}

/// The printed side of a QR code in points (about 3 cm: a phone reads it from a hand's length).
const QR_SIDE: f32 = 85.0;

/// A QR code of `text` (medium error correction) with its four-module quiet zone: the side in
/// modules and, row by row, whether each module is dark. `None` when the text does not fit one.
pub(crate) fn qr_modules(text: &str) -> Option<(usize, Vec<bool>)> {
    const QUIET: usize = 4;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let inner = code.width();
    let side = inner + 2 * QUIET;
    let colors = code.to_colors();
    let mut dark = vec![false; side * side];
    for (i, color) in colors.iter().enumerate() {
        dark[(i / inner + QUIET) * side + i % inner + QUIET] = *color == qrcode::Color::Dark;
    }
    Some((side, dark))
}

/// How many pages `notice` takes (for tests that look for the sizes where a page break moves).
#[cfg(test)]
pub(super) fn page_count(notice: &Notice) -> usize {
    Metrics::new().map_or(0, |metrics| layout(notice, &metrics, &mut Vec::new()).len())
}

/// Renders `notice`; returns the PDF bytes and the characters the font lacked.
pub fn render(notice: &Notice) -> Result<(Vec<u8>, Vec<char>), String> {
    let font = FONT.clone().ok_or("内置字体无法加载")?;
    let metrics = Metrics::new().ok_or("内置字体无法解析")?;
    let mut missing = Vec::new();
    let pages = layout(notice, &metrics, &mut missing);
    let mut document = Document::new();
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("页面尺寸无效")?;
    let page_count = pages.len();
    for (i, ops) in pages.into_iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (_, op) in ops {
            match op {
                Op::Text { x, y, size, text } => surface.draw_text(
                    Point::from_xy(x, y),
                    font.clone(),
                    size,
                    &text,
                    false,
                    TextDirection::Auto,
                ),
                Op::Rule { x1, y1, x2, y2 } => {
                    let mut path = PathBuilder::new();
                    path.move_to(x1, y1);
                    path.line_to(x2, y2);
                    if let Some(path) = path.finish() {
                        surface.set_stroke(Some(Stroke { width: 0.5, ..Default::default() }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
                Op::Square { x, y, size } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = krilla::geom::Rect::from_xywh(x, y, size, size) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_fill(Some(krilla::paint::Fill::default()));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        if page_count > 1 {
            let footer = format!("{}  第 {} 页 / 共 {page_count} 页", notice.number, i + 1);
            let x = (PAGE_W - metrics.width(&footer, 9.0)) / 2.0;
            surface.draw_text(
                Point::from_xy(x, PAGE_H - MARGIN / 2.0),
                font.clone(),
                9.0,
                &footer,
                false,
                TextDirection::Auto,
            );
        }
        surface.finish();
        page.finish();
    }
    let bytes = document.finish().map_err(|e| format!("生成 PDF 失败：{e:?}"))?;
    Ok((bytes, missing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::notice::NoticeKind;

    /// A 一次性告知书-shaped notice: header fields, a paragraph of `words` sentences, a table of
    /// `rows` rows, a closing paragraph and the signature lines.
    fn notice(words: usize, rows: usize) -> Notice {
        let sentence = "申请材料不齐全或者不符合法定形式，现一次性告知需要补正的全部内容。";
        Notice {
            kind: NoticeKind::Deficiency,
            title: "一次性告知书".into(),
            number: "HRBDL-05-20261130-0001".into(),
            issuer: "哈尔滨市道里区政务服务中心".into(),
            blocks: vec![
                Block::Fields(vec![
                    ("案件编号".into(), "HRBDL-05-20261130-0001".into()),
                    ("申请人".into(), "张三丰".into()),
                ]),
                Block::Paragraph(sentence.repeat(words)),
                Block::Table {
                    header: vec!["序号".into(), "材料名称".into(), "请携带".into()],
                    rows: (1..=rows)
                        .map(|i| {
                            vec![
                                i.to_string(),
                                format!("材料{i}"),
                                "原件 1 份、复印件 1 份（纸质），在有效期内，与申请表一致。"
                                    .repeat(i % 3 + 1),
                            ]
                        })
                        .collect(),
                },
                Block::Paragraph(
                    "请按上述要求补齐材料后再次提交。补齐后符合要求的，本窗口将当场受理。".into(),
                ),
                Block::Signatures(vec![
                    "受理人：王丽".into(),
                    "哈尔滨市道里区政务服务中心（受理专用章）".into(),
                    "2026年11月30日".into(),
                ]),
            ],
        }
    }

    /// The body text lines of a page (by baseline).
    fn body_lines(page: &[(Role, Op)]) -> usize {
        let mut ys: Vec<i32> = page
            .iter()
            .filter_map(|(role, op)| match op {
                Op::Text { y, .. } if *role == Role::Body => Some(*y as i32),
                _ => None,
            })
            .collect();
        ys.dedup();
        ys.len()
    }

    #[test]
    fn no_page_holds_only_the_closing_lines_or_a_single_line() {
        let metrics = Metrics::new().unwrap();
        let mut broken = 0;
        for words in [1, 3, 8] {
            for rows in (1..40).step_by(2) {
                let pages = layout(&notice(words, rows), &metrics, &mut Vec::new());
                broken += usize::from(pages.len() > 1);
                for (i, page) in pages.iter().enumerate() {
                    assert!(
                        body_lines(page) >= 2,
                        "words {words} rows {rows}: page {} has {} body lines",
                        i + 1,
                        body_lines(page)
                    );
                }
                let signed: Vec<usize> = pages
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.iter().any(|(r, _)| *r == Role::Signature))
                    .map(|(i, _)| i)
                    .collect();
                assert_eq!(signed, vec![pages.len() - 1], "the closing lines are together on the last page");
                // The closing paragraph stays with them.
                let last = &pages[pages.len() - 1];
                assert!(
                    last.iter()
                        .any(|(_, op)| matches!(op, Op::Text { text, .. } if text.contains("请按上述要求"))),
                    "words {words} rows {rows}"
                );
            }
        }
        assert!(broken > 10, "the sizes tried cross page breaks: {broken}");
    }

    #[test]
    fn a_table_header_never_ends_a_page() {
        let metrics = Metrics::new().unwrap();
        for words in 1..30 {
            let pages = layout(&notice(words, 3), &metrics, &mut Vec::new());
            for page in &pages[..pages.len() - 1] {
                let last_text = page.iter().rev().find_map(|(_, op)| match op {
                    Op::Text { text, .. } => Some(text.clone()),
                    _ => None,
                });
                assert_ne!(last_text.as_deref(), Some("请携带"), "words {words}");
            }
        }
    }
}

#[cfg(test)]
mod qr_tests {
    use super::*;
    use crate::intake::notice::NoticeKind;

    #[test]
    fn the_qr_matrix_is_the_crates_with_a_quiet_zone_and_is_drawn_module_for_module() {
        let url = "https://zwfw.example.cn/lookup?case=HRBDL-05-20261130-0007";
        let (side, dark) = qr_modules(url).unwrap();
        let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).unwrap();
        // Version 4 (33 modules) holds this address at level M; plus 4 quiet modules each side.
        assert_eq!(code.width(), 33);
        assert_eq!(side, 41);
        // The finder pattern's corner module is dark, the quiet zone light.
        assert!(dark[4 * side + 4] && dark[4 * side + 4 + 6] && !dark[4 * side + 4 + 7]);
        assert!(dark[..4 * side].iter().all(|d| !d));
        assert_eq!(
            dark.iter().filter(|d| **d).count(),
            code.to_colors().iter().filter(|c| **c == qrcode::Color::Dark).count()
        );
        let notice = Notice {
            kind: NoticeKind::Acceptance,
            title: "受理通知书".into(),
            number: "N".into(),
            issuer: "中心".into(),
            blocks: vec![Block::Qr(url.into())],
        };
        let metrics = Metrics::new().unwrap();
        let pages = layout(&notice, &metrics, &mut Vec::new());
        let squares = pages[0].iter().filter(|(_, op)| matches!(op, Op::Square { .. })).count();
        assert_eq!(squares, dark.iter().filter(|d| **d).count());
        assert!(render(&notice).is_ok());
    }
}
