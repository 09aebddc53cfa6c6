//! Esc followed quickly by another key is two keys, never text.
//!
//! Why this exists: crossterm 0.29's Unix parser (`event/sys/unix/parse.rs`) reads the bytes
//! `ESC ESC` as one Esc key and consumes both. When the clerk presses Esc and then, within the
//! same terminal read, an arrow key, the terminal sends `ESC` `ESC [ B`: crossterm reports Esc and
//! then the rest of the arrow's sequence as the characters `[` and `B`, which a text field would
//! take as typed text (and the journal would keep). Esc followed by a letter in the same read
//! arrives as Alt+letter. (Upstream: crossterm-rs/crossterm pull request 1124.)
//!
//! [`EscapeRepair`] sits between crossterm and the desk: after an Esc it looks at the events that
//! came in the same read (`more`), decodes a CSI (`ESC [ … final`) or SS3 (`ESC O x`) sequence
//! they spell back into its key, and drops what cannot be decoded rather than letting it become
//! text; Alt+character becomes Esc then the character. Pure, so it is tested without a terminal.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Longest escape sequence kept while decoding (`ESC [ 1 5 ; 5 ~` and the like are shorter).
const MAX_SEQUENCE: usize = 12;

/// Repairs the key events crossterm reports for an Esc pressed just before another key.
#[derive(Debug, Default)]
pub struct EscapeRepair {
    /// Characters after an Esc that may spell the rest of an escape sequence.
    pending: Option<String>,
}

fn plain_char(event: &Event) -> Option<char> {
    match event {
        Event::Key(KeyEvent { code: KeyCode::Char(c), modifiers, kind: KeyEventKind::Press, .. })
            if (*modifiers - KeyModifiers::SHIFT).is_empty() =>
        {
            Some(*c)
        }
        _ => None,
    }
}

