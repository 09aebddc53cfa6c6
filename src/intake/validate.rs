//! Validators for the numbers a clerk types: resident ID (GB 11643-1999), unified social credit code
//! (GB 32100-2015) and mobile numbers, plus the PIPL masks used wherever the full value is not needed.
//!
//! Every error says exactly what is wrong (which position, which check character was expected), so
//! the clerk can compare it with the document in hand.
//!
//! The `normalise_*` functions give the one form a number is stored, compared, searched and masked
//! in: a pasted trailing newline, a full-width digit typed with a Chinese input method, a lower-case
//! `x` or a `+86` prefix never reach the store. The validators normalise first, so they judge the
//! number the store will hold.

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
    /// A 15-digit first-generation ID number: those cards stopped being valid on 2013-01-01.
    #[error("是 15 位第一代居民身份证号码，第一代身份证已于 2013 年 1 月 1 日停止使用，请出示第二代身份证")]
    FirstGeneration,
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
    /// Neither a mobile nor a landline with its area code.
    #[error("联系电话应为 11 位手机号码，或带区号的固定电话（如 0451-86661234）")]
    ContactPhone,
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

/// Full-width ASCII (`０`–`９`, `Ａ`–`ｚ`, `＋`, `－` …, typed with a Chinese input method) as
/// half-width; other characters unchanged.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        c => c,
    }
}

/// The stored form of an ID number or a credit code: whitespace (a pasted newline, spaces between
/// digit groups) removed, full-width characters half-width, letters upper case (`x` → `X`).
/// Idempotent; every other character is kept so the validator can name it.
pub fn normalise_code(input: &str) -> String {
    input.chars().map(half_width).filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect()
}

/// The stored form of a phone number: half-width, without whitespace, separators (`-`, `(`, `)`,
/// `.`) or the country prefix (`+86`, `0086`). Idempotent; other characters are kept so the
/// validator refuses them.
pub fn normalise_phone(input: &str) -> String {
    let compact: String = input
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '(' | ')' | '.' | '\u{2010}'..='\u{2015}'))
        .collect();
    let mut number = compact.as_str();
    while let Some(rest) = number.strip_prefix("+86").or_else(|| number.strip_prefix("0086")) {
        number = rest;
    }
    number.to_string()
}

