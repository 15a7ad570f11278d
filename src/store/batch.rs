//! Write batches: one transaction of deletes, amendments, inserts and upserts, run the fastest way
//! each backend allows. PostgreSQL goes through sqlx with `COPY`; SQLite goes through rusqlite on
//! its own connection to the same file, with cached prepared statements on a blocking thread —
//! sqlx's SQLite driver hands every statement to a worker thread and reaches about a tenth of
//! SQLite's own speed on batch work (limits.md).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{ToSql, TransactionBehavior};
use sqlx::AssertSqlSafe;

use super::bulk::{TableSpec, insert_rows, instant_seconds, upsert_rows};
use super::claims::{LostClaim, ShiftClaim};
use super::rows::{
    AllocationLedgerRow, Field, NewShiftRow, ShiftAuditRow, ShiftRejectRow, ShiftSegmentRow,
    TableRow,
};
use super::shifts::allocation_keys;
use super::{Store, StoreError, Tx};
use crate::domain::shift::ShiftStatus;

/// Shift ids per `IN (...)` list.
const IDS_PER_STATEMENT_MAX: usize = 500;
/// How long the SQLite batch connection waits for the write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A stored shift replaced by an amendment. The update only applies to the version that was
/// read, so a concurrent change makes the batch fail instead of being overwritten.
#[derive(Clone, Debug)]
pub struct Amend {
    pub shift_id: i64,
    pub read_version: i64,
    pub content_hash: String,
    pub status: ShiftStatus,
    pub source: &'static str,
    pub first_start: DateTime<Utc>,
    pub last_end: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// The rows a shift owns in a child table, replaced when it is amended or recosted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShiftRows {
    Segments,
    Allocation,
}

impl ShiftRows {
    fn table(self) -> &'static str {
        match self {
            ShiftRows::Segments => "segment",
            ShiftRows::Allocation => "allocation",
        }
    }
}

/// Rejected rows resolved by the shifts a batch accepts: a reject stays open until the same
/// worker and shift reference is accepted later.
#[derive(Clone, Debug, Default)]
pub struct Resolves {
    /// Worker and shift reference of every shift accepted (new, amended or unchanged).
    pub keys: Vec<(String, String)>,
    /// What accepted them: the file they were imported from, or who submitted them.
    pub by: String,
    pub at: Option<DateTime<Utc>>,
}

/// One transaction's writes, run in this order: the fence, the reference version, the claims,
/// then deletes, amendments, the inserts (new shifts, audit rows, segments, allocation rows),
/// the rejects, the rejects the batch resolves, and the costing marks.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// The rows of these shifts to remove.
    pub deletes: Vec<(ShiftRows, Vec<i64>)>,
    pub amends: Vec<Amend>,
    pub new_shifts: Vec<NewShiftRow>,
    pub audit: Vec<ShiftAuditRow>,
    pub segments: Vec<ShiftSegmentRow>,
    pub allocation: Vec<AllocationLedgerRow>,
    /// Rejected file rows, written over any earlier reject of the same row.
    pub rejects: Vec<ShiftRejectRow>,
    /// Earlier rejects of the shifts the batch accepts, resolved by it.
    pub resolves: Resolves,
    /// Shifts whose allocation rows are now current.
    pub costed: Vec<i64>,
    /// A partition claim the writer must still hold: checked (and extended) first, so a worker
    /// that lost its claim commits nothing.
    pub fence: Option<(super::runs::PartitionClaim, DateTime<Utc>)>,
    /// Every shift whose rows the batch writes (new, amended or recosted).
    pub shifts: Vec<i64>,
    /// The reference version the batch's costs were computed from. When reference data changed
    /// since, the batch's shifts are stored marked for recosting instead of costed.
    pub costed_with: Option<i64>,
    /// An import's shifts, checked against the shifts stored by then (see [`super::claims`]).
    pub claims: Vec<ShiftClaim>,
    /// The import whose rejects the claims that lose are stored under.
    pub import_file_id: Option<i64>,
}

/// What a batch's transaction found.
#[derive(Debug, Default)]
pub struct Written {
    /// Claims beaten by another writer: stored as rejects, not as shifts.
    pub lost: Vec<LostClaim>,
    /// Whether reference data had changed since the batch was costed, so that its shifts were
    /// stored marked for recosting.
    pub stale: bool,
}

