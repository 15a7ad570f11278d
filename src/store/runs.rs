//! The nightly pipeline's records: the run lease and its fencing token, one `job_run` row per
//! step and key, run reports, the email outbox, and the partitions `tms worker` claims.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::bulk::{instant_from_seconds, instant_seconds};
use super::{Store, StoreError, Tx, on_pool, on_tx};

/// The lease every pipeline run takes.
pub const NIGHTLY_LEASE: &str = "nightly";

/// A lease this process holds: its token fences out any earlier holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub token: i64,
}

/// Where the process holding a lease runs: enough for another process on the same machine to
/// tell whether it is still alive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolderProcess {
    pub host: String,
    /// The kernel's boot id: a process id means nothing after a reboot.
    pub boot_id: String,
    /// The process id namespace: a process id means nothing in another container.
    pub pid_namespace: String,
    pub pid: i64,
}

/// The answer to a request for the lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseClaim {
    Acquired(Lease),
    /// Someone else holds it until `expires_at`, under `token`.
    Held {
        holder: String,
        expires_at: DateTime<Utc>,
        token: i64,
        process: HolderProcess,
    },
}

type LeaseRow = (Option<String>, i64, i64, String, String, String, i64);

async fn lease_state(tx: &mut Tx, name: &str) -> Result<LeaseRow, StoreError> {
    Ok(
        on_tx!(tx, conn => sqlx::query_as(include_str!("../../sql/lease_state.sql"))
        .bind(name).fetch_one(conn).await?),
    )
}

/// Takes the lease `name` for `ttl` unless a live holder has it.
pub async fn acquire_lease(
    store: &Store,
    name: &str,
    holder: &str,
    process: &HolderProcess,
    ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<LeaseClaim, StoreError> {
    let expires = instant_seconds(&(now + ttl));
    let mut tx = store.begin().await?;
    let token: Option<i64> = on_tx!(&mut tx, conn => sqlx::query_scalar(include_str!("../../sql/lease_acquire.sql"))
        .bind(name).bind(holder).bind(expires).bind(instant_seconds(&now))
        .bind(&process.host).bind(&process.boot_id).bind(&process.pid_namespace).bind(process.pid)
        .fetch_optional(conn).await?);
    let claim = match token {
        Some(token) => LeaseClaim::Acquired(Lease {
            name: name.to_owned(),
            holder: holder.to_owned(),
            token,
        }),
        None => {
            let (holder, token, expires_at, host, boot_id, pid_namespace, pid) =
                lease_state(&mut tx, name).await?;
            LeaseClaim::Held {
                holder: holder.unwrap_or_default(),
                expires_at: instant_from_seconds(expires_at).unwrap_or_default(),
                token,
                process: HolderProcess {
                    host,
                    boot_id,
                    pid_namespace,
                    pid,
                },
            }
        }
    };
    tx.commit().await?;
    Ok(claim)
}

/// Takes the lease `name` from a holder found dead, before it expires; `None` when someone else
/// has taken it since `held_token` was read. The token still grows, fencing out the old holder
/// should it not be dead after all.
pub async fn take_over_lease(
    store: &Store,
    name: &str,
    holder: &str,
    process: &HolderProcess,
    ttl: chrono::Duration,
    held_token: i64,
    now: DateTime<Utc>,
) -> Result<Option<Lease>, StoreError> {
    let expires = instant_seconds(&(now + ttl));
    let mut tx = store.begin().await?;
    let token: Option<i64> = on_tx!(&mut tx, conn => sqlx::query_scalar(include_str!("../../sql/lease_take_over.sql"))
        .bind(name).bind(holder).bind(expires).bind(held_token)
        .bind(&process.host).bind(&process.boot_id).bind(&process.pid_namespace).bind(process.pid)
        .fetch_optional(conn).await?);
    tx.commit().await?;
    Ok(token.map(|token| Lease {
        name: name.to_owned(),
        holder: holder.to_owned(),
        token,
    }))
}

/// Extends the lease; `false` when another run has taken it over.
pub async fn renew_lease(
    store: &Store,
    lease: &Lease,
    ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let expires = instant_seconds(&(now + ttl));
    let mut tx = store.begin().await?;
    let renewed = on_tx!(&mut tx, conn => sqlx::query(include_str!("../../sql/lease_renew.sql"))
        .bind(&lease.name).bind(lease.token).bind(expires).execute(conn).await?.rows_affected());
    tx.commit().await?;
    Ok(renewed == 1)
}

/// Gives the lease up, if this holder still has it.
pub async fn release_lease(store: &Store, lease: &Lease) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../sql/lease_release.sql"))
        .bind(&lease.name).bind(lease.token).execute(conn).await?.rows_affected());
    tx.commit().await
}

