//! The run report over real SMTP: `tests/e2e/smtp.mjs` (Node's `smtp-server`) listens on
//! 127.0.0.1 and keeps every message it receives, and the night sends its report there. A report
//! is delivered once and never again on `--force`; a send cut off before the server answers is
//! marked `unknown` and not resent; an unreachable server defers the message to a later run; a
//! refused one is marked `failed`; one found still `sending` after a crash is marked `unknown`.
//! A message carrying an HTML alternative and attachments arrives whole, its files byte for byte.
//!
//! Without Node or its packages (`npm ci --prefix tests/e2e`) the tests say why and pass, except
//! under `CI=true`, where they fail.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::harness::Env;
use super::mime::Part;
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

/// A statement queued with an HTML alternative and two files: the server receives one
/// `multipart/mixed` message whose parts decode to exactly what was queued.
async fn a_message_with_attachments_is_delivered_whole_over_smtp(backend: Backend) {
    use tms::delivery::email::{attachment, enqueue_in, message_id};
    use tms::store::runs::{OutboxMessage, OutboxParts, OutboxStatus};

    if !node_ready() {
        return;
    }
    let Some(mut env) = Env::fresh(backend) else {
        return;
    };
    // A line that starts with a dot, which SMTP must escape on the way and the server unescape.
    let plain = "Your statement for October 2026 is attached.\n.\n. Nothing is due.\n";
    let html = "<p>Your statement for October 2026 is attached.</p>";
    let pdf: Vec<u8> = b"%PDF-1.7\r\n"
        .iter()
        .copied()
        .chain((0..=255_u8).cycle().take(5000))
        .collect();
    let csv = b"person_id,pence\nP0001,1250\n.\n".to_vec();
    let id = message_id("statement", "P0001-2026-10", "tms.example");
    {
        let store = tms::store::Store::open_and_migrate(env.url(), 2)
            .await
            .expect("open");
        let message = OutboxMessage {
            message_id: id.clone(),
            kind: "statement".into(),
            recipients: "person@example.org".into(),
            subject: "Your statement for October 2026".into(),
            body: plain.into(),
            created_at: chrono::Utc::now(),
            status: OutboxStatus::Pending,
            attempts: 0,
        };
        let parts = OutboxParts {
            html: Some(html.into()),
            attachments: vec![
                attachment("statement/2026-10.pdf", "application/pdf", pdf.clone()),
                attachment("charges 2026-10.csv", "text/csv", csv.clone()),
            ],
        };
        let mut tx = store.begin().await.expect("begin");
        assert!(
            enqueue_in(&mut tx, &message, &parts)
                .await
                .expect("enqueue")
        );
        tx.commit().await.expect("commit");
        store.close().await;
    }
    let server = MailServer::start("").await;
    use_smtp(&mut env, server.port);

    let send = env
        .tms(&["run", "send-outbox", "--date", "2026-11-30"])
        .await;
    assert_eq!(send.status.code(), Some(0), "{}", text(&send));
    let messages = server.messages();
    assert_eq!(messages.len(), 1, "one message arrives: {messages:#?}");
    let received = Part::parse(&messages[0]);
    assert_eq!(
        received.header("Message-ID"),
        Some(format!("<{id}>").as_str())
    );
    assert_eq!(received.header("To"), Some("person@example.org"));
    assert_eq!(received.mime_type(), "multipart/mixed");
    let mixed = received.children();
    assert_eq!(
        mixed.iter().map(Part::mime_type).collect::<Vec<_>>(),
        ["multipart/alternative", "application/pdf", "text/csv"]
    );
    let alternative = mixed[0].children();
    assert_eq!(
        alternative.iter().map(Part::mime_type).collect::<Vec<_>>(),
        ["text/plain", "text/html"]
    );
    assert_eq!(alternative[0].text(), plain.replace('\n', "\r\n"));
    assert_eq!(alternative[1].text(), html);
    assert_eq!(
        mixed[1].attachment_name().as_deref(),
        Some("statement_2026-10.pdf"),
        "no path separator reaches the recipient"
    );
    assert_eq!(mixed[1].decoded(), pdf);
    assert_eq!(
        mixed[2].attachment_name().as_deref(),
        Some("charges 2026-10.csv")
    );
    assert_eq!(mixed[2].decoded(), csv);
    assert_eq!(
        env.texts(&format!(
            "select status from outbox where message_id = '{id}'"
        ))
        .await,
        ["sent"]
    );

    server.stop().await;
    drop(env);
}
on_both!(a_message_with_attachments_is_delivered_whole_over_smtp);
