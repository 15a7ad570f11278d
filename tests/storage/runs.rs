//! The pipeline's records: the run lease and partition claims fence out a holder that stalled
//! past its lease (its late writes fail), step records are unique per key, and outbox messages
//! are queued once per Message-ID. A step's totals are stored in the JSON form they always had
//! and read back typed; a step or count that is not known is an error naming it.

use chrono::{Duration, Utc};
use sqlx::AssertSqlSafe;
use tms::domain::step::{AllocateCounts, IngestCounts, StepTotals};
use tms::domain::{Pence, Step};
use tms::store::batch::Batch;
use tms::store::runs::{
    HolderProcess, JobStatus, LeaseClaim, OutboxMessage, OutboxStatus, StepReport, acquire_lease,
    check_lease, claim_partition, complete_partition, enqueue_in, ensure_partitions,
    finish_job_run_in, job_run, job_runs_for, outbox_due, partition_results, renew_lease,
    start_job_run, take_over_lease,
};
use tms::store::{Store, StoreError};

use crate::on_both;
use crate::support::TestDb;

/// A holder's process as a lease records it.
fn process(pid: i64) -> HolderProcess {
    HolderProcess {
        host: "host-a".into(),
        boot_id: "boot-1".into(),
        pid_namespace: "pid:[4026531836]".into(),
        pid,
    }
}

async fn a_stalled_run_cannot_finish_a_step_another_run_took_over(db: &TestDb) {
    let store = &db.store;
    let now = Utc::now();
    let LeaseClaim::Acquired(first) = acquire_lease(
        store,
        "nightly",
        "first",
        &process(1),
        Duration::seconds(60),
        now,
    )
    .await
    .expect("lease") else {
        panic!("a free lease is taken");
    };
    // While it is live, nobody else gets it.
    let held = acquire_lease(
        store,
        "nightly",
        "second",
        &process(2),
        Duration::seconds(60),
        now,
    )
    .await
    .expect("lease");
    assert!(matches!(held, LeaseClaim::Held { ref holder, .. } if holder == "first"));
    let id = start_job_run(store, &first, Step::Ingest, "2026-11-30", false, now)
        .await
        .expect("start")
        .expect("a new step starts");

    // The first run stalls past its lease; a second takes over with a larger token.
    let later = now + Duration::seconds(61);
    let LeaseClaim::Acquired(second) = acquire_lease(
        store,
        "nightly",
        "second",
        &process(2),
        Duration::seconds(60),
        later,
    )
    .await
    .expect("lease") else {
        panic!("an expired lease is taken over");
    };
    assert!(second.token > first.token);
    assert!(
        !renew_lease(store, &first, Duration::seconds(60), later)
            .await
            .expect("renew")
    );

    // The first run's late commit is refused, and changes nothing.
    let mut tx = store.begin().await.expect("begin");
    let late = finish_job_run_in(
        &mut tx,
        &first,
        id,
        JobStatus::Done,
        &StepReport::empty(Step::Ingest),
        None,
        later,
    )
    .await;
    assert!(matches!(late, Err(StoreError::LeaseLost(_))), "{late:?}");
    drop(tx);
    let record = job_run(store, Step::Ingest, "2026-11-30")
        .await
        .expect("read")
        .expect("row");
    assert_eq!(record.status, JobStatus::Running);

    // The second resumes the same record and finishes it; a done step does not start again.
    let resumed = start_job_run(store, &second, Step::Ingest, "2026-11-30", false, later)
        .await
        .expect("start")
        .expect("an unfinished step resumes");
    assert_eq!(resumed, id, "one record per step and key");
    let mut tx = store.begin().await.expect("begin");
    check_lease(&mut tx, &second).await.expect("still held");
    finish_job_run_in(
        &mut tx,
        &second,
        id,
        JobStatus::Done,
        &StepReport::empty(Step::Ingest),
        None,
        later,
    )
    .await
    .expect("finish");
    tx.commit().await.expect("commit");
    let record = job_run(store, Step::Ingest, "2026-11-30")
        .await
        .expect("read")
        .expect("row");
    assert_eq!((record.status, record.attempts), (JobStatus::Done, 2));
    assert_eq!(
        start_job_run(store, &second, Step::Ingest, "2026-11-30", false, later)
            .await
            .expect("start"),
        None,
        "a done step is not started again unless forced"
    );
    assert_eq!(
        start_job_run(store, &second, Step::Ingest, "2026-11-30", true, later)
            .await
            .expect("start"),
        Some(id),
        "forced, it runs again under the same record"
    );
}
on_both!(a_stalled_run_cannot_finish_a_step_another_run_took_over);

