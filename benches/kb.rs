//! Knowledge-base benchmarks: loading (and checking) the embedded KB and a synthetic KB of 300
//! items, goal < 20 ms each; building the search index and searching the real (embedded) KB and a
//! synthetic KB of 600 items x 10 materials, goal p99 < 0.5 ms per query on each.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use yichuang::kb::search::SearchIndex;
use yichuang::kb::source::{KbFile, KbSource};
use yichuang::kb::{Item, Kb};

const SUBJECTS: &[&str] = &[
    "有限责任公司",
    "个体工商户",
    "食品经营",
    "药品零售",
    "医疗机构",
    "民办学校",
    "城乡居民养老保险",
    "失业保险",
    "最低生活保障",
    "特困人员",
    "残疾人证",
    "居住证",
    "户口迁移",
    "建筑垃圾",
    "户外广告",
    "公共场所卫生",
    "教师资格",
    "社会保障卡",
    "生育津贴",
    "医疗保险",
    "网络文化",
    "出版物",
    "营业性演出",
    "消防",
];
const ACTIONS: &[&str] =
    &["设立登记", "变更登记", "注销登记", "许可", "备案", "申领", "审核确认", "补贴申请", "换领", "认定"];
const MATERIALS: &[&str] = &[
    "申请书",
    "居民身份证",
    "营业执照",
    "授权委托书",
    "场所使用证明",
    "章程",
    "户口簿",
    "照片",
    "结婚证",
    "承诺书",
    "平面图",
    "合同",
    "发票",
    "诊断证明",
    "学历证书",
];

/// A KB of `n` items with 10 materials each, names made from realistic parts.
fn synthetic(n: usize) -> Vec<Item> {
    let template = Kb::embedded().expect("embedded KB").items[0].clone();
    (0..n)
        .map(|i| {
            let mut item = template.clone();
            let subject = SUBJECTS[i % SUBJECTS.len()];
            let action = ACTIONS[(i / SUBJECTS.len()) % ACTIONS.len()];
            item.code = format!("SYN{i:05}");
            item.name = format!("{subject}{action}（{}）", i / (SUBJECTS.len() * ACTIONS.len()) + 1);
            item.aliases = vec![format!("办{subject}"), format!("{action}{subject}")];
            item.materials = (0..10)
                .map(|k| {
                    let mut m = template.materials[k % template.materials.len()].clone();
                    m.id = format!("m{k}");
                    m.name = format!("{}{}", subject, MATERIALS[(i + k) % MATERIALS.len()]);
                    m
                })
                .collect();
            item
        })
        .collect()
}

const QUERIES: &[&str] = &[
    "gsdj",
    "公司",
    "yxzrgs",
    "youxianzerengongsi",
    "居住证",
    "SYN00042",
    "syn001",
    "shipinjingying",
    "残疾人 补贴",
    "营业执照",
    "jmylbx",
    "户口迁移申领",
    "jiaoshizige",
    "weisheng xuke",
    "zhuxiao",
    "juzhuzhen",
    "消防备案",
    "xf",
];

/// The embedded KB's files grown to `n` items with copies of its item files under new codes, so
/// that loading is measured at the size the KB is growing to, with real items' shapes.
fn grown_source(n: usize) -> KbSource {
    let mut source = KbSource::embedded();
    let items: Vec<KbFile> = source.files.iter().filter(|f| f.path.starts_with("items/")).cloned().collect();
    for k in items.len()..n {
        let original = &items[k % items.len()];
        let code = format!("SYN{k:05}");
        let text = original
            .text
            .lines()
            .map(
                |line| {
                    if line.starts_with("code = ") { format!("code = {code:?}") } else { line.to_string() }
                },
            )
            .collect::<Vec<_>>()
            .join("\n");
        source.files.push(KbFile { path: format!("items/{code}.toml"), text });
    }
    source
}

fn load(c: &mut Criterion) {
    c.bench_function("load embedded KB (parse + check)", |b| b.iter(|| black_box(Kb::embedded().unwrap())));
    let grown = grown_source(300);
    let kb = Kb::from_source(&grown).expect("the grown KB loads");
    assert_eq!(kb.items.len(), 300.max(Kb::embedded().unwrap().items.len()));
    c.bench_function("load grown KB of 300 items (parse + check)", |b| {
        b.iter(|| black_box(Kb::from_source(&grown).unwrap()))
    });
}

fn search(c: &mut Criterion) {
    let items = synthetic(600);
    c.bench_function("build search index, 600 items x 10 materials", |b| {
        b.iter(|| black_box(SearchIndex::new(&items)))
    });
    let index = SearchIndex::new(&items);
    let mut i = 0;
    c.bench_function("search one query, 600 items x 10 materials", |b| {
        b.iter(|| {
            i = (i + 1) % QUERIES.len();
            black_box(index.search(QUERIES[i], 200))
        })
    });
    let real = Kb::embedded().expect("embedded KB");
    let real_index = SearchIndex::new(&real.items);
    c.bench_function("search one query, embedded KB", |b| {
        b.iter(|| {
            i = (i + 1) % QUERIES.len();
            black_box(real_index.search(QUERIES[i], 200))
        })
    });
    // Criterion reports means; the goal is a tail latency, so measure p99 directly as well (only
    // under `cargo bench`: `cargo test` runs benches once as a smoke test).
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    tail_latency("600 items x 10 materials", &index);
    tail_latency(&format!("embedded KB ({} items)", real.items.len()), &real_index);
}

/// Prints p50, p99 and the maximum of 10,000 queries.
fn tail_latency(label: &str, index: &SearchIndex) {
    let mut times: Vec<Duration> = Vec::with_capacity(10_000);
    for k in 0..10_000 {
        let start = Instant::now();
        black_box(index.search(QUERIES[k % QUERIES.len()], 200));
        times.push(start.elapsed());
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "search latency, {label}, over 10000 queries: p50 {:?}, p99 {:?}, max {:?}",
        pct(0.50),
        pct(0.99),
        times[times.len() - 1]
    );
}

criterion_group!(benches, load, search);
criterion_main!(benches);
