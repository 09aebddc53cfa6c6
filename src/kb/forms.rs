//! Application forms (申请表) for agency mode (代办): `forms/<id>.toml`.
//!
//! A form lists the fields an agency clerk fills for the applicant, section by section, with the
//! KB's help text, the kind of value (which decides validation) and, through `from`, which piece of
//! applicant data already typed at intake fills it, so nothing is asked twice. The desk's agency
//! screen renders a [`Form`]; [`validate`] is the one place that decides whether a value is valid.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::intake::case::Field;
use crate::intake::validate;

/// One application form of one or more items.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Form {
    /// Identifier, equal to the file name (`forms/<id>.toml`); ASCII snake_case.
    pub id: String,
    /// Title as printed at the top of the form.
    pub title: String,
    /// Codes of the items this form is used for (at least one).
    pub items: Vec<String>,
    /// Id of the material that the filled form is, in every item of `items` (e.g. `application_form`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material: Option<String>,
    /// The public form this one is modelled on (issuer and edition), so reviewers can compare.
    pub modelled_on: String,
    /// Remarks for maintainers and clerks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The form's sections, in print order.
    pub sections: Vec<FormSection>,
}

/// A titled group of fields (一栏).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormSection {
    /// Identifier, unique in the form.
    pub id: String,
    /// Title as printed.
    pub title: String,
    /// Help shown when the clerk enters the section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Situation id (of every item of the form): the section applies only when it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// The fields, in print order.
    pub fields: Vec<FormField>,
}

/// One field of a form.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// Identifier, unique in the whole form (values are stored by it).
    pub id: String,
    /// Label as printed.
    pub label: String,
    /// What kind of value it takes; decides validation and the input widget.
    pub kind: FieldKind,
    /// Must be filled (when its section applies).
    #[serde(default)]
    pub required: bool,
    /// Help text for the clerk: what to write, where the applicant finds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Applicant data that fills this field (a key of [`FROM_KEYS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Most characters allowed (text kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<u16>,
    /// Smallest value allowed (`number`, `money`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Largest value allowed (`number`, `money`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// The choices (`choice`, `multi_choice`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Situation id: the field applies only when it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// An example value shown as a hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

/// The kinds of form fields.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    Multiline,
    /// A postal address.
    Address,
    /// A whole number.
    Number,
    /// An amount of money in yuan, up to two decimals.
    Money,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// Resident ID number (GB 11643).
    IdCard,
    /// Unified social credit code (GB 32100).
    CreditCode,
    /// Mainland mobile number.
    Mobile,
    /// Mobile or landline number.
    Phone,
    /// Bank card or account number (社会保障卡金融账户等), 12–19 digits.
    BankAccount,
    /// One of `options`.
    Choice,
    /// Several of `options`, separated by `、`.
    MultiChoice,
    /// 是 / 否.
    YesNo,
}

impl FieldKind {
    /// Whether `max_len` makes sense for this kind.
    pub fn is_text(self) -> bool {
        matches!(self, Self::Text | Self::Multiline | Self::Address)
    }

    /// Whether `min`/`max` make sense for this kind.
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Number | Self::Money)
    }

    /// Whether the field takes `options`.
    pub fn has_options(self) -> bool {
        matches!(self, Self::Choice | Self::MultiChoice)
    }
}

/// A piece of applicant data a form field can be filled from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FromKey {
    /// The key written in `from`.
    pub key: &'static str,
    /// What it is, for help and error messages.
    pub label: &'static str,
    /// Field kinds it may fill.
    pub kinds: &'static [FieldKind],
    /// The case field it is read from; `None` for values the desk computes (date, item).
    pub case_field: Option<Field>,
}

use FieldKind as K;

