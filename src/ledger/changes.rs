//! Changes to single shifts (submit, amend, withdraw, approve, reject), applied by one writer that
//! commits the changes waiting at once in a single transaction (group commit). Each change is
//! checked inside that transaction, so it sees every change committed or queued before it; a
//! caller hears back only after the transaction that holds its change has committed.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use super::{AcceptedShift, StoredShift, WriteContext, shift_batch};
use crate::domain::LocalZone;
use crate::domain::shift::Candidate;
use crate::domain::shift::ShiftStatus;
use crate::store::change_tx::{ChangeConnection, ChangeTx};
use crate::store::shift_records::{
    self, AuditEntry, Decision, NearbySegment, ShiftHeader, StoredResponse,
};
use crate::store::{Store, StoreError};

/// Changes committed in one transaction at most.
pub const GROUP_CHANGES_MAX: usize = 256;
/// Changes waiting for the writer at most; callers wait for room beyond this.
const QUEUE_DEPTH: usize = 4_096;
/// Connections the writer's pool keeps at most (its transactions run on one at a time).
const WRITER_CONNECTIONS: u32 = 2;
/// Shift ids reserved at a time for new shifts.
const SHIFT_IDS_PER_RESERVATION: usize = 1_000;

/// What to do to a shift.
pub enum Change {
    /// Store a new shift, once per idempotency key.
    Submit {
        idempotency_key: String,
        request_sha256: String,
        shift: Box<AcceptedShift>,
    },
    /// Replace the segments of the version that was read (`If-Match`).
    Amend {
        shift_id: i64,
        read_version: i64,
        shift: Box<AcceptedShift>,
        /// Managers and finance may correct approved shifts; workers may not.
        may_amend_approved: bool,
    },
    /// Withdraw a shift; approved ones only by managers and finance.
    Withdraw {
        shift_id: i64,
        read_version: Option<i64>,
        may_withdraw_approved: bool,
    },
    /// Approve or reject a submitted shift.
    Decide {
        shift_id: i64,
        read_version: Option<i64>,
        approve: bool,
        reason: String,
    },
}

/// What a change did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new shift; `body` is the response stored for its idempotency key.
    Created { shift_id: i64, body: String },
    /// A retry of a key that already succeeded: the first response, unchanged.
    Replayed {
        shift_id: i64,
        status: u16,
        body: String,
    },
    /// An existing shift changed.
    Changed { shift_id: i64 },
}

/// Why a change was refused. None of these writes anything.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    #[error("worker '{worker_id}' already has a shift '{shift_ref}'; amend it instead")]
    RefTaken {
        worker_id: String,
        shift_ref: String,
        shift_id: i64,
    },
    #[error("segment {segment} overlaps shift '{other}' of worker '{worker_id}'")]
    Overlap {
        /// From 1.
        segment: usize,
        other: String,
        worker_id: String,
        /// The other shift's first start and last end, for saying in plain words what it is.
        other_start: DateTime<Utc>,
        other_end: DateTime<Utc>,
    },
    #[error("no such shift")]
    NotFound,
    #[error("the shift has changed since it was read: it is now version {current}")]
    VersionMismatch { current: i64 },
    #[error("{0}")]
    WrongStatus(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the shift writer has stopped")]
    Stopped,
}

struct Queued {
    actor: String,
    change: Change,
    reply: oneshot::Sender<Result<Outcome, ChangeError>>,
}

/// Settings of the writer.
#[derive(Clone, Copy, Debug)]
pub struct WriterSettings {
    pub zone: LocalZone,
    /// Store new and amended shifts as approved instead of submitted.
    pub auto_approve: bool,
}

/// A handle to the shift writer; cheap to clone.
#[derive(Clone)]
pub struct ShiftWriter {
    queue: mpsc::Sender<Queued>,
}

impl ShiftWriter {
    /// Starts the writer on a thread and runtime of its own, with its own connections to the
    /// database `store` uses: the writer is the one task every change waits for, so it never
    /// queues behind request handlers. It stops when every handle has been dropped, after
    /// committing what was queued.
    pub fn start(store: &Store, settings: WriterSettings) -> Result<ShiftWriter, StoreError> {
        let (queue, inbox) = mpsc::channel(QUEUE_DEPTH);
        let (ready, started) = std::sync::mpsc::channel();
        let store = store.clone();
        std::thread::Builder::new()
            .name("tms-shift-writer".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(StoreError::Corrupt(format!(
                            "cannot start the shift writer: {e}"
                        ))));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match store.reconnect(WRITER_CONNECTIONS).await {
                        Ok(own) => {
                            let _ = ready.send(Ok(()));
                            drop(store);
                            run(own.clone(), settings, inbox).await;
                            own.close().await;
                        }
                        Err(e) => {
                            let _ = ready.send(Err(e));
                        }
                    }
                });
            })
            .map_err(|e| StoreError::Corrupt(format!("cannot start the shift writer: {e}")))?;
        started
            .recv()
            .map_err(|_| StoreError::Corrupt("the shift writer did not start".into()))??;
        Ok(ShiftWriter { queue })
    }

    /// Applies a change made by `actor` (a principal's key) and waits until it is committed.
    pub async fn apply(&self, actor: &str, change: Change) -> Result<Outcome, ChangeError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Queued {
                actor: actor.to_owned(),
                change,
                reply,
            })
            .await
            .map_err(|_| ChangeError::Stopped)?;
        answer.await.map_err(|_| ChangeError::Stopped)?
    }
}

