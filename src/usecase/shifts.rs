//! The shift use cases: submit, amend, withdraw, approve and reject, for the API and the phone
//! page alike, and `accept`, which turns a checked shift into a costed one for them and for the
//! CSV import. Who may do what is decided here, in one place.

use sha2::{Digest, Sha256};

use super::reference::ReferenceCache;
use crate::capture::submission::{
    FieldProblem, ShiftSubmission, check_submission, derived_shift_ref,
};
use crate::cost::{EngineError, cost_shift};
use crate::domain::reference::Directory;
use crate::domain::shift::Candidate;
use crate::domain::{
    ExtraCostCentres, LocalZone, PersonId, Principal, Reach, ServiceCode, WorkerId,
};
use crate::ledger::changes::{Change, ChangeError, Outcome, ShiftWriter, first_overlap};
use crate::ledger::{AcceptedShift, StoredShift};
use crate::store::reference::ReferenceData;
use crate::store::shift_records::{ShiftRecord, load_shift, segments_overlapping};
use crate::store::{Store, StoreError};

/// Longest Idempotency-Key accepted.
pub const IDEMPOTENCY_KEY_LEN_MAX: usize = 255;
/// Longest reason for sending a shift back.
pub const REASON_LEN_MAX: usize = 500;

/// Why a shift use case did not go ahead.
#[derive(Debug, thiserror::Error)]
pub enum ShiftError {
    /// The caller may not do this at all.
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    /// The shift is not there, or the caller may not see it: the same answer for both.
    #[error("there is no such shift")]
    NotFound,
    /// Fields at fault, each with where it is in the request.
    #[error("the shift is not valid")]
    Invalid(Vec<FieldProblem>),
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The shift overlaps another live shift of the same worker: `words` say which, in plain
    /// words ("You already have a shift from 09:00 to 11:00 that day (S1)").
    #[error("{words}")]
    Clash {
        /// The segment at fault, from 1.
        segment: usize,
        words: String,
    },
    /// The writer refused the change (a stale version, a reused key).
    #[error(transparent)]
    Change(#[from] ChangeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The provider's own data stops the shift being costed (a rate out of range).
    #[error("the shift could not be costed: {0}")]
    Costing(EngineError),
}

/// What the shift use cases work with: the store, the reference data, the one shift writer and
/// the provider's access settings.
#[derive(Clone, Copy)]
pub struct ShiftDesk<'a> {
    pub store: &'a Store,
    pub reference: &'a ReferenceCache,
    pub writer: &'a ShiftWriter,
    pub zone: LocalZone,
    pub extra_cost_centres: &'a ExtraCostCentres,
}

/// A checked shift turned into a costed one, ready for the writer; the same step for the CSV
/// import, the API and the phone page.
// The refusal hands the candidate back (it is larger than the error), so the import can name
// every row of the shift it refuses.
#[allow(clippy::result_large_err)]
pub fn accept(
    reference: &ReferenceData,
    candidate: Candidate,
    replaces: Option<StoredShift>,
) -> Result<AcceptedShift, (Candidate, EngineError)> {
    let worker = reference
        .workers
        .get(&candidate.draft.worker_id)
        .expect("a candidate's worker was checked against the same reference data");
    match cost_shift(&reference.ctx, &candidate.draft, worker) {
        Ok(costed) => Ok(AcceptedShift {
            costed,
            cost_centre: worker.cost_centre.clone(),
            replaces,
            candidate,
            reference_version: reference.version,
        }),
        Err(error) => Err((candidate, error)),
    }
}

/// Whether `caller` may see the shifts of `worker`.
pub fn sees_worker(caller: &Principal, reference: &ReferenceData, worker: &str) -> bool {
    let Ok(worker) = WorkerId::parse(worker) else {
        return false;
    };
    let cost_centre = reference.workers.get(&worker).map(|w| &w.cost_centre);
    caller.sees_worker(&worker, cost_centre)
}

/// Whether `caller` may see the charges of `person`.
pub fn sees_person(caller: &Principal, reference: &ReferenceData, person: &str) -> bool {
    let Ok(person) = PersonId::parse(person) else {
        return false;
    };
    let cost_centre = reference.person_details.get(&person).map(|d| &d.1);
    caller.sees_person(&person, cost_centre)
}

