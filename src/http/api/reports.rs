//! The report endpoints: charges and allocation, in JSON or CSV, to the people the caller may see.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::{Principal, Scope};
use crate::http::AppState;
use crate::http::auth::ApiCaller;
use crate::http::problem::Problem;
use crate::report::Format;
use crate::usecase::shifts;

use super::Query;
use super::shifts::{bad_param, date_param};

/// Parameters of the charges report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChargesQuery {
    pub from: String,
    pub to: String,
    pub person_id: Option<String>,
    pub format: Option<String>,
}

/// CSV when asked for by `format=csv` or `Accept: text/csv`, JSON otherwise.
pub(super) fn report_format(format: Option<&str>, headers: &HeaderMap) -> Result<Format, Problem> {
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

pub(super) fn table_response(
    table: &crate::report::Table,
    format: Format,
) -> Result<Response, Problem> {
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

pub(super) fn may_read_reports(caller: &Principal) -> Result<(), Problem> {
    if caller.may_read_charges() {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "charges are for managers, finance and families",
        ))
    }
}

pub(super) async fn charges(
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
pub(super) struct AllocationQuery {
    pub period: String,
    pub format: Option<String>,
}

pub(super) async fn allocation(
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
