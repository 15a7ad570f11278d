//! The audit endpoints: who changed a shift or a reference record, what and when, with the
//! record before and after each change, oldest first. Finance only.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::capture::ReferenceKind;
use crate::domain::Principal;
use crate::http::AppState;
use crate::http::auth::ApiCaller;
use crate::http::problem::Problem;
use crate::report::audit::{reference_audit, reference_json, shift_audit, shift_json};

use super::Query;
use super::shifts::bad_param;

/// Parameters of the shift audit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ShiftAuditQuery {
    /// `true` shows care notes before and after; they are left out otherwise.
    pub notes: Option<bool>,
}

fn may_read_audit(caller: &Principal) -> Result<(), Problem> {
    if caller.may_read_audit() {
        Ok(())
    } else {
        Err(Problem::forbidden("the audit trail is for finance"))
    }
}

pub(super) async fn shift(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path((worker_id, shift_ref)): Path<(String, String)>,
    Query(query): Query<ShiftAuditQuery>,
) -> Result<Response, Problem> {
    may_read_audit(&caller)?;
    let Some(trail) = shift_audit(&state.store, &worker_id, &shift_ref).await? else {
        return Err(Problem::not_found());
    };
    let notes = query.notes.unwrap_or(false);
    Ok(axum::Json(shift_json(&trail, state.zone, notes)).into_response())
}

pub(super) async fn reference(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path((kind, key)): Path<(String, String)>,
) -> Result<Response, Problem> {
    may_read_audit(&caller)?;
    let kind: ReferenceKind = kind
        .parse()
        .map_err(|_| bad_param("kind", format!("'{kind}' is not a reference kind")))?;
    let entries = reference_audit(&state.store, kind.as_str(), &key).await?;
    if entries.is_empty() {
        return Err(Problem::not_found());
    }
    Ok(axum::Json(reference_json(kind.as_str(), &key, &entries, state.zone)).into_response())
}
