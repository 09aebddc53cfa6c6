//! The applicant's progress page that HQ serves (`/lookup`): server-rendered HTML, no JavaScript,
//! readable on a 360 px phone. The applicant types the case number (filled in from the QR code's
//! address) and the query code; a right code shows the timeline (src/hq/lookup.rs) and, for each
//! stage not yet rated, the rating form. The form carries a token HQ signed for that case after
//! the right code (HMAC-SHA256 under a key drawn at start, valid 30 minutes): a rating cannot be
//! posted for a case without its code, nor from another site's form (CSRF).
//!
//! Every lookup and rating counts against the client address's budget per minute (429 past it);
//! the store counts wrong codes per case number and locks it (423).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use ring::hmac;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::lookup::{BAD_CATEGORIES, CaseProgress, Channel, LookupOutcome, RateOutcome, RatingForm, Stage};
use super::routes::AppState;
use super::storage::HqStorage;
use crate::intake::case::RatingLevel;

/// Lookups and ratings one client address may make per minute, unless `hq serve` says otherwise.
pub const LOOKUPS_PER_MINUTE: u32 = 20;

/// How long a rating token stays valid after the lookup that issued it.
const TOKEN_TTL: chrono::Duration = chrono::Duration::minutes(30);

/// Addresses whose budget is tracked at most (a flood of addresses cannot grow the map without end).
const MAX_CLIENTS: usize = 100_000;

/// The page's secrets and limits, shared by the handlers.
pub struct LookupState {
    key: hmac::Key,
    per_minute: u32,
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LookupState {
    /// A fresh signing key from the system's random source, and the per-address budget.
    pub fn new(per_minute: u32) -> anyhow::Result<Self> {
        let rng = ring::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)
            .map_err(|_| anyhow::anyhow!("无法生成查询页签名密钥（系统随机数不可用）"))?;
        Ok(Self { key, per_minute: per_minute.max(1), recent: Mutex::new(HashMap::new()) })
    }

    /// Whether `client` may make another request now (and counts it).
    fn allow(&self, client: &str, now: Instant) -> bool {
        let Ok(mut recent) = self.recent.lock() else { return false };
        if recent.len() >= MAX_CLIENTS {
            recent.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < MINUTE));
        }
        let times = recent.entry(client.to_string()).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= MINUTE) {
            times.pop_front();
        }
        if times.len() >= self.per_minute as usize {
            return false;
        }
        times.push_back(now);
        true
    }

    /// A token for rating `case_id` until `expires`.
    fn token(&self, case_id: &str, expires: DateTime<Utc>) -> String {
        let payload = format!("{}.{case_id}", expires.timestamp());
        let tag = hmac::sign(&self.key, payload.as_bytes());
        format!("{payload}.{}", hex::encode(tag.as_ref()))
    }

    /// The case a token was issued for, if it is genuine and not expired.
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<String> {
        let (payload, tag) = token.rsplit_once('.')?;
        let tag = hex::decode(tag).ok()?;
        hmac::verify(&self.key, payload.as_bytes(), &tag).ok()?;
        let (expires, case_id) = payload.split_once('.')?;
        let expires = expires.parse::<i64>().ok()?;
        (now.timestamp() < expires).then(|| case_id.to_string())
    }
}

const MINUTE: Duration = Duration::from_secs(60);

/// The caller's address, hashed (the audit keeps no raw address): `c-` and 16 hex digits.
/// Behind a proxy every applicant shares the proxy's address; HQ does not trust forwarded headers.
pub struct Client(String);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
        Ok(Self(format!("c-{}", &hex::encode(Sha256::digest(ip.as_bytes()))[..16])))
    }
}

/// `GET /lookup?case=…&via=window`: the empty form, the case number filled in.
#[derive(Debug, Default, Deserialize)]
pub struct FormQuery {
    case: Option<String>,
    via: Option<String>,
}

/// The lookup form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    case: String,
    #[serde(default)]
    code: String,
    via: Option<String>,
}