/// The people `caller` may name on a shift (`Principal::reach`), with a worker's own cost centre
/// taken from the reference data.
pub fn naming_reach(desk: &ShiftDesk<'_>, caller: &Principal, reference: &ReferenceData) -> Reach {
    let own_centre = caller
        .own_worker()
        .and_then(|worker| reference.workers.get(worker))
        .map(|terms| &terms.cost_centre);
    caller.reach(own_centre, desk.extra_cost_centres)
}

/// The reference data as one caller may name it: a person outside the caller's reach is not
/// there, so naming one is refused with exactly the words used for an unknown person.
struct Nameable<'a> {
    reference: &'a ReferenceData,
    reach: Reach,
}

impl Directory for Nameable<'_> {
    fn has_worker(&self, worker: &WorkerId) -> bool {
        self.reference.has_worker(worker)
    }
    fn has_person(&self, person: &PersonId) -> bool {
        self.reference.has_person(person)
            && self
                .reach
                .covers(self.reference.person_details.get(person).map(|d| &d.1))
    }
    fn has_service(&self, service: &ServiceCode) -> bool {
        self.reference.has_service(service)
    }
}

/// A shift the caller may see, or 404 (the same answer as for a shift that does not exist).
pub async fn visible(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    shift_id: i64,
) -> Result<ShiftRecord, ShiftError> {
    let reference = desk.reference.get(desk.store).await?;
    match load_shift(desk.store, shift_id).await? {
        Some(record) if sees_worker(caller, &reference, &record.header.worker_id) => Ok(record),
        _ => Err(ShiftError::NotFound),
    }
}

/// The worker a submission is for: a worker's own, or one named in the body that the caller may
/// record for. A worker outside the caller's scope is refused exactly like an unknown one.
fn worker_for(
    caller: &Principal,
    reference: &ReferenceData,
    named: Option<&str>,
) -> Result<String, ShiftError> {
    let unknown = |id: &str| {
        ShiftError::Invalid(vec![FieldProblem {
            pointer: "/worker_id".into(),
            field: "worker_id",
            reason: format!("unknown worker '{id}'"),
        }])
    };
    match (caller.own_worker(), named.map(str::trim)) {
        (Some(own), None) => Ok(own.to_string()),
        (Some(own), Some(id)) if id == own.as_str() => Ok(own.to_string()),
        (Some(_), Some(_)) => Err(ShiftError::Forbidden("workers record their own shifts")),
        (None, None) => Err(ShiftError::Invalid(vec![FieldProblem {
            pointer: "/worker_id".into(),
            field: "worker_id",
            reason: "worker_id is needed".into(),
        }])),
        (None, Some(id)) if sees_worker(caller, reference, id) => Ok(id.to_owned()),
        (None, Some(id)) => Err(unknown(id)),
    }
}

/// Checks and costs a shift for `worker_id` exactly as a CSV import would, naming only the people
/// within the caller's reach.
pub fn prepare(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    reference: &ReferenceData,
    submission: &ShiftSubmission,
    worker_id: &str,
    shift_ref: &str,
) -> Result<AcceptedShift, ShiftError> {
    let directory = Nameable {
        reference,
        reach: naming_reach(desk, caller, reference),
    };
    let candidate = check_submission(submission, worker_id, shift_ref, desk.zone, &directory)
        .map_err(ShiftError::Invalid)?;
    match accept(reference, candidate, None) {
        Ok(shift) => Ok(shift),
        Err((_, EngineError::Calendar(error))) => Err(ShiftError::Invalid(vec![FieldProblem {
            pointer: "/segments/0/start".into(),
            field: "start",
            reason: error.to_string(),
        }])),
        // The worker's pay rates are out of range: the provider's data, not the request.
        Err((_, error @ EngineError::Money(_))) => Err(ShiftError::Costing(error)),
    }
}

