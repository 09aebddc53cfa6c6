//! The 受理通知书 of an accepted case, printed to PDF the way the desk prints it: pdftotext finds
//! the case number, the query code and the progress page's address; rendered with pdftoppm, the
//! QR code on the page reads back module for module as the `qrcode` crate's matrix of the address.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use yichuang::intake::case::{CaseEvent, Field};
use yichuang::intake::notice::{Block, Center, Notice, NoticeKind, notices_for};
use yichuang::intake::rules::Decision;
use yichuang::kb::Kb;
use yichuang::print::{self, PrintConfig};
use yichuang::store::{Store, StoreKind};

const ITEM: &str = "00013112700401";
const BASE: &str = "https://zwfw.example.cn/lookup";

/// The acceptance notice of a freshly accepted case, with its number and query code.
fn acceptance() -> (Notice, String, String) {
    let kb = Kb::embedded().expect("kb");
    let mut store = Store::in_memory(StoreKind::Desk).expect("store");
    let at = yichuang::time::from_hall_local(
        NaiveDate::from_ymd_opt(2026, 11, 30).expect("date").and_hms_opt(9, 0, 0).expect("time"),
    );
    let id = store.create_case(at).expect("case");
    store.append(&id, CaseEvent::ItemChosen { code: ITEM.into(), kb_version: "1".into() }, at).expect("item");
    store
        .append(&id, CaseEvent::FieldSet { field: Field::ApplicantName, value: "王小明".into() }, at)
        .expect("name");
    let decision = Decision::Accept {
        promised_date: NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
        commitments: Vec::new(),
    };
    let case = store.finish(&id, "HRBDL", "05", decision, at).expect("finish").clone();
    let center = Center {
        name: "哈尔滨市道里区政务服务中心".into(),
        window: "05".into(),
        clerk: "王丽".into(),
        lookup_url: Some(BASE.into()),
    };
    let item = kb.item(ITEM).expect("item");
    let notice = notices_for(&case, item, &center, &kb.calendar).remove(0);
    assert_eq!(notice.kind, NoticeKind::Acceptance);
    (notice, case.number.expect("number"), case.query_code.expect("code"))
}

fn print_pdf(notice: &Notice, dir: &Path) -> std::path::PathBuf {
    print::print(notice, &PrintConfig::files(dir.to_path_buf())).expect("print").pdf
}

/// The first page as a grey-scale image at `dpi`: (width, height, pixels).
fn raster(pdf: &Path, dpi: u32) -> (usize, usize, Vec<u8>) {
    let out = Command::new("pdftoppm")
        .args(["-f", "1", "-l", "1", "-gray", "-r", &dpi.to_string()])
        .arg(pdf)
        .output()
        .expect("pdftoppm");
    assert!(out.status.success());
    // Binary PGM: "P5\n<w> <h>\n<max>\n" then the pixels.
    let data = out.stdout;
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().expect("w"), fields[2].parse().expect("h"));
    (w, h, data[i + 1..].to_vec())
}

#[test]
fn the_acceptance_notice_prints_number_code_address_and_a_qr_code_that_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (notice, number, code) = acceptance();
    let link = format!("{BASE}?case={number}");
    let pdf = print_pdf(&notice, &dir.path().join("with"));
    let out = Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext");
    let text: String = String::from_utf8_lossy(&out.stdout).split_whitespace().collect();
    assert!(text.contains(&format!("案件编号：{number}")), "{text}");
    assert!(text.contains(&format!("查询码：{code}")), "{text}");
    assert!(text.contains(&format!("查询网址：{link}")), "{text}");

    // The same notice without the QR block: the pixels that differ in the left band the QR code
    // is printed in (the page's margin, 64 pt, and the code's side, 85 pt) are the QR code — the
    // signature lines after it move up, but they are right-aligned.
    let mut without = notice.clone();
    without.blocks.retain(|b| !matches!(b, Block::Qr(_)));
    let plain = print_pdf(&without, &dir.path().join("without"));
    let dpi = 300;
    let (w, h, with_px) = raster(&pdf, dpi);
    let (w2, h2, plain_px) = raster(&plain, dpi);
    assert_eq!((w, h), (w2, h2));
    let dark = |px: &[u8], x: usize, y: usize| px[y * w + x] < 128;
    let band = ((64.0 + 85.0 + 4.0) * f64::from(dpi) / 72.0) as usize;
    let differ: Vec<(usize, usize)> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, _)| x < band)
        .filter(|&(x, y)| dark(&with_px, x, y) && !dark(&plain_px, x, y))
        .collect();
    assert!(!differ.is_empty(), "a QR code is drawn on the page");
    let (x0, x1) = (differ.iter().map(|p| p.0).min().unwrap(), differ.iter().map(|p| p.0).max().unwrap());
    let (y0, y1) = (differ.iter().map(|p| p.1).min().unwrap(), differ.iter().map(|p| p.1).max().unwrap());
    // Square, and its modules read back as the crate's matrix of the address.
    let expected =
        qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M).expect("qr");
    let n = expected.width();
    let colors = expected.to_colors();
    assert!((x1 - x0).abs_diff(y1 - y0) <= 2, "square: {}×{}", x1 - x0, y1 - y0);
    let module = (x1 - x0 + 1) as f64 / n as f64;
    assert!(module >= 4.0, "at least 4 px per module at {dpi} dpi: {module}");
    let mut wrong = 0;
    for row in 0..n {
        for col in 0..n {
            let x = x0 + ((col as f64 + 0.5) * module) as usize;
            let y = y0 + ((row as f64 + 0.5) * module) as usize;
            let want = colors[row * n + col] == qrcode::Color::Dark;
            wrong += usize::from(dark(&with_px, x, y) != want);
        }
    }
    assert_eq!(wrong, 0, "modules that read back wrong, of {}", n * n);
}
