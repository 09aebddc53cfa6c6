//! Reading one exchange table (`up_task_general_basic` or `up_task_general_material`) exported
//! from the provincial platform: CSV with a header row of the published column names, or JSON
//! lines (one object per line, keyed by the same names); UTF-8 with or without a BOM, or GBK
//! (read as GB 18030, its superset), which is what spreadsheet exports on Chinese Windows write;
//! or an Excel workbook (`.xlsx`, `.xls`; its first sheet, read with calamine), where a row's line
//! is its row number in the sheet.

use std::collections::HashMap;

use super::Message;

/// The encoding a table was read in, reported to the maintainer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 with a byte-order mark (Excel's “CSV UTF-8”).
    Utf8Bom,
    /// GBK / GB 18030.
    Gbk,
    /// An Excel workbook (cells carry their own text).
    Excel,
}

impl Encoding {
    /// As printed.
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf8Bom => "UTF-8（带 BOM）",
            Self::Gbk => "GBK",
            Self::Excel => "Excel 工作簿",
        }
    }
}

/// One data row: where it is in its file and its cells by column name.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// The file's line where the row starts (1-based; the header is line 1 in a CSV).
    pub line: usize,
    /// Cells by column name, trimmed; absent columns are absent.
    pub cells: HashMap<String, String>,
}

impl Row {
    /// The trimmed cell, `None` when empty or absent.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.cells.get(column).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
}

/// A table read from one file.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file as named in messages.
    pub file: String,
    /// The encoding it was read in.
    pub encoding: Encoding,
    /// Column names in file order.
    pub columns: Vec<String>,
    /// The data rows.
    pub rows: Vec<Row>,
}

/// Decodes a file's bytes: a UTF-8 BOM is dropped, valid UTF-8 is taken as is, anything else is
/// read as GBK; bytes that are neither are an error naming the line.
pub fn decode(file: &str, bytes: &[u8]) -> Result<(String, Encoding), Message> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Message::file(file, "文件是 UTF-16 编码：请另存为 CSV（UTF-8）或 GBK 编码的 CSV"));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(rest) {
            Ok(text) => Ok((text.to_string(), Encoding::Utf8Bom)),
            Err(e) => Err(Message::at(
                file,
                line_of(rest, e.valid_up_to()),
                "",
                "文件以 UTF-8 BOM 开头，但此处的字节不是 UTF-8".to_string(),
            )),
        };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), Encoding::Utf8));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        let bad = text.find('\u{FFFD}').map_or(1, |at| text[..at].matches('\n').count() + 1);
        return Err(Message::at(
            file,
            bad,
            "",
            "既不是 UTF-8 也不是 GBK 编码：请确认导出时选择的编码".into(),
        ));
    }
    Ok((text.into_owned(), Encoding::Gbk))
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Reads a table; the format follows the file name: `.csv`, `.jsonl` / `.ndjson` / `.json` for
/// JSON lines, `.xlsx` / `.xls` for an Excel workbook.
pub fn read(file: &str, bytes: &[u8]) -> Result<Table, Message> {
    let lower = file.to_lowercase();
    if lower.ends_with(".xlsx") || lower.ends_with(".xls") {
        return read_excel(file, bytes);
    }
    let (text, encoding) = decode(file, bytes)?;
    if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") || lower.ends_with(".json") {
        read_json_lines(file, &text, encoding)
    } else if lower.ends_with(".csv") {
        read_csv(file, &text, encoding)
    } else {
        Err(Message::file(file, "无法判断格式：文件名须以 .csv、.jsonl 或 .xlsx 结尾"))
    }
}

fn read_csv(file: &str, text: &str, encoding: Encoding) -> Result<Table, Message> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| Message::at(file, 1, "", format!("表头无法读取：{e}")))?
        .iter()
        .map(|c| c.trim().to_string())
        .collect();
    check_columns(file, &columns)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            let what = match e.kind() {
                csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                    format!("这一行有 {len} 列，表头有 {expected_len} 列（引号未闭合或多了逗号？）")
                }
                _ => e.to_string(),
            };
            Message::at(file, line, "", what)
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells = columns.iter().cloned().zip(record.iter().map(|c| c.trim().to_string())).collect();
        rows.push(Row { line, cells });
    }
    Ok(Table { file: file.to_string(), encoding, columns, rows })
}

fn read_json_lines(file: &str, text: &str, encoding: Encoding) -> Result<Table, Message> {
    let mut columns: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| Message::at(file, i + 1, "", format!("不是一个 JSON 对象：{e}")))?;
        let serde_json::Value::Object(map) = value else {
            return Err(Message::at(file, i + 1, "", "每行须是一个 JSON 对象（{\"task_name\": …}）".into()));
        };
        let mut cells = HashMap::new();
        for (key, value) in map {
            let text = match value {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.trim().to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => if b { "1" } else { "0" }.to_string(),
                other => {
                    return Err(Message::at(file, i + 1, &key, format!("应为文本或数字，不是 {other}")));
                }
            };
            if !columns.contains(&key) {
                columns.push(key.clone());
            }
            cells.insert(key, text);
        }
        rows.push(Row { line: i + 1, cells });
    }
    Ok(Table { file: file.to_string(), encoding, columns, rows })
}

