//! Item search for the clerk's search box and `kb search`: by item code, Chinese name and aliases
//! (exact, prefix, substring, fuzzy), full pinyin and pinyin initials (`gsdj` → 公司登记), and
//! material names. Every key is computed once when the index is built, so a query only compares
//! strings; several words separated by spaces must all match.

pub mod pinyin;

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

/// A name or alias with its pinyin keys.
#[derive(Debug)]
struct Names {
    text: String,
    lower: String,
    full: String,
    initials: String,
    kind: MatchKind,
}

/// What one item can be found by.
#[derive(Debug)]
struct Keys {
    code: String,
    names: Vec<Names>,
    materials: Vec<String>,
}

/// The search index over a KB's items (and, when built with them, its bundles after the items).
#[derive(Debug)]
pub struct SearchIndex {
    items: Vec<Keys>,
    /// How many of `items` are items; the rest are bundles.
    item_count: usize,
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
                    text: text.clone(),
                    lower: text.to_lowercase(),
                    full: pinyin::full(text),
                    initials: pinyin::initials(text),
                    kind,
                })
                .collect()
        };
        let keys = items
            .iter()
            .map(|item| Keys {
                code: item.code.to_lowercase(),
                names: names(&item.name, &item.aliases),
                materials: item.materials.iter().map(|m| m.name.clone()).collect(),
            })
            .chain(bundles.iter().map(|b| Keys {
                code: b.id.to_lowercase(),
                names: names(&b.name, &b.aliases),
                materials: Vec::new(),
            }))
            .collect();
        Self { items: keys, item_count: items.len() }
    }

    /// Items matching every word of `query`, best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let terms: Vec<Term> = query.split_whitespace().map(Term::new).collect();
        if terms.is_empty() {
            return Vec::new();
        }
        // A query typed as spaced pinyin ("gong si deng ji") is also tried as one word.
        let joined = (terms.len() > 1 && terms.iter().all(|t| t.ascii)).then(|| Term::new(&terms.concat()));
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut hits: Vec<Hit> = Vec::new();
        for (index, keys) in self.items.iter().enumerate() {
            let all = score_all(keys, &terms, &mut matcher);
            let whole = joined.as_ref().and_then(|t| t.score(keys, &mut matcher));
            let best = match (all, whole) {
                (Some(a), Some(w)) => Some(if w.0 >= a.0 { w } else { a }),
                (a, w) => a.or(w),
            };
            if let Some((score, matched, field)) = best {
                let bundle = index >= self.item_count;
                let index = if bundle { index - self.item_count } else { index };
                hits.push(Hit { index, bundle, score, matched, field });
            }
        }
        let name_len = |h: &Hit| {
            let at = if h.bundle { h.index + self.item_count } else { h.index };
            self.items[at].names.first().map_or(0, |n| n.text.chars().count())
        };
        // On equal scores a bundle comes first: it is what the applicant came for.
        hits.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then_with(|| b.bundle.cmp(&a.bundle))
                .then_with(|| name_len(a).cmp(&name_len(b)))
                .then_with(|| a.index.cmp(&b.index))
        });
        hits.truncate(limit);
        hits
    }
}

/// All terms must match; the score is their sum, the reported match the best term's.
fn score_all(keys: &Keys, terms: &[Term], matcher: &mut Matcher) -> Option<(u32, MatchKind, String)> {
    let mut total = 0u32;
    let mut best: Option<(u32, MatchKind, String)> = None;
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
        Self { lower, ascii, pattern }
    }

    /// The best way this term matches the item.
    fn score(&self, keys: &Keys, matcher: &mut Matcher) -> Option<(u32, MatchKind, String)> {
        use score::*;
        let q = self.lower.as_str();
        let mut best: Option<(u32, MatchKind, String)> = None;
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
            let text_score = if n.lower == q {
                NAME_EXACT
            } else if n.lower.starts_with(q) {
                NAME_PREFIX
            } else if n.lower.contains(q) {
                NAME_SUBSTRING
            } else {
                0
            };
            if text_score > 0 {
                offer(&mut best, text_score - penalty, n.kind, &n.text);
            }
            if self.ascii && !q.is_empty() {
                let initials = if n.initials == q {
                    INITIALS_EXACT
                } else if n.initials.starts_with(q) {
                    INITIALS_PREFIX
                } else if q.len() >= 2 && n.initials.contains(q) {
                    INITIALS_SUBSTRING
                } else {
                    0
                };
                if initials > 0 {
                    offer(&mut best, initials - penalty, MatchKind::Initials, &n.text);
                }
                let full = if n.full.starts_with(q) {
                    PINYIN_PREFIX
                } else if q.len() >= 3 && n.full.contains(q) {
                    PINYIN_SUBSTRING
                } else {
                    0
                };
                if full > 0 {
                    offer(&mut best, full - penalty, MatchKind::Pinyin, &n.text);
                }
            }
            name_matched |= n.kind == MatchKind::Name && best.as_ref().map(|b| b.0) != before;
        }
        if name_matched && let (Some(best), Some(name)) = (best.as_mut(), keys.names.first()) {
            best.2.clone_from(&name.text);
            if best.1 == MatchKind::Alias {
                best.1 = MatchKind::Name;
            }
        }
        if !self.ascii {
            for m in &keys.materials {
                if m.contains(q) {
                    offer(&mut best, MATERIAL, MatchKind::Material, m);
                }
            }
        }
        if best.is_none() {
            // Typos and characters in another order: fuzzy on names (and their pinyin).
            let mut buf = Vec::new();
            for n in &keys.names {
                let haystacks: &[&str] = if self.ascii { &[&n.full, &n.initials] } else { &[&n.text] };
                for haystack in haystacks {
                    if let Some(s) = self.pattern.score(Utf32Str::new(haystack, &mut buf), matcher) {
                        // Fuzzy scores grow with the query; keep them below every exact kind.
                        let scaled = (s * 10).min(FUZZY_MAX - 1);
                        let min = if self.ascii { 16 * self.lower.len() as u32 } else { 16 };
                        if s >= min {
                            offer(
                                &mut best,
                                scaled.saturating_sub(if n.kind == MatchKind::Alias { 100 } else { 0 }),
                                n.kind,
                                &n.text,
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
fn offer(best: &mut Option<(u32, MatchKind, String)>, score: u32, kind: MatchKind, field: &str) {
    if best.as_ref().is_none_or(|b| score > b.0) {
        *best = Some((score, kind, field.to_string()));
    }
}

#[cfg(test)]
mod tests;