/// The digest that tells a retry from a different request with the same key.
fn request_digest(worker_id: &str, shift_ref: &str, submission: &ShiftSubmission) -> String {
    let canonical = serde_json::to_vec(submission).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(worker_id.as_bytes());
    hasher.update(b"\n");
    hasher.update(shift_ref.as_bytes());
    hasher.update(b"\n");
    hasher.update(&canonical);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks an idempotency key's shape.
pub fn check_key(key: &str) -> Result<(), ShiftError> {
    if key.is_empty()
        || key.len() > IDEMPOTENCY_KEY_LEN_MAX
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(ShiftError::BadRequest(format!(
            "Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_LEN_MAX} printable characters"
        )));
    }
    Ok(())
}

/// A new shift checked and costed for the caller, with the digest of its request.
struct NewShift {
    shift: AcceptedShift,
    request_sha256: String,
}

/// Checks and costs a new shift as `submit` stores it.
fn new_shift(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    reference: &ReferenceData,
    submission: &ShiftSubmission,
    key: &str,
) -> Result<NewShift, ShiftError> {
    if !caller.may_record() {
        return Err(ShiftError::Forbidden("this token can only read"));
    }
    check_key(key)?;
    let worker_id = worker_for(caller, reference, submission.worker_id.as_deref())?;
    let shift_ref = match submission.shift_ref.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => r.to_owned(),
        _ => derived_shift_ref(&caller.key(), key),
    };
    let request_sha256 = request_digest(&worker_id, &shift_ref, submission);
    let shift = prepare(desk, caller, reference, submission, &worker_id, &shift_ref)?;
    Ok(NewShift {
        shift,
        request_sha256,
    })
}

/// Checks a new shift exactly as [`submit`] would, and against the worker's stored shifts,
/// storing nothing: the shift as it would be stored, or why it would be refused. The phone page
/// shows this before the worker saves.
pub async fn check_new(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    submission: &ShiftSubmission,
    key: &str,
) -> Result<AcceptedShift, ShiftError> {
    let reference = desk.reference.get(desk.store).await?;
    let NewShift { shift, .. } = new_shift(desk, caller, &reference, submission, key)?;
    check_clashes(desk, caller, &reference, &shift).await?;
    Ok(shift)
}

/// Checks an amendment exactly as [`amend`] would, and against the worker's other stored
/// shifts, storing nothing.
pub async fn check_amendment(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    record: &ShiftRecord,
    submission: &ShiftSubmission,
) -> Result<AcceptedShift, ShiftError> {
    let reference = desk.reference.get(desk.store).await?;
    let shift = amended_shift(desk, caller, &reference, record, submission)?;
    check_clashes(desk, caller, &reference, &shift).await?;
    Ok(shift)
}

/// The first clash of `shift` with the worker's other live shifts as they are stored now.
async fn check_clashes(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    reference: &ReferenceData,
    shift: &AcceptedShift,
) -> Result<(), ShiftError> {
    let candidate = &shift.candidate;
    let (first, last) = crate::ledger::span(candidate);
    let nearby = segments_overlapping(
        desk.store,
        candidate.draft.worker_id.as_str(),
        candidate.draft.shift_ref.as_str(),
        first,
        last,
    )
    .await?;
    match first_overlap(candidate, &nearby) {
        Some(overlap) => Err(refusal(desk, caller, reference, candidate, overlap)),
        None => Ok(()),
    }
}

/// A refusal from the writer as the caller hears it: a clash in plain words.
fn refusal(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    reference: &ReferenceData,
    candidate: &Candidate,
    error: ChangeError,
) -> ShiftError {
    match error {
        ChangeError::Overlap {
            segment,
            other,
            worker_id,
            other_start,
            other_end,
        } => {
            let day = candidate
                .records
                .get(segment.saturating_sub(1))
                .map(|r| desk.zone.local_date(r.draft.interval.start));
            let who = if caller
                .own_worker()
                .is_some_and(|own| own.as_str() == worker_id)
            {
                "You already have".to_owned()
            } else {
                let name = reference.names.worker(&worker_id);
                if name == worker_id {
                    format!("Worker {worker_id} already has")
                } else {
                    format!("{name} ({worker_id}) already has")
                }
            };
            let when = clash_span(desk.zone, day, other_start, other_end);
            ShiftError::Clash {
                segment,
                words: format!("{who} a shift {when} ({other})"),
            }
        }
        other => ShiftError::Change(other),
    }
}

