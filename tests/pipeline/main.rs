//! The nightly pipeline end to end, through the `tms` binary, on SQLite and PostgreSQL: a
//! normal night, crash recovery at every kind of point (failpoints and `kill -9`), concurrent
//! runs, a dry run that writes nothing, and `tms worker` processes sharing the partitions.

#[path = "../support/mod.rs"]
pub mod support;

mod closed;
mod harness;

#[path = "../storage/mime.rs"]
mod mime;
mod smtp;

use harness::{Env, demo_files};
use support::Backend;

/// Night 2 of a provider: the October files were ingested on the night of 31 October, a rate
/// change has since marked every shift for costing, and November's shifts are in the inbox.
async fn night_two(backend: Backend) -> Option<Env> {
    let env = Env::fresh(backend)?;
    let files = demo_files();
    env.drop_in_inbox(&files.reference);
    env.drop_in_inbox(&files.shifts[..1]);
    let first = env.tms(&["run", "nightly", "--date", "2026-10-31"]).await;
    assert_eq!(first.status.code(), Some(0), "night one: {}", text(&first));
    env.execute(match backend {
        Backend::Sqlite => "update shift set needs_costing = 1",
        Backend::Postgres => "update shift set needs_costing = true",
    })
    .await;
    env.drop_in_inbox(&files.shifts[1..]);
    Some(env)
}

const NIGHT: &[&str] = &["run", "nightly", "--date", "2026-11-30"];

fn text(output: &std::process::Output) -> String {
    format!(
        "exit {:?}\n{}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn a_night_runs_every_step_once(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let env = base.copy();
    let run = env.tms(NIGHT).await;
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    assert!(
        out.contains("tms nightly run for 2026-11-30: done"),
        "{out}"
    );
    for step in [
        "ingest 2026-11-30",
        "allocate 2026-11-30",
        "period-charges 2026-11",
    ] {
        assert!(out.contains(step), "the report names {step}: {out}");
    }
    // The inbox is empty; the file is filed under the night, its rejects beside it.
    let inbox: Vec<_> = std::fs::read_dir(env.path("inbox"))
        .expect("inbox")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .collect();
    assert!(inbox.is_empty(), "the inbox is emptied");
    assert!(
        env.path("inbox/done/2026-11-30/shifts-2026-11.csv")
            .is_file()
    );
    assert!(env.path("out/periods/2026-11/charges.csv").is_file());
    let charges =
        std::fs::read_to_string(env.path("out/periods/2026-11/charges.csv")).expect("charges");
    assert!(charges.lines().count() > 10, "November has charge lines");
    let report = env
        .tms(&[
            "report",
            "charges",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
        ])
        .await;
    assert_eq!(
        charges,
        String::from_utf8_lossy(&report.stdout),
        "the period file is the charges report for the period"
    );
    // Every marked shift was recosted, partition by cost centre.
    let marked = env
        .texts("select cast(count(*) as text) from shift where needs_costing = (1 = 1)")
        .await;
    assert_eq!(marked, ["0"]);
    let partitions = env.texts("select cast(count(*) as text) from work_partition where status = 'done' and completions = 1").await;
    assert!(
        partitions[0].parse::<i64>().expect("count") > 1,
        "several partitions"
    );
    // The report went to finance through the outbox, once.
    let eml = env.path("outbox/run-report.2026-11-30@tms.localhost.eml");
    let message = std::fs::read_to_string(&eml).expect("the report email");
    assert!(message.contains("To: finance@example.org"));
    assert!(message.contains("Subject: tms nightly run for 2026-11-30: done"));
    assert_eq!(
        env.texts("select status from outbox where kind = 'run-report' order by message_id")
            .await,
        ["sent", "sent"],
        "one report per night, both sent"
    );

    // Again: nothing to do, with its own exit code.
    let again = env.tms(NIGHT).await;
    assert_eq!(again.status.code(), Some(6), "{}", text(&again));
    assert!(text(&again).contains("already done"));

    // A forced step says what it replaces; with every shift marked again it recosts them all
    // and the ledger comes out the same.
    let before = env.state().await;
    env.execute(match backend {
        Backend::Sqlite => "update shift set needs_costing = 1",
        Backend::Postgres => "update shift set needs_costing = true",
    })
    .await;
    let forced = env
        .tms(&["run", "allocate", "--date", "2026-11-30", "--force"])
        .await;
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced));
    assert!(
        text(&forced).contains("allocate 2026-11-30: replacing the run done at"),
        "{}",
        text(&forced)
    );
    let forced_text = text(&forced);
    assert!(
        forced_text.contains("allocate 2026-11-30") && forced_text.contains("(attempt 2)"),
        "{forced_text}"
    );
    let after = env.state().await;
    let ledger = |state: &str| state.split("--\n").take(2).collect::<Vec<_>>().join("--\n");
    assert_eq!(
        ledger(&before),
        ledger(&after),
        "shifts and allocations are unchanged"
    );

    // A period step on its own, for a period named on the command line.
    let period = env
        .tms(&["run", "period-charges", "--period", "2026-10"])
        .await;
    assert_eq!(
        period.status.code(),
        Some(6),
        "October was done on night one: {}",
        text(&period)
    );
    let usage = env.tms(&["run", "allocate", "--period", "2026-10"]).await;
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage));
}
on_both!(a_night_runs_every_step_once);