fn is_plain_esc(event: &Event) -> bool {
    matches!(event, Event::Key(KeyEvent { code: KeyCode::Esc, modifiers, .. }) if modifiers.is_empty())
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

fn esc() -> Event {
    key(KeyCode::Esc, KeyModifiers::NONE)
}

/// The modifiers of an xterm modifier parameter (`1 + shift + 2·alt + 4·ctrl`).
fn modifiers(param: Option<&str>) -> KeyModifiers {
    let bits = param.and_then(|p| p.parse::<u8>().ok()).map_or(0, |m| m.saturating_sub(1));
    let mut out = KeyModifiers::NONE;
    if bits & 1 != 0 {
        out |= KeyModifiers::SHIFT;
    }
    if bits & 2 != 0 {
        out |= KeyModifiers::ALT;
    }
    if bits & 4 != 0 {
        out |= KeyModifiers::CONTROL;
    }
    out
}

/// The key a complete sequence after ESC spells (`[B`, `OQ`, `[6~`, `[1;5A` …), if known.
pub fn decode(sequence: &str) -> Option<Event> {
    let mut chars = sequence.chars();
    let intro = chars.next()?;
    let last = sequence.chars().last()?;
    let body = &sequence[1..sequence.len() - last.len_utf8()];
    let letter = |c: char| match c {
        'A' => Some(KeyCode::Up),
        'B' => Some(KeyCode::Down),
        'C' => Some(KeyCode::Right),
        'D' => Some(KeyCode::Left),
        'H' => Some(KeyCode::Home),
        'F' => Some(KeyCode::End),
        'P' => Some(KeyCode::F(1)),
        'Q' => Some(KeyCode::F(2)),
        'R' => Some(KeyCode::F(3)),
        'S' => Some(KeyCode::F(4)),
        _ => None,
    };
    match intro {
        'O' if sequence.chars().count() == 2 => letter(last).map(|c| key(c, KeyModifiers::NONE)),
        '[' => {
            let mut params = body.split(';');
            let first = params.next().filter(|p| !p.is_empty());
            let mods = modifiers(params.next());
            if last == 'Z' && body.is_empty() {
                return Some(key(KeyCode::BackTab, KeyModifiers::SHIFT));
            }
            if last == '~' {
                let code = match first?.parse::<u8>().ok()? {
                    1 | 7 => KeyCode::Home,
                    2 => KeyCode::Insert,
                    3 => KeyCode::Delete,
                    4 | 8 => KeyCode::End,
                    5 => KeyCode::PageUp,
                    6 => KeyCode::PageDown,
                    n @ 11..=15 => KeyCode::F(n - 10),
                    n @ 17..=21 => KeyCode::F(n - 11),
                    n @ 23..=24 => KeyCode::F(n - 12),
                    _ => return None,
                };
                return Some(key(code, mods));
            }
            letter(last).map(|c| key(c, mods))
        }
        _ => None,
    }
}

/// Whether `sequence` (after ESC) is complete: SS3 takes one character, CSI ends with a final
/// byte (`@`–`~`) after its parameters.
fn complete(sequence: &str) -> bool {
    match sequence.chars().next() {
        Some('O') => sequence.chars().count() >= 2,
        Some('[') => sequence.chars().skip(1).any(|c| ('@'..='~').contains(&c)),
        _ => true,
    }
}

impl EscapeRepair {
    /// Feeds one event from crossterm; `more` says whether another event is already waiting (it
    /// came in the same read). Returns the events the desk should see, in order.
    pub fn push(&mut self, event: Event, more: bool) -> Vec<Event> {
        let Some(mut sequence) = self.pending.take() else {
            return self.start(event, more);
        };
        let Some(c) = plain_char(&event) else {
            // Not part of a sequence: the Esc, then this event (a fragment so far is dropped).
            let mut out = vec![esc()];
            out.extend(self.start(event, more));
            return out;
        };
        if sequence.is_empty() && c != '[' && c != 'O' {
            // Esc, then an ordinary key.
            let mut out = vec![esc()];
            out.extend(self.start(event, more));
            return out;
        }
        sequence.push(c);
        if complete(&sequence) {
            let mut out = vec![esc()];
            out.extend(decode(&sequence));
            return out;
        }
        if more && sequence.len() < MAX_SEQUENCE {
            self.pending = Some(sequence);
            return vec![];
        }
        // Cut off: the Esc counts, the fragment never becomes text.
        vec![esc()]
    }

    /// Ends a read: an Esc still waiting is delivered (no more bytes came with it).
    pub fn flush(&mut self) -> Vec<Event> {
        match self.pending.take() {
            Some(_) => vec![esc()],
            None => vec![],
        }
    }

    fn start(&mut self, event: Event, more: bool) -> Vec<Event> {
        match &event {
            _ if is_plain_esc(&event) && more => {
                self.pending = Some(String::new());
                vec![]
            }
            // `ESC x` in one read: crossterm says Alt+x; the desk binds no Alt keys, so it was Esc
            // pressed just before x.
            Event::Key(k @ KeyEvent { code: KeyCode::Char(_), .. })
                if k.modifiers.contains(KeyModifiers::ALT) && k.kind == KeyEventKind::Press =>
            {
                let mut plain = *k;
                plain.modifiers.remove(KeyModifiers::ALT);
                vec![esc(), Event::Key(plain)]
            }
            _ => vec![event],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ch(c: char) -> Event {
        let mods = if c.is_uppercase() { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
        key(KeyCode::Char(c), mods)
    }

    /// Feeds events as one read (all but the last have `more`).
    fn feed(repair: &mut EscapeRepair, events: Vec<Event>) -> Vec<Event> {
        let n = events.len();
        let mut out = Vec::new();
        for (i, e) in events.into_iter().enumerate() {
            out.extend(repair.push(e, i + 1 < n));
        }
        out.extend(repair.flush());
        out
    }

    fn text(events: &[Event]) -> String {
        events.iter().filter_map(plain_char).collect()
    }

    #[test]
    fn esc_then_down_in_one_read_is_esc_and_down() {
        // What crossterm reports for the bytes ESC ESC [ B.
        let out = feed(&mut EscapeRepair::default(), vec![esc(), ch('['), ch('B')]);
        assert_eq!(out, vec![esc(), key(KeyCode::Down, KeyModifiers::NONE)]);
    }

    #[test]
    fn esc_then_function_and_paging_keys() {
        let out = feed(&mut EscapeRepair::default(), vec![esc(), ch('O'), ch('Q')]);
        assert_eq!(out, vec![esc(), key(KeyCode::F(2), KeyModifiers::NONE)]);
        let out = feed(&mut EscapeRepair::default(), vec![esc(), ch('['), ch('6'), ch('~')]);
        assert_eq!(out, vec![esc(), key(KeyCode::PageDown, KeyModifiers::NONE)]);
        let out = feed(&mut EscapeRepair::default(), vec![esc(), ch('['), ch('1'), ch('5'), ch('~')]);
        assert_eq!(out, vec![esc(), key(KeyCode::F(5), KeyModifiers::NONE)]);
        let out =
            feed(&mut EscapeRepair::default(), vec![esc(), ch('['), ch('1'), ch(';'), ch('5'), ch('A')]);
        assert_eq!(out, vec![esc(), key(KeyCode::Up, KeyModifiers::CONTROL)]);
    }

    #[test]
    fn esc_then_a_letter_is_two_keys() {
        let alt_a = key(KeyCode::Char('a'), KeyModifiers::ALT);
        let out = feed(&mut EscapeRepair::default(), vec![alt_a]);
        assert_eq!(out, vec![esc(), ch('a')]);
    }

    #[test]
    fn a_lone_esc_and_ordinary_typing_pass_through() {
        let mut repair = EscapeRepair::default();
        assert_eq!(repair.push(esc(), false), vec![esc()]);
        let out = feed(&mut repair, vec![ch('张'), ch('['), ch('B')]);
        assert_eq!(text(&out), "张[B");
    }

    #[test]
    fn an_unknown_or_cut_off_sequence_never_becomes_text() {
        let out = feed(&mut EscapeRepair::default(), vec![esc(), ch('['), ch('9'), ch('9'), ch('~')]);
        assert_eq!(out, vec![esc()]);
        let out = feed(&mut EscapeRepair::default(), vec![esc(), ch('['), ch('1')]);
        assert_eq!(out, vec![esc()]);
    }

    proptest! {
        /// Esc followed in the same read by any arrow, paging or function key sequence yields no
        /// text at all.
        #[test]
        fn no_fragment_of_an_escape_sequence_becomes_text(
            seq in prop::sample::select(vec![
                "[A", "[B", "[C", "[D", "[H", "[F", "OA", "OB", "OP", "OS", "[2~", "[3~", "[5~", "[6~",
                "[15~", "[24~", "[1;2B", "[1;5D", "[Z",
            ]),
            escs in 1usize..3,
        ) {
            let mut events: Vec<Event> = (0..escs).map(|_| esc()).collect();
            events.extend(seq.chars().map(ch));
            let out = feed(&mut EscapeRepair::default(), events);
            prop_assert_eq!(text(&out), "");
            prop_assert!(out.contains(&esc()));
        }
    }
}
