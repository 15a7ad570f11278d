//! The inbox files each ingest step handled, and the imports they became.

use crate::domain::import::{ImportOutcome, ImportStatus};
use crate::store::{Store, StoreError, on_pool, on_tx};

/// An inbox file an ingest step handled.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct IngestFile {
    pub file_name: String,
    pub sha256: String,
    pub kind: String,
    #[sqlx(try_from = "String")]
    pub outcome: ImportOutcome,
    pub rows_read: i64,
    pub shifts_new: i64,
    pub shifts_amended: i64,
    pub shifts_unchanged: i64,
    pub shifts_rejected: i64,
    pub rows_rejected: i64,
    pub detail: String,
}

impl IngestFile {
    /// Takes a shift import's counts; rejected rows make the outcome `rejected_rows`.
    pub fn take_counts(&mut self, counts: &crate::store::shifts::ImportCounts) {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.rows_read = n(counts.rows_read);
        self.shifts_new = n(counts.shifts_new);
        self.shifts_amended = n(counts.shifts_amended);
        self.shifts_unchanged = n(counts.shifts_unchanged);
        self.shifts_rejected = n(counts.shifts_rejected);
        self.rows_rejected = n(counts.rows_rejected);
        if counts.rows_rejected > 0 {
            self.outcome = ImportOutcome::RejectedRows;
        }
    }
}

/// Records how an ingest step handled a file.
pub async fn put_ingest_file(
    store: &Store,
    job_run_id: i64,
    file: &IngestFile,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/ingest_file_put.sql"))
        .bind(job_run_id).bind(&file.file_name).bind(&file.sha256).bind(&file.kind)
        .bind(file.outcome.as_str()).bind(file.rows_read).bind(file.shifts_new).bind(file.shifts_amended)
        .bind(file.shifts_unchanged).bind(file.shifts_rejected).bind(file.rows_rejected)
        .bind(&file.detail).execute(conn).await?.rows_affected());
    tx.commit().await
}

/// The files an ingest step has handled so far.
pub async fn ingest_files(store: &Store, job_run_id: i64) -> Result<Vec<IngestFile>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/ingest_files.sql"))
        .bind(job_run_id).fetch_all(pool).await?),
    )
}

/// A shift file's earlier import with the same content.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EarlierImport {
    pub import_file_id: i64,
    #[sqlx(try_from = "String")]
    pub status: ImportStatus,
    pub job_run_id: Option<i64>,
    pub file_name: String,
    pub first_imported_at: i64,
    pub last_imported_at: i64,
    pub rows_read: i64,
    pub shifts_new: i64,
    pub shifts_amended: i64,
    pub shifts_unchanged: i64,
    pub shifts_rejected: i64,
    pub rows_rejected: i64,
}

impl EarlierImport {
    /// Its counts as the import reported them.
    pub fn counts(&self) -> crate::store::shifts::ImportCounts {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        crate::store::shifts::ImportCounts {
            rows_read: n(self.rows_read),
            shifts_new: n(self.shifts_new),
            shifts_amended: n(self.shifts_amended),
            shifts_unchanged: n(self.shifts_unchanged),
            shifts_rejected: n(self.shifts_rejected),
            rows_rejected: n(self.rows_rejected),
        }
    }
}

/// The import of a file with these bytes, if any.
pub async fn earlier_import(
    store: &Store,
    kind: &str,
    sha256: &str,
) -> Result<Option<EarlierImport>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/import_file_by_hash.sql"))
        .bind(kind).bind(sha256).fetch_optional(pool).await?),
    )
}

/// Shifts created and amended by CSV files named `file_name` since `since`, by the audit trail.
pub async fn file_changes_since(
    store: &Store,
    file_name: &str,
    since: i64,
) -> Result<(i64, i64), StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/import_changes_since.sql"))
        .bind(file_name).bind(since).fetch_one(pool).await?),
    )
}

/// Corrects the new, amended and unchanged counts of a finished import.
pub async fn recount_import(
    store: &Store,
    import_file_id: i64,
    counts: &crate::store::shifts::ImportCounts,
) -> Result<(), StoreError> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/import_file_recount.sql"))
        .bind(import_file_id).bind(n(counts.shifts_new)).bind(n(counts.shifts_amended))
        .bind(n(counts.shifts_unchanged)).execute(conn).await?.rows_affected());
    tx.commit().await
}
