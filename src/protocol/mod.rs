#![doc = include_str!("PROTOCOL.md")]

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::intake::approval::ApprovalDecision;
use crate::intake::call::{CallSnapshot, CallState, Reply};

/// The protocol version this build speaks; the path prefix is `/v{PROTOCOL_VERSION}`.
pub const PROTOCOL_VERSION: u32 = 1;
/// The oldest protocol version HQ still accepts from a desk.
pub const MIN_PROTOCOL_VERSION: u32 = 1;
/// Largest request body HQ reads (bytes); larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Most changes in one push; more gets 400 (the desk sends smaller batches).
pub const MAX_PUSH_CHANGES: usize = 1000;
/// Longest id (change, case, call) accepted on the wire.
pub const MAX_ID_LEN: usize = 64;
/// Most feed items one pull returns.
pub const MAX_PULL_LIMIT: usize = 1000;
/// Longest text HQ accepts in one field (a call question, a defect, a reply, a reason), in bytes
/// of UTF-8; longer gets 413 `field_too_long`.
pub const MAX_TEXT_BYTES: usize = 8 * 1024;
/// Error code of a pull or stream whose cursor is beyond HQ's newest item: start again from 0.
pub const CURSOR_AHEAD: &str = "cursor_ahead";

/// `GET /v1/version`: what HQ speaks, for the handshake before the first push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// Newest protocol version HQ speaks.
    pub protocol: u32,
    /// Oldest protocol version HQ accepts.
    pub min_protocol: u32,
    /// HQ's build version.
    pub server: String,
}

impl Version {
    /// This build's version answer.
    pub fn current() -> Self {
        Self {
            protocol: PROTOCOL_VERSION,
            min_protocol: MIN_PROTOCOL_VERSION,
            server: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// Whether a client speaking [`PROTOCOL_VERSION`] can talk to this server.
    pub fn compatible(&self) -> bool {
        self.min_protocol <= PROTOCOL_VERSION && PROTOCOL_VERSION <= self.protocol
    }
}

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when the store answers.
    pub status: String,
    /// Newest feed sequence number.
    pub feed_seq: i64,
}

/// A device's role; decides what its token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum Role {
    /// A window's desk: pushes its cases, reads its own cases and their replies.
    Clerk,
    /// A department's back office: reads the department's cases, answers calls, decides.
    Approver,
    /// Hall supervisor: reads everything, decides escalated cases.
    Supervisor,
    /// Knowledge-base maintainer: publishes KB versions.
    KbAdmin,
}

impl Role {
    /// The role's name on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clerk => "clerk",
            Self::Approver => "approver",
            Self::Supervisor => "supervisor",
            Self::KbAdmin => "kb-admin",
        }
    }

    /// The role for a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Clerk, Self::Approver, Self::Supervisor, Self::KbAdmin].into_iter().find(|r| r.as_str() == s)
    }

    /// The role's name on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::Clerk => "窗口",
            Self::Approver => "后台审批",
            Self::Supervisor => "大厅主管",
            Self::KbAdmin => "知识库管理员",
        }
    }
}

/// An enrolled device as HQ knows it (`GET /v1/whoami`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// HQ's id of the device.
    pub id: String,
    /// Center id.
    pub center: String,
    /// Window id (clerks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Department group (approvers), as in the KB's `department_group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// What the device may do.
    pub role: Role,
}

impl Device {
    /// A name that tells two devices of one department apart (`HQ/市场监管#a1b2c3`), for call owners.
    pub fn name(&self) -> String {
        let short: String = self.id.chars().take(6).collect();
        format!("{}#{short}", self.label())
    }

    /// `center/window` for a clerk, `center/dept` for an approver: who did it, in audit lines.
    pub fn label(&self) -> String {
        match (&self.window, &self.department) {
            (Some(w), _) => format!("{}/{w}", self.center),
            (None, Some(d)) => format!("{}/{d}", self.center),
            (None, None) => format!("{}/{}", self.center, self.role.as_str()),
        }
    }
}

/// What a change carries. Only case events for now; the tag leaves room for more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// One [`crate::intake::case::CaseEvent`] of a case's journal.
    CaseEvent,
}

