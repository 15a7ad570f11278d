//! The phone page for support workers and the approvals page for managers: server-rendered HTML
//! that works without JavaScript, with labelled fields, large touch targets and errors shown next
//! to the field at fault. Recording and deciding go through the same functions as the API.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Duration, NaiveDate, NaiveTime};
use maud::{DOCTYPE, Markup, html};

use super::api::{ListQuery, scoped_filter};
use super::auth::{ClientAddress, PageCaller, SESSION_COOKIE};
use super::origin::SignInOrigins;
use super::problem::Problem;
use super::{AppState, Endpoint, Route};
use crate::capture::submission::{SegmentSubmission, ShiftSubmission};
use crate::domain::access::{digests_match, new_secret};
use crate::domain::{Principal, Role, Scope};
use crate::store::access;
use crate::store::shift_records::{ShiftRecord, list_shifts};
use crate::usecase::shifts;

/// Most segments one form offers.
const FORM_SEGMENTS_MAX: usize = 12;
/// Shifts waiting for approval shown at once.
const APPROVALS_SHOWN: u32 = 200;
/// Recent shifts shown on the worker's page.
const RECENT_SHIFTS: u32 = 20;
/// The stylesheet.
const STYLESHEET: &str = include_str!("../../assets/web/tms.css");

const fn ep(method: &'static str, path: &'static str) -> Endpoint {
    Endpoint { method, path }
}

/// Every page with its handler.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        (ep("GET", "/assets/tms.css"), get(stylesheet)),
        (ep("GET", "/"), get(home)),
        (ep("GET", "/sign-in"), get(sign_in_page)),
        (ep("POST", "/sign-in"), post(sign_in)),
        (ep("GET", "/sign-in/{code}"), get(link_page)),
        (ep("POST", "/sign-in/{code}"), post(link_sign_in)),
        (ep("POST", "/sign-out"), post(sign_out)),
        (ep("GET", "/shifts"), get(my_shifts)),
        (ep("GET", "/shifts/new"), get(new_shift)),
        (ep("POST", "/shifts"), post(record)),
        (ep("GET", "/shifts/{shift_id}/edit"), get(edit_shift)),
        (ep("POST", "/shifts/{shift_id}"), post(correct)),
        (ep("GET", "/approvals"), get(approvals)),
        (ep("POST", "/approvals/{shift_id}"), post(decide)),
    ]
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// A whole page: landmarks, a skip link, the signed-in bar and the content.
fn page(title: &str, caller: Option<&PageCaller>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – tms" }
                link rel="stylesheet" href="/assets/tms.css";
            }
            body {
                a class="skip" href="#main" { "Skip to main content" }
                header {
                    p { "tms" }
                    @if let Some(caller) = caller {
                        form method="post" action="/sign-out" {
                            input type="hidden" name="csrf" value=(caller.csrf());
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" { (content) }
            }
        }
    }
}

fn html_response(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn message_page(
    status: StatusCode,
    caller: Option<&PageCaller>,
    title: &str,
    text: &str,
) -> Response {
    html_response(
        status,
        page(
            title,
            caller,
            html! { h1 { (title) } p { (text) } p { a href="/" { "Go to the start page" } } },
        ),
    )
}

fn problem_page(caller: &PageCaller, problem: &Problem) -> Response {
    let title = match problem.status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "Not available",
        _ => problem.title,
    };
    message_page(problem.status, Some(caller), title, &problem.detail)
}

/// A form's fields; checkboxes repeat their name.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.trim())
}

/// The page refusing a form whose CSRF field does not match the session, if it does not.
fn csrf_refusal(caller: &PageCaller, fields: &Fields) -> Option<Response> {
    (!digests_match(field(fields, "csrf"), &caller.csrf())).then(|| {
        message_page(
            StatusCode::FORBIDDEN,
            Some(caller),
            "Please try again",
            "The form was out of date. Go back, reload the page and send it again.",
        )
    })
}

fn landing(principal: &Principal) -> &'static str {
    match principal.role {
        Role::Manager | Role::Finance => "/approvals",
        _ => "/shifts",
    }
}

async fn home(caller: Result<PageCaller, Response>) -> Response {
    match caller {
        Ok(caller) => Redirect::to(landing(&caller.principal)).into_response(),
        Err(_) => Redirect::to("/sign-in").into_response(),
    }
}

