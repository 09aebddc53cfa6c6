//! The knowledge base (知识库): every service item's acceptance standard, the holiday calendar, and
//! the search index. Loaded once at start from the embedded copy or `--kb DIR`, then read-only.

pub mod bundle;
pub mod calendar;
pub mod check;
mod check_limits;
mod check_situations;
pub mod commitment;
pub mod conditions;
pub mod draft;
pub mod drills;
pub mod elements;
pub mod forms;
pub mod guide;
pub mod import;
pub mod library;
pub mod limits;
pub mod model;
pub mod search;
pub mod source;
pub mod terms;

use std::path::Path;

pub use bundle::Bundle;
pub use calendar::{Calendar, PROVISIONAL_MARK, PROVISIONAL_NOTE};
pub use check::Problem;
pub use drills::Drill;
pub use forms::Form;
pub use model::{Item, ItemStatus, KbMeta, Material};
pub use source::KbSource;

/// A loaded, checked knowledge base.
#[derive(Debug, Clone)]
pub struct Kb {
    /// Version information from `kb.toml`.
    pub meta: KbMeta,
    /// Items sorted by code.
    pub items: Vec<Item>,
    /// Working-day calendar built from `calendar/*.toml`.
    pub calendar: Calendar,
    /// Agency forms (`forms/*.toml`), sorted by id.
    pub forms: Vec<Form>,
    /// Drill scenarios (`drills/*.toml`), sorted by id.
    pub drills: Vec<Drill>,
    /// Bundles of items taken in one intake (`bundles/*.toml`, 一件事), sorted by id.
    pub bundles: Vec<Bundle>,
}

/// Why a knowledge base could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The directory could not be read.
    #[error("无法读取知识库目录 {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The files have problems; all of them are listed.
    #[error("知识库有 {} 个问题:\n{}", .0.len(), .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

impl Kb {
    /// Loads the copy compiled into the binary.
    pub fn embedded() -> Result<Self, LoadError> {
        Self::from_source(&KbSource::embedded())
    }

    /// Loads a knowledge-base directory (`--kb DIR`).
    pub fn from_dir(dir: &Path) -> Result<Self, LoadError> {
        let source = KbSource::from_dir(dir)
            .map_err(|source| LoadError::Io { path: dir.display().to_string(), source })?;
        Self::from_source(&source)
    }

    /// Loads the directory if given, else the embedded copy.
    pub fn load(dir: Option<&Path>) -> Result<Self, LoadError> {
        match dir {
            Some(dir) => Self::from_dir(dir),
            None => Self::embedded(),
        }
    }

    /// Checks and assembles a set of files; any problem refuses the whole KB.
    pub fn from_source(source: &KbSource) -> Result<Self, LoadError> {
        let (parsed, problems) = check::check(source);
        if !problems.is_empty() {
            return Err(LoadError::Invalid(problems));
        }
        let meta = parsed.meta.ok_or_else(|| LoadError::Invalid(Vec::new()))?;
        let mut items: Vec<Item> = parsed.items.into_iter().map(|(_, item)| item).collect();
        items.sort_by(|a, b| a.code.cmp(&b.code));
        let mut forms: Vec<Form> = parsed.forms.into_iter().map(|(_, f)| f).collect();
        forms.sort_by(|a, b| a.id.cmp(&b.id));
        let mut drills: Vec<Drill> = parsed.drills.into_iter().map(|(_, d)| d).collect();
        drills.sort_by(|a, b| a.id.cmp(&b.id));
        let mut bundles: Vec<Bundle> = parsed.bundles.into_iter().map(|(_, b)| b).collect();
        bundles.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Self { meta, items, calendar: Calendar::new(parsed.calendars), forms, drills, bundles })
    }

    /// The form with this id.
    pub fn form(&self, id: &str) -> Option<&Form> {
        self.forms.binary_search_by(|f| f.id.as_str().cmp(id)).ok().map(|i| &self.forms[i])
    }

    /// The forms used for an item (agency mode offers them).
    pub fn forms_for<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Form> + 'a {
        self.forms.iter().filter(move |f| f.items.iter().any(|c| c == code))
    }

    /// The drill with this id.
    pub fn drill(&self, id: &str) -> Option<&Drill> {
        self.drills.binary_search_by(|d| d.id.as_str().cmp(id)).ok().map(|i| &self.drills[i])
    }

    /// The bundle with this id, or else this name or alias (`企业开办`).
    pub fn bundle(&self, key: &str) -> Option<&Bundle> {
        let key = key.trim();
        self.bundles
            .iter()
            .find(|b| b.id == key)
            .or_else(|| self.bundles.iter().find(|b| b.name == key || b.aliases.iter().any(|a| a == key)))
    }

    /// The item with this code.
    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.binary_search_by(|i| i.code.as_str().cmp(code)).ok().map(|i| &self.items[i])
    }

    /// Codes of the items whose name or an alias contains `text`, so that lists of cases, which
    /// store only the code, can be searched by the item's name.
    pub fn codes_named(&self, text: &str) -> Vec<&str> {
        let text = text.trim();
        if text.is_empty() {
            return Vec::new();
        }
        self.items
            .iter()
            .filter(|i| i.name.contains(text) || i.aliases.iter().any(|a| a.contains(text)))
            .map(|i| i.code.as_str())
            .collect()
    }
}
