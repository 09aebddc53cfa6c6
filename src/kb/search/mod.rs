//! Item search for the clerk's search box and `kb search`: by item code, Chinese name and aliases
//! (exact, prefix, substring, fuzzy), full pinyin and pinyin initials (`gsdj` → 公司登记), and
//! material names. Every key is computed once when the index is built, so a query only compares
//! strings; several words separated by spaces must all match.
//!
//! Kept fast for a KB of hundreds of items with aliases and many materials (`benches/kb.rs`): the
//! haystacks of the fuzzy matcher are converted once, each query word builds one substring searcher
//! for every field, an item's materials are searched as one string, and the matcher's scratch
//! memory is reused from query to query.

pub mod pinyin;

use std::sync::Mutex;

use memchr::memmem::Finder;
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::{Bundle, Item};

/// What a hit matched on, for the "why" shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The item code.
    Code,
    /// The item's name.
    Name,
    /// One of its aliases (群众叫法).
    Alias,
    /// Full pinyin of the name or an alias.
    Pinyin,
    /// Pinyin initials of the name or an alias.
    Initials,
    /// A material's name.
    Material,
}

/// One ranked result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    /// Index into the KB's items, or into its bundles when `bundle` is set.
    pub index: usize,
    /// The hit is a bundle (一件事): only an index built [`SearchIndex::with_bundles`] gives these.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bundle: bool,
    /// Higher is better.
    pub score: u32,
    /// What matched best.
    pub matched: MatchKind,
    /// The text that matched (name, alias or material name; the code for code hits).
    pub field: String,
}

/// A text the fuzzy matcher runs on, with its characters as the matcher wants them computed once
/// (what [`Utf32Str::new`] would compute on every query).
#[derive(Debug)]
struct Haystack {
    text: String,
    /// The grapheme-wise characters, when the text is not ASCII.
    chars: Option<Box<[char]>>,
}

impl Haystack {
    fn new(text: String) -> Self {
        let mut buf = Vec::new();
        let chars = match Utf32Str::new(&text, &mut buf) {
            Utf32Str::Unicode(chars) => Some(chars.into()),
            Utf32Str::Ascii(_) => None,
        };
        Self { text, chars }
    }

    fn utf32(&self) -> Utf32Str<'_> {
        match &self.chars {
            Some(chars) => Utf32Str::Unicode(chars),
            None => Utf32Str::Ascii(self.text.as_bytes()),
        }
    }
}

/// A name or alias with its pinyin keys.
#[derive(Debug)]
struct Names {
    text: Haystack,
    lower: String,
    /// Whether `lower` has an ASCII letter or digit: else no word of them can be in it.
    lower_has_ascii: bool,
    full: Haystack,
    initials: Haystack,
    kind: MatchKind,
}

/// What one item can be found by.
#[derive(Debug)]
struct Keys {
    code: String,
    names: Vec<Names>,
    /// Characters in the name, the tie-break of equal scores (shorter first).
    name_chars: usize,
    materials: Materials,
}

/// An item's material names, joined by line breaks (which no query word contains) so that one
/// search finds the first material containing a word.
#[derive(Debug, Default)]
struct Materials {
    joined: String,
    /// Where each name starts in `joined`.
    starts: Vec<usize>,
}

impl Materials {
    fn new<'a>(names: impl Iterator<Item = &'a str>) -> Self {
        let mut m = Self::default();
        for name in names {
            if !m.starts.is_empty() {
                m.joined.push('\n');
            }
            m.starts.push(m.joined.len());
            m.joined.push_str(name);
        }
        m
    }

    /// The first material name containing the searcher's word.
    fn first_containing(&self, finder: &Finder) -> Option<&str> {
        if self.starts.is_empty() {
            return None;
        }
        let at = finder.find(self.joined.as_bytes())?;
        let k = self.starts.partition_point(|&s| s <= at) - 1;
        let end = self.starts.get(k + 1).map_or(self.joined.len(), |next| next - 1);
        Some(&self.joined[self.starts[k]..end])
    }
}

/// The search index over a KB's items (and, when built with them, its bundles after the items).
#[derive(Debug)]
pub struct SearchIndex {
    items: Vec<Keys>,
    /// How many of `items` are items; the rest are bundles.
    item_count: usize,
    /// The fuzzy matcher's scratch memory (allocating it costs more than a query), reused by
    /// one query at a time; a query that finds it busy uses a fresh one.
    matcher: Mutex<Matcher>,
}

