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

/// Measures text with the font's advances and tells which characters it lacks.
struct Metrics<'a> {
    font: FontRef<'a>,
}

impl Metrics<'static> {
    fn new() -> Option<Self> {
        FontRef::new(FONT_DATA).ok().map(|font| Self { font })
    }
}

impl Metrics<'_> {
    fn has(&self, c: char) -> bool {
        c.is_whitespace() || self.font.charmap().map(c).is_some()
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let charmap = self.font.charmap();
        let metrics = self.font.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| charmap.map(c).and_then(|g| metrics.advance_width(g)).unwrap_or(size * 0.5))
            .sum()
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
    Text { x: f32, y: f32, size: f32, text: String },
    Rule { x1: f32, y1: f32, x2: f32, y2: f32 },
}

/// Places lines top to bottom, starting new pages as needed.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self { pages: vec![Vec::new()], y: MARGIN }
    }

    /// Reserves `height` points, breaking the page when they do not fit; returns the baseline top.
    fn take(&mut self, height: f32) -> f32 {
        if self.y + height > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
        let y = self.y;
        self.y += height;
        y
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn text(&mut self, x: f32, size: f32, text: String) {
        let y = self.take(size * LEADING);
        self.push(Op::Text { x, y: y + size, size, text });
    }
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

fn layout(notice: &Notice, metrics: &Metrics, missing: &mut Vec<char>) -> Vec<Vec<Op>> {
    let mut l = Layout::new();
    let width = PAGE_W - 2.0 * MARGIN;
    let mut clean = |text: &str| sanitize(metrics, text, missing);
    let centered = |l: &mut Layout, text: String, size: f32| {
        let x = MARGIN + (width - metrics.width(&text, size)).max(0.0) / 2.0;
        l.text(x, size, text);
    };
    centered(&mut l, clean(notice.title()), 20.0);
    centered(&mut l, clean(&notice.issuer), 12.0);
    l.take(BODY);
    for block in &notice.blocks {
        match block {
            Block::Paragraph(text) => {
                let indent = 2.0 * BODY;
                for (i, line) in metrics.wrap(&clean(text), BODY, width, indent).into_iter().enumerate() {
                    l.text(MARGIN + if i == 0 { indent } else { 0.0 }, BODY, line);
                }
            }
            Block::Fields(fields) => {
                for (label, value) in fields {
                    let label = clean(&format!("{label}："));
                    let label_w = metrics.width(&label, BODY).max(6.0 * BODY);
                    let lines = metrics.wrap(&clean(value), BODY, width - label_w, 0.0);
                    for (i, line) in lines.into_iter().enumerate() {
                        let y = l.take(BODY * LEADING);
                        if i == 0 {
                            l.push(Op::Text { x: MARGIN, y: y + BODY, size: BODY, text: label.clone() });
                        }
                        l.push(Op::Text { x: MARGIN + label_w, y: y + BODY, size: BODY, text: line });
                    }
                }
            }
            Block::Table { header, rows } => table(&mut l, metrics, &mut clean, header, rows, width),
            Block::Signatures(lines) => {
                l.take(BODY);
                for line in lines {
                    let text = clean(line);
                    let x = PAGE_W - MARGIN - metrics.width(&text, BODY);
                    l.text(x.max(MARGIN), BODY, text);
                }
            }
        }
        l.take(BODY * 0.6);
    }
    l.pages
}

/// A table with ruled rows; the first column is narrow (序号), the others share the width by the
/// length of their content.
fn table(
    l: &mut Layout,
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
    let mut draw_row = |l: &mut Layout, cells: &[String]| {
        let wrapped: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(c, w)| {
                metrics.wrap(&clean(cells.get(c).map_or("", String::as_str)), BODY, w - 2.0 * pad, 0.0)
            })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32 * BODY * LEADING;
        let top = l.take(height + pad);
        let mut x = MARGIN;
        for (c, lines) in wrapped.into_iter().enumerate() {
            for (i, line) in lines.into_iter().enumerate() {
                let y = top + pad + BODY + i as f32 * BODY * LEADING;
                l.push(Op::Text { x: x + pad, y, size: BODY, text: line });
            }
            x += widths[c];
        }
        let bottom = top + height + pad;
        l.push(Op::Rule { x1: MARGIN, y1: bottom, x2: MARGIN + width, y2: bottom });
    };
    let top = l.y;
    l.push(Op::Rule { x1: MARGIN, y1: top, x2: MARGIN + width, y2: top });
    draw_row(l, header);
    for row in rows {
        draw_row(l, row);
    }
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
        for op in ops {
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