fn sign_in_form(error: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in" }
        p { "Use the sign-in code your manager gave you, or the link they sent you." }
        form method="post" action="/sign-in" novalidate {
            div class=@if error.is_some() { "field has-error" } @else { "field" } {
                label for="token" { "Sign-in code" }
                p class="hint" id="token-hint" { "It starts with tms_" }
                @if let Some(error) = error {
                    p class="error" id="token-error" { span class="visually-hidden" { "Error: " } (error) }
                }
                input type="password" id="token" name="token" autocomplete="off" spellcheck="false"
                    aria-describedby=(if error.is_some() { "token-hint token-error" } else { "token-hint" })
                    aria-invalid=[error.map(|_| "true")];
            }
            button type="submit" { "Sign in" }
        }
    }
}

/// A sign-in post sent from tms's own pages ([`super::origin`]); one from another site, which
/// could sign the visitor in as someone else, is refused with 403 before anything is read.
struct FromOwnPages;

impl FromRequestParts<Arc<AppState>> for FromOwnPages {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let origins = parts
            .extensions
            .get::<Arc<SignInOrigins>>()
            .cloned()
            .unwrap_or_else(|| Arc::new(SignInOrigins::new(&state.settings.server, None)));
        // A header that is not text names no site of ours.
        let header = |name| {
            parts
                .headers
                .get(name)
                .map(|v: &HeaderValue| v.to_str().unwrap_or_default())
        };
        match origins.check(header(header::ORIGIN), header(header::REFERER)) {
            Ok(()) => Ok(FromOwnPages),
            Err(error) => {
                tracing::warn!(reason = %error, "page sign-in refused");
                Err(message_page(
                    StatusCode::FORBIDDEN,
                    None,
                    "Sign in on the tms page",
                    "This sign-in came from another website, so it was not used. Open the tms sign-in page yourself and sign in there.",
                ))
            }
        }
    }
}

/// The page for a failed sign-in beyond the address's allowance: 429 with `Retry-After`.
fn too_many_attempts(wait_seconds: u64) -> Response {
    let mut response = message_page(
        StatusCode::TOO_MANY_REQUESTS,
        None,
        "Too many attempts",
        &format!(
            "Too many sign-ins from here did not work. Wait {wait_seconds} seconds, then try again."
        ),
    );
    if let Ok(value) = HeaderValue::from_str(&wait_seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

async fn sign_in_page() -> Response {
    html_response(StatusCode::OK, page("Sign in", None, sign_in_form(None)))
}

fn session_cookie(state: &AppState, secret: &str, max_age_seconds: i64) -> HeaderValue {
    let secure = if state.settings.server.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}"
    ))
    .expect("a cookie of hex digits is a valid header")
}

async fn start_session(state: &AppState, principal: &Principal) -> Response {
    let hours = state.settings.server.session_hours;
    match access::create_session(&state.store, &principal.token_id, Duration::hours(hours)).await {
        Ok(secret) => {
            tracing::info!(role = %principal.role, "signed in");
            let mut response = Redirect::to(landing(principal)).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(state, &secret, hours * 3600),
            );
            response
        }
        Err(error) => Problem::from(error).into_response(),
    }
}

async fn sign_in(
    State(state): State<Arc<AppState>>,
    _: FromOwnPages,
    ClientAddress(client): ClientAddress,
    Form(fields): Form<Fields>,
) -> Response {
    let token = field(&fields, "token");
    match access::authenticate(&state.store, token, chrono::Utc::now()).await {
        Ok(Some(principal)) => start_session(&state, &principal).await,
        Ok(None) => {
            tracing::warn!(
                reason = "unknown, expired or revoked token",
                "page sign-in failed"
            );
            let error = if token.is_empty() {
                "Enter your sign-in code"
            } else if let Err(wait) = state.failures.failed(client) {
                return too_many_attempts(wait);
            } else {
                "That sign-in code did not work. Check it, or ask your manager for a new one"
            };
            html_response(
                StatusCode::UNAUTHORIZED,
                page("Sign in", None, sign_in_form(Some(error))),
            )
        }
        Err(error) => Problem::from(error).into_response(),
    }
}

async fn link_page(Path(code): Path<String>) -> Response {
    // Mail scanners open links; only pressing the button uses the link up.
    let action = format!("/sign-in/{code}");
    html_response(
        StatusCode::OK,
        page(
            "Sign in",
            None,
            html! {
                h1 { "Sign in to tms" }
                p { "This link works once." }
                form method="post" action=(action) {
                    button type="submit" { "Sign in" }
                }
            },
        ),
    )
}

