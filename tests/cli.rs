//! The `tms` binary end to end: exit codes, messages, and memory that stays flat on a large import.
//! Runs against SQLite, and against PostgreSQL when `TMS_TEST_DATABASE_URL` is set.

pub mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use support::{Backend, TestDatabase};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rules");

fn tms(url: &str, out: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tms"))
        .args(args)
        .env("TMS_DATABASE__URL", url)
        .env("TMS_PATHS__OUTPUT_DIR", out)
        .env("TMS_PATHS__DATA_DIR", out)
        .env("TMS_REPORT_PEAK_RSS", "1")
        .env_remove("TMS_CONFIG")
        .output()
        .expect("run tms")
}

fn load_reference(url: &str, out: &Path) {
    for kind in ["cost-centres", "services", "workers", "people", "rate-card"] {
        let o = tms(
            url,
            out,
            &["import", kind, &format!("{FIXTURES}/{kind}.csv")],
        );
        assert!(
            o.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

fn exit_codes_tell_what_happened(backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    let dir = db.dir();
    let url = db.url().to_owned();
    let out = dir.join("out");
    load_reference(&url, &out);
    let shifts = format!("{FIXTURES}/shifts.csv");
    let first = tms(&url, &out, &["import", "shifts", &shifts]);
    assert_eq!(
        first.status.code(),
        Some(3),
        "rejected rows give 3: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains("8 new") && stdout.contains("2 rejected"),
        "{stdout}"
    );
    let reports: Vec<String> = std::fs::read_dir(out.join("rejects"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        reports.len() == 1 && reports[0].ends_with("-shifts.csv.rejects.csv"),
        "one reject report, named after its import: {reports:?}"
    );

    let again = tms(&url, &out, &["import", "shifts", &shifts]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 new, 0 amended, 8 unchanged"));

    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let refused = tms(&url, &out, &["import", "shifts", empty.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("empty.csv: the file is empty"));

    let usage = tms(
        &url,
        &out,
        &[
            "report",
            "charges",
            "--from",
            "2026-10-31",
            "--to",
            "2026-10-01",
        ],
    );
    assert_eq!(usage.status.code(), Some(2));
    let bad_args = tms(
        &url,
        &out,
        &[
            "report",
            "charges",
            "--from",
            "31/10/2026",
            "--to",
            "2026-10-01",
        ],
    );
    assert_eq!(bad_args.status.code(), Some(2));

    let report = tms(
        &url,
        &out,
        &[
            "report",
            "charges",
            "--from",
            "2026-10-06",
            "--to",
            "2026-10-06",
            "--person",
            "C",
            "--format",
            "json",
        ],
    );
    assert!(report.status.success());
    let lines: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(lines[0]["amount"], "8.00");
    assert_eq!(lines[0]["minutes"], 60);
    assert_eq!(lines.as_array().unwrap().len(), 1);

    let broken_db = tms("sqlite:///proc/forbidden/tms.db", &out, &["migrate"]);
    assert_eq!(
        broken_db.status.code(),
        Some(1),
        "an unusable database is a failure, not a crash"
    );
}
on_both!(exit_codes_tell_what_happened);

/// Workers in the large file; W1–W4 come from the fixtures, the rest from [`write_workers`].
const WORKERS: usize = 200;

/// Writes the workers W5.. that the large file uses beyond the fixtures' four.
fn write_workers(path: &Path) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(file, "worker_id,name,payroll_number,cost_centre,base_rate").unwrap();
    for n in 5..=WORKERS {
        writeln!(file, "W{n},Worker {n},P{n:05},CC1,12.71").unwrap();
    }
}

/// Writes `rows` shift rows: each worker works 25-minute visits every half hour, so nothing
/// overlaps and every date is in the shipped bank-holiday years.
fn write_big_file(path: &Path, rows: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        file,
        "shift_ref,worker_id,start,end,service,people,miles,notes"
    )
    .unwrap();
    let workers: Vec<String> = (1..=WORKERS).map(|n| format!("W{n}")).collect();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    for i in 0..rows {
        let worker = &workers[i % workers.len()];
        let slot = (i / workers.len()) as i64;
        let from = start + chrono::Duration::minutes(slot * 30);
        let to = from + chrono::Duration::minutes(25);
        let people = ["A", "A;B", "B;C;D", ""][i % 4];
        let service = if people.is_empty() {
            "TRAVEL"
        } else {
            "PERSONAL_CARE"
        };
        writeln!(
            file,
            "S{slot},{worker},{}Z,{}Z,{service},{people},,",
            from.format("%Y-%m-%dT%H:%M"),
            to.format("%Y-%m-%dT%H:%M")
        )
        .unwrap();
    }
}

fn peak_rss_kib(stderr: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .expect("tms reports its peak memory");
    line.trim().parse().unwrap()
}

fn a_100k_row_import_stays_under_150_mb(backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    let dir = db.dir();
    let url = db.url().to_owned();
    let big = dir.join("big.csv");
    write_big_file(&big, 100_000);
    let workers = dir.join("workers.csv");
    write_workers(&workers);
    let out = dir.join("out");
    load_reference(&url, &out);
    let more = tms(
        &url,
        &out,
        &["import", "workers", workers.to_str().unwrap()],
    );
    assert!(
        more.status.success(),
        "{}",
        String::from_utf8_lossy(&more.stderr)
    );
    let import = tms(&url, &out, &["import", "shifts", big.to_str().unwrap()]);
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert!(
        String::from_utf8_lossy(&import.stdout).contains("100000 rows; shifts: 100000 new"),
        "{}",
        String::from_utf8_lossy(&import.stdout)
    );
    let peak = peak_rss_kib(&import.stderr);
    assert!(peak < 150 * 1024, "peak RSS {peak} KiB on {url}");
}
on_both!(a_100k_row_import_stays_under_150_mb);

fn token_expiry_is_checked_and_never_panics(backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    let dir = db.dir();
    let url = db.url().to_owned();
    let out = dir.join("out");
    load_reference(&url, &out);
    let create = |expires: &str| {
        tms(
            &url,
            &out,
            &[
                "token",
                "create",
                "--role",
                "worker",
                "--subject",
                "W1",
                "--expires",
                expires,
            ],
        )
    };
    for (expires, says) in [
        ("999999999d", "too far ahead"),
        ("99999999999999999999999h", "too far ahead"),
        ("1827d", "too far ahead"),
        ("1s", "use a duration like 90d, 12h or 30m"),
        ("0m", "too short"),
        ("2020-01-01", "is in the past"),
    ] {
        let refused = create(expires);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(
            refused.status.code(),
            Some(2),
            "--expires {expires} is a usage error: {stderr}"
        );
        assert!(stderr.contains(says), "--expires {expires}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let created = create("90m");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let list = tms(&url, &out, &["token", "list", "--format", "json"]);
    let tokens: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let tokens = tokens.as_array().unwrap();
    assert_eq!(tokens.len(), 1, "no refused token was stored: {tokens:?}");
    let expires_at = tokens[0]["expires_at"].as_str().unwrap();
    let expires_at = chrono::NaiveDateTime::parse_from_str(expires_at, "%Y-%m-%dT%H:%MZ")
        .unwrap()
        .and_utc();
    let lasts = expires_at - chrono::Utc::now();
    assert!(
        lasts > chrono::Duration::minutes(85) && lasts <= chrono::Duration::minutes(90),
        "90m from now: {expires_at}"
    );
}
on_both!(token_expiry_is_checked_and_never_panics);

/// Every file and folder under `root` that is readable, writable or searchable by anyone but
/// its owner.
#[cfg(unix)]
fn shared_paths(root: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut shared = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            shared.push(format!("{} {mode:o}", path.display()));
        }
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        }
    }
    shared
}

#[cfg(unix)]
#[test]
fn files_and_folders_tms_writes_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tms");
    let (data, out) = (root.join("data"), root.join("out"));
    let sqlite = format!("sqlite://{}", data.join("tms.db").display());
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_tms"))
            .args(args)
            .env("TMS_DATABASE__URL", &sqlite)
            .env("TMS_PATHS__DATA_DIR", &data)
            .env("TMS_PATHS__OUTPUT_DIR", &out)
            .env("TMS_RUNNER__SETTLE_SECONDS", "0")
            .env("TMS_RUNNER__REPORT_TO", "finance@example.org")
            .env_remove("TMS_CONFIG")
            .output()
            .expect("run tms");
        assert!(
            matches!(o.status.code(), Some(0 | 3)),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    for kind in ["cost-centres", "services", "workers", "people", "rate-card"] {
        run(&["import", kind, &format!("{FIXTURES}/{kind}.csv")]);
    }
    // Rejected rows write a reject report.
    run(&["import", "shifts", &format!("{FIXTURES}/shifts.csv")]);

    // The nightly run files an uploaded file (world-readable, as uploads often are), copies a
    // file with rejected rows and its report to rejects/, writes the period files and the
    // emailed report to the outbox.
    let inbox = data.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let upload = inbox.join("shifts-late.csv");
    std::fs::write(
        &upload,
        "shift_ref,worker_id,start,end,service,people\n\
         L1,W1,2026-10-30T09:00,2026-10-30T10:00,PERSONAL_CARE,A\n\
         L2,W1,2026-10-30T09:30,2026-10-30T10:30,PERSONAL_CARE,A\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        for path in [&upload, &inbox] {
            let mode = if path.is_dir() { 0o700 } else { 0o644 };
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    run(&["run", "nightly", "--date", "2026-11-05"]);
    run(&["run", "nightly", "--date", "2026-11-06", "--dry-run"]);

    for expected in [
        data.join("tms.db"),
        data.join("inbox/done/2026-11-05/shifts-late.csv"),
        data.join("inbox/rejects/2026-11-05/shifts-late.csv"),
        out.join("rejects"),
        out.join("periods/2026-10/charges.csv"),
        out.join("outbox"),
    ] {
        assert!(expected.exists(), "{} was written", expected.display());
    }
    let reports: Vec<String> = std::fs::read_dir(out.join("rejects"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        reports
            .iter()
            .any(|r| r.ends_with("-shifts.csv.rejects.csv")),
        "the import's reject report was written: {reports:?}"
    );
    let shared = shared_paths(&root);
    assert!(
        shared.is_empty(),
        "readable or searchable by others:\n{}",
        shared.join("\n")
    );
}