/// Scores of the match kinds, best first; fuzzy matches score below every exact kind.
mod score {
    pub const CODE_EXACT: u32 = 10_000;
    pub const CODE_PREFIX: u32 = 9_000;
    pub const NAME_EXACT: u32 = 8_500;
    pub const NAME_PREFIX: u32 = 8_000;
    pub const INITIALS_EXACT: u32 = 7_800;
    pub const NAME_SUBSTRING: u32 = 7_500;
    pub const INITIALS_PREFIX: u32 = 7_200;
    pub const PINYIN_PREFIX: u32 = 7_000;
    pub const INITIALS_SUBSTRING: u32 = 6_000;
    pub const PINYIN_SUBSTRING: u32 = 5_800;
    pub const MATERIAL: u32 = 5_000;
    pub const FUZZY_MAX: u32 = 4_000;
    /// Aliases score this much below the same match on the name.
    pub const ALIAS_PENALTY: u32 = 300;
}

impl SearchIndex {
    /// Builds the index (pinyin of every name and alias is computed here, once).
    pub fn new(items: &[Item]) -> Self {
        Self::with_bundles(items, &[])
    }

    /// Builds the index over items and bundles (一件事): a bundle is found by its id, name,
    /// aliases and their pinyin like an item, and its hits say `bundle`.
    pub fn with_bundles(items: &[Item], bundles: &[Bundle]) -> Self {
        let names = |name: &String, aliases: &[String]| -> Vec<Names> {
            std::iter::once((name, MatchKind::Name))
                .chain(aliases.iter().map(|a| (a, MatchKind::Alias)))
                .map(|(text, kind)| Names {
                    text: Haystack::new(text.clone()),
                    lower_has_ascii: text.to_lowercase().chars().any(|c| c.is_ascii_alphanumeric()),
                    lower: text.to_lowercase(),
                    full: Haystack::new(pinyin::full(text)),
                    initials: Haystack::new(pinyin::initials(text)),
                    kind,
                })
                .collect()
        };
        let keys = items
            .iter()
            .map(|item| Keys {
                code: item.code.to_lowercase(),
                names: names(&item.name, &item.aliases),
                name_chars: item.name.chars().count(),
                materials: Materials::new(item.materials.iter().map(|m| m.name.as_str())),
            })
            .chain(bundles.iter().map(|b| Keys {
                code: b.id.to_lowercase(),
                names: names(&b.name, &b.aliases),
                name_chars: b.name.chars().count(),
                materials: Materials::new(std::iter::empty()),
            }))
            .collect();
        Self { items: keys, item_count: items.len(), matcher: Mutex::new(Matcher::new(Config::DEFAULT)) }
    }

    /// Items matching every word of `query`, best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let terms: Vec<Term> = query.split_whitespace().map(Term::new).collect();
        if terms.is_empty() {
            return Vec::new();
        }
        // A query typed as spaced pinyin ("gong si deng ji") is also tried as one word.
        let joined = (terms.len() > 1 && terms.iter().all(|t| t.ascii)).then(|| Term::new(&terms.concat()));
        let mut fresh = None;
        let mut guard = self.matcher.try_lock().ok();
        let matcher = match guard.as_deref_mut() {
            Some(shared) => shared,
            None => fresh.insert(Matcher::new(Config::DEFAULT)),
        };
        let mut hits: Vec<(usize, u32, MatchKind, &str)> = Vec::new();
        for (index, keys) in self.items.iter().enumerate() {
            let all = score_all(keys, &terms, matcher);
            let whole = joined.as_ref().and_then(|t| t.score(keys, matcher));
            let best = match (all, whole) {
                (Some(a), Some(w)) => Some(if w.0 >= a.0 { w } else { a }),
                (a, w) => a.or(w),
            };
            if let Some((score, matched, field)) = best {
                hits.push((index, score, matched, field));
            }
        }
        // On equal scores a bundle comes first: it is what the applicant came for.
        hits.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| (b.0 >= self.item_count).cmp(&(a.0 >= self.item_count)))
                .then_with(|| self.items[a.0].name_chars.cmp(&self.items[b.0].name_chars))
                .then_with(|| a.0.cmp(&b.0))
        });
        hits.truncate(limit);
        hits.into_iter()
            .map(|(index, score, matched, field)| {
                let bundle = index >= self.item_count;
                let index = if bundle { index - self.item_count } else { index };
                Hit { index, bundle, score, matched, field: field.to_string() }
            })
            .collect()
    }
}