/// The rating form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct RateFields {
    #[serde(default)]
    token: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    reason: String,
    via: Option<String>,
}

/// The empty lookup form.
pub async fn form(query: Result<Query<FormQuery>, axum::extract::rejection::QueryRejection>) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let number = query.case.unwrap_or_default();
    html(StatusCode::OK, &page("办件进度查询", &lookup_form(&number, "", query.via.as_deref())))
}

/// `POST /lookup`: the timeline for the right code.
pub async fn lookup<S: HqStorage>(
    State(state): State<AppState<S>>,
    client: Client,
    Form(fields): Form<LookupForm>,
) -> Response {
    let number = fields.case.trim().to_ascii_uppercase();
    let via = fields.via.as_deref();
    if !state.lookup.allow(&client.0, Instant::now()) {
        return too_many(&state, &client, &number, via).await;
    }
    let code = crate::intake::query_code::normalise(&fields.code);
    let malformed = match &code {
        None => Some("查询码为 8 位字母和数字（如 AB23-CD45），请核对受理通知书。"),
        Some(_) if number.is_empty() || number.chars().count() > 64 => Some("请填写受理通知书上的案件编号。"),
        Some(_) => None,
    };
    let (Some(code), None) = (code, malformed) else {
        // Audited like every lookup; it cannot be a right code, so it is not counted as a wrong one.
        let row = super::lookup::entry(super::audit::Action::Lookup, &client.0, crate::time::now())
            .status(400, Some("malformed"));
        if let Err(e) = state.storage.audit(row).await {
            tracing::warn!(target: "hq::audit", error = %e, "malformed lookup not audited");
        }
        let shown = if number.chars().count() > 64 { "" } else { number.as_str() };
        let body = lookup_form(shown, malformed.unwrap_or_default(), via);
        return html(StatusCode::BAD_REQUEST, &page("办件进度查询", &body));
    };
    let hash = crate::intake::query_code::hash(&code);
    match state.storage.lookup(number.clone(), hash, client.0).await {
        Ok(LookupOutcome::Found(progress)) => {
            html(StatusCode::OK, &progress_page(&state, &progress, None, Channel::parse(via)))
        }
        Ok(LookupOutcome::Wrong { left }) => {
            let message =
                format!("案件编号或查询码不正确。15 分钟内还可尝试 {left} 次，之后该案件将暂停查询。");
            html(StatusCode::NOT_FOUND, &page("办件进度查询", &lookup_form(&number, &message, via)))
        }
        Ok(LookupOutcome::Locked { until }) => {
            let message = format!(
                "查询码错误次数过多，该案件已暂停查询，请于 {} 后再试；如忘记查询码，请携带身份证件到窗口咨询。",
                crate::time::hall_local(until).format("%Y年%m月%d日 %H:%M")
            );
            html(StatusCode::LOCKED, &page("办件进度查询", &lookup_form(&number, &message, via)))
        }
        Err(e) => unavailable(&e),
    }
}

/// `POST /lookup/rate`: records a rating the token allows.
pub async fn rate<S: HqStorage>(
    State(state): State<AppState<S>>,
    client: Client,
    Form(fields): Form<RateFields>,
) -> Response {
    let via = fields.via.as_deref();
    if !state.lookup.allow(&client.0, Instant::now()) {
        return too_many(&state, &client, "", via).await;
    }
    let Some(case_id) = state.lookup.verify(fields.token.trim(), crate::time::now()) else {
        let body = lookup_form("", "评价页面已过期或无效，请重新输入案件编号和查询码。", via);
        return html(StatusCode::FORBIDDEN, &page("办件进度查询", &body));
    };
    let form = RatingForm {
        stage: fields.stage,
        level: fields.level,
        category: fields.category,
        reason: fields.reason,
    };
    let channel = Channel::parse(via);
    match state.storage.rate(case_id, form, channel, client.0).await {
        Ok(RateOutcome::Recorded(progress)) => {
            html(StatusCode::OK, &progress_page(&state, &progress, Some(("感谢你的评价！", true)), channel))
        }
        Ok(RateOutcome::Refused(message, progress)) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &progress_page(&state, &progress, Some((&message, false)), channel),
        ),
        Ok(RateOutcome::NoCase) => {
            html(StatusCode::NOT_FOUND, &page("办件进度查询", &lookup_form("", "没有找到该案件。", via)))
        }
        Err(e) => unavailable(&e),
    }
}