/// When another shift runs, as a person says it: "from 09:00 to 11:00 that day" when it is on
/// the day of the part it clashes with, "from 09:00 to 11:00 on Mon 5 Oct" on another day, and
/// "from 22:00 on Mon 5 Oct to 08:00 on Tue 6 Oct" across midnight.
pub fn clash_span(
    zone: LocalZone,
    day: Option<chrono::NaiveDate>,
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
) -> String {
    let (from, to) = (zone.local(start), zone.local(end));
    let date = |d: chrono::NaiveDate| d.format("%a %-d %b").to_string();
    // A time in the hour the clocks repeat says which of the two it is: "01:30 GMT".
    let time = |instant: chrono::DateTime<chrono::Utc>| {
        use chrono::TimeZone;
        let local = instant.with_timezone(&zone.tz());
        match zone.tz().from_local_datetime(&local.naive_local()) {
            chrono::LocalResult::Ambiguous(..) => local.format("%H:%M %Z").to_string(),
            _ => local.format("%H:%M").to_string(),
        }
    };
    // A shift ending at midnight ends on the day it started.
    let ends_that_day = to.date() == from.date()
        || (to.date() == from.date().succ_opt().unwrap_or(from.date())
            && to.time() == chrono::NaiveTime::MIN);
    if !ends_that_day {
        return format!(
            "from {} on {} to {} on {}",
            time(start),
            date(from.date()),
            time(end),
            date(to.date())
        );
    }
    if day == Some(from.date()) {
        format!("from {} to {} that day", time(start), time(end))
    } else {
        format!(
            "from {} to {} on {}",
            time(start),
            time(end),
            date(from.date())
        )
    }
}

/// Records a new shift through the writer. Shared by the API and the phone page.
pub async fn submit(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    submission: &ShiftSubmission,
    key: &str,
) -> Result<Outcome, ShiftError> {
    let reference = desk.reference.get(desk.store).await?;
    let NewShift {
        shift,
        request_sha256,
    } = new_shift(desk, caller, &reference, submission, key)?;
    let candidate = shift.candidate.clone();
    desk.writer
        .apply(
            &caller.key(),
            Change::Submit {
                idempotency_key: key.to_owned(),
                request_sha256,
                shift: Box::new(shift),
            },
        )
        .await
        .map_err(|e| refusal(desk, caller, &reference, &candidate, e))
}

/// Checks and costs an amendment of `record`: its worker and reference stay as they are.
fn amended_shift(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    reference: &ReferenceData,
    record: &ShiftRecord,
    submission: &ShiftSubmission,
) -> Result<AcceptedShift, ShiftError> {
    if !caller.may_record() {
        return Err(ShiftError::Forbidden("this token can only read"));
    }
    let header = &record.header;
    let fixed = |pointer: &str, given: Option<&str>, stored: &str| match given.map(str::trim) {
        Some(value) if value != stored => Err(ShiftError::Invalid(vec![FieldProblem {
            pointer: pointer.into(),
            field: "shift_ref",
            reason: format!("{} cannot change: it is '{stored}'", &pointer[1..]),
        }])),
        _ => Ok(()),
    };
    fixed(
        "/worker_id",
        submission.worker_id.as_deref(),
        &header.worker_id,
    )?;
    fixed(
        "/shift_ref",
        submission.shift_ref.as_deref(),
        &header.shift_ref,
    )?;
    prepare(
        desk,
        caller,
        reference,
        submission,
        &header.worker_id,
        &header.shift_ref,
    )
}

/// Amends a shift the caller may see. Shared by the API and the phone page.
pub async fn amend(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    record: &ShiftRecord,
    read_version: i64,
    submission: &ShiftSubmission,
) -> Result<(), ShiftError> {
    let reference = desk.reference.get(desk.store).await?;
    let shift = amended_shift(desk, caller, &reference, record, submission)?;
    let candidate = shift.candidate.clone();
    desk.writer
        .apply(
            &caller.key(),
            Change::Amend {
                shift_id: record.header.shift_id,
                read_version,
                shift: Box::new(shift),
                may_amend_approved: caller.may_decide(),
            },
        )
        .await
        .map_err(|e| refusal(desk, caller, &reference, &candidate, e))?;
    Ok(())
}

