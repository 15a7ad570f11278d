//! The shift form: recording a new shift and correcting one, part by part. Every error shows at
//! once, in a summary at the top linking to each field and beside the field itself. Before
//! anything is saved the worker checks the shift as the server read it — each part's times and
//! length, the whole shift's length, services and people by name — and confirms any part that
//! runs past midnight or lasts over 12 hours. A time that happens twice on the night the clocks
//! go back is offered as its two readings.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use maud::{Markup, html};
use sha2::{Digest, Sha256};

use crate::capture::submission::{SegmentSubmission, ShiftSubmission};
use crate::domain::access::new_secret;
use crate::domain::{LocalZone, Role};
use crate::http::AppState;
use crate::http::auth::PageCaller;
use crate::http::problem::Problem;
use crate::ledger::AcceptedShift;
use crate::store::reference::ReferenceData;
use crate::store::shift_records::ShiftRecord;
use crate::usecase::shifts;

use super::shifts::people_names;
use super::*;

/// What the shift form shows: values as typed, and errors by field name.
#[derive(Default)]
pub(super) struct ShiftForm {
    date: String,
    segments: Vec<SegmentForm>,
    key: String,
    version: Option<i64>,
    /// Which check the worker saw last (`checked`), and what they confirmed (`confirm`): the
    /// fingerprint of the shift as it was read then.
    checked: String,
    confirm: String,
    errors: Vec<(String, String)>,
    /// Whether the date could not be read (so the times could not be placed either).
    date_unread: bool,
}

#[derive(Clone, Default)]
pub(super) struct SegmentForm {
    start: String,
    end: String,
    service: String,
    people: Vec<String>,
    miles: String,
    notes: String,
    /// Which of a time that happens twice: `first` or `second`, or empty.
    start_reading: String,
    end_reading: String,
    /// The two readings offered when the time happens twice on its date.
    start_choices: Option<Readings>,
    end_choices: Option<Readings>,
}

/// The two instants of a wall-clock time that happens twice, the earlier first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Readings {
    first: DateTime<Utc>,
    second: DateTime<Utc>,
}

/// A wall-clock time read on a date in the provider's zone.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Wall {
    /// One instant, as it is sent: local time, with the offset when a reading was chosen.
    At(String),
    /// It happens twice and no reading was chosen.
    Twice,
    /// The clocks jump past it: they went forward from `from` to `to`.
    Skipped { from: NaiveTime, to: NaiveTime },
}

/// Reads `wall` in `zone`, taking `reading` (`first` or `second`) when it happens twice. An
/// instant picked by its reading is sent with its offset, which the API takes as it is.
fn read_wall(zone: LocalZone, wall: NaiveDateTime, reading: &str) -> Wall {
    let plain = || wall.format("%Y-%m-%dT%H:%M").to_string();
    match zone.tz().from_local_datetime(&wall) {
        LocalResult::Single(_) => Wall::At(plain()),
        LocalResult::Ambiguous(first, second) => {
            let chosen = match reading {
                "first" => first,
                "second" => second,
                _ => return Wall::Twice,
            };
            Wall::At(chosen.format("%Y-%m-%dT%H:%M%:z").to_string())
        }
        LocalResult::None => {
            let jump = zone.first_instant_at_or_after(wall);
            let to = zone.local(jump).time();
            let from = zone.local(jump - Duration::minutes(1)).time() + Duration::minutes(1);
            Wall::Skipped { from, to }
        }
    }
}

/// The two readings of `wall` when it happens twice in `zone`.
fn twice(zone: LocalZone, wall: NaiveDateTime) -> Option<Readings> {
    match zone.tz().from_local_datetime(&wall) {
        LocalResult::Ambiguous(first, second) => Some(Readings {
            first: first.with_timezone(&Utc),
            second: second.with_timezone(&Utc),
        }),
        _ => None,
    }
}

/// The label of one reading: "01:30 BST (first time)".
fn reading_label(zone: LocalZone, instant: DateTime<Utc>, which: &str) -> String {
    let local = instant.with_timezone(&zone.tz());
    format!("{} ({which} time)", local.format("%H:%M %Z"))
}