async fn link_sign_in(
    State(state): State<Arc<AppState>>,
    _: FromOwnPages,
    ClientAddress(client): ClientAddress,
    Path(code): Path<String>,
) -> Response {
    match access::use_sign_in_link(&state.store, &code, chrono::Utc::now()).await {
        Ok(Some(principal)) => start_session(&state, &principal).await,
        Ok(None) => {
            tracing::warn!(
                reason = "unknown, used or expired link",
                "page sign-in failed"
            );
            if let Err(wait) = state.failures.failed(client) {
                return too_many_attempts(wait);
            }
            message_page(
                StatusCode::UNAUTHORIZED,
                None,
                "This link does not work",
                "It has been used already or has expired. Ask your manager for a new link, or sign in with your code.",
            )
        }
        Err(error) => Problem::from(error).into_response(),
    }
}

async fn sign_out(
    State(state): State<Arc<AppState>>,
    caller: PageCaller,
    Form(fields): Form<Fields>,
) -> Response {
    if let Some(response) = csrf_refusal(&caller, &fields) {
        return response;
    }
    if let Err(error) = access::end_session(&state.store, &caller.session).await {
        return Problem::from(error).into_response();
    }
    let mut response = Redirect::to("/sign-in").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    response
}

fn local_text(state: &AppState, seconds: i64) -> String {
    let instant = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    instant
        .with_timezone(&state.zone.tz())
        .format("%a %-d %b, %H:%M")
        .to_string()
}

fn local_time(state: &AppState, seconds: i64) -> String {
    let instant = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    instant
        .with_timezone(&state.zone.tz())
        .format("%H:%M")
        .to_string()
}

fn status_badge(status: &str) -> Markup {
    let words = match status {
        "submitted" => "Waiting for approval",
        "approved" => "Approved",
        "rejected" => "Needs correcting",
        "withdrawn" => "Withdrawn",
        other => other,
    };
    html! { span class=(format!("status status-{status}")) { (words) } }
}

fn people_names(reference: &crate::store::reference::ReferenceData, people: &str) -> String {
    let names: Vec<String> = people
        .split(';')
        .filter(|p| !p.is_empty())
        .map(|p| {
            crate::domain::PersonId::parse(p)
                .ok()
                .and_then(|id| reference.person_details.get(&id).map(|d| d.0.clone()))
                .unwrap_or_else(|| p.to_owned())
        })
        .collect();
    if names.is_empty() {
        "no one (travel or admin)".to_owned()
    } else {
        names.join(", ")
    }
}

fn shift_summary(
    state: &AppState,
    reference: &crate::store::reference::ReferenceData,
    record: &ShiftRecord,
) -> Markup {
    let h = &record.header;
    html! {
        p {
            strong { (local_text(state, h.first_start_utc)) " to " (local_time(state, h.last_end_utc)) }
            " · " (record.minutes()) " minutes "
            (status_badge(&h.status))
        }
        ul {
            @for s in &record.segments {
                li { (local_time(state, s.start_utc)) "–" (local_time(state, s.end_utc)) " " (s.service_code) ": " (people_names(reference, &s.people)) }
            }
        }
        @if !h.decision_reason.is_empty() {
            p class="reason" { "Reason: " (h.decision_reason) }
        }
    }
}

/// The shifts of a listing in the caller's scope, with the reference data to show them.
async fn listed(
    state: &AppState,
    caller: &PageCaller,
    query: &ListQuery,
) -> Result<
    (
        Vec<ShiftRecord>,
        Arc<crate::store::reference::ReferenceData>,
    ),
    Response,
> {
    let filter =
        scoped_filter(state, &caller.principal, query).map_err(|p| problem_page(caller, &p))?;
    let records = list_shifts(&state.store, &filter)
        .await
        .map_err(|e| Problem::from(e).into_response())?;
    let reference = state
        .reference
        .get(&state.store)
        .await
        .map_err(|e| Problem::from(e).into_response())?;
    Ok((records, reference))
}