async fn a_worker_that_lost_its_claim_writes_nothing(db: &TestDb) {
    let store = &db.store;
    let now = Utc::now();
    ensure_partitions(
        store,
        Step::Allocate,
        "2026-11-30",
        &[("YH-SL01".into(), StepReport::empty(Step::Allocate))],
    )
    .await
    .expect("partitions");
    let first = claim_partition(store, "worker-1", Duration::seconds(30), now)
        .await
        .expect("claim")
        .expect("an open partition");
    assert_eq!(
        claim_partition(store, "worker-2", Duration::seconds(30), now)
            .await
            .expect("claim"),
        None,
        "a held partition is skipped"
    );
    // worker-1 stalls; its claim expires and worker-2 takes the partition.
    let later = now + Duration::seconds(31);
    let second = claim_partition(store, "worker-2", Duration::seconds(30), later)
        .await
        .expect("claim")
        .expect("an expired claim is open again");
    assert_eq!(second.partition_key, "YH-SL01");
    assert!(second.token > first.token);

    // worker-1's next batch is refused before it writes anything.
    let stale = Batch {
        fence: Some((first.clone(), later + Duration::seconds(30))),
        ..Batch::default()
    };
    let refused = tms::store::batch::write(store, stale).await;
    assert!(
        matches!(refused, Err(StoreError::ClaimLost(_))),
        "{refused:?}"
    );
    assert!(matches!(
        complete_partition(store, &first, &StepReport::empty(Step::Allocate)).await,
        Err(StoreError::ClaimLost(_))
    ));
    // worker-2 finishes it, once.
    let fresh = Batch {
        fence: Some((second.clone(), later + Duration::seconds(30))),
        ..Batch::default()
    };
    tms::store::batch::write(store, fresh)
        .await
        .expect("the holder writes");
    complete_partition(store, &second, &StepReport::empty(Step::Allocate))
        .await
        .expect("complete");
    assert!(
        matches!(
            complete_partition(store, &second, &StepReport::empty(Step::Allocate)).await,
            Err(StoreError::ClaimLost(_))
        ),
        "a partition is completed once"
    );
    assert_eq!(
        db.count("work_partition where status = 'done' and completions = 1")
            .await,
        1
    );
}
on_both!(a_worker_that_lost_its_claim_writes_nothing);