/// Crash points reached by an uninterrupted run, each `name:n`.
async fn crash_points(base: &Env) -> (Vec<String>, String) {
    let env = base.copy();
    let trace = env.path("failpoints.trace");
    let run = env
        .command(NIGHT)
        .env("TMS_FAILPOINT_TRACE", &trace)
        .output()
        .await
        .expect("run");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let points: Vec<String> = std::fs::read_to_string(&trace)
        .expect("trace")
        .lines()
        .map(str::to_owned)
        .collect();
    std::fs::remove_file(&trace).expect("remove trace");
    let state = env.state().await;
    drop(env);
    (points, state)
}

fn seeds() -> u64 {
    std::env::var("TMS_CRASH_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
}

async fn a_killed_run_finishes_when_run_again(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let (points, expected) = crash_points(&base).await;
    let names: std::collections::BTreeSet<&str> =
        points.iter().filter_map(|p| p.split(':').next()).collect();
    for name in [
        "step.started",
        "ingest.recorded",
        "ingest.moved",
        "batch.before_commit",
        "batch.after_commit",
        "allocate.partitioned",
        "partition.before_complete",
        "step.before_done",
        "step.done",
        "outbox.before_send",
        "outbox.after_send",
    ] {
        assert!(names.contains(name), "the run reaches {name}: {names:?}");
    }
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for seed in 0..seeds() {
        let env = base.copy();
        let how;
        if seed % 5 == 4 {
            // A real kill -9 at a random moment.
            let delay = next() % 1500;
            how = format!("kill -9 after {delay} ms");
            let mut child = env
                .command(NIGHT)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn");
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            let _ = child.start_kill();
            let _ = child.wait().await;
        } else {
            let point = &points[(next() % points.len() as u64) as usize];
            how = format!("crash at {point}");
            let crashed = env
                .command(NIGHT)
                .env("TMS_FAILPOINTS", point)
                .output()
                .await
                .expect("run");
            assert_eq!(
                crashed.status.code(),
                None,
                "seed {seed}: {how} aborts the process: {}",
                text(&crashed)
            );
        }
        env.expire_lease().await;
        let rerun = env.tms(NIGHT).await;
        assert!(
            matches!(rerun.status.code(), Some(0 | 6)),
            "seed {seed} ({how}): the re-run finishes: {}",
            text(&rerun)
        );
        let state = env.state().await;
        if state != expected {
            let diff: Vec<String> = diff_lines(&expected, &state);
            panic!(
                "seed {seed} ({how}): the final state differs from an uninterrupted run's:\n{}",
                diff.join("\n")
            );
        }
    }
}
on_both!(a_killed_run_finishes_when_run_again);

fn diff_lines(expected: &str, actual: &str) -> Vec<String> {
    let want: std::collections::BTreeSet<&str> = expected.lines().collect();
    let got: std::collections::BTreeSet<&str> = actual.lines().collect();
    want.difference(&got)
        .map(|l| format!("- {l}"))
        .chain(got.difference(&want).map(|l| format!("+ {l}")))
        .take(40)
        .collect()
}

async fn four_runs_at_once_have_one_effect(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let (_, expected) = crash_points(&base).await;
    let env = base.copy();
    let children: Vec<_> = (0..4).map(|_| env.command(NIGHT).output()).collect();
    let outputs = futures_util::future::join_all(children).await;
    let codes: Vec<Option<i32>> = outputs
        .iter()
        .map(|o| o.as_ref().expect("run").status.code())
        .collect();
    let winners = codes.iter().filter(|c| **c == Some(0)).count();
    assert_eq!(winners, 1, "exactly one run does the work: {codes:?}");
    for output in outputs.iter().flatten() {
        let out = text(output);
        match output.status.code() {
            Some(0) => {}
            Some(5) => assert!(out.contains("already running"), "{out}"),
            Some(6) => assert!(out.contains("already done"), "{out}"),
            other => panic!("a losing run exits cleanly, not {other:?}: {out}"),
        }
    }
    assert_eq!(
        env.state().await,
        expected,
        "one effect, as one run would have"
    );
    let attempts = env.texts("select step || ' ' || attempts from job_run where run_key in ('2026-11-30', '2026-11') order by 1").await;
    assert!(
        attempts.iter().all(|a| a.ends_with(" 1")),
        "every step ran once: {attempts:?}"
    );
}
on_both!(four_runs_at_once_have_one_effect);

async fn a_dry_run_computes_everything_and_writes_nothing(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let env = base.copy();
    let tables = env.checksums().await;
    let files = harness::files_of(env.dir());
    let dry = env
        .tms(&["run", "nightly", "--date", "2026-11-30", "--dry-run"])
        .await;
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert_eq!(
        env.checksums().await,
        tables,
        "every table's rows are unchanged"
    );
    assert_eq!(
        harness::files_of(env.dir()),
        files,
        "no file moved, written or sent"
    );
    assert!(tables.contains_key("job_run") && tables.contains_key("shift") && tables.len() > 15);

    let real = env.tms(NIGHT).await;
    assert_eq!(real.status.code(), Some(0), "{}", text(&real));
    let dry_text = String::from_utf8_lossy(&dry.stdout).into_owned();
    let real_text = String::from_utf8_lossy(&real.stdout).into_owned();
    assert_eq!(
        dry_text.replacen("DRY RUN (nothing was written) ", "", 1),
        real_text,
        "the dry run reports what the real run then did"
    );
}
on_both!(a_dry_run_computes_everything_and_writes_nothing);

async fn three_workers_share_the_partitions(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let (_, expected) = crash_points(&base).await;
    let mut env = base.copy();
    env.extra_env
        .push(("TMS_RUNNER__LOCAL_PARTITIONS".into(), "false".into()));
    let run = env.command(NIGHT).output();
    let workers: Vec<_> = (0..3)
        .map(|_| {
            env.command(&["worker", "--idle-exit", "4", "--poll-ms", "50"])
                .output()
        })
        .collect();
    let (run, workers) = tokio::join!(run, futures_util::future::join_all(workers));
    let run = run.expect("run");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let mut done_by_workers = 0;
    for worker in workers {
        let worker = worker.expect("worker");
        assert_eq!(worker.status.code(), Some(0), "{}", text(&worker));
        let out = String::from_utf8_lossy(&worker.stdout).into_owned();
        let n: u64 = out
            .split_whitespace()
            .nth(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("worker summary: {out}"));
        done_by_workers += n;
    }
    let partitions: u64 = env
        .texts("select cast(count(*) as text) from work_partition")
        .await[0]
        .parse()
        .expect("count");
    assert!(partitions > 1);
    assert_eq!(
        done_by_workers, partitions,
        "the workers did every partition"
    );
    let once = env.texts("select cast(count(*) as text) from work_partition where completions = 1 and status = 'done'").await;
    assert_eq!(
        once,
        [partitions.to_string()],
        "each partition was completed exactly once"
    );
    assert_eq!(
        env.state().await,
        expected,
        "the same result as a single process"
    );
}
on_both!(three_workers_share_the_partitions);

async fn serve_runs_the_schedule_and_catches_up_missed_nights(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let mut env = base.copy();
    env.extra_env
        .push(("TMS_RUNNER__IN_SERVE".into(), "true".into()));
    env.extra_env
        .push(("TMS_RUNNER__CATCH_UP_DAYS".into(), "3".into()));
    let schedule = tms::calendar::schedule::Schedule::parse("0 2 * * *", chrono_tz::Europe::London)
        .expect("schedule");
    let last_done: chrono::NaiveDate = "2026-10-31".parse().expect("date");
    let due = tms::calendar::schedule::due_dates(&schedule, chrono::Utc::now(), Some(last_done), 3);
    assert_eq!(due.len(), 3, "three nights are due: {due:?}");
    let mut serve = env
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start tms serve");
    let keys: Vec<String> = due.iter().map(ToString::to_string).collect();
    let wanted = keys.len();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut done = Vec::new();
    while std::time::Instant::now() < deadline {
        done = env
            .texts("select run_key from job_run where step = 'send-outbox' and status = 'done' and run_key <> '2026-10-31' order by run_key")
            .await;
        if done.len() >= wanted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let _ = serve.start_kill();
    let _ = serve.wait().await;
    assert_eq!(
        done, keys,
        "tms serve ran each missed night once, oldest first"
    );
}
on_both!(serve_runs_the_schedule_and_catches_up_missed_nights);

async fn a_failed_step_is_reported_and_resumed(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let (_, expected) = crash_points(&base).await;
    let env = base.copy();
    // The period folder cannot be made: a file is in its way.
    std::fs::write(env.path("out/periods/2026-11"), "in the way").expect("block");
    let failed = env.tms(NIGHT).await;
    let out = text(&failed);
    assert_eq!(failed.status.code(), Some(1), "{out}");
    assert!(
        out.contains("tms nightly run for 2026-11-30: FAILED"),
        "{out}"
    );
    assert!(
        out.contains("period-charges 2026-11") && out.contains("error:"),
        "{out}"
    );
    assert!(out.contains("tms run nightly --date 2026-11-30"), "{out}");
    assert_eq!(
        env.texts(
            "select status from job_run where step = 'period-charges' and run_key = '2026-11'"
        )
        .await,
        ["failed"]
    );
    assert!(
        env.texts("select cast(count(*) as text) from job_run where step = 'report' and run_key = '2026-11-30'").await == ["0"],
        "later steps did not run"
    );
    let failure_mail = env.path("outbox/run-failed.2026-11-30.period-charges@tms.localhost.eml");
    let mail = std::fs::read_to_string(&failure_mail).expect("finance is told of the failure");
    assert!(mail.contains("Subject: tms nightly run for 2026-11-30: FAILED at period-charges"));

    std::fs::remove_file(env.path("out/periods/2026-11")).expect("unblock");
    let resumed = env.tms(NIGHT).await;
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    assert!(text(&resumed).contains("(attempt 2)"), "{}", text(&resumed));
    let state = env.state().await;
    // Beyond the failure's own report and email, the night ends as an uninterrupted one.
    let extra: Vec<String> = diff_lines(&expected, &state);
    assert!(
        extra
            .iter()
            .all(|l| l.starts_with('+') && l.contains("failed")),
        "only the failure's report and email are extra: {extra:#?}"
    );
}
on_both!(a_failed_step_is_reported_and_resumed);

async fn bad_inbox_files_are_set_aside_with_their_reasons(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let env = base.copy();
    let inbox = env.path("inbox");
    let write = |name: &str, body: &str| std::fs::write(inbox.join(name), body).expect("write");
    write("notes.csv", "anything,at,all\n1,2,3\n");
    write("shifts-bad.csv", "who,when\nW0001,today\n");
    write("workers-extra.csv", "worker_id,name\nW9999\n");
    write("shifts-late.csv.part", "still arriving");
    write(".shifts-hidden.csv", "not for us");
    // October's file again, already imported on night one.
    env.drop_in_inbox(&demo_files().shifts[..1]);

    // A file changed moments ago waits: seen in a dry run with a long settle time.
    let mut waiting = base.copy();
    std::fs::copy(inbox.join("notes.csv"), waiting.path("inbox/notes.csv")).expect("copy");
    waiting
        .extra_env
        .push(("TMS_RUNNER__SETTLE_SECONDS".into(), "3600".into()));
    let dry = waiting
        .tms(&["run", "nightly", "--date", "2026-11-30", "--dry-run"])
        .await;
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(
        text(&dry).contains("notes.csv changed less than 3600 s ago; left for the next run"),
        "{}",
        text(&dry)
    );
    drop(waiting);

    let run = env.tms(NIGHT).await;
    let out = text(&run);
    assert_eq!(
        run.status.code(),
        Some(0),
        "bad files are warnings, not failures: {out}"
    );
    let rejects = env.path("inbox/rejects/2026-11-30");
    for (name, reason) in [
        ("notes.csv", "the name does not say what the file holds"),
        ("shifts-bad.csv", "shifts-bad.csv"),
        ("workers-extra.csv", "workers-extra.csv"),
    ] {
        assert!(rejects.join(name).is_file(), "{name} is set aside");
        let why =
            std::fs::read_to_string(rejects.join(format!("{name}.error.txt"))).expect("reason");
        assert!(why.contains(reason), "{name}: {why}");
        assert!(
            out.contains(&format!("{name}: refused, moved to rejects/2026-11-30/")),
            "{out}"
        );
    }
    let why = std::fs::read_to_string(rejects.join("shifts-bad.csv.error.txt")).expect("reason");
    assert!(
        why.to_lowercase().contains("column"),
        "the header problem is named: {why}"
    );
    // The re-dropped file is recognised, filed, and adds nothing.
    assert!(
        out.contains(
            "shifts-2026-10.csv: the same content was already imported as shifts-2026-10.csv"
        ),
        "{out}"
    );
    assert!(
        env.path("inbox/done/2026-11-30/shifts-2026-10.csv")
            .is_file()
    );
    assert!(
        env.path("inbox/done/2026-10-31/shifts-2026-10.csv")
            .is_file()
    );
    let outcomes = env
        .texts("select file_name || ' ' || outcome from ingest_file where outcome <> 'imported' order by 1")
        .await;
    assert!(
        outcomes.contains(&"shifts-2026-10.csv duplicate".to_owned()),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&"notes.csv refused".to_owned()),
        "{outcomes:?}"
    );
    // Partial and hidden files are left where they are.
    assert!(inbox.join("shifts-late.csv.part").is_file());
    assert!(inbox.join(".shifts-hidden.csv").is_file());
    // The good file was still imported: November's shifts are charged.
    assert_eq!(
        env.texts("select cast(count(*) as text) from worker where worker_id = 'W9999'")
            .await,
        ["0"],
        "nothing of a refused reference file is kept"
    );
    assert!(out.contains("shifts new 516"), "{out}");
}
on_both!(bad_inbox_files_are_set_aside_with_their_reasons);

/// The ingest step's counts as recorded for the night.
async fn ingest_counts(env: &Env) -> serde_json::Value {
    let counts = env
        .texts("select counts from job_run where step = 'ingest' and run_key = '2026-11-30'")
        .await;
    serde_json::from_str(counts.first().expect("an ingest record")).expect("counts JSON")
}

async fn report_counts_match_an_uninterrupted_run(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let (points, _) = crash_points(&base).await;
    let plain = base.copy();
    let run = plain.tms(NIGHT).await;
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let expected = ingest_counts(&plain).await;
    assert!(
        expected["shifts_new"].as_i64().unwrap_or(0) > 0,
        "November brings new shifts: {expected}"
    );
    drop(plain);

    // The same bytes twice in one night: the second file is a duplicate, not a second import.
    let twins = base.copy();
    let november = &demo_files().shifts[1];
    std::fs::copy(november, twins.path("inbox/shifts-2026-11-again.csv")).expect("copy");
    let run = twins.tms(NIGHT).await;
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    let mut with_twin = expected.clone();
    with_twin["files"] = serde_json::json!(expected["files"].as_i64().unwrap_or(0) + 1);
    with_twin["files_duplicate"] =
        serde_json::json!(expected["files_duplicate"].as_i64().unwrap_or(0) + 1);
    assert_eq!(ingest_counts(&twins).await, with_twin, "{out}");
    assert!(
        out.contains(
            "shifts-2026-11.csv: the same content was already imported as shifts-2026-11-again.csv"
        ),
        "{out}"
    );
    drop(twins);

    // An ingest step stopped in the middle of its shift import, then resumed.
    let ingest_started = points
        .iter()
        .position(|p| p == "step.started:1")
        .expect("the ingest step starts");
    let recorded = points
        .iter()
        .position(|p| p.starts_with("ingest.recorded:"))
        .expect("the file is recorded");
    let mid_import: Vec<&String> = points[ingest_started..recorded]
        .iter()
        .filter(|p| p.starts_with("batch.after_commit:") || p.starts_with("batch.before_commit:"))
        .collect();
    assert!(
        !mid_import.is_empty(),
        "the import writes batches: {points:?}"
    );
    for point in mid_import {
        let resumed = base.copy();
        let crashed = resumed
            .command(NIGHT)
            .env("TMS_FAILPOINTS", point)
            .output()
            .await
            .expect("run");
        assert_eq!(crashed.status.code(), None, "{point}: {}", text(&crashed));
        resumed.expire_lease().await;
        let rerun = resumed.tms(NIGHT).await;
        assert_eq!(rerun.status.code(), Some(0), "{point}: {}", text(&rerun));
        assert_eq!(
            ingest_counts(&resumed).await,
            expected,
            "{point}: the resumed step counts what an uninterrupted one would"
        );
    }
}
on_both!(report_counts_match_an_uninterrupted_run);

/// Makes `path` unreadable for the runs of a test: mode 000, and where this process may read it
/// all the same (root), the runs go through `setpriv` without that privilege. The wrapper to run
/// `tms` with, or `None` when a file cannot be made unreadable here.
fn unreadable(path: &std::path::Path) -> Option<Vec<&'static str>> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::File::open(path).is_err() {
        return Some(Vec::new());
    }
    let setpriv = std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if setpriv {
        return Some(vec![
            "setpriv",
            "--bounding-set",
            "-dac_override,-dac_read_search",
            "--",
        ]);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but this process reads any file and setpriv is missing");
    }
    eprintln!("unreadable-file case not run: this process reads any file and setpriv is missing");
    None
}

