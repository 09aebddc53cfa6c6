//! What the routes need from HQ's store, as a trait: the SQLite store implements it today, and a
//! PostgreSQL store can implement it later without touching a route.
//!
//! Every method that changes state also appends to HQ's audit (actor, device, time) in the same
//! transaction; every method is all-or-nothing for its own call.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::protocol::{
    CaseView, Change, ChangeResult, DecisionRequest, Device, FeedItem, KbPackage, KbPublished, ReplyRequest,
    Role,
};

/// Why the store could not answer; the routes turn it into 503 (retry later).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// The database failed (disk, lock, corruption).
    #[error("总部数据库错误: {0}")]
    Database(String),
    /// The store is shutting down or its writer stopped.
    #[error("总部数据库不可用: {0}")]
    Unavailable(String),
    /// The request contradicts what the store holds (maintenance commands only).
    #[error("{0}")]
    Refused(String),
}

impl StorageError {
    /// A refusal by the store's own checks (an unknown department …), shown as is.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::Refused(message.into())
    }
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Database(e.to_string())
    }
}

/// A device to enroll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    /// Center id.
    pub center: String,
    /// Window id (clerks).
    pub window: Option<String>,
    /// Department group (approvers).
    pub department: Option<String>,
    /// Role.
    pub role: Role,
    /// When the token stops working (`None`: until revoked).
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a token grants: the device, and until when (expiry, or the end of a rotation's grace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The device.
    pub device: Device,
    /// The token works until this instant (UTC); `None`: until revoked.
    pub valid_until: Option<DateTime<Utc>>,
}

/// An enrolled device with its token's lifecycle, for `hq devices`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceRecord {
    /// The device.
    #[serde(flatten)]
    pub device: Device,
    /// When it was enrolled (UTC).
    pub created_at: DateTime<Utc>,
    /// When its token expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Until when the token it had before its last rotation still works.
    pub old_token_until: Option<DateTime<Utc>>,
}

/// Which cases and calls an approver's or supervisor's lists show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Only this center's (`None`: every center — no role has that today).
    pub center: Option<String>,
    /// Only this department's (`None`: every department of the center, for supervisors).
    pub department: Option<String>,
}

/// Where a case belongs, for authorisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOwner {
    /// Owning center.
    pub center: String,
    /// Owning window.
    pub window: String,
    /// Department group of the case's item, once known.
    pub department: Option<String>,
}

/// Which feed items a device receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedTargets {
    /// Items for these targets (a window's, a department's at a center, and everyone's).
    Only(Vec<String>),
    /// Every item of this center and everyone's (supervisors).
    Center(String),
}

