//! The shift writer's transaction: the reads and writes of a group of changes to single shifts,
//! each statement written once and run on the writer's own connection — a rusqlite transaction
//! on the SQLite file, where each statement is a plain call rather than a hop to sqlx's worker
//! thread, or a sqlx transaction on PostgreSQL, where the group locks its workers first.

use chrono::{DateTime, Utc};
use rusqlite::types::ToSqlOutput;

use super::batch::{
    Batch, insert_each, numbered_to_anonymous, open_sqlite, sqlite_error, write_in, write_sqlite_in,
};
use super::bulk::{insert_rows, instant_seconds};
use super::shift_records::{
    AuditEntry, Decision, NearbySegment, ShiftHeader, StoredResponse, audit_row, lock_workers,
};
use super::{Store, StoreError, Tx, on_tx};
use crate::domain::shift::ShiftStatus;

/// The shift writer's connection to the database, kept between its transactions.
pub(crate) struct ChangeConnection {
    store: Store,
    /// On SQLite, the writer's own connection to the file, opened on first use.
    sqlite: Option<rusqlite::Connection>,
}

impl ChangeConnection {
    /// A connection over `store`, which the writer owns.
    pub(crate) fn new(store: Store) -> ChangeConnection {
        ChangeConnection {
            store,
            sqlite: None,
        }
    }

    /// Starts a write transaction: on SQLite it takes the write lock up front, excluding every
    /// other writer until it ends.
    pub(crate) async fn begin(&mut self) -> Result<ChangeTx<'_>, StoreError> {
        match &self.store {
            Store::Sqlite(pool) => {
                if self.sqlite.is_none() {
                    let conn = open_sqlite(pool.connect_options().get_filename())?;
                    // An acknowledged change survives a power cut.
                    conn.execute_batch(include_str!("../../sql/sqlite/synchronous_full.sql"))
                        .map_err(sqlite_error)?;
                    self.sqlite = Some(conn);
                }
                let conn = self.sqlite.as_mut().expect("opened above");
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(sqlite_error)?;
                Ok(ChangeTx(Conn::Sqlite(tx)))
            }
            Store::Postgres(_) => Ok(ChangeTx(Conn::Postgres(self.store.begin().await?))),
        }
    }
}

/// One transaction of the shift writer. Dropped without [`ChangeTx::commit`], it rolls back.
pub(crate) struct ChangeTx<'c>(Conn<'c>);

enum Conn<'c> {
    Sqlite(rusqlite::Transaction<'c>),
    Postgres(Tx),
}

/// A parameter of a change statement.
#[derive(Clone, Copy, Debug)]
enum Param<'a> {
    Int(i64),
    Text(&'a str),
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Param::Int(v) => ToSqlOutput::from(v),
            Param::Text(v) => ToSqlOutput::from(v),
        })
    }
}

/// Binds change parameters to a sqlx query, in order.
macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match *param {
                Param::Int(v) => query.bind(v),
                Param::Text(v) => query.bind(v),
            };
        }
        query
    }};
}

/// A row's columns by position, whichever driver returned it.
trait Columns {
    fn int(&self, at: usize) -> Result<i64, StoreError>;
    fn text(&self, at: usize) -> Result<String, StoreError>;
}

impl Columns for rusqlite::Row<'_> {
    fn int(&self, at: usize) -> Result<i64, StoreError> {
        self.get(at).map_err(sqlite_error)
    }
    fn text(&self, at: usize) -> Result<String, StoreError> {
        self.get(at).map_err(sqlite_error)
    }
}

macro_rules! sqlx_columns {
    ($row:ty) => {
        impl Columns for $row {
            fn int(&self, at: usize) -> Result<i64, StoreError> {
                Ok(sqlx::Row::try_get(self, at)?)
            }
            fn text(&self, at: usize) -> Result<String, StoreError> {
                Ok(sqlx::Row::try_get(self, at)?)
            }
        }
    };
}

sqlx_columns!(sqlx::sqlite::SqliteRow);
sqlx_columns!(sqlx::postgres::PgRow);

/// A row a change statement returns, read by column position in the statement's select list.
trait FromColumns: Sized {
    fn read(row: &impl Columns) -> Result<Self, StoreError>;
}

impl FromColumns for i64 {
    fn read(row: &impl Columns) -> Result<Self, StoreError> {
        row.int(0)
    }
}

impl FromColumns for String {
    fn read(row: &impl Columns) -> Result<Self, StoreError> {
        row.text(0)
    }
}

