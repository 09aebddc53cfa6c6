//! The desk's log: `tracing` lines in `DATA_DIR/logs/desk.log.YYYY-MM-DD`, a new file each day and
//! the newest [`KEEP_FILES`] kept (tracing-appender's rolling appender). It says what the desk did
//! — opened, who signed in or failed to, each sync round and its outcome, each case finished by
//! number and decision — for support, and never a personal number: nothing logs an applicant's
//! field, and every line also passes [`redact`], which masks any run of 11 or more digits (an ID
//! number with its check character, a mobile number) should one ever slip into a message.

use std::io::Write;
use std::path::{Path, PathBuf};

use tracing_subscriber::fmt::MakeWriter;

/// The log directory under the desk's data directory.
pub const LOG_DIR: &str = "logs";

/// How many daily files are kept.
pub const KEEP_FILES: usize = 14;

/// Where the desk in `data_dir` logs.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(LOG_DIR)
}

/// Starts the desk's file log for this process (once; later calls change nothing). A log that
/// cannot be opened is reported on standard error and the desk goes on without it.
pub fn init(data_dir: &Path) {
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("desk")
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(log_dir(data_dir));
    let appender = match appender {
        Ok(a) => a,
        Err(e) => {
            eprintln!("无法打开日志目录 {}：{e}（继续运行，不写日志）", log_dir(data_dir).display());
            return;
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(Redacting(appender))
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}

/// `text` with every run of 11 or more digits (an `X` may end it) masked but its first 3 and last
/// 2 characters.
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i < chars.len() && matches!(chars[i], 'X' | 'x') && i - start == 17 {
                i += 1;
            }
            let run = &chars[start..i];
            if run.len() >= 11 {
                out.extend(&run[..3]);
                out.extend(std::iter::repeat_n('*', run.len() - 5));
                out.extend(&run[run.len() - 2..]);
            } else {
                out.extend(run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A writer factory whose writers mask personal numbers ([`redact`]) before the file sees them.
struct Redacting<M>(M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

/// One event's writer: the fmt layer writes a whole formatted line at once.
struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_numbers_are_masked_and_other_numbers_kept() {
        assert_eq!(redact("id 11010519900307001X ok"), "id 110*************1X ok");
        assert_eq!(redact("tel 13812345678."), "tel 138******78.");
        assert_eq!(
            redact("case HRB-W1-20261130-0001 seq=1201 at 2026-12-03T01:00:00Z"),
            "case HRB-W1-20261130-0001 seq=1201 at 2026-12-03T01:00:00Z"
        );
        assert_eq!(redact("中文 110105199003070018"), "中文 110*************18");
    }

    #[test]
    fn the_writer_masks_what_it_is_given() {
        let mut w = RedactingWriter(Vec::new());
        w.write_all("申请人 110105199003070018\n".as_bytes()).unwrap();
        assert_eq!(String::from_utf8(w.0).unwrap(), "申请人 110*************18\n");
    }
}
