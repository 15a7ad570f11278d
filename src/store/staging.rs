//! Staging a shift file while it is imported: rows go into the database as they are read and come
//! back grouped by worker and shift, so memory stays flat and row order never matters.
//!
//! SQLite stages in a temporary table of one connection kept for the import
//! (`sql/sqlite/create_staging.sql`): appending costs no index upkeep and no write-ahead log, and
//! the rows vanish with the connection, so a crash leaves nothing behind. PostgreSQL stages in the
//! unlogged `import_row` table, emptied when the import finishes.

use sqlx::PgPool;
use tokio::sync::mpsc;

use super::batch::{execute_each, open_sqlite, sqlite_error};
use super::bulk::{ColType, TableSpec, insert_rows};
use super::rows::{Field, TableRow};
use super::shifts::StagedRow;
use super::{Store, StoreError};
use crate::allocate::SHIFT_SPAN_MINUTES_MAX;
use crate::domain::shift::{ShiftRow, ShiftStatus};

/// Staged rows sent per message: few enough hand-offs between threads that reading costs little
/// more than the query itself, small enough that memory stays flat.
const STAGED_ROWS_PER_CHUNK: usize = 2_048;
/// Chunks read ahead of the consumer.
const STAGED_CHUNKS_AHEAD: usize = 4;

/// The staged table's columns, as written (the stored shift's columns are attached later).
const IMPORT_ROW: TableSpec = TableSpec {
    table: "import_row",
    columns: &[
        ("import_file_id", ColType::Int),
        ("row_no", ColType::Int),
        ("worker_id", ColType::Text),
        ("shift_ref", ColType::Text),
        ("start_utc", ColType::Instant),
        ("end_utc", ColType::Instant),
        ("service_code", ColType::Text),
        ("people", ColType::Text),
        ("miles", ColType::Text),
        ("notes", ColType::Text),
        ("error_field", ColType::Text),
        ("error_reason", ColType::Text),
    ],
    key_len: 2,
};

/// A parsed row of an import as its staged row: the row itself is bound, not copied.
struct StagingRow<'a> {
    import_file_id: i64,
    row: &'a ShiftRow,
}

impl TableRow for StagingRow<'_> {
    fn spec(&self) -> &'static TableSpec {
        &IMPORT_ROW
    }

    fn each_field<'a>(&'a self, visit: &mut impl FnMut(Field<'a>)) {
        let r = self.row;
        visit(Field::Int(Some(self.import_file_id)));
        visit(Field::Int(Some(
            i64::try_from(r.row_no).unwrap_or(i64::MAX),
        )));
        visit(Field::Text(Some(&r.worker_id)));
        visit(Field::Text(Some(&r.shift_ref)));
        visit(Field::Instant(r.start));
        visit(Field::Instant(r.end));
        visit(Field::Text(Some(&r.service)));
        visit(Field::Text(Some(&r.people)));
        visit(Field::Text(Some(&r.miles)));
        visit(Field::Text(Some(&r.notes)));
        visit(Field::Text(r.problem.as_ref().map(|p| p.field)));
        visit(Field::Text(r.problem.as_ref().map(|p| p.reason.as_str())));
    }
}

fn staging_rows(import_file_id: i64, rows: &[ShiftRow]) -> Vec<StagingRow<'_>> {
    rows.iter()
        .map(|row| StagingRow {
            import_file_id,
            row,
        })
        .collect()
}

/// The staging area of one import.
pub struct Staging {
    import_file_id: i64,
    backend: Backend,
}

enum Backend {
    /// The connection that owns the temporary table; `None` only while a blocking task uses it.
    Sqlite(Option<rusqlite::Connection>),
    Postgres(PgPool),
}

/// `(worker_id, shift_ref, stored shift_ref)`: a staged shift overlapping a stored one.
pub type StoredConflict = (String, String, String);

impl Staging {
    /// Opens an empty staging area for `import_file_id`, clearing what an interrupted run left.
    pub async fn open(store: &Store, import_file_id: i64) -> Result<Staging, StoreError> {
        let backend = match store {
            Store::Sqlite(pool) => {
                let path = pool.connect_options().get_filename().to_path_buf();
                let conn = tokio::task::spawn_blocking(move || {
                    let conn = open_sqlite(&path)?;
                    conn.execute_batch(include_str!("../../sql/sqlite/create_staging.sql"))
                        .map_err(sqlite_error)?;
                    Ok::<_, StoreError>(conn)
                })
                .await
                .map_err(stopped)??;
                Backend::Sqlite(Some(conn))
            }
            Store::Postgres(pool) => {
                clear_postgres(pool, import_file_id).await?;
                Backend::Postgres(pool.clone())
            }
        };
        Ok(Staging {
            import_file_id,
            backend,
        })
    }

