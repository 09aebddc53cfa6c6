//! Desk benchmarks: a full-frame render of the checklist at 160x48 (goal < 2 ms) and one journaled
//! field change on a real SQLite file in WAL mode with synchronous=FULL (goal < 1 ms).

use std::hint::black_box;
use std::sync::Arc;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use yichuang::intake::CenterLevel;
use yichuang::intake::case::{CaseEvent, Field};
use yichuang::kb::Kb;
use yichuang::store::{Store, StoreKind};
use yichuang::tui::app::{App, Msg};
use yichuang::tui::effects::DeskConfig;

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// A desk on the embedded KB, on the checklist of the item with the most materials.
fn checklist_app() -> App {
    let kb = Arc::new(Kb::embedded().expect("embedded KB"));
    let code = kb.items.iter().max_by_key(|i| i.materials.len()).expect("items").code.clone();
    let config = DeskConfig {
        center: "HRBDL".into(),
        center_name: "哈尔滨市道里区政务服务中心".into(),
        window: "05".into(),
        level: CenterLevel::District,
        clerk: String::new(),
        lookup_url: None,
    };
    let now = NaiveDate::from_ymd_opt(2026, 11, 30)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .map(yichuang::time::from_hall_local)
        .unwrap();
    let mut app = App::new(kb, Some(config), now);
    key(&mut app, KeyCode::Enter);
    app.update(Msg::Paste(code));
    key(&mut app, KeyCode::Enter);
    for c in ['1', '2'] {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    app
}

fn render(c: &mut Criterion) {
    let app = checklist_app();
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    c.bench_function("checklist full frame 160x48", |b| {
        b.iter(|| {
            terminal.draw(|f| app.view(f)).unwrap();
            black_box(terminal.backend().buffer().area);
        })
    });
}

fn journal(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("desk.sqlite3"), StoreKind::Desk).unwrap();
    let at = NaiveDate::from_ymd_opt(2026, 11, 30)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .map(yichuang::time::from_hall_local)
        .unwrap();
    let id = store.create_case(at).unwrap();
    let mut name = String::new();
    c.bench_function("journal one field change (WAL, synchronous=FULL)", |b| {
        b.iter(|| {
            name.push('张');
            if name.len() > 60 {
                name.clear();
            }
            let event = CaseEvent::FieldSet { field: Field::ApplicantName, value: name.clone() };
            black_box(store.append(&id, event, at).unwrap());
        })
    });
}

criterion_group!(benches, render, journal);
criterion_main!(benches);