/// Every key `from` may name.
pub const FROM_KEYS: &[FromKey] = &[
    FromKey {
        key: "applicant.name",
        label: "申请人姓名或名称",
        kinds: &[K::Text],
        case_field: Some(Field::ApplicantName),
    },
    FromKey {
        key: "applicant.id_number",
        label: "申请人（法定代表人）身份证号码",
        kinds: &[K::IdCard],
        case_field: Some(Field::IdNumber),
    },
    FromKey {
        key: "applicant.credit_code",
        label: "统一社会信用代码",
        kinds: &[K::CreditCode],
        case_field: Some(Field::CreditCode),
    },
    FromKey {
        key: "applicant.legal_representative",
        label: "法定代表人（负责人）",
        kinds: &[K::Text],
        case_field: Some(Field::LegalRepresentative),
    },
    FromKey {
        key: "applicant.phone",
        label: "申请人联系电话",
        kinds: &[K::Mobile, K::Phone],
        case_field: Some(Field::Phone),
    },
    FromKey {
        key: "applicant.address",
        label: "申请人住址",
        kinds: &[K::Address, K::Text],
        case_field: Some(Field::Address),
    },
    FromKey {
        key: "agent.name", label: "代理人姓名", kinds: &[K::Text], case_field: Some(Field::AgentName)
    },
    FromKey {
        key: "agent.id_number",
        label: "代理人身份证号码",
        kinds: &[K::IdCard],
        case_field: Some(Field::AgentIdNumber),
    },
    FromKey {
        key: "agent.phone",
        label: "代理人联系电话",
        kinds: &[K::Mobile, K::Phone],
        case_field: Some(Field::AgentPhone),
    },
    FromKey {
        key: "authorisation.scope",
        label: "委托事项及权限",
        kinds: &[K::Text, K::Multiline],
        case_field: Some(Field::AuthorisationScope),
    },
    FromKey {
        key: "mail.address",
        label: "邮寄地址",
        kinds: &[K::Address, K::Text],
        case_field: Some(Field::MailAddress),
    },
    FromKey { key: "case.date", label: "受理（填表）日期", kinds: &[K::Date], case_field: None },
    FromKey { key: "item.name", label: "事项名称", kinds: &[K::Text], case_field: None },
    FromKey { key: "item.department", label: "实施部门", kinds: &[K::Text], case_field: None },
];

/// The description of a `from` key, if it exists.
pub fn from_key(key: &str) -> Option<&'static FromKey> {
    FROM_KEYS.iter().find(|k| k.key == key)
}

impl Form {
    /// Every field with its section, in print order.
    pub fn fields(&self) -> impl Iterator<Item = (&FormSection, &FormField)> {
        self.sections.iter().flat_map(|s| s.fields.iter().map(move |f| (s, f)))
    }

    /// The field with this id.
    pub fn field(&self, id: &str) -> Option<&FormField> {
        self.fields().map(|(_, f)| f).find(|f| f.id == id)
    }
}

/// The function giving a value's stored form for a field of `kind`: ID numbers and credit codes
/// without whitespace, half-width and upper case, phones as digits without `+86` or separators
/// (`src/intake/validate.rs`); other kinds as typed.
pub fn normaliser(kind: FieldKind) -> fn(&str) -> String {
    match kind {
        FieldKind::IdCard | FieldKind::CreditCode => validate::normalise_code,
        FieldKind::Mobile | FieldKind::Phone => validate::normalise_phone,
        _ => str::to_string,
    }
}

/// The unit of a money field as its label names it in brackets (`注册资本（万元）` → 万元), else 元:
/// an error message must speak of the unit the clerk is asked to type.
fn money_unit(label: &str) -> &str {
    label
        .rsplit_once('（')
        .and_then(|(_, rest)| rest.strip_suffix('）'))
        .filter(|unit| unit.ends_with('元'))
        .unwrap_or("元")
}