    /// Appends parsed rows of the file.
    pub async fn stage(&mut self, rows: Vec<ShiftRow>) -> Result<(), StoreError> {
        let id = self.import_file_id;
        match &self.backend {
            Backend::Sqlite(_) => {
                self.on_sqlite(move |conn| append_sqlite(conn, &staging_rows(id, &rows)))
                    .await
            }
            Backend::Postgres(pool) => {
                let mut tx = super::Tx::Postgres(pool.begin().await?);
                insert_rows(&mut tx, &staging_rows(id, &rows)).await?;
                tx.commit().await
            }
        }
    }

    /// Every staged shift whose time overlaps a stored shift of the same worker.
    pub async fn stored_conflicts(&mut self) -> Result<Vec<StoredConflict>, StoreError> {
        const SQL: &str = include_str!("../../sql/stored_conflicts.sql");
        let id = self.import_file_id;
        let span_seconds = SHIFT_SPAN_MINUTES_MAX * 60;
        match &self.backend {
            Backend::Sqlite(_) => {
                self.on_sqlite(move |conn| {
                    let mut statement =
                        conn.prepare(&SQL.replace('$', "?")).map_err(sqlite_error)?;
                    let rows = statement
                        .query_map([id, span_seconds], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                        })
                        .map_err(sqlite_error)?;
                    rows.collect::<Result<Vec<_>, _>>().map_err(sqlite_error)
                })
                .await
            }
            Backend::Postgres(pool) => Ok(sqlx::query_as(SQL)
                .bind(id)
                .bind(span_seconds)
                .fetch_all(pool)
                .await?),
        }
    }

    /// Streams the staged rows ordered by worker, shift and row, each with the stored shift of
    /// its key, in chunks from a reader running beside the caller.
    pub fn rows(self) -> mpsc::Receiver<Result<Vec<StagedRow>, StoreError>> {
        let (sender, receiver) = mpsc::channel(STAGED_CHUNKS_AHEAD);
        let id = self.import_file_id;
        match self.backend {
            Backend::Sqlite(conn) => {
                tokio::task::spawn_blocking(move || {
                    let result = match conn {
                        Some(conn) => read_sqlite(&conn, id, &sender),
                        None => Err(StoreError::Corrupt("the staging connection is gone".into())),
                    };
                    if let Err(error) = result {
                        let _ = sender.blocking_send(Err(error));
                    }
                });
            }
            Backend::Postgres(pool) => {
                tokio::spawn(async move {
                    if let Err(error) = read_postgres(&pool, id, &sender).await {
                        let _ = sender.send(Err(error)).await;
                    }
                });
            }
        }
        receiver
    }

    /// Runs `work` on the staging connection on a blocking thread.
    async fn on_sqlite<T, F>(&mut self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let Backend::Sqlite(slot) = &mut self.backend else {
            unreachable!("called for SQLite staging only");
        };
        let mut conn = slot
            .take()
            .ok_or_else(|| StoreError::Corrupt("the staging connection is gone".into()))?;
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let result = work(&mut conn);
            (conn, result)
        })
        .await
        .map_err(stopped)?;
        *slot = Some(conn);
        result
    }
}

/// Empties PostgreSQL's staging rows of an import (at its start and when it finishes).
pub(crate) async fn clear_postgres(pool: &PgPool, import_file_id: i64) -> Result<(), StoreError> {
    sqlx::query(include_str!("../../sql/postgres/clear_staging.sql"))
        .bind(import_file_id)
        .execute(pool)
        .await?;
    Ok(())
}

fn stopped(e: tokio::task::JoinError) -> StoreError {
    StoreError::Corrupt(format!("the staging task stopped: {e}"))
}

