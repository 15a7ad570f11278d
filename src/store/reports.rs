//! The report queries: charged, allocated and unpriced time summed per line, one-off items and
//! rejected rows, as plain rows. `report` shapes them into tables; a sum that leaves the range of
//! 64-bit integers comes back as [`StoreError::TotalOutOfRange`] rather than a database error.

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use futures_util::stream::BoxStream;

use super::{Store, StoreError, on_pool};

/// Charged time of approved shifts summed per invoice line (docs/rules.md C5).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ChargeSum {
    pub person_id: String,
    pub local_date: NaiveDate,
    pub service_code: String,
    pub band: String,
    pub ratio: i64,
    pub charge_unit: String,
    pub entry_rate_centipence: i64,
    pub divisor: i64,
    pub minutes: i64,
    pub units: i64,
}

/// A one-off item charged to a person on a date.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OneOff {
    pub person_id: String,
    pub service_code: String,
    pub charge_date: NaiveDate,
}

/// Allocated time (ticks) and pay of one person, or of a cost centre's unallocated work
/// (`UNALLOCATED:<centre>`), over a range of dates.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AllocationSum {
    pub person_id: String,
    pub ticks: i64,
    pub pay_pence: i64,
}

/// A stored reject row with the name of the file it came from.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RejectRow {
    pub file: String,
    pub row: i64,
    pub worker_id: String,
    pub shift_ref: String,
    pub field: String,
    pub reason: String,
    /// When a later accepted shift of the same worker and reference resolved it (Unix
    /// seconds); `None` while it is open.
    pub resolved_at: Option<i64>,
    /// What accepted that shift: the file it was imported from, or who submitted it.
    pub resolved_by: String,
}

/// Time of one approved shift that no rate applies to, summed per line.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UnpricedSum {
    pub person_id: String,
    pub local_date: NaiveDate,
    pub service_code: String,
    pub band: String,
    pub ratio: i64,
    pub minutes: i64,
    pub worker_id: String,
    pub shift_ref: String,
}

/// Turns a database's refusal to sum past 64 bits (SQLite's "integer overflow", PostgreSQL's
/// "bigint out of range", SQLSTATE 22003) into [`StoreError::TotalOutOfRange`]; other errors
/// pass.
pub(crate) fn sum_error(error: sqlx::Error) -> StoreError {
    let out_of_range = error.as_database_error().is_some_and(|db| {
        db.code().as_deref() == Some("22003") || db.message().contains("integer overflow")
    });
    if out_of_range {
        StoreError::TotalOutOfRange(error.to_string())
    } else {
        StoreError::from(error)
    }
}

/// Charged time of approved shifts between two local dates (inclusive), one row per invoice
/// line, for one person or (with `""`) everyone; in no particular order.
pub async fn charge_sums(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
    person: &str,
) -> Result<Vec<ChargeSum>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/report_charges.sql"))
            .bind(from)
            .bind(to)
            .bind(person)
            .fetch_all(pool)
            .await
            .map_err(sum_error)?),
    )
}

/// One-off items charged between two local dates (inclusive), for one person or (with `""`)
/// everyone.
pub async fn one_offs(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
    person: &str,
) -> Result<Vec<OneOff>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/report_one_offs.sql"))
            .bind(from)
            .bind(to)
            .bind(person)
            .fetch_all(pool)
            .await?),
    )
}

/// Allocated time and pay of approved shifts per person, and unallocated work per cost centre,
/// between two local dates (inclusive); in no particular order.
pub async fn allocation_sums(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AllocationSum>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/report_allocation.sql"))
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
            .map_err(sum_error)?),
    )
}

/// Stored reject rows of every import, or (with `Some`) of the imports of one file name, in the
/// order the files were imported and then by row: the open ones, or (with `resolved`) all.
pub async fn rejects(
    store: &Store,
    file: Option<&str>,
    resolved: bool,
) -> Result<Vec<RejectRow>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/report_rejects.sql"))
            .bind(file.unwrap_or(""))
            .bind(resolved)
            .fetch_all(pool)
            .await?),
    )
}

/// Whether any file has been imported under `name`.
pub async fn imported_under(store: &Store, name: &str) -> Result<bool, StoreError> {
    let count: i64 = on_pool!(store, pool => sqlx::query_scalar(include_str!("../../sql/import_file_named.sql"))
        .bind(name)
        .fetch_one(pool)
        .await?);
    Ok(count > 0)
}

/// Streams the reject rows of one import in row order.
pub fn rejects_of_import(
    store: &Store,
    import_file_id: i64,
) -> BoxStream<'_, Result<RejectRow, StoreError>> {
    let rows: BoxStream<'_, Result<RejectRow, sqlx::Error>> = on_pool!(store, pool => sqlx::query_as(
        include_str!("../../sql/report_rejects_for_import.sql")
    )
    .bind(import_file_id)
    .fetch(pool));
    Box::pin(rows.map_err(StoreError::from))
}

/// Time of approved shifts no rate applies to between two local dates (inclusive), per line and
/// shift; in no particular order.
pub async fn unpriced_sums(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<UnpricedSum>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/report_unpriced.sql"))
            .bind(from)
            .bind(to)
            .bind(true)
            .fetch_all(pool)
            .await
            .map_err(sum_error)?),
    )
}

/// Unpriced time of approved shifts for one service and person, over all dates.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UnpricedTotal {
    pub service_code: String,
    pub person_id: String,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub minutes: i64,
}

/// Unpriced time of approved shifts per service and person, over all dates; in no particular
/// order.
pub async fn unpriced_totals(store: &Store) -> Result<Vec<UnpricedTotal>, StoreError> {
    Ok(match store {
        Store::Sqlite(pool) => sqlx::query_as(include_str!("../../sql/sqlite/unpriced_totals.sql"))
            .fetch_all(pool)
            .await
            .map_err(sum_error)?,
        Store::Postgres(pool) => {
            sqlx::query_as(include_str!("../../sql/postgres/unpriced_totals.sql"))
                .fetch_all(pool)
                .await
                .map_err(sum_error)?
        }
    })
}

/// The approved and waiting shifts of a worker: each one's first start and last end, in seconds
/// since the Unix epoch.
pub async fn worker_shift_spans(
    store: &Store,
    worker: &str,
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/worker_shift_spans.sql"))
            .bind(worker)
            .fetch_all(pool)
            .await?),
    )
}