/// Fails the transaction unless `lease` is still held: the check and the writes it guards commit
/// together, so a run that lost its lease changes nothing.
pub async fn check_lease(tx: &mut Tx, lease: &Lease) -> Result<(), StoreError> {
    let (holder, token, ..) = lease_state(tx, &lease.name).await?;
    if token == lease.token && holder.as_deref() == Some(lease.holder.as_str()) {
        Ok(())
    } else {
        Err(StoreError::LeaseLost(lease.name.clone()))
    }
}

/// Where a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Running,
    Done,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    fn parse(raw: &str) -> Result<JobStatus, StoreError> {
        match raw {
            "running" => Ok(JobStatus::Running),
            "done" => Ok(JobStatus::Done),
            "failed" => Ok(JobStatus::Failed),
            other => Err(StoreError::Corrupt(format!("job run status {other:?}"))),
        }
    }
}

/// A step's record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct JobRun {
    pub id: i64,
    pub step: String,
    pub run_key: String,
    pub status: JobStatus,
    pub attempts: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub counts: BTreeMap<String, i64>,
    pub amount_pence: i64,
    pub warnings: Vec<String>,
    pub error: Option<String>,
}

type JobRunRow = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    String,
    i64,
    String,
    Option<String>,
);

fn job_run_of(row: JobRunRow) -> Result<JobRun, StoreError> {
    let (id, step, run_key, status, attempts, started, finished, counts, amount, warnings, error) =
        row;
    let corrupt = |what: &str| StoreError::Corrupt(format!("job run {id}: {what}"));
    Ok(JobRun {
        id,
        step,
        run_key,
        status: JobStatus::parse(&status)?,
        attempts,
        started_at: instant_from_seconds(started).ok_or_else(|| corrupt("start"))?,
        finished_at: finished.and_then(instant_from_seconds),
        counts: serde_json::from_str(&counts).map_err(|_| corrupt("counts"))?,
        amount_pence: amount,
        warnings: serde_json::from_str(&warnings).map_err(|_| corrupt("warnings"))?,
        error,
    })
}

/// The record of `step` for `run_key`, if it has ever started.
pub async fn job_run(
    store: &Store,
    step: &str,
    run_key: &str,
) -> Result<Option<JobRun>, StoreError> {
    let row: Option<JobRunRow> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/job_run_get.sql"))
        .bind(step).bind(run_key).fetch_optional(pool).await?);
    row.map(job_run_of).transpose()
}

/// Every step recorded under either key (a business date and its period), oldest first.
pub async fn job_runs_for(
    store: &Store,
    date_key: &str,
    period_key: &str,
) -> Result<Vec<JobRun>, StoreError> {
    let rows: Vec<JobRunRow> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/job_runs_by_key.sql"))
        .bind(date_key).bind(period_key).fetch_all(pool).await?);
    rows.into_iter().map(job_run_of).collect()
}

/// The latest key `step` has completed.
pub async fn last_done(store: &Store, step: &str) -> Result<Option<String>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_scalar(include_str!("../../sql/job_run_last_done.sql"))
        .bind(step).fetch_one(pool).await?),
    )
}

/// Marks a step running under `lease`; `None` when it is already done and not `force`d.
pub async fn start_job_run(
    store: &Store,
    lease: &Lease,
    step: &str,
    run_key: &str,
    force: bool,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let mut tx = store.begin().await?;
    check_lease(&mut tx, lease).await?;
    let id: Option<i64> = on_tx!(&mut tx, conn => sqlx::query_scalar(include_str!("../../sql/job_run_start.sql"))
        .bind(step).bind(run_key).bind(lease.token).bind(instant_seconds(&now)).bind(force)
        .fetch_optional(conn).await?);
    tx.commit().await?;
    Ok(id)
}

/// What a finished step reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StepTotals {
    pub counts: BTreeMap<String, i64>,
    pub amount_pence: i64,
    pub warnings: Vec<String>,
}

