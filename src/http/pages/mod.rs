//! The phone page for support workers and the approvals page for managers: server-rendered HTML
//! that works without JavaScript, with labelled fields, large touch targets and errors shown next
//! to the field at fault. Recording and deciding go through the same functions as the API.

mod approvals;
mod shift_form;
mod shifts;
mod sign_in;

use approvals::{approvals, decide};
use shift_form::{correct, edit_shift, new_shift, record};
use shifts::my_shifts;
use sign_in::{link_page, link_sign_in, sign_in, sign_in_page, sign_out};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};

use super::auth::PageCaller;
use super::problem::Problem;
use super::{Endpoint, Route};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::access::digests_match;
use crate::domain::{LocalZone, Principal, Role};

/// A part of a shift longer than this is confirmed before it is saved.
pub(super) const PART_HOURS_CONFIRMED: i64 = 12;
/// Most segments one form offers.
pub(super) const FORM_SEGMENTS_MAX: usize = 12;
/// Shifts waiting for approval shown at once.
pub(super) const APPROVALS_SHOWN: u32 = 200;
/// Recent shifts shown on the worker's page.
pub(super) const RECENT_SHIFTS: u32 = 20;
/// The stylesheet.
pub(super) const STYLESHEET: &str = include_str!("../../../assets/web/tms.css");

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

pub(super) async fn stylesheet() -> Response {
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
pub(super) fn page(title: &str, caller: Option<&PageCaller>, content: Markup) -> Markup {
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

pub(super) fn html_response(status: StatusCode, markup: Markup) -> Response {
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

pub(super) fn message_page(
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

pub(super) fn problem_page(caller: &PageCaller, problem: &Problem) -> Response {
    let title = match problem.status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "Not available",
        _ => problem.title,
    };
    message_page(problem.status, Some(caller), title, &problem.detail)
}

/// A length of time as a person says it: "45 minutes", "1 hour", "10 hours 30 minutes".
pub(super) fn duration_words(minutes: i64) -> String {
    let plural = |n: i64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    match (minutes / 60, minutes % 60) {
        (0, m) => plural(m, "minute", "minutes"),
        (h, 0) => plural(h, "hour", "hours"),
        (h, m) => format!(
            "{} {}",
            plural(h, "hour", "hours"),
            plural(m, "minute", "minutes")
        ),
    }
}

/// The wall-clock time of an instant in the provider's zone, naming the zone's abbreviation when
/// that time happens twice on that day (the night the clocks go back): "01:30 BST".
pub(super) fn clock_words(zone: LocalZone, instant: DateTime<Utc>) -> String {
    use chrono::TimeZone;
    let local = instant.with_timezone(&zone.tz());
    let time = local.format("%H:%M").to_string();
    match zone.tz().from_local_datetime(&local.naive_local()) {
        chrono::LocalResult::Ambiguous(..) => format!("{time} {}", local.format("%Z")),
        _ => time,
    }
}

/// A date as the pages show it: "Tue 6 Oct".
pub(super) fn day_words(date: NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

/// When something ran, in the provider's zone: "09:00 to 10:00 on Tue 6 Oct", or with both dates
/// when it runs past midnight, "22:00 on Tue 6 Oct to 08:30 on Wed 7 Oct".
pub(super) fn range_words(zone: LocalZone, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let (start_day, end_day) = (zone.local_date(from), zone.local_date(to));
    if start_day == end_day {
        format!(
            "{} to {} on {}",
            clock_words(zone, from),
            clock_words(zone, to),
            day_words(start_day)
        )
    } else {
        format!(
            "{} on {} to {} on {}",
            clock_words(zone, from),
            day_words(start_day),
            clock_words(zone, to),
            day_words(end_day)
        )
    }
}

/// A form's fields; checkboxes repeat their name.
pub(super) type Fields = Vec<(String, String)>;

pub(super) fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.trim())
}

/// The page refusing a form whose CSRF field does not match the session, if it does not.
pub(super) fn csrf_refusal(caller: &PageCaller, fields: &Fields) -> Option<Response> {
    (!digests_match(field(fields, "csrf"), &caller.csrf())).then(|| {
        message_page(
            StatusCode::FORBIDDEN,
            Some(caller),
            "Please try again",
            "The form was out of date. Go back, reload the page and send it again.",
        )
    })
}

pub(super) fn landing(principal: &Principal) -> &'static str {
    match principal.role {
        Role::Manager | Role::Finance => "/approvals",
        _ => "/shifts",
    }
}

pub(super) async fn home(caller: Result<PageCaller, Response>) -> Response {
    match caller {
        Ok(caller) => Redirect::to(landing(&caller.principal)).into_response(),
        Err(_) => Redirect::to("/sign-in").into_response(),
    }
}
