//! JSON API v1: shifts (submit, read, list, amend, withdraw, approve, reject), bulk CSV upload
//! through the import path, the charges and allocation reports, and the audit trails.

mod audit;
mod reports;
mod shifts;
mod uploads;

pub(crate) use shifts::scoped_filter;
pub use shifts::{DecisionBody, ListQuery};

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::auth::ApiCaller;
use super::limits::UPLOAD_PATH;
use super::problem::{InvalidParam, Problem};
use super::{AppState, Endpoint, Route};
use crate::store::shift_records::ShiftRecord;

/// The API description.
const OPENAPI: &str = include_str!("../../../assets/api/openapi.json");

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
        (ep("GET", "/api/v1/shifts"), get(shifts::list)),
        (ep("POST", "/api/v1/shifts"), post(shifts::submit)),
        (ep("GET", "/api/v1/shifts/{shift_id}"), get(shifts::read)),
        (
            ep("PUT", "/api/v1/shifts/{shift_id}"),
            axum::routing::put(shifts::amend),
        ),
        (
            ep("DELETE", "/api/v1/shifts/{shift_id}"),
            axum::routing::delete(shifts::withdraw),
        ),
        (
            ep("POST", "/api/v1/shifts/{shift_id}/approve"),
            post(shifts::approve),
        ),
        (
            ep("POST", "/api/v1/shifts/{shift_id}/reject"),
            post(shifts::reject),
        ),
        (ep("POST", UPLOAD_PATH), post(uploads::upload)),
        (ep("GET", "/api/v1/reports/charges"), get(reports::charges)),
        (
            ep("GET", "/api/v1/reports/allocation"),
            get(reports::allocation),
        ),
        (
            ep("GET", "/api/v1/audit/shifts/{worker_id}/{shift_ref}"),
            get(audit::shift),
        ),
        (
            ep("GET", "/api/v1/audit/reference/{kind}/{key}"),
            get(audit::reference),
        ),
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

pub(super) fn json_response(
    status: StatusCode,
    body: String,
    etag_value: Option<String>,
) -> Response {
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

pub(super) fn shift_response(
    state: &AppState,
    status: StatusCode,
    record: &ShiftRecord,
) -> Response {
    json_response(
        status,
        record.to_json(state.zone).to_string(),
        Some(record.etag()),
    )
}

pub(super) fn parse_body<T: serde::de::DeserializeOwned>(
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
