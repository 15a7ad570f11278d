//! The allocation ledger: storing accepted shifts with their engine results, and recosting shifts
//! when a shift, a rate or a pay rule changes. Every write is one transaction per batch of whole
//! shifts, so an interrupted run leaves each shift either fully old or fully new.

pub mod changes;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;

use crate::allocate::{SegmentDraft, ShiftDraft};
use crate::cost::{Charge, CostedShift, cost_shift};
use crate::domain::reference::Unit;
use crate::domain::shift::Candidate;
use crate::domain::shift::ShiftStatus;
use crate::domain::{CostCentreId, Interval, PersonId, ServiceCode, ShiftRef, WorkerId};
use crate::store::audit::{ContentSegment, ShiftContent};
use crate::store::batch::{self, Amend, Batch, ShiftRows};
use crate::store::bulk::instant_from_seconds;
use crate::store::claims::ShiftClaim;
use crate::store::reference::ReferenceData;
use crate::store::rows::{
    AllocationLedgerRow, NewShiftRow, ShiftAuditRow, ShiftRejectRow, ShiftSegmentRow,
};
use crate::store::shifts::{allocation_key, shifts_to_cost};
use crate::store::{Store, StoreError};

/// Segments written per transaction when recosting.
pub const COSTING_BATCH_SEGMENTS: usize = 20_000;

/// The allocation rows of a costed shift as table rows.
pub fn allocation_values(
    shift_id: i64,
    cost_centre: &CostCentreId,
    costed: &CostedShift,
) -> Vec<AllocationLedgerRow> {
    costed
        .rows
        .iter()
        .enumerate()
        .map(|(row_no, r)| {
            let (unit, rate, divisor, units) = match r.charge {
                Charge::Hour {
                    entry_rate,
                    divisor,
                } => (Some(Unit::Hour), Some(entry_rate), divisor, 0),
                Charge::Night {
                    entry_rate,
                    divisor,
                    units,
                } => (Some(Unit::Night), Some(entry_rate), divisor, units),
                Charge::Fixed => (Some(Unit::Fixed), None, 1, 0),
                Charge::Nobody | Charge::Unpriced => (None, None, 1, 0),
            };
            AllocationLedgerRow {
                allocation_id: allocation_key(shift_id, row_no),
                shift_id,
                row_no: row_no as i64,
                segment_no: i64::from(r.segment_no),
                start_utc: r.start,
                end_utc: r.end,
                local_date: r.local_date,
                band: r.band,
                service_code: r.service.clone(),
                person_id: r.person_id.clone(),
                cost_centre_id: cost_centre.clone(),
                ratio: r.ratio,
                minutes: r.minutes,
                allocated_ticks: r.allocated_ticks,
                pay_pence: r.pay,
                charge_unit: unit,
                entry_rate_centipence: rate,
                divisor,
                night_units: units,
                unpriced: r.charge == Charge::Unpriced,
            }
        })
        .collect()
}

fn segment_values(shift_id: i64, candidate: &Candidate) -> Vec<ShiftSegmentRow> {
    candidate
        .records
        .iter()
        .enumerate()
        .map(|(segment_no, r)| {
            let people: Vec<&str> = r.draft.people.iter().map(PersonId::as_str).collect();
            ShiftSegmentRow {
                shift_id,
                segment_no: segment_no as i64,
                worker_id: candidate.draft.worker_id.clone(),
                start_utc: r.draft.interval.start,
                end_utc: r.draft.interval.end,
                service_code: r.draft.service.clone(),
                people: people.join(";"),
                miles: r.miles.clone(),
                notes: r.notes.clone(),
            }
        })
        .collect()
}

/// A shift's content as its audit row keeps it.
fn content_of(status: ShiftStatus, segments: &[ShiftSegmentRow]) -> ShiftContent {
    ShiftContent::new(
        status,
        segments
            .iter()
            .map(|s| {
                ContentSegment::new(
                    s.start_utc,
                    s.end_utc,
                    s.service_code.as_str(),
                    &s.people,
                    &s.miles,
                    &s.notes,
                )
            })
            .collect(),
    )
}

