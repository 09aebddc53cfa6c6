//! Search index over the knowledge base (pinyin + fuzzy).