/// Records a step's end in a transaction the caller may have written the step's last effects
/// in; fails if the lease was lost.
pub async fn finish_job_run_in(
    tx: &mut Tx,
    lease: &Lease,
    job_run_id: i64,
    status: JobStatus,
    totals: &StepTotals,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    check_lease(tx, lease).await?;
    let counts = serde_json::to_string(&totals.counts).expect("counts serialise");
    let warnings = serde_json::to_string(&totals.warnings).expect("warnings serialise");
    let updated = on_tx!(tx, conn => sqlx::query(include_str!("../../sql/job_run_finish.sql"))
        .bind(job_run_id).bind(lease.token).bind(status.as_str()).bind(instant_seconds(&now))
        .bind(counts).bind(totals.amount_pence).bind(warnings).bind(error)
        .execute(conn).await?.rows_affected());
    if updated == 1 {
        Ok(())
    } else {
        Err(StoreError::LeaseLost(lease.name.clone()))
    }
}

/// Stores a run report in the caller's transaction.
pub async fn store_run_report_in(
    tx: &mut Tx,
    business_date: &str,
    outcome: JobStatus,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    summary: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => sqlx::query(include_str!("../../sql/run_report_insert.sql"))
        .bind(business_date).bind(outcome.as_str()).bind(instant_seconds(&started_at))
        .bind(instant_seconds(&finished_at)).bind(summary).execute(conn).await?.rows_affected());
    Ok(())
}

/// The newest report for a business date.
pub async fn latest_run_report(
    store: &Store,
    business_date: &str,
) -> Result<Option<String>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_scalar(include_str!("../../sql/run_report_latest.sql"))
        .bind(business_date).fetch_optional(pool).await?),
    )
}

/// An email waiting in (or gone from) the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    pub message_id: String,
    pub kind: String,
    /// Addresses separated by `;`.
    pub recipients: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub status: String,
    pub attempts: i64,
}

/// Queues a message in `tx`; the same message id queued again is kept once.
pub async fn enqueue_in(tx: &mut Tx, message: &OutboxMessage) -> Result<bool, StoreError> {
    let inserted = on_tx!(tx, conn => sqlx::query(include_str!("../../sql/outbox_enqueue.sql"))
        .bind(&message.message_id).bind(&message.kind).bind(&message.recipients)
        .bind(&message.subject).bind(&message.body).bind(instant_seconds(&message.created_at))
        .execute(conn).await?.rows_affected());
    Ok(inserted == 1)
}

/// Messages still to send (`pending`) or whose sending was interrupted (`sending`).
pub async fn outbox_due(store: &Store, limit: i64) -> Result<Vec<OutboxMessage>, StoreError> {
    type Row = (String, String, String, String, String, i64, String, i64);
    let rows: Vec<Row> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/outbox_due.sql"))
        .bind(limit).fetch_all(pool).await?);
    Ok(rows
        .into_iter()
        .map(
            |(message_id, kind, recipients, subject, body, created, status, attempts)| {
                OutboxMessage {
                    message_id,
                    kind,
                    recipients,
                    subject,
                    body,
                    created_at: instant_from_seconds(created).unwrap_or_default(),
                    status,
                    attempts,
                }
            },
        )
        .collect())
}

/// Moves a message to `status` (`sending`, `sent`, `unknown` or `failed`).
pub async fn mark_outbox(
    store: &Store,
    message_id: &str,
    status: &str,
    attempt: bool,
    sent_at: Option<DateTime<Utc>>,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../sql/outbox_mark.sql"))
        .bind(message_id).bind(status).bind(i64::from(attempt))
        .bind(sent_at.as_ref().map(instant_seconds)).bind(error).execute(conn).await?.rows_affected());
    tx.commit().await
}

/// Messages per status that one send-outbox step took, across its attempts.
pub async fn outbox_sent_by(
    store: &Store,
    job_run_id: i64,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/outbox_sent_by.sql"))
        .bind(job_run_id).fetch_all(pool).await?);
    Ok(rows.into_iter().collect())
}

/// A partition a worker holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionClaim {
    pub step: String,
    pub run_key: String,
    pub partition_key: String,
    pub token: i64,
    /// The work planned when the partition was made.
    pub planned: StepTotals,
}

impl PartitionClaim {
    /// The error for a write refused because this claim was taken over.
    pub fn lost(&self) -> StoreError {
        StoreError::ClaimLost(format!(
            "{}/{}/{}",
            self.step, self.run_key, self.partition_key
        ))
    }
}

