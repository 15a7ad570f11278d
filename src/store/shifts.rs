//! Shifts in storage: staging an import, finding stored overlaps, writing accepted shifts with
//! their segments, audit rows and allocation rows, and streaming shifts that need costing.

use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;

use super::bulk::{ColType, TableSpec, Value};
use super::{Store, StoreError, Tx, on_pool, on_tx};
use crate::capture::shifts::ShiftRow;

use ColType::{Instant, Int, Text};

pub const IMPORT_ROW: TableSpec = TableSpec {
    table: "import_row",
    columns: &[
        ("import_file_id", Int),
        ("row_no", Int),
        ("worker_id", Text),
        ("shift_ref", Text),
        ("start_utc", Instant),
        ("end_utc", Instant),
        ("window_start_utc", Instant),
        ("service_code", Text),
        ("people", Text),
        ("miles", Text),
        ("notes", Text),
        ("error_field", Text),
        ("error_reason", Text),
    ],
    key_len: 2,
};

pub const SHIFT_REJECT: TableSpec = TableSpec {
    table: "shift_reject",
    columns: &[
        ("import_file_id", Int),
        ("row_no", Int),
        ("worker_id", Text),
        ("shift_ref", Text),
        ("field", Text),
        ("reason", Text),
    ],
    key_len: 2,
};

pub const SHIFT: TableSpec = TableSpec {
    table: "shift",
    columns: &[
        ("shift_id", Int),
        ("worker_id", Text),
        ("shift_ref", Text),
        ("status", Text),
        ("source", Text),
        ("version", Int),
        ("content_hash", Text),
        ("first_start_utc", Instant),
        ("last_end_utc", Instant),
        ("needs_costing", ColType::Bool),
        ("created_at", Instant),
        ("updated_at", Instant),
    ],
    key_len: 1,
};

pub const SEGMENT: TableSpec = TableSpec {
    table: "segment",
    columns: &[
        ("shift_id", Int),
        ("segment_no", Int),
        ("worker_id", Text),
        ("start_utc", Instant),
        ("end_utc", Instant),
        ("service_code", Text),
        ("people", Text),
        ("miles", Text),
        ("notes", Text),
    ],
    key_len: 2,
};

pub const SHIFT_AUDIT: TableSpec = TableSpec {
    table: "shift_audit",
    columns: &[
        ("shift_id", Int),
        ("worker_id", Text),
        ("shift_ref", Text),
        ("version", Int),
        ("action", Text),
        ("before_hash", Text),
        ("after_hash", Text),
        ("source", Text),
        ("source_file", Text),
        ("changed_at", Instant),
    ],
    key_len: 0,
};

pub const ALLOCATION: TableSpec = TableSpec {
    table: "allocation",
    columns: &[
        ("shift_id", Int),
        ("row_no", Int),
        ("segment_no", Int),
        ("start_utc", Instant),
        ("end_utc", Instant),
        ("local_date", ColType::Date),
        ("band", Text),
        ("service_code", Text),
        ("person_id", Text),
        ("cost_centre_id", Text),
        ("ratio", Int),
        ("minutes", Int),
        ("allocated_ticks", Int),
        ("pay_pence", Int),
        ("charge_unit", Text),
        ("entry_rate_centipence", Int),
        ("divisor", Int),
        ("night_units", Int),
        ("unpriced", ColType::Bool),
    ],
    key_len: 2,
};

/// Opens (or reopens) the import record for a file's content and clears leftovers of an
/// interrupted run.
pub async fn open_import_file(
    store: &Store,
    kind: &str,
    file_name: &str,
    sha256: &str,
) -> Result<i64, StoreError> {
    let now = Utc::now();
    let id: i64 = on_pool!(store, pool => {
        sqlx::query_scalar(include_str!("../../sql/open_import_file.sql")).bind(kind).bind(file_name).bind(sha256).bind(now).fetch_one(pool).await?
    });
    on_pool!(store, pool => sqlx::query(include_str!("../../sql/clear_staging.sql")).bind(id).execute(pool).await?.rows_affected());
    Ok(id)
}

/// Parsed rows of an import as `import_row` rows, for staging.
pub fn staged_values(import_file_id: i64, rows: &[ShiftRow]) -> Vec<Vec<Value>> {
    rows.iter()
        .map(|r| {
            vec![
                Value::int(import_file_id),
                Value::int(i64::try_from(r.row_no).unwrap_or(i64::MAX)),
                Value::text(r.worker_id.as_str()),
                Value::text(r.shift_ref.as_str()),
                Value::Instant(r.start),
                Value::Instant(r.end),
                Value::Instant(r.window_start()),
                Value::text(r.service.as_str()),
                Value::text(r.people.as_str()),
                Value::text(r.miles.as_str()),
                Value::text(r.notes.as_str()),
                Value::Text(r.problem.as_ref().map(|p| p.field.to_owned())),
                Value::Text(r.problem.as_ref().map(|p| p.reason.clone())),
            ]
        })
        .collect()
}

/// `(worker_id, shift_ref, other stored shift_ref)` for every staged shift overlapping a stored one.
pub async fn stored_conflicts(
    store: &Store,
    import_file_id: i64,
) -> Result<Vec<(String, String, String)>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/stored_conflicts.sql")).bind(import_file_id).fetch_all(pool).await?),
    )
}

/// A staged row with the stored shift of the same key, if any.
#[derive(Clone, Debug, sqlx::FromRow)]
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
    pub status: Option<String>,
    pub version: Option<i64>,
}