impl ChangeKind {
    /// The kind's name on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaseEvent => "case_event",
        }
    }
}

/// One change in a push: the desk makes `id`, HQ applies each id once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Client-made change id (the event id of the desk's journal).
    pub id: String,
    /// Client-made case id.
    pub case_id: String,
    /// The desk's outbox position; increases in the window's order.
    pub seq: i64,
    /// What the body is.
    pub kind: ChangeKind,
    /// The change itself (a case event as JSON).
    pub body: serde_json::Value,
    /// The clerk signed in at the window when the event was recorded (受理人); absent from desks
    /// without sign-in. Not part of [`Change::content_hash`]: a resend is the same change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clerk: Option<String>,
}

/// Longest clerk name on the wire, in characters.
pub const MAX_CLERK_CHARS: usize = 32;

/// Checks a clerk name: 1–[`MAX_CLERK_CHARS`] characters, no control characters.
pub fn valid_clerk(name: &str) -> bool {
    let n = name.chars().count();
    (1..=MAX_CLERK_CHARS).contains(&n) && !name.chars().any(char::is_control) && name.trim() == name
}

impl Change {
    /// The content hash HQ compares when an id comes again: same id, same hash → duplicate;
    /// different hash → conflict. `seq` is not part of it (a re-sent entry may move in the outbox).
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [self.case_id.as_str(), self.kind.as_str(), &self.body.to_string()] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        hex(&h.finalize())
    }
}

/// `POST /v1/push` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// Changes in the window's order.
    pub changes: Vec<Change>,
}

/// What HQ did with one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    /// Stored now.
    Applied,
    /// Stored before with the same content; nothing changed.
    Duplicate,
    /// Refused: the id was stored with other content, or the case belongs to another window.
    Conflict,
}

impl ChangeStatus {
    /// The status's name on the wire and in the desk's outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Duplicate => "duplicate",
            Self::Conflict => "conflict",
        }
    }
}

/// HQ's answer for one change, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeResult {
    /// The change id.
    pub id: String,
    /// Applied, duplicate or conflict.
    pub status: ChangeStatus,
    /// HQ's sequence number of the stored change (applied and duplicate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// Why, for a conflict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `POST /v1/push` answer: one result per change, same order, never fewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Results in request order.
    pub results: Vec<ChangeResult>,
}

/// Why a request body was refused; becomes a 400 with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// Whether `s` is a usable client-made id: 1–64 characters of `A-Z a-z 0-9 - _ .`.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn check_id(what: &str, s: &str) -> Result<(), DecodeError> {
    if valid_id(s) {
        Ok(())
    } else {
        Err(DecodeError(format!("{what} 必须是 1–{MAX_ID_LEN} 个字母、数字、-、_ 或 . 字符")))
    }
}

/// Parses a JSON body into `T`, with the serde message (line, column, field) on failure.
pub fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    serde_json::from_slice(bytes).map_err(|e| DecodeError(format!("请求体不是有效的 JSON: {e}")))
}

/// Decodes and checks a push body: JSON shape, 1..=[`MAX_PUSH_CHANGES`] changes, valid ids,
/// non-negative `seq`, and an object as each body. Never panics, whatever the bytes.
pub fn decode_push(bytes: &[u8]) -> Result<PushRequest, DecodeError> {
    let req: PushRequest = decode_json(bytes)?;
    if req.changes.is_empty() {
        return Err(DecodeError("changes 不能为空".into()));
    }
    if req.changes.len() > MAX_PUSH_CHANGES {
        return Err(DecodeError(format!(
            "一次最多推送 {MAX_PUSH_CHANGES} 条变更，收到 {} 条",
            req.changes.len()
        )));
    }
    for (i, c) in req.changes.iter().enumerate() {
        check_id(&format!("changes[{i}].id"), &c.id)?;
        check_id(&format!("changes[{i}].case_id"), &c.case_id)?;
        if c.seq < 0 {
            return Err(DecodeError(format!("changes[{i}].seq 不能为负数")));
        }
        if !c.body.is_object() {
            return Err(DecodeError(format!("changes[{i}].body 必须是 JSON 对象")));
        }
        if c.clerk.as_deref().is_some_and(|n| !valid_clerk(n)) {
            return Err(DecodeError(format!(
                "changes[{i}].clerk 必须是 1–{MAX_CLERK_CHARS} 个字符的姓名，不含控制字符和首尾空白"
            )));
        }
    }
    Ok(req)
}