/// A candidate's segments as the store shows them, before they are read back.
pub(crate) fn segment_rows(
    shift_id: i64,
    candidate: &Candidate,
) -> Vec<crate::store::shift_records::SegmentRow> {
    candidate
        .records
        .iter()
        .enumerate()
        .map(|(segment_no, r)| {
            let people: Vec<&str> = r.draft.people.iter().map(PersonId::as_str).collect();
            crate::store::shift_records::SegmentRow {
                shift_id,
                segment_no: segment_no as i64,
                start_utc: r.draft.interval.start.timestamp(),
                end_utc: r.draft.interval.end.timestamp(),
                service_code: r.draft.service.to_string(),
                people: people.join(";"),
                miles: r.miles.clone(),
                notes: r.notes.clone(),
            }
        })
        .collect()
}

/// The stored version an amendment replaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredShift {
    pub shift_id: i64,
    pub content_hash: String,
    pub version: i64,
}

/// An accepted shift with its costs, new or replacing a stored version.
pub struct AcceptedShift {
    pub candidate: Candidate,
    pub costed: CostedShift,
    pub cost_centre: CostCentreId,
    /// The stored shift this amends.
    pub replaces: Option<StoredShift>,
    /// The reference version `costed` was computed from.
    pub reference_version: i64,
}

/// How accepted shifts are recorded.
#[derive(Clone, Copy, Debug)]
pub struct WriteContext<'a> {
    /// Approved or submitted.
    pub status: ShiftStatus,
    /// `csv` or `api`.
    pub source: &'static str,
    /// Who made the change, for the audit trail: `import` or a principal's key.
    pub actor: &'a str,
}

pub(crate) fn span(candidate: &Candidate) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = candidate
        .records
        .first()
        .expect("a shift has segments")
        .draft
        .interval
        .start;
    let last = candidate
        .records
        .iter()
        .map(|r| r.draft.interval.end)
        .max()
        .expect("a shift has segments");
    (first, last)
}

/// Lays out the rows of accepted shifts, given the ids reserved for the new ones (one per new
/// shift, in order). Earlier rejects of the same worker and shift reference are resolved by the
/// batch, as accepted from `source_file` (or by the actor, when there is no file).
pub fn shift_batch(
    shifts: &[AcceptedShift],
    rejects: Vec<ShiftRejectRow>,
    ctx: WriteContext<'_>,
    source_file: &str,
    new_ids: &[i64],
) -> Batch {
    assert_eq!(
        new_ids.len(),
        shifts.iter().filter(|s| s.replaces.is_none()).count(),
        "an id is reserved for each new shift"
    );
    let now = Utc::now();
    let mut new_ids = new_ids.iter().copied();
    let amended_ids: Vec<i64> = shifts
        .iter()
        .filter_map(|s| s.replaces.as_ref().map(|r| r.shift_id))
        .collect();
    let mut batch = Batch {
        deletes: vec![
            (ShiftRows::Allocation, amended_ids.clone()),
            (ShiftRows::Segments, amended_ids),
        ],
        costed_with: shifts.iter().map(|s| s.reference_version).min(),
        resolves: batch::Resolves {
            keys: Vec::with_capacity(shifts.len()),
            by: if source_file.is_empty() {
                ctx.actor.to_owned()
            } else {
                source_file.to_owned()
            },
            at: Some(now),
        },
        ..Batch::default()
    };
    for accepted in shifts {
        let candidate = &accepted.candidate;
        let (first, last) = span(candidate);
        let (shift_id, version, action, before) = match &accepted.replaces {
            None => {
                let id = new_ids
                    .next()
                    .expect("an id was reserved for each new shift");
                batch.new_shifts.push(NewShiftRow {
                    shift_id: id,
                    worker_id: candidate.draft.worker_id.clone(),
                    shift_ref: candidate.draft.shift_ref.clone(),
                    status: ctx.status,
                    source: ctx.source.to_owned(),
                    version: 1,
                    content_hash: candidate.content_hash.clone(),
                    first_start_utc: first,
                    last_end_utc: last,
                    needs_costing: false,
                    created_at: now,
                    updated_at: now,
                });
                (id, 1, "create", None)
            }
            Some(stored) => {
                batch.amends.push(Amend {
                    shift_id: stored.shift_id,
                    read_version: stored.version,
                    content_hash: candidate.content_hash.clone(),
                    status: ctx.status,
                    source: ctx.source,
                    first_start: first,
                    last_end: last,
                    now,
                });
                (
                    stored.shift_id,
                    stored.version + 1,
                    "amend",
                    Some(stored.content_hash.clone()),
                )
            }
        };
        let segments = segment_values(shift_id, candidate);
        batch.audit.push(ShiftAuditRow {
            shift_id,
            worker_id: candidate.draft.worker_id.to_string(),
            shift_ref: candidate.draft.shift_ref.to_string(),
            version,
            action: action.to_owned(),
            before_hash: before,
            after_hash: candidate.content_hash.clone(),
            source: ctx.source.to_owned(),
            source_file: source_file.to_owned(),
            changed_at: now,
            actor: ctx.actor.to_owned(),
            detail: String::new(),
            // An amendment's content before is read by the writer, inside its transaction.
            before_content: None,
            after_content: Some(content_of(ctx.status, &segments).to_json()),
        });
        batch.shifts.push(shift_id);
        batch.resolves.keys.push((
            candidate.draft.worker_id.to_string(),
            candidate.draft.shift_ref.to_string(),
        ));
        batch.segments.extend(segments);
        batch.allocation.extend(allocation_values(
            shift_id,
            &accepted.cost_centre,
            &accepted.costed,
        ));
    }
    batch.rejects = rejects;
    batch
}