/// `sql/shift_header.sql`.
impl FromColumns for ShiftHeader {
    fn read(row: &impl Columns) -> Result<Self, StoreError> {
        Ok(ShiftHeader {
            shift_id: row.int(0)?,
            worker_id: row.text(1)?,
            shift_ref: row.text(2)?,
            status: ShiftStatus::try_from(row.text(3)?)
                .map_err(|e| StoreError::Corrupt(format!("shift.status: {e}")))?,
            version: row.int(4)?,
            source: row.text(5)?,
            content_hash: row.text(6)?,
            decision_reason: row.text(7)?,
            decided_by: row.text(8)?,
            first_start_utc: row.int(9)?,
            last_end_utc: row.int(10)?,
            created_at: row.int(11)?,
            updated_at: row.int(12)?,
        })
    }
}

/// `sql/idempotency_get.sql`.
impl FromColumns for StoredResponse {
    fn read(row: &impl Columns) -> Result<Self, StoreError> {
        Ok(StoredResponse {
            request_sha256: row.text(0)?,
            shift_id: row.int(1)?,
            status_code: row.int(2)?,
            response_body: row.text(3)?,
        })
    }
}

/// `sql/segments_overlapping.sql`.
impl FromColumns for NearbySegment {
    fn read(row: &impl Columns) -> Result<Self, StoreError> {
        Ok(NearbySegment {
            shift_ref: row.text(0)?,
            start_utc: row.int(1)?,
            end_utc: row.int(2)?,
            first_start_utc: row.int(3)?,
            last_end_utc: row.int(4)?,
        })
    }
}