async fn too_many<S: HqStorage>(
    state: &AppState<S>,
    client: &Client,
    number: &str,
    via: Option<&str>,
) -> Response {
    let row = super::lookup::entry(super::audit::Action::Lookup, &client.0, crate::time::now())
        .status(429, Some("rate_limited"));
    if let Err(e) = state.storage.audit(row).await {
        tracing::warn!(target: "hq::audit", error = %e, "rate-limited lookup not audited");
    }
    let body = lookup_form(number, "查询过于频繁，请 1 分钟后再试。", via);
    let mut response = html(StatusCode::TOO_MANY_REQUESTS, &page("办件进度查询", &body));
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
    response
}

fn unavailable(e: &super::storage::StorageError) -> Response {
    tracing::error!(target: "hq::lookup", error = %e, "lookup failed");
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        &page("办件进度查询", "<p class=\"err\">系统繁忙，请稍后再试。</p>"),
    )
}

fn html(status: StatusCode, body: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Text made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:0;padding:12px;max-width:640px;font-size:16px;\
line-height:1.6;color:#222}h1{font-size:20px;margin:8px 0 12px}h2{font-size:17px;margin:16px 0 8px}\
label{display:block;margin:8px 0 4px}input[type=text],textarea,select{width:100%;box-sizing:border-box;\
font-size:16px;padding:8px}button{font-size:16px;padding:10px 20px;margin-top:12px}\
ol{padding-left:20px}li{margin-bottom:8px}.t{color:#666;font-size:14px}.err{color:#b00020}.ok{color:#11632d}\
fieldset{border:1px solid #ccc;margin:8px 0;padding:8px}";

/// A whole page: phone viewport, the style, the title and `body` (already HTML).
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{t}</title><style>{STYLE}</style></head>\
         <body><h1>{t}</h1>{body}</body></html>\n",
        t = escape(title)
    )
}

fn via_field(via: Option<&str>) -> &'static str {
    if Channel::parse(via) == Channel::WindowQr {
        "<input type=\"hidden\" name=\"via\" value=\"window\">"
    } else {
        ""
    }
}

fn lookup_form(number: &str, message: &str, via: Option<&str>) -> String {
    let message =
        if message.is_empty() { String::new() } else { format!("<p class=\"err\">{}</p>", escape(message)) };
    format!(
        "{message}<form method=\"post\" action=\"/lookup\">{via}\
         <label for=\"case\">案件编号</label><input type=\"text\" id=\"case\" name=\"case\" value=\"{n}\" \
         autocomplete=\"off\" required>\
         <label for=\"code\">查询码（见受理通知书）</label><input type=\"text\" id=\"code\" name=\"code\" \
         autocomplete=\"off\" autocapitalize=\"characters\" placeholder=\"AB23-CD45\" required>\
         <button type=\"submit\">查询</button></form>\
         <p class=\"t\">查询码错误 5 次后该案件将暂停查询 15 分钟。</p>",
        via = via_field(via),
        n = escape(number)
    )
}

