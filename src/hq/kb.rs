//! KB publishing at HQ: a package of KB files is checked exactly like `yichuang kb check` before it
//! is stored under its content hash, so a desk never downloads a KB it cannot load.

use crate::kb::source::{KbFile, KbSource};
use crate::kb::{Kb, LoadError};
use crate::protocol::{KbFileBody, KbPackage};

/// Most files one KB package may hold.
pub const MAX_FILES: usize = 10_000;

/// Builds a KB from uploaded files; the error lists every problem (file:line:column: message).
pub fn load_package(files: &[KbFileBody]) -> Result<Kb, String> {
    if files.is_empty() {
        return Err("知识库包没有文件".into());
    }
    if files.len() > MAX_FILES {
        return Err(format!("知识库包最多 {MAX_FILES} 个文件，收到 {} 个", files.len()));
    }
    for f in files {
        let bad = f.path.is_empty()
            || f.path.starts_with('/')
            || f.path.contains('\\')
            || f.path.split('/').any(|part| part.is_empty() || part == "." || part == "..")
            || !f.path.ends_with(".toml");
        if bad {
            return Err(format!("文件路径 {:?} 无效：须为知识库目录内的相对路径，以 .toml 结尾", f.path));
        }
    }
    let mut sorted: Vec<KbFile> =
        files.iter().map(|f| KbFile { path: f.path.clone(), text: f.text.clone() }).collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    if sorted.windows(2).any(|w| w[0].path == w[1].path) {
        return Err("知识库包中有重复的文件路径".into());
    }
    let source = KbSource { label: "<上传>".into(), files: sorted };
    let kb = Kb::from_source(&source).map_err(|e| match e {
        LoadError::Invalid(problems) if problems.is_empty() => "缺少 kb.toml".to_string(),
        other => other.to_string(),
    })?;
    // Drafts (待审核, from `kb import`) load at a desk but are never published: their checkpoints
    // and key marks are unreviewed.
    let drafts: Vec<String> =
        kb.items.iter().filter(|i| i.is_draft()).map(|i| format!("{} {}", i.code, i.name)).collect();
    if !drafts.is_empty() {
        return Err(format!("知识库含 {} 个待审核事项，不能发布：{}", drafts.len(), drafts.join("、")));
    }
    Ok(kb)
}

/// Checks a package and fills its hash and version; the error is for a 400.
pub fn prepare(mut package: KbPackage) -> Result<KbPackage, String> {
    let kb = load_package(&package.files)?;
    package.files.sort_by(|a, b| a.path.cmp(&b.path));
    package.hash = KbPackage::content_hash(&package.files);
    package.version = kb.meta.version;
    Ok(package)
}

/// The files of a KB directory as a package (for `hq kb publish DIR`).
pub fn package_dir(dir: &std::path::Path) -> Result<KbPackage, String> {
    let source = KbSource::from_dir(dir).map_err(|e| format!("无法读取知识库目录 {}: {e}", dir.display()))?;
    let files: Vec<KbFileBody> =
        source.files.into_iter().map(|f| KbFileBody { path: f.path, text: f.text }).collect();
    let hash = KbPackage::content_hash(&files);
    Ok(KbPackage { files, hash, version: String::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_kb_packs_and_loads_and_bad_paths_are_refused() {
        let source = KbSource::embedded();
        let files: Vec<KbFileBody> =
            source.files.iter().map(|f| KbFileBody { path: f.path.clone(), text: f.text.clone() }).collect();
        let package =
            prepare(KbPackage { files: files.clone(), hash: String::new(), version: String::new() }).unwrap();
        assert_eq!(package.version, Kb::embedded().unwrap().meta.version);
        assert_eq!(package.hash.len(), 64);
        let mut bad = files.clone();
        bad.push(KbFileBody { path: "../etc/x.toml".into(), text: String::new() });
        assert!(load_package(&bad).unwrap_err().contains("无效"));
        let mut broken = files;
        broken.push(KbFileBody { path: "items/zz.toml".into(), text: "code = ".into() });
        assert!(load_package(&broken).unwrap_err().contains("items/zz.toml"));
    }

    #[test]
    fn a_kb_holding_a_draft_is_never_published() {
        let mut files: Vec<KbFileBody> = KbSource::embedded()
            .files
            .iter()
            .map(|f| KbFileBody { path: f.path.clone(), text: f.text.clone() })
            .collect();
        let item = files.iter_mut().find(|f| f.path == "items/00013112700401.toml").unwrap();
        item.text = item.text.replacen(
            "code = \"00013112700401\"",
            "code = \"00013112700401\"\nstatus = \"draft\"",
            1,
        );
        assert!(
            Kb::from_source(&KbSource {
                label: "t".into(),
                files: files.iter().map(|f| KbFile { path: f.path.clone(), text: f.text.clone() }).collect()
            })
            .is_ok_and(|kb| kb.item("00013112700401").is_some_and(|i| i.is_draft()))
        );
        let err = load_package(&files).unwrap_err();
        assert!(err.contains("待审核") && err.contains("00013112700401"), "{err}");
    }
}