/// Part `i` (from 0) as people count it.
fn part_words(i: usize) -> String {
    format!("part {}", i + 1)
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
                    start_reading: field(fields, &name("start_reading")).to_owned(),
                    end_reading: field(fields, &name("end_reading")).to_owned(),
                    ..SegmentForm::default()
                }
            })
            .collect();
        ShiftForm {
            date: field(fields, "date").to_owned(),
            segments,
            key: field(fields, "key").to_owned(),
            version: field(fields, "version").parse().ok(),
            checked: field(fields, "checked").to_owned(),
            confirm: field(fields, "confirm").to_owned(),
            ..ShiftForm::default()
        }
    }

    fn from_record(state: &AppState, record: &ShiftRecord) -> ShiftForm {
        let zone = state.zone;
        let instant = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or_default();
        // A time in the hour that happens twice keeps the reading it was stored with.
        let reading = |s: i64| {
            let wall = zone.local(instant(s));
            match zone.tz().from_local_datetime(&wall) {
                LocalResult::Ambiguous(first, _) if first.with_timezone(&Utc) == instant(s) => {
                    "first".to_owned()
                }
                LocalResult::Ambiguous(..) => "second".to_owned(),
                _ => String::new(),
            }
        };
        ShiftForm {
            date: zone
                .local_date(instant(record.header.first_start_utc))
                .format("%Y-%m-%d")
                .to_string(),
            segments: record
                .segments
                .iter()
                .map(|s| SegmentForm {
                    start: zone.local(instant(s.start_utc)).format("%H:%M").to_string(),
                    end: zone.local(instant(s.end_utc)).format("%H:%M").to_string(),
                    service: s.service_code.clone(),
                    people: s
                        .people
                        .split(';')
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    miles: s.miles.clone(),
                    notes: s.notes.clone(),
                    start_reading: reading(s.start_utc),
                    end_reading: reading(s.end_utc),
                    ..SegmentForm::default()
                })
                .collect(),
            version: Some(record.header.version),
            ..ShiftForm::default()
        }
    }

    fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.as_str())
    }

    /// Records an error: one for each field, any number about the whole form.
    fn push_error(&mut self, name: String, message: String) {
        let said = if name == "form" {
            self.errors.iter().any(|(n, m)| *n == name && *m == message)
        } else {
            self.error(&name).is_some()
        };
        if !said {
            self.errors.push((name, message));
        }
    }

    /// The submission the form describes, with every problem the form itself can see recorded
    /// against its field. Each part starts on the shift's date, moving to the next day when it
    /// starts earlier than the part before (past midnight); a part that ends at or before its
    /// start ends the next day. Every part is sent, so the server's problems name the same parts;
    /// a time the form could not read is sent empty.
    fn submission(&mut self, zone: LocalZone) -> ShiftSubmission {
        let date = NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").ok();
        if date.is_none() {
            self.date_unread = true;
            let message = if self.date.is_empty() {
                "Enter the date the shift started"
            } else {
                "Enter the date like 06/10/2026"
            };
            self.push_error("date".into(), message.into());
        }
        let mut day = date;
        let mut previous_start: Option<NaiveTime> = None;
        let mut errors = Vec::new();
        let mut segments = Vec::new();
        for (i, segment) in self.segments.iter_mut().enumerate() {
            let name = |f: &str| format!("seg{i}_{f}");
            let time = |raw: &str| NaiveTime::parse_from_str(raw, "%H:%M").ok();
            let (start, end) = (time(&segment.start), time(&segment.end));
            for (f, parsed, words) in [("start", start, "started"), ("end", end, "ended")] {
                if parsed.is_none() {
                    errors.push((
                        name(f),
                        format!("Enter the time {} {words}, like 09:30", part_words(i)),
                    ));
                }
            }
            if segment.service.is_empty() {
                errors.push((
                    name("service"),
                    format!("Choose the service you gave in {}", part_words(i)),
                ));
            }
            let mut sent = SegmentSubmission {
                start: String::new(),
                end: String::new(),
                service: segment.service.clone(),
                people: segment.people.clone(),
                miles: segment.miles.clone(),
                notes: segment.notes.clone(),
            };
            segment.start_choices = None;
            segment.end_choices = None;
            if let (Some(d), Some(start)) = (day, start) {
                let d = if previous_start.is_some_and(|p| start < p) {
                    d.succ_opt().unwrap_or(d)
                } else {
                    d
                };
                day = Some(d);
                previous_start = Some(start);
                // A time that happens twice keeps its two readings on the page, chosen or not.
                segment.start_choices = twice(zone, d.and_time(start));
                let first_reading_start =
                    segment.start_choices.is_some() && segment.start_reading == "first";
                match read_wall(zone, d.and_time(start), &segment.start_reading) {
                    Wall::At(text) => sent.start = text,
                    Wall::Twice => {
                        errors.push((name("start_reading"), twice_words(start, d)));
                    }
                    Wall::Skipped { from, to } => {
                        errors.push((name("start"), skipped_words(start, d, from, to)));
                    }
                }
                if let Some(end) = end {
                    // A part ending at or before its start ends the next day, unless it starts in
                    // the first of an hour that happens twice and ends in the second.
                    let same_day_twice = twice(zone, d.and_time(end)).is_some();
                    let end_day = if end > start
                        || (first_reading_start && same_day_twice && segment.end_reading != "first")
                    {
                        d
                    } else {
                        d.succ_opt().unwrap_or(d)
                    };
                    segment.end_choices = twice(zone, end_day.and_time(end));
                    match read_wall(zone, end_day.and_time(end), &segment.end_reading) {
                        Wall::At(text) => sent.end = text,
                        Wall::Twice => {
                            errors.push((name("end_reading"), twice_words(end, end_day)));
                        }
                        Wall::Skipped { from, to } => {
                            errors.push((name("end"), skipped_words(end, end_day, from, to)));
                        }
                    }
                }
            }
            segments.push(sent);
        }
        for (name, message) in errors {
            self.push_error(name, message);
        }
        ShiftSubmission {
            worker_id: None,
            shift_ref: None,
            segments,
        }
    }

    /// Puts a problem's messages next to the fields they are about, leaving out those about a
    /// field the form has already said something about (its words are plainer), and those about
    /// times when the date could not be read (they follow from it).
    fn absorb(&mut self, problem: &Problem) {
        if problem.errors.is_empty() {
            self.push_error("form".into(), plain_words(&problem.detail));
            return;
        }
        for error in &problem.errors {
            let parts: Vec<&str> = error.pointer.trim_start_matches('/').split('/').collect();
            let name = match parts.as_slice() {
                ["segments", i, f] | ["segments", i, f, _] => format!("seg{i}_{f}"),
                _ => "form".to_owned(),
            };
            let about_time = name.ends_with("_start") || name.ends_with("_end");
            let said = self.errors.iter().any(|(n, _)| n.starts_with(&name));
            if said || (self.date_unread && about_time) {
                continue;
            }
            self.push_error(name, plain_words(&error.reason));
        }
    }
}