/// The timeline and the rating forms of the stages still open.
fn progress_page<S>(
    state: &AppState<S>,
    progress: &CaseProgress,
    notice: Option<(&str, bool)>,
    channel: Channel,
) -> String {
    let mut body = String::new();
    if let Some((text, ok)) = notice {
        body.push_str(&format!("<p class=\"{}\">{}</p>", if ok { "ok" } else { "err" }, escape(text)));
    }
    body.push_str(&format!(
        "<p>案件编号：{}<br>申请人：{}</p><h2>办理进度</h2><ol>",
        escape(&progress.number),
        escape(&progress.masked_name)
    ));
    for step in &progress.steps {
        let when = crate::time::hall_local(step.at).format("%Y-%m-%d %H:%M");
        let detail = step.detail.as_deref().map(|d| format!("<br>{}", escape(d))).unwrap_or_default();
        body.push_str(&format!(
            "<li><b>{}</b> <span class=\"t\">{when}</span>{detail}</li>",
            escape(&step.label)
        ));
    }
    body.push_str("</ol>");
    let expires = crate::time::now() + TOKEN_TTL;
    let token = state.lookup.token(&progress.case_id, expires);
    for stage in Stage::ALL {
        if progress.rated.contains(&stage) {
            body.push_str(&format!("<p class=\"t\">「{}」环节已评价，感谢你的参与。</p>", stage.label()));
            continue;
        }
        if stage == Stage::Completed && !progress.completed {
            body.push_str("<p class=\"t\">办结后可对办结环节进行评价。</p>");
            continue;
        }
        body.push_str(&rating_form(stage, &token, channel));
    }
    page("办件进度查询", &body)
}

fn rating_form(stage: Stage, token: &str, channel: Channel) -> String {
    let levels: String = RatingLevel::ALL
        .iter()
        .map(|l| {
            format!(
                "<label><input type=\"radio\" name=\"level\" value=\"{0}\" required> {0}</label>",
                l.label()
            )
        })
        .collect();
    let categories: String = BAD_CATEGORIES
        .iter()
        .map(|c| format!("<label><input type=\"radio\" name=\"category\" value=\"{c}\"> {c}</label>"))
        .collect();
    let via = if channel == Channel::WindowQr { Some("window") } else { None };
    format!(
        "<h2>对「{s}」环节评价</h2><form method=\"post\" action=\"/lookup/rate\">{via}\
         <input type=\"hidden\" name=\"token\" value=\"{t}\"><input type=\"hidden\" name=\"stage\" value=\"{s}\">\
         <fieldset><legend>满意程度</legend>{levels}</fieldset>\
         <fieldset><legend>不满意的方面（选择「不满意」或「非常不满意」时必选）</legend>{categories}</fieldset>\
         <label for=\"reason-{s}\">理由（选择「不满意」或「非常不满意」时必填）</label>\
         <textarea id=\"reason-{s}\" name=\"reason\" rows=\"3\" maxlength=\"500\"></textarea>\
         <button type=\"submit\">提交评价</button></form>",
        s = stage.label(),
        t = escape(token),
        via = via_field(via),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_the_case_and_expire_and_forgeries_fail() {
        let state = LookupState::new(3).unwrap();
        let now = crate::time::now();
        let token = state.token("case-1", now + TOKEN_TTL);
        assert_eq!(state.verify(&token, now).as_deref(), Some("case-1"));
        assert_eq!(state.verify(&token, now + TOKEN_TTL), None, "expired");
        let forged = token.replace("case-1", "case-2");
        assert_eq!(state.verify(&forged, now), None);
        let other = LookupState::new(3).unwrap();
        assert_eq!(other.verify(&token, now), None, "another key (a restarted HQ)");
        assert_eq!(state.verify("garbage", now), None);
    }

    #[test]
    fn an_address_gets_its_budget_per_minute() {
        let state = LookupState::new(3).unwrap();
        let t = Instant::now();
        assert!((0..3).all(|_| state.allow("a", t)));
        assert!(!state.allow("a", t));
        assert!(state.allow("b", t), "per address");
        assert!(state.allow("a", t + MINUTE));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        let html = lookup_form("\"><script>", "", None);
        assert!(!html.contains("<script>") && html.contains("&quot;&gt;&lt;script&gt;"));
    }
}
