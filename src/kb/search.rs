//! TEMPORARY substring search; replaced by the pinyin/fuzzy engine on branch `search`.
use super::Item;

/// Search index.
pub struct SearchIndex {
    names: Vec<(String, String)>,
}

/// What kind of field matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MatchKind {
    Code,
    Name,
    Alias,
    Pinyin,
    Initials,
    Material,
}

/// One result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub index: usize,
    pub score: u32,
    pub matched: MatchKind,
    pub field: String,
}

impl SearchIndex {
    /// Builds the index.
    pub fn new(items: &[Item]) -> Self {
        Self { names: items.iter().map(|i| (i.code.clone(), i.name.clone())).collect() }
    }
    /// Searches.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q = query.trim();
        if q.is_empty() {
            return vec![];
        }
        self.names
            .iter()
            .enumerate()
            .filter(|(_, (c, n))| n.contains(q) || c.starts_with(q))
            .map(|(index, (_, n))| Hit { index, score: 1, matched: MatchKind::Name, field: n.clone() })
            .take(limit)
            .collect()
    }
}