impl Batch {
    /// The batch to write once the claims are settled: itself when every claim stands.
    fn settled(&self, lost: &[LostClaim]) -> Result<std::borrow::Cow<'_, Batch>, StoreError> {
        Ok(if lost.is_empty() {
            std::borrow::Cow::Borrowed(self)
        } else {
            std::borrow::Cow::Owned(self.without(lost)?)
        })
    }

    /// The batch without the shifts of `lost`, whose file rows become rejects instead.
    fn without(&self, lost: &[LostClaim]) -> Result<Batch, StoreError> {
        let import_file_id = self.import_file_id.ok_or_else(|| {
            StoreError::Corrupt("a batch with claims names the import they belong to".into())
        })?;
        let gone: std::collections::HashSet<i64> = lost.iter().map(|l| l.shift_id).collect();
        let keep = |id: &i64| !gone.contains(id);
        fn kept<R: Clone>(rows: &[R], keep: impl Fn(&R) -> bool) -> Vec<R> {
            rows.iter().filter(|r| keep(r)).cloned().collect()
        }
        let lost_keys: std::collections::HashSet<(&str, &str)> = lost
            .iter()
            .map(|l| (l.worker_id.as_str(), l.shift_ref.as_str()))
            .collect();
        let resolves = Resolves {
            keys: self
                .resolves
                .keys
                .iter()
                .filter(|(w, r)| !lost_keys.contains(&(w.as_str(), r.as_str())))
                .cloned()
                .collect(),
            ..self.resolves.clone()
        };
        let mut rejects = self.rejects.clone();
        rejects.extend(lost.iter().flat_map(|l| {
            let (field, reason) = l.field_and_reason();
            l.rows.iter().map(move |row_no| ShiftRejectRow {
                import_file_id,
                row_no: *row_no,
                worker_id: l.worker_id.clone(),
                shift_ref: l.shift_ref.clone(),
                field: field.to_owned(),
                reason: reason.clone(),
            })
        }));
        Ok(Batch {
            deletes: self
                .deletes
                .iter()
                .map(|(rows, ids)| (*rows, ids.iter().copied().filter(keep).collect()))
                .collect(),
            amends: self
                .amends
                .iter()
                .filter(|a| keep(&a.shift_id))
                .cloned()
                .collect(),
            new_shifts: kept(&self.new_shifts, |r| keep(&r.shift_id)),
            audit: kept(&self.audit, |r| keep(&r.shift_id)),
            segments: kept(&self.segments, |r| keep(&r.shift_id)),
            allocation: kept(&self.allocation, |r| keep(&r.shift_id)),
            rejects,
            resolves,
            costed: self.costed.iter().copied().filter(keep).collect(),
            fence: None,
            shifts: self.shifts.iter().copied().filter(keep).collect(),
            costed_with: self.costed_with,
            claims: Vec::new(),
            import_file_id: self.import_file_id,
        })
    }

    /// The shifts to mark or clear once the rows are written.
    fn marked(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.shifts.iter().chain(&self.costed).copied().collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Runs one batch in one transaction.
pub async fn write(store: &Store, batch: Batch) -> Result<Written, StoreError> {
    crate::failpoint::hit("batch.before_begin");
    match store {
        Store::Sqlite(pool) => {
            let path = pool.connect_options().get_filename().to_path_buf();
            tokio::task::spawn_blocking(move || {
                with_sqlite(&path, |conn| write_sqlite_on(conn, &batch))
            })
            .await
            .map_err(|e| StoreError::Corrupt(format!("the batch writer stopped: {e}")))?
        }
        Store::Postgres(_) => {
            let mut tx = store.begin().await?;
            let written = write_in(&mut tx, &batch).await?;
            crate::failpoint::hit("batch.before_commit");
            tx.commit().await?;
            crate::failpoint::hit("batch.after_commit");
            Ok(written)
        }
    }
}

/// Runs a batch inside a transaction the caller holds, through sqlx on either backend: for small
/// batches that belong with other statements, such as one shift from the API.
pub async fn write_in(tx: &mut Tx, batch: &Batch) -> Result<Written, StoreError> {
    if let Some((claim, expires_at)) = &batch.fence {
        super::runs::fence_partition_in(tx, claim, *expires_at).await?;
    }
    // The version first: on PostgreSQL it waits for a reference change in progress before this
    // transaction locks any worker that change may update.
    let stale = match batch.costed_with {
        Some(version) => super::reference::version_in(tx).await? != version,
        None => false,
    };
    let lost = if batch.claims.is_empty() {
        Vec::new()
    } else {
        super::claims::check_in(tx, &batch.claims).await?
    };
    let settled = batch.settled(&lost)?;
    let batch = settled.as_ref();
    // What each amendment replaces, read before its segments go.
    let mut before = std::collections::HashMap::new();
    for shift_id in super::audit::needing_before(&batch.audit) {
        if let Some(content) = super::audit::stored_content_in(tx, shift_id).await? {
            before.insert(shift_id, content);
        }
    }
    for (rows, ids) in &batch.deletes {
        by_id_list(
            tx,
            &format!("delete from {} where shift_id in", rows.table()),
            None,
            ids,
        )
        .await?;
    }
    for amend in &batch.amends {
        let updated = super::on_tx!(tx, conn => {
            sqlx::query(include_str!("../../sql/amend_shift.sql"))
                .bind(amend.shift_id)
                .bind(amend.read_version)
                .bind(amend.content_hash.as_str())
                .bind(amend.status.as_str())
                .bind(amend.source)
                .bind(instant_seconds(&amend.first_start))
                .bind(instant_seconds(&amend.last_end))
                .bind(false)
                .bind(instant_seconds(&amend.now))
                .execute(conn)
                .await?
                .rows_affected()
        });
        check_amended(amend, updated)?;
    }
    insert_rows(tx, &batch.new_shifts).await?;
    insert_rows(tx, &super::audit::with_before(&batch.audit, &before)).await?;
    insert_rows(tx, &batch.segments).await?;
    insert_rows(tx, &batch.allocation).await?;
    upsert_rows(tx, &batch.rejects).await?;
    resolve_in(tx, &batch.resolves).await?;
    let marks = if stale {
        batch.marked()
    } else {
        batch.costed.clone()
    };
    by_id_list(
        tx,
        "update shift set needs_costing = $1 where shift_id in",
        Some(stale),
        &marks,
    )
    .await?;
    Ok(Written { lost, stale })
}

/// Resolves the open rejects of the accepted shifts, through sqlx: one statement on PostgreSQL,
/// one per shift on SQLite when any reject is open.
async fn resolve_in(tx: &mut Tx, resolves: &Resolves) -> Result<(), StoreError> {
    let Some(at) = resolves.at.as_ref().filter(|_| !resolves.keys.is_empty()) else {
        return Ok(());
    };
    match tx {
        Tx::Postgres(t) => {
            let (workers, refs): (Vec<&str>, Vec<&str>) = resolves
                .keys
                .iter()
                .map(|(w, r)| (w.as_str(), r.as_str()))
                .unzip();
            sqlx::query(include_str!("../../sql/postgres/resolve_rejects.sql"))
                .bind(&workers)
                .bind(&refs)
                .bind(instant_seconds(at))
                .bind(resolves.by.as_str())
                .execute(&mut **t)
                .await?;
        }
        Tx::Sqlite(t) => {
            let open: i64 = sqlx::query_scalar(include_str!("../../sql/open_rejects_exist.sql"))
                .fetch_one(&mut **t)
                .await?;
            if open == 0 {
                return Ok(());
            }
            for (worker, shift_ref) in &resolves.keys {
                sqlx::query(include_str!("../../sql/resolve_rejects.sql"))
                    .bind(worker.as_str())
                    .bind(shift_ref.as_str())
                    .bind(instant_seconds(at))
                    .bind(resolves.by.as_str())
                    .execute(&mut **t)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Resolves the open rejects of the accepted shifts on the batch connection, when any reject is
/// open.
fn resolve_sqlite(tx: &rusqlite::Transaction<'_>, resolves: &Resolves) -> Result<(), StoreError> {
    let Some(at) = resolves.at.as_ref().filter(|_| !resolves.keys.is_empty()) else {
        return Ok(());
    };
    let open: i64 = tx
        .prepare_cached(include_str!("../../sql/open_rejects_exist.sql"))
        .map_err(sqlite_error)?
        .query_row([], |r| r.get(0))
        .map_err(sqlite_error)?;
    if open == 0 {
        return Ok(());
    }
    let mut statement = tx
        .prepare_cached(&numbered_to_anonymous(include_str!(
            "../../sql/resolve_rejects.sql"
        )))
        .map_err(sqlite_error)?;
    for (worker, shift_ref) in &resolves.keys {
        statement
            .execute(rusqlite::params![
                worker,
                shift_ref,
                instant_seconds(at),
                resolves.by
            ])
            .map_err(sqlite_error)?;
    }
    Ok(())
}

fn check_amended(amend: &Amend, updated: u64) -> Result<(), StoreError> {
    if updated == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "shift {} changed while it was being amended (expected version {}); run the import again",
            amend.shift_id, amend.read_version
        )))
    }
}

/// Runs `head (ids...)` in chunks, with an optional `$1` bound before the ids.
async fn by_id_list(
    tx: &mut Tx,
    head: &str,
    first: Option<bool>,
    shift_ids: &[i64],
) -> Result<(), StoreError> {
    let offset = usize::from(first.is_some());
    for chunk in shift_ids.chunks(IDS_PER_STATEMENT_MAX) {
        let list: Vec<String> = (1..=chunk.len())
            .map(|i| format!("${}", i + offset))
            .collect();
        let sql = format!("{head} ({})", list.join(", "));
        let full = chunk.len() == IDS_PER_STATEMENT_MAX;
        super::on_tx!(tx, conn => {
            let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(full);
            if let Some(value) = first {
                query = query.bind(value);
            }
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(conn).await?;
        });
    }
    Ok(())
}

/// Opens a rusqlite connection to the database file sqlx uses, set up the same way.
pub(crate) fn open_sqlite(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = rusqlite::Connection::open(path).map_err(sqlite_error)?;
    conn.busy_timeout(SQLITE_BUSY_TIMEOUT)
        .map_err(sqlite_error)?;
    conn.execute_batch("pragma journal_mode = wal; pragma synchronous = normal; pragma foreign_keys = on; pragma cache_size = -65536;")
        .map_err(sqlite_error)?;
    Ok(conn)
}

pub(crate) fn sqlite_error(e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite(e.to_string())
}

/// Idle rusqlite connections per database file, reused across batches: opening one costs
/// schema parsing and a WAL checkpoint when it closes.
static IDLE_SQLITE: std::sync::Mutex<Vec<(PathBuf, rusqlite::Connection)>> =
    std::sync::Mutex::new(Vec::new());
/// Idle connections kept at most.
const IDLE_SQLITE_MAX: usize = 4;

/// Runs `work` on an idle connection to `path` (or a new one), then keeps it for the next batch.
pub(crate) fn with_sqlite<T>(
    path: &Path,
    work: impl FnOnce(&mut rusqlite::Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let idle = {
        let mut idle = IDLE_SQLITE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        idle.iter()
            .position(|(p, _)| p == path)
            .map(|i| idle.swap_remove(i).1)
    };
    let mut conn = match idle {
        Some(conn) => conn,
        None => open_sqlite(path)?,
    };
    let result = work(&mut conn);
    if result.is_ok() {
        let mut idle = IDLE_SQLITE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < IDLE_SQLITE_MAX {
            idle.push((path.to_path_buf(), conn));
        }
    }
    result
}

fn write_sqlite_on(conn: &mut rusqlite::Connection, batch: &Batch) -> Result<Written, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error)?;
    let written = write_sqlite_in(&tx, batch)?;
    crate::failpoint::hit("batch.before_commit");
    tx.commit().map_err(sqlite_error)?;
    crate::failpoint::hit("batch.after_commit");
    Ok(written)
}

