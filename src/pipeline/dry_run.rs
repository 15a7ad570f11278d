//! Dry runs: the real pipeline, run against a throwaway copy. SQLite is copied with
//! `VACUUM INTO` to a temporary file; PostgreSQL tables are copied into a scratch schema that is
//! dropped afterwards. The inbox is copied too (with its files' times), output goes to a
//! temporary folder and no email leaves, so the live tables, files and outbox are untouched
//! while everything is computed exactly as a real run would.

use std::path::{Path, PathBuf};

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPoolOptions;

use super::{PipelineError, RunOutcome, RunRequest};
use crate::config::Settings;
use crate::store::{Store, StoreError};

/// Runs `request` on a copy and throws the copy away.
pub async fn run(
    store: &Store,
    settings: &Settings,
    request: &RunRequest,
) -> Result<RunOutcome, PipelineError> {
    let folder = std::env::temp_dir().join(format!("tms-dry-run-{:016x}", rand::random::<u64>()));
    crate::files::create_private_dir_all(&folder).map_err(PipelineError::io(&folder))?;
    let result = run_in(store, settings, request, &folder).await;
    let _ = std::fs::remove_dir_all(&folder);
    result
}

async fn run_in(
    store: &Store,
    settings: &Settings,
    request: &RunRequest,
    folder: &Path,
) -> Result<RunOutcome, PipelineError> {
    let mut copy_settings = settings.clone();
    copy_settings.runner.inbox_dir = folder.join("inbox");
    copy_settings.paths.output_dir = folder.join("out");
    copy_settings.email.outbox_dir = folder.join("outbox");
    // Workers serve the live database, never the copy: the dry run does its partitions itself.
    copy_settings.runner.local_partitions = true;
    copy_inbox(&settings.runner.inbox_dir, &copy_settings.runner.inbox_dir)?;
    let snapshot = Snapshot::take(store, folder).await?;
    let span = tracing::info_span!("run", business_date = %request.business_date, dry_run = true);
    let result = tracing::Instrument::instrument(
        super::run::run_on(&snapshot.store, &copy_settings, request),
        span,
    )
    .await;
    snapshot.drop_copy().await?;
    result
}

/// Copies the inbox's files (not `done/` or `rejects/`), keeping their modification times so
/// the settle rule sees them as the real run would. A file that cannot be copied (it cannot be
/// read) is left out of the dry run, as the log says.
fn copy_inbox(from: &Path, to: &Path) -> Result<(), PipelineError> {
    let io = PipelineError::io;
    crate::files::create_private_dir_all(to).map_err(io(to))?;
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(io(from))?;
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let target = to.join(entry.file_name());
        if let Err(error) = crate::files::copy_private(&entry.path(), &target) {
            tracing::warn!(file = %crate::report::output::visible(&entry.file_name().to_string_lossy()), %error, "an inbox file cannot be copied; the dry run leaves it out");
            let _ = std::fs::remove_file(&target);
            continue;
        }
        if let Ok(modified) = meta.modified() {
            let file = std::fs::File::options()
                .write(true)
                .open(&target)
                .map_err(io(&target))?;
            file.set_modified(modified).map_err(io(&target))?;
        }
    }
    Ok(())
}

/// A copy of the database.
struct Snapshot {
    store: Store,
    /// The PostgreSQL schema holding the copy (with the live pool to drop it from).
    schema: Option<(String, Store)>,
    _file: Option<PathBuf>,
}

impl Snapshot {
    async fn take(store: &Store, folder: &Path) -> Result<Snapshot, PipelineError> {
        let snapshot = match store {
            Store::Sqlite(pool) => {
                let path = folder.join("snapshot.db");
                // An empty private file, which VACUUM INTO fills, keeps the copy private.
                crate::files::ensure_private_file(&path).map_err(PipelineError::io(&path))?;
                sqlx::query("vacuum into $1")
                    .bind(path.display().to_string())
                    .execute(pool)
                    .await
                    .map_err(StoreError::from)?;
                let url = format!("sqlite://{}", path.display());
                Snapshot {
                    store: Store::open(&url, 4).await?,
                    schema: None,
                    _file: Some(path),
                }
            }
            Store::Postgres(pool) => {
                let schema = format!("tms_dry_run_{:016x}", rand::random::<u64>());
                copy_schema(pool, &schema).await?;
                let options = (*pool.connect_options())
                    .clone()
                    .options([("search_path", schema.as_str())]);
                let copy = PgPoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await
                    .map_err(StoreError::from)?;
                Snapshot {
                    store: Store::Postgres(copy),
                    schema: Some((schema, store.clone())),
                    _file: None,
                }
            }
        };
        // The copy starts free: a live run's lease is not the dry run's business.
        let mut tx = snapshot.store.begin().await?;
        crate::store::on_tx!(&mut tx, conn => sqlx::query("update run_lease set holder = null, expires_at = 0")
            .execute(conn).await.map_err(StoreError::from)?.rows_affected());
        tx.commit().await?;
        Ok(snapshot)
    }

    async fn drop_copy(self) -> Result<(), PipelineError> {
        self.store.close().await;
        if let Some((schema, Store::Postgres(live))) = &self.schema {
            sqlx::query(AssertSqlSafe(format!("drop schema {schema} cascade")))
                .execute(live)
                .await
                .map_err(StoreError::from)?;
        }
        Ok(())
    }
}

/// Copies every table of the current schema into `schema`, with identity sequences set past
/// the copied ids.
async fn copy_schema(pool: &sqlx::PgPool, schema: &str) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let live: String = sqlx::query_scalar("select current_schema()")
        .fetch_one(&mut *tx)
        .await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.tables
         where table_schema = current_schema() and table_type = 'BASE TABLE'
         and table_name not like '\\_sqlx%' order by table_name",
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query(AssertSqlSafe(format!("create schema {schema}")))
        .execute(&mut *tx)
        .await?;
    for table in &tables {
        let quoted = quote(table);
        sqlx::query(AssertSqlSafe(format!(
            "create table {schema}.{quoted} (like {live}.{quoted} including all)"
        )))
        .execute(&mut *tx)
        .await?;
        sqlx::query(AssertSqlSafe(format!(
            "insert into {schema}.{quoted} select * from {live}.{quoted}"
        )))
        .execute(&mut *tx)
        .await?;
        let identities: Vec<String> = sqlx::query_scalar(
            "select column_name::text from information_schema.columns
             where table_schema = $1 and table_name = $2 and is_identity = 'YES'",
        )
        .bind(schema)
        .bind(table)
        .fetch_all(&mut *tx)
        .await?;
        for column in identities {
            let quoted_column = quote(&column);
            sqlx::query(AssertSqlSafe(format!(
                "select setval(pg_get_serial_sequence('{schema}.{quoted}', '{column}'), \
                 coalesce((select max({quoted_column}) from {schema}.{quoted}), 0) + 1, false)"
            )))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