/// Withdraws a shift the caller may see: a worker's own before approval, or any in a manager's
/// reach. `read_version`, when given, must still be the stored version.
pub async fn withdraw(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    shift_id: i64,
    read_version: Option<i64>,
) -> Result<(), ShiftError> {
    if !caller.may_record() {
        return Err(ShiftError::Forbidden("this token can only read"));
    }
    visible(desk, caller, shift_id).await?;
    let change = Change::Withdraw {
        shift_id,
        read_version,
        may_withdraw_approved: caller.may_decide(),
    };
    desk.writer.apply(&caller.key(), change).await?;
    Ok(())
}

/// Approves a shift the caller may see, so it is charged and paid.
pub async fn approve(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    shift_id: i64,
    read_version: Option<i64>,
) -> Result<(), ShiftError> {
    decide(desk, caller, shift_id, read_version, true, "").await
}

/// Sends a shift the caller may see back to its worker, saying why.
pub async fn reject(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    shift_id: i64,
    read_version: Option<i64>,
    reason: &str,
) -> Result<(), ShiftError> {
    decide(desk, caller, shift_id, read_version, false, reason).await
}

/// Approves or rejects a shift the caller may see.
async fn decide(
    desk: &ShiftDesk<'_>,
    caller: &Principal,
    shift_id: i64,
    read_version: Option<i64>,
    approve: bool,
    reason: &str,
) -> Result<(), ShiftError> {
    if !caller.may_decide() {
        return Err(ShiftError::Forbidden(
            "only managers and finance approve or reject shifts",
        ));
    }
    visible(desk, caller, shift_id).await?;
    let reason = reason.trim();
    if !approve && reason.is_empty() {
        return Err(ShiftError::Invalid(vec![FieldProblem {
            pointer: "/reason".into(),
            field: "reason",
            reason: "say why the shift is rejected, so the worker can correct it".into(),
        }]));
    }
    if reason.chars().count() > REASON_LEN_MAX {
        return Err(ShiftError::Invalid(vec![FieldProblem {
            pointer: "/reason".into(),
            field: "reason",
            reason: format!("the reason is longer than {REASON_LEN_MAX} characters"),
        }]));
    }
    desk.writer
        .apply(
            &caller.key(),
            Change::Decide {
                shift_id,
                read_version,
                approve,
                reason: reason.to_owned(),
            },
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_clashing_shift_is_said_by_its_times_and_day() {
        let zone = LocalZone::default();
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 10, d);
        // 09:00 to 11:00 BST on Monday 12 October.
        let (start, end) = (at("2026-10-12T08:00:00Z"), at("2026-10-12T10:00:00Z"));
        assert_eq!(
            clash_span(zone, day(12), start, end),
            "from 09:00 to 11:00 that day"
        );
        assert_eq!(
            clash_span(zone, day(11), start, end),
            "from 09:00 to 11:00 on Mon 12 Oct"
        );
        assert_eq!(
            clash_span(
                zone,
                day(13),
                at("2026-10-13T21:00:00Z"),
                at("2026-10-14T06:00:00Z")
            ),
            "from 22:00 on Tue 13 Oct to 07:00 on Wed 14 Oct"
        );
        // Ending at midnight is ending that day.
        assert_eq!(
            clash_span(
                zone,
                day(12),
                at("2026-10-12T21:00:00Z"),
                at("2026-10-12T23:00:00Z")
            ),
            "from 22:00 to 00:00 that day"
        );
        // The hour the clocks repeat says which 01:30 it was.
        assert_eq!(
            clash_span(
                zone,
                day(25),
                at("2026-10-25T01:30:00Z"),
                at("2026-10-25T03:00:00Z")
            ),
            "from 01:30 GMT to 03:00 that day"
        );
        assert_eq!(
            clash_span(
                zone,
                day(25),
                at("2026-10-25T00:30:00Z"),
                at("2026-10-25T01:40:00Z")
            ),
            "from 01:30 BST to 01:40 GMT that day"
        );
        assert_eq!(
            clash_span(
                zone,
                day(25),
                at("2026-10-25T00:30:00Z"),
                at("2026-10-25T01:30:00Z")
            ),
            "from 01:30 BST to 01:30 GMT that day"
        );
    }
}
