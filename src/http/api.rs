//! JSON API v1: shifts (submit, read, list, amend, withdraw, approve, reject), bulk CSV upload
//! through the import path, and the charges and allocation reports.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use futures_util::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::auth::ApiCaller;
use super::limits::{BodyLimit, UPLOAD_PATH, declared_length};
use super::problem::{InvalidParam, Problem};
use super::{AppState, Endpoint, Route};
use crate::capture::submission::ShiftSubmission;
use crate::domain::{CostCentreId, Principal, Scope};
use crate::ledger::changes::Outcome;
use crate::report::Format;
use crate::store::shift_records::{ShiftFilter, ShiftRecord, etag, list_shifts};
use crate::usecase::shifts;
use crate::usecase::{ShiftImportOptions, import_shifts};

/// Shifts per page of a listing, by default and at most.
const LIST_LIMIT_DEFAULT: u32 = 50;
const LIST_LIMIT_MAX: u32 = 500;
/// The API description.
const OPENAPI: &str = include_str!("../../assets/api/openapi.json");

/// Query parameters, refused as problem+json (400) when they do not fit.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection| {
                let reason = rejection.body_text();
                Problem {
                    errors: vec![InvalidParam {
                        pointer: "?".into(),
                        reason: reason.clone(),
                    }],
                    ..Problem::bad_request(reason)
                }
            })
    }
}

/// A shift id from the path; anything that is not one names no shift (404).
pub struct ShiftId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for ShiftId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| ShiftId(id))
            .map_err(|_| Problem::not_found())
    }
}

const fn ep(method: &'static str, path: &'static str) -> Endpoint {
    Endpoint { method, path }
}

/// Every API endpoint with its handler.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        (ep("GET", "/api/v1/openapi.json"), get(openapi)),
        (ep("GET", "/api/v1/me"), get(me)),
        (ep("GET", "/api/v1/shifts"), get(list)),
        (ep("POST", "/api/v1/shifts"), post(submit)),
        (ep("GET", "/api/v1/shifts/{shift_id}"), get(read)),
        (
            ep("PUT", "/api/v1/shifts/{shift_id}"),
            axum::routing::put(amend),
        ),
        (
            ep("DELETE", "/api/v1/shifts/{shift_id}"),
            axum::routing::delete(withdraw),
        ),
        (
            ep("POST", "/api/v1/shifts/{shift_id}/approve"),
            post(approve),
        ),
        (ep("POST", "/api/v1/shifts/{shift_id}/reject"), post(reject)),
        (ep("POST", UPLOAD_PATH), post(upload)),
        (ep("GET", "/api/v1/reports/charges"), get(charges)),
        (ep("GET", "/api/v1/reports/allocation"), get(allocation)),
    ]
}

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

async fn me(ApiCaller(caller): ApiCaller) -> Response {
    axum::Json(serde_json::json!({
        "token_id": caller.token_id,
        "role": caller.role,
        "subjects": caller.scope.subjects().split(';').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
    }))
    .into_response()
}

fn json_response(status: StatusCode, body: String, etag_value: Option<String>) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(value) = etag_value.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::ETAG, value);
    }
    response
}

fn shift_response(state: &AppState, status: StatusCode, record: &ShiftRecord) -> Response {
    json_response(
        status,
        record.to_json(state.zone).to_string(),
        Some(record.etag()),
    )
}

fn parse_body<T: serde::de::DeserializeOwned>(
    state: &AppState,
    body: &Bytes,
) -> Result<T, Problem> {
    if body.len() > state.settings.server.body_limit_bytes {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            format!(
                "the body is {} bytes; the most is {}",
                body.len(),
                state.settings.server.body_limit_bytes
            ),
        ));
    }
    serde_json::from_slice(body).map_err(|e| Problem {
        errors: vec![InvalidParam {
            pointer: String::new(),
            reason: e.to_string(),
        }],
        ..Problem::bad_request(format!("the body is not valid: {e}"))
    })
}

