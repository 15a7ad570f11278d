//! Storage: one API over SQLite (the embedded default) and PostgreSQL, chosen by URL.
//!
//! Queries are plain SQL kept under `sql/`, run through sqlx at runtime with `$n` parameters on
//! both backends; where the dialects differ a query has a file per backend. Writes that belong
//! together run in one [`Tx`]; on SQLite a write transaction takes the lock up front
//! (`BEGIN IMMEDIATE`) so it never fails half-way on a busy database. Pool connections sync the
//! write-ahead log on every commit (`synchronous = full`): a change acknowledged to a client
//! survives a power cut. Bulk imports write through their own connection (see [`batch`]), where a
//! crash loses at most the last batch, which re-running the import writes again.

pub mod access;
pub mod audit;
pub mod batch;
pub mod bulk;
pub(crate) mod change_tx;
pub mod claims;
pub mod closed;
pub mod copy;
pub mod names;
pub mod reference;
pub mod reports;
pub mod rows;
pub mod runs;
pub mod shift_records;
pub mod shifts;
pub mod staging;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, Postgres};
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use sqlx::{PgPool, SqlitePool, Transaction};

pub use bulk::{ColType, TableSpec, Value};

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://...")]
    Url(String),
    #[error("cannot create the database file or its folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    /// The PostgreSQL server could not be reached, or refused the connection.
    #[error("cannot connect to the database server {server}: {reason}")]
    Connect { server: String, reason: String },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlite(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the lease {0} was taken over by another process; this one's work was not committed")]
    LeaseLost(String),
    #[error(
        "the partition {0} was taken over by another worker; this one's work on it was not committed"
    )]
    ClaimLost(String),
    /// A sum the database was asked for left the range of 64-bit integers.
    #[error("a total is out of the range of 64-bit integers: {0}")]
    TotalOutOfRange(String),
}

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the two backends.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction on either backend.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs the same code against whichever pool a [`Store`] holds.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}

/// Runs the same code against whichever connection a [`Tx`] holds.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

pub(crate) use on_pool;
pub(crate) use on_tx;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long opening a PostgreSQL database waits for the server's first answer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a SQLite connection waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

impl Store {
    /// Connects to `url`, creating a SQLite database file (and its folder) on first use.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let max_connections = max_connections.max(2);
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .pragma("cache_size", "-8192");
            let file = options.get_filename();
            if let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                ensure_folder(folder)?;
            }
            // Created here, private, rather than by SQLite with the process's default mode; the
            // write-ahead log and shared-memory files take the database file's mode.
            if !file.as_os_str().is_empty() && !file.starts_with(":memory:") {
                crate::files::ensure_private_file(file).map_err(|source| StoreError::Folder {
                    path: file.display().to_string(),
                    source,
                })?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .connect_with(options)
                .await?;
            Ok(Store::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            // One connection first, within a few seconds, so that a server that is down or
            // unreachable is named at once rather than after the pool's wait for a connection.
            let server = format!("{}:{}", options.get_host(), options.get_port());
            match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
                Ok(Ok(first)) => first.close().await?,
                Ok(Err(e)) => {
                    return Err(StoreError::Connect {
                        server,
                        reason: e.to_string(),
                    });
                }
                Err(_) => {
                    return Err(StoreError::Connect {
                        server,
                        reason: format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                    });
                }
            }
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .connect_with(options)
                .await?;
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::Url(redact_url(url)))
        }
    }

    /// A new pool of at most `max_connections` to the same database, set up the same way, for
    /// a task that runs on a runtime of its own (connections belong to the runtime that opened
    /// them).
    pub async fn reconnect(&self, max_connections: u32) -> Result<Store, StoreError> {
        Ok(match self {
            Store::Sqlite(pool) => Store::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .connect_with((*pool.connect_options()).clone())
                    .await?,
            ),
            Store::Postgres(pool) => Store::Postgres(
                PgPoolOptions::new()
                    .max_connections(max_connections)
                    .connect_with((*pool.connect_options()).clone())
                    .await?,
            ),
        })
    }

    /// Opens and brings the schema up to date.
    pub async fn open_and_migrate(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let store = Store::open(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies any migrations not yet applied, and gives a new database the shipped
    /// England and Wales bank holidays (`assets/bank-holidays/england-and-wales.csv`).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Store::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        self.seed_bank_holidays().await
    }

    async fn seed_bank_holidays(&self) -> Result<(), StoreError> {
        const SHIPPED: &str = include_str!("../../assets/bank-holidays/england-and-wales.csv");
        let stored: i64 = on_pool!(self, pool => sqlx::query_scalar("select count(*) from bank_holiday").fetch_one(pool).await?);
        if stored > 0 {
            return Ok(());
        }
        let mut rows = Vec::new();
        for record in csv::Reader::from_reader(SHIPPED.as_bytes()).records() {
            let record =
                record.map_err(|e| StoreError::Corrupt(format!("shipped bank holidays: {e}")))?;
            let date = crate::domain::time::parse_date(&record[1])
                .map_err(|e| StoreError::Corrupt(format!("shipped bank holidays: {e}")))?;
            rows.push(rows::BankHolidayRow {
                calendar: record[0].to_owned(),
                holiday_date: date,
                name: record[2].to_owned(),
            });
        }
        let mut tx = self.begin().await?;
        reference::bump_version(&mut tx).await?;
        bulk::upsert_rows(&mut tx, &rows).await?;
        tx.commit().await
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Closes every connection (checkpointing SQLite's write-ahead log).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

fn ensure_folder(folder: &Path) -> Result<(), StoreError> {
    crate::files::create_private_dir_all(folder).map_err(|source| StoreError::Folder {
        path: folder.display().to_string(),
        source,
    })
}

/// Hides the password of a `scheme://user:password@host/...` URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