async fn one_bad_inbox_file_never_stops_a_night(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let env = base.copy();
    let inbox = env.path("inbox");
    // Names of 250 bytes: one of no known kind, one a workers file (night one's, again).
    let refused_name = format!("notes-{}.csv", "n".repeat(240));
    let workers_name = format!("workers-{}.csv", "w".repeat(238));
    assert_eq!((refused_name.len(), workers_name.len()), (250, 250));
    std::fs::write(inbox.join(&refused_name), "anything,at,all\n1,2,3\n").expect("write");
    let workers = demo_files()
        .reference
        .iter()
        .find(|p| p.file_name().is_some_and(|n| n == "workers.csv"))
        .expect("the workers file");
    std::fs::copy(workers, inbox.join(&workers_name)).expect("copy");
    // A file that cannot be read.
    let locked = inbox.join("shifts-locked.csv");
    std::fs::write(&locked, "shift_ref,worker_id,start,end,service,people\n").expect("write");
    let Some(wrapper) = unreadable(&locked) else {
        return;
    };
    let run = env
        .command_via(&wrapper, NIGHT)
        .output()
        .await
        .expect("run");
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "the night goes on: {out}");
    assert!(
        out.contains("ingest 2026-11-30") && out.contains("shifts new"),
        "November's file was imported: {out}"
    );
    let inbox_left: Vec<_> = std::fs::read_dir(&inbox)
        .expect("inbox")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name())
        .collect();
    assert!(
        inbox_left.is_empty(),
        "every file left the inbox: {inbox_left:?}"
    );

    // Every name written is bounded and keeps a readable start.
    let rejects = env.path("inbox/rejects/2026-11-30");
    let done = env.path("inbox/done/2026-11-30");
    let names = |folder: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .expect("folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    for name in names(&rejects).iter().chain(&names(&done)) {
        assert!(name.len() <= 200, "{name} is {} bytes", name.len());
    }
    let reason_file = names(&rejects)
        .into_iter()
        .find(|n| n.starts_with("notes-nnnn") && n.ends_with(".csv.error.txt"))
        .expect("the long refused file's reason");
    let stored = reason_file.trim_end_matches(".error.txt");
    assert!(
        rejects.join(stored).is_file(),
        "the file is beside its reason"
    );
    let why = std::fs::read_to_string(rejects.join(&reason_file)).expect("reason");
    assert!(
        why.contains("the name does not say what the file holds"),
        "{why}"
    );
    assert!(
        out.contains(&format!(
            "{refused_name}: refused, moved to rejects/2026-11-30/ as {stored}"
        )),
        "{out}"
    );
    assert!(
        names(&done)
            .iter()
            .any(|n| n.starts_with("workers-wwww") && n.ends_with(".csv") && n.len() < 250),
        "the long workers file is filed under a shorter name: {:?}",
        names(&done)
    );
    assert!(done.join("shifts-2026-11.csv").is_file());

    // The unreadable file is set aside with its reason.
    assert!(rejects.join("shifts-locked.csv").is_file());
    let why = std::fs::read_to_string(rejects.join("shifts-locked.csv.error.txt")).expect("reason");
    assert!(why.contains("cannot read"), "{why}");
    assert!(
        out.contains("shifts-locked.csv: refused, moved to rejects/2026-11-30/: shifts-locked.csv: cannot read"),
        "{out}"
    );
    let counts = ingest_counts(&env).await;
    assert_eq!(counts["files"], 4, "{counts}");
    assert_eq!(counts["files_refused"], 2, "{counts}");
    // Night one's file with rejected rows has its reject report beside it, guarded and listing
    // what `tms report rejects` lists.
    let filed = std::fs::read_to_string(
        env.path("inbox/rejects/2026-10-31/shifts-2026-10.csv.rejects.csv"),
    )
    .expect("the reject report filed on night one");
    let report = env
        .tms(&["report", "rejects", "--file", "shifts-2026-10.csv"])
        .await;
    assert!(filed.lines().count() > 1, "{filed}");
    assert_eq!(filed, String::from_utf8_lossy(&report.stdout));
}
on_both!(one_bad_inbox_file_never_stops_a_night);

