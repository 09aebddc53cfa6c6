//! Line breaking for printed notices, by Chinese typesetting rules (JLREQ/CLREQ 避头尾): no line
//! starts with closing punctuation (，。、；：？！）》」』 …) and none ends with opening punctuation
//! (（《「『 …). Break opportunities come from the Unicode line-breaking algorithm (UAX #14, ICU4X's
//! `icu_segmenter`), which already keeps most punctuation with its neighbour; the explicit sets
//! below are applied on top because UAX #14 allows breaks next to some East Asian quotation marks.
//! The plain-text renderer (display columns) and the PDF renderer (font advances) both wrap with
//! [`break_lines`], each with its own measure.

use icu_segmenter::LineSegmenter;
use icu_segmenter::options::LineBreakOptions;

/// Characters that may not begin a line (行首禁则).
pub const NO_LINE_START: &str = "，。、；：？！）》」』”’〕】〉｝］…‥·・～々〆ゝゞ,.;:?!)]}%％";

/// Characters that may not end a line (行尾禁则).
pub const NO_LINE_END: &str = "（《「『“‘〔【〈｛［([{";

/// Whether the text may break between `before` and `after`.
fn allowed(before: char, after: char) -> bool {
    !NO_LINE_START.contains(after) && !NO_LINE_END.contains(before)
}

/// Byte offsets inside `text` (never 0 or its length) where a line may break.
fn opportunities(text: &str) -> Vec<usize> {
    let segmenter = LineSegmenter::new_for_non_complex_scripts(LineBreakOptions::default());
    segmenter
        .segment_str(text)
        .filter(|&at| at > 0 && at < text.len())
        .filter(|&at| {
            let before = text[..at].chars().next_back();
            let after = text[at..].chars().next();
            matches!((before, after), (Some(b), Some(a)) if allowed(b, a))
        })
        .collect()
}

