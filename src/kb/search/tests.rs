use std::sync::LazyLock;

use super::*;
use crate::kb::Kb;

static KB: LazyLock<Kb> = LazyLock::new(|| Kb::embedded().expect("embedded KB"));
static INDEX: LazyLock<SearchIndex> = LazyLock::new(|| SearchIndex::new(&KB.items));

/// Code of the first hit.
fn first(query: &str) -> String {
    let hits = INDEX.search(query, 5);
    let hit = hits.first().unwrap_or_else(|| panic!("no hit for {query:?}"));
    KB.items[hit.index].code.clone()
}

fn first_name(query: &str) -> String {
    let code = first(query);
    KB.item(&code).unwrap().name.clone()
}

#[test]
fn initials_rank_company_registration_first() {
    assert_eq!(first("gsdj"), "00013112700401");
    assert_eq!(INDEX.search("gsdj", 5)[0].matched, MatchKind::Initials);
}

#[test]
fn a_hit_names_the_alias_only_when_the_name_itself_does_not_match() {
    // What the company registration's hit reports for a query.
    let field = |q: &str| {
        let hits = INDEX.search(q, 20);
        let hit = hits.iter().find(|h| KB.items[h.index].code == "00013112700401");
        hit.unwrap_or_else(|| panic!("{q:?} misses company registration")).field.clone()
    };
    assert_eq!(field("gsdj"), "公司登记");
    assert_eq!(field("开公司"), "开公司");
    assert_eq!(field("gongsi"), "有限责任公司设立登记");
    assert_eq!(field("公司设立"), "有限责任公司设立登记");
}

#[test]
fn code_full_pinyin_material_and_chinese() {
    assert_eq!(first("GA0002"), "GA0002");
    assert_eq!(first("ga000")[..5], *"GA000");
    assert_eq!(first_name("juzhengshenling"), "居住证申领");
    assert_eq!(first_name("ju zhu zheng"), "居住证申领");
    // The certificate's own item (补发) by name first; then the items that ask for it (出生登记,
    // 出生日期更正登记 …), all material hits.
    let births = INDEX.search("出生医学证明", 20);
    assert_eq!(births[0].matched, MatchKind::Name, "{births:?}");
    assert!(births[1..].iter().all(|h| h.matched == MatchKind::Material), "{births:?}");
    assert!(births.iter().any(|h| KB.items[h.index].name == "出生登记（新生儿落户）"), "{births:?}");
    assert_eq!(first_name("居住证"), "居住证申领");
    assert_eq!(first_name("开公司"), "有限责任公司设立登记");
}

#[test]
fn polyphone_words_read_as_in_the_domain() {
    // 参保 reads can, not shen; 处置 reads chu.
    assert!(KB.item(&first("canbaodengji")).unwrap().name.contains("参保登记"));
    assert!(KB.item(&first("cbdj")).unwrap().name.contains("参保登记"));
    assert_eq!(first_name("chengshijianzhulajichuzhi"), "城市建筑垃圾处置核准（排放）");
}

#[test]
fn a_word_the_pinyin_crate_reads_wrongly_is_found_by_its_domain_reading() {
    use ::pinyin::ToPinyin;
    // Without the override table 长寿 would read zhangshou and this search would miss.
    let raw: String = "长寿".to_pinyin().flatten().map(|p| p.plain()).collect();
    assert_ne!(raw, "changshou");
    assert_eq!(first("changshou"), "MZ0004");
    assert_eq!(first("csbt"), "MZ0004");
}

#[test]
fn several_words_must_all_match() {
    let hits = INDEX.search("残疾人 补贴", 20);
    assert!(!hits.is_empty());
    for hit in hits {
        let item = &KB.items[hit.index];
        let text = format!("{}{}", item.name, item.aliases.join(""));
        assert!(
            text.contains("残疾人") || item.materials.iter().any(|m| m.name.contains("残疾人")),
            "{}",
            item.name
        );
    }
}