async fn my_shifts(
    State(state): State<Arc<AppState>>,
    caller: PageCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match caller.principal.role {
        Role::Worker => {}
        Role::Family => {
            return message_page(
                StatusCode::FORBIDDEN,
                Some(&caller),
                "Not available",
                "Shifts are recorded here by support workers. Your invoices and statements come by email.",
            );
        }
        _ => return Redirect::to(landing(&caller.principal)).into_response(),
    }
    let query_recent = ListQuery {
        limit: Some(RECENT_SHIFTS),
        ..ListQuery::default()
    };
    let (records, reference) = match listed(&state, &caller, &query_recent).await {
        Ok(listed) => listed,
        Err(response) => return response,
    };
    let notice = match query.get("done").map(String::as_str) {
        Some("recorded") => Some("Shift recorded. It is waiting for approval."),
        Some("corrected") => Some("Shift corrected. It is waiting for approval again."),
        _ => None,
    };
    let content = html! {
        h1 { "Your shifts" }
        @if let Some(notice) = notice {
            div class="notice" role="status" { p { (notice) } }
        }
        p { a class="button" href="/shifts/new" { "Record a shift" } }
        h2 { "Recent shifts" }
        @if records.is_empty() {
            p { "You have not recorded any shifts yet." }
        } @else {
            ul class="shifts" {
                @for record in &records {
                    li {
                        (shift_summary(&state, &reference, record))
                        @if matches!(record.header.status.as_str(), "submitted" | "rejected") {
                            p { a href=(format!("/shifts/{}/edit", record.header.shift_id)) { "Correct this shift" span class="visually-hidden" { " from " (local_text(&state, record.header.first_start_utc)) } } }
                        }
                    }
                }
            }
        }
    };
    html_response(StatusCode::OK, page("Your shifts", Some(&caller), content))
}

/// What the shift form shows: values as typed, and errors by field name.
#[derive(Default)]
struct ShiftForm {
    date: String,
    segments: Vec<SegmentForm>,
    key: String,
    version: Option<i64>,
    errors: Vec<(String, String)>,
}

#[derive(Clone, Default)]
struct SegmentForm {
    start: String,
    end: String,
    service: String,
    people: Vec<String>,
    miles: String,
    notes: String,
}

impl ShiftForm {
    fn from_fields(fields: &Fields) -> ShiftForm {
        let count: usize = field(fields, "segments")
            .parse()
            .unwrap_or(1)
            .clamp(1, FORM_SEGMENTS_MAX);
        let segments = (0..count)
            .map(|i| {
                let name = |f: &str| format!("seg{i}_{f}");
                SegmentForm {
                    start: field(fields, &name("start")).to_owned(),
                    end: field(fields, &name("end")).to_owned(),
                    service: field(fields, &name("service")).to_owned(),
                    people: fields
                        .iter()
                        .filter(|(n, _)| *n == name("people"))
                        .map(|(_, v)| v.clone())
                        .collect(),
                    miles: field(fields, &name("miles")).to_owned(),
                    notes: field(fields, &name("notes")).to_owned(),
                }
            })
            .collect();
        ShiftForm {
            date: field(fields, "date").to_owned(),
            segments,
            key: field(fields, "key").to_owned(),
            version: field(fields, "version").parse().ok(),
            errors: Vec::new(),
        }
    }

    fn from_record(state: &AppState, record: &ShiftRecord) -> ShiftForm {
        let zone = state.zone.tz();
        let local = |s: i64| {
            chrono::DateTime::from_timestamp(s, 0)
                .unwrap_or_default()
                .with_timezone(&zone)
        };
        ShiftForm {
            date: local(record.header.first_start_utc)
                .format("%Y-%m-%d")
                .to_string(),
            segments: record
                .segments
                .iter()
                .map(|s| SegmentForm {
                    start: local(s.start_utc).format("%H:%M").to_string(),
                    end: local(s.end_utc).format("%H:%M").to_string(),
                    service: s.service_code.clone(),
                    people: s
                        .people
                        .split(';')
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    miles: s.miles.clone(),
                    notes: s.notes.clone(),
                })
                .collect(),
            key: String::new(),
            version: Some(record.header.version),
            errors: Vec::new(),
        }
    }

    fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.as_str())
    }

    /// The submission the form describes: each part starts on the shift's date, moving to the
    /// next day when it starts earlier than the part before (past midnight); a part that ends at
    /// or before its start ends the next day.
    fn submission(&mut self) -> Option<ShiftSubmission> {
        let Ok(date) = NaiveDate::parse_from_str(&self.date, "%Y-%m-%d") else {
            self.errors.push((
                "date".into(),
                if self.date.is_empty() {
                    "Enter the date the shift started".into()
                } else {
                    "Enter the date like 06/10/2026".into()
                },
            ));
            return None;
        };
        let mut segments = Vec::new();
        let mut day = date;
        let mut previous_start: Option<NaiveTime> = None;
        for (i, segment) in self.segments.iter().enumerate() {
            let time = |raw: &str| NaiveTime::parse_from_str(raw, "%H:%M").ok();
            let (Some(start), Some(end)) = (time(&segment.start), time(&segment.end)) else {
                for (f, raw) in [("start", &segment.start), ("end", &segment.end)] {
                    if time(raw).is_none() {
                        let words = if f == "start" { "started" } else { "ended" };
                        self.errors.push((
                            format!("seg{i}_{f}"),
                            format!("Enter the time this part {words}, like 09:30"),
                        ));
                    }
                }
                continue;
            };
            if previous_start.is_some_and(|p| start < p) {
                day = day.succ_opt().unwrap_or(day);
            }
            previous_start = Some(start);
            let end_day = if end <= start {
                day.succ_opt().unwrap_or(day)
            } else {
                day
            };
            segments.push(SegmentSubmission {
                start: format!("{}T{}", day.format("%Y-%m-%d"), start.format("%H:%M")),
                end: format!("{}T{}", end_day.format("%Y-%m-%d"), end.format("%H:%M")),
                service: segment.service.clone(),
                people: segment.people.clone(),
                miles: segment.miles.clone(),
                notes: segment.notes.clone(),
            });
        }
        self.errors.is_empty().then_some(ShiftSubmission {
            worker_id: None,
            shift_ref: None,
            segments,
        })
    }

    /// Puts a problem's messages next to the fields they are about.
    fn absorb(&mut self, problem: &Problem) {
        if problem.errors.is_empty() {
            self.errors.push(("form".into(), problem.detail.clone()));
            return;
        }
        for error in &problem.errors {
            let parts: Vec<&str> = error.pointer.trim_start_matches('/').split('/').collect();
            let name = match parts.as_slice() {
                ["segments", i, f] | ["segments", i, f, _] => format!("seg{i}_{f}"),
                _ => "form".to_owned(),
            };
            self.errors.push((name, plain_words(&error.reason)));
        }
    }
}

/// Messages written for files, made friendlier for a person on a phone.
fn plain_words(reason: &str) -> String {
    let mut text = reason.to_owned();
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text
}