/// Staged rows sent per message: few enough hand-offs between threads that reading costs little
/// more than the query itself, small enough that memory stays flat.
const STAGED_ROWS_PER_CHUNK: usize = 2_048;
/// Chunks read ahead of the consumer.
const STAGED_CHUNKS_AHEAD: usize = 4;

/// Streams staged rows ordered by worker, shift and row, in chunks, from a reader running beside
/// the caller (on SQLite a rusqlite connection: sqlx's SQLite driver wakes a thread per row).
pub fn staged_rows(
    store: &Store,
    import_file_id: i64,
) -> tokio::sync::mpsc::Receiver<Result<Vec<StagedRow>, StoreError>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(STAGED_CHUNKS_AHEAD);
    match store {
        Store::Sqlite(pool) => {
            let path = pool.connect_options().get_filename().to_path_buf();
            tokio::task::spawn_blocking(move || {
                let result = super::batch::with_sqlite(&path, |conn| {
                    read_staged_sqlite(conn, import_file_id, &sender)
                });
                if let Err(error) = result {
                    let _ = sender.blocking_send(Err(error));
                }
            });
        }
        Store::Postgres(pool) => {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut rows =
                    sqlx::query_as::<_, StagedRow>(include_str!("../../sql/staged_rows.sql"))
                        .bind(import_file_id)
                        .fetch(&pool);
                let mut chunk = Vec::with_capacity(STAGED_ROWS_PER_CHUNK);
                loop {
                    match futures_util::TryStreamExt::try_next(&mut rows).await {
                        Ok(Some(row)) => chunk.push(row),
                        Ok(None) => break,
                        Err(error) => {
                            let _ = sender.send(Err(error.into())).await;
                            return;
                        }
                    }
                    if chunk.len() == STAGED_ROWS_PER_CHUNK
                        && sender.send(Ok(std::mem::take(&mut chunk))).await.is_err()
                    {
                        return;
                    }
                }
                if !chunk.is_empty() {
                    let _ = sender.send(Ok(chunk)).await;
                }
            });
        }
    }
    receiver
}

fn read_staged_sqlite(
    conn: &mut rusqlite::Connection,
    import_file_id: i64,
    sender: &tokio::sync::mpsc::Sender<Result<Vec<StagedRow>, StoreError>>,
) -> Result<(), StoreError> {
    use super::batch::sqlite_error;
    let instant = |text: Option<String>| -> Result<Option<DateTime<Utc>>, StoreError> {
        text.map(|t| {
            DateTime::parse_from_rfc3339(&t)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| StoreError::Corrupt(format!("staged instant '{t}': {e}")))
        })
        .transpose()
    };
    let sql = include_str!("../../sql/staged_rows.sql").replace('$', "?");
    let mut statement = conn.prepare(&sql).map_err(sqlite_error)?;
    let mut rows = statement.query([import_file_id]).map_err(sqlite_error)?;
    let mut chunk = Vec::with_capacity(STAGED_ROWS_PER_CHUNK);
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let get_text = |i: usize| row.get::<_, Option<String>>(i).map_err(sqlite_error);
        chunk.push(StagedRow {
            row_no: row.get(0).map_err(sqlite_error)?,
            worker_id: get_text(1)?.unwrap_or_default(),
            shift_ref: get_text(2)?.unwrap_or_default(),
            start_utc: instant(get_text(3)?)?,
            end_utc: instant(get_text(4)?)?,
            service_code: get_text(5)?.unwrap_or_default(),
            people: get_text(6)?.unwrap_or_default(),
            miles: get_text(7)?.unwrap_or_default(),
            notes: get_text(8)?.unwrap_or_default(),
            error_field: get_text(9)?,
            error_reason: get_text(10)?,
            shift_id: row.get(11).map_err(sqlite_error)?,
            content_hash: get_text(12)?,
            status: get_text(13)?,
            version: row.get(14).map_err(sqlite_error)?,
        });
        if chunk.len() == STAGED_ROWS_PER_CHUNK
            && sender
                .blocking_send(Ok(std::mem::take(&mut chunk)))
                .is_err()
        {
            return Ok(());
        }
    }
    if !chunk.is_empty() {
        let _ = sender.blocking_send(Ok(chunk));
    }
    Ok(())
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

/// Records the outcome and empties the staging rows.
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
            .execute(&mut *conn)
            .await?;
        sqlx::query(include_str!("../../sql/clear_staging.sql")).bind(import_file_id).execute(&mut *conn).await?;
    });
    tx.commit().await
}

/// Reserves `count` new shift ids inside `tx`.
pub async fn reserve_shift_ids(tx: &mut Tx, count: usize) -> Result<Vec<i64>, StoreError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let n = i64::try_from(count).expect("a batch is small");
    Ok(match tx {
        Tx::Sqlite(t) => {
            let max: i64 =
                sqlx::query_scalar(include_str!("../../sql/sqlite/reserve_shift_ids.sql"))
                    .fetch_one(&mut **t)
                    .await?;
            (max + 1..=max + n).collect()
        }
        Tx::Postgres(t) => {
            sqlx::query_scalar(include_str!("../../sql/postgres/reserve_shift_ids.sql"))
                .bind(n)
                .fetch_all(&mut **t)
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
    pub start_utc: DateTime<Utc>,
    pub end_utc: DateTime<Utc>,
    pub service_code: String,
    pub people: String,
}

/// Streams the segments of shifts marked as needing costing, shift by shift.
pub fn shifts_to_cost(store: &Store) -> BoxStream<'_, Result<SegmentToCost, sqlx::Error>> {
    on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/shifts_to_cost.sql")).bind(true).fetch(pool))
}
