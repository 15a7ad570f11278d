//! The run report over real SMTP: `tests/e2e/smtp.mjs` (Node's `smtp-server`) listens on
//! 127.0.0.1 and keeps every message it receives, and the night sends its report there. A report
//! is delivered once and never again on `--force`; a send cut off before the server answers is
//! marked `unknown` and not resent; an unreachable server defers the message to a later run; a
//! refused one is marked `failed`; one found still `sending` after a crash is marked `unknown`.
//!
//! Without Node or its packages (`npm ci --prefix tests/e2e`) the tests say why and pass, except
//! under `CI=true`, where they fail.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::harness::Env;
use super::{NIGHT, night_two, text};
use crate::on_both;
use crate::support::Backend;

const E2E: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e");
/// Longest the mail server may take to say where it listens.
const START_DEADLINE: Duration = Duration::from_secs(30);
const SEND_AGAIN: &[&str] = &["run", "send-outbox", "--date", "2026-11-30", "--force"];
const REPORT_STATUS: &str =
    "select status from outbox where message_id like 'run-report.2026-11-30@%'";
const SEND_WARNINGS: &str =
    "select warnings from job_run where step = 'send-outbox' and run_key = '2026-11-30'";

/// Whether Node and `smtp-server` are here; if not, says why (and fails under CI).
fn node_ready() -> bool {
    let missing = if !Path::new(E2E).join("node_modules/smtp-server").is_dir() {
        Some("tests/e2e/node_modules/smtp-server is missing: run `npm ci --prefix tests/e2e`")
    } else if !std::process::Command::new("node")
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
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "CI=true but the SMTP tests cannot run: {why}"
            );
            eprintln!("SMTP test not run: {why}");
            false
        }
    }
}

/// `tests/e2e/smtp.mjs` running, and the folder it writes messages to.
struct MailServer {
    child: tokio::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl MailServer {
    /// Starts the server; `mode` is its MODE (`""`, `drop-after-data` or `reject`).
    async fn start(mode: &str) -> MailServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let mut child = tokio::process::Command::new("node")
            .arg("smtp.mjs")
            .current_dir(E2E)
            .env("MAILDIR", dir.path().join("mail"))
            .env("MODE", mode)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("run node");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let read =
            tokio::time::timeout(START_DEADLINE, BufReader::new(stdout).read_line(&mut line)).await;
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "tests/e2e/smtp.mjs did not say where it listens ({read:?}, {line:?}):\n{}",
                    std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
                )
            });
        MailServer { child, port, dir }
    }

    /// Every message received, oldest first.
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail")) else {
            return Vec::new();
        };
        let mut numbered: Vec<(u64, String)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let n = name.strip_suffix(".eml")?.parse().ok()?;
                Some((n, std::fs::read_to_string(e.path()).expect("read message")))
            })
            .collect();
        numbered.sort();
        numbered.into_iter().map(|(_, m)| m).collect()
    }

    async fn stop(mut self) {
        self.child.kill().await.ok();
    }
}

/// Points the environment's email at `port` over plain SMTP, the report to two addresses.
fn use_smtp(env: &mut Env, port: u16) {
    env.extra_env
        .retain(|(k, _)| !k.starts_with("TMS_EMAIL__") && k != "TMS_RUNNER__REPORT_TO");
    for (key, value) in [
        ("TMS_EMAIL__TRANSPORT", "smtp".to_owned()),
        ("TMS_EMAIL__SMTP_URL", format!("smtp://127.0.0.1:{port}")),
        ("TMS_EMAIL__SMTP_TIMEOUT_SECONDS", "5".to_owned()),
        ("TMS_EMAIL__FROM", "tms <tms@example.org>".to_owned()),
        (
            "TMS_RUNNER__REPORT_TO",
            "finance@example.org,payroll@example.org".to_owned(),
        ),
    ] {
        env.extra_env.push((key.to_owned(), value));
    }
}

/// A header's value (the first line of it).
fn header<'a>(message: &'a str, name: &str) -> &'a str {
    message
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        })
        .unwrap_or_else(|| panic!("no {name} header in:\n{message}"))
}

/// A night whose run report goes over SMTP to a server that takes it.
async fn the_report_is_delivered_once_over_smtp(backend: Backend) {
    if !node_ready() {
        return;
    }
    let Some(mut env) = night_two(backend).await else {
        return;
    };
    let server = MailServer::start("").await;
    use_smtp(&mut env, server.port);

    let run = env.tms(NIGHT).await;
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let messages = server.messages();
    assert_eq!(messages.len(), 1, "one message arrives: {messages:#?}");
    let message = &messages[0];
    assert!(
        header(message, "Message-ID").starts_with("<run-report.2026-11-30@"),
        "{message}"
    );
    let to = header(message, "To");
    assert!(
        to.contains("finance@example.org") && to.contains("payroll@example.org"),
        "both addresses in To: {message}"
    );
    assert!(
        header(message, "Subject").starts_with("tms nightly run for 2026-11-30"),
        "{message}"
    );
    assert_eq!(env.texts(REPORT_STATUS).await, ["sent"]);

    let again = env.tms(SEND_AGAIN).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(
        server.messages().len(),
        1,
        "a sent message is not sent again"
    );
    assert_eq!(env.texts(REPORT_STATUS).await, ["sent"]);

    server.stop().await;
}
on_both!(the_report_is_delivered_once_over_smtp);

