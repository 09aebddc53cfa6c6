//! Printing notices: each notice is written as `<case number>-<kind>.pdf` and `.txt` into the
//! notices directory, then handed to the configured print command (e.g. `lp`); without one, the
//! written path is the result the desk shows. Called from the effects worker, never the UI thread.

mod pdf;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::intake::notice::Notice;

/// Where and how to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintConfig {
    /// Directory the PDF and text files are written to.
    pub out_dir: PathBuf,
    /// Print command and its arguments, split on spaces; the PDF's path is appended (`lp -d hall`).
    pub command: Option<String>,
    /// How long the command may take before it is abandoned.
    pub timeout: Duration,
}

impl PrintConfig {
    /// Files only, into `out_dir`.
    pub fn files(out_dir: PathBuf) -> Self {
        Self { out_dir, command: None, timeout: Duration::from_secs(20) }
    }
}

/// What printing one notice did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintOutcome {
    /// The PDF written.
    pub pdf: PathBuf,
    /// The plain-text copy written.
    pub text: PathBuf,
    /// Whether the print command accepted it.
    pub printed: bool,
    /// Characters the font lacks (printed as □), for the clerk to write in by hand.
    pub missing_glyphs: Vec<char>,
}

/// Why a notice could not be printed. Files already written stay where they are.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// Writing a file failed.
    #[error("无法写入 {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The PDF could not be made.
    #[error("{0}")]
    Pdf(String),
    /// The print command failed; the files were written.
    #[error("打印命令 {command} 失败：{message}（文书已保存在 {pdf}）")]
    Command {
        /// The command.
        command: String,
        /// What went wrong.
        message: String,
        /// Where the PDF is.
        pdf: String,
    },
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), PrintError> {
    std::fs::write(path, bytes).map_err(|source| PrintError::Io { path: path.display().to_string(), source })
}

/// Writes the notice's PDF and text and runs the print command if one is configured.
pub fn print(notice: &Notice, config: &PrintConfig) -> Result<PrintOutcome, PrintError> {
    print_as(notice, config, &notice.file_stem())
}

/// [`print`] under the file name stem `stem`.
fn print_as(notice: &Notice, config: &PrintConfig, stem: &str) -> Result<PrintOutcome, PrintError> {
    std::fs::create_dir_all(&config.out_dir)
        .map_err(|source| PrintError::Io { path: config.out_dir.display().to_string(), source })?;
    let pdf_path = config.out_dir.join(format!("{stem}.pdf"));
    let text_path = config.out_dir.join(format!("{stem}.txt"));
    write(&text_path, notice.to_text().as_bytes())?;
    let (bytes, missing_glyphs) = pdf::render(notice).map_err(PrintError::Pdf)?;
    write(&pdf_path, &bytes)?;
    let printed = match &config.command {
        Some(command) if !command.trim().is_empty() => {
            run(command, &pdf_path, config.timeout).map_err(|message| PrintError::Command {
                command: command.clone(),
                message,
                pdf: pdf_path.display().to_string(),
            })?;
            true
        }
        _ => false,
    };
    Ok(PrintOutcome { pdf: pdf_path, text: text_path, printed, missing_glyphs })
}

/// Runs `command PDF`, waiting at most `timeout`.
fn run(command: &str, pdf: &Path, timeout: Duration) -> Result<(), String> {
    let mut parts = command.split_whitespace();
    let program = parts.next().ok_or("命令为空")?;
    let mut child = Command::new(program)
        .args(parts)
        .arg(pdf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("无法启动：{e}"))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let mut stderr = String::new();
                if let Some(mut err) = child.stderr.take() {
                    use std::io::Read;
                    let _ = err.read_to_string(&mut stderr);
                }
                return Err(format!("退出码 {} {}", status.code().unwrap_or(-1), stderr.trim()));
            }
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("超过 {} 秒未完成", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The file name stem of each notice of a case: its own, with `-2`, `-3` … after the first of a kind
/// that occurs several times (a case's filled forms), so no file overwrites another.
fn stems(notices: &[Notice]) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    notices
        .iter()
        .map(|notice| {
            let base = notice.file_stem();
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { base } else { format!("{base}-{n}") }
        })
        .collect()
}

/// Prints every notice of a case; returns one line per notice for the desk to show.
pub fn print_all(notices: &[Notice], config: &PrintConfig) -> Result<Vec<String>, String> {
    print_some(notices, None, config)
}

/// Prints the `index`-th notice of a case under the file name it has among all of them.
pub fn print_nth(notices: &[Notice], index: usize, config: &PrintConfig) -> Result<Vec<String>, String> {
    if index >= notices.len() {
        return Err(format!("本案件没有第 {} 份文书", index + 1));
    }
    print_some(notices, Some(index), config)
}

fn print_some(notices: &[Notice], only: Option<usize>, config: &PrintConfig) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    let mut printed = false;
    for (i, (notice, stem)) in notices.iter().zip(stems(notices)).enumerate() {
        if only.is_some_and(|only| only != i) {
            continue;
        }
        let outcome = print_as(notice, config, &stem).map_err(|e| e.to_string())?;
        printed |= outcome.printed;
        let file = outcome.pdf.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let mut line = if outcome.printed {
            format!("已打印 {}", notice.title())
        } else {
            format!("{}：{file}", notice.title())
        };
        if !outcome.missing_glyphs.is_empty() {
            let chars: String = outcome.missing_glyphs.iter().collect();
            line.push_str(&format!("（字库缺字「{chars}」印为□，请手写补全）"));
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push("本案件没有需要打印的文书".into());
    } else if !printed {
        lines.insert(0, format!("未设置打印命令，文书已保存在 {}", config.out_dir.display()));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests;
