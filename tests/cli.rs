//! The `tms` binary end to end: exit codes, messages, and memory that stays flat on a large import.
//! Runs against SQLite, and against PostgreSQL when `TMS_TEST_DATABASE_URL` is set.

pub mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use support::{Backend, TestDatabase};
use tms::capture::ReferenceKind;

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

    // A person or file that was never imported is an error naming it, not an empty report.
    let charges_of = |person: &str| {
        tms(
            &url,
            &out,
            &[
                "report",
                "charges",
                "--from",
                "2026-10-01",
                "--to",
                "2026-10-31",
                "--person",
                person,
            ],
        )
    };
    let unknown = charges_of("NOBODY");
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("NOBODY"), "{stderr}");
    assert!(unknown.stdout.is_empty(), "no report is printed");
    let known_without_charges = charges_of("E");
    assert!(
        known_without_charges.status.success(),
        "a known person with no charges is an empty report: {}",
        String::from_utf8_lossy(&known_without_charges.stderr)
    );
    let no_file = tms(
        &url,
        &out,
        &["report", "rejects", "--file", "shifts-1999.csv"],
    );
    let stderr = String::from_utf8_lossy(&no_file.stderr);
    assert_eq!(no_file.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("shifts-1999.csv"), "{stderr}");
    let known_file = tms(&url, &out, &["report", "rejects", "--file", "shifts.csv"]);
    assert!(known_file.status.success());
    let rejects = String::from_utf8_lossy(&known_file.stdout).into_owned();
    assert!(
        rejects.lines().count() > 1
            && rejects
                .lines()
                .skip(1)
                .all(|l| l.starts_with("shifts.csv,")),
        "the file's rejected rows: {rejects}"
    );

    let broken_db = tms("sqlite:///proc/forbidden/tms.db", &out, &["migrate"]);
    assert_eq!(
        broken_db.status.code(),
        Some(1),
        "an unusable database is a failure, not a crash"
    );
}
on_both!(exit_codes_tell_what_happened);

