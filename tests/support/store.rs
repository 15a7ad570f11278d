//! A migrated store on a throwaway database, with settings pointing at it: what the storage, API
//! and serving-limit cases are given.

use std::path::{Path, PathBuf};

use sqlx::AssertSqlSafe;
use tms::cli::ExitStatus;
use tms::config::Settings;
use tms::store::Store;
use tms::store::reference::ReferenceData;

use super::database::{Backend, TestDatabase};

/// A migrated, empty database on one backend, with settings pointing at it and at folders in
/// the test's folder.
pub struct TestDb {
    pub store: Store,
    pub settings: Settings,
    database: TestDatabase,
}

impl TestDb {
    /// A fresh database, or `None` (after saying so) when PostgreSQL is not configured.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        let database = TestDatabase::new(backend)?;
        let mut settings = Settings::load(None).expect("default settings");
        settings.database.url = database.url().to_owned();
        settings.paths.output_dir = database.path("out");
        settings.paths.data_dir = database.path("data");
        let store = Store::open_and_migrate(database.url(), 4)
            .await
            .expect("open test database");
        Some(TestDb {
            store,
            settings,
            database,
        })
    }

    /// The test's folder.
    pub fn dir(&self) -> &Path {
        self.database.dir()
    }

    /// The database underneath.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// Imports a file exactly as `tms import` does.
    pub async fn import(&self, kind: &str, file: &Path) -> ExitStatus {
        tms::cli::import(&self.store, &self.settings, kind, file)
            .await
            .expect("import runs")
    }

    /// Writes `contents` to a file named `name` in the test folder and imports it.
    pub async fn import_text(&self, kind: &str, name: &str, contents: &str) -> ExitStatus {
        let path = self.write(name, contents);
        self.import(kind, &path).await
    }

    /// Writes a file into the test folder.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.database.path(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    /// Reference data as the engine sees it now.
    pub async fn reference(&self) -> ReferenceData {
        tms::cli::reference(&self.store, &self.settings)
            .await
            .expect("reference data")
    }

    /// The number of rows in a table.
    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("select count(*) from {table}");
        match &self.store {
            Store::Sqlite(pool) => sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .expect("count"),
            Store::Postgres(pool) => sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .expect("count"),
        }
    }

    /// Closes the pool, then drops the database. Dropping without this also drops the
    /// database, closing its connections by force.
    pub async fn finish(self) {
        self.store.close().await;
    }
}