/// Creates the partitions of a step with the work planned for each (those that exist are left
/// as they are).
pub async fn ensure_partitions(
    store: &Store,
    step: &str,
    run_key: &str,
    partitions: &[(String, StepTotals)],
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    for (key, planned) in partitions {
        let json = serde_json::to_string(planned).expect("totals serialise");
        on_tx!(&mut tx, conn => sqlx::query(include_str!("../../sql/partition_ensure.sql"))
            .bind(step).bind(run_key).bind(key).bind(json).execute(conn).await?.rows_affected());
    }
    tx.commit().await
}

/// Forgets a step's partitions, so a forced re-run starts from none done.
pub async fn reset_partitions(store: &Store, step: &str, run_key: &str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../sql/partition_reset.sql"))
        .bind(step).bind(run_key).execute(conn).await?.rows_affected());
    tx.commit().await
}

/// Claims an open partition of any step for `ttl`: `SKIP LOCKED` on PostgreSQL, the write lock
/// on SQLite.
pub async fn claim_partition(
    store: &Store,
    owner: &str,
    ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Option<PartitionClaim>, StoreError> {
    let expires = instant_seconds(&(now + ttl));
    let mut tx = store.begin().await?;
    let row: Option<(String, String, String, i64, String)> = match &mut tx {
        Tx::Sqlite(t) => {
            sqlx::query_as(include_str!("../../sql/sqlite/partition_claim.sql"))
                .bind(owner)
                .bind(expires)
                .bind(instant_seconds(&now))
                .fetch_optional(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_as(include_str!("../../sql/postgres/partition_claim.sql"))
                .bind(owner)
                .bind(expires)
                .bind(instant_seconds(&now))
                .fetch_optional(&mut **t)
                .await?
        }
    };
    tx.commit().await?;
    row.map(|(step, run_key, partition_key, token, planned)| {
        let planned = serde_json::from_str(&planned).map_err(|_| {
            StoreError::Corrupt(format!("partition {step}/{run_key}/{partition_key}"))
        })?;
        Ok(PartitionClaim {
            step,
            run_key,
            partition_key,
            token,
            planned,
        })
    })
    .transpose()
}

/// Extends a claim inside `tx`, failing it if another worker has taken the partition over: the
/// fence on every write a worker makes.
pub async fn fence_partition_in(
    tx: &mut Tx,
    claim: &PartitionClaim,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let updated = on_tx!(tx, conn => sqlx::query(include_str!("../../sql/partition_renew.sql"))
        .bind(&claim.step).bind(&claim.run_key).bind(&claim.partition_key).bind(claim.token)
        .bind(instant_seconds(&expires_at)).execute(conn).await?.rows_affected());
    if updated == 1 {
        Ok(())
    } else {
        Err(claim.lost())
    }
}

/// Marks a claimed partition done with its result, fenced by the claim's token.
pub async fn complete_partition(
    store: &Store,
    claim: &PartitionClaim,
    result: &StepTotals,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(result).expect("totals serialise");
    let mut tx = store.begin().await?;
    let updated = on_tx!(&mut tx, conn => sqlx::query(include_str!("../../sql/partition_complete.sql"))
        .bind(&claim.step).bind(&claim.run_key).bind(&claim.partition_key).bind(claim.token)
        .bind(json).execute(conn).await?.rows_affected());
    if updated != 1 {
        return Err(claim.lost());
    }
    tx.commit().await
}

/// Partitions of a step not yet done.
pub async fn open_partitions(store: &Store, step: &str, run_key: &str) -> Result<i64, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_scalar(include_str!("../../sql/partition_open.sql"))
        .bind(step).bind(run_key).fetch_one(pool).await?),
    )
}

/// Results of a step's finished partitions, by partition key.
pub async fn partition_results(
    store: &Store,
    step: &str,
    run_key: &str,
) -> Result<Vec<(String, StepTotals)>, StoreError> {
    let rows: Vec<(String, String)> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/partition_results.sql"))
        .bind(step).bind(run_key).fetch_all(pool).await?);
    rows.into_iter()
        .map(|(key, json)| {
            serde_json::from_str::<StepTotals>(&json)
                .map(|totals| (key.clone(), totals))
                .map_err(|_| StoreError::Corrupt(format!("partition {step}/{run_key}/{key}")))
        })
        .collect()
}

