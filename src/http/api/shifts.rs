//! The shift endpoints: submit, read, list, amend, withdraw, approve and reject. Each checks the
//! request, then calls the same use case as the phone page.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::capture::submission::ShiftSubmission;
use crate::domain::{CostCentreId, Principal, Scope};
use crate::http::AppState;
use crate::http::auth::ApiCaller;
use crate::http::problem::{InvalidParam, Problem};
use crate::ledger::changes::Outcome;
use crate::store::shift_records::{ShiftFilter, etag, list_shifts};
use crate::usecase::shifts;

use super::{Query, ShiftId, json_response, parse_body, shift_response};

/// Shifts per page of a listing, by default and at most.
const LIST_LIMIT_DEFAULT: u32 = 50;
const LIST_LIMIT_MAX: u32 = 500;

pub(super) async fn submit(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    if !caller.may_record() {
        return Err(Problem::forbidden("this token can only read"));
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Problem::bad_request("send an Idempotency-Key header, unique per shift you submit")
        })?
        .to_owned();
    let submission: ShiftSubmission = parse_body(&state, &body)?;
    let outcome = shifts::submit(&state.desk(), &caller, &submission, &key).await?;
    let (shift_id, status, body, replayed) = match outcome {
        Outcome::Created { shift_id, body } => (shift_id, StatusCode::CREATED, body, false),
        Outcome::Replayed {
            shift_id,
            status,
            body,
        } => (
            shift_id,
            StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED),
            body,
            true,
        ),
        Outcome::Changed { .. } => return Err(Problem::internal()),
    };
    let version = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["version"].as_i64())
        .unwrap_or(1);
    let mut response = json_response(status, body, Some(etag(shift_id, version)));
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/shifts/{shift_id}")) {
        headers.insert(header::LOCATION, location);
    }
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

pub(super) async fn read(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    ShiftId(shift_id): ShiftId,
) -> Result<Response, Problem> {
    let record = shifts::visible(&state.desk(), &caller, shift_id).await?;
    Ok(shift_response(&state, StatusCode::OK, &record))
}

/// Filters of a shift listing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub worker_id: Option<String>,
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub after: Option<String>,
}

pub(super) fn bad_param(name: &str, reason: impl Into<String>) -> Problem {
    let reason = reason.into();
    Problem {
        errors: vec![InvalidParam {
            pointer: format!("?{name}"),
            reason: reason.clone(),
        }],
        ..Problem::bad_request(reason)
    }
}

pub(super) fn date_param(name: &str, raw: &str) -> Result<NaiveDate, Problem> {
    crate::domain::time::parse_date(raw).map_err(|e| bad_param(name, format!("{name}: {e}")))
}

/// The shift filter of a listing in the caller's scope.
pub(crate) fn scoped_filter(
    state: &AppState,
    caller: &Principal,
    query: &ListQuery,
) -> Result<ShiftFilter, Problem> {
    let mut filter = ShiftFilter {
        limit: query
            .limit
            .unwrap_or(LIST_LIMIT_DEFAULT)
            .clamp(1, LIST_LIMIT_MAX),
        ..ShiftFilter::default()
    };
    match &caller.scope {
        Scope::Worker(own) => filter.worker_id = Some(own.to_string()),
        Scope::CostCentres(centres) => {
            filter.cost_centres = Some(centres.iter().map(CostCentreId::to_string).collect());
        }
        Scope::Everything => {}
        Scope::People(_) => return Err(Problem::forbidden("families see charges, not shifts")),
    }
    if let Some(worker) = &query.worker_id {
        if filter.worker_id.as_ref().is_some_and(|own| own != worker) {
            // Another worker's shifts: an empty page, exactly as for a worker with none.
            filter.cost_centres = Some(Vec::new());
        }
        filter.worker_id = Some(worker.clone());
    }
    if let Some(status) = &query.status {
        let Some(status) = crate::domain::ShiftStatus::from_word(status) else {
            return Err(bad_param(
                "status",
                "status must be submitted, approved, rejected or withdrawn",
            ));
        };
        filter.status = Some(status);
    }
    let zone = state.zone;
    if let Some(from) = &query.from {
        filter.from = Some(zone.first_instant_at_or_after(date_param("from", from)?.into()));
    }
    if let Some(to) = &query.to {
        let next = date_param("to", to)?
            .succ_opt()
            .ok_or_else(|| bad_param("to", "to is out of range"))?;
        filter.to = Some(zone.first_instant_at_or_after(next.into()));
    }
    if let Some(after) = &query.after {
        let parsed = after
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            .ok_or_else(|| bad_param("after", "after must be the 'next' of a previous page"))?;
        filter.after = Some(parsed);
    }
    Ok(filter)
}

pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<ListQuery>,
) -> Result<Response, Problem> {
    let filter = scoped_filter(&state, &caller, &query)?;
    let records = list_shifts(&state.store, &filter).await?;
    let next = (records.len() == filter.limit as usize)
        .then(|| records.last())
        .flatten()
        .map(|r| format!("{}.{}", r.header.first_start_utc, r.header.shift_id));
    let shifts: Vec<serde_json::Value> = records.iter().map(|r| r.to_json(state.zone)).collect();
    Ok(axum::Json(serde_json::json!({ "shifts": shifts, "next": next })).into_response())
}

/// The version named by `If-Match`, if the header is there.
pub(super) fn if_match(headers: &HeaderMap, shift_id: i64) -> Result<Option<i64>, Problem> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = raw.to_str().unwrap_or("").trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    text.trim_matches('"')
        .split_once('.')
        .filter(|(id, _)| id.parse::<i64>().ok() == Some(shift_id))
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "The shift has changed",
                "If-Match does not name a version of this shift; read it again",
            )
        })
}

pub(super) async fn amend(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    ShiftId(shift_id): ShiftId,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    if !caller.may_record() {
        return Err(Problem::forbidden("this token can only read"));
    }
    let record = shifts::visible(&state.desk(), &caller, shift_id).await?;
    let read_version = if_match(&headers, shift_id)?.ok_or_else(|| {
        Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "If-Match needed",
            "send If-Match with the ETag of the version you are amending",
        )
    })?;
    let submission: ShiftSubmission = parse_body(&state, &body)?;
    shifts::amend(&state.desk(), &caller, &record, read_version, &submission).await?;
    let record = shifts::visible(&state.desk(), &caller, shift_id).await?;
    Ok(shift_response(&state, StatusCode::OK, &record))
}

pub(super) async fn withdraw(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    ShiftId(shift_id): ShiftId,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    if !caller.may_record() {
        return Err(Problem::forbidden("this token can only read"));
    }
    shifts::visible(&state.desk(), &caller, shift_id).await?;
    let read_version = if_match(&headers, shift_id)?;
    shifts::withdraw(&state.desk(), &caller, shift_id, read_version).await?;
    let record = shifts::visible(&state.desk(), &caller, shift_id).await?;
    Ok(shift_response(&state, StatusCode::OK, &record))
}

/// The body of a rejection.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    pub reason: String,
}

pub(super) async fn decide_handler(
    state: Arc<AppState>,
    caller: Principal,
    shift_id: i64,
    headers: HeaderMap,
    body: Bytes,
    approve: bool,
) -> Result<Response, Problem> {
    if !caller.may_decide() {
        return Err(Problem::forbidden(
            "only managers and finance approve or reject shifts",
        ));
    }
    let decision: DecisionBody = if body.is_empty() {
        DecisionBody::default()
    } else {
        parse_body(&state, &body)?
    };
    let read_version = if_match(&headers, shift_id)?;
    let desk = state.desk();
    if approve {
        shifts::approve(&desk, &caller, shift_id, read_version).await?;
    } else {
        shifts::reject(&desk, &caller, shift_id, read_version, &decision.reason).await?;
    }
    let record = shifts::visible(&state.desk(), &caller, shift_id).await?;
    Ok(shift_response(&state, StatusCode::OK, &record))
}

pub(super) async fn approve(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    ShiftId(shift_id): ShiftId,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    decide_handler(state, caller, shift_id, headers, body, true).await
}

pub(super) async fn reject(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    ShiftId(shift_id): ShiftId,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    decide_handler(state, caller, shift_id, headers, body, false).await
}