/// HQ's store, as the routes use it. Implementations must be safe to share between request tasks.
pub trait HqStorage: Send + Sync + 'static {
    /// The device holding the token with this SHA-256, if enrolled, not revoked and not expired
    /// (a rotated-out token works until its grace period ends).
    fn device_for_token(
        &self,
        token_hash: String,
    ) -> impl Future<Output = Result<Option<Grant>, StorageError>> + Send;

    /// Changes whenever a token is revoked or rotated (by this process or by `hq revoke` on the
    /// same database): open event streams check their token again.
    fn revocations(&self) -> tokio::sync::watch::Receiver<u64>;

    /// Appends a row to the audit chain (reads of a case, refused requests).
    fn audit(&self, entry: super::audit::Entry) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Whether the store can read and write now (for `/v1/health`).
    fn health(&self) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Enrolls a device; returns it with its token (shown once; only its hash is stored).
    fn enroll(
        &self,
        device: NewDevice,
    ) -> impl Future<Output = Result<(Device, String), StorageError>> + Send;

    /// Applies a clerk's batch of changes in order, each id once, in one transaction; one result
    /// per change, in order.
    fn push(
        &self,
        device: Device,
        changes: Vec<Change>,
    ) -> impl Future<Output = Result<Vec<ChangeResult>, StorageError>> + Send;

    /// Feed items for `targets` after `since`, oldest first, at most `limit`.
    fn feed(
        &self,
        targets: FeedTargets,
        since: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<FeedItem>, StorageError>> + Send;

    /// The newest feed sequence number, changing whenever an item is added (for live streams).
    fn feed_watch(&self) -> tokio::sync::watch::Receiver<i64>;

    /// Who owns a case, if HQ has it.
    fn case_owner(
        &self,
        case_id: String,
    ) -> impl Future<Output = Result<Option<CaseOwner>, StorageError>> + Send;

    /// The case with its journal.
    fn case(&self, case_id: String) -> impl Future<Output = Result<Option<CaseView>, StorageError>> + Send;

    /// The case a call belongs to and its owner.
    fn call_owner(
        &self,
        call_id: String,
    ) -> impl Future<Output = Result<Option<(String, CaseOwner)>, StorageError>> + Send;

    /// Records an approver's decision once per id and sends it to the owning window.
    fn decide(
        &self,
        device: Device,
        request: DecisionRequest,
    ) -> impl Future<Output = Result<ChangeResult, StorageError>> + Send;

    /// Records an approver's answer to a call once per id and sends it to the calling window.
    fn reply(
        &self,
        device: Device,
        call_id: String,
        request: ReplyRequest,
    ) -> impl Future<Output = Result<ChangeResult, StorageError>> + Send;

    /// Stores a checked KB package (hash and version filled) once per hash and announces it.
    fn publish_kb(
        &self,
        device: Device,
        package: KbPackage,
    ) -> impl Future<Output = Result<KbPublished, StorageError>> + Send;

    /// A published KB package.
    fn kb(&self, hash: String) -> impl Future<Output = Result<Option<KbPackage>, StorageError>> + Send;

    /// The first approver to take a call owns it; later ones learn who did.
    fn take_call(
        &self,
        device: Device,
        call_id: String,
    ) -> impl Future<Output = Result<super::calls::TakeOutcome, StorageError>> + Send;

    /// The owner (or a supervisor) closes a call; closing a closed call again changes nothing.
    fn resolve_call(
        &self,
        device: Device,
        call_id: String,
    ) -> impl Future<Output = Result<super::rules::ResolveStep, StorageError>> + Send;

    /// Escalates to supervisors the ringing calls the rule says; returns how many.
    fn escalate_calls(
        &self,
        rule: super::calls::Escalation,
    ) -> impl Future<Output = Result<usize, StorageError>> + Send;

    /// Open calls in `scope`.
    fn open_calls(
        &self,
        scope: Scope,
    ) -> impl Future<Output = Result<Vec<crate::console::model::CallItem>, StorageError>> + Send;

    /// Exceptions approved at `center`'s windows since `since`, newest first (supervisors only).
    fn exceptions(
        &self,
        center: String,
        since: chrono::DateTime<chrono::Utc>,
    ) -> impl Future<Output = Result<Vec<crate::console::model::ExceptionItem>, StorageError>> + Send;

    /// Accepted cases in `scope` waiting for the back office's decision.
    fn queue(
        &self,
        scope: Scope,
    ) -> impl Future<Output = Result<Vec<crate::console::model::QueueCase>, StorageError>> + Send;

    /// An applicant's lookup by case number and the SHA-256 of the query code: counts a wrong
    /// code, locks after too many, audits every try (src/hq/lookup.rs). `client` is the caller's
    /// hashed address.
    fn lookup(
        &self,
        number: String,
        code_sha256: String,
        client: String,
    ) -> impl Future<Output = Result<super::lookup::LookupOutcome, StorageError>> + Send;

    /// An applicant's rating of a case they looked up (the page's token proved the code): once
    /// per stage, 办结 only once decided; audited, and the owning window told that it arrived.
    fn rate(
        &self,
        case_id: String,
        form: super::lookup::RatingForm,
        channel: super::lookup::Channel,
        client: String,
    ) -> impl Future<Output = Result<super::lookup::RateOutcome, StorageError>> + Send;
}
