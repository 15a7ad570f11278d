//! The phone page end to end in headless Chromium: `tms serve` on a fresh database with the API
//! fixtures, driven by `tests/e2e/phone.mjs` (Playwright and axe-core: keyboard sign-in, a
//! one-time link, a two-part shared-support shift, a manager's approval, accessibility, reflow
//! and touch targets on every page), then the charges report shows the approved shift.
//!
//! Runs on SQLite, and on PostgreSQL when `TMS_TEST_DATABASE_URL` names a server. Without the
//! Node packages (`npm ci --prefix tests/e2e`), Node or `/usr/bin/chromium` the test says why and
//! passes, except under `CI=true`, where it fails; so does a missing `TMS_TEST_DATABASE_URL`.
//! Set `TMS_E2E_SCREENSHOT_DIR` to keep a screenshot of every page checked.

pub mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{Backend, TestDatabase, in_ci};

const CHROMIUM: &str = "/usr/bin/chromium";
const E2E: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/api");
/// Longest the browser run may take before it is stopped.
const BROWSER_DEADLINE: Duration = Duration::from_secs(300);
/// Longest `tms serve` may take to say where it listens.
const START_DEADLINE: Duration = Duration::from_secs(60);

fn phone_page(backend: Backend) {
    if !tools_ready() {
        return;
    }
    let Some(db) = TestDatabase::new(backend) else {
        return;
    };
    journey(&db);
}
on_both!(phone_page);

/// The whole journey on one database; its folder holds the data and output folders and the logs.
fn journey(db: &TestDatabase) {
    let dir = db.dir();
    let tms = Tms {
        url: db.url().to_owned(),
        dir: dir.to_owned(),
    };
    for kind in ["cost-centres", "services", "workers", "people", "rate-card"] {
        tms.ok(&["import", kind, &format!("{FIXTURES}/{kind}.csv")], &[]);
    }
    assert!(
        charges_on(&tms.charges(), "2026-10-06").is_empty(),
        "nothing is charged before the shift is approved"
    );

    let server = tms.serve();
    let base = server.base.clone();
    // Tokens go straight into the database. With no public URL set, the link's address is the
    // listen address, here the one the server bound.
    let listen = base.strip_prefix("http://").expect("an http address");
    let worker = tms.ok(
        &[
            "token",
            "create",
            "--role",
            "worker",
            "--subject",
            "W1",
            "--link",
        ],
        &[("TMS_SERVER__LISTEN", listen)],
    );
    let manager = tms.ok(
        &["token", "create", "--role", "manager", "--subject", "CC1"],
        &[],
    );
    let worker_token = token_line(&worker);
    let manager_token = token_line(&manager);
    let link = worker
        .lines()
        .find_map(|l| l.strip_prefix("sign-in link (works once): "))
        .unwrap_or_else(|| panic!("no sign-in link in:\n{worker}"))
        .trim()
        .to_owned();
    assert!(link.starts_with(&base), "the link {link} points at {base}");

    let mut node = Command::new("node");
    node.arg("phone.mjs")
        .current_dir(E2E)
        .env("BASE_URL", &base)
        .env("WORKER_TOKEN", worker_token)
        .env("MANAGER_TOKEN", manager_token)
        .env("WORKER_LINK", &link)
        .env("CHROMIUM_PATH", CHROMIUM)
        .env_remove("SCREENSHOT_DIR");
    if let Ok(shots) = std::env::var("TMS_E2E_SCREENSHOT_DIR") {
        node.env("SCREENSHOT_DIR", shots);
    }
    let (succeeded, output) = run_with_deadline(node, dir, "phone", BROWSER_DEADLINE);
    println!("{output}");
    assert!(
        succeeded,
        "tests/e2e/phone.mjs failed:\n{output}\n--- tms serve log (last lines) ---\n{}",
        server.log_tail()
    );

    let charges = tms.charges();
    let lines = charges_on(&charges, "2026-10-06");
    let minutes = |person: &str, ratio: &str| -> u32 {
        lines
            .iter()
            .filter(|c| c[0] == person && (ratio.is_empty() || c[4] == ratio))
            .map(|c| c[6].parse::<u32>().expect("minutes"))
            .sum()
    };
    assert!(
        lines.iter().any(|c| c[0] == "A") && lines.iter().any(|c| c[0] == "B"),
        "the approved shift charges Anne (A) and Ben (B) on 2026-10-06:\n{charges}"
    );
    assert_eq!(
        (
            minutes("A", ""),
            minutes("A", "2"),
            minutes("B", "2"),
            minutes("B", "")
        ),
        (90, 60, 60, 60),
        "an hour shared by A and B (ratio 2), then half an hour with A alone:\n{charges}"
    );
    let log_path = server.log.clone();
    drop(server);
    // Requests are logged by route, and no log line carries a token or a sign-in code.
    let log = std::fs::read_to_string(log_path).expect("server log");
    assert!(
        log.contains("\"route\":\"/shifts/new\""),
        "requests are logged by route:\n{log}"
    );
    let code = link.rsplit('/').next().expect("a code");
    for secret in [worker_token, manager_token, code] {
        let secret_part = secret.rsplit('_').next().expect("a secret");
        assert!(!log.contains(secret_part), "a secret reached the log");
    }
}