/// Reference data that leaves money zero or missing is warned of on standard error after every
/// import, also when it is not a terminal, and the exit code stays as it was; what an import
/// changed beyond the file's rows is said on standard output.
fn imports_warn_of_missing_reference_data_and_exit_as_before(backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    let url = db.url().to_owned();
    let out = db.dir().join("out");
    load_reference(&url, &out);
    let shifts = db.dir().join("shifts.csv");
    std::fs::write(
        &shifts,
        "shift_ref,worker_id,start,end,service,people\n\
         U1,W1,2026-10-06T12:00,2026-10-06T12:40,TRAVEL,A\n",
    )
    .unwrap();
    let import = tms(&url, &out, &["import", "shifts", shifts.to_str().unwrap()]);
    assert_eq!(import.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&import.stderr);
    for warning in [
        "warning: unpriced: 40 minute(s) of approved time from 2026-10-06 to 2026-10-06",
        "see tms report unpriced --from 2026-10-06 --to 2026-10-06",
        "warning: pay rules: no enhancement is in force on ",
        "warning: pay rules: no sleep-in allowance is in force on ",
    ] {
        assert!(stderr.contains(warning), "{warning}: {stderr}");
    }

    let rules = db.dir().join("pay-rules.csv");
    std::fs::write(
        &rules,
        "rule,band,amount,effective_from,effective_to\n\
         enhancement,night,1.50,2025-01-01,\nenhancement,weekend,1.00,2025-01-01,\n\
         enhancement,bank_holiday,6.00,2025-01-01,\nsleep_in_allowance,,45.00,2025-01-01,\n",
    )
    .unwrap();
    let import = tms(
        &url,
        &out,
        &["import", "pay-rules", rules.to_str().unwrap()],
    );
    assert_eq!(import.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&import.stderr);
    assert!(!stderr.contains("warning: pay rules"), "{stderr}");
    assert!(
        stderr.contains("warning: unpriced: 40 minute(s)"),
        "{stderr}"
    );

    let rise = db.dir().join("rate-card-rise.csv");
    std::fs::write(
        &rise,
        "service,unit,band,ratio,rate,effective_from,effective_to,payer\n\
         PERSONAL_CARE,hour,day,1,25.00,2026-11-01,,\nTRAVEL,hour,day,1,18.00,2025-01-01,,\n",
    )
    .unwrap();
    let import = tms(&url, &out, &["import", "rate-card", rise.to_str().unwrap()]);
    assert_eq!(
        import.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let stdout = String::from_utf8_lossy(&import.stdout);
    assert!(
        stdout.contains(
            "rate-card-rise.csv: rate card PERSONAL_CARE day ratio 1 (the default card): the \
             stored entry from 2025-01-01 now ends on 2026-10-31, the day before the new entry \
             from 2026-11-01"
        ),
        "{stdout}"
    );
    assert!(
        !String::from_utf8_lossy(&import.stderr).contains("warning:"),
        "nothing is missing any more: {}",
        String::from_utf8_lossy(&import.stderr)
    );
}
on_both!(imports_warn_of_missing_reference_data_and_exit_as_before);

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

/// `tms ARGS` with extra settings in the environment (and none of the server's address
/// settings unless given).
fn tms_with(url: &str, out: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tms"));
    command
        .args(args)
        .env("TMS_DATABASE__URL", url)
        .env("TMS_PATHS__OUTPUT_DIR", out)
        .env("TMS_PATHS__DATA_DIR", out)
        .env_remove("TMS_CONFIG")
        .env_remove("TMS_SERVER__LISTEN")
        .env_remove("TMS_SERVER__PUBLIC_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run tms")
}

/// The tokens `tms token list --format json` shows, by label.
fn listed_tokens(url: &str, out: &Path) -> (Vec<serde_json::Value>, String) {
    let list = tms(url, out, &["token", "list", "--format", "json"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let tokens: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    (
        tokens.as_array().unwrap().clone(),
        String::from_utf8_lossy(&list.stderr).into_owned(),
    )
}

fn tokens_expire_by_role_and_the_list_warns_before_they_do(backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    let dir = db.dir();
    let url = db.url().to_owned();
    let out = dir.join("out");
    load_reference(&url, &out);
    let create = |env: &[(&str, &str)], args: &[&str]| {
        let mut all = vec!["token", "create"];
        all.extend_from_slice(args);
        let output = tms_with(&url, &out, env, &all);
        assert!(
            output.status.success(),
            "tms {}: {}",
            all.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let worker = create(
        &[],
        &["--role", "worker", "--subject", "W1", "--label", "phone"],
    );
    assert!(
        worker.contains("(90 days, the default for worker tokens; --expires sets another)"),
        "{worker}"
    );
    create(
        &[],
        &[
            "--role",
            "manager",
            "--subject",
            "CC1",
            "--label",
            "manager",
        ],
    );
    create(&[], &["--role", "finance", "--label", "finance"]);
    create(
        &[],
        &["--role", "family", "--subject", "A", "--label", "family"],
    );
    create(
        &[("TMS_TOKENS__WORKER_DAYS", "7")],
        &["--role", "worker", "--subject", "W2", "--label", "short"],
    );
    let never = create(
        &[],
        &[
            "--role",
            "finance",
            "--expires",
            "never",
            "--label",
            "payroll bureau",
        ],
    );
    assert!(never.contains("it does not expire"), "{never}");
    create(
        &[],
        &[
            "--role",
            "worker",
            "--subject",
            "W1",
            "--expires",
            "3d",
            "--label",
            "rota system",
        ],
    );
    let revoked = create(
        &[],
        &[
            "--role",
            "worker",
            "--subject",
            "W2",
            "--label",
            "lost phone",
        ],
    );
    let revoked_id = revoked
        .split_whitespace()
        .nth(1)
        .expect("token id")
        .to_owned();
    let revoke = tms(&url, &out, &["token", "revoke", &revoked_id]);
    assert!(revoke.status.success());
    // A token whose expiry has passed (one cannot be made that way on the command line).
    // Cases run on a runtime's worker thread: block it while the token is written.
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async {
            let store = tms::store::Store::open(&url, 1).await.expect("open");
            let scope = tms::domain::Scope::new(tms::domain::Role::Worker, &["W1".to_owned()])
                .expect("scope");
            tms::store::access::create_token(
                &store,
                tms::domain::Role::Worker,
                &scope,
                "old phone",
                Some(chrono::Utc::now() - chrono::Duration::days(2)),
            )
            .await
            .expect("token");
            store.close().await;
        })
    });

    let (tokens, warnings) = listed_tokens(&url, &out);
    let now = chrono::Utc::now();
    let token = |label: &str| {
        tokens
            .iter()
            .find(|t| t["label"] == label)
            .unwrap_or_else(|| panic!("no token labelled {label}: {tokens:?}"))
            .clone()
    };
    let days_left = |label: &str| {
        let at = token(label)["expires_at"].as_str().unwrap().to_owned();
        let at = chrono::NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%MZ")
            .unwrap_or_else(|e| panic!("{label}: expires_at '{at}': {e}"))
            .and_utc();
        (at - now).num_minutes() as f64 / (24.0 * 60.0)
    };
    for (label, days) in [
        ("phone", 90.0),
        ("manager", 30.0),
        ("finance", 30.0),
        ("family", 90.0),
        ("short", 7.0),
        ("rota system", 3.0),
    ] {
        let left = days_left(label);
        assert!(
            left > days - 0.01 && left <= days,
            "{label}: {left} days left, not {days}"
        );
    }
    for (label, status) in [
        ("phone", "live"),
        ("manager", "live"),
        ("short", "expires soon"),
        ("rota system", "expires soon"),
        ("payroll bureau", "no expiry"),
        ("lost phone", "revoked"),
        ("old phone", "expired"),
    ] {
        assert_eq!(token(label)["status"], status, "{label}: {tokens:?}");
    }
    assert_eq!(token("payroll bureau")["expires_at"], "");
    let rota = token("rota system")["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        warnings.contains(&format!(
            "warning: token {rota} (worker, W1, rota system) expires in 2 days, "
        )),
        "{warnings}"
    );
    assert_eq!(
        warnings
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .count(),
        2,
        "the two tokens expiring within 14 days, not the expired or revoked ones: {warnings}"
    );
    // The table says the same.
    let table = tms(&url, &out, &["token", "list"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.contains("old phone") && l.contains("expired")),
        "{table}"
    );
    // A lifetime out of range is a settings error.
    let bad = tms_with(
        &url,
        &out,
        &[("TMS_TOKENS__MANAGER_DAYS", "0")],
        &["token", "create", "--role", "manager", "--subject", "CC1"],
    );
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("tokens.manager_days"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
on_both!(tokens_expire_by_role_and_the_list_warns_before_they_do);

fn sign_in_links_follow_the_listen_address_unless_a_public_url_is_set(backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    let dir = db.dir();
    let url = db.url().to_owned();
    let out = dir.join("out");
    load_reference(&url, &out);
    let link_of = |env: &[(&str, &str)], args: &[&str]| {
        let output = tms_with(&url, &out, env, args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        let link = stdout
            .lines()
            .find_map(|l| l.strip_prefix("sign-in link (works once): "))
            .unwrap_or_else(|| panic!("no link in {stdout}"))
            .to_owned();
        (link, stdout, stderr)
    };
    let create = [
        "token",
        "create",
        "--role",
        "worker",
        "--subject",
        "W1",
        "--link",
    ];
    let (link, stdout, stderr) = link_of(&[("TMS_SERVER__LISTEN", "127.0.0.1:9123")], &create);
    assert!(link.starts_with("http://127.0.0.1:9123/sign-in/"), "{link}");
    assert!(
        stderr.contains("the link's address comes from server.listen (127.0.0.1:9123)"),
        "{stderr}"
    );
    let (default, _, _) = link_of(&[], &create);
    assert!(
        default.starts_with("http://127.0.0.1:8080/sign-in/"),
        "{default}"
    );
    let set = [
        ("TMS_SERVER__LISTEN", "127.0.0.1:9123"),
        ("TMS_SERVER__PUBLIC_URL", "https://tms.example.org/"),
    ];
    let (public, _, quiet) = link_of(&set, &create);
    assert!(
        public.starts_with("https://tms.example.org/sign-in/"),
        "{public}"
    );
    assert!(!quiet.contains("note:"), "{quiet}");
    let token_id = stdout.split_whitespace().nth(1).expect("token id");
    let (again, _, _) = link_of(
        &[("TMS_SERVER__LISTEN", "10.1.2.3:9000")],
        &["token", "link", token_id],
    );
    assert!(
        again.starts_with("http://10.1.2.3:9000/sign-in/"),
        "{again}"
    );
}
on_both!(sign_in_links_follow_the_listen_address_unless_a_public_url_is_set);

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

/// Every subcommand and every option of the command line has a line of help, and `--role`
/// lists its values with what each may do.
#[test]
fn every_command_and_option_says_what_it_does() {
    use clap::CommandFactory;
    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in command.get_arguments() {
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {}", arg.get_id()));
            }
            if arg.get_action().takes_values() {
                for value in arg.get_possible_values() {
                    if value.get_help().is_none() && !value.is_hide_set() {
                        missing.push(format!("{path} {} {}", arg.get_id(), value.get_name()));
                    }
                }
            }
        }
        for sub in command.get_subcommands() {
            let name = format!("{path} {}", sub.get_name());
            if sub.get_about().is_none() && sub.get_long_about().is_none() {
                missing.push(name.clone());
            }
            walk(sub, &name, missing);
        }
    }
    let mut command = tms::cli::Cli::command();
    command.build();
    let mut missing = Vec::new();
    walk(&command, "tms", &mut missing);
    assert!(missing.is_empty(), "without help:\n{}", missing.join("\n"));
    let role = command
        .find_subcommand("token")
        .and_then(|t| t.find_subcommand("create"))
        .and_then(|c| c.get_arguments().find(|a| a.get_id() == "role"))
        .expect("token create --role");
    let roles: Vec<String> = role
        .get_possible_values()
        .iter()
        .map(|v| v.get_name().to_owned())
        .collect();
    assert_eq!(roles, ["worker", "manager", "finance", "family"]);

    // As printed: the values are listed, and a wrong one is refused with them.
    let help = Command::new(env!("CARGO_BIN_EXE_tms"))
        .args(["token", "create", "--help"])
        .output()
        .expect("run tms");
    let text = String::from_utf8_lossy(&help.stdout);
    for role in ["worker", "manager", "finance", "family"] {
        assert!(text.contains(role), "{text}");
    }
    let wrong = Command::new(env!("CARGO_BIN_EXE_tms"))
        .args(["token", "create", "--role", "boss", "--subject", "W1"])
        .output()
        .expect("run tms");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("finance"));
}