/// Breaks `text` into lines no wider than `max` by `measure`, the first line starting after
/// `first_indent`. Lines break only where UAX #14 and the 避头尾 sets allow; a stretch with no such
/// place that is wider than a line is cut between characters, still keeping the sets when any
/// cut within the line does. Spaces at a break are dropped; every other character is kept, in
/// order. Always returns at least one line. `measure` must be additive (the width of two strings
/// put together is the sum of their widths), as display columns and font advances without kerning
/// are: lines are measured piece by piece.
pub fn break_lines(text: &str, max: f32, first_indent: f32, measure: impl Fn(&str) -> f32) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for at in opportunities(text).into_iter().chain(std::iter::once(text.len())) {
        pieces.push(&text[start..at]);
        start = at;
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    // The width of `line` as it stands, trailing spaces included.
    let mut used = 0.0;
    let mut room = max - first_indent;
    for piece in pieces {
        let (whole, trimmed) = (measure(piece), measure(piece.trim_end()));
        if used + trimmed <= room {
            line.push_str(piece);
            used += whole;
            continue;
        }
        if !line.is_empty() {
            lines.push(line.trim_end().to_string());
            line = String::new();
            room = max;
        }
        if trimmed <= room {
            line.push_str(piece);
            used = whole;
            continue;
        }
        // No break opportunity in a stretch wider than a line: cut it between characters.
        let mut rest = piece;
        while measure(rest.trim_end()) > room {
            let cut = cut_point(rest, room, &measure);
            lines.push(rest[..cut].to_string());
            rest = &rest[cut..];
            room = max;
        }
        line.push_str(rest);
        used = measure(rest);
    }
    if !line.trim_end().is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Where to cut `text`, which is wider than `room`: the last character boundary that fits and keeps
/// the 避头尾 sets, else the last that fits, else after the first character (so a cut always
/// makes progress).
fn cut_point(text: &str, room: f32, measure: &impl Fn(&str) -> f32) -> usize {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let fits: Vec<usize> =
        chars.iter().skip(1).map(|&(at, _)| at).take_while(|&at| measure(&text[..at]) <= room).collect();
    let keeps_rules = |at: &usize| {
        let before = text[..*at].chars().next_back();
        let after = text[*at..].chars().next();
        matches!((before, after), (Some(b), Some(a)) if allowed(b, a))
    };
    fits.iter()
        .rev()
        .find(|at| keeps_rules(at))
        .or(fits.last())
        .copied()
        .unwrap_or_else(|| chars.get(1).map_or(text.len(), |&(at, _)| at))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use unicode_width::UnicodeWidthStr;

    use super::*;

    fn columns(s: &str) -> f32 {
        s.width() as f32
    }

    #[test]
    fn a_comma_never_starts_a_line() {
        // 20 columns: the comma falls exactly at the start of the second line without the rules.
        let text = "你（单位）于二〇二六年申请办理，经审查，申请材料不齐全。";
        for width in 8..40 {
            let lines = break_lines(text, width as f32, 0.0, columns);
            for line in &lines[1..] {
                assert!(!line.starts_with('，') && !line.starts_with('。'), "{width}: {lines:?}");
            }
            for line in &lines {
                assert!(!line.ends_with('（'), "{width}: {lines:?}");
                assert!(columns(line) <= width as f32, "{width}: {lines:?}");
            }
            assert_eq!(lines.concat(), text);
        }
    }

    #[test]
    fn latin_words_and_numbers_stay_whole_when_they_fit() {
        let lines = break_lines("案件编号 HRBDL-05-20261130-0001 已受理", 24.0, 0.0, columns);
        assert!(lines.iter().any(|l| l.contains("20261130-0001")), "{lines:?}");
    }

    #[test]
    fn an_overlong_stretch_is_cut_and_nothing_is_lost() {
        let text = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let lines = break_lines(text, 10.0, 0.0, columns);
        assert!(lines.iter().all(|l| columns(l) <= 10.0), "{lines:?}");
        assert_eq!(lines.concat(), text);
    }

    #[test]
    fn the_first_line_leaves_room_for_its_indent() {
        let lines = break_lines("一二三四五六七八九十", 10.0, 4.0, columns);
        assert_eq!(lines[0], "一二三");
    }

    /// A token: an ideograph run, optionally wrapped in or followed by punctuation, or a Latin word.
    fn token() -> impl Strategy<Value = String> {
        let han = prop::collection::vec(
            prop::sample::select("申请材料经审查补正受理窗口法第三十二条".chars().collect::<Vec<_>>()),
            1..6,
        )
        .prop_map(|v| v.into_iter().collect::<String>());
        let close = prop::sample::select(NO_LINE_START.chars().filter(|c| !c.is_ascii()).collect::<Vec<_>>());
        let open = prop::sample::select(NO_LINE_END.chars().filter(|c| !c.is_ascii()).collect::<Vec<_>>());
        prop_oneof![
            han.clone(),
            (han.clone(), close.clone()).prop_map(|(h, c)| format!("{h}{c}")),
            (open, han.clone(), close).prop_map(|(o, h, c)| format!("{o}{h}{c}")),
            "[A-Za-z0-9]{1,6}".prop_map(|w| format!(" {w} ")),
        ]
    }

    proptest! {
        #[test]
        fn no_line_starts_with_closing_or_ends_with_opening_punctuation(
            tokens in prop::collection::vec(token(), 1..40),
            width in 12u16..60,
        ) {
            let text: String = tokens.concat();
            let lines = break_lines(&text, f32::from(width), 0.0, columns);
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    let first = line.chars().next().unwrap();
                    prop_assert!(!NO_LINE_START.contains(first), "line {i} of {lines:?}");
                }
                if i + 1 < lines.len() {
                    let last = line.chars().next_back().unwrap();
                    prop_assert!(!NO_LINE_END.contains(last), "line {i} of {lines:?}");
                }
                prop_assert!(columns(line) <= f32::from(width), "line {i} of {lines:?}");
            }
            // Only spaces at the breaks are dropped.
            let kept: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            let given: String = text.chars().filter(|c| *c != ' ').collect();
            prop_assert_eq!(kept, given);
        }
    }
}