async fn a_file_name_cannot_forge_a_line_of_the_report(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let env = base.copy();
    let inbox = env.path("inbox");
    let forged_duplicate = "shifts-x\n  ingest done\u{202e}.csv";
    let forged_refused = "notes\r\n  allocate done\t.csv";
    std::fs::copy(&demo_files().shifts[1], inbox.join(forged_duplicate)).expect("copy");
    std::fs::write(inbox.join(forged_refused), "a,b\n").expect("write");
    let run = env.tms(NIGHT).await;
    let out = String::from_utf8_lossy(&run.stdout).into_owned();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let email = env
        .texts("select body from outbox where message_id like 'run-report.2026-11-30@%'")
        .await;
    assert_eq!(email.len(), 1);
    for (what, report) in [("printed", &out), ("emailed", &email[0])] {
        for line in report.lines() {
            let line = line.trim_start();
            assert!(
                !line.starts_with("ingest done") && !line.starts_with("allocate done"),
                "{what}: a forged line {line:?} in\n{report}"
            );
        }
        assert!(
            !report.contains(['\r', '\t', '\u{202e}']),
            "{what}: {report:?}"
        );
        assert!(
            report.contains("shifts-x\\n  ingest done\\u{202e}.csv: the same content"),
            "{what}: the name is shown with its escapes: {report}"
        );
        assert!(
            report.contains("notes\\r\\n  allocate done\\t.csv: refused"),
            "{what}: {report}"
        );
    }
    // The files are filed under names without the control characters.
    for folder in ["inbox/done/2026-11-30", "inbox/rejects/2026-11-30"] {
        for entry in std::fs::read_dir(env.path(folder)).expect("folder") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            assert!(
                !name.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{name:?}"
            );
        }
    }
}
on_both!(a_file_name_cannot_forge_a_line_of_the_report);

