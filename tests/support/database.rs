//! Throwaway databases: a SQLite file in a temporary folder, or a fresh database on the
//! PostgreSQL server named by `TMS_TEST_DATABASE_URL`. Each is removed when its handle is
//! dropped, also when the test panics.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AssertSqlSafe, Connection};

/// The start of the name of every PostgreSQL database the tests make.
pub const DATABASE_PREFIX: &str = "tms_test_";

/// Which backend a case runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether the tests run in CI (`CI=true`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The PostgreSQL server for tests, or `None` (after saying the case was not run) when
/// `TMS_TEST_DATABASE_URL` is not set. Under `CI=true` a missing server fails the test.
pub fn postgres_server() -> Option<String> {
    match std::env::var("TMS_TEST_DATABASE_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                !in_ci(),
                "CI=true but TMS_TEST_DATABASE_URL is not set: the PostgreSQL cases must run in CI"
            );
            eprintln!(
                "PostgreSQL case not run: set TMS_TEST_DATABASE_URL=postgres://user@host:port/db to run it"
            );
            None
        }
    }
}

/// An empty database on one backend and a temporary folder for the test's files. A SQLite
/// database is the file `tms.db` in that folder. Dropping the handle drops a PostgreSQL database
/// and removes the folder.
pub struct TestDatabase {
    backend: Backend,
    url: String,
    // Declared before `dir`: the database goes first, then its folder.
    postgres: Option<PostgresDatabase>,
    dir: tempfile::TempDir,
}

impl TestDatabase {
    /// A fresh database, or `None` when the backend is PostgreSQL and no server is configured
    /// (see [`postgres_server`]).
    pub fn new(backend: Backend) -> Option<TestDatabase> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, postgres) = match backend {
            Backend::Sqlite => (sqlite_url(dir.path()), None),
            Backend::Postgres => {
                let server = postgres_server()?;
                let database = PostgresDatabase::create(server, None);
                (database.url(), Some(database))
            }
        };
        Some(TestDatabase {
            backend,
            url,
            postgres,
            dir,
        })
    }

    /// A copy of this database and its folder: the folder is copied with everything in it (a
    /// SQLite database with it), and a PostgreSQL database is cloned cheaply with
    /// `CREATE DATABASE ... TEMPLATE`, which needs every connection to this one closed.
    pub fn copy(&self) -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_tree(self.dir.path(), dir.path());
        let (url, postgres) = match &self.postgres {
            None => (sqlite_url(dir.path()), None),
            Some(template) => {
                let database =
                    PostgresDatabase::create(template.server.clone(), Some(&template.name));
                (database.url(), Some(database))
            }
        };
        TestDatabase {
            backend: self.backend,
            url,
            postgres,
            dir,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database URL, as `TMS_DATABASE__URL` takes it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The test's folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A path in the test's folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The PostgreSQL database's name; `None` on SQLite.
    pub fn postgres_name(&self) -> Option<&str> {
        self.postgres.as_ref().map(|p| p.name.as_str())
    }
}

/// A database on the test server, dropped with the handle.
struct PostgresDatabase {
    server: String,
    name: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl PostgresDatabase {
    /// Creates a database on `server`, empty or as a copy of `template`.
    fn create(server: String, template: Option<&str>) -> PostgresDatabase {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "{DATABASE_PREFIX}{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let sql = match template {
            None => format!("create database {name}"),
            Some(template) => format!("create database {name} template {template}"),
        };
        if let Err(e) = admin(&server, &sql) {
            panic!("{sql} on TMS_TEST_DATABASE_URL: {e}");
        }
        PostgresDatabase { server, name }
    }

    fn url(&self) -> String {
        replace_database(&self.server, &self.name)
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let sql = format!("drop database if exists {} with (force)", self.name);
        if let Err(e) = admin(&self.server, &sql) {
            eprintln!("test database {} left on the server: {e}", self.name);
        }
    }
}

/// Runs one statement on a fresh connection to `server`, on a thread of its own with its own
/// runtime, so that it works from `Drop` and from both blocking and async tests.
fn admin(server: &str, sql: &str) -> Result<(), String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("no runtime: {e}"))?;
                runtime
                    .block_on(async {
                        let mut conn = sqlx::PgConnection::connect(server).await?;
                        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                            .execute(&mut conn)
                            .await?;
                        conn.close().await
                    })
                    .map_err(|e| e.to_string())
            })
            .join()
            .unwrap_or_else(|_| Err("the connection thread panicked".to_owned()))
    })
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("tms.db").display())
}

/// `url` with its database replaced by `name`, its query string kept.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let cut = base.rfind('/').expect("a database URL has a path");
    match query {
        Some(q) => format!("{}/{name}?{q}", &base[..cut]),
        None => format!("{}/{name}", &base[..cut]),
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