/// The server takes the message's data and hangs up without answering: nobody knows whether it
/// was accepted, so it is marked `unknown` and not sent again.
async fn an_interrupted_send_is_marked_unknown_and_not_resent(backend: Backend) {
    if !node_ready() {
        return;
    }
    let Some(mut env) = night_two(backend).await else {
        return;
    };
    let server = MailServer::start("drop-after-data").await;
    use_smtp(&mut env, server.port);

    let run = env.tms(NIGHT).await;
    assert_eq!(
        run.status.code(),
        Some(0),
        "a warning, not a failure: {}",
        text(&run)
    );
    assert_eq!(server.messages().len(), 1, "the server received it once");
    assert_eq!(env.texts(REPORT_STATUS).await, ["unknown"]);
    let warnings = env.texts(SEND_WARNINGS).await;
    assert!(
        warnings[0].contains("may not have been delivered"),
        "{warnings:?}"
    );

    let again = env.tms(SEND_AGAIN).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(server.messages().len(), 1, "not resent");
    assert_eq!(env.texts(REPORT_STATUS).await, ["unknown"]);

    server.stop().await;
}
on_both!(an_interrupted_send_is_marked_unknown_and_not_resent);

/// Nothing listens at the configured port: the message waits, and goes once a server is up.
async fn an_unreachable_server_defers_and_a_later_run_sends(backend: Backend) {
    if !node_ready() {
        return;
    }
    let Some(mut env) = night_two(backend).await else {
        return;
    };
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    use_smtp(&mut env, closed);

    let run = env.tms(NIGHT).await;
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert_eq!(env.texts(REPORT_STATUS).await, ["pending"]);
    let warnings = env.texts(SEND_WARNINGS).await;
    assert!(
        warnings[0].contains("wait for the next run"),
        "{warnings:?}"
    );

    let server = MailServer::start("").await;
    use_smtp(&mut env, server.port);
    let later = env.tms(SEND_AGAIN).await;
    assert_eq!(later.status.code(), Some(0), "{}", text(&later));
    let messages = server.messages();
    assert_eq!(messages.len(), 1, "sent once: {messages:#?}");
    assert!(
        header(&messages[0], "Message-ID").starts_with("<run-report.2026-11-30@"),
        "{}",
        messages[0]
    );
    assert_eq!(env.texts(REPORT_STATUS).await, ["sent"]);

    server.stop().await;
}
on_both!(an_unreachable_server_defers_and_a_later_run_sends);

/// The server answers 550 to the message: refused for good, and not tried again.
async fn a_refused_message_is_marked_failed(backend: Backend) {
    if !node_ready() {
        return;
    }
    let Some(mut env) = night_two(backend).await else {
        return;
    };
    let server = MailServer::start("reject").await;
    use_smtp(&mut env, server.port);

    let run = env.tms(NIGHT).await;
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert_eq!(server.messages().len(), 1, "offered once");
    assert_eq!(env.texts(REPORT_STATUS).await, ["failed"]);
    let error = env
        .texts("select last_error from outbox where message_id like 'run-report.2026-11-30@%'")
        .await;
    assert!(error[0].contains("550"), "{error:?}");
    let warnings = env.texts(SEND_WARNINGS).await;
    assert!(warnings[0].contains("failed"), "{warnings:?}");

    let again = env.tms(SEND_AGAIN).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(server.messages().len(), 1, "not offered again");
    assert_eq!(env.texts(REPORT_STATUS).await, ["failed"]);

    server.stop().await;
}
on_both!(a_refused_message_is_marked_failed);

/// The process dies right after the server took the message, before it could record that: the
/// message is found still `sending`, and over SMTP that is marked `unknown`, not sent again.
async fn a_send_cut_off_by_a_crash_is_marked_unknown_and_not_resent(backend: Backend) {
    if !node_ready() {
        return;
    }
    let Some(mut env) = night_two(backend).await else {
        return;
    };
    let server = MailServer::start("").await;
    use_smtp(&mut env, server.port);

    let crashed = env
        .command(NIGHT)
        .env("TMS_FAILPOINTS", "outbox.after_send:1")
        .output()
        .await
        .expect("run tms");
    assert_ne!(crashed.status.code(), Some(0), "{}", text(&crashed));
    assert_eq!(server.messages().len(), 1, "the server took it");
    assert_eq!(env.texts(REPORT_STATUS).await, ["sending"]);

    env.expire_lease().await;
    let resumed = env.tms(NIGHT).await;
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    assert_eq!(server.messages().len(), 1, "not resent");
    assert_eq!(env.texts(REPORT_STATUS).await, ["unknown"]);
    let warnings = env.texts(SEND_WARNINGS).await;
    assert!(
        warnings[0].contains("may not have been delivered"),
        "{warnings:?}"
    );

    server.stop().await;
}
on_both!(a_send_cut_off_by_a_crash_is_marked_unknown_and_not_resent);
