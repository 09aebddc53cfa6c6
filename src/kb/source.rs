//! Where knowledge-base files come from: the copy embedded at build time, or a directory on disk.
//!
//! Both are reduced to the same list of `(relative path, text)` pairs so that loading and checking
//! never care where the files came from.

use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/embedded_kb.rs"));

/// One knowledge-base file: its path relative to the KB root (with `/` separators) and its text.
#[derive(Debug, Clone)]
pub struct KbFile {
    /// Path relative to the KB root, e.g. `items/00013112700401.toml`.
    pub path: String,
    /// UTF-8 contents.
    pub text: String,
}

/// A set of knowledge-base files plus a label used when reporting problems.
#[derive(Debug, Clone)]
pub struct KbSource {
    /// How file paths are prefixed in messages (the directory, or `<embedded>`).
    pub label: String,
    /// All `.toml` files, sorted by path.
    pub files: Vec<KbFile>,
}

impl KbSource {
    /// The knowledge base compiled into this binary.
    pub fn embedded() -> Self {
        let files = EMBEDDED_KB
            .iter()
            .map(|(path, text)| KbFile { path: (*path).to_string(), text: (*text).to_string() })
            .collect();
        Self { label: "knowledge-base".into(), files }
    }

    /// Every `.toml` file below `dir`. Files that are not UTF-8 are reported as errors.
    pub fn from_dir(dir: &Path) -> std::io::Result<Self> {
        let mut paths = Vec::new();
        collect_toml(dir, &mut paths)?;
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let bytes = std::fs::read(&path)?;
            let text = String::from_utf8(bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: 不是 UTF-8 编码 (第 {} 字节)", path.display(), e.utf8_error().valid_up_to()),
                )
            })?;
            let rel = path.strip_prefix(dir).unwrap_or(&path);
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            files.push(KbFile { path: rel, text });
        }
        Ok(Self { label: dir.display().to_string(), files })
    }

    /// The path of a file as shown in messages (`DIR/items/x.toml`).
    pub fn display_path(&self, rel: &str) -> String {
        format!("{}/{}", self.label.trim_end_matches('/'), rel)
    }
}

/// The values of `file`, the `index`-th of its source, as a TOML table, parsed from the JSON that
/// build.rs made of the embedded file with the same path and the same text (several times faster
/// than parsing the TOML; the embedded KB is loaded at every desk start). `None` for any other
/// file, which is parsed as TOML.
pub fn prebuilt_table(index: usize, file: &KbFile) -> Option<toml::Table> {
    let same_path = |i: &usize| EMBEDDED_KB.get(*i).is_some_and(|(path, _)| *path == file.path);
    // The embedded source lists the files in the same order; any other looks the path up.
    let i = Some(index)
        .filter(same_path)
        .or_else(|| EMBEDDED_KB.iter().position(|(path, _)| *path == file.path))?;
    if EMBEDDED_KB[i].1 != file.text {
        return None;
    }
    serde_json::from_str(EMBEDDED_KB_JSON.get(i).copied().flatten()?).ok()
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON made at build time gives every embedded file exactly the values its TOML has
    /// (dates included), and is never used for a file whose text differs.
    #[test]
    fn prebuilt_tables_equal_the_toml() {
        let source = KbSource::embedded();
        for (i, file) in source.files.iter().enumerate() {
            let toml = toml::from_str::<toml::Table>(&file.text).expect("embedded files parse");
            assert_eq!(prebuilt_table(i, file).as_ref(), Some(&toml), "{}", file.path);
            assert_eq!(prebuilt_table(0, file).as_ref(), Some(&toml), "{} looked up by path", file.path);
        }
        let calendar = source.files.iter().find(|f| f.path.starts_with("calendar/")).expect("a calendar");
        assert!(matches!(
            prebuilt_table(0, calendar).unwrap()["holidays"][0]["from"],
            toml::Value::Datetime(_)
        ));
        let mut changed = source.files[0].clone();
        changed.text.push_str("\n# changed\n");
        assert_eq!(prebuilt_table(0, &changed), None);
    }
}
