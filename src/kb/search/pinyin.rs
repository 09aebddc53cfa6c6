//! Pinyin readings of Chinese text for search: full pinyin and initials per character. The
//! `pinyin` crate gives each character its most common reading; in domain words many characters
//! read otherwise (银行 hang, 会计 kuai, 重新 chong), so an override table of *words* corrects them.

use pinyin::ToPinyin;

/// Words whose readings differ from their characters' most common readings, one syllable per
/// character. Longest match wins.
pub const OVERRIDES: &[(&str, &[&str])] = &[
    ("行政", &["xing", "zheng"]),
    ("行业", &["hang", "ye"]),
    ("银行", &["yin", "hang"]),
    ("会计", &["kuai", "ji"]),
    ("重新", &["chong", "xin"]),
    ("重建", &["chong", "jian"]),
    ("参保", &["can", "bao"]),
    ("参加", &["can", "jia"]),
    ("单位", &["dan", "wei"]),
    ("长期", &["chang", "qi"]),
    ("延长", &["yan", "chang"]),
    ("调动", &["diao", "dong"]),
    ("调整", &["tiao", "zheng"]),
    ("调解", &["tiao", "jie"]),
    ("还款", &["huan", "kuan"]),
    ("还房", &["huan", "fang"]),
    ("还商", &["huan", "shang"]),
    ("供水", &["gong", "shui"]),
    ("参战", &["can", "zhan"]),
    ("驾校", &["jia", "xiao"]),
    ("自行", &["zi", "xing"]),
    ("归还", &["gui", "huan"]),
    ("退还", &["tui", "huan"]),
    ("返还", &["fan", "huan"]),
    ("处罚", &["chu", "fa"]),
    ("处理", &["chu", "li"]),
    ("处置", &["chu", "zhi"]),
    ("处方", &["chu", "fang"]),
    ("音乐", &["yin", "yue"]),
    ("乐队", &["yue", "dui"]),
    ("长寿", &["chang", "shou"]),
    ("娱乐", &["yu", "le"]),
    ("朝阳", &["chao", "yang"]),
    ("经营", &["jing", "ying"]),
    ("藏族", &["zang", "zu"]),
    ("供养", &["gong", "yang"]),
    ("提供", &["ti", "gong"]),
    ("着装", &["zhuo", "zhuang"]),
    ("传染", &["chuan", "ran"]),
    ("差额", &["cha", "e"]),
    ("出差", &["chu", "chai"]),
    ("给付", &["ji", "fu"]),
    ("供给", &["gong", "ji"]),
    ("更正", &["geng", "zheng"]),
    ("变更", &["bian", "geng"]),
    ("更名", &["geng", "ming"]),
    ("应急", &["ying", "ji"]),
    ("规模", &["gui", "mo"]),
    ("还清", &["huan", "qing"]),
    ("偿还", &["chang", "huan"]),
    ("还贷", &["huan", "dai"]),
    ("事长", &["shi", "zhang"]),
    ("省级", &["sheng", "ji"]),
    ("数据", &["shu", "ju"]),
    ("种植", &["zhong", "zhi"]),
    ("种子", &["zhong", "zi"]),
    ("大夫", &["dai", "fu"]),
    ("校验", &["jiao", "yan"]),
    ("学校", &["xue", "xiao"]),
    ("少年", &["shao", "nian"]),
    ("少儿", &["shao", "er"]),
    ("都市", &["du", "shi"]),
    ("首都", &["shou", "du"]),
    ("转移", &["zhuan", "yi"]),
    ("转让", &["zhuan", "rang"]),
    ("发行", &["fa", "xing"]),
    ("执行", &["zhi", "xing"]),
    ("住宅", &["zhu", "zhai"]),
    ("证明", &["zheng", "ming"]),
    ("地方", &["di", "fang"]),
    ("相关", &["xiang", "guan"]),
    ("相片", &["xiang", "pian"]),
    ("宁安", &["ning", "an"]),
    ("比率", &["bi", "lv"]),
    ("畜牧", &["xu", "mu"]),
    ("家畜", &["jia", "chu"]),
    ("牲畜", &["sheng", "chu"]),
    ("模具", &["mu", "ju"]),
    ("期间", &["qi", "jian"]),
    ("间隔", &["jian", "ge"]),
    ("空间", &["kong", "jian"]),
    ("应当", &["ying", "dang"]),
    ("适当", &["shi", "dang"]),
    ("当场", &["dang", "chang"]),
];

/// The reading of each character of `text`: lower-case pinyin without tones for Chinese
/// characters, `None` for anything else.
pub fn readings(text: &str) -> Vec<Option<&'static str>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Option<&'static str>> = text.to_pinyin().map(|p| p.map(|p| p.plain())).collect();
    let mut i = 0;
    while i < chars.len() {
        let best = OVERRIDES
            .iter()
            .filter(|(word, _)| {
                let n = word.chars().count();
                i + n <= chars.len() && word.chars().eq(chars[i..i + n].iter().copied())
            })
            .max_by_key(|(word, _)| word.chars().count());
        match best {
            Some((word, syllables)) => {
                for (k, s) in syllables.iter().enumerate() {
                    out[i + k] = Some(s);
                }
                i += word.chars().count();
            }
            None => i += 1,
        }
    }
    out
}

/// Full pinyin of `text` (non-Chinese characters kept, lower-cased, spaces dropped).
pub fn full(text: &str) -> String {
    join(text, |s| s)
}

/// Pinyin initials of `text` (`公司登记` → `gsdj`), other characters kept, lower-cased.
pub fn initials(text: &str) -> String {
    join(text, |s| &s[..1])
}

fn join(text: &str, part: impl Fn(&'static str) -> &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (c, reading) in text.chars().zip(readings(text)) {
        match reading {
            Some(s) => out.push_str(part(s)),
            None if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            None => {}
        }
    }
    out
}

/// Characters whose reading commonly changes with the word (the `pinyin` crate's data lists rare
/// readings for most characters, so this curated list decides what needs a review).
pub const COMMON_POLYPHONES: &str =
    "行长重还参单调会处乐朝藏种传差给更省数大校少都转宅相率畜模间当着干得地了供应解降便曾据属卡区合期";

/// Whether a character is a common polyphone whose reading in a name must be reviewed.
pub fn is_polyphone(c: char) -> bool {
    COMMON_POLYPHONES.contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_fix_domain_words() {
        assert_eq!(full("银行开户"), "yinhangkaihu");
        assert_eq!(full("行政许可"), "xingzhengxuke");
        assert_eq!(full("会计"), "kuaiji");
        assert_eq!(full("重新申领"), "chongxinshenling");
        assert_eq!(initials("城乡居民参保登记"), "cxjmcbdj");
        assert_eq!(full("单位"), "danwei");
        assert_eq!(initials("公司登记"), "gsdj");
    }

    #[test]
    fn every_override_has_one_syllable_per_character() {
        for (word, syllables) in OVERRIDES {
            assert_eq!(word.chars().count(), syllables.len(), "{word}");
        }
    }

    #[test]
    fn non_chinese_text_is_kept_lower_cased() {
        assert_eq!(full("A5级"), "a5ji");
        assert_eq!(initials("ISO 认证"), "isorz");
    }
}
