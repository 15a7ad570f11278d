//! Errors as `application/problem+json` (RFC 9457): a status, a plain-words title and detail, and
//! for invalid input the JSON path of every field at fault.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::capture::submission::FieldProblem;
use crate::ledger::changes::ChangeError;
use crate::usecase::shifts::ShiftError;

/// One field at fault.
#[derive(Clone, Debug, Serialize)]
pub struct InvalidParam {
    /// JSON Pointer into the request body, e.g. `/segments/0/end`.
    pub pointer: String,
    pub reason: String,
}

/// A problem response.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    #[serde(skip)]
    pub status: StatusCode,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<InvalidParam>,
    /// The current version, when a precondition failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

impl Problem {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            kind: "about:blank",
            title,
            detail: detail.into(),
            errors: Vec::new(),
            current_version: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    pub fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "Not signed in",
            "send a valid token as 'Authorization: Bearer tms_...'",
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "Not allowed", detail)
    }

    /// The answer for anything the caller may not see, identical to one that does not exist.
    pub fn not_found() -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "Not found", "there is nothing here")
    }

    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "the request was not completed; it is safe to try again",
        )
    }

    /// Invalid input: 422 with every field at fault.
    pub fn invalid(problems: Vec<FieldProblem>) -> Problem {
        let detail = problems
            .iter()
            .map(|p| p.reason.clone())
            .collect::<Vec<_>>()
            .join("; ");
        Problem {
            errors: problems
                .into_iter()
                .map(|p| InvalidParam {
                    pointer: p.pointer,
                    reason: p.reason,
                })
                .collect(),
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The shift is not valid",
                detail,
            )
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<crate::store::StoreError> for Problem {
    fn from(error: crate::store::StoreError) -> Problem {
        tracing::error!(%error, "storage failed");
        Problem::internal()
    }
}

impl From<crate::report::ReportError> for Problem {
    fn from(error: crate::report::ReportError) -> Problem {
        tracing::error!(%error, "report failed");
        Problem::internal()
    }
}

impl From<ShiftError> for Problem {
    fn from(error: ShiftError) -> Problem {
        match error {
            ShiftError::Forbidden(detail) => Problem::forbidden(detail),
            ShiftError::NotFound => Problem::not_found(),
            ShiftError::Invalid(problems) => Problem::invalid(problems),
            ShiftError::BadRequest(detail) => Problem::bad_request(detail),
            ShiftError::Clash { segment, words } => Problem {
                errors: vec![InvalidParam {
                    pointer: format!("/segments/{}/start", segment.saturating_sub(1)),
                    reason: words.clone(),
                }],
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "The shift overlaps another",
                    words,
                )
            },
            ShiftError::Change(error) => Problem::from(error),
            ShiftError::Store(error) => Problem::from(error),
            ShiftError::Costing(error) => {
                tracing::error!(%error, "a shift could not be costed");
                Problem::internal()
            }
        }
    }
}

impl From<ChangeError> for Problem {
    fn from(error: ChangeError) -> Problem {
        let detail = error.to_string();
        match error {
            ChangeError::KeyReused => Problem {
                errors: vec![InvalidParam {
                    pointer: String::new(),
                    reason: detail.clone(),
                }],
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Idempotency-Key reused",
                    detail,
                )
            },
            ChangeError::RefTaken { .. } => Problem {
                errors: vec![InvalidParam {
                    pointer: "/shift_ref".into(),
                    reason: detail.clone(),
                }],
                ..Problem::new(StatusCode::CONFLICT, "The shift already exists", detail)
            },
            ChangeError::Overlap { segment, .. } => Problem {
                errors: vec![InvalidParam {
                    pointer: format!("/segments/{}/start", segment - 1),
                    reason: detail.clone(),
                }],
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "The shift overlaps another",
                    detail,
                )
            },
            ChangeError::NotFound => Problem::not_found(),
            ChangeError::VersionMismatch { current } => Problem {
                current_version: Some(current),
                ..Problem::new(
                    StatusCode::PRECONDITION_FAILED,
                    "The shift has changed",
                    format!("{detail}; read it again and reapply the change"),
                )
            },
            ChangeError::WrongStatus(_) => {
                Problem::new(StatusCode::CONFLICT, "Not possible now", detail)
            }
            ChangeError::Store(error) => error.into(),
            ChangeError::Stopped => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Shutting down",
                "tms is stopping; try again shortly",
            ),
        }
    }
}