/// The claims of an import batch laid out by [`shift_batch`]: each shift with its segments and
/// file rows, checked against the stored shifts inside the batch's transaction.
pub fn import_claims(batch: &mut Batch, shifts: &[AcceptedShift], import_file_id: i64) {
    batch.import_file_id = Some(import_file_id);
    batch.claims = shifts
        .iter()
        .zip(&batch.shifts)
        .map(|(accepted, shift_id)| {
            let candidate = &accepted.candidate;
            ShiftClaim {
                shift_id: *shift_id,
                worker_id: candidate.draft.worker_id.to_string(),
                shift_ref: candidate.draft.shift_ref.to_string(),
                read_version: accepted.replaces.as_ref().map(|r| r.version),
                segments: candidate
                    .records
                    .iter()
                    .map(|r| {
                        (
                            r.draft.interval.start.timestamp(),
                            r.draft.interval.end.timestamp(),
                        )
                    })
                    .collect(),
                rows: candidate
                    .records
                    .iter()
                    .map(|r| i64::try_from(r.row_no).unwrap_or(i64::MAX))
                    .collect(),
            }
        })
        .collect();
}

/// What a recosting pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecostCounts {
    pub shifts: u64,
    pub allocation_rows: u64,
    /// Shifts that could not be costed (e.g. a date outside the bank-holiday calendar); they stay
    /// marked and are tried again next time.
    pub failed: u64,
    /// Shifts costed from reference data that changed before their costs were written; they
    /// stay marked and are costed again next time.
    pub stale: u64,
}

/// Recosts every shift marked as needing it, in batches, and clears the mark.
pub async fn recost_marked(
    store: &Store,
    reference: &ReferenceData,
) -> Result<RecostCounts, StoreError> {
    recost_scoped(store, reference, &RecostScope::default()).await
}

/// Which marked shifts a recosting pass takes, and the claim its writes are fenced by.
#[derive(Clone, Debug, Default)]
pub struct RecostScope<'a> {
    /// Only shifts of workers in this cost centre (`""`: workers not known).
    pub cost_centre: Option<&'a str>,
    /// Every batch first extends this claim by the duration, and fails if it was lost.
    pub fence: Option<(&'a crate::store::runs::PartitionClaim, chrono::Duration)>,
}