fn twice_words(time: NaiveTime, date: NaiveDate) -> String {
    format!(
        "{} happens twice on {}, when the clocks go back. Choose which {} you mean",
        time.format("%H:%M"),
        day_words(date),
        time.format("%H:%M")
    )
}

fn skipped_words(time: NaiveTime, date: NaiveDate, from: NaiveTime, to: NaiveTime) -> String {
    format!(
        "There is no {} on {}: the clocks went forward from {} to {}. Enter the time the clock showed",
        time.format("%H:%M"),
        day_words(date),
        from.format("%H:%M"),
        to.format("%H:%M")
    )
}

/// Messages written for files, made friendlier for a person on a phone.
pub(super) fn plain_words(reason: &str) -> String {
    let mut text = reason.to_owned();
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text
}

/// The shift as the server read it, for the worker to check before saving.
pub(super) struct Review {
    parts: Vec<PartReview>,
    /// Time worked: every part's length.
    minutes: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// What to confirm: parts that run past midnight or last over 12 hours.
    questions: Vec<String>,
    /// The fingerprint of the shift as read, carried by the page so that only what was shown is
    /// saved.
    fingerprint: String,
}

struct PartReview {
    number: u64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    minutes: i64,
    service: String,
    people: String,
    miles: String,
    notes: String,
}