/// Validates an 18-digit resident ID number as of `today` (after [`normalise_code`]).
/// A 15-digit first-generation number is refused: those cards are void since 2013-01-01.
///
/// Only the province prefix of the region is checked: IDs keep the code of the district where they
/// were issued, and abolished districts stay valid.
pub fn id_card(input: &str, today: NaiveDate) -> Result<IdCard, Invalid> {
    let number = normalise_code(input);
    let chars: Vec<char> = number.chars().collect();
    if chars.is_empty() {
        return Err(Invalid::Empty);
    }
    if chars.len() == 15 && chars.iter().all(char::is_ascii_digit) {
        return Err(Invalid::FirstGeneration);
    }
    if chars.len() != 18 {
        return Err(Invalid::Length { expected: "18", actual: chars.len() });
    }
    for (i, c) in chars.iter().enumerate().take(17) {
        if !c.is_ascii_digit() {
            return Err(Invalid::Character { position: i + 1, found: *c, allowed: "应为数字" });
        }
    }
    let found = chars[17];
    if !(found.is_ascii_digit() || found == 'X') {
        return Err(Invalid::Character { position: 18, found, allowed: "应为数字或 X" });
    }
    let province = &number[..2];
    if !PROVINCES.contains(&province) {
        return Err(Invalid::Province(province.to_string()));
    }
    let birth = number[6..14].to_string();
    let birth_date = NaiveDate::parse_from_str(&birth, "%Y%m%d")
        .ok()
        .filter(|d| *d <= today && d.year() >= 1850)
        .ok_or_else(|| Invalid::BirthDate(birth.clone()))?;
    let sum: u32 = number.bytes().take(17).zip(ID_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    let expected = char::from(ID_CHECK[(sum % 11) as usize]);
    if expected != found {
        return Err(Invalid::CheckCharacter { position: 18, expected, found });
    }
    let male = number.as_bytes()[16].is_ascii_digit() && (number.as_bytes()[16] - b'0') % 2 == 1;
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

/// Validates a unified social credit code (统一社会信用代码), after [`normalise_code`].
pub fn credit_code(input: &str) -> Result<CreditCode, Invalid> {
    let code = normalise_code(input);
    let chars: Vec<char> = code.chars().collect();
    if chars.is_empty() {
        return Err(Invalid::Empty);
    }
    if chars.len() != 18 {
        return Err(Invalid::Length { expected: "18", actual: chars.len() });
    }
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

/// Validates a mainland mobile number after [`normalise_phone`] (`+86`/`0086`, spaces and dashes
/// are fine). Returns the 11 digits.
pub fn mobile(input: &str) -> Result<String, Invalid> {
    let digits = normalise_phone(input);
    if digits.is_empty() {
        return Err(Invalid::Empty);
    }
    let bytes = digits.as_bytes();
    if bytes.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1])
    {
        Ok(digits)
    } else {
        Err(Invalid::Mobile)
    }
}

/// Validates a contact phone (an organisation's 联系电话): a mobile, or a landline with its area
/// code (`0` + 2–3 digit area code + 7–8 digit number, 10–12 digits once normalised). Returns the
/// normalised number.
pub fn contact_phone(input: &str) -> Result<String, Invalid> {
    let digits = normalise_phone(input);
    if digits.is_empty() {
        return Err(Invalid::Empty);
    }
    if let Ok(mobile) = mobile(&digits) {
        return Ok(mobile);
    }
    let bytes = digits.as_bytes();
    if (10..=12).contains(&bytes.len())
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'0'
        && bytes[1] != b'0'
    {
        Ok(digits)
    } else {
        Err(Invalid::ContactPhone)
    }
}

/// An ID number (or credit code) for lists and logs, normalised first: first 6 and last 4 visible
/// (`230108********123X`).
pub fn mask_id(number: &str) -> String {
    mask_middle(&normalise_code(number), 6, 4)
}

/// A phone number for lists and logs, normalised first (so `+86 138…` masks the number, not the
/// prefix): `138****3210`.
pub fn mask_phone(number: &str) -> String {
    mask_middle(&normalise_phone(number), 3, 4)
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
    fn pasted_and_full_width_ids_are_normalised_not_refused() {
        assert_eq!(
            id_card("１１０１０５１９４９１２３１００２ｘ", today()).unwrap().number,
            "11010519491231002X"
        );
        assert_eq!(id_card("11010519491231002X\n", today()).unwrap().number, "11010519491231002X");
        assert_eq!(id_card(" 110105 19491231 002x ", today()).unwrap().number, "11010519491231002X");
        assert_eq!(normalise_code("11010519491231002x\r\n"), "11010519491231002X");
        assert_eq!(normalise_code("９１３５０１００ｍ０００１００ｙ４３"), "91350100M000100Y43");
    }

    #[test]
    fn first_generation_ids_are_refused_with_the_reason() {
        assert_eq!(id_card("230108800101001", today()), Err(Invalid::FirstGeneration));
        let message = id_card("230108800101001", today()).unwrap_err().to_string();
        assert!(message.contains("2013 年 1 月 1 日停止使用"), "{message}");
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
        assert_eq!(mobile("＋８６ １3812343210").unwrap(), "13812343210");
        assert_eq!(mobile("(+86) 138.1234.3210\n").unwrap(), "13812343210");
        assert_eq!(mobile("0451-86661234"), Err(Invalid::Mobile));
    }

    #[test]
    fn contact_phones_take_landlines_with_area_code() {
        assert_eq!(contact_phone("0451-86661234").unwrap(), "045186661234");
        assert_eq!(contact_phone("010 6552 8000").unwrap(), "01065528000");
        assert_eq!(contact_phone("+86 139 1234 5678").unwrap(), "13912345678");
        assert_eq!(contact_phone("86661234"), Err(Invalid::ContactPhone));
        assert_eq!(contact_phone("0045186661234"), Err(Invalid::ContactPhone));
        assert_eq!(contact_phone(""), Err(Invalid::Empty));
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id("23010819800101123X"), "230108********123X");
        assert_eq!(mask_phone("13812343210"), "138****3210");
        assert_eq!(mask_phone("+86 138 1234 3210"), "138****3210");
        assert_eq!(mask_id("11010519491231002x\n"), "110105********002X");
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
            let _ = contact_phone(&s);
            let _ = mask_id(&s);
            let _ = mask_phone(&s);
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

        #[test]
        fn normalising_is_idempotent(s in "\\PC{0,40}") {
            let code = normalise_code(&s);
            prop_assert_eq!(normalise_code(&code), code.clone());
            let phone = normalise_phone(&s);
            prop_assert_eq!(normalise_phone(&phone), phone);
        }

        /// A valid ID survives any mix of spaces, line breaks, full-width digits and a lower-case x.
        #[test]
        fn a_valid_id_survives_any_garbling(
            body in "[1-6][0-9]{5}19[5-9][0-9]0[1-9]1[0-9][0-9]{3}",
            garble in proptest::collection::vec((0u8..4, 0u8..3), 18),
            trailing in "[ \\n\\r\\t\u{3000}]{0,3}",
        ) {
            prop_assume!(PROVINCES.contains(&&body[..2]));
            let valid = with_check(&body);
            prop_assume!(id_card(&valid, today()).is_ok());
            let mut typed = String::new();
            for (c, (how, space)) in valid.chars().zip(garble) {
                typed.push(match how {
                    0 => char::from_u32(c as u32 + 0xFEE0).unwrap(),
                    1 => c.to_ascii_lowercase(),
                    _ => c,
                });
                typed.push_str(["", " ", "\u{3000}"][usize::from(space)]);
            }
            typed.push_str(&trailing);
            prop_assert_eq!(normalise_code(&typed), valid.clone());
            prop_assert_eq!(id_card(&typed, today()).unwrap().number, valid);
        }

        /// A valid mobile survives prefixes, separators and full-width digits.
        #[test]
        fn a_valid_mobile_survives_any_garbling(rest in "1[3-9][0-9]{9}", prefix in 0u8..3, sep in "[ \\-]{0,1}") {
            let typed: String = rest.chars().enumerate().map(|(i, c)| if i % 4 == 3 { format!("{sep}{c}") } else { c.to_string() }).collect();
            let typed = format!("{}{typed}", ["", "+86 ", "0086-"][usize::from(prefix)]);
            prop_assert_eq!(mobile(&typed).unwrap(), rest.clone());
            prop_assert_eq!(normalise_phone(&typed), rest);
        }
    }
}