/// Runs a batch inside a rusqlite transaction the caller holds.
pub(crate) fn write_sqlite_in(
    tx: &rusqlite::Transaction<'_>,
    batch: &Batch,
) -> Result<Written, StoreError> {
    if let Some((claim, expires_at)) = &batch.fence {
        let updated = tx
            .prepare_cached(&numbered_to_anonymous(include_str!(
                "../../sql/partition_renew.sql"
            )))
            .map_err(sqlite_error)?
            .execute(rusqlite::params![
                claim.step.name(),
                claim.run_key,
                claim.partition_key,
                claim.token,
                instant_seconds(expires_at),
            ])
            .map_err(sqlite_error)?;
        if updated != 1 {
            return Err(claim.lost());
        }
    }
    let stale = match batch.costed_with {
        Some(version) => {
            tx.prepare_cached(include_str!("../../sql/reference_version.sql"))
                .map_err(sqlite_error)?
                .query_row([], |r| r.get::<_, i64>(0))
                .map_err(sqlite_error)?
                != version
        }
        None => false,
    };
    let lost = if batch.claims.is_empty() {
        Vec::new()
    } else {
        super::claims::check_sqlite(tx, &batch.claims)?
    };
    let settled = batch.settled(&lost)?;
    let batch = settled.as_ref();
    // What each amendment replaces, read before its segments go.
    let mut before = std::collections::HashMap::new();
    for shift_id in super::audit::needing_before(&batch.audit) {
        if let Some(content) = super::audit::stored_content_sqlite(tx, shift_id)? {
            before.insert(shift_id, content);
        }
    }
    for (rows, ids) in &batch.deletes {
        match rows {
            ShiftRows::Segments => {
                let mut statement = tx
                    .prepare_cached("delete from segment where shift_id = ?1")
                    .map_err(sqlite_error)?;
                for id in ids {
                    statement.execute([id]).map_err(sqlite_error)?;
                }
            }
            ShiftRows::Allocation => {
                let mut statement = tx
                    .prepare_cached(include_str!("../../sql/sqlite/delete_allocation.sql"))
                    .map_err(sqlite_error)?;
                for id in ids {
                    let keys = allocation_keys(*id);
                    statement
                        .execute([keys.start, keys.end])
                        .map_err(sqlite_error)?;
                }
            }
        }
    }
    for amend in &batch.amends {
        let mut statement = tx
            .prepare_cached(&numbered_to_anonymous(include_str!(
                "../../sql/amend_shift.sql"
            )))
            .map_err(sqlite_error)?;
        let updated = statement
            .execute(rusqlite::params![
                amend.shift_id,
                amend.read_version,
                amend.content_hash,
                amend.status.as_str(),
                amend.source,
                instant_seconds(&amend.first_start),
                instant_seconds(&amend.last_end),
                false,
                instant_seconds(&amend.now),
            ])
            .map_err(sqlite_error)?;
        check_amended(amend, updated as u64)?;
    }
    insert_each(tx, &batch.new_shifts, false)?;
    insert_each(tx, &super::audit::with_before(&batch.audit, &before), false)?;
    insert_each(tx, &batch.segments, false)?;
    insert_each(tx, &batch.allocation, false)?;
    insert_each(tx, &batch.rejects, true)?;
    resolve_sqlite(tx, &batch.resolves)?;
    {
        let mut statement = tx
            .prepare_cached("update shift set needs_costing = ?1 where shift_id = ?2")
            .map_err(sqlite_error)?;
        let marks = if stale {
            batch.marked()
        } else {
            batch.costed.clone()
        };
        for id in &marks {
            statement
                .execute(rusqlite::params![stale, id])
                .map_err(sqlite_error)?;
        }
    }
    Ok(Written { lost, stale })
}