/// The first string longer than [`MAX_TEXT_BYTES`] in a value, with its path (`.question`).
fn oversized_in(value: &serde_json::Value, path: &mut String) -> Option<String> {
    match value {
        serde_json::Value::String(s) if s.len() > MAX_TEXT_BYTES => Some(path.clone()),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = oversized_in(v, path);
            path.truncate(len);
            found
        }),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let len = path.len();
            path.push('.');
            path.push_str(k);
            let found = oversized_in(v, path);
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Which field of a push is longer than [`MAX_TEXT_BYTES`], as a message naming it.
pub fn oversized_text(req: &PushRequest) -> Option<String> {
    req.changes.iter().enumerate().find_map(|(i, c)| {
        let mut path = format!("changes[{i}].body");
        oversized_in(&c.body, &mut path).map(|p| {
            format!("{p} 超过单个字段 {MAX_TEXT_BYTES} 字节的上限（一键呼叫的问题、缺陷说明等请简要填写）")
        })
    })
}

/// Which field of a decision is longer than [`MAX_TEXT_BYTES`].
pub fn oversized_decision(decision: &ApprovalDecision) -> Option<String> {
    let value = serde_json::to_value(decision).ok()?;
    let mut path = "decision".to_string();
    oversized_in(&value, &mut path).map(|p| format!("{p} 超过单个字段 {MAX_TEXT_BYTES} 字节的上限"))
}

/// `GET /v1/pull?since=N&limit=M` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Items after `since`, oldest first.
    pub items: Vec<FeedItem>,
    /// The cursor to send next time (the last item's seq, or `since`).
    pub next: i64,
    /// More items are waiting; pull again at once.
    pub more: bool,
}

/// One entry of a device's feed: what HQ has for it, numbered by HQ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedItem {
    /// HQ's feed sequence number (the cursor; the SSE event id).
    pub seq: i64,
    /// When HQ recorded it.
    #[serde(with = "crate::time::serde_utc")]
    pub at: DateTime<Utc>,
    /// The content.
    pub body: FeedBody,
}

/// What a feed item says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeedBody {
    /// The back office decided a case (to the window that owns it).
    Decision {
        /// The desk's case id.
        case_id: String,
        /// Case number, when HQ has it.
        number: Option<String>,
        /// The decision.
        decision: ApprovalDecision,
        /// The deciding device.
        by: String,
        /// When.
        #[serde(with = "crate::time::serde_utc")]
        at: DateTime<Utc>,
    },
    /// A call was raised (to the department's approvers).
    Call {
        /// The desk's case id.
        case_id: String,
        /// Call id (made by the desk).
        call_id: String,
        /// `center/window` that called.
        window: String,
        /// The clerk's question.
        question: String,
        /// The case as the approver sees it.
        snapshot: CallSnapshot,
        /// When the desk raised it.
        #[serde(with = "crate::time::serde_hall")]
        at: DateTime<Utc>,
    },
    /// A call changed state (to the calling window).
    CallState {
        /// The desk's case id.
        case_id: String,
        /// The call.
        call_id: String,
        /// New state.
        state: CallState,
        /// When.
        #[serde(with = "crate::time::serde_utc")]
        at: DateTime<Utc>,
    },
    /// An approver answered a call (to the calling window).
    CallReply {
        /// The desk's case id.
        case_id: String,
        /// The call.
        call_id: String,
        /// The answer.
        reply: Reply,
    },
    /// A clerk's sign-in credential was set or revoked at HQ (to the windows of the clerk's
    /// center): the PIN verifier, the seal public key, the role — never the PIN.
    Clerk(crate::store::clerks::Credential),
    /// The applicant rated the service on the progress page (to the owning window): that a rating
    /// arrived, for which stage; the level only when it is a bad one (不满意, 非常不满意), for the
    /// follow-up — the clerk never sees a good or neutral level.
    Rating {
        /// The desk's case id.
        case_id: String,
        /// Case number.
        number: Option<String>,
        /// 受理 or 办结.
        stage: String,
        /// Whether it is a bad rating (to be followed up).
        bad: bool,
        /// The level, only when bad.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<String>,
        /// When HQ recorded it.
        #[serde(with = "crate::time::serde_utc")]
        at: DateTime<Utc>,
    },
    /// A KB version was published (to everyone); download it with `GET /v1/kb/{hash}`.
    KbVersion {
        /// `kb.toml` version.
        version: String,
        /// Content hash.
        hash: String,
    },
}

