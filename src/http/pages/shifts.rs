//! A worker's own shifts: recent shifts with their status in plain words.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use crate::domain::{Role, ShiftStatus};
use crate::http::AppState;
use crate::http::api::{ListQuery, scoped_filter};
use crate::http::auth::PageCaller;
use crate::http::problem::Problem;
use crate::store::shift_records::{ShiftRecord, list_shifts};

use super::*;

pub(super) fn local_text(state: &AppState, seconds: i64) -> String {
    let instant = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    instant
        .with_timezone(&state.zone.tz())
        .format("%a %-d %b, %H:%M")
        .to_string()
}

pub(super) fn local_time(state: &AppState, seconds: i64) -> String {
    let instant = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    instant
        .with_timezone(&state.zone.tz())
        .format("%H:%M")
        .to_string()
}

pub(super) fn status_badge(status: ShiftStatus) -> Markup {
    let words = match status {
        ShiftStatus::Submitted => "Waiting for approval",
        ShiftStatus::Approved => "Approved",
        ShiftStatus::Rejected => "Needs correcting",
        ShiftStatus::Withdrawn => "Withdrawn",
    };
    html! { span class=(format!("status status-{status}")) { (words) } }
}

pub(super) fn people_names(
    reference: &crate::store::reference::ReferenceData,
    people: &str,
) -> String {
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

pub(super) fn shift_summary(
    state: &AppState,
    reference: &crate::store::reference::ReferenceData,
    record: &ShiftRecord,
) -> Markup {
    let h = &record.header;
    html! {
        p {
            strong { (local_text(state, h.first_start_utc)) " to " (local_time(state, h.last_end_utc)) }
            " · " (duration_words(record.minutes())) " "
            (status_badge(h.status))
        }
        ul {
            @for s in &record.segments {
                li { (local_time(state, s.start_utc)) "–" (local_time(state, s.end_utc)) " " (reference.names.service(&s.service_code)) ": " (people_names(reference, &s.people)) }
            }
        }
        @if !h.decision_reason.is_empty() {
            p class="reason" { "Reason: " (h.decision_reason) }
        }
    }
}

/// The shifts of a listing in the caller's scope, with the reference data to show them.
pub(super) async fn listed(
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

pub(super) async fn my_shifts(
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
                        @if record.header.status.is_correctable() {
                            p { a href=(format!("/shifts/{}/edit", record.header.shift_id)) { "Correct this shift" span class="visually-hidden" { " from " (local_text(&state, record.header.first_start_utc)) } } }
                        }
                    }
                }
            }
        }
    };
    html_response(StatusCode::OK, page("Your shifts", Some(&caller), content))
}
