//! Embeds every `.toml` file of `knowledge-base/` into the binary as `EMBEDDED_KB`, and beside
//! each the same file converted to JSON (`EMBEDDED_KB_JSON`, `None` for a file that does not
//! parse): parsing TOML is most of what loading the KB costs at every desk start, JSON of the same
//! values parses several times faster (see `src/kb/source.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Every knowledge-base file, as (path relative to `knowledge-base/`, contents).\npub static EMBEDDED_KB: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap();
        let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        writeln!(code, "    ({rel:?}, include_str!({:?})),", file.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    code.push_str(
        "/// Each file of `EMBEDDED_KB` as JSON of its TOML values, if it parses.\npub static EMBEDDED_KB_JSON: &[Option<&str>] = &[\n",
    );
    std::fs::create_dir_all(out_dir.join("kb_json")).unwrap();
    for (i, file) in files.iter().enumerate() {
        let json = std::fs::read_to_string(file)
            .ok()
            .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
            .and_then(|table| serde_json::to_string(&table).ok());
        match json {
            Some(json) => {
                let path = out_dir.join("kb_json").join(format!("{i}.json"));
                std::fs::write(&path, json).unwrap();
                writeln!(code, "    Some(include_str!({:?})),", path.display().to_string()).unwrap();
            }
            None => code.push_str("    None,\n"),
        }
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("embedded_kb.rs"), code).unwrap();
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(path);
        }
    }
}
