//! Nightly pipeline benchmarks: run with `cargo bench --bench nightly`.
//!
//! A provider of 2,500 people and 4,000 workers drops its reference files and one month of
//! shifts (November 2026) into the inbox. Timed, each as its own `tms` process on SQLite:
//! 1. the dry run of that night (the database copy included);
//! 2. the night itself: ingest, allocate, November's period charges, report and outbox;
//! 3. after a rate change marks every shift, the allocate step alone in one process, and the
//!    same step on a copy with the run leaving the partitions to three `tms worker` processes.
//!
//! Figures go in the README; nothing here asserts a time.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

use tms::demo::{DemoSpec, generate};

const PEOPLE: usize = 2_500;
const WORKERS: usize = 4_000;

fn command(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tms"));
    command
        .args(args)
        .arg("-q")
        .env_remove("TMS_CONFIG")
        .env(
            "TMS_DATABASE__URL",
            format!("sqlite://{}", root.join("tms.db").display()),
        )
        .env("TMS_PATHS__DATA_DIR", root.join("data"))
        .env("TMS_PATHS__OUTPUT_DIR", root.join("out"))
        .env("TMS_RUNNER__SETTLE_SECONDS", "0")
        .env("TMS_RUNNER__REPORT_TO", "finance@example.org")
        .env("TMS_REPORT_PEAK_RSS", "1");
    command
}

fn timed(root: &Path, args: &[&str], extra: &[(&str, &str)]) -> (f64, u64, Output) {
    let started = Instant::now();
    let mut command = command(root, args);
    for (k, v) in extra {
        command.env(k, v);
    }
    let output = command.output().expect("run tms");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "tms {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (seconds, peak_kib(&output), output)
}

fn peak_kib(output: &Output) -> u64 {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn main() {
    let work = tempfile::tempdir().expect("temp dir");
    let root = work.path().join("provider");
    let inbox = root.join("data/inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let files = generate(
        &DemoSpec {
            seed: 11,
            people: PEOPLE,
            workers: WORKERS,
            first_month: (2026, 11),
            months: 1,
        },
        &work.path().join("files"),
    )
    .expect("generate");
    let mut rows = 0;
    for path in files.reference.iter().map(|(_, p)| p).chain(&files.shifts) {
        std::fs::copy(path, inbox.join(path.file_name().expect("name"))).expect("copy");
    }
    for path in &files.shifts {
        rows += std::fs::read_to_string(path).expect("read").lines().count() - 1;
    }
    println!("provider: {PEOPLE} people, {WORKERS} workers, November 2026: {rows} segment rows");

    // The first night's dry run copies an empty database: it times the night's work alone.
    let (dry, dry_peak, _) = timed(
        &root,
        &["run", "nightly", "--date", "2026-11-30", "--dry-run"],
        &[],
    );
    println!(
        "dry run of the night: {dry:.2} s, peak RSS {} MB",
        dry_peak / 1024
    );

    let (night, night_peak, output) =
        timed(&root, &["run", "nightly", "--date", "2026-11-30"], &[]);
    println!(
        "the night (ingest {rows} rows, allocate, period charges, report, outbox): {night:.2} s, {:.0} rows/s, peak RSS {} MB",
        rows as f64 / night,
        night_peak / 1024
    );
    print!("{}", String::from_utf8_lossy(&output.stdout));

    let (dry2, _, _) = timed(
        &root,
        &["run", "nightly", "--date", "2026-12-01", "--dry-run"],
        &[],
    );
    println!("dry run of the next night, database copied with its month of shifts: {dry2:.2} s");

    // A rate change marks every shift.
    let conn = rusqlite::Connection::open(root.join("tms.db")).expect("open");
    let marked = conn
        .execute("update shift set needs_costing = 1", [])
        .expect("mark");
    drop(conn);
    let shared = work.path().join("shared");
    copy_tree(&root, &shared);

    let (alone, alone_peak, _) = timed(&root, &["run", "allocate", "--date", "2026-12-01"], &[]);
    println!(
        "allocate {marked} marked shifts, one process: {alone:.2} s, peak RSS {} MB",
        alone_peak / 1024
    );

    let started = Instant::now();
    let mut run = command(&shared, &["run", "allocate", "--date", "2026-12-01"])
        .env("TMS_RUNNER__LOCAL_PARTITIONS", "false")
        .stdout(Stdio::null())
        .spawn()
        .expect("run");
    let workers: Vec<Child> = (0..3)
        .map(|_| {
            command(&shared, &["worker", "--idle-exit", "2", "--poll-ms", "50"])
                .stdout(Stdio::null())
                .spawn()
                .expect("worker")
        })
        .collect();
    assert!(run.wait().expect("run").success());
    let shared_seconds = started.elapsed().as_secs_f64();
    for mut worker in workers {
        assert!(worker.wait().expect("worker").success());
    }
    println!("the same with three tms worker processes: {shared_seconds:.2} s");
}