/// Checks one value typed into `field`; `Err` says what is wrong, in Chinese, for the clerk.
/// An empty value is an error only for required fields. `today` is needed for ID birth dates.
pub fn validate(field: &FormField, value: &str, today: NaiveDate) -> Result<(), String> {
    let value = value.trim();
    if value.is_empty() {
        return if field.required { Err("必填".into()) } else { Ok(()) };
    }
    if let Some(max) = field.max_len
        && value.chars().count() > usize::from(max)
    {
        return Err(format!("最多 {max} 个字，现有 {} 个字", value.chars().count()));
    }
    let in_range = |n: f64| -> Result<(), String> {
        if let Some(min) = field.min
            && n < min as f64
        {
            return Err(format!("不能小于 {min}"));
        }
        if let Some(max) = field.max
            && n > max as f64
        {
            return Err(format!("不能大于 {max}"));
        }
        Ok(())
    };
    match field.kind {
        K::Text | K::Multiline | K::Address => Ok(()),
        K::Number => in_range(value.parse::<i64>().map_err(|_| "应为整数".to_string())? as f64),
        K::Money => {
            let (int, frac) = value.split_once('.').unwrap_or((value, ""));
            let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
            if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > 2 {
                let unit = money_unit(&field.label);
                return Err(format!("应为金额（{unit}），最多两位小数，例如 1200.50"));
            }
            in_range(value.parse::<f64>().map_err(|_| format!("应为金额（{}）", money_unit(&field.label)))?)
        }
        K::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(drop)
            .map_err(|_| "应为日期，格式 2026-01-31".into()),
        K::IdCard => validate::id_card(value, today).map(drop).map_err(|e| format!("身份证号码{e}")),
        K::CreditCode => match validate::credit_code(value) {
            Ok(code) => match code.check_warning {
                Some(warning) => Err(format!("统一社会信用代码{warning}")),
                None => Ok(()),
            },
            Err(e) => Err(format!("统一社会信用代码{e}")),
        },
        K::Mobile => validate::mobile(value).map(drop).map_err(|e| e.to_string()),
        K::Phone => validate::contact_phone(value).map(drop).map_err(|e| e.to_string()),
        K::BankAccount => {
            let digits: String = value.chars().filter(|c| *c != ' ').collect();
            if digits.chars().all(|c| c.is_ascii_digit()) && (12..=19).contains(&digits.len()) {
                Ok(())
            } else {
                Err("银行卡号应为 12–19 位数字".into())
            }
        }
        K::Choice => {
            if field.options.iter().any(|o| o == value) {
                Ok(())
            } else {
                Err(format!("应为以下之一：{}", field.options.join("、")))
            }
        }
        K::MultiChoice => {
            match value.split('、').map(str::trim).find(|v| !field.options.iter().any(|o| o == v)) {
                Some(bad) => Err(format!("“{bad}”不是可选项；可选：{}", field.options.join("、"))),
                None => Ok(()),
            }
        }
        K::YesNo => {
            if matches!(value, "是" | "否") {
                Ok(())
            } else {
                Err("应为“是”或“否”".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind) -> FormField {
        FormField {
            id: "f".into(),
            label: "字段".into(),
            kind,
            required: true,
            help: None,
            from: None,
            max_len: None,
            min: None,
            max: None,
            options: vec!["甲".into(), "乙".into()],
            when: None,
            example: None,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    #[test]
    fn a_money_error_names_the_unit_of_its_label() {
        let mut capital = field(K::Money);
        capital.label = "注册资本（万元）".into();
        let err = validate(&capital, "五十", today()).unwrap_err();
        assert!(err.starts_with("应为金额（万元）"), "{err}");
        capital.label = "补贴金额".into();
        assert!(validate(&capital, "五十", today()).unwrap_err().starts_with("应为金额（元）"));
        capital.label = "金额（美元）".into();
        assert!(validate(&capital, "x", today()).unwrap_err().starts_with("应为金额（美元）"));
    }

    #[test]
    fn each_kind_accepts_good_values_and_refuses_bad_ones() {
        let cases: &[(FieldKind, &str, &str)] = &[
            (K::Number, "3", "三"),
            (K::Money, "1200.50", "12.345"),
            (K::Date, "2026-01-31", "2026/01/31"),
            (K::IdCard, "11010519491231002X", "110105194912310021"),
            (K::CreditCode, "91350100M000100Y43", "91350100M000100Y44"),
            (K::Mobile, "13800138000", "12800138000"),
            (K::Phone, "0451-86661234", "86-1"),
            (K::BankAccount, "6217 0000 0000 0000", "6217-abc"),
            (K::Choice, "甲", "丙"),
            (K::MultiChoice, "甲、乙", "甲、丙"),
            (K::YesNo, "是", "对"),
        ];
        for (kind, good, bad) in cases {
            assert_eq!(validate(&field(*kind), good, today()), Ok(()), "{kind:?} {good}");
            assert!(validate(&field(*kind), bad, today()).is_err(), "{kind:?} {bad}");
        }
    }

    #[test]
    fn empty_is_refused_only_when_required_and_limits_apply() {
        let mut f = field(K::Text);
        assert_eq!(validate(&f, " ", today()), Err("必填".into()));
        f.required = false;
        assert_eq!(validate(&f, "", today()), Ok(()));
        f.max_len = Some(2);
        assert!(validate(&f, "三个字", today()).is_err());
        let mut n = field(K::Number);
        n.min = Some(1);
        n.max = Some(50);
        assert!(validate(&n, "0", today()).is_err());
        assert!(validate(&n, "51", today()).is_err());
        assert_eq!(validate(&n, "50", today()), Ok(()));
    }

    #[test]
    fn agency_values_are_journaled_in_their_stored_form() {
        assert_eq!(normaliser(FieldKind::IdCard)("11010519491231002x\n"), "11010519491231002X");
        assert_eq!(normaliser(FieldKind::CreditCode)("91350100m000100y43 "), "91350100M000100Y43");
        assert_eq!(normaliser(FieldKind::Mobile)("+86 138 0013 8000"), "13800138000");
        assert_eq!(normaliser(FieldKind::Phone)("0451-86661234"), "045186661234");
        assert_eq!(normaliser(FieldKind::Text)(" 张三 "), " 张三 ");
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert!(validate(&field(FieldKind::Phone), "0451-86661234", today).is_ok());
        assert!(validate(&field(FieldKind::IdCard), "110105491231002", today).unwrap_err().contains("2013"));
    }

    #[test]
    fn every_from_key_is_unique() {
        let mut keys: Vec<_> = FROM_KEYS.iter().map(|k| k.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), FROM_KEYS.len());
    }
}
