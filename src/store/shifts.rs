//! Shifts in storage: staging an import, finding stored overlaps, writing accepted shifts with
//! their segments, audit rows and allocation rows, and streaming shifts that need costing.

use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;

use super::bulk::instant_seconds;
use super::{Store, StoreError, on_pool, on_tx};
use crate::domain::import::ImportStatus;
use crate::domain::shift::ShiftStatus;

/// Most allocation rows one shift can have. Its rows are keyed `shift_id * this + row_no`, so
/// each shift owns one key range: 96 segments, each split a few times at midnights and bands,
/// times 12 people, stays far below it.
pub const ALLOCATION_ROWS_PER_SHIFT_MAX: usize = 65_536;

/// The key of a shift's allocation row.
pub fn allocation_key(shift_id: i64, row_no: usize) -> i64 {
    assert!(
        row_no < ALLOCATION_ROWS_PER_SHIFT_MAX,
        "a shift's allocation rows fit its key range"
    );
    allocation_keys(shift_id).start + row_no as i64
}

/// The key range of a shift's allocation rows.
pub fn allocation_keys(shift_id: i64) -> std::ops::Range<i64> {
    let per_shift = ALLOCATION_ROWS_PER_SHIFT_MAX as i64;
    shift_id * per_shift..(shift_id + 1) * per_shift
}

/// Opens (or reopens) the import record for a file's content.
pub async fn open_import_file(
    store: &Store,
    kind: &str,
    file_name: &str,
    sha256: &str,
    job_run_id: Option<i64>,
    scope: &str,
) -> Result<i64, StoreError> {
    let now = Utc::now();
    let id: i64 = on_pool!(store, pool => {
        sqlx::query_scalar(include_str!("../../sql/open_import_file.sql")).bind(kind).bind(file_name).bind(sha256).bind(instant_seconds(&now)).bind(job_run_id).bind(scope).bind(ImportStatus::Running.as_str()).fetch_one(pool).await?
    });
    Ok(id)
}

/// Forgets the rejects an earlier attempt at an import stored: the import stores them afresh.
pub async fn clear_rejects(store: &Store, import_file_id: i64) -> Result<(), StoreError> {
    on_pool!(store, pool => sqlx::query(include_str!("../../sql/clear_rejects.sql"))
        .bind(import_file_id)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(())
}

/// A staged row with the stored shift of the same key, if any.
#[derive(Clone, Debug)]
pub struct StagedRow {
    pub row_no: i64,
    pub worker_id: String,
    pub shift_ref: String,
    pub start_utc: Option<DateTime<Utc>>,
    pub end_utc: Option<DateTime<Utc>>,
    pub service_code: String,
    pub people: String,
    pub miles: String,
    pub notes: String,
    pub error_field: Option<String>,
    pub error_reason: Option<String>,
    pub shift_id: Option<i64>,
    pub content_hash: Option<String>,
    pub status: Option<ShiftStatus>,
    pub version: Option<i64>,
}

/// Counts of a finished shift import.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportCounts {
    pub rows_read: u64,
    pub shifts_new: u64,
    pub shifts_amended: u64,
    pub shifts_unchanged: u64,
    pub shifts_rejected: u64,
    pub rows_rejected: u64,
}

/// Records the outcome and empties the staging rows (SQLite's go with their connection).
pub async fn finish_import(
    store: &Store,
    import_file_id: i64,
    counts: &ImportCounts,
) -> Result<(), StoreError> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => {
        sqlx::query(include_str!("../../sql/finish_import.sql"))
            .bind(import_file_id)
            .bind(n(counts.rows_read))
            .bind(n(counts.shifts_new))
            .bind(n(counts.shifts_amended))
            .bind(n(counts.shifts_unchanged))
            .bind(n(counts.shifts_rejected))
            .bind(n(counts.rows_rejected))
            .bind(ImportStatus::Done.as_str())
            .execute(&mut *conn)
            .await?;
    });
    tx.commit().await?;
    if let Store::Postgres(pool) = store {
        super::staging::clear_postgres(pool, import_file_id).await?;
    }
    Ok(())
}

/// Reserves `count` new shift ids, before the batch that uses them is laid out. Each id is
/// handed out once; a batch that fails leaves a gap, never a duplicate.
pub async fn reserve_shift_ids(store: &Store, count: usize) -> Result<Vec<i64>, StoreError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let n = i64::try_from(count).expect("a batch is small");
    Ok(match store {
        Store::Sqlite(pool) => {
            let first: i64 =
                sqlx::query_scalar(include_str!("../../sql/sqlite/reserve_shift_ids.sql"))
                    .bind(n)
                    .fetch_one(pool)
                    .await?;
            (first..first + n).collect()
        }
        Store::Postgres(pool) => {
            sqlx::query_scalar(include_str!("../../sql/postgres/reserve_shift_ids.sql"))
                .bind(n)
                .fetch_all(pool)
                .await?
        }
    })
}

/// One segment of a shift that needs costing.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SegmentToCost {
    pub shift_id: i64,
    pub worker_id: String,
    pub shift_ref: String,
    pub segment_no: i64,
    /// Seconds since the Unix epoch, as stored.
    pub start_utc: i64,
    pub end_utc: i64,
    pub service_code: String,
    pub people: String,
}

/// Streams the segments of shifts marked as needing costing, shift by shift.
pub fn shifts_to_cost(store: &Store) -> BoxStream<'_, Result<SegmentToCost, sqlx::Error>> {
    on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/shifts_to_cost.sql")).bind(true).fetch(pool))
}

/// The same, for workers of one cost centre (`""`: shifts whose worker is not known).
pub fn shifts_to_cost_in_centre<'a>(
    store: &'a Store,
    cost_centre: &'a str,
) -> BoxStream<'a, Result<SegmentToCost, sqlx::Error>> {
    on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/shifts_to_cost_in_centre.sql")).bind(true).bind(cost_centre).fetch(pool))
}

/// How many shifts wait for costing, per cost centre of their worker.
pub async fn shifts_to_cost_by_centre(store: &Store) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/shifts_to_cost_by_centre.sql")).bind(true).fetch_all(pool).await?),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shift_owns_one_allocation_key_range() {
        let last = ALLOCATION_ROWS_PER_SHIFT_MAX - 1;
        assert_eq!(allocation_key(7, 0), allocation_keys(7).start);
        assert!(allocation_keys(7).contains(&allocation_key(7, last)));
        assert_eq!(allocation_key(7, last) + 1, allocation_key(8, 0));
        assert!(!allocation_keys(8).contains(&allocation_key(7, last)));
    }

    #[test]
    #[should_panic(expected = "fit its key range")]
    fn a_row_beyond_the_range_is_refused() {
        allocation_key(7, ALLOCATION_ROWS_PER_SHIFT_MAX);
    }
}
