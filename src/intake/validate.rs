//! Validators for the numbers a clerk types: resident ID (GB 11643-1999), unified social credit code
//! (GB 32100-2015) and mobile numbers, plus the PIPL masks used wherever the full value is not needed.
//!
//! Every error says exactly what is wrong (which position, which check character was expected), so
//! the clerk can compare it with the document in hand.

use chrono::{Datelike, NaiveDate};
use thiserror::Error;

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Invalid {
    /// Empty input.
    #[error("未填写")]
    Empty,
    /// Wrong length.
    #[error("长度应为 {expected} 位，实际 {actual} 位")]
    Length {
        /// Expected length(s), as printed.
        expected: &'static str,
        /// Actual character count.
        actual: usize,
    },
    /// Full-width digits or letters (typed with a Chinese input method).
    #[error("第 {position} 位是全角字符「{found}」，请切换到半角输入")]
    FullWidth {
        /// 1-based position.
        position: usize,
        /// The character.
        found: char,
    },
    /// A character not allowed at that position.
    #[error("第 {position} 位「{found}」不是有效字符（{allowed}）")]
    Character {
        /// 1-based position.
        position: usize,
        /// The character.
        found: char,
        /// What is allowed there.
        allowed: &'static str,
    },
    /// The province part of the region code does not exist.
    #[error("前两位行政区划代码 {0} 不是有效的省级代码")]
    Province(String),
    /// The birth date is not a real date or lies in the future.
    #[error("出生日期 {0} 无效")]
    BirthDate(String),
    /// The check character does not match.
    #[error("第 {position} 位校验码应为 {expected}，实际为 {found}")]
    CheckCharacter {
        /// 1-based position of the check character.
        position: usize,
        /// What the check computes.
        expected: char,
        /// What was typed.
        found: char,
    },
    /// Mobile number not of the form 1[3-9]xxxxxxxxx.
    #[error("手机号码应为 1 开头的 11 位数字，第二位为 3–9")]
    Mobile,
}

/// A valid resident ID number with what it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCard {
    /// The normalised number (upper-case X).
    pub number: String,
    /// The 6-digit region code of registration.
    pub region: String,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Odd sequence = male.
    pub male: bool,
}

/// Province-level region codes of GB/T 2260 (first two digits), incl. 71 台湾, 81 香港, 82 澳门.
const PROVINCES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
];

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

fn full_width(chars: &[char]) -> Result<(), Invalid> {
    match chars.iter().position(|c| ('\u{FF01}'..='\u{FF5E}').contains(c) || *c == '\u{3000}') {
        Some(i) => Err(Invalid::FullWidth { position: i + 1, found: chars[i] }),
        None => Ok(()),
    }
}

/// Validates an 18-digit (or legacy 15-digit) resident ID number as of `today`.
///
/// Only the province prefix of the region is checked: IDs keep the code of the district where they
/// were issued, and abolished districts stay valid.
pub fn id_card(input: &str, today: NaiveDate) -> Result<IdCard, Invalid> {
    let chars: Vec<char> = input.trim().chars().collect();
    if chars.is_empty() {
        return Err(Invalid::Empty);
    }
    full_width(&chars)?;
    if chars.len() != 18 && chars.len() != 15 {
        return Err(Invalid::Length { expected: "18（旧证 15）", actual: chars.len() });
    }
    let digits_end = if chars.len() == 18 { 17 } else { 15 };
    for (i, c) in chars.iter().enumerate().take(digits_end) {
        if !c.is_ascii_digit() {
            return Err(Invalid::Character { position: i + 1, found: *c, allowed: "应为数字" });
        }
    }
    let number: String = chars.iter().map(|c| c.to_ascii_uppercase()).collect();
    let province = &number[..2];
    if !PROVINCES.contains(&province) {
        return Err(Invalid::Province(province.to_string()));
    }
    let (birth, sequence) = if chars.len() == 18 {
        (number[6..14].to_string(), &number[14..17])
    } else {
        (format!("19{}", &number[6..12]), &number[12..15])
    };
    let birth_date = NaiveDate::parse_from_str(&birth, "%Y%m%d")
        .ok()
        .filter(|d| *d <= today && d.year() >= 1850)
        .ok_or_else(|| Invalid::BirthDate(birth.clone()))?;
    if chars.len() == 18 {
        let found = chars[17].to_ascii_uppercase();
        if !(found.is_ascii_digit() || found == 'X') {
            return Err(Invalid::Character { position: 18, found: chars[17], allowed: "应为数字或 X" });
        }
        let sum: u32 = number.bytes().take(17).zip(ID_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        let expected = char::from(ID_CHECK[(sum % 11) as usize]);
        if expected != found {
            return Err(Invalid::CheckCharacter { position: 18, expected, found });
        }
    }
    let male = sequence.bytes().last().is_some_and(|b| (b - b'0') % 2 == 1);
    Ok(IdCard { region: number[..6].to_string(), number, birth_date, male })
}

/// The 31 characters of GB 32100 in value order (no I, O, Z, S, V).
const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Outcome of a credit-code check that passed the format: the check character may still fail,
/// which a supervisor can override (real codes with a wrong check character exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCode {
    /// The normalised code (upper case).
    pub code: String,
    /// `Some` when the check character does not match: a warning, not a refusal.
    pub check_warning: Option<Invalid>,
}