async fn a_run_killed_holding_the_lease_is_taken_over_at_once(backend: Backend) {
    let Some(base) = night_two(backend).await else {
        return;
    };
    let (_, expected) = crash_points(&base).await;
    let env = base.copy();
    // A mail server that never answers holds the run in its last step, lease in hand.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("address").port();
    let mut child = env
        .command(NIGHT)
        .env("TMS_EMAIL__TRANSPORT", "smtp")
        .env("TMS_EMAIL__SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .env("TMS_EMAIL__SMTP_TIMEOUT_SECONDS", "120")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let sending = env
            .texts(
                "select status from job_run where step = 'send-outbox' and run_key = '2026-11-30'",
            )
            .await;
        if sending == ["running"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run reaches its last step"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("reap");
    assert_eq!(status.code(), None, "killed by a signal");
    drop(silent);
    let held = env
        .texts("select holder from run_lease where name = 'nightly' and holder is not null")
        .await;
    assert_eq!(held.len(), 1, "the killed run still holds the lease");
    let until: i64 = env
        .texts("select cast(expires_at as text) from run_lease where name = 'nightly'")
        .await[0]
        .parse()
        .expect("seconds");

    let started = chrono::Utc::now().timestamp();
    let rerun = env.tms(NIGHT).await;
    let out = text(&rerun);
    assert!(
        started < until,
        "the re-run started while the lease was still unexpired"
    );
    assert_eq!(
        rerun.status.code(),
        Some(0),
        "not 5, already running: {out}"
    );
    assert!(
        out.contains(&format!("the run lease was held by {}", held[0]))
            && out.contains("is no longer running: taken over"),
        "{out}"
    );
    assert_eq!(
        env.state().await,
        expected,
        "the night ends as an uninterrupted one"
    );

    // A live holder is still waited for.
    env.execute(&format!(
        "update run_lease set holder = 'alive', expires_at = {}, holder_pid = {} where name = 'nightly'",
        chrono::Utc::now().timestamp() + 60,
        std::process::id()
    ))
    .await;
    let waiting = env.tms(&["run", "nightly", "--date", "2026-12-01"]).await;
    assert_eq!(waiting.status.code(), Some(5), "{}", text(&waiting));
}
on_both!(a_run_killed_holding_the_lease_is_taken_over_at_once);

/// A night over reference data with gaps that leave money zero or missing — no pay rules, a
/// service on shifts with no rate — says so in the ingest step's warnings, and still ends done.
async fn a_night_warns_of_reference_data_that_leaves_money_missing(backend: Backend) {
    let Some(env) = Env::fresh(backend) else {
        return;
    };
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let files: Vec<std::path::PathBuf> =
        ["cost-centres", "services", "workers", "people", "rate-card"]
            .iter()
            .map(|kind| fixtures.join(format!("{kind}.csv")))
            .collect();
    env.drop_in_inbox(&files);
    std::fs::write(
        env.path("inbox/shifts-2026-10.csv"),
        "shift_ref,worker_id,start,end,service,people\n\
         U1,W1,2026-10-06T12:00,2026-10-06T12:40,TRAVEL,A\n\
         S1,W3,2026-10-07T23:00,2026-10-08T07:00,SLEEP_IN,B\n",
    )
    .expect("shift file");
    let run = env.tms(&["run", "nightly", "--date", "2026-10-31"]).await;
    let out = text(&run);
    assert_eq!(
        run.status.code(),
        Some(0),
        "warnings do not fail a night: {out}"
    );
    for warning in [
        "  - ingest: unpriced: 40 minute(s) of approved time from 2026-10-06 to 2026-10-06 have \
         no rate and are not charged (TRAVEL 40; 1 person: A)",
        "  - ingest: pay rules: no enhancement is in force on 2026-10-31 for night, weekend or \
         bank_holiday time",
        "  - ingest: pay rules: no sleep-in allowance is in force on 2026-10-31, so a night of \
         SLEEP_IN pays the worker £0.00",
    ] {
        assert!(out.contains(warning), "{warning}\n{out}");
    }
    let stored = env
        .texts("select warnings from job_run where step = 'ingest'")
        .await;
    assert!(stored[0].contains("no sleep-in allowance"), "{stored:?}");

    // The next night a price rise and a changed base rate arrive: the report says what they
    // changed beyond their rows.
    std::fs::write(
        env.path("inbox/rate-card-2026-11.csv"),
        "service,unit,band,ratio,rate,effective_from,effective_to,payer\n\
         PERSONAL_CARE,hour,day,1,25.00,2026-11-01,,\n",
    )
    .expect("rate card");
    let workers = std::fs::read_to_string(fixtures.join("workers.csv"))
        .expect("workers")
        .replace(
            "W1,Sam Jones,P0001,CC1,12.60",
            "W1,Sam Jones,P0001,CC1,13.20",
        );
    std::fs::write(env.path("inbox/workers-2026-11.csv"), workers).expect("workers");
    let today = tms::domain::LocalZone::default().local_date(chrono::Utc::now());
    let run = env.tms(&["run", "nightly", "--date", "2026-11-30"]).await;
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    for note in [
        "  - ingest: rate-card-2026-11.csv: rate card PERSONAL_CARE day ratio 1 (the default \
         card): the stored entry from 2025-01-01 now ends on 2026-10-31, the day before the new \
         entry from 2026-11-01"
            .to_owned(),
        format!(
            "  - ingest: workers-2026-11.csv: worker W1: base rate 12.6000 -> 13.2000 from \
             {today}, the day of this import"
        ),
    ] {
        assert!(out.contains(&note), "{note}\n{out}");
    }
}
on_both!(a_night_warns_of_reference_data_that_leaves_money_missing);
