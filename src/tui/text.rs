//! Text made safe for terminal layout: characters whose width differs between CJK and Western
//! terminals (East Asian "ambiguous" width: “ ” · — …) are replaced by unambiguous equivalents,
//! so a column lines up the same in every terminal the hall uses.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// Replacement for an ambiguous-width character, when there is a natural one.
fn replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{201C}' => "「",
        '\u{201D}' => "」",
        '\u{2018}' => "『",
        '\u{2019}' => "』",
        '\u{00B7}' | '\u{2022}' => "・",
        '\u{2014}' | '\u{2013}' => "-",
        '\u{2026}' => "...",
        '\u{00D7}' => "x",
        '\u{00B0}' => "度",
        '\u{2264}' => "<=",
        '\u{2265}' => ">=",
        '\u{2192}' => "->",
        '\u{2190}' => "<-",
        '\u{00A7}' => "第",
        '\u{00B1}' => "+/-",
        '\u{203B}' => "*",
        '\u{2460}'..='\u{2473}' => return Some(CIRCLED[(c as usize) - 0x2460]),
        _ => return None,
    })
}

const CIRCLED: [&str; 20] = [
    "(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)", "(11)", "(12)", "(13)", "(14)",
    "(15)", "(16)", "(17)", "(18)", "(19)", "(20)",
];

/// Whether a character renders with different widths in CJK and non-CJK terminals.
pub fn is_ambiguous(c: char) -> bool {
    c.width() != c.width_cjk()
}

/// `s` with ambiguous-width characters replaced (unknown ones become `?`).
pub fn layout_safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_ambiguous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match (is_ambiguous(c), replacement(c)) {
            (false, _) => out.push(c),
            (true, Some(r)) => out.push_str(r),
            (true, None) => out.push('?'),
        }
    }
    Cow::Owned(out)
}

/// Wraps layout-safe `text` to `width` columns, breaking between Chinese characters as well as at
/// spaces (ratatui's own wrapping breaks only at spaces, which leaves a Chinese sentence whole on
/// the next line). `first` prefixes the first line, `rest` the others.
pub fn wrap(text: &str, width: u16, first: &str, rest: &str) -> Vec<String> {
    let text = layout_safe(text);
    let options = textwrap::Options::new(usize::from(width).max(first.len() + 2))
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(true);
    textwrap::wrap(&text, options).into_iter().map(|l| l.into_owned()).collect()
}

/// Appends the sentence explaining the provisional mark when a line shows a date marked
/// [`crate::kb::PROVISIONAL_MARK`] (a year whose holiday arrangement is not yet announced).
pub fn provisional_note(lines: &mut Vec<ratatui::text::Line<'static>>) {
    let marked =
        lines.iter().any(|l| l.spans.iter().any(|s| s.content.contains(crate::kb::PROVISIONAL_MARK)));
    if marked {
        lines.push(ratatui::text::Line::styled(
            crate::kb::PROVISIONAL_NOTE,
            ratatui::style::Style::new().fg(ratatui::style::Color::Yellow),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_between_chinese_characters_by_display_width() {
        let lines = wrap("地址与申请书填写的住所一致，具体到门牌号", 20, "  - ", "    ");
        assert_eq!(lines[0], "  - 地址与申请书填写");
        assert!(lines.iter().all(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) <= 20), "{lines:?}");
        assert!(lines[1].starts_with("    "));
    }
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn quotes_and_dots_become_unambiguous() {
        let s = layout_safe("“公司”·章程—①");
        assert_eq!(s, "「公司」・章程-(1)");
        assert_eq!(s.width(), s.width_cjk());
    }

    #[test]
    fn every_replacement_is_unambiguous() {
        for c in
            ['\u{201C}', '\u{201D}', '\u{2018}', '\u{2019}', '\u{00B7}', '\u{2014}', '\u{2026}', '\u{2460}']
        {
            let r = replacement(c).unwrap();
            assert_eq!(r.width(), r.width_cjk(), "{c}");
        }
    }

    #[test]
    fn the_embedded_kb_only_uses_characters_with_a_safe_form() {
        let kb = crate::kb::Kb::embedded().unwrap();
        for item in &kb.items {
            for line in crate::kb::guide::guide(item) {
                for c in line.text.chars().filter(|&c| is_ambiguous(c)) {
                    assert!(
                        replacement(c).is_some(),
                        "{}: {c:?} (U+{:04X}) has no safe form",
                        item.code,
                        c as u32
                    );
                }
            }
        }
    }
}
