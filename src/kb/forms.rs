//! Application forms (申请表) for agency mode (代办): the fields agency staff fill for the applicant,
//! each with its help text and validation, and where its value can be taken from the case so
//! nothing is typed twice. One file per form in `knowledge-base/forms/`.

use serde::{Deserialize, Serialize};

/// A form.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormSpec {
    /// Identifier (the file name without `.toml`).
    pub id: String,
    /// Title as printed.
    pub title: String,
    /// Codes of the items this form belongs to.
    pub items: Vec<String>,
    /// Where the official form comes from, or what is uncertain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Sections in order.
    pub sections: Vec<FormSection>,
}

/// A titled group of fields.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormSection {
    /// Section title.
    pub title: String,
    /// Fields in order.
    pub fields: Vec<FormField>,
}

/// What a field holds, which decides its validation.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Free text.
    Text,
    /// A date, YYYY-MM-DD.
    Date,
    /// A resident ID number (GB 11643).
    IdCard,
    /// A unified social credit code (GB 32100).
    CreditCode,
    /// A mobile number.
    Mobile,
    /// A whole number.
    Number,
    /// An amount of money in yuan (up to 2 decimals).
    Money,
    /// One of `choices`.
    Choice,
}

/// One field.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// Identifier within the form (ASCII, snake_case).
    pub id: String,
    /// Label as printed.
    pub label: String,
    /// Kind of value.
    pub kind: FieldKind,
    /// Whether it must be filled.
    #[serde(default)]
    pub required: bool,
    /// How to fill it, shown beside the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The case value it starts with (see [`FROM_KEYS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Allowed values of a choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Longest allowed text, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<usize>,
}

/// Case values a field may start from.
pub const FROM_KEYS: &[&str] = &[
    "applicant.name",
    "applicant.id_number",
    "applicant.credit_code",
    "applicant.legal_representative",
    "applicant.phone",
    "applicant.address",
    "agent.name",
    "agent.id_number",
    "agent.phone",
    "mail.address",
    "today",
];