/// Validates a unified social credit code (统一社会信用代码).
pub fn credit_code(input: &str) -> Result<CreditCode, Invalid> {
    let chars: Vec<char> = input.trim().chars().collect();
    if chars.is_empty() {
        return Err(Invalid::Empty);
    }
    full_width(&chars)?;
    if chars.len() != 18 {
        return Err(Invalid::Length { expected: "18", actual: chars.len() });
    }
    let code: String = chars.iter().map(|c| c.to_ascii_uppercase()).collect();
    let mut values = Vec::with_capacity(18);
    for (i, c) in code.chars().enumerate() {
        match CREDIT_ALPHABET.find(c) {
            Some(v) => values.push(v as u32),
            None => {
                return Err(Invalid::Character {
                    position: i + 1,
                    found: chars[i],
                    allowed: "只能是数字和除 I、O、Z、S、V 以外的大写字母",
                });
            }
        }
    }
    if let Some(i) = code[2..8].chars().position(|c| !c.is_ascii_digit()) {
        return Err(Invalid::Character {
            position: i + 3,
            found: chars[i + 2],
            allowed: "行政区划码应为数字",
        });
    }
    let sum: u32 = values.iter().take(17).zip(CREDIT_WEIGHTS).map(|(v, w)| v * w).sum();
    let expected_value = (31 - sum % 31) % 31;
    let expected = CREDIT_ALPHABET.as_bytes()[expected_value as usize] as char;
    let found = code.chars().nth(17).unwrap_or('?');
    let check_warning =
        (expected != found).then_some(Invalid::CheckCharacter { position: 18, expected, found });
    Ok(CreditCode { code, check_warning })
}

/// Validates a mainland mobile number; accepts `+86`/`0086` prefixes, spaces and dashes.
/// Returns the 11 digits.
pub fn mobile(input: &str) -> Result<String, Invalid> {
    let chars: Vec<char> = input.trim().chars().collect();
    if chars.is_empty() {
        return Err(Invalid::Empty);
    }
    full_width(&chars)?;
    let compact: String = chars.iter().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = compact.strip_prefix("+86").or_else(|| compact.strip_prefix("0086")).unwrap_or(&compact);
    let bytes = digits.as_bytes();
    if bytes.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1])
    {
        Ok(digits.to_string())
    } else {
        Err(Invalid::Mobile)
    }
}

/// An ID number for lists and logs: first 6 and last 4 visible (`230108********123X`).
pub fn mask_id(number: &str) -> String {
    mask_middle(number, 6, 4)
}

/// A phone number for lists and logs: `138****3210`.
pub fn mask_phone(number: &str) -> String {
    mask_middle(number, 3, 4)
}

/// A name for lists and call snapshots: `张*`, `李*敏`, `欧阳**锋`.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