#[test]
fn typos_still_find_the_item() {
    assert_eq!(first_name("juzhuzhen"), "居住证申领");
}

#[test]
fn empty_and_unmatched_queries_return_nothing() {
    assert!(INDEX.search("", 10).is_empty());
    assert!(INDEX.search("   ", 10).is_empty());
    assert!(INDEX.search("zzzzqqqxxx", 10).is_empty());
}

/// Polyphonic characters in names and aliases must read as the domain reads them: each is either
/// inside an override word or reviewed here with the reading the default gives (checked).
const REVIEWED: &[(char, &str)] = &[
    ('了', "le"),    // 丢了
    ('会', "hui"),   // 社会
    ('传', "chuan"), // 宣传
    ('区', "qu"),    // 区级
    ('单', "dan"),   // 单人
    ('卡', "ka"),    // 社会保障卡
    ('合', "he"),    // 合法
    ('地', "di"),    // 工地
    ('大', "da"),    // 大型
    ('属', "shu"),   // 亲属
    ('干', "gan"),   // 不干了
    ('当', "dang"),  // 当兵
    ('得', "de"),    // 所得
    ('期', "qi"),    // 到期
    ('省', "sheng"), // 跨省
    ('种', "zhong"), // 病种
    ('给', "gei"),   // 发给
    ('解', "jie"),   // 解除
    ('转', "zhuan"), // 转诊
    ('重', "zhong"), // 重度
];

#[test]
fn polyphones_in_the_embedded_kb_are_reviewed() {
    let mut unreviewed = std::collections::BTreeMap::new();
    for item in &KB.items {
        for text in std::iter::once(&item.name).chain(&item.aliases) {
            let chars: Vec<char> = text.chars().collect();
            let covered = covered_positions(&chars);
            for (i, c) in chars.iter().enumerate() {
                if pinyin::is_polyphone(*c) && !covered[i] && !REVIEWED.iter().any(|(r, _)| r == c) {
                    unreviewed.entry(*c).or_insert_with(|| text.clone());
                }
            }
        }
    }
    for (c, reading) in REVIEWED {
        assert_eq!(pinyin::full(&c.to_string()), *reading, "reviewed reading of {c}");
    }
    assert!(
        unreviewed.is_empty(),
        "polyphones to review (add an override word or a REVIEWED entry): {unreviewed:?}"
    );
}

fn covered_positions(chars: &[char]) -> Vec<bool> {
    let mut covered = vec![false; chars.len()];
    for (word, _) in pinyin::OVERRIDES {
        let w: Vec<char> = word.chars().collect();
        for start in 0..chars.len().saturating_sub(w.len() - 1) {
            if chars[start..start + w.len()] == w[..] {
                covered[start..start + w.len()].iter_mut().for_each(|c| *c = true);
            }
        }
    }
    covered
}

proptest::proptest! {
    #[test]
    fn any_query_is_safe(query in "\\PC{0,20}") {
        let hits = INDEX.search(&query, 10);
        proptest::prop_assert!(hits.len() <= 10);
    }
}

/// The index with the KB's bundles (一件事), as the desk builds it.
static WITH_BUNDLES: LazyLock<SearchIndex> =
    LazyLock::new(|| SearchIndex::with_bundles(&KB.items, &KB.bundles));

fn first_bundle(query: &str) -> Option<String> {
    let hit = WITH_BUNDLES.search(query, 10).into_iter().next()?;
    hit.bundle.then(|| KB.bundles[hit.index].name.clone())
}

#[test]
fn bundles_are_found_by_name_alias_and_pinyin_initials() {
    assert_eq!(first_bundle("企业开办").as_deref(), Some("企业开办"));
    assert_eq!(first_bundle("开公司").as_deref(), Some("企业开办"), "alias beats the item's own alias");
    assert_eq!(first_bundle("qykb").as_deref(), Some("企业开办"));
    assert_eq!(first_bundle("xinshenger").as_deref(), Some("新生儿出生"));
    assert_eq!(first_bundle("cjrfw").as_deref(), Some("残疾人服务"));
    assert_eq!(first_bundle("开办餐饮店").as_deref(), Some("开办餐饮店"));
}

