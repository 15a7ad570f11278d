//! One `job_run` row per step and key: where each step of each night stands, and the run reports.
//! A step's totals are stored as a JSON object of counts by name beside an integer amount in
//! pence, and read back as the step's typed [`StepTotals`]: a step name or a count that is not
//! known is an error naming it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::lease::{Lease, check_lease};
use crate::domain::{Pence, Step};
pub use crate::domain::{StepReport, StepTotals};
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRun {
    pub id: i64,
    pub step: Step,
    pub run_key: String,
    pub status: JobStatus,
    pub attempts: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub totals: StepTotals,
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
    let corrupt = |what: String| StoreError::Corrupt(format!("job run {id}: {what}"));
    let step = Step::from_name(&step).map_err(|e| corrupt(e.to_string()))?;
    Ok(JobRun {
        id,
        step,
        run_key,
        status: JobStatus::parse(&status)?,
        attempts,
        started_at: instant_from_seconds(started).ok_or_else(|| corrupt("start".into()))?,
        finished_at: finished.and_then(instant_from_seconds),
        totals: totals_of(step, &counts, amount).map_err(corrupt)?,
        warnings: serde_json::from_str(&warnings).map_err(|_| corrupt("warnings".into()))?,
        error,
    })
}

/// A step's counts as stored: a JSON object of whole numbers by name, in name order
/// (`{"files":2,"files_refused":1}`).
fn counts_json(totals: &StepTotals) -> BTreeMap<&'static str, i64> {
    totals.counts().into_iter().collect()
}

/// Typed totals of `step` from its stored counts and amount.
fn totals_of(step: Step, counts: &str, amount_pence: i64) -> Result<StepTotals, String> {
    let counts: BTreeMap<String, i64> =
        serde_json::from_str(counts).map_err(|e| format!("counts: {e}"))?;
    StepTotals::from_parts(
        step,
        counts.iter().map(|(name, n)| (name.as_str(), *n)),
        Pence::new(amount_pence),
    )
    .map_err(|e| format!("counts: {e}"))
}

/// A step's report (a partition's share of it) as stored in one JSON value:
/// `{"counts":{...},"amount_pence":0,"warnings":[...]}`.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredReport {
    counts: BTreeMap<String, i64>,
    amount_pence: i64,
    warnings: Vec<String>,
}

/// A report as one JSON value, for a partition's plan and result.
pub(super) fn report_json(report: &StepReport) -> String {
    let stored = StoredReport {
        counts: report
            .totals
            .counts()
            .into_iter()
            .map(|(name, n)| (name.to_owned(), n))
            .collect(),
        amount_pence: report.totals.amount().get(),
        warnings: report.warnings.clone(),
    };
    serde_json::to_string(&stored).expect("a report serialises")
}

/// A report of `step` from one JSON value.
pub(super) fn report_of(step: Step, json: &str) -> Result<StepReport, String> {
    let stored: StoredReport = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let totals = StepTotals::from_parts(
        step,
        stored.counts.iter().map(|(name, n)| (name.as_str(), *n)),
        Pence::new(stored.amount_pence),
    )
    .map_err(|e| e.to_string())?;
    Ok(StepReport {
        totals,
        warnings: stored.warnings,
    })
}

/// The record of `step` for `run_key`, if it has ever started.
pub async fn job_run(
    store: &Store,
    step: Step,
    run_key: &str,
) -> Result<Option<JobRun>, StoreError> {
    let row: Option<JobRunRow> = on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/job_run_get.sql"))
        .bind(step.name()).bind(run_key).fetch_optional(pool).await?);
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
pub async fn last_done(store: &Store, step: Step) -> Result<Option<String>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_scalar(include_str!("../../../sql/job_run_last_done.sql"))
        .bind(step.name()).fetch_one(pool).await?),
    )
}

/// Marks a step running under `lease`; `None` when it is already done and not `force`d.
pub async fn start_job_run(
    store: &Store,
    lease: &Lease,
    step: Step,
    run_key: &str,
    force: bool,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let mut tx = store.begin().await?;
    check_lease(&mut tx, lease).await?;
    let id: Option<i64> = on_tx!(&mut tx, conn => sqlx::query_scalar(include_str!("../../../sql/job_run_start.sql"))
        .bind(step.name()).bind(run_key).bind(lease.token).bind(instant_seconds(&now)).bind(force)
        .fetch_optional(conn).await?);
    tx.commit().await?;
    Ok(id)
}

/// Records a step's end with its report, in a transaction the caller may have written the step's
/// last effects in; fails if the lease was lost.
pub async fn finish_job_run_in(
    tx: &mut Tx,
    lease: &Lease,
    job_run_id: i64,
    status: JobStatus,
    report: &StepReport,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    check_lease(tx, lease).await?;
    let counts = serde_json::to_string(&counts_json(&report.totals)).expect("counts serialise");
    let warnings = serde_json::to_string(&report.warnings).expect("warnings serialise");
    let updated = on_tx!(tx, conn => sqlx::query(include_str!("../../../sql/job_run_finish.sql"))
        .bind(job_run_id).bind(lease.token).bind(status.as_str()).bind(instant_seconds(&now))
        .bind(counts).bind(report.totals.amount().get()).bind(warnings).bind(error)
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