/// The amendment statement is written with `$n` for both backends; rusqlite binds by position
/// with `?n` just as well.
pub(crate) fn numbered_to_anonymous(sql: &str) -> String {
    sql.replace('$', "?")
}

/// Inserts `rows` (all of one table) with one cached prepared statement, or upserts them by
/// their key.
pub(crate) fn insert_each<R: TableRow>(
    tx: &rusqlite::Transaction<'_>,
    rows: &[R],
    upsert: bool,
) -> Result<(), StoreError> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let spec = first.spec();
    let suffix = if upsert {
        spec.upsert_suffix()
    } else {
        String::new()
    };
    let sql = format!("{}{suffix}", spec.insert_sql_single());
    let mut statement = tx.prepare_cached(&sql).map_err(sqlite_error)?;
    execute_each(&mut statement, spec, rows)
}

/// Runs a prepared single-row insert of `spec` once per row, binding each row's fields in
/// column order.
pub(crate) fn execute_each<R: TableRow>(
    statement: &mut rusqlite::Statement<'_>,
    spec: &TableSpec,
    rows: &[R],
) -> Result<(), StoreError> {
    for row in rows {
        spec.check_row(row);
        let mut bound = Ok(());
        let mut index = 0;
        row.each_field(&mut |field| {
            index += 1;
            if bound.is_ok() {
                bound = statement.raw_bind_parameter(index, field);
            }
        });
        bound.map_err(sqlite_error)?;
        statement.raw_execute().map_err(sqlite_error)?;
    }
    Ok(())
}