fn shift_form_page(
    state: &AppState,
    reference: &crate::store::reference::ReferenceData,
    caller: &PageCaller,
    form: &ShiftForm,
    action: &str,
    title: &str,
) -> Markup {
    // The people offered are exactly those the worker may name (`Principal::reach`).
    let reach = shifts::naming_reach(&state.desk(), &caller.principal, reference);
    let mut people: Vec<(&crate::domain::PersonId, &String)> = reference
        .person_details
        .iter()
        .filter(|(_, (_, cc))| reach.covers(Some(cc)))
        .map(|(id, (name, _))| (id, name))
        .collect();
    people.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
    let mut services: Vec<String> = reference.services.iter().map(ToString::to_string).collect();
    services.sort();
    let summary: Vec<(String, String)> = form
        .errors
        .iter()
        .map(|(name, message)| {
            let target = match name.as_str() {
                "form" => "main".to_owned(),
                n if n.ends_with("_people") => format!("{n}-0"),
                n => n.to_owned(),
            };
            (target, message.clone())
        })
        .collect();
    let described = |name: &str, hint: Option<&str>| {
        let mut ids = Vec::new();
        if let Some(hint) = hint {
            ids.push(hint.to_owned());
        }
        if form.error(name).is_some() {
            ids.push(format!("{name}-error"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let error_line = |name: &str| {
        html! {
            @if let Some(error) = form.error(name) {
                p class="error" id=(format!("{name}-error")) { span class="visually-hidden" { "Error: " } (error) }
            }
        }
    };
    let field_class = |name: &str| {
        if form.error(name).is_some() {
            "field has-error"
        } else {
            "field"
        }
    };
    let key = if form.key.is_empty() {
        new_secret()
    } else {
        form.key.clone()
    };
    let content = html! {
        h1 { (title) }
        @if !summary.is_empty() {
            // Focus goes to the summary when the page loads, without a script.
            div class="summary" role="alert" aria-labelledby="summary-title" tabindex="-1" autofocus {
                h2 id="summary-title" { "There is a problem" }
                ul {
                    @for (target, message) in &summary {
                        li { a href=(format!("#{target}")) { (message) } }
                    }
                }
            }
        }
        form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(caller.csrf());
            input type="hidden" name="key" value=(key);
            input type="hidden" name="segments" value=(form.segments.len());
            @if let Some(version) = form.version {
                input type="hidden" name="version" value=(version);
            }
            div class=(field_class("date")) {
                label for="date" { "Date the shift started" }
                (error_line("date"))
                input type="date" id="date" name="date" value=(form.date) aria-describedby=[described("date", None)] aria-invalid=[form.error("date").map(|_| "true")];
            }
            @for (i, segment) in form.segments.iter().enumerate() {
                @let n = |f: &str| format!("seg{i}_{f}");
                fieldset {
                    legend { "Part " (i + 1) " of the shift" }
                    div class=(field_class(&n("start"))) {
                        label for=(n("start")) { "Start time" }
                        (error_line(&n("start")))
                        input type="time" id=(n("start")) name=(n("start")) value=(segment.start) aria-describedby=[described(&n("start"), None)] aria-invalid=[form.error(&n("start")).map(|_| "true")];
                    }
                    div class=(field_class(&n("end"))) {
                        label for=(n("end")) { "End time" }
                        p class="hint" id=(n("end-hint")) { "If it ended after midnight, enter the time on the next day" }
                        (error_line(&n("end")))
                        input type="time" id=(n("end")) name=(n("end")) value=(segment.end) aria-describedby=[described(&n("end"), Some(&n("end-hint")))] aria-invalid=[form.error(&n("end")).map(|_| "true")];
                    }
                    div class=(field_class(&n("service"))) {
                        label for=(n("service")) { "Service" }
                        (error_line(&n("service")))
                        select id=(n("service")) name=(n("service")) aria-describedby=[described(&n("service"), None)] {
                            @for code in &services {
                                option value=(code) selected[*code == segment.service] { (code.replace('_', " ").to_lowercase()) }
                            }
                        }
                    }
                    div class=(field_class(&n("people"))) {
                        fieldset class="choices" aria-describedby=[described(&n("people"), Some(&n("people-hint")))] {
                            legend { "Who did you support?" }
                            p class="hint" id=(n("people-hint")) { "Choose everyone you supported at the same time. Choose no one for travel or admin." }
                            (error_line(&n("people")))
                            @for (j, (id, name)) in people.iter().enumerate() {
                                label for=(format!("{}-{j}", n("people"))) {
                                    input type="checkbox" id=(format!("{}-{j}", n("people"))) name=(n("people")) value=(id.as_str()) checked[segment.people.iter().any(|p| p == id.as_str())];
                                    (name)
                                }
                            }
                        }
                    }
                    div class=(field_class(&n("miles"))) {
                        label for=(n("miles")) { "Business miles (optional)" }
                        (error_line(&n("miles")))
                        input type="text" inputmode="decimal" id=(n("miles")) name=(n("miles")) value=(segment.miles) aria-describedby=[described(&n("miles"), None)];
                    }
                    div class=(field_class(&n("notes"))) {
                        label for=(n("notes")) { "Notes (optional)" }
                        (error_line(&n("notes")))
                        textarea id=(n("notes")) name=(n("notes")) rows="3" aria-describedby=[described(&n("notes"), None)] { (segment.notes) }
                    }
                }
            }
            div class="actions" {
                button type="submit" name="action" value="save" { "Save shift" }
                @if form.segments.len() < FORM_SEGMENTS_MAX {
                    button type="submit" name="action" value="add" class="secondary" { "Add another part" }
                }
            }
        }
        p { a href="/shifts" { "Back to your shifts" } }
    };
    page(title, Some(caller), content)
}

async fn worker_only(caller: &PageCaller) -> Result<(), Response> {
    if caller.principal.role == Role::Worker {
        Ok(())
    } else {
        Err(message_page(
            StatusCode::FORBIDDEN,
            Some(caller),
            "Not available",
            "Shifts are recorded here by support workers. Managers approve them on the approvals page.",
        ))
    }
}

async fn new_shift(State(state): State<Arc<AppState>>, caller: PageCaller) -> Response {
    if let Err(response) = worker_only(&caller).await {
        return response;
    }
    let reference = match state.reference.get(&state.store).await {
        Ok(r) => r,
        Err(e) => return Problem::from(e).into_response(),
    };
    let today = chrono::Utc::now()
        .with_timezone(&state.zone.tz())
        .date_naive();
    let form = ShiftForm {
        date: today.format("%Y-%m-%d").to_string(),
        segments: vec![SegmentForm::default()],
        ..ShiftForm::default()
    };
    html_response(
        StatusCode::OK,
        shift_form_page(
            &state,
            &reference,
            &caller,
            &form,
            "/shifts",
            "Record a shift",
        ),
    )
}

/// Handles a posted shift form: adds a part, or saves through `save` and redirects.
async fn handle_shift_form<F, Fut>(
    state: &AppState,
    caller: &PageCaller,
    fields: &Fields,
    action: &str,
    title: &str,
    save: F,
) -> Response
where
    F: FnOnce(ShiftSubmission, String, Option<i64>) -> Fut,
    Fut: std::future::Future<Output = Result<String, Problem>>,
{
    if let Some(response) = csrf_refusal(caller, fields) {
        return response;
    }
    let reference = match state.reference.get(&state.store).await {
        Ok(r) => r,
        Err(e) => return Problem::from(e).into_response(),
    };
    let mut form = ShiftForm::from_fields(fields);
    if field(fields, "action") == "add" && form.segments.len() < FORM_SEGMENTS_MAX {
        let previous_end = form
            .segments
            .last()
            .map(|s| s.end.clone())
            .unwrap_or_default();
        form.segments.push(SegmentForm {
            start: previous_end,
            ..SegmentForm::default()
        });
        return html_response(
            StatusCode::OK,
            shift_form_page(state, &reference, caller, &form, action, title),
        );
    }
    let outcome = match form.submission() {
        Some(submission) => save(submission, form.key.clone(), form.version).await,
        None => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The shift is not valid",
            "",
        )),
    };
    match outcome {
        Ok(location) => Redirect::to(&location).into_response(),
        Err(problem)
            if problem.status == StatusCode::UNPROCESSABLE_ENTITY
                || problem.status == StatusCode::CONFLICT
                || problem.status == StatusCode::PRECONDITION_FAILED =>
        {
            if form.errors.is_empty() {
                form.absorb(&problem);
            }
            if problem.status == StatusCode::PRECONDITION_FAILED {
                form.errors = vec![("form".into(), "Someone else changed this shift while you were correcting it. Go back to your shifts and start again.".into())];
            }
            html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                shift_form_page(
                    state,
                    &reference,
                    caller,
                    &form,
                    action,
                    &format!("{title} (check the answers)"),
                ),
            )
        }
        Err(problem) => problem_page(caller, &problem),
    }
}