fn append_sqlite(
    conn: &mut rusqlite::Connection,
    rows: &[StagingRow<'_>],
) -> Result<(), StoreError> {
    let tx = conn.transaction().map_err(sqlite_error)?;
    {
        let mut statement = tx
            .prepare_cached(&IMPORT_ROW.insert_sql_single())
            .map_err(sqlite_error)?;
        execute_each(&mut statement, &IMPORT_ROW, rows)?;
    }
    tx.commit().map_err(sqlite_error)
}

/// A stored shift's status as staged beside its rows.
fn status(stored: Option<String>) -> Result<Option<ShiftStatus>, StoreError> {
    stored
        .map(|s| {
            ShiftStatus::try_from(s)
                .map_err(|e| StoreError::Corrupt(format!("a stored shift's status {e}")))
        })
        .transpose()
}

fn instant(seconds: Option<i64>) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    seconds
        .map(|s| {
            super::bulk::instant_from_seconds(s)
                .ok_or_else(|| StoreError::Corrupt(format!("staged instant {s}")))
        })
        .transpose()
}

fn read_sqlite(
    conn: &rusqlite::Connection,
    import_file_id: i64,
    sender: &mpsc::Sender<Result<Vec<StagedRow>, StoreError>>,
) -> Result<(), StoreError> {
    conn.execute(include_str!("../../sql/sqlite/attach_stored.sql"), [])
        .map_err(sqlite_error)?;
    let sql = include_str!("../../sql/sqlite/staged_rows.sql").replace('$', "?");
    let mut statement = conn.prepare(&sql).map_err(sqlite_error)?;
    let mut rows = statement.query([import_file_id]).map_err(sqlite_error)?;
    let mut chunk = Vec::with_capacity(STAGED_ROWS_PER_CHUNK);
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let text = |i: usize| row.get::<_, Option<String>>(i).map_err(sqlite_error);
        let int = |i: usize| row.get::<_, Option<i64>>(i).map_err(sqlite_error);
        chunk.push(StagedRow {
            row_no: int(0)?.unwrap_or_default(),
            worker_id: text(1)?.unwrap_or_default(),
            shift_ref: text(2)?.unwrap_or_default(),
            start_utc: instant(int(3)?)?,
            end_utc: instant(int(4)?)?,
            service_code: text(5)?.unwrap_or_default(),
            people: text(6)?.unwrap_or_default(),
            miles: text(7)?.unwrap_or_default(),
            notes: text(8)?.unwrap_or_default(),
            error_field: text(9)?,
            error_reason: text(10)?,
            shift_id: int(11)?,
            content_hash: text(12)?,
            status: status(text(13)?)?,
            version: int(14)?,
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

/// A staged row as PostgreSQL returns it, instants in seconds.
#[derive(sqlx::FromRow)]
struct PgStagedRow {
    row_no: i64,
    worker_id: String,
    shift_ref: String,
    start_utc: Option<i64>,
    end_utc: Option<i64>,
    service_code: String,
    people: String,
    miles: String,
    notes: String,
    error_field: Option<String>,
    error_reason: Option<String>,
    shift_id: Option<i64>,
    content_hash: Option<String>,
    status: Option<String>,
    version: Option<i64>,
}

async fn read_postgres(
    pool: &PgPool,
    import_file_id: i64,
    sender: &mpsc::Sender<Result<Vec<StagedRow>, StoreError>>,
) -> Result<(), StoreError> {
    let mut rows =
        sqlx::query_as::<_, PgStagedRow>(include_str!("../../sql/postgres/staged_rows.sql"))
            .bind(import_file_id)
            .fetch(pool);
    let mut chunk = Vec::with_capacity(STAGED_ROWS_PER_CHUNK);
    while let Some(r) = futures_util::TryStreamExt::try_next(&mut rows).await? {
        chunk.push(StagedRow {
            row_no: r.row_no,
            worker_id: r.worker_id,
            shift_ref: r.shift_ref,
            start_utc: instant(r.start_utc)?,
            end_utc: instant(r.end_utc)?,
            service_code: r.service_code,
            people: r.people,
            miles: r.miles,
            notes: r.notes,
            error_field: r.error_field,
            error_reason: r.error_reason,
            shift_id: r.shift_id,
            content_hash: r.content_hash,
            status: status(r.status)?,
            version: r.version,
        });
        if chunk.len() == STAGED_ROWS_PER_CHUNK
            && sender.send(Ok(std::mem::take(&mut chunk))).await.is_err()
        {
            return Ok(());
        }
    }
    if !chunk.is_empty() {
        let _ = sender.send(Ok(chunk)).await;
    }
    Ok(())
}