/// A local date as SQLite stores it, `2026-10-06`.
pub(crate) fn sqlite_date(date: &chrono::NaiveDate) -> String {
    use chrono::Datelike;
    if !(0..=9999).contains(&date.year()) {
        return date.to_string();
    }
    let mut out = String::with_capacity(10);
    push_digits(&mut out, date.year() as u32, 4);
    out.push('-');
    push_digits(&mut out, date.month(), 2);
    out.push('-');
    push_digits(&mut out, date.day(), 2);
    out
}

fn push_digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10_u32.pow(place)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

impl ToSql for Field<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Field::Int(Some(v)) => ToSqlOutput::from(v),
            Field::Text(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Field::Date(Some(v)) => ToSqlOutput::from(sqlite_date(&v)),
            Field::Instant(Some(v)) => ToSqlOutput::from(instant_seconds(&v)),
            Field::Bool(v) => ToSqlOutput::from(i64::from(v)),
            Field::Int(None) | Field::Text(None) | Field::Date(None) | Field::Instant(None) => {
                ToSqlOutput::from(rusqlite::types::Null)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_sqlx_writes_them() {
        for (y, m, d) in [(2026, 3, 9), (2026, 12, 31), (1999, 1, 1)] {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(sqlite_date(&date), date.to_string());
        }
    }
}