async fn run(store: Store, settings: WriterSettings, mut inbox: mpsc::Receiver<Queued>) {
    let mut writer = Writer {
        conn: ChangeConnection::new(store),
        settings,
        spare_ids: VecDeque::new(),
    };
    while let Some(first) = inbox.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP_CHANGES_MAX {
            match inbox.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let span = tracing::debug_span!("shift_changes", changes = group.len());
        let started = std::time::Instant::now();
        let committed = writer.commit_group(&group).instrument(span).await;
        tracing::debug!(
            changes = group.len(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "group committed"
        );
        match committed {
            Ok(outcomes) => {
                for (queued, outcome) in group.into_iter().zip(outcomes) {
                    let _ = queued.reply.send(outcome);
                }
            }
            Err(error) if group.len() > 1 => {
                // One change broke the transaction: apply each alone, so only it fails.
                tracing::warn!(%error, changes = group.len(), "group commit failed; retrying one by one");
                for queued in group {
                    let outcome = writer
                        .commit_group(std::slice::from_ref(&queued))
                        .await
                        .map_or_else(|e| Err(ChangeError::Store(e)), |mut o| o.remove(0));
                    let _ = queued.reply.send(outcome);
                }
            }
            Err(error) => {
                for queued in group {
                    let _ = queued
                        .reply
                        .send(Err(ChangeError::Store(StoreError::Conflict(
                            error.to_string(),
                        ))));
                }
            }
        }
    }
}

/// The writer's state between groups.
struct Writer {
    conn: ChangeConnection,
    settings: WriterSettings,
    /// Reserved shift ids not used yet, in order.
    spare_ids: VecDeque<i64>,
}

impl Writer {
    /// Applies a group of changes in one transaction; the outer error means nothing was
    /// committed.
    async fn commit_group(
        &mut self,
        group: &[Queued],
    ) -> Result<Vec<Result<Outcome, ChangeError>>, StoreError> {
        let result = self.try_commit_group(group).await;
        if result.is_err() {
            // Ids reserved in a transaction that rolled back may be handed out again.
            self.spare_ids.clear();
        }
        result
    }

    async fn try_commit_group(
        &mut self,
        group: &[Queued],
    ) -> Result<Vec<Result<Outcome, ChangeError>>, StoreError> {
        crate::failpoint::hit("changes.before_begin");
        let submits = group
            .iter()
            .filter(|q| matches!(q.change, Change::Submit { .. }))
            .count();
        let wanted = submits.max(SHIFT_IDS_PER_RESERVATION);
        let now = Utc::now();
        let mut tx = self.conn.begin().await?;
        if self.spare_ids.len() < submits {
            self.spare_ids.extend(tx.reserve_shift_ids(wanted).await?);
        }
        let (workers, shift_ids) = touched(group);
        tx.lock_group(workers, &shift_ids).await?;
        let outcomes = apply_all(&mut tx, self.settings, group, &mut self.spare_ids, now).await?;
        tx.commit().await?;
        Ok(outcomes)
    }
}

/// The workers a group's new shifts belong to, and the shifts it changes.
fn touched(group: &[Queued]) -> (Vec<String>, Vec<i64>) {
    let mut workers: Vec<String> = Vec::new();
    let mut shift_ids: Vec<i64> = Vec::new();
    for queued in group {
        match &queued.change {
            Change::Submit { shift, .. } => {
                workers.push(shift.candidate.draft.worker_id.to_string())
            }
            Change::Amend { shift_id, .. }
            | Change::Withdraw { shift_id, .. }
            | Change::Decide { shift_id, .. } => shift_ids.push(*shift_id),
        }
    }
    (workers, shift_ids)
}

/// Applies each change of a group in order inside `tx`. A refused change writes nothing and the
/// others go on; a storage error stops the group.
async fn apply_all(
    tx: &mut ChangeTx<'_>,
    settings: WriterSettings,
    group: &[Queued],
    spare_ids: &mut VecDeque<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<Result<Outcome, ChangeError>>, StoreError> {
    let mut outcomes = Vec::with_capacity(group.len());
    for queued in group {
        let outcome = match &queued.change {
            Change::Submit {
                idempotency_key,
                request_sha256,
                shift,
            } => {
                submit(
                    tx,
                    settings,
                    &queued.actor,
                    idempotency_key,
                    request_sha256,
                    shift,
                    spare_ids,
                    now,
                )
                .await
            }
            Change::Amend {
                shift_id,
                read_version,
                shift,
                may_amend_approved,
            } => {
                amend(
                    tx,
                    settings,
                    &queued.actor,
                    *shift_id,
                    *read_version,
                    shift,
                    *may_amend_approved,
                )
                .await
            }
            Change::Withdraw {
                shift_id,
                read_version,
                may_withdraw_approved,
            } => {
                let allowed = |status: ShiftStatus| match status {
                    ShiftStatus::Submitted | ShiftStatus::Rejected => Ok(()),
                    ShiftStatus::Approved if *may_withdraw_approved => Ok(()),
                    ShiftStatus::Approved => {
                        Err("an approved shift can only be withdrawn by a manager")
                    }
                    ShiftStatus::Withdrawn => Err("the shift is already withdrawn"),
                };
                set_status(
                    tx,
                    &queued.actor,
                    *shift_id,
                    *read_version,
                    (ShiftStatus::Withdrawn, "withdraw", ""),
                    allowed,
                    now,
                )
                .await
            }
            Change::Decide {
                shift_id,
                read_version,
                approve,
                reason,
            } => {
                let (status, action) = if *approve {
                    (ShiftStatus::Approved, "approve")
                } else {
                    (ShiftStatus::Rejected, "reject")
                };
                let allowed = |current: ShiftStatus| match current {
                    ShiftStatus::Submitted => Ok(()),
                    ShiftStatus::Approved => Err("the shift is already approved"),
                    ShiftStatus::Rejected => Err(
                        "the shift is already rejected; it can be approved after it is corrected",
                    ),
                    ShiftStatus::Withdrawn => Err("the shift has been withdrawn"),
                };
                set_status(
                    tx,
                    &queued.actor,
                    *shift_id,
                    *read_version,
                    (status, action, reason.as_str()),
                    allowed,
                    now,
                )
                .await
            }
        };
        match outcome {
            Err(ChangeError::Store(error)) => return Err(error),
            other => outcomes.push(other),
        }
    }
    Ok(outcomes)
}

/// The first overlap between the shift's segments and the worker's other live shifts.
async fn check_overlaps(tx: &mut ChangeTx<'_>, shift: &AcceptedShift) -> Result<(), ChangeError> {
    let candidate = &shift.candidate;
    let (first, last) = super::span(candidate);
    let nearby = tx
        .segments_overlapping(
            candidate.draft.worker_id.as_str(),
            candidate.draft.shift_ref.as_str(),
            first,
            last,
        )
        .await?;
    match first_overlap(candidate, &nearby) {
        Some(overlap) => Err(overlap),
        None => Ok(()),
    }
}

/// The first of `candidate`'s segments, in order, that overlaps one of `nearby` (the worker's
/// other live segments), as the refusal that names it and the other shift.
pub fn first_overlap(candidate: &Candidate, nearby: &[NearbySegment]) -> Option<ChangeError> {
    let instant = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or_default();
    candidate
        .records
        .iter()
        .enumerate()
        .find_map(|(i, record)| {
            let iv = record.draft.interval;
            let (start, end) = (iv.start.timestamp(), iv.end.timestamp());
            nearby
                .iter()
                .find(|s| s.start_utc < end && s.end_utc > start)
                .map(|other| ChangeError::Overlap {
                    segment: i + 1,
                    other: other.shift_ref.clone(),
                    worker_id: candidate.draft.worker_id.to_string(),
                    other_start: instant(other.first_start_utc),
                    other_end: instant(other.last_end_utc),
                })
        })
}

fn status_for(settings: WriterSettings) -> ShiftStatus {
    if settings.auto_approve {
        ShiftStatus::Approved
    } else {
        ShiftStatus::Submitted
    }
}

#[allow(clippy::too_many_arguments)]
async fn submit(
    tx: &mut ChangeTx<'_>,
    settings: WriterSettings,
    actor: &str,
    key: &str,
    request_sha256: &str,
    shift: &AcceptedShift,
    spare_ids: &mut VecDeque<i64>,
    now: DateTime<Utc>,
) -> Result<Outcome, ChangeError> {
    if let Some(stored) = tx.stored_response(actor, key).await? {
        if stored.request_sha256 != request_sha256 {
            return Err(ChangeError::KeyReused);
        }
        return Ok(Outcome::Replayed {
            shift_id: stored.shift_id,
            status: u16::try_from(stored.status_code).unwrap_or(201),
            body: stored.response_body,
        });
    }
    let draft = &shift.candidate.draft;
    tx.lock_worker(draft.worker_id.as_str()).await?;
    if let Some(shift_id) = tx
        .shift_id_by_ref(draft.worker_id.as_str(), draft.shift_ref.as_str())
        .await?
    {
        return Err(ChangeError::RefTaken {
            worker_id: draft.worker_id.to_string(),
            shift_ref: draft.shift_ref.to_string(),
            shift_id,
        });
    }
    check_overlaps(tx, shift).await?;
    let shift_id = spare_ids
        .pop_front()
        .expect("ids are reserved for every submission of the group");
    let ctx = WriteContext {
        status: status_for(settings),
        source: "api",
        actor,
    };
    let batch = shift_batch(
        std::slice::from_ref(shift),
        Vec::new(),
        ctx,
        "",
        &[shift_id],
    );
    tx.write_batch(&batch).await?;
    let header = tx
        .header(shift_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("shift {shift_id} vanished after insert")))?;
    let record = shift_records::ShiftRecord {
        header,
        segments: super::segment_rows(shift_id, &shift.candidate),
    };
    let body = record.to_json(settings.zone).to_string();
    tx.store_response(
        actor,
        key,
        &StoredResponse {
            request_sha256: request_sha256.to_owned(),
            shift_id,
            status_code: 201,
            response_body: body.clone(),
        },
        now,
    )
    .await?;
    Ok(Outcome::Created { shift_id, body })
}

async fn read_for_change(
    tx: &mut ChangeTx<'_>,
    shift_id: i64,
    read_version: Option<i64>,
) -> Result<ShiftHeader, ChangeError> {
    let header = tx.header(shift_id).await?.ok_or(ChangeError::NotFound)?;
    tx.lock_worker(&header.worker_id).await?;
    match read_version {
        Some(v) if v != header.version => Err(ChangeError::VersionMismatch {
            current: header.version,
        }),
        _ => Ok(header),
    }
}

async fn amend(
    tx: &mut ChangeTx<'_>,
    settings: WriterSettings,
    actor: &str,
    shift_id: i64,
    read_version: i64,
    shift: &AcceptedShift,
    may_amend_approved: bool,
) -> Result<Outcome, ChangeError> {
    let header = read_for_change(tx, shift_id, Some(read_version)).await?;
    match header.status {
        ShiftStatus::Withdrawn => {
            return Err(ChangeError::WrongStatus(
                "a withdrawn shift cannot be amended".into(),
            ));
        }
        ShiftStatus::Approved if !may_amend_approved => {
            return Err(ChangeError::WrongStatus(
                "the shift is approved: ask a manager to correct it".into(),
            ));
        }
        _ => {}
    }
    check_overlaps(tx, shift).await?;
    let replacing = AcceptedShift {
        candidate: shift.candidate.clone(),
        costed: shift.costed.clone(),
        cost_centre: shift.cost_centre.clone(),
        replaces: Some(StoredShift {
            shift_id,
            content_hash: header.content_hash.clone(),
            version: header.version,
        }),
        reference_version: shift.reference_version,
    };
    let ctx = WriteContext {
        status: status_for(settings),
        source: "api",
        actor,
    };
    let batch = shift_batch(std::slice::from_ref(&replacing), Vec::new(), ctx, "", &[]);
    tx.write_batch(&batch).await.map_err(|e| match e {
        StoreError::Conflict(_) => ChangeError::VersionMismatch {
            current: header.version + 1,
        },
        other => ChangeError::Store(other),
    })?;
    Ok(Outcome::Changed { shift_id })
}

async fn set_status(
    tx: &mut ChangeTx<'_>,
    actor: &str,
    shift_id: i64,
    read_version: Option<i64>,
    (status, action, reason): (ShiftStatus, &str, &str),
    allowed: impl Fn(ShiftStatus) -> Result<(), &'static str>,
    now: DateTime<Utc>,
) -> Result<Outcome, ChangeError> {
    let header = read_for_change(tx, shift_id, read_version).await?;
    allowed(header.status).map_err(|why| ChangeError::WrongStatus(why.to_owned()))?;
    let decision = Decision {
        shift_id,
        read_version: header.version,
        status,
        reason,
        actor,
        now,
    };
    if !tx.decide(&decision).await? {
        return Err(ChangeError::VersionMismatch {
            current: header.version + 1,
        });
    }
    tx.audit(&AuditEntry {
        header: &header,
        version: header.version + 1,
        action,
        status,
        after_hash: &header.content_hash,
        actor,
        detail: reason,
        now,
    })
    .await?;
    Ok(Outcome::Changed { shift_id })
}