impl Review {
    fn of(
        zone: LocalZone,
        reference: &ReferenceData,
        date: &str,
        submission: &ShiftSubmission,
        shift: &AcceptedShift,
    ) -> Review {
        let shift_date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok();
        let records = &shift.candidate.records;
        let parts: Vec<PartReview> = records
            .iter()
            .map(|r| PartReview {
                number: r.row_no,
                from: r.draft.interval.start,
                to: r.draft.interval.end,
                minutes: r.draft.interval.minutes(),
                service: reference.names.service(r.draft.service.as_str()),
                people: people_names(
                    reference,
                    &r.draft
                        .people
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                ),
                miles: r.miles.clone(),
                notes: r.notes.clone(),
            })
            .collect();
        let mut questions = Vec::new();
        for part in &parts {
            let (start_day, end) = (zone.local_date(part.from), zone.local(part.to));
            let mut said = Vec::new();
            if shift_date.is_some_and(|d| start_day > d) {
                said.push(format!(
                    "starts after midnight, on {}",
                    day_words(start_day)
                ));
            }
            let past_midnight = end.date() > start_day
                && !(end.date() == start_day.succ_opt().unwrap_or(start_day)
                    && end.time() == NaiveTime::MIN);
            if past_midnight {
                said.push(format!(
                    "runs past midnight, from {}",
                    range_words(zone, part.from, part.to)
                ));
            }
            if part.minutes > PART_HOURS_CONFIRMED * 60 {
                said.push(format!("lasts {}", duration_words(part.minutes)));
            }
            if !said.is_empty() {
                questions.push(format!("Part {} {}.", part.number, said.join(" and ")));
            }
        }
        let canonical = serde_json::to_vec(submission).unwrap_or_default();
        let digest = Sha256::digest(&canonical);
        Review {
            minutes: parts.iter().map(|p| p.minutes).sum(),
            from: parts.iter().map(|p| p.from).min().unwrap_or_default(),
            to: parts.iter().map(|p| p.to).max().unwrap_or_default(),
            parts,
            questions,
            fingerprint: digest.iter().take(16).map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// Where a field's entry in the error summary takes the keyboard.
fn summary_target(name: &str) -> String {
    match name {
        "form" => "main".to_owned(),
        n if n.ends_with("_people") => format!("{n}-0"),
        n if n.ends_with("_reading") => format!("{n}-first"),
        n => n.to_owned(),
    }
}

/// The error summary: every error on the page, each linking to its field. Focus goes to it when
/// the page loads, without a script.
fn error_summary(errors: &[(String, String)]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="summary" role="alert" aria-labelledby="summary-title" tabindex="-1" autofocus {
                h2 id="summary-title" { "There is a problem" }
                ul {
                    @for (name, message) in errors {
                        li { a href=(format!("#{}", summary_target(name))) { (message) } }
                    }
                }
            }
        }
    }
}

/// The services offered, by name, with their codes: named ones in name order, then the rest.
fn service_choices(reference: &ReferenceData) -> Vec<(String, String)> {
    let mut services: Vec<(String, String)> = reference
        .services
        .iter()
        .map(|code| (code.to_string(), reference.names.service(code.as_str())))
        .collect();
    services.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    services
}

pub(super) fn shift_form_page(
    state: &AppState,
    reference: &ReferenceData,
    caller: &PageCaller,
    form: &ShiftForm,
    action: &str,
    title: &str,
) -> Markup {
    let zone = state.zone;
    // The people offered are exactly those the worker may name (`Principal::reach`).
    let reach = shifts::naming_reach(&state.desk(), &caller.principal, reference);
    let mut people: Vec<(&crate::domain::PersonId, &String)> = reference
        .person_details
        .iter()
        .filter(|(_, (_, cc))| reach.covers(Some(cc)))
        .map(|(id, (name, _))| (id, name))
        .collect();
    people.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
    let services = service_choices(reference);
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
    let field_class = |names: &[&str]| {
        if names.iter().any(|n| form.error(n).is_some()) {
            "field has-error"
        } else {
            "field"
        }
    };
    // The two readings of a time that happens twice, as radio buttons.
    let readings = |i: usize, f: &str, choices: &Option<Readings>, chosen: &str| {
        let name = format!("seg{i}_{f}_reading");
        html! {
            @if let Some(choices) = choices {
                fieldset class="choices" aria-describedby=[described(&name, None)] {
                    legend { "Which " (zone.local(choices.first).format("%H:%M")) "?" }
                    (error_line(&name))
                    @for (value, instant) in [("first", choices.first), ("second", choices.second)] {
                        label for=(format!("{name}-{value}")) {
                            input type="radio" id=(format!("{name}-{value}")) name=(name) value=(value) checked[chosen == value];
                            (reading_label(zone, instant, value))
                        }
                    }
                }
            }
        }
    };
    let key = if form.key.is_empty() {
        new_secret()
    } else {
        form.key.clone()
    };
    let content = html! {
        (error_summary(&form.errors))
        h1 { (title) }
        form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(caller.csrf());
            input type="hidden" name="key" value=(key);
            input type="hidden" name="segments" value=(form.segments.len());
            @if let Some(version) = form.version {
                input type="hidden" name="version" value=(version);
            }
            div class=(field_class(&["date"])) {
                label for="date" { "Date the shift started" }
                (error_line("date"))
                input type="date" id="date" name="date" value=(form.date) aria-describedby=[described("date", None)] aria-invalid=[form.error("date").map(|_| "true")];
            }
            @for (i, segment) in form.segments.iter().enumerate() {
                @let n = |f: &str| format!("seg{i}_{f}");
                fieldset {
                    legend { "Part " (i + 1) " of the shift" }
                    div class=(field_class(&[n("start").as_str(), n("start_reading").as_str()])) {
                        label for=(n("start")) { "Start time" }
                        (error_line(&n("start")))
                        input type="time" id=(n("start")) name=(n("start")) value=(segment.start) aria-describedby=[described(&n("start"), None)] aria-invalid=[form.error(&n("start")).map(|_| "true")];
                        (readings(i, "start", &segment.start_choices, &segment.start_reading))
                    }
                    div class=(field_class(&[n("end").as_str(), n("end_reading").as_str()])) {
                        label for=(n("end")) { "End time" }
                        p class="hint" id=(n("end-hint")) { "If it ended after midnight, enter the time on the next day" }
                        (error_line(&n("end")))
                        input type="time" id=(n("end")) name=(n("end")) value=(segment.end) aria-describedby=[described(&n("end"), Some(&n("end-hint")))] aria-invalid=[form.error(&n("end")).map(|_| "true")];
                        (readings(i, "end", &segment.end_choices, &segment.end_reading))
                    }
                    div class=(field_class(&[n("service").as_str()])) {
                        label for=(n("service")) { "Service" }
                        (error_line(&n("service")))
                        select id=(n("service")) name=(n("service")) aria-describedby=[described(&n("service"), None)] aria-invalid=[form.error(&n("service")).map(|_| "true")] {
                            option value="" selected[segment.service.is_empty()] { "Choose a service" }
                            @for (code, name) in &services {
                                option value=(code) selected[*code == segment.service] { (name) }
                            }
                        }
                    }
                    div class=(field_class(&[n("people").as_str()])) {
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
                    div class=(field_class(&[n("miles").as_str()])) {
                        label for=(n("miles")) { "Business miles (optional)" }
                        (error_line(&n("miles")))
                        input type="text" inputmode="decimal" id=(n("miles")) name=(n("miles")) value=(segment.miles) aria-describedby=[described(&n("miles"), None)] aria-invalid=[form.error(&n("miles")).map(|_| "true")];
                    }
                    div class=(field_class(&[n("notes").as_str()])) {
                        label for=(n("notes")) { "Notes (optional)" }
                        (error_line(&n("notes")))
                        textarea id=(n("notes")) name=(n("notes")) rows="3" aria-describedby=[described(&n("notes"), None)] aria-invalid=[form.error(&n("notes")).map(|_| "true")] { (segment.notes) }
                    }
                }
            }
            p class="hint" { "You can check the shift before it is saved." }
            div class="actions" {
                button type="submit" name="action" value="check" { "Continue" }
                @if form.segments.len() < FORM_SEGMENTS_MAX {
                    button type="submit" name="action" value="add" class="secondary" { "Add another part" }
                }
            }
        }
        p { a href="/shifts" { "Back to your shifts" } }
    };
    page(title, Some(caller), content)
}

/// The heading and title of the check before saving.
const CHECK_TITLE: &str = "Check the shift before you save it";

/// The check before saving: the shift as the server read it, the lengths of its parts and of
/// the whole, a question for any part that runs past midnight or lasts over 12 hours, and the
/// form's answers carried unchanged to "Save shift" or back to "Change the shift".
fn check_page(
    state: &AppState,
    caller: &PageCaller,
    form: &ShiftForm,
    review: &Review,
    action: &str,
    title: &str,
) -> Markup {
    let zone = state.zone;
    let confirm_error = form.error("confirm");
    let content = html! {
        (error_summary(&form.errors))
        h1 { (CHECK_TITLE) }
        @for part in &review.parts {
            h2 { "Part " (part.number) }
            dl class="review" {
                div { dt { "Time" } dd { (range_words(zone, part.from, part.to)) } }
                div { dt { "Length" } dd { (duration_words(part.minutes)) } }
                div { dt { "Service" } dd { (part.service) } }
                div { dt { "People supported" } dd { (part.people) } }
                @if !part.miles.is_empty() {
                    div { dt { "Business miles" } dd { (part.miles) } }
                }
                @if !part.notes.is_empty() {
                    div { dt { "Notes" } dd { (part.notes) } }
                }
            }
        }
        h2 { "Whole shift" }
        dl class="review" id="whole-shift" {
            div { dt { "Time" } dd { (range_words(zone, review.from, review.to)) } }
            div { dt { "Time worked" } dd { (duration_words(review.minutes)) } }
        }
        form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(caller.csrf());
            input type="hidden" name="key" value=(form.key);
            input type="hidden" name="segments" value=(form.segments.len());
            input type="hidden" name="checked" value=(review.fingerprint);
            @if let Some(version) = form.version {
                input type="hidden" name="version" value=(version);
            }
            input type="hidden" name="date" value=(form.date);
            @for (i, segment) in form.segments.iter().enumerate() {
                @let n = |f: &str| format!("seg{i}_{f}");
                input type="hidden" name=(n("start")) value=(segment.start);
                input type="hidden" name=(n("end")) value=(segment.end);
                input type="hidden" name=(n("start_reading")) value=(segment.start_reading);
                input type="hidden" name=(n("end_reading")) value=(segment.end_reading);
                input type="hidden" name=(n("service")) value=(segment.service);
                @for person in &segment.people {
                    input type="hidden" name=(n("people")) value=(person);
                }
                input type="hidden" name=(n("miles")) value=(segment.miles);
                input type="hidden" name=(n("notes")) value=(segment.notes);
            }
            @if !review.questions.is_empty() {
                div class="question" {
                    h2 id="question-title" { "Are these times right?" }
                    ul {
                        @for question in &review.questions {
                            li { (question) }
                        }
                    }
                    div class=(if confirm_error.is_some() { "field choices has-error" } else { "field choices" }) {
                        @if let Some(error) = confirm_error {
                            p class="error" id="confirm-error" { span class="visually-hidden" { "Error: " } (error) }
                        }
                        label for="confirm" {
                            input type="checkbox" id="confirm" name="confirm" value=(review.fingerprint) aria-describedby=[confirm_error.map(|_| "confirm-error")] aria-invalid=[confirm_error.map(|_| "true")];
                            "Yes, these times are right"
                        }
                    }
                }
            }
            div class="actions" {
                button type="submit" name="action" value="save" { "Save shift" }
                button type="submit" name="action" value="change" class="secondary" { "Change the shift" }
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
    let today = Utc::now().with_timezone(&state.zone.tz()).date_naive();
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

/// What a posted shift form is for: a new shift, or a correction of a stored one.
#[derive(Clone, Copy)]
pub(super) enum Target<'a> {
    New,
    Correct(&'a ShiftRecord),
}

impl Target<'_> {
    fn action(self) -> String {
        match self {
            Target::New => "/shifts".to_owned(),
            Target::Correct(record) => format!("/shifts/{}", record.header.shift_id),
        }
    }

    fn title(self) -> &'static str {
        match self {
            Target::New => "Record a shift",
            Target::Correct(_) => "Correct a shift",
        }
    }
}

/// Handles a posted shift form: adds a part, goes back to change the answers, checks the shift
/// (every error at once, or the shift as read for the worker to check), or saves it and
/// redirects. A shift is saved only as it was checked: a part that runs past midnight or lasts
/// over 12 hours only once its confirmation names the shift as read now.
pub(super) async fn handle_shift_form(
    state: &AppState,
    caller: &PageCaller,
    fields: &Fields,
    target: Target<'_>,
) -> Response {
    if let Some(response) = csrf_refusal(caller, fields) {
        return response;
    }
    let reference = match state.reference.get(&state.store).await {
        Ok(r) => r,
        Err(e) => return Problem::from(e).into_response(),
    };
    let (action, title) = (target.action(), target.title());
    let mut form = ShiftForm::from_fields(fields);
    if form.key.is_empty() {
        form.key = new_secret();
    }
    let editing = |form: &ShiftForm, status: StatusCode, title: &str| {
        html_response(
            status,
            shift_form_page(state, &reference, caller, form, &action, title),
        )
    };
    let asked = field(fields, "action");
    if asked == "add" && form.segments.len() < FORM_SEGMENTS_MAX {
        let previous_end = form
            .segments
            .last()
            .map(|s| s.end.clone())
            .unwrap_or_default();
        form.segments.push(SegmentForm {
            start: previous_end,
            ..SegmentForm::default()
        });
        // Times that happen twice keep their choices on the page.
        form.submission(state.zone);
        form.errors.clear();
        return editing(&form, StatusCode::OK, title);
    }
    let submission = form.submission(state.zone);
    if asked == "change" {
        form.errors.clear();
        return editing(&form, StatusCode::OK, title);
    }
    let desk = state.desk();
    let principal = &caller.principal;
    let checked = match target {
        Target::New => shifts::check_new(&desk, principal, &submission, &form.key).await,
        Target::Correct(record) => {
            shifts::check_amendment(&desk, principal, record, &submission).await
        }
    };
    let problem = match checked {
        Ok(shift) if form.errors.is_empty() => {
            let review = Review::of(state.zone, &reference, &form.date, &submission, &shift);
            // The page's own "Save shift" carries the fingerprint of the shift it showed: one
            // that differs means the answers changed since, so the shift is shown again. A form
            // posted straight to save (not from these pages) carries none.
            let shown = form.checked == review.fingerprint;
            let stale = !form.checked.is_empty() && !shown;
            let confirmed = review.questions.is_empty() || form.confirm == review.fingerprint;
            if asked != "save" || stale || (!confirmed && !shown) {
                form.errors.clear();
                return html_response(
                    StatusCode::OK,
                    check_page(state, caller, &form, &review, &action, CHECK_TITLE),
                );
            }
            if !confirmed {
                form.errors = vec![(
                    "confirm".into(),
                    "Tick the box to say these times are right, or change the shift".into(),
                )];
                return html_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    check_page(
                        state,
                        caller,
                        &form,
                        &review,
                        &action,
                        &format!("{CHECK_TITLE} (check the answers)"),
                    ),
                );
            }
            let saved = match target {
                Target::New => shifts::submit(&desk, principal, &submission, &form.key)
                    .await
                    .map(|_| "/shifts?done=recorded"),
                Target::Correct(record) => {
                    let version = form.version.unwrap_or(record.header.version);
                    shifts::amend(&desk, principal, record, version, &submission)
                        .await
                        .map(|()| "/shifts?done=corrected")
                }
            };
            match saved {
                Ok(location) => return Redirect::to(location).into_response(),
                Err(error) => Problem::from(error),
            }
        }
        // The form's own problems, and the server's about the rest.
        Ok(_) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The shift is not valid",
            "",
        ),
        Err(error) => Problem::from(error),
    };
    let shown_here = [
        StatusCode::UNPROCESSABLE_ENTITY,
        StatusCode::CONFLICT,
        StatusCode::PRECONDITION_FAILED,
    ];
    if !shown_here.contains(&problem.status) {
        return problem_page(caller, &problem);
    }
    if problem.status == StatusCode::PRECONDITION_FAILED {
        form.errors = vec![("form".into(), "Someone else changed this shift while you were correcting it. Go back to your shifts and start again.".into())];
    } else if !problem.detail.is_empty() || !problem.errors.is_empty() {
        form.absorb(&problem);
    }
    editing(
        &form,
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("{title} (check the answers)"),
    )
}

