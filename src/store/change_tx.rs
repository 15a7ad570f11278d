//! The reads and writes of a transaction that changes single shifts, over two connections: sqlx
//! (PostgreSQL, or SQLite when no file connection is at hand) and a rusqlite transaction on the
//! SQLite file, which runs each statement as a plain call instead of a hop to sqlx's worker
//! thread. The shift writer runs one such transaction per group of changes.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use super::StoreError;
use super::Tx;
use super::batch::{
    Batch, insert_each, numbered_to_anonymous, sqlite_error, write_in, write_sqlite_in,
};
use super::bulk::instant_seconds;
use super::shift_records::{
    self, AuditEntry, Decision, NearbySegment, ShiftHeader, StoredResponse, audit_row,
};
use crate::domain::shift::ShiftStatus;

/// What a shift change reads and writes inside its transaction.
pub(crate) trait ChangeTx {
    async fn stored_response(
        &mut self,
        principal: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError>;
    async fn store_response(
        &mut self,
        principal: &str,
        key: &str,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Serialises changes to one worker's shifts until the transaction ends.
    async fn lock_worker(&mut self, worker_id: &str) -> Result<(), StoreError>;
    async fn header(&mut self, shift_id: i64) -> Result<Option<ShiftHeader>, StoreError>;
    async fn shift_id_by_ref(
        &mut self,
        worker_id: &str,
        shift_ref: &str,
    ) -> Result<Option<i64>, StoreError>;
    async fn segments_overlapping(
        &mut self,
        worker_id: &str,
        own_ref: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<NearbySegment>, StoreError>;
    /// False when the shift is no longer the version that was read.
    async fn decide(&mut self, decision: &Decision<'_>) -> Result<bool, StoreError>;
    async fn audit(&mut self, entry: &AuditEntry<'_>) -> Result<(), StoreError>;
    /// Writes a laid-out batch; its shifts are stored marked for recosting when the reference
    /// data changed after they were costed.
    async fn write_batch(&mut self, batch: &Batch) -> Result<(), StoreError>;
}

impl ChangeTx for Tx {
    async fn stored_response(
        &mut self,
        principal: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        shift_records::stored_response(self, principal, key).await
    }
    async fn store_response(
        &mut self,
        principal: &str,
        key: &str,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        shift_records::store_response(self, principal, key, response, now).await
    }
    async fn lock_worker(&mut self, worker_id: &str) -> Result<(), StoreError> {
        shift_records::lock_worker(self, worker_id).await
    }
    async fn header(&mut self, shift_id: i64) -> Result<Option<ShiftHeader>, StoreError> {
        shift_records::header_in(self, shift_id).await
    }
    async fn shift_id_by_ref(
        &mut self,
        worker_id: &str,
        shift_ref: &str,
    ) -> Result<Option<i64>, StoreError> {
        shift_records::shift_id_by_ref(self, worker_id, shift_ref).await
    }
    async fn segments_overlapping(
        &mut self,
        worker_id: &str,
        own_ref: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<NearbySegment>, StoreError> {
        shift_records::segments_overlapping(self, worker_id, own_ref, from, to).await
    }
    async fn decide(&mut self, decision: &Decision<'_>) -> Result<bool, StoreError> {
        shift_records::decide(self, decision).await
    }
    async fn audit(&mut self, entry: &AuditEntry<'_>) -> Result<(), StoreError> {
        shift_records::audit(self, entry).await
    }
    async fn write_batch(&mut self, batch: &Batch) -> Result<(), StoreError> {
        write_in(self, batch).await.map(drop)
    }
}

/// A rusqlite transaction on the SQLite file.
pub(crate) struct SqliteChangeTx<'a>(pub(crate) &'a rusqlite::Transaction<'a>);

impl SqliteChangeTx<'_> {
    fn statement(&self, sql: &str) -> Result<rusqlite::CachedStatement<'_>, StoreError> {
        self.0
            .prepare_cached(&numbered_to_anonymous(sql))
            .map_err(sqlite_error)
    }
}

fn header_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<ShiftHeader> {
    Ok(ShiftHeader {
        shift_id: row.get(0)?,
        worker_id: row.get(1)?,
        shift_ref: row.get(2)?,
        status: ShiftStatus::try_from(row.get::<_, String>(3)?).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        version: row.get(4)?,
        source: row.get(5)?,
        content_hash: row.get(6)?,
        decision_reason: row.get(7)?,
        decided_by: row.get(8)?,
        first_start_utc: row.get(9)?,
        last_end_utc: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

impl ChangeTx for SqliteChangeTx<'_> {
    async fn stored_response(
        &mut self,
        principal: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        self.statement(include_str!("../../sql/idempotency_get.sql"))?
            .query_row(rusqlite::params![principal, key], |row| {
                Ok(StoredResponse {
                    request_sha256: row.get(0)?,
                    shift_id: row.get(1)?,
                    status_code: row.get(2)?,
                    response_body: row.get(3)?,
                })
            })
            .optional()
            .map_err(sqlite_error)
    }
    async fn store_response(
        &mut self,
        principal: &str,
        key: &str,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.statement(include_str!("../../sql/idempotency_put.sql"))?
            .execute(rusqlite::params![
                principal,
                key,
                response.request_sha256,
                response.shift_id,
                response.status_code,
                response.response_body,
                instant_seconds(&now),
            ])
            .map_err(sqlite_error)?;
        Ok(())
    }
    async fn lock_worker(&mut self, _worker_id: &str) -> Result<(), StoreError> {
        // The write transaction (BEGIN IMMEDIATE) already excludes every other writer.
        Ok(())
    }
    async fn header(&mut self, shift_id: i64) -> Result<Option<ShiftHeader>, StoreError> {
        self.statement(include_str!("../../sql/shift_header.sql"))?
            .query_row([shift_id], header_from)
            .optional()
            .map_err(sqlite_error)
    }
    async fn shift_id_by_ref(
        &mut self,
        worker_id: &str,
        shift_ref: &str,
    ) -> Result<Option<i64>, StoreError> {
        self.statement(include_str!("../../sql/shift_id_by_ref.sql"))?
            .query_row([worker_id, shift_ref], |row| row.get(0))
            .optional()
            .map_err(sqlite_error)
    }
    async fn segments_overlapping(
        &mut self,
        worker_id: &str,
        own_ref: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<NearbySegment>, StoreError> {
        let span = crate::allocate::SHIFT_SPAN_MINUTES_MAX * 60;
        let mut statement = self.statement(include_str!("../../sql/segments_overlapping.sql"))?;
        let rows = statement
            .query_map(
                rusqlite::params![
                    worker_id,
                    own_ref,
                    instant_seconds(&from),
                    instant_seconds(&to),
                    span
                ],
                |row| {
                    Ok(NearbySegment {
                        shift_ref: row.get(0)?,
                        start_utc: row.get(1)?,
                        end_utc: row.get(2)?,
                    })
                },
            )
            .map_err(sqlite_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sqlite_error)
    }
    async fn decide(&mut self, decision: &Decision<'_>) -> Result<bool, StoreError> {
        let changed = self
            .statement(include_str!("../../sql/decide_shift.sql"))?
            .execute(rusqlite::params![
                decision.shift_id,
                decision.read_version,
                decision.status.as_str(),
                decision.reason,
                decision.actor,
                instant_seconds(&decision.now),
            ])
            .map_err(sqlite_error)?;
        Ok(changed == 1)
    }
    async fn audit(&mut self, entry: &AuditEntry<'_>) -> Result<(), StoreError> {
        insert_each(self.0, &[audit_row(entry)], false)
    }
    async fn write_batch(&mut self, batch: &Batch) -> Result<(), StoreError> {
        write_sqlite_in(self.0, batch).map(drop)
    }
}

/// Reserves shift ids inside a rusqlite transaction on the SQLite file.
pub(crate) fn reserve_sqlite_ids(
    tx: &rusqlite::Transaction<'_>,
    count: usize,
) -> Result<Vec<i64>, StoreError> {
    let n = i64::try_from(count).expect("a reservation is small");
    let first: i64 = tx
        .prepare_cached(&numbered_to_anonymous(include_str!(
            "../../sql/sqlite/reserve_shift_ids.sql"
        )))
        .map_err(sqlite_error)?
        .query_row([n], |row| row.get(0))
        .map_err(sqlite_error)?;
    Ok((first..first + n).collect())
}
