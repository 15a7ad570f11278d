//! The approvals page: shifts waiting for a manager, approved or sent back with a reason.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use crate::domain::{Scope, ShiftStatus};
use crate::http::AppState;
use crate::http::api::ListQuery;
use crate::http::auth::PageCaller;
use crate::http::problem::Problem;
use crate::usecase::shifts;

use super::shifts::{listed, local_text, shift_summary};
use super::*;

pub(super) async fn approvals(
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
        status: Some(ShiftStatus::Submitted.to_string()),
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
            .map(|c| reference.names.cost_centre(c.as_str()))
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
                    @let worker = reference.names.worker(&h.worker_id);
                    li {
                        h2 { (worker) }
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

pub(super) async fn decide(
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