/// A database that cannot be reached fails within 5 s, naming the server (never the password)
/// and the setting to check: a closed port at once, a server that never answers at 5 s.
#[test]
fn an_unreachable_database_is_named_within_five_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    // Accepted by the kernel, never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    for (port, says, within) in [(closed, "", 5), (silent_port, "no answer within 5 s", 8)] {
        let url = format!("postgres://tms:s3cret-pass@127.0.0.1:{port}/tms");
        let started = std::time::Instant::now();
        let o = tms(&url, dir.path(), &["report", "unpriced"]);
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert!(
            took < std::time::Duration::from_secs(within),
            "port {port}: took {took:?}"
        );
        for expected in [
            &format!("127.0.0.1:{port}") as &str,
            "database.url",
            "TMS_DATABASE__URL",
            says,
        ] {
            assert!(stderr.contains(expected), "{expected}: {stderr}");
        }
        assert!(!stderr.contains("s3cret-pass"), "{stderr}");
        assert!(!stderr.contains("pool timed out"), "{stderr}");
    }
    drop(silent);
}

/// Runs the demo (a small provider, one month) into `dir`; its standard output.
fn demo(url: &str, dir: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_tms"))
        .args([
            "demo",
            "--people",
            "8",
            "--workers",
            "12",
            "--months",
            "1",
            "--from",
            "2026-10",
        ])
        .env("TMS_DATABASE__URL", url)
        .env("TMS_PATHS__DATA_DIR", dir.join("data"))
        .env("TMS_PATHS__OUTPUT_DIR", dir.join("out"))
        .env_remove("TMS_CONFIG")
        .output()
        .expect("run tms");
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}

