//! One `job_run` row per step and key: where each step of each night stands, and the run reports.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::lease::{Lease, check_lease};
use crate::store::bulk::{instant_from_seconds, instant_seconds};
use crate::store::{Store, StoreError, Tx, on_pool, on_tx};

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
    let row: Option<JobRunRow> = on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/job_run_get.sql"))
        .bind(step).bind(run_key).fetch_optional(pool).await?);
    row.map(job_run_of).transpose()
}

/// Every step recorded under either key (a business date and its period), oldest first.
pub async fn job_runs_for(
    store: &Store,
    date_key: &str,
    period_key: &str,
) -> Result<Vec<JobRun>, StoreError> {
    let rows: Vec<JobRunRow> = on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/job_runs_by_key.sql"))
        .bind(date_key).bind(period_key).fetch_all(pool).await?);
    rows.into_iter().map(job_run_of).collect()
}

/// The latest key `step` has completed.
pub async fn last_done(store: &Store, step: &str) -> Result<Option<String>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_scalar(include_str!("../../../sql/job_run_last_done.sql"))
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
    let id: Option<i64> = on_tx!(&mut tx, conn => sqlx::query_scalar(include_str!("../../../sql/job_run_start.sql"))
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
    let updated = on_tx!(tx, conn => sqlx::query(include_str!("../../../sql/job_run_finish.sql"))
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
    on_tx!(tx, conn => sqlx::query(include_str!("../../../sql/run_report_insert.sql"))
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
        on_pool!(store, pool => sqlx::query_scalar(include_str!("../../../sql/run_report_latest.sql"))
        .bind(business_date).fetch_optional(pool).await?),
    )
}