/// Whether Node, its packages and Chromium are here; if not, says why (and fails under CI).
fn tools_ready() -> bool {
    let missing = if !Path::new(E2E).join("node_modules/playwright-core").is_dir() {
        Some("tests/e2e/node_modules/playwright-core is missing: run `npm ci --prefix tests/e2e`")
    } else if !Path::new(E2E).join("node_modules/axe-core").is_dir() {
        Some("tests/e2e/node_modules/axe-core is missing: run `npm ci --prefix tests/e2e`")
    } else if !Path::new(CHROMIUM).exists() {
        Some("/usr/bin/chromium is missing: `apt-get install chromium chromium-driver`")
    } else if !Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        Some("node is not installed: `apt-get install nodejs npm`")
    } else {
        None
    };
    match missing {
        None => true,
        Some(why) => {
            assert!(
                !in_ci(),
                "CI=true but the phone page test cannot run: {why}"
            );
            eprintln!("phone page test not run: {why}");
            false
        }
    }
}

/// The `tms` binary on one database.
struct Tms {
    url: String,
    dir: PathBuf,
}

impl Tms {
    /// `tms` on this database, with `env` set (and no server address settings otherwise).
    fn command(&self, env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tms"));
        command
            .env("TMS_DATABASE__URL", &self.url)
            .env("TMS_PATHS__DATA_DIR", self.dir.join("data"))
            .env("TMS_PATHS__OUTPUT_DIR", self.dir.join("out"))
            .env("TMS_RUNNER__IN_SERVE", "false")
            .env_remove("TMS_CONFIG")
            .env_remove("TMS_SERVER__LISTEN")
            .env_remove("TMS_SERVER__PUBLIC_URL");
        for (name, value) in env {
            command.env(name, value);
        }
        command
    }

    /// Runs `tms ARGS`, which must succeed; returns its standard output.
    fn ok(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let output: Output = self.command(env).args(args).output().expect("run tms");
        assert!(
            output.status.success(),
            "tms {}: {}\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    }

    fn charges(&self) -> String {
        self.ok(
            &[
                "report",
                "charges",
                "--from",
                "2026-10-01",
                "--to",
                "2026-10-31",
            ],
            &[],
        )
    }

    /// Starts `tms serve` on a free port and waits until it says where it listens.
    fn serve(&self) -> Server {
        let log = self.dir.join("serve.log");
        let mut command = self.command(&[]);
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("server log"));
        let mut child = KillOnDrop(command.spawn().expect("start tms serve"));
        let stdout = child.0.stdout.take().expect("piped stdout");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok);
            sender.send(first).ok();
            // Keep reading so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let first = receiver.recv_timeout(START_DEADLINE).ok().flatten();
        let base = first
            .as_deref()
            .and_then(|l| l.strip_prefix("tms serve: listening on "))
            .map(|b| b.trim().to_owned())
            .unwrap_or_else(|| {
                panic!(
                    "tms serve did not say where it listens (first line {first:?}):\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        Server {
            _child: child,
            base,
            log,
        }
    }
}

/// A running `tms serve`, killed when dropped (also when the test panics).
struct Server {
    _child: KillOnDrop,
    base: String,
    log: PathBuf,
}

impl Server {
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

/// A child process that is killed and reaped when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            self.0.kill().ok();
        }
        self.0.wait().ok();
    }
}

/// Runs `command` with its output in files under `dir`, stopping it after `deadline`. Returns
/// whether it exited successfully, and what it printed.
fn run_with_deadline(
    mut command: Command,
    dir: &Path,
    name: &str,
    deadline: Duration,
) -> (bool, String) {
    let out = dir.join(format!("{name}.out"));
    let err = dir.join(format!("{name}.err"));
    command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("output file"))
        .stderr(std::fs::File::create(&err).expect("error file"));
    let mut child = KillOnDrop(command.spawn().expect("run node (is it installed?)"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait for node") {
            break Some(status);
        }
        if started.elapsed() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(child);
    let mut printed = std::fs::read_to_string(&out).unwrap_or_default();
    let errors = std::fs::read_to_string(&err).unwrap_or_default();
    if !errors.trim().is_empty() {
        printed.push_str("\n--- stderr ---\n");
        printed.push_str(&errors);
    }
    match status {
        Some(status) => (status.success(), format!("{printed}\n(exit: {status})")),
        None => (
            false,
            format!("{printed}\n(stopped after {} s)", deadline.as_secs()),
        ),
    }
}

/// The token itself: the second line `tms_...` of `tms token create`.
fn token_line(output: &str) -> &str {
    output
        .lines()
        .nth(1)
        .map(str::trim)
        .filter(|l| l.starts_with("tms_"))
        .unwrap_or_else(|| panic!("no token on the second line of:\n{output}"))
}

/// The charges CSV's rows on `date`, as columns
/// (person_id, date, service, band, ratio, rate, minutes, amount).
fn charges_on<'a>(csv: &'a str, date: &str) -> Vec<Vec<&'a str>> {
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().map(str::trim),
        Some("person_id,date,service,band,ratio,rate,minutes,amount"),
        "the charges CSV header:\n{csv}"
    );
    lines
        .map(|l| l.trim().split(',').collect::<Vec<_>>())
        .filter(|c| c.len() == 8 && c[1] == date)
        .collect()
}