/// Moves a pending message to `sending`; `false` if another sender got there first.
pub async fn claim_outbox(
    store: &Store,
    message_id: &str,
    sender: Option<i64>,
) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    let claimed = on_tx!(&mut tx, conn => sqlx::query(include_str!("../../sql/outbox_claim.sql"))
        .bind(message_id).bind(sender).execute(conn).await?.rows_affected());
    tx.commit().await?;
    Ok(claimed == 1)
}

/// An inbox file an ingest step handled.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct IngestFile {
    pub file_name: String,
    pub sha256: String,
    pub kind: String,
    /// `imported`, `rejected_rows`, `refused` or `duplicate`.
    pub outcome: String,
    pub rows_read: i64,
    pub shifts_new: i64,
    pub shifts_amended: i64,
    pub shifts_unchanged: i64,
    pub shifts_rejected: i64,
    pub rows_rejected: i64,
    pub detail: String,
}

impl IngestFile {
    /// Takes a shift import's counts; rejected rows make the outcome `rejected_rows`.
    pub fn take_counts(&mut self, counts: &super::shifts::ImportCounts) {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.rows_read = n(counts.rows_read);
        self.shifts_new = n(counts.shifts_new);
        self.shifts_amended = n(counts.shifts_amended);
        self.shifts_unchanged = n(counts.shifts_unchanged);
        self.shifts_rejected = n(counts.shifts_rejected);
        self.rows_rejected = n(counts.rows_rejected);
        if counts.rows_rejected > 0 {
            self.outcome = "rejected_rows".to_owned();
        }
    }
}

/// Records how an ingest step handled a file.
pub async fn put_ingest_file(
    store: &Store,
    job_run_id: i64,
    file: &IngestFile,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../sql/ingest_file_put.sql"))
        .bind(job_run_id).bind(&file.file_name).bind(&file.sha256).bind(&file.kind)
        .bind(&file.outcome).bind(file.rows_read).bind(file.shifts_new).bind(file.shifts_amended)
        .bind(file.shifts_unchanged).bind(file.shifts_rejected).bind(file.rows_rejected)
        .bind(&file.detail).execute(conn).await?.rows_affected());
    tx.commit().await
}

/// The files an ingest step has handled so far.
pub async fn ingest_files(store: &Store, job_run_id: i64) -> Result<Vec<IngestFile>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/ingest_files.sql"))
        .bind(job_run_id).fetch_all(pool).await?),
    )
}

/// A shift file's earlier import with the same content.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EarlierImport {
    pub import_file_id: i64,
    pub status: String,
    pub job_run_id: Option<i64>,
    pub file_name: String,
    pub first_imported_at: i64,
    pub last_imported_at: i64,
    pub rows_read: i64,
    pub shifts_new: i64,
    pub shifts_amended: i64,
    pub shifts_unchanged: i64,
    pub shifts_rejected: i64,
    pub rows_rejected: i64,
}

impl EarlierImport {
    /// Its counts as the import reported them.
    pub fn counts(&self) -> super::shifts::ImportCounts {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        super::shifts::ImportCounts {
            rows_read: n(self.rows_read),
            shifts_new: n(self.shifts_new),
            shifts_amended: n(self.shifts_amended),
            shifts_unchanged: n(self.shifts_unchanged),
            shifts_rejected: n(self.shifts_rejected),
            rows_rejected: n(self.rows_rejected),
        }
    }
}

/// The import of a file with these bytes, if any.
pub async fn earlier_import(
    store: &Store,
    kind: &str,
    sha256: &str,
) -> Result<Option<EarlierImport>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/import_file_by_hash.sql"))
        .bind(kind).bind(sha256).fetch_optional(pool).await?),
    )
}

/// Shifts created and amended by CSV files named `file_name` since `since`, by the audit trail.
pub async fn file_changes_since(
    store: &Store,
    file_name: &str,
    since: i64,
) -> Result<(i64, i64), StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/import_changes_since.sql"))
        .bind(file_name).bind(since).fetch_one(pool).await?),
    )
}

/// Corrects the new, amended and unchanged counts of a finished import.
pub async fn recount_import(
    store: &Store,
    import_file_id: i64,
    counts: &super::shifts::ImportCounts,
) -> Result<(), StoreError> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../sql/import_file_recount.sql"))
        .bind(import_file_id).bind(n(counts.shifts_new)).bind(n(counts.shifts_amended))
        .bind(n(counts.shifts_unchanged)).execute(conn).await?.rows_affected());
    tx.commit().await
}