#[test]
fn an_index_without_bundles_never_returns_one() {
    assert!(INDEX.search("企业开办", 50).iter().all(|h| !h.bundle));
    // Item hits keep their indexes into the items when bundles are indexed too.
    let hit = WITH_BUNDLES.search("00013112700401", 1).into_iter().next().expect("hit");
    assert!(!hit.bundle);
    assert_eq!(KB.items[hit.index].code, "00013112700401");
}

/// A KB of `n` made-up items (names, aliases and materials from the parts below; the rest of
/// each item is the first embedded item's), so that the ranking snapshot stays put while the
/// embedded KB grows.
fn made_up(n: usize) -> Vec<crate::kb::Item> {
    const WHO: &[&str] =
        &["有限责任公司", "个体工商户", "食品经营", "城乡居民养老保险", "残疾人证", "居住证"];
    const WHAT: &[&str] = &["设立登记", "变更登记", "注销", "许可", "备案", "补贴申请", "换领"];
    const PAPERS: &[&str] = &["申请书", "居民身份证", "营业执照", "授权委托书", "户口簿", "照片", "承诺书"];
    (0..n)
        .map(|i| {
            let mut item = KB.items[0].clone();
            let (who, what) = (WHO[i % WHO.len()], WHAT[(i / WHO.len()) % WHAT.len()]);
            item.code = format!("MU{i:04}");
            item.name = format!("{who}{what}（{}）", i / (WHO.len() * WHAT.len()) + 1);
            item.aliases = vec![format!("办{who}"), format!("{what}{who}")];
            let template = item.materials[0].clone();
            item.materials = (0..6)
                .map(|k| {
                    let mut m = template.clone();
                    m.name = format!("{who}{}", PAPERS[(i + k) % PAPERS.len()]);
                    m
                })
                .collect();
            item
        })
        .collect()
}

/// Every kind of match, several words, spaced pinyin and typos, ranked on a made-up KB: the
/// search's shortcuts (precomputed haystacks, shared searchers, one matcher) must not change a
/// single hit, score or reported field.
#[test]
fn ranking_on_a_made_up_kb_is_unchanged() {
    let items = made_up(120);
    let index = SearchIndex::new(&items);
    let queries = [
        "gsdj",
        "公司",
        "yxzrgs",
        "youxianzerengongsi",
        "居住证",
        "MU0042",
        "mu001",
        "shipinjingying",
        "残疾人 补贴",
        "营业执照",
        "cxjmylbx",
        "居住证换领",
        "zhuxiao",
        "juzhuzhen",
        "食品 bei an",
        "ge ti gong shang hu",
        "照片",
        "户口",
        "jzz",
        "bgdj",
        "xuke",
        "城乡养老",
        "营业执造",
        "z",
        "-",
        "'",
        "公司 -",
    ];
    let mut out = String::new();
    for q in queries {
        out.push_str(&format!("{q:?}\n"));
        for hit in index.search(q, 8) {
            let code = &items[hit.index].code;
            out.push_str(&format!("  {code} {} {:?} {}\n", hit.score, hit.matched, hit.field));
        }
    }
    insta::assert_snapshot!(out);
}

/// A name whose lower case has ASCII letters only after lowering (the Kelvin sign lowers to `k`)
/// is still found by an ASCII word, as before names without ASCII were skipped for such words.
#[test]
fn a_name_that_lowers_to_ascii_is_searched_for_ascii_words() {
    let mut items = made_up(2);
    items[1].name = "\u{212A}类证书".into();
    let hits = SearchIndex::new(&items).search("k", 5);
    assert_eq!(hits.first().map(|h| (h.index, h.matched)), Some((1, MatchKind::Name)));
}
