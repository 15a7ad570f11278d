//! Throwaway copies of the database for dry runs: SQLite is copied with `VACUUM INTO` to a
//! private file; PostgreSQL tables are copied into a scratch schema of the same database, which
//! [`DatabaseCopy::drop_copy`] drops again. A copy starts with its run lease free.

use std::path::{Path, PathBuf};

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPoolOptions;

use super::{Store, StoreError};

/// Connections a copy's pool keeps at most.
const COPY_CONNECTIONS: u32 = 4;

/// A copy of the database, open as a [`Store`] of its own.
pub struct DatabaseCopy {
    store: Store,
    /// The PostgreSQL schema holding the copy, with the live pool to drop it from.
    schema: Option<(String, Store)>,
    /// The SQLite file holding the copy.
    file: Option<PathBuf>,
}

impl DatabaseCopy {
    /// Copies the database `store` talks to. A SQLite copy is written as `snapshot.db` in
    /// `folder`, which the caller removes; a PostgreSQL copy lives in a new schema until
    /// [`DatabaseCopy::drop_copy`].
    pub async fn take(store: &Store, folder: &Path) -> Result<DatabaseCopy, StoreError> {
        let copy = match store {
            Store::Sqlite(pool) => {
                let path = folder.join("snapshot.db");
                // An empty private file, which VACUUM INTO fills, keeps the copy private.
                crate::files::ensure_private_file(&path).map_err(|source| StoreError::Folder {
                    path: path.display().to_string(),
                    source,
                })?;
                sqlx::query(include_str!("../../sql/sqlite/copy_database.sql"))
                    .bind(path.display().to_string())
                    .execute(pool)
                    .await?;
                let url = format!("sqlite://{}", path.display());
                DatabaseCopy {
                    store: Store::open(&url, COPY_CONNECTIONS).await?,
                    schema: None,
                    file: Some(path),
                }
            }
            Store::Postgres(pool) => {
                let schema = format!("tms_dry_run_{:016x}", rand::random::<u64>());
                copy_schema(pool, &schema).await?;
                let options = (*pool.connect_options())
                    .clone()
                    .options([("search_path", schema.as_str())]);
                let copy = PgPoolOptions::new()
                    .max_connections(COPY_CONNECTIONS)
                    .connect_with(options)
                    .await?;
                DatabaseCopy {
                    store: Store::Postgres(copy),
                    schema: Some((schema, store.clone())),
                    file: None,
                }
            }
        };
        let mut tx = copy.store.begin().await?;
        super::on_tx!(&mut tx, conn => sqlx::query(include_str!("../../sql/run_lease_free.sql"))
            .execute(conn)
            .await?
            .rows_affected());
        tx.commit().await?;
        Ok(copy)
    }

    /// The copy, to run against as against the live database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Where a SQLite copy is kept; `None` for a PostgreSQL copy.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The schema holding a PostgreSQL copy; `None` for a SQLite copy.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_ref().map(|(schema, _)| schema.as_str())
    }

    /// Closes the copy and, on PostgreSQL, drops its schema.
    pub async fn drop_copy(self) -> Result<(), StoreError> {
        self.store.close().await;
        if let Some((schema, Store::Postgres(live))) = &self.schema {
            let sql = include_str!("../../sql/postgres/copy_drop_schema.sql")
                .replace("{copy}", &quote(schema));
            sqlx::query(AssertSqlSafe(sql)).execute(live).await?;
        }
        Ok(())
    }
}

/// Copies every table of the current schema into the new schema `schema`, with identity
/// sequences set past the copied ids.
async fn copy_schema(pool: &sqlx::PgPool, schema: &str) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let live: String = sqlx::query_scalar(include_str!("../../sql/postgres/copy_live_schema.sql"))
        .fetch_one(&mut *tx)
        .await?;
    let tables: Vec<String> =
        sqlx::query_scalar(include_str!("../../sql/postgres/copy_tables.sql"))
            .fetch_all(&mut *tx)
            .await?;
    let (copy, live) = (quote(schema), quote(&live));
    let fill = |template: &str, table: &str| {
        template
            .replace("{copy}", &copy)
            .replace("{live}", &live)
            .replace("{table}", table)
    };
    sqlx::query(AssertSqlSafe(fill(
        include_str!("../../sql/postgres/copy_create_schema.sql"),
        "",
    )))
    .execute(&mut *tx)
    .await?;
    for table in &tables {
        let quoted = quote(table);
        for template in [
            include_str!("../../sql/postgres/copy_create_table.sql"),
            include_str!("../../sql/postgres/copy_rows.sql"),
        ] {
            sqlx::query(AssertSqlSafe(fill(template, &quoted)))
                .execute(&mut *tx)
                .await?;
        }
        let identities: Vec<String> =
            sqlx::query_scalar(include_str!("../../sql/postgres/copy_identity_columns.sql"))
                .bind(schema)
                .bind(table)
                .fetch_all(&mut *tx)
                .await?;
        for column in identities {
            let sql = fill(
                include_str!("../../sql/postgres/copy_identity.sql"),
                &quoted,
            )
            .replace("{column}", &quote(&column));
            sqlx::query(AssertSqlSafe(sql))
                .bind(format!("{copy}.{quoted}"))
                .bind(&column)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A PostgreSQL identifier, double-quoted.
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