async fn submit(
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

async fn read(
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

fn bad_param(name: &str, reason: impl Into<String>) -> Problem {
    let reason = reason.into();
    Problem {
        errors: vec![InvalidParam {
            pointer: format!("?{name}"),
            reason: reason.clone(),
        }],
        ..Problem::bad_request(reason)
    }
}

fn date_param(name: &str, raw: &str) -> Result<NaiveDate, Problem> {
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
        if !["submitted", "approved", "rejected", "withdrawn"].contains(&status.as_str()) {
            return Err(bad_param(
                "status",
                "status must be submitted, approved, rejected or withdrawn",
            ));
        }
        filter.status = Some(status.clone());
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

async fn list(
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
fn if_match(headers: &HeaderMap, shift_id: i64) -> Result<Option<i64>, Problem> {
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

async fn amend(
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

async fn withdraw(
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

async fn decide_handler(
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

async fn approve(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    ShiftId(shift_id): ShiftId,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    decide_handler(state, caller, shift_id, headers, body, true).await
}

async fn reject(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    ShiftId(shift_id): ShiftId,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    decide_handler(state, caller, shift_id, headers, body, false).await
}

/// An uploaded file being received, removed unless the upload completes.
struct Receiving {
    path: PathBuf,
    kept: bool,
}

impl Drop for Receiving {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn cannot_keep(error: std::io::Error) -> Problem {
    tracing::error!(%error, "cannot keep the uploaded file");
    Problem::internal()
}

/// Receives an upload's body into a file in `uploads`, hashing it as it arrives and never holding
/// more than one piece of it in memory. A declared length over the upload limit is refused before
/// anything is read; a body that runs over it is refused as soon as it does, and its file removed.
async fn receive_upload(
    state: &AppState,
    uploads: &std::path::Path,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Receiving, String), Problem> {
    let limit = BodyLimit::upload(&state.settings.server);
    if let Some(length) = declared_length(headers)
        && limit.exceeded_by(length)
    {
        return Err(limit.refusal(length));
    }
    // Kept private (0600 in a 0700 folder), like every file tms writes.
    crate::files::create_private_dir_all(uploads).map_err(cannot_keep)?;
    let receiving = Receiving {
        path: uploads.join(format!(
            ".receiving-{}",
            crate::domain::access::new_public_id()
        )),
        kept: false,
    };
    let mut file = tokio::fs::File::from_std(
        crate::files::create_private_file(&receiving.path).map_err(cannot_keep)?,
    );
    let mut hasher = Sha256::new();
    let mut received: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|_| {
            Problem::bad_request("the upload stopped before its end; send the file again")
        })?;
        received += piece.len() as u64;
        if limit.exceeded_by(received) {
            return Err(limit.refusal(received));
        }
        hasher.update(&piece);
        file.write_all(&piece).await.map_err(cannot_keep)?;
    }
    file.flush().await.map_err(cannot_keep)?;
    drop(file);
    let digest = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((receiving, digest))
}

/// Uploads a shift file: the same import as `tms import shifts`, answered with its counts and
/// every rejected row. A manager's upload only reaches workers in their cost centres and people
/// within their reach; rows naming anyone else are rejected as naming unknown workers or people.
/// The caller is checked from the headers before any of the body is read, and only then is
/// the body received, under `server.upload_limit_bytes`.
async fn upload(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    if !caller.may_decide() {
        return Err(Problem::forbidden(
            "only managers and finance upload shift files",
        ));
    }
    let uploads = state.settings.paths.data_dir.join("uploads");
    let (mut receiving, digest) = receive_upload(&state, &uploads, &headers, body).await?;
    let reference = state.reference.get(&state.store).await?;
    let scoped = match &caller.scope {
        Scope::CostCentres(_) => {
            let reach = shifts::naming_reach(&state.desk(), &caller, &reference);
            let mut scoped = (*reference).clone();
            scoped
                .workers
                .retain(|id, terms| caller.sees_worker(id, Some(&terms.cost_centre)));
            scoped
                .people
                .retain(|id| reach.covers(reference.person_details.get(id).map(|d| &d.1)));
            Arc::new(scoped)
        }
        _ => reference,
    };
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
        .filter(|n| !n.is_empty() && n.len() <= 100 && !n.starts_with('.'))
        .unwrap_or_else(|| format!("upload-{}.csv", &digest[..12]));
    let folder = uploads.join(&digest[..16]);
    let path = folder.join(&name);
    crate::files::create_private_dir_all(&folder).map_err(cannot_keep)?;
    tokio::fs::rename(&receiving.path, &path)
        .await
        .map_err(cannot_keep)?;
    receiving.kept = true;
    let import_scope = match &caller.scope {
        Scope::CostCentres(centres) => {
            let mut ids: Vec<&str> = centres.iter().map(|c| c.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            format!("cost-centres:{}", ids.join(";"))
        }
        _ => String::new(),
    };
    let options = ShiftImportOptions {
        approve: state.settings.import.auto_approve,
        output_dir: state.settings.paths.output_dir.clone(),
        job_run_id: None,
        scope: import_scope,
    };
    let summary = import_shifts(
        &state.store,
        &scoped,
        &path,
        &options,
        &indicatif::ProgressBar::hidden(),
    )
    .await;
    let summary = match summary {
        Ok(summary) => summary,
        Err(crate::usecase::ImportError::Store(e)) => return Err(e.into()),
        Err(other) => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The file was refused",
                other.to_string(),
            ));
        }
    };
    let rejects = crate::report::rejects_of_import(&state.store, summary.import_file_id).await?;
    let mut rejects_json = Vec::new();
    rejects
        .write(Format::Json, &mut rejects_json)
        .map_err(|_| Problem::internal())?;
    let rejects_json: serde_json::Value =
        serde_json::from_slice(&rejects_json).unwrap_or(serde_json::Value::Null);
    Ok(axum::Json(serde_json::json!({
        "file": summary.file,
        "counts": summary.counts,
        "rejects": rejects_json,
    }))
    .into_response())
}

/// Parameters of the charges report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargesQuery {
    pub from: String,
    pub to: String,
    pub person_id: Option<String>,
    pub format: Option<String>,
}

/// CSV when asked for by `format=csv` or `Accept: text/csv`, JSON otherwise.
fn report_format(format: Option<&str>, headers: &HeaderMap) -> Result<Format, Problem> {
    match format {
        Some("csv") => Ok(Format::Csv),
        Some("json") => Ok(Format::Json),
        Some(_) => Err(bad_param("format", "format must be csv or json")),
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            Ok(if accept.contains("text/csv") {
                Format::Csv
            } else {
                Format::Json
            })
        }
    }
}

fn table_response(table: &crate::report::Table, format: Format) -> Result<Response, Problem> {
    let mut body = Vec::new();
    table
        .write(format, &mut body)
        .map_err(|_| Problem::internal())?;
    let content_type = match format {
        Format::Csv => "text/csv; charset=utf-8",
        _ => "application/json",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

fn may_read_reports(caller: &Principal) -> Result<(), Problem> {
    if caller.may_read_charges() {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "charges are for managers, finance and families",
        ))
    }
}

async fn charges(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<ChargesQuery>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    may_read_reports(&caller)?;
    let format = report_format(query.format.as_deref(), &headers)?;
    let from = date_param("from", &query.from)?;
    let to = date_param("to", &query.to)?;
    if to < from {
        return Err(bad_param("to", format!("to {to} is before from {from}")));
    }
    let reference = state.reference.get(&state.store).await?;
    if let Some(person) = &query.person_id
        && !shifts::sees_person(&caller, &reference, person)
    {
        return Err(Problem::not_found());
    }
    let (lines, _) = crate::report::charge_lines(
        &state.store,
        &reference,
        from,
        to,
        query.person_id.as_deref(),
    )
    .await?;
    let visible: Vec<_> = lines
        .into_iter()
        .filter(|line| shifts::sees_person(&caller, &reference, line.key.person_id.as_str()))
        .collect();
    table_response(&crate::report::charges_table(&visible), format)
}

/// Parameters of the allocation report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationQuery {
    pub period: String,
    pub format: Option<String>,
}

async fn allocation(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<AllocationQuery>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    may_read_reports(&caller)?;
    let format = report_format(query.format.as_deref(), &headers)?;
    let period: crate::calendar::Period = query
        .period
        .parse()
        .map_err(|e: crate::calendar::periods::PeriodError| bad_param("period", e.to_string()))?;
    let reference = state.reference.get(&state.store).await?;
    let rows = crate::report::allocation_totals(&state.store, period).await?;
    let visible: Vec<_> = rows
        .into_iter()
        .filter(|row| match row.person_id.strip_prefix("UNALLOCATED:") {
            Some(centre) => match &caller.scope {
                Scope::Everything => true,
                Scope::CostCentres(cs) => cs.iter().any(|c| c.as_str() == centre),
                _ => false,
            },
            None => shifts::sees_person(&caller, &reference, &row.person_id),
        })
        .collect();
    table_response(&crate::report::allocation_table(period, &visible), format)
}