/// Recosts the marked shifts in `scope`, in batches, and clears their marks.
pub async fn recost_scoped(
    store: &Store,
    reference: &ReferenceData,
    scope: &RecostScope<'_>,
) -> Result<RecostCounts, StoreError> {
    let mut counts = RecostCounts::default();
    let mut stream = match scope.cost_centre {
        Some(centre) => crate::store::shifts::shifts_to_cost_in_centre(store, centre),
        None => shifts_to_cost(store),
    };
    let mut batch: Vec<(i64, CostCentreId, CostedShift)> = Vec::new();
    let mut batch_segments = 0;
    let version = reference.version;
    let mut current: Option<(i64, ShiftDraft)> = None;
    while let Some(segment) = stream.try_next().await? {
        if current
            .as_ref()
            .is_some_and(|(id, _)| *id != segment.shift_id)
        {
            let (id, draft) = current.take().expect("checked");
            batch_segments += draft.segments.len();
            cost_into(reference, id, draft, &mut batch, &mut counts);
            if batch_segments >= COSTING_BATCH_SEGMENTS {
                write_recosted(
                    store,
                    std::mem::take(&mut batch),
                    scope,
                    version,
                    &mut counts,
                )
                .await?;
                batch_segments = 0;
            }
        }
        let draft = &mut current
            .get_or_insert_with(|| {
                let draft = ShiftDraft {
                    worker_id: WorkerId::parse(&segment.worker_id)
                        .unwrap_or_else(|_| WorkerId::parse("?").expect("valid")),
                    shift_ref: ShiftRef::parse(&segment.shift_ref)
                        .unwrap_or_else(|_| ShiftRef::parse("?").expect("valid")),
                    segments: Vec::new(),
                };
                (segment.shift_id, draft)
            })
            .1;
        draft.segments.push(stored_segment(&segment)?);
    }
    drop(stream);
    if let Some((id, draft)) = current.take() {
        cost_into(reference, id, draft, &mut batch, &mut counts);
    }
    write_recosted(store, batch, scope, version, &mut counts).await?;
    Ok(counts)
}

fn stored_segment(
    segment: &crate::store::shifts::SegmentToCost,
) -> Result<SegmentDraft, StoreError> {
    let corrupt = || {
        StoreError::Corrupt(format!(
            "segment {} of shift {}",
            segment.segment_no, segment.shift_id
        ))
    };
    let people = if segment.people.is_empty() {
        Vec::new()
    } else {
        segment
            .people
            .split(';')
            .map(PersonId::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| corrupt())?
    };
    Ok(SegmentDraft {
        interval: Interval::new(
            instant_from_seconds(segment.start_utc).ok_or_else(corrupt)?,
            instant_from_seconds(segment.end_utc).ok_or_else(corrupt)?,
        )
        .ok_or_else(corrupt)?,
        service: ServiceCode::parse(&segment.service_code).map_err(|_| corrupt())?,
        people,
    })
}

fn cost_into(
    reference: &ReferenceData,
    shift_id: i64,
    draft: ShiftDraft,
    batch: &mut Vec<(i64, CostCentreId, CostedShift)>,
    counts: &mut RecostCounts,
) {
    let Some(worker) = reference.workers.get(&draft.worker_id) else {
        counts.failed += 1;
        return;
    };
    match cost_shift(&reference.ctx, &draft, worker) {
        Ok(costed) => batch.push((shift_id, worker.cost_centre.clone(), costed)),
        Err(error) => {
            tracing::warn!(shift_id, %error, "shift could not be costed; it stays marked");
            counts.failed += 1;
        }
    }
}

async fn write_recosted(
    store: &Store,
    batch: Vec<(i64, CostCentreId, CostedShift)>,
    scope: &RecostScope<'_>,
    costed_with: i64,
    counts: &mut RecostCounts,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = batch.iter().map(|(id, _, _)| *id).collect();
    let rows: Vec<AllocationLedgerRow> = batch
        .iter()
        .flat_map(|(id, cc, costed)| allocation_values(*id, cc, costed))
        .collect();
    let (shifts, allocation_rows) = (ids.len() as u64, rows.len() as u64);
    let batch = Batch {
        deletes: vec![(ShiftRows::Allocation, ids.clone())],
        allocation: rows,
        costed: ids,
        fence: scope
            .fence
            .map(|(claim, ttl)| (claim.clone(), chrono::Utc::now() + ttl)),
        costed_with: Some(costed_with),
        ..Batch::default()
    };
    if batch::write(store, batch).await?.stale {
        // Reference data changed while these were costed: they stay marked for the next pass.
        counts.stale += shifts;
    } else {
        counts.shifts += shifts;
        counts.allocation_rows += allocation_rows;
    }
    Ok(())
}