/// `Shifts in the files: N — A new, B amended, C unchanged; D rejected` as numbers.
fn shift_counts(stdout: &str) -> [u64; 5] {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Shifts in the files: "))
        .unwrap_or_else(|| panic!("the demo prints its shift counts:\n{stdout}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit() && c != ',')
        .filter(|w| !w.is_empty() && w.chars().any(|c| c.is_ascii_digit()))
        .map(|w| w.replace(',', "").parse().unwrap())
        .collect();
    numbers
        .try_into()
        .unwrap_or_else(|n| panic!("{line}: {n:?}"))
}

fn a_demo_run_again_finds_every_shift_unchanged(backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    let first = demo(db.url(), db.dir());
    let [total, new, amended, unchanged, _] = shift_counts(&first);
    assert!(total > 100, "{first}");
    assert_eq!((new, amended, unchanged), (total, 0, 0), "{first}");
    // Run reports are kept per business date and start second: start in the next second.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let again = demo(db.url(), db.dir());
    let [total_again, new, amended, unchanged, _] = shift_counts(&again);
    assert_eq!(
        (total_again, new, amended, unchanged),
        (total, 0, 0, total),
        "{again}"
    );
    let ingest = again
        .lines()
        .find(|l| l.starts_with("  ingest ") && l.contains(" done "))
        .unwrap_or_else(|| panic!("the run report has the ingest step:\n{again}"));
    assert!(!ingest.contains("shifts new"), "{ingest}");
    assert!(
        ingest.contains(&format!("shifts unchanged {total}")),
        "{ingest}"
    );
}
on_both!(a_demo_run_again_finds_every_shift_unchanged);

/// The example files of the README's "Reference data" list, in the order given: `(kind, text)`.
fn readme_examples() -> Vec<(String, String)> {
    let readme = include_str!("../README.md");
    let mut examples = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(kind) = line.trim_start().strip_prefix("```csv ") else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let mut text = String::new();
        for body in lines.by_ref() {
            if body.trim() == "```" {
                break;
            }
            text.push_str(body.get(indent..).unwrap_or(body.trim_start()));
            text.push('\n');
        }
        examples.push((kind.trim().to_owned(), text));
    }
    examples
}

fn the_readme_examples_import_in_their_order(backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    let examples = readme_examples();
    let kinds: Vec<&str> = examples.iter().map(|(k, _)| k.as_str()).collect();
    let mut expected: Vec<&str> = ReferenceKind::ALL.iter().map(|k| k.as_str()).collect();
    expected.push("shifts");
    assert_eq!(
        kinds, expected,
        "the README gives an example of every kind, in import order"
    );
    let out = db.dir().join("out");
    for (kind, text) in &examples {
        let file = db.dir().join(format!("{kind}.csv"));
        std::fs::write(&file, text).unwrap();
        let o = tms(db.url(), &out, &["import", kind, file.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{kind}:\n{text}{stdout}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            !stdout.contains("no rows") && !stdout.contains(" 0 new"),
            "{kind} adds something: {stdout}"
        );
    }
    let charges = tms(
        db.url(),
        &out,
        &[
            "report",
            "charges",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--format",
            "json",
        ],
    );
    let lines: serde_json::Value = serde_json::from_slice(&charges.stdout).unwrap();
    let amounts: Vec<&str> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount"].as_str().unwrap())
        .collect();
    assert!(
        amounts.contains(&"24.00") && amounts.contains(&"85.00"),
        "the example shift and one-off are charged: {lines}"
    );
}
on_both!(the_readme_examples_import_in_their_order);

fn audit_trails_show_who_changed_what_and_when(backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    let url = db.url().to_owned();
    let out = db.dir().join("out");
    load_reference(&url, &out);
    let shifts = format!("{FIXTURES}/shifts.csv");
    assert_eq!(
        tms(&url, &out, &["import", "shifts", &shifts])
            .status
            .code(),
        Some(3)
    );
    // EX1 shortened by a quarter of an hour, with a care note.
    let amended = db.dir().join("shifts-amended.csv");
    std::fs::write(
        &amended,
        "shift_ref,worker_id,start,end,service,people,miles,notes\n\
         EX1,W1,2026-10-06T09:00,2026-10-06T09:45,PERSONAL_CARE,A;B;C,2.5,fell in the kitchen\n",
    )
    .unwrap();
    let o = tms(&url, &out, &["import", "shifts", amended.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 amended"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    let audit = |args: &[&str]| {
        let mut all = vec!["audit"];
        all.extend_from_slice(args);
        let o = tms(&url, &out, &all);
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, table, stderr) = audit(&["shift", "W1/EX1"]);
    assert_eq!(code, Some(0), "{stderr}");
    let rows: Vec<&str> = table.lines().collect();
    assert!(rows[0].starts_with("changed_at"), "{table}");
    let create: Vec<&&str> = rows.iter().filter(|r| r.contains(" create ")).collect();
    assert!(
        create
            .iter()
            .any(|r| r.contains("status") && r.contains("approved")),
        "{table}"
    );
    assert!(
        create
            .iter()
            .any(|r| r.contains("segment 1")
                && r.contains("2026-10-06 09:00–10:00 PERSONAL_CARE A;B;C")),
        "{table}"
    );
    let amend = rows
        .iter()
        .find(|r| r.contains(" amend ") && r.contains("segment 1"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        amend.contains("09:00–10:00 PERSONAL_CARE A;B;C")
            && amend.contains("09:00–09:45 PERSONAL_CARE A;B;C, 2.5 miles"),
        "before and after: {amend}"
    );
    assert!(amend.contains(" cli"), "who: {amend}");
    assert!(amend.contains("shifts-amended.csv"), "{amend}");
    assert!(
        table.find(" create ") < table.find(" amend "),
        "oldest first: {table}"
    );
    // Care notes only when asked for; a changed note still shows that it changed.
    assert!(!table.contains("kitchen"), "{table}");
    assert!(table.contains("notes 1") && table.contains("(not shown: --notes)"));
    let (_, with_notes, _) = audit(&["shift", "W1/EX1", "--notes"]);
    assert!(with_notes.contains("fell in the kitchen"), "{with_notes}");
    let (code, json, _) = audit(&["shift", "W1/EX1", "--format", "json"]);
    assert_eq!(code, Some(0));
    let trail: serde_json::Value = serde_json::from_str(&json).unwrap();
    let changes = trail["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{json}");
    assert_eq!(
        changes[1]["before"]["segments"][0]["end"],
        "2026-10-06T10:00+01:00"
    );
    assert_eq!(
        changes[1]["after"]["segments"][0]["end"],
        "2026-10-06T09:45+01:00"
    );
    assert!(!json.contains("kitchen"), "{json}");

    for (args, names) in [
        (&["shift", "W1/NOPE"][..], "W1/NOPE"),
        (&["shift", "EX1"][..], "EX1"),
        (&["reference", "staff", "W1"][..], "staff"),
        (&["reference", "workers", "W99"][..], "W99"),
    ] {
        let (code, stdout, stderr) = audit(args);
        assert_eq!(code, Some(2), "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(names), "{args:?}: {stderr}");
    }

    // A worker's base rate raised: the update shows the rate before and after, in pounds.
    let workers = db.dir().join("workers-2.csv");
    std::fs::write(
        &workers,
        "worker_id,name,payroll_number,cost_centre,base_rate,date_of_birth\n\
         W1,Sam Jones,P0001,CC1,12.90,1990-05-01\n",
    )
    .unwrap();
    assert!(
        tms(
            &url,
            &out,
            &["import", "workers", workers.to_str().unwrap()]
        )
        .status
        .success()
    );
    let (code, table, stderr) = audit(&["reference", "workers", "W1"]);
    assert_eq!(code, Some(0), "{stderr}");
    let update: Vec<&str> = table.lines().filter(|l| l.contains(" update ")).collect();
    assert_eq!(update.len(), 1, "only the rate changed: {table}");
    assert!(
        update[0].contains("base_rate")
            && update[0].contains("12.6000")
            && update[0].contains("12.9000"),
        "{table}"
    );
    assert!(update[0].contains("workers-2.csv"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.contains(" insert ") && l.contains("Sam Jones"))
    );
    // A key's first parts find every record under it.
    let (code, table, _) = audit(&["reference", "rate-card", "PERSONAL_CARE", "--format", "csv"]);
    assert_eq!(code, Some(0));
    let keys: std::collections::BTreeSet<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(4))
        .collect();
    assert!(keys.len() > 1, "{table}");
    assert!(
        keys.iter().all(|k| k.starts_with("PERSONAL_CARE|")),
        "{keys:?}"
    );
}
on_both!(audit_trails_show_who_changed_what_and_when);
