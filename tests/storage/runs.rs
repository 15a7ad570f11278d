//! The pipeline's records: the run lease and partition claims fence out a holder that stalled
//! past its lease (its late writes fail), step records are unique per key, and outbox messages
//! are queued once per Message-ID.

use chrono::{Duration, Utc};
use tms::store::StoreError;
use tms::store::batch::Batch;
use tms::store::runs::{
    HolderProcess, JobStatus, LeaseClaim, OutboxMessage, OutboxStatus, StepTotals, acquire_lease,
    check_lease, claim_partition, complete_partition, enqueue_in, ensure_partitions,
    finish_job_run_in, job_run, outbox_due, renew_lease, start_job_run, take_over_lease,
};

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
    let id = start_job_run(store, &first, "ingest", "2026-11-30", false, now)
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
        &StepTotals::default(),
        None,
        later,
    )
    .await;
    assert!(matches!(late, Err(StoreError::LeaseLost(_))), "{late:?}");
    drop(tx);
    let record = job_run(store, "ingest", "2026-11-30")
        .await
        .expect("read")
        .expect("row");
    assert_eq!(record.status, JobStatus::Running);

    // The second resumes the same record and finishes it; a done step does not start again.
    let resumed = start_job_run(store, &second, "ingest", "2026-11-30", false, later)
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
        &StepTotals::default(),
        None,
        later,
    )
    .await
    .expect("finish");
    tx.commit().await.expect("commit");
    let record = job_run(store, "ingest", "2026-11-30")
        .await
        .expect("read")
        .expect("row");
    assert_eq!((record.status, record.attempts), (JobStatus::Done, 2));
    assert_eq!(
        start_job_run(store, &second, "ingest", "2026-11-30", false, later)
            .await
            .expect("start"),
        None,
        "a done step is not started again unless forced"
    );
    assert_eq!(
        start_job_run(store, &second, "ingest", "2026-11-30", true, later)
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
        "allocate",
        "2026-11-30",
        &[("YH-SL01".into(), StepTotals::default())],
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
        complete_partition(store, &first, &StepTotals::default()).await,
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
    complete_partition(store, &second, &StepTotals::default())
        .await
        .expect("complete");
    assert!(
        matches!(
            complete_partition(store, &second, &StepTotals::default()).await,
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