async fn record(
    State(state): State<Arc<AppState>>,
    caller: PageCaller,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(response) = worker_only(&caller).await {
        return response;
    }
    let principal = caller.principal.clone();
    handle_shift_form(
        &state,
        &caller,
        &fields,
        "/shifts",
        "Record a shift",
        |submission, key, _| {
            let state = &state;
            async move {
                shifts::submit(&state.desk(), &principal, &submission, &key).await?;
                Ok("/shifts?done=recorded".to_owned())
            }
        },
    )
    .await
}

async fn edit_shift(
    State(state): State<Arc<AppState>>,
    caller: PageCaller,
    Path(shift_id): Path<i64>,
) -> Response {
    if let Err(response) = worker_only(&caller).await {
        return response;
    }
    let record = match shifts::visible(&state.desk(), &caller.principal, shift_id).await {
        Ok(record) => record,
        Err(problem) => return problem_page(&caller, &Problem::from(problem)),
    };
    if !matches!(record.header.status.as_str(), "submitted" | "rejected") {
        return message_page(
            StatusCode::CONFLICT,
            Some(&caller),
            "This shift cannot be corrected here",
            "It has been approved or withdrawn. Ask your manager if something is wrong.",
        );
    }
    let reference = match state.reference.get(&state.store).await {
        Ok(r) => r,
        Err(e) => return Problem::from(e).into_response(),
    };
    let form = ShiftForm::from_record(&state, &record);
    html_response(
        StatusCode::OK,
        shift_form_page(
            &state,
            &reference,
            &caller,
            &form,
            &format!("/shifts/{shift_id}"),
            "Correct a shift",
        ),
    )
}