impl ChangeTx<'_> {
    /// Runs a statement; returns how many rows it changed.
    async fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<u64, StoreError> {
        match &mut self.0 {
            Conn::Sqlite(tx) => {
                let changed = tx
                    .prepare_cached(&numbered_to_anonymous(sql))
                    .map_err(sqlite_error)?
                    .execute(rusqlite::params_from_iter(params))
                    .map_err(sqlite_error)?;
                Ok(changed as u64)
            }
            Conn::Postgres(tx) => Ok(on_tx!(tx, conn => bind_params!(sqlx::query(sql), params)
                .execute(&mut *conn)
                .await?
                .rows_affected())),
        }
    }

    /// Runs a query; returns its rows, or its first row alone when `first` is set.
    async fn fetch<R: FromColumns>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        first: bool,
    ) -> Result<Vec<R>, StoreError> {
        match &mut self.0 {
            Conn::Sqlite(tx) => {
                let mut statement = tx
                    .prepare_cached(&numbered_to_anonymous(sql))
                    .map_err(sqlite_error)?;
                let mut rows = statement
                    .query(rusqlite::params_from_iter(params))
                    .map_err(sqlite_error)?;
                let mut out = Vec::new();
                while let Some(row) = rows.next().map_err(sqlite_error)? {
                    out.push(R::read(row)?);
                    if first {
                        break;
                    }
                }
                Ok(out)
            }
            Conn::Postgres(tx) => on_tx!(tx, conn => {
                let query = bind_params!(sqlx::query(sql), params);
                let rows = if first {
                    query.fetch_optional(&mut *conn).await?.into_iter().collect()
                } else {
                    query.fetch_all(&mut *conn).await?
                };
                rows.iter().map(R::read).collect()
            }),
        }
    }

    /// The first row of a query, if it returns any.
    async fn fetch_optional<R: FromColumns>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Option<R>, StoreError> {
        Ok(self.fetch(sql, params, true).await?.into_iter().next())
    }

    /// Reserves `count` new shift ids, in order. Each id is handed out once; ids reserved in a
    /// transaction that rolls back may be handed out again on SQLite, never on PostgreSQL.
    pub(crate) async fn reserve_shift_ids(&mut self, count: usize) -> Result<Vec<i64>, StoreError> {
        let n = i64::try_from(count).expect("a reservation is small");
        match self.0 {
            Conn::Sqlite(_) => {
                let first: Option<i64> = self
                    .fetch_optional(
                        include_str!("../../sql/sqlite/reserve_shift_ids.sql"),
                        &[Param::Int(n)],
                    )
                    .await?;
                let first = first.ok_or_else(|| {
                    StoreError::Corrupt("the shift id sequence has no row".into())
                })?;
                Ok((first..first + n).collect())
            }
            Conn::Postgres(_) => {
                self.fetch(
                    include_str!("../../sql/postgres/reserve_shift_ids.sql"),
                    &[Param::Int(n)],
                    false,
                )
                .await
            }
        }
    }

    /// Takes a group's locks in the order every writer takes them: the reference version
    /// (shared), then `workers` and the workers of `shift_ids` in worker order. An import batch
    /// locks its workers the same way, so the two never wait on each other in a cycle. On SQLite
    /// the write transaction already excludes every other writer.
    pub(crate) async fn lock_group(
        &mut self,
        workers: Vec<String>,
        shift_ids: &[i64],
    ) -> Result<(), StoreError> {
        if let Conn::Postgres(tx) = &mut self.0 {
            super::reference::version_in(tx).await?;
            lock_workers(tx, workers, shift_ids).await?;
        }
        Ok(())
    }

    /// Serialises changes to one worker's shifts until the transaction ends, so that two changes
    /// never pass their overlap checks side by side (PostgreSQL; SQLite's write transaction
    /// already excludes every other writer).
    pub(crate) async fn lock_worker(&mut self, worker_id: &str) -> Result<(), StoreError> {
        if let Conn::Postgres(_) = self.0 {
            self.execute(
                include_str!("../../sql/postgres/lock_worker.sql"),
                &[Param::Text(worker_id)],
            )
            .await?;
        }
        Ok(())
    }

    /// The stored response for `(principal, key)`, if a request with that key succeeded.
    pub(crate) async fn stored_response(
        &mut self,
        principal: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        self.fetch_optional(
            include_str!("../../sql/idempotency_get.sql"),
            &[Param::Text(principal), Param::Text(key)],
        )
        .await
    }

    /// Stores the response for `(principal, key)`.
    pub(crate) async fn store_response(
        &mut self,
        principal: &str,
        key: &str,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute(
            include_str!("../../sql/idempotency_put.sql"),
            &[
                Param::Text(principal),
                Param::Text(key),
                Param::Text(&response.request_sha256),
                Param::Int(response.shift_id),
                Param::Int(response.status_code),
                Param::Text(&response.response_body),
                Param::Int(instant_seconds(&now)),
            ],
        )
        .await?;
        Ok(())
    }

    /// The header of a shift.
    pub(crate) async fn header(
        &mut self,
        shift_id: i64,
    ) -> Result<Option<ShiftHeader>, StoreError> {
        self.fetch_optional(
            include_str!("../../sql/shift_header.sql"),
            &[Param::Int(shift_id)],
        )
        .await
    }

    /// The id of a worker's shift with this reference, if there is one.
    pub(crate) async fn shift_id_by_ref(
        &mut self,
        worker_id: &str,
        shift_ref: &str,
    ) -> Result<Option<i64>, StoreError> {
        self.fetch_optional(
            include_str!("../../sql/shift_id_by_ref.sql"),
            &[Param::Text(worker_id), Param::Text(shift_ref)],
        )
        .await
    }

    /// Segments of the worker's live shifts (other than `own_ref`) that overlap `[from, to)`.
    pub(crate) async fn segments_overlapping(
        &mut self,
        worker_id: &str,
        own_ref: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<NearbySegment>, StoreError> {
        let span = crate::allocate::SHIFT_SPAN_MINUTES_MAX * 60;
        self.fetch(
            include_str!("../../sql/segments_overlapping.sql"),
            &[
                Param::Text(worker_id),
                Param::Text(own_ref),
                Param::Int(instant_seconds(&from)),
                Param::Int(instant_seconds(&to)),
                Param::Int(span),
            ],
            false,
        )
        .await
    }

    /// Applies a decision to the version that was read; false when the shift changed meanwhile.
    pub(crate) async fn decide(&mut self, decision: &Decision<'_>) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                include_str!("../../sql/decide_shift.sql"),
                &[
                    Param::Int(decision.shift_id),
                    Param::Int(decision.read_version),
                    Param::Text(decision.status.as_str()),
                    Param::Text(decision.reason),
                    Param::Text(decision.actor),
                    Param::Int(instant_seconds(&decision.now)),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Appends an audit row, with the shift's content before and after the change.
    pub(crate) async fn audit(&mut self, entry: &AuditEntry<'_>) -> Result<(), StoreError> {
        let shift_id = entry.header.shift_id;
        match &mut self.0 {
            Conn::Sqlite(tx) => {
                let content = super::audit::stored_content_sqlite(tx, shift_id)?;
                insert_each(tx, &[audit_row(entry, content.as_ref())], false)
            }
            Conn::Postgres(tx) => {
                let content = super::audit::stored_content_in(tx, shift_id).await?;
                insert_rows(tx, &[audit_row(entry, content.as_ref())]).await
            }
        }
    }

    /// Writes a laid-out batch; its shifts are stored marked for recosting when the reference
    /// data changed after they were costed.
    pub(crate) async fn write_batch(&mut self, batch: &Batch) -> Result<(), StoreError> {
        match &mut self.0 {
            Conn::Sqlite(tx) => write_sqlite_in(tx, batch).map(drop),
            Conn::Postgres(tx) => write_in(tx, batch).await.map(drop),
        }
    }

    /// Commits every change of the transaction.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self.0 {
            Conn::Sqlite(tx) => tx.commit().map_err(sqlite_error),
            Conn::Postgres(tx) => tx.commit().await,
        }
    }
}