/// All terms must match; the score is their sum, the reported match the best term's.
fn score_all<'k>(keys: &'k Keys, terms: &[Term], matcher: &mut Matcher) -> Option<(u32, MatchKind, &'k str)> {
    let mut total = 0u32;
    let mut best: Option<(u32, MatchKind, &'k str)> = None;
    for term in terms {
        let (score, kind, field) = term.score(keys, matcher)?;
        total = total.saturating_add(score);
        if best.as_ref().is_none_or(|b| score > b.0) {
            best = Some((score, kind, field));
        }
    }
    best.map(|(_, kind, field)| (total / terms.len() as u32, kind, field))
}

/// One word of a query, normalised.
struct Term {
    lower: String,
    /// Only ASCII letters and digits: may be pinyin, initials or a code.
    ascii: bool,
    pattern: Pattern,
    /// Finds `lower` in any field.
    finder: Finder<'static>,
}

impl std::borrow::Borrow<str> for Term {
    fn borrow(&self) -> &str {
        &self.lower
    }
}

impl Term {
    fn new(word: &str) -> Self {
        let lower: String = word.to_lowercase().chars().filter(|c| !matches!(c, '\'' | '-')).collect();
        let ascii = lower.chars().all(|c| c.is_ascii_alphanumeric());
        let pattern = Pattern::new(&lower, CaseMatching::Ignore, Normalization::Smart, AtomKind::Fuzzy);
        let finder = Finder::new(lower.as_bytes()).into_owned();
        Self { lower, ascii, pattern, finder }
    }

    /// Whether `text` contains the word.
    fn within(&self, text: &str) -> bool {
        self.finder.find(text.as_bytes()).is_some()
    }

    /// The best way this term matches the item.
    fn score<'k>(&self, keys: &'k Keys, matcher: &mut Matcher) -> Option<(u32, MatchKind, &'k str)> {
        use score::*;
        let q = self.lower.as_str();
        let mut best: Option<(u32, MatchKind, &'k str)> = None;
        if keys.code == q {
            offer(&mut best, CODE_EXACT, MatchKind::Code, &keys.code);
        } else if q.len() >= 2 && keys.code.starts_with(q) {
            offer(&mut best, CODE_PREFIX, MatchKind::Code, &keys.code);
        }
        // Whether the item's own name matches too: then the hit reports the name even when an
        // alias scores higher, so the list only explains items whose name does not show the query.
        let mut name_matched = false;
        for n in &keys.names {
            let before = best.as_ref().map(|b| b.0);
            let penalty = if n.kind == MatchKind::Alias { ALIAS_PENALTY } else { 0 };
            // An ASCII word (not empty) cannot be in a name without ASCII letters or digits.
            let text_score = if self.ascii && !q.is_empty() && !n.lower_has_ascii {
                0
            } else if n.lower == q {
                NAME_EXACT
            } else if n.lower.starts_with(q) {
                NAME_PREFIX
            } else if self.within(&n.lower) {
                NAME_SUBSTRING
            } else {
                0
            };
            if text_score > 0 {
                offer(&mut best, text_score - penalty, n.kind, &n.text.text);
            }
            if self.ascii && !q.is_empty() {
                let initials = &n.initials.text;
                let initials = if initials == q {
                    INITIALS_EXACT
                } else if initials.starts_with(q) {
                    INITIALS_PREFIX
                } else if q.len() >= 2 && self.within(initials) {
                    INITIALS_SUBSTRING
                } else {
                    0
                };
                if initials > 0 {
                    offer(&mut best, initials - penalty, MatchKind::Initials, &n.text.text);
                }
                let full = if n.full.text.starts_with(q) {
                    PINYIN_PREFIX
                } else if q.len() >= 3 && self.within(&n.full.text) {
                    PINYIN_SUBSTRING
                } else {
                    0
                };
                if full > 0 {
                    offer(&mut best, full - penalty, MatchKind::Pinyin, &n.text.text);
                }
            }
            name_matched |= n.kind == MatchKind::Name && best.as_ref().map(|b| b.0) != before;
        }
        if name_matched && let (Some(best), Some(name)) = (best.as_mut(), keys.names.first()) {
            best.2 = &name.text.text;
            if best.1 == MatchKind::Alias {
                best.1 = MatchKind::Name;
            }
        }
        if !self.ascii
            && let Some(m) = keys.materials.first_containing(&self.finder)
        {
            offer(&mut best, MATERIAL, MatchKind::Material, m);
        }
        if best.is_none() {
            // Typos and characters in another order: fuzzy on names (and their pinyin).
            for n in &keys.names {
                let haystacks: &[&Haystack] = if self.ascii { &[&n.full, &n.initials] } else { &[&n.text] };
                for haystack in haystacks {
                    if let Some(s) = self.pattern.score(haystack.utf32(), matcher) {
                        // Fuzzy scores grow with the query; keep them below every exact kind.
                        let scaled = (s * 10).min(FUZZY_MAX - 1);
                        let min = if self.ascii { 16 * self.lower.len() as u32 } else { 16 };
                        if s >= min {
                            offer(
                                &mut best,
                                scaled.saturating_sub(if n.kind == MatchKind::Alias { 100 } else { 0 }),
                                n.kind,
                                &n.text.text,
                            );
                        }
                    }
                }
            }
        }
        best
    }
}

/// Keeps the better of `best` and a new match.
fn offer<'k>(best: &mut Option<(u32, MatchKind, &'k str)>, score: u32, kind: MatchKind, field: &'k str) {
    if best.as_ref().is_none_or(|b| score > b.0) {
        *best = Some((score, kind, field));
    }
}

#[cfg(test)]
mod tests;
