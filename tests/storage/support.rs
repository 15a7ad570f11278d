//! Test databases: a fresh SQLite file, and a fresh PostgreSQL database when
//! `TMS_TEST_DATABASE_URL` names a server. Without it the PostgreSQL cases say they were not run,
//! and fail under `CI=true`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::AssertSqlSafe;
use sqlx::Connection;
use tms::cli::ExitStatus;
use tms::config::Settings;
use tms::store::Store;
use tms::store::reference::ReferenceData;

/// A migrated, empty database on one backend, with settings pointing at it.
pub(crate) struct TestDb {
    pub(crate) store: Store,
    pub(crate) settings: Settings,
    pub(crate) dir: tempfile::TempDir,
    cleanup: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Which backend a case runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl TestDb {
    /// A fresh database, or `None` (after saying so) when PostgreSQL is not configured.
    pub(crate) async fn new(backend: Backend) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, cleanup) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("tms.db").display()),
                None,
            ),
            Backend::Postgres => {
                let Ok(server) = std::env::var("TMS_TEST_DATABASE_URL") else {
                    if std::env::var("CI").is_ok_and(|v| v == "true") {
                        panic!(
                            "CI=true but TMS_TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI"
                        );
                    }
                    eprintln!(
                        "PostgreSQL test not run: set TMS_TEST_DATABASE_URL=postgres://user@host:port/db to run it"
                    );
                    return None;
                };
                let name = format!(
                    "tms_t{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    rand_suffix()
                );
                let mut admin = sqlx::PgConnection::connect(&server)
                    .await
                    .expect("connect to TMS_TEST_DATABASE_URL");
                sqlx::query(AssertSqlSafe(format!("create database {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                (replace_database(&server, &name), Some((server, name)))
            }
        };
        let mut settings = Settings::load(None).expect("default settings");
        settings.database.url = url.clone();
        settings.paths.output_dir = dir.path().join("out");
        settings.paths.data_dir = dir.path().join("data");
        let store = Store::open_and_migrate(&url, 4)
            .await
            .expect("open test database");
        Some(TestDb {
            store,
            settings,
            dir,
            cleanup,
        })
    }

    /// Imports a file exactly as `tms import` does.
    pub(crate) async fn import(&self, kind: &str, file: &Path) -> ExitStatus {
        tms::cli::import(&self.store, &self.settings, kind, file)
            .await
            .expect("import runs")
    }

    /// Writes `contents` to a file named `name` in the test folder and imports it.
    pub(crate) async fn import_text(&self, kind: &str, name: &str, contents: &str) -> ExitStatus {
        let path = self.write(name, contents);
        self.import(kind, &path).await
    }

    /// Writes a file into the test folder.
    pub(crate) fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    /// Reference data as the engine sees it now.
    pub(crate) async fn reference(&self) -> ReferenceData {
        tms::cli::reference(&self.store, &self.settings)
            .await
            .expect("reference data")
    }

    /// The number of rows in a table.
    pub(crate) async fn count(&self, table: &str) -> i64 {
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

    /// Closes the pool and drops a PostgreSQL test database.
    pub(crate) async fn finish(self) {
        self.store.close().await;
        if let Some((server, name)) = self.cleanup {
            let mut admin = sqlx::PgConnection::connect(&server).await.expect("connect");
            sqlx::query(AssertSqlSafe(format!(
                "drop database if exists {name} with (force)"
            )))
            .execute(&mut admin)
            .await
            .ok();
        }
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()))
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let cut = base.rfind('/').expect("a database URL has a path");
    let mut out = format!("{}/{name}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The folder of the rules.md worked-example fixtures.
pub(crate) fn rules_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// Imports the worked-example reference data (cost centres to rate card).
pub(crate) async fn load_rules_reference(db: &TestDb) {
    for kind in ["cost-centres", "services", "workers", "people", "rate-card"] {
        let status = db
            .import(kind, &rules_fixtures().join(format!("{kind}.csv")))
            .await;
        assert_eq!(status, ExitStatus::Ok, "importing {kind}");
    }
}

/// Runs a report into a string.
pub(crate) fn render(table: &tms::report::Table, format: tms::report::Format) -> String {
    let mut out = Vec::new();
    table.write(format, &mut out).expect("write report");
    String::from_utf8(out).expect("utf-8")
}

/// Defines a test per backend for an `async fn(&TestDb)`.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            use $crate::support::{Backend, TestDb};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = TestDb::new(Backend::Sqlite)
                    .await
                    .expect("sqlite is always available");
                super::$name(&db).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = TestDb::new(Backend::Postgres).await else {
                    return;
                };
                super::$name(&db).await;
                db.finish().await;
            }
        }
    };
}