/// Runs one statement as it stands.
async fn execute(db: &TestDb, sql: &str) {
    let done = match &db.store {
        Store::Sqlite(pool) => sqlx::query(AssertSqlSafe(sql.to_owned()))
            .execute(pool)
            .await
            .map(drop),
        Store::Postgres(pool) => sqlx::query(AssertSqlSafe(sql.to_owned()))
            .execute(pool)
            .await
            .map(drop),
    };
    done.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn a_step_s_totals_are_stored_as_before_and_read_back_typed(db: &TestDb) {
    let store = &db.store;
    let now = Utc::now();
    let LeaseClaim::Acquired(lease) = acquire_lease(
        store,
        "nightly",
        "first",
        &process(1),
        Duration::seconds(60),
        now,
    )
    .await
    .expect("lease") else {
        panic!("a free lease is taken");
    };
    let id = start_job_run(store, &lease, Step::Allocate, "2026-11-30", false, now)
        .await
        .expect("start")
        .expect("a new step starts");
    let report = StepReport {
        totals: StepTotals::Allocate {
            counts: AllocateCounts {
                charge_lines_month_to_date: 9,
                failed: 1,
                partitions: 2,
                shifts: 4,
            },
            charges_month_to_date: Pence::new(12_345),
        },
        warnings: vec!["cost centre YH-SL01: 1 shift(s) could not be costed".into()],
    };
    let mut tx = store.begin().await.expect("begin");
    finish_job_run_in(&mut tx, &lease, id, JobStatus::Done, &report, None, now)
        .await
        .expect("finish");
    tx.commit().await.expect("commit");
    // The counts are the JSON object of counts by name they have always been.
    assert_eq!(
        db.count(
            "job_run where counts = '{\"charge_lines_month_to_date\":9,\"failed\":1,\"partitions\":2,\"shifts\":4}' \
             and amount_pence = 12345 \
             and warnings = '[\"cost centre YH-SL01: 1 shift(s) could not be costed\"]'"
        )
        .await,
        1
    );
    let record = job_run(store, Step::Allocate, "2026-11-30")
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        (record.step, record.totals),
        (Step::Allocate, report.totals)
    );
    assert_eq!(record.warnings, report.warnings);

    // A record holding only some counts (as an ingest with no shift file leaves) reads the
    // others as zero.
    execute(
        db,
        "insert into job_run (step, run_key, status, attempts, fencing_token, started_at, counts) \
         values ('ingest', '2026-11-30', 'done', 1, 1, 0, '{\"files\":2,\"files_refused\":1}')",
    )
    .await;
    let ingest = job_run(store, Step::Ingest, "2026-11-30")
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        ingest.totals,
        StepTotals::Ingest(IngestCounts {
            files: 2,
            files_refused: 1,
            ..IngestCounts::ZERO
        })
    );

    // A partition's share is stored in the same JSON form, every count of its step named.
    ensure_partitions(
        store,
        Step::Allocate,
        "2026-11-30",
        &[(
            "YH-SL01".into(),
            StepReport {
                totals: StepTotals::Allocate {
                    counts: AllocateCounts {
                        shifts: 3,
                        ..AllocateCounts::ZERO
                    },
                    charges_month_to_date: Pence::ZERO,
                },
                warnings: Vec::new(),
            },
        )],
    )
    .await
    .expect("partitions");
    let claim = claim_partition(store, "worker-1", Duration::seconds(30), now)
        .await
        .expect("claim")
        .expect("an open partition");
    assert_eq!(claim.step, Step::Allocate);
    let mut done = claim.planned.clone();
    if let StepTotals::Allocate { counts, .. } = &mut done.totals {
        counts.failed = 1;
    }
    complete_partition(store, &claim, &done)
        .await
        .expect("complete");
    assert_eq!(
        db.count(
            "work_partition where result = '{\"counts\":{\"charge_lines_month_to_date\":0,\"failed\":1,\"partitions\":0,\"shifts\":3},\"amount_pence\":0,\"warnings\":[]}'"
        )
        .await,
        1
    );
    let results = partition_results(store, Step::Allocate, "2026-11-30")
        .await
        .expect("results");
    assert_eq!(results, vec![("YH-SL01".to_owned(), done)]);
}
on_both!(a_step_s_totals_are_stored_as_before_and_read_back_typed);

async fn a_stored_step_or_count_that_is_not_known_is_an_error_naming_it(db: &TestDb) {
    let store = &db.store;
    execute(
        db,
        "insert into job_run (step, run_key, status, attempts, fencing_token, started_at) \
         values ('invoices', '2026-11', 'done', 1, 1, 0)",
    )
    .await;
    let error = job_runs_for(store, "2026-11-30", "2026-11")
        .await
        .expect_err("an unknown step is not read as any step");
    assert!(
        matches!(&error, StoreError::Corrupt(what) if what.contains("\"invoices\" is not a step")),
        "{error}"
    );

    execute(
        db,
        "insert into job_run (step, run_key, status, attempts, fencing_token, started_at, counts) \
         values ('send-outbox', '2026-11-30', 'done', 1, 1, 0, '{\"sent\":1,\"bounced\":2}')",
    )
    .await;
    let error = job_run(store, Step::SendOutbox, "2026-11-30")
        .await
        .expect_err("an unknown count is not dropped");
    assert!(
        matches!(&error, StoreError::Corrupt(what)
            if what.contains("send-outbox reports no count \"bounced\"")),
        "{error}"
    );

    execute(
        db,
        "insert into work_partition (step, run_key, partition_key, status, result) \
         values ('invoices', '2026-11', 'YH-SL01', 'pending', '{\"counts\":{},\"amount_pence\":0,\"warnings\":[]}')",
    )
    .await;
    let error = claim_partition(store, "worker-1", Duration::seconds(30), Utc::now())
        .await
        .expect_err("a partition of an unknown step is not worked");
    assert!(
        matches!(&error, StoreError::Corrupt(what) if what.contains("\"invoices\" is not a step")),
        "{error}"
    );
}
on_both!(a_stored_step_or_count_that_is_not_known_is_an_error_naming_it);