fn mask_middle(s: &str, keep_front: usize, keep_back: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep_front + keep_back {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..keep_front].iter().collect();
    out.push_str(&"*".repeat(chars.len() - keep_front - keep_back));
    out.extend(&chars[chars.len() - keep_back..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    /// Completes 17 digits with the right check character.
    fn with_check(first17: &str) -> String {
        let sum: u32 = first17.bytes().zip(ID_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        format!("{first17}{}", char::from(ID_CHECK[(sum % 11) as usize]))
    }

    #[test]
    fn the_standards_example_id_is_valid() {
        // GB 11643-1999 appendix example.
        let id = id_card("11010519491231002X", today()).unwrap();
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert!(!id.male);
        assert_eq!(id_card("11010519491231002x", today()).unwrap().number, "11010519491231002X");
        let id = id_card("440524188001010014", today()).unwrap();
        assert!(id.male);
    }

    #[test]
    fn wrong_check_digit_names_the_expected_one() {
        assert_eq!(
            id_card("110105194912310021", today()),
            Err(Invalid::CheckCharacter { position: 18, expected: 'X', found: '1' })
        );
        let msg = id_card("110105194912310021", today()).unwrap_err().to_string();
        assert_eq!(msg, "第 18 位校验码应为 X，实际为 1");
    }

    #[test]
    fn abolished_districts_are_still_valid_but_unknown_provinces_are_not() {
        // 230107 (哈尔滨市动力区) was abolished in 2006; IDs issued there remain valid.
        let id = with_check("23010719800101001");
        assert!(id_card(&id, today()).is_ok());
        assert_eq!(id_card(&with_check("99010719800101001"), today()), Err(Invalid::Province("99".into())));
    }

    #[test]
    fn birth_dates_must_be_real_and_not_in_the_future() {
        assert_eq!(
            id_card(&with_check("23010819800230001"), today()),
            Err(Invalid::BirthDate("19800230".into()))
        );
        assert_eq!(
            id_card(&with_check("23010820270101001"), today()),
            Err(Invalid::BirthDate("20270101".into()))
        );
    }

    #[test]
    fn full_width_digits_are_refused_with_the_position() {
        assert_eq!(
            id_card("２30108198001010011", today()),
            Err(Invalid::FullWidth { position: 1, found: '２' })
        );
    }

    #[test]
    fn legacy_15_digit_ids_have_no_check_digit() {
        let id = id_card("230108800101001", today()).unwrap();
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1980, 1, 1).unwrap());
        assert!(id.male);
        assert!(matches!(id_card("2301088001010", today()), Err(Invalid::Length { actual: 13, .. })));
    }

    #[test]
    fn credit_codes() {
        // Published codes of real organisations.
        for code in ["91350100M000100Y43", "91110000600037341L", "911100001000000000"] {
            let result = credit_code(code).unwrap();
            if code == "911100001000000000" {
                assert!(result.check_warning.is_some());
            } else {
                assert_eq!(result.check_warning, None, "{code}");
            }
        }
        assert_eq!(
            credit_code("91350100M000100Y4I"),
            Err(Invalid::Character {
                position: 18,
                found: 'I',
                allowed: "只能是数字和除 I、O、Z、S、V 以外的大写字母"
            })
        );
        assert_eq!(
            credit_code("91350100M000100Y44").unwrap().check_warning,
            Some(Invalid::CheckCharacter { position: 18, expected: '3', found: '4' })
        );
        assert!(matches!(credit_code("9135"), Err(Invalid::Length { actual: 4, .. })));
        assert_eq!(credit_code("91350100m000100y43").unwrap().code, "91350100M000100Y43");
    }

    #[test]
    fn mobiles() {
        assert_eq!(mobile("13812343210").unwrap(), "13812343210");
        assert_eq!(mobile("+86 138-1234-3210").unwrap(), "13812343210");
        assert_eq!(mobile("008619912343210").unwrap(), "19912343210");
        assert_eq!(mobile("12812343210"), Err(Invalid::Mobile));
        assert_eq!(mobile("1381234321"), Err(Invalid::Mobile));
        assert!(matches!(mobile("１3812343210"), Err(Invalid::FullWidth { position: 1, .. })));
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id("23010819800101123X"), "230108********123X");
        assert_eq!(mask_phone("13812343210"), "138****3210");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("李晓敏"), "李*敏");
        assert_eq!(mask_name("欧阳小锋"), "欧**锋");
    }

    proptest! {
        #[test]
        fn validators_never_panic(s in "\\PC{0,40}") {
            let _ = id_card(&s, today());
            let _ = credit_code(&s);
            let _ = mobile(&s);
            let _ = mask_id(&s);
            let _ = mask_name(&s);
        }

        #[test]
        fn any_single_digit_change_is_caught(body in "[1-6][0-9]{5}19[5-9][0-9]0[1-9]1[0-9][0-9]{3}", pos in 0usize..17, delta in 1u8..10) {
            prop_assume!(PROVINCES.contains(&&body[..2]));
            let valid = with_check(&body);
            prop_assume!(id_card(&valid, today()).is_ok());
            let mut bytes = valid.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(id_card(&changed, today()).is_err());
        }
    }
}
