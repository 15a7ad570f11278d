//! The shift form: recording a new shift and correcting one, part by part, with each error shown
//! next to its field.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveTime};
use maud::{Markup, html};

use crate::capture::submission::{SegmentSubmission, ShiftSubmission};
use crate::domain::Role;
use crate::domain::access::new_secret;
use crate::http::AppState;
use crate::http::auth::PageCaller;
use crate::http::problem::Problem;
use crate::store::shift_records::ShiftRecord;
use crate::usecase::shifts;

use super::*;

/// What the shift form shows: values as typed, and errors by field name.
#[derive(Default)]
pub(super) struct ShiftForm {
    date: String,
    segments: Vec<SegmentForm>,
    key: String,
    version: Option<i64>,
    errors: Vec<(String, String)>,
}

#[derive(Clone, Default)]
pub(super) struct SegmentForm {
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
pub(super) fn plain_words(reason: &str) -> String {
    let mut text = reason.to_owned();
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text
}

pub(super) fn shift_form_page(
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

pub(super) async fn worker_only(caller: &PageCaller) -> Result<(), Response> {
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

pub(super) async fn new_shift(State(state): State<Arc<AppState>>, caller: PageCaller) -> Response {
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
pub(super) async fn handle_shift_form<F, Fut>(
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

pub(super) async fn record(
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

pub(super) async fn edit_shift(
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
    if !record.header.status.is_correctable() {
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

pub(super) async fn correct(
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
