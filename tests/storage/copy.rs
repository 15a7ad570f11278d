//! Copies of the database for dry runs: a copy holds the live data with its run lease free,
//! writes to it never reach the live database, rows added to it take ids past the copied ones,
//! and dropping a PostgreSQL copy drops its schema.

use chrono::{Duration, Utc};
use sqlx::AssertSqlSafe;
use tms::cli::ExitStatus;
use tms::store::Store;
use tms::store::copy::DatabaseCopy;
use tms::store::runs::{HolderProcess, LeaseClaim, acquire_lease};

use crate::fixtures::{load_rules_reference, rules_fixtures};
use crate::on_both;
use crate::support::TestDb;

fn process() -> HolderProcess {
    HolderProcess {
        host: "host-a".into(),
        boot_id: "boot-1".into(),
        pid_namespace: "pid:[4026531836]".into(),
        pid: 1,
    }
}

async fn scalar(store: &Store, sql: &str) -> i64 {
    let sql = sql.to_owned();
    match store {
        Store::Sqlite(pool) => sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(pool)
            .await
            .expect("query"),
        Store::Postgres(pool) => sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(pool)
            .await
            .expect("query"),
    }
}

async fn a_dry_run_copy_is_apart_from_the_live_database(db: &TestDb) {
    load_rules_reference(db).await;
    let status = db
        .import("shifts", &rules_fixtures().join("shifts.csv"))
        .await;
    // The worked examples include rows rejected on purpose.
    assert_eq!(status, ExitStatus::Rejected, "the live shifts import");
    let live_shifts = db.count("shift").await;
    assert!(live_shifts > 0, "the live database has shifts");
    let now = Utc::now();
    let live_lease = acquire_lease(
        &db.store,
        "nightly",
        "live-run",
        &process(),
        Duration::seconds(60),
        now,
    )
    .await
    .expect("lease");
    assert!(matches!(live_lease, LeaseClaim::Acquired(_)));

    let folder = db.dir().join("dry-run");
    std::fs::create_dir_all(&folder).expect("folder");
    let copy = DatabaseCopy::take(&db.store, &folder)
        .await
        .expect("the database is copied");
    assert_eq!(
        scalar(copy.store(), "select count(*) from shift").await,
        live_shifts,
        "the copy holds the live shifts"
    );
    assert_eq!(
        scalar(copy.store(), "select count(*) from allocation").await,
        db.count("allocation").await,
        "and their allocation"
    );

    // The live run's lease is not the copy's: a run on the copy takes it at once.
    let on_copy = acquire_lease(
        copy.store(),
        "nightly",
        "dry-run",
        &process(),
        Duration::seconds(60),
        now,
    )
    .await
    .expect("lease on the copy");
    assert!(
        matches!(on_copy, LeaseClaim::Acquired(_)),
        "the copy's lease is free: {on_copy:?}"
    );
    let on_live = acquire_lease(
        &db.store,
        "nightly",
        "another-run",
        &process(),
        Duration::seconds(60),
        now,
    )
    .await
    .expect("lease");
    assert!(
        matches!(on_live, LeaseClaim::Held { ref holder, .. } if holder == "live-run"),
        "the live lease is still held: {on_live:?}"
    );

    // A shift imported into the copy takes a new id and stays in the copy.
    let file = db.write(
        "copy-only.csv",
        "shift_ref,worker_id,start,end,service,people,miles,notes\n\
         COPY1,W1,2026-11-02T09:00,2026-11-02T10:00,PERSONAL_CARE,A,,\n",
    );
    let status = tms::cli::import(copy.store(), &db.settings, "shifts", &file)
        .await
        .expect("import into the copy");
    assert_eq!(status, ExitStatus::Ok, "the copy takes new rows");
    assert_eq!(
        scalar(copy.store(), "select count(*) from shift").await,
        live_shifts + 1
    );
    let live_max = scalar(&db.store, "select max(shift_id) from shift").await;
    let new_id = scalar(
        copy.store(),
        "select shift_id from shift where shift_ref = 'COPY1'",
    )
    .await;
    assert!(
        new_id > live_max,
        "new ids follow the copied ones: {new_id} after {live_max}"
    );
    assert_eq!(
        db.count("shift").await,
        live_shifts,
        "the live database is untouched"
    );
    assert_eq!(
        scalar(
            &db.store,
            "select count(*) from import_file where file_name = 'copy-only.csv'"
        )
        .await,
        0,
        "the live database records no import of the copy's file"
    );

    let schema = copy.schema().map(str::to_owned);
    assert_eq!(
        schema.is_some(),
        matches!(db.store, Store::Postgres(_)),
        "a PostgreSQL copy is a schema, a SQLite copy a file"
    );
    copy.drop_copy().await.expect("the copy is dropped");
    if let Some(schema) = schema {
        let left = scalar(
            &db.store,
            &format!(
                "select count(*) from information_schema.schemata where schema_name = '{schema}'"
            ),
        )
        .await;
        assert_eq!(left, 0, "the copy's schema {schema} is gone");
    }
    assert_eq!(db.count("shift").await, live_shifts);
}
on_both!(a_dry_run_copy_is_apart_from_the_live_database);