impl FeedBody {
    /// The kind's name (the SSE `event:` field).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Decision { .. } => "decision",
            Self::Call { .. } => "call",
            Self::CallState { .. } => "call_state",
            Self::CallReply { .. } => "call_reply",
            Self::KbVersion { .. } => "kb_version",
            Self::Clerk(_) => "clerk",
            Self::Rating { .. } => "rating",
        }
    }
}

/// `POST /v1/decisions`: an approver's decision on a case, idempotent by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// Client-made id of this decision.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// What was decided.
    pub decision: ApprovalDecision,
}

/// `POST /v1/calls/{call_id}/reply`: an approver's answer, idempotent by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// Client-made id of this answer.
    pub id: String,
    /// The answer.
    pub text: String,
    /// Close the call with this answer.
    #[serde(default)]
    pub resolve: bool,
}

/// One stored change of a case, as `GET /v1/cases/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseChange {
    /// HQ's sequence number.
    pub seq: i64,
    /// Change id.
    pub id: String,
    /// The desk's outbox position.
    pub client_seq: i64,
    /// The change.
    pub body: serde_json::Value,
    /// The clerk at the window who recorded it, when the desk had sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clerk: Option<String>,
    /// When HQ stored it.
    #[serde(with = "crate::time::serde_utc")]
    pub received_at: DateTime<Utc>,
}

/// `GET /v1/cases/{case_id}`: the case as HQ has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseView {
    /// The desk's case id.
    pub case_id: String,
    /// Owning center.
    pub center: String,
    /// Owning window.
    pub window: String,
    /// Department group, once the item is known.
    pub department: Option<String>,
    /// Item code.
    pub item_code: Option<String>,
    /// KB version the case was decided under.
    pub kb_version: Option<String>,
    /// Case number once finished.
    pub number: Option<String>,
    /// Intake decision label once finished.
    pub decision: Option<String>,
    /// The journal, in HQ order.
    pub changes: Vec<CaseChange>,
}

/// One file of a KB upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KbFileBody {
    /// Path relative to the KB root, `/`-separated.
    pub path: String,
    /// UTF-8 content.
    pub text: String,
}

/// `POST /v1/kb` body and `GET /v1/kb/{hash}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbPackage {
    /// Every file, sorted by path.
    pub files: Vec<KbFileBody>,
    /// Content hash (ignored on upload; HQ computes it).
    #[serde(default)]
    pub hash: String,
    /// `kb.toml` version (ignored on upload; HQ reads it).
    #[serde(default)]
    pub version: String,
}

impl KbPackage {
    /// The content hash of a KB: SHA-256 over each file's path and text in path order.
    pub fn content_hash(files: &[KbFileBody]) -> String {
        let mut sorted: Vec<&KbFileBody> = files.iter().collect();
        sorted.sort_by(|a, b| a.path.cmp(&b.path));
        let mut h = Sha256::new();
        for f in sorted {
            h.update(f.path.as_bytes());
            h.update([0u8]);
            h.update(f.text.as_bytes());
            h.update([0u8]);
        }
        hex(&h.finalize())
    }
}

/// `POST /v1/kb` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbPublished {
    /// `kb.toml` version.
    pub version: String,
    /// Content hash.
    pub hash: String,
    /// Applied (new) or duplicate (the same content was published before).
    pub status: ChangeStatus,
}

/// Every error answer: `{"error": {"code": …, "message": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A machine-readable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `unauthorized`, `forbidden`, `bad_request`, `payload_too_large`, …
    pub code: String,
    /// What went wrong, in Chinese.
    pub message: String,
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 of a device token, as HQ keeps it.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests;
