//! The partitions of a step that `tms worker` processes claim, fence and complete.

use chrono::{DateTime, Utc};

use super::job_runs::{report_json, report_of};
use crate::domain::{Step, StepReport};
use crate::store::bulk::instant_seconds;
use crate::store::{Store, StoreError, Tx, on_pool, on_tx};

/// A partition a worker holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionClaim {
    pub step: Step,
    pub run_key: String,
    pub partition_key: String,
    pub token: i64,
    /// The work planned when the partition was made: its share of the step's totals.
    pub planned: StepReport,
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
    step: Step,
    run_key: &str,
    partitions: &[(String, StepReport)],
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    for (key, planned) in partitions {
        let json = report_json(planned);
        on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/partition_ensure.sql"))
            .bind(step.name()).bind(run_key).bind(key).bind(json).execute(conn).await?.rows_affected());
    }
    tx.commit().await
}

/// Forgets a step's partitions, so a forced re-run starts from none done.
pub async fn reset_partitions(store: &Store, step: Step, run_key: &str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/partition_reset.sql"))
        .bind(step.name()).bind(run_key).execute(conn).await?.rows_affected());
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
            sqlx::query_as(include_str!("../../../sql/sqlite/partition_claim.sql"))
                .bind(owner)
                .bind(expires)
                .bind(instant_seconds(&now))
                .fetch_optional(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_as(include_str!("../../../sql/postgres/partition_claim.sql"))
                .bind(owner)
                .bind(expires)
                .bind(instant_seconds(&now))
                .fetch_optional(&mut **t)
                .await?
        }
    };
    tx.commit().await?;
    row.map(|(step, run_key, partition_key, token, planned)| {
        let corrupt = |what: String| {
            StoreError::Corrupt(format!(
                "partition {step}/{run_key}/{partition_key}: {what}"
            ))
        };
        let step = Step::from_name(&step).map_err(|e| corrupt(e.to_string()))?;
        let planned = report_of(step, &planned).map_err(corrupt)?;
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
    let updated = on_tx!(tx, conn => sqlx::query(include_str!("../../../sql/partition_renew.sql"))
        .bind(claim.step.name()).bind(&claim.run_key).bind(&claim.partition_key).bind(claim.token)
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
    result: &StepReport,
) -> Result<(), StoreError> {
    let json = report_json(result);
    let mut tx = store.begin().await?;
    let updated = on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/partition_complete.sql"))
        .bind(claim.step.name()).bind(&claim.run_key).bind(&claim.partition_key).bind(claim.token)
        .bind(json).execute(conn).await?.rows_affected());
    if updated != 1 {
        return Err(claim.lost());
    }
    tx.commit().await
}

/// Partitions of a step not yet done.
pub async fn open_partitions(store: &Store, step: Step, run_key: &str) -> Result<i64, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_scalar(include_str!("../../../sql/partition_open.sql"))
        .bind(step.name()).bind(run_key).fetch_one(pool).await?),
    )
}

/// Results of a step's finished partitions, by partition key.
pub async fn partition_results(
    store: &Store,
    step: Step,
    run_key: &str,
) -> Result<Vec<(String, StepReport)>, StoreError> {
    let rows: Vec<(String, String)> = on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/partition_results.sql"))
        .bind(step.name()).bind(run_key).fetch_all(pool).await?);
    rows.into_iter()
        .map(|(key, json)| {
            report_of(step, &json)
                .map(|report| (key.clone(), report))
                .map_err(|e| StoreError::Corrupt(format!("partition {step}/{run_key}/{key}: {e}")))
        })
        .collect()
}