/// The first sheet of a workbook: its first non-empty row is the header.
fn read_excel(file: &str, bytes: &[u8]) -> Result<Table, Message> {
    use calamine::Reader as _;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| Message::file(file, &format!("不是可读的 Excel 工作簿：{e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| Message::file(file, "工作簿没有工作表"))?
        .map_err(|e| Message::file(file, &format!("第一个工作表无法读取：{e}")))?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let mut rows_in = range.rows().enumerate().map(|(i, cells)| (first_row + i + 1, cells));
    let mut columns: Vec<String> = Vec::new();
    for (_, cells) in rows_in.by_ref() {
        if cells.iter().any(|c| !matches!(c, calamine::Data::Empty)) {
            columns = cells.iter().map(|c| cell_text(c).trim().to_string()).collect();
            while columns.last().is_some_and(String::is_empty) {
                columns.pop();
            }
            break;
        }
    }
    check_columns(file, &columns)?;
    let mut rows = Vec::new();
    for (line, cells) in rows_in {
        let texts: Vec<String> = cells.iter().map(|c| cell_text(c).trim().to_string()).collect();
        if texts.iter().all(String::is_empty) {
            continue;
        }
        if texts.iter().skip(columns.len()).any(|t| !t.is_empty()) {
            return Err(Message::at(
                file,
                line,
                "",
                format!("这一行在表头 {} 列之外还有内容", columns.len()),
            ));
        }
        let cells =
            columns.iter().cloned().zip(texts.into_iter().chain(std::iter::repeat(String::new()))).collect();
        rows.push(Row { line, cells });
    }
    Ok(Table { file: file.to_string(), encoding: Encoding::Excel, columns, rows })
}

/// A cell as text: whole numbers without a decimal point (a limit of 20 is stored as 20.0).
fn cell_text(cell: &calamine::Data) -> String {
    match cell {
        calamine::Data::Empty => String::new(),
        calamine::Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        calamine::Data::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        other => other.to_string(),
    }
}

/// Repeated or empty header names make every later cell ambiguous: refuse the file.
fn check_columns(file: &str, columns: &[String]) -> Result<(), Message> {
    for (i, c) in columns.iter().enumerate() {
        if c.is_empty() {
            return Err(Message::at(file, 1, "", format!("表头第 {} 列没有列名", i + 1)));
        }
        if columns[..i].contains(c) {
            return Err(Message::at(file, 1, c, "列名重复".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom_and_gbk_decode_to_the_same_text() {
        let text = "task_name,task_code\n公司设立登记,X1\n";
        let (plain, enc) = decode("a.csv", text.as_bytes()).unwrap();
        assert_eq!((plain.as_str(), enc), (text, Encoding::Utf8));
        let bom = [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat();
        assert_eq!(decode("a.csv", &bom).unwrap(), (text.to_string(), Encoding::Utf8Bom));
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode("a.csv", &gbk).unwrap(), (text.to_string(), Encoding::Gbk));
    }

    #[test]
    fn undecodable_bytes_and_utf16_are_refused_with_the_line() {
        let err = decode("a.csv", b"a,b\n1,2\n\xFF\xFF\xFF\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(decode("a.csv", &[0xFF, 0xFE, b'a', 0]).unwrap_err().to_string().contains("UTF-16"));
    }

    #[test]
    fn csv_rows_carry_their_line_and_a_short_row_is_named() {
        let t = read("b.csv", "task_name,task_code\n\"多行\n名称\",X1\n名称,X2\n".as_bytes()).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!((t.rows[0].line, t.rows[1].line), (2, 4));
        assert_eq!(t.rows[1].get("task_code"), Some("X2"));
        let err = read("b.csv", "a,b\n1,2\n3\n".as_bytes()).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.to_string().contains("1 列"), "{err}");
    }

    #[test]
    fn json_lines_take_numbers_and_nulls() {
        let t = read("b.jsonl", b"{\"task_name\":\"x\",\"promise_day\":5,\"fee_basis\":null}\n\n").unwrap();
        assert_eq!(t.rows[0].get("promise_day"), Some("5"));
        assert_eq!(t.rows[0].get("fee_basis"), None);
        assert!(read("b.jsonl", b"[1]\n").unwrap_err().to_string().contains("JSON 对象"));
        assert!(read("b.xlsx", b"PK").unwrap_err().to_string().contains("不是可读的 Excel 工作簿"));
    }
}
