//! The test databases clean up after themselves: a dropped handle leaves no PostgreSQL database
//! on the server and no folder on disk, also when its case panics or its pool is still open.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, Connection};

use crate::on_both;
use crate::support::{Backend, DATABASE_PREFIX, TestDatabase, TestDb, postgres_server};

/// Whether the test server has a database named `name`.
async fn on_server(name: &str) -> bool {
    let server = postgres_server().expect("a PostgreSQL case has a server");
    let mut conn = sqlx::PgConnection::connect(&server)
        .await
        .expect("connect to the test server");
    let found: i64 = sqlx::query_scalar("select count(*) from pg_database where datname = $1")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .expect("look up the database");
    conn.close().await.ok();
    found > 0
}

/// Runs SQL statements on a test database; returns the first column of the last one's rows.
async fn run_sql(db: &TestDatabase, statements: &[&str]) -> Vec<String> {
    let mut rows = Vec::new();
    match db.backend() {
        Backend::Sqlite => {
            let options = SqliteConnectOptions::from_str(db.url())
                .expect("a SQLite URL")
                .create_if_missing(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("connect");
            for sql in statements {
                rows = sqlx::query_scalar(AssertSqlSafe(*sql))
                    .fetch_all(&mut conn)
                    .await
                    .expect(sql);
            }
            conn.close().await.ok();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(db.url())
                .await
                .expect("connect");
            for sql in statements {
                rows = sqlx::query_scalar(AssertSqlSafe(*sql))
                    .fetch_all(&mut conn)
                    .await
                    .expect(sql);
            }
            conn.close().await.ok();
        }
    }
    rows
}

/// What a handle leaves behind if it does not clean up: its folder and its PostgreSQL database.
struct Traces {
    dir: PathBuf,
    postgres: Option<String>,
}

impl Traces {
    fn of(db: &TestDatabase) -> Traces {
        Traces {
            dir: db.dir().to_owned(),
            postgres: db.postgres_name().map(str::to_owned),
        }
    }

    async fn assert_present(&self) {
        assert!(self.dir.is_dir(), "{} exists", self.dir.display());
        if let Some(name) = &self.postgres {
            assert!(on_server(name).await, "{name} is on the server");
        }
    }

    async fn assert_gone(&self) {
        assert!(!self.dir.exists(), "{} was removed", self.dir.display());
        if let Some(name) = &self.postgres {
            assert!(!on_server(name).await, "{name} was dropped from the server");
        }
    }
}

async fn a_database_and_its_copy_are_removed_when_dropped(backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    assert_eq!(db.postgres_name().is_some(), backend == Backend::Postgres);
    if let Some(name) = db.postgres_name() {
        assert!(name.starts_with(DATABASE_PREFIX), "{name}");
    }
    std::fs::write(db.path("note.txt"), "copied").expect("write a file");
    run_sql(
        &db,
        &[
            "create table note (body text)",
            "insert into note values ('copied')",
        ],
    )
    .await;
    let copy = db.copy();
    assert_ne!(copy.url(), db.url(), "the copy is another database");
    assert_eq!(
        std::fs::read_to_string(copy.path("note.txt")).expect("the copied file"),
        "copied"
    );
    assert_eq!(
        run_sql(&copy, &["select body from note"]).await,
        ["copied"],
        "the copy holds the original's rows"
    );
    let traces = [Traces::of(&db), Traces::of(&copy)];
    for trace in &traces {
        trace.assert_present().await;
    }
    drop(copy);
    drop(db);
    for trace in &traces {
        trace.assert_gone().await;
    }
}
on_both!(a_database_and_its_copy_are_removed_when_dropped);

async fn a_case_that_panics_leaves_nothing_behind(backend: Backend) {
    let mut traces = None;
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let Some(db) = TestDatabase::new(backend) else {
            return;
        };
        let copy = db.copy();
        traces = Some([Traces::of(&db), Traces::of(&copy)]);
        panic!("a case fails while its databases are open");
    }));
    let Some(traces) = traces else {
        return;
    };
    assert!(outcome.is_err(), "the case panicked");
    for trace in &traces {
        trace.assert_gone().await;
    }
}
on_both!(a_case_that_panics_leaves_nothing_behind);

async fn a_store_dropped_with_its_pool_open_is_removed(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    assert_eq!(db.count("shift").await, 0, "a fresh store is empty");
    let trace = Traces::of(db.database());
    trace.assert_present().await;
    drop(db);
    trace.assert_gone().await;
}
on_both!(a_store_dropped_with_its_pool_open_is_removed);