async fn a_message_is_queued_once_per_message_id(db: &TestDb) {
    let message = OutboxMessage {
        message_id: "run-report.2026-11-30@tms.example".into(),
        kind: "run-report".into(),
        recipients: "finance@example.org".into(),
        subject: "tms nightly run for 2026-11-30: done".into(),
        body: "done\n".into(),
        created_at: Utc::now(),
        status: OutboxStatus::Pending,
        attempts: 0,
    };
    for expected in [true, false] {
        let mut tx = db.store.begin().await.expect("begin");
        assert_eq!(
            enqueue_in(&mut tx, &message).await.expect("enqueue"),
            expected
        );
        tx.commit().await.expect("commit");
    }
    let due = outbox_due(&db.store, 10).await.expect("due");
    assert_eq!(due.len(), 1);
    assert!(
        tms::store::runs::claim_outbox(&db.store, &message.message_id, None)
            .await
            .expect("claim")
    );
    assert!(
        !tms::store::runs::claim_outbox(&db.store, &message.message_id, None)
            .await
            .expect("claim"),
        "only one sender moves it to sending"
    );
}
on_both!(a_message_is_queued_once_per_message_id);

async fn a_dead_holder_s_lease_is_taken_over_once_with_a_new_token(db: &TestDb) {
    let store = &db.store;
    let now = Utc::now();
    let ttl = Duration::seconds(60);
    let LeaseClaim::Acquired(dead) =
        acquire_lease(store, "nightly", "dead", &process(41), ttl, now)
            .await
            .expect("lease")
    else {
        panic!("a free lease is taken");
    };
    // A second run finds the lease held, with the holder's process as it was recorded.
    let LeaseClaim::Held {
        holder,
        token,
        process: held_by,
        ..
    } = acquire_lease(store, "nightly", "second", &process(42), ttl, now)
        .await
        .expect("lease")
    else {
        panic!("a live lease is held");
    };
    assert_eq!((holder.as_str(), token), ("dead", dead.token));
    assert_eq!(held_by, process(41));

    // It takes the lease over before it expires, with a larger token that fences out the holder.
    let second = take_over_lease(store, "nightly", "second", &process(42), ttl, token, now)
        .await
        .expect("take over")
        .expect("the token read is current");
    assert!(second.token > dead.token);
    let mut tx = store.begin().await.expect("begin");
    assert!(matches!(
        check_lease(&mut tx, &dead).await,
        Err(StoreError::LeaseLost(_))
    ));
    check_lease(&mut tx, &second).await.expect("the new holder");
    drop(tx);

    // A third run that read the same dead holder is too late: the lease is not taken twice.
    assert_eq!(
        take_over_lease(store, "nightly", "third", &process(43), ttl, token, now)
            .await
            .expect("take over"),
        None
    );
    let LeaseClaim::Held {
        holder,
        process: held_by,
        ..
    } = acquire_lease(store, "nightly", "third", &process(43), ttl, now)
        .await
        .expect("lease")
    else {
        panic!("held by the second run");
    };
    assert_eq!((holder.as_str(), held_by), ("second", process(42)));
}
on_both!(a_dead_holder_s_lease_is_taken_over_once_with_a_new_token);