pub(super) async fn record(
    State(state): State<Arc<AppState>>,
    caller: PageCaller,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(response) = worker_only(&caller).await {
        return response;
    }
    handle_shift_form(&state, &caller, &fields, Target::New).await
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
    let mut form = ShiftForm::from_record(&state, &record);
    // Times in the hour that happens twice show their choice.
    form.submission(state.zone);
    form.errors.clear();
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
    handle_shift_form(&state, &caller, &fields, Target::Correct(&record)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(date: &str, parts: &[(&str, &str, &str, &str)]) -> ShiftForm {
        ShiftForm {
            date: date.into(),
            segments: parts
                .iter()
                .map(|(start, end, start_reading, end_reading)| SegmentForm {
                    start: (*start).into(),
                    end: (*end).into(),
                    service: "PC".into(),
                    start_reading: (*start_reading).into(),
                    end_reading: (*end_reading).into(),
                    ..SegmentForm::default()
                })
                .collect(),
            ..ShiftForm::default()
        }
    }

    fn times(form: &mut ShiftForm) -> Vec<(String, String)> {
        form.submission(LocalZone::default())
            .segments
            .into_iter()
            .map(|s| (s.start, s.end))
            .collect()
    }

    #[test]
    fn parts_move_to_the_next_day_after_midnight() {
        let mut shift = form(
            "2026-10-06",
            &[
                ("22:00", "23:30", "", ""),
                ("23:30", "01:00", "", ""),
                ("01:00", "02:00", "", ""),
            ],
        );
        assert_eq!(
            times(&mut shift),
            [
                ("2026-10-06T22:00".into(), "2026-10-06T23:30".into()),
                ("2026-10-06T23:30".into(), "2026-10-07T01:00".into()),
                ("2026-10-07T01:00".into(), "2026-10-07T02:00".into()),
            ]
        );
        assert!(shift.errors.is_empty(), "{:?}", shift.errors);
    }

    #[test]
    fn a_time_that_happens_twice_asks_which_and_sends_the_chosen_offset() {
        let mut asked = form("2026-10-25", &[("01:30", "03:00", "", "")]);
        let sent = times(&mut asked);
        assert_eq!(sent[0].0, "", "nothing is guessed");
        assert_eq!(asked.errors.len(), 1, "{:?}", asked.errors);
        assert_eq!(asked.errors[0].0, "seg0_start_reading");
        assert!(
            asked.errors[0]
                .1
                .contains("01:30 happens twice on Sun 25 Oct")
        );
        let choices = asked.segments[0].start_choices.expect("two readings");
        let zone = LocalZone::default();
        assert_eq!(
            reading_label(zone, choices.first, "first"),
            "01:30 BST (first time)"
        );
        assert_eq!(
            reading_label(zone, choices.second, "second"),
            "01:30 GMT (second time)"
        );

        let mut first = form("2026-10-25", &[("01:30", "03:00", "first", "")]);
        first.submission(LocalZone::default());
        assert_eq!(
            first.segments[0].start_choices,
            Some(choices),
            "a chosen reading stays offered, so it can be changed"
        );
        assert_eq!(
            times(&mut first),
            [("2026-10-25T01:30+01:00".into(), "2026-10-25T03:00".into())]
        );
        let mut second = form("2026-10-25", &[("01:30", "03:00", "second", "")]);
        assert_eq!(
            times(&mut second),
            [("2026-10-25T01:30+00:00".into(), "2026-10-25T03:00".into())]
        );
        assert!(first.errors.is_empty() && second.errors.is_empty());
    }

    #[test]
    fn a_part_from_the_first_to_the_second_of_a_repeated_hour_stays_on_its_day() {
        // 01:40 BST to 01:10 GMT is half an hour, not a day.
        let mut shift = form("2026-10-25", &[("01:40", "01:10", "first", "second")]);
        assert_eq!(
            times(&mut shift),
            [(
                "2026-10-25T01:40+01:00".into(),
                "2026-10-25T01:10+00:00".into()
            )]
        );
        // Read the other way, it ends the next night.
        let mut next = form("2026-10-25", &[("01:40", "01:10", "first", "first")]);
        assert_eq!(times(&mut next)[0].1, "2026-10-26T01:10");
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused_saying_so() {
        let mut skipped = form("2026-03-29", &[("01:30", "03:00", "", "")]);
        times(&mut skipped);
        assert_eq!(
            skipped.errors,
            [(
                "seg0_start".to_owned(),
                "There is no 01:30 on Sun 29 Mar: the clocks went forward from 01:00 to 02:00. \
                 Enter the time the clock showed"
                    .to_owned()
            )]
        );
    }

    #[test]
    fn every_problem_the_form_sees_is_named_at_once() {
        let mut shift = form("", &[("9", "", "", ""), ("10:00", "11:00", "", "")]);
        shift.segments[1].service.clear();
        times(&mut shift);
        let names: Vec<&str> = shift.errors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["date", "seg0_start", "seg0_end", "seg1_service"]);
        assert_eq!(shift.errors[3].1, "Choose the service you gave in part 2");
    }

    #[test]
    fn lengths_are_said_in_words() {
        assert_eq!(duration_words(45), "45 minutes");
        assert_eq!(duration_words(60), "1 hour");
        assert_eq!(duration_words(61), "1 hour 1 minute");
        assert_eq!(duration_words(1410), "23 hours 30 minutes");
    }
}