async fn correct(
    State(state): State<Arc<AppState>>,
    caller: PageCaller,
    Path(shift_id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(response) = worker_only(&caller).await {
        return response;
    }
    let record = match shifts::visible(&state.desk(), &caller.principal, shift_id).await {
        Ok(record) => record,
        Err(problem) => return problem_page(&caller, &Problem::from(problem)),
    };
    let principal = caller.principal.clone();
    let action = format!("/shifts/{shift_id}");
    handle_shift_form(
        &state,
        &caller,
        &fields,
        &action,
        "Correct a shift",
        |submission, _, version| {
            let state = &state;
            let record = &record;
            async move {
                let version = version.unwrap_or(record.header.version);
                shifts::amend(&state.desk(), &principal, record, version, &submission).await?;
                Ok("/shifts?done=corrected".to_owned())
            }
        },
    )
    .await
}

async fn approvals(
    State(state): State<Arc<AppState>>,
    caller: PageCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !caller.principal.may_decide() {
        return message_page(
            StatusCode::FORBIDDEN,
            Some(&caller),
            "Not available",
            "Approvals are for managers and finance.",
        );
    }
    let waiting = ListQuery {
        status: Some("submitted".into()),
        limit: Some(APPROVALS_SHOWN),
        ..ListQuery::default()
    };
    let (records, reference) = match listed(&state, &caller, &waiting).await {
        Ok(listed) => listed,
        Err(response) => return response,
    };
    let notice = match query.get("done").map(String::as_str) {
        Some("approved") => Some("Shift approved."),
        Some("rejected") => Some("Shift sent back to the worker with your reason."),
        _ => None,
    };
    let error = match query.get("error").map(String::as_str) {
        Some("reason") => {
            Some("Write a reason before sending a shift back, so the worker knows what to correct.")
        }
        Some("changed") => Some(
            "That shift was changed or decided by someone else meanwhile. Check it again below.",
        ),
        _ => None,
    };
    let scope = match &caller.principal.scope {
        Scope::CostCentres(cs) => cs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        _ => "all cost centres".into(),
    };
    let content = html! {
        h1 { "Shifts to approve" }
        p { "Cost centres: " (scope) }
        @if let Some(notice) = notice {
            div class="notice" role="status" { p { (notice) } }
        }
        @if let Some(error) = &error {
            div class="summary" role="alert" { p class="error" { (error) } }
        }
        @if records.is_empty() {
            p { "There are no shifts waiting for approval." }
        } @else {
            ul class="shifts" {
                @for record in &records {
                    @let h = &record.header;
                    @let worker = &h.worker_id;
                    li {
                        h2 { "Worker " (worker) }
                        (shift_summary(&state, &reference, record))
                        form method="post" action=(format!("/approvals/{}", h.shift_id)) {
                            input type="hidden" name="csrf" value=(caller.csrf());
                            input type="hidden" name="version" value=(h.version);
                            div class="field" {
                                label for=(format!("reason-{}", h.shift_id)) { "Reason, if you send it back" }
                                textarea id=(format!("reason-{}", h.shift_id)) name="reason" rows="2" {}
                            }
                            div class="actions" {
                                button type="submit" name="action" value="approve" { "Approve" span class="visually-hidden" { " shift of " (worker) " on " (local_text(&state, h.first_start_utc)) } }
                                button type="submit" name="action" value="reject" class="warning" { "Send back" span class="visually-hidden" { " shift of " (worker) " on " (local_text(&state, h.first_start_utc)) } }
                            }
                        }
                    }
                }
            }
        }
    };
    html_response(
        StatusCode::OK,
        page("Shifts to approve", Some(&caller), content),
    )
}

async fn decide(
    State(state): State<Arc<AppState>>,
    caller: PageCaller,
    Path(shift_id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Response {
    if let Some(response) = csrf_refusal(&caller, &fields) {
        return response;
    }
    let approve = field(&fields, "action") == "approve";
    let version = field(&fields, "version").parse().ok();
    let desk = state.desk();
    let decided = if approve {
        shifts::approve(&desk, &caller.principal, shift_id, version).await
    } else {
        shifts::reject(
            &desk,
            &caller.principal,
            shift_id,
            version,
            field(&fields, "reason"),
        )
        .await
    };
    match decided.map_err(Problem::from) {
        Ok(()) => Redirect::to(if approve {
            "/approvals?done=approved"
        } else {
            "/approvals?done=rejected"
        })
        .into_response(),
        Err(problem)
            if problem.status == StatusCode::UNPROCESSABLE_ENTITY
                || problem.status == StatusCode::CONFLICT
                || problem.status == StatusCode::PRECONDITION_FAILED =>
        {
            let code = if problem.errors.iter().any(|e| e.pointer == "/reason") {
                "reason"
            } else {
                "changed"
            };
            Redirect::to(&format!("/approvals?error={code}")).into_response()
        }
        Err(problem) => problem_page(&caller, &problem),
    }
}
