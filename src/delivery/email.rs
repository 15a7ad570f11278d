//! The email outbox. Messages are queued in the database with a deterministic Message-ID and
//! sent at most once: a message is marked `sending` before it leaves and `sent` after; one found
//! still `sending` (the sender crashed) is not resent over SMTP but marked `unknown` for a person
//! to check, while the file transport can tell from its file whether the message left.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::EmailSettings;
use crate::store::runs::{OutboxMessage, claim_outbox, mark_outbox, outbox_due};
use crate::store::{Store, StoreError};

/// Messages read from the outbox at a time.
const SEND_BATCH: i64 = 200;

/// Why email could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("email setting {0}")]
    Setting(String),
    #[error("message {id}: {reason}")]
    Message { id: String, reason: String },
    #[error("cannot write {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where messages go.
pub enum Transport {
    /// One `.eml` file per message, named by its Message-ID (the default outside production).
    File(PathBuf),
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    /// Nothing leaves; messages are marked sent (a dry run's copy of the database).
    Discard,
}

impl Transport {
    pub fn from_settings(settings: &EmailSettings) -> Result<Transport, EmailError> {
        match settings.transport.as_str() {
            "file" => Ok(Transport::File(settings.outbox_dir.clone())),
            "smtp" => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
                    .map_err(|e| EmailError::Setting(format!("smtp_url: {e}")))?
                    .timeout(Some(Duration::from_secs(settings.smtp_timeout_seconds)))
                    .build();
                Ok(Transport::Smtp(Box::new(transport)))
            }
            other => Err(EmailError::Setting(format!(
                "transport {other:?}: use file or smtp"
            ))),
        }
    }
}

/// A message id as tms makes them: `<kind>.<key>@<domain>`, the same every time for the same
/// document, so queueing twice keeps one message.
pub fn message_id(kind: &str, key: &str, domain: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!("{}.{}@{}", clean(kind), clean(key), clean(domain))
}

/// Builds the message as it goes out: the stored Message-ID and creation time make the bytes
/// the same on every attempt.
pub fn compose(message: &OutboxMessage, from: &str) -> Result<Message, EmailError> {
    let bad = |reason: String| EmailError::Message {
        id: message.message_id.clone(),
        reason,
    };
    let from: Mailbox = from.parse().map_err(|e| bad(format!("from: {e}")))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(message.subject.clone())
        .message_id(Some(format!("<{}>", message.message_id)))
        .date(std::time::SystemTime::from(message.created_at))
        .header(ContentType::TEXT_PLAIN);
    let mut any = false;
    for address in message
        .recipients
        .split(';')
        .filter(|a| !a.trim().is_empty())
    {
        let to: Mailbox = address
            .trim()
            .parse()
            .map_err(|e| bad(format!("recipient: {e}")))?;
        builder = builder.to(to);
        any = true;
    }
    if !any {
        return Err(bad("no recipients".to_owned()));
    }
    builder
        .body(message.body.clone())
        .map_err(|e| bad(e.to_string()))
}

/// What a pass over the outbox did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SendCounts {
    pub sent: u64,
    /// Left for the next run (the server was unreachable or answered 4xx).
    pub deferred: u64,
    /// Refused for good (5xx, bad address).
    pub failed: u64,
    /// Interrupted mid-send: not resent automatically.
    pub unknown: u64,
}

/// Sends every due message once; `sender` is the step doing it, recorded on each message.
pub async fn send_due(
    store: &Store,
    transport: &Transport,
    settings: &EmailSettings,
    sender: Option<i64>,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<SendCounts, EmailError> {
    let mut counts = SendCounts::default();
    let mut reachable = None;
    let mut skipped: std::collections::HashSet<String> = std::collections::HashSet::new();
    loop {
        let due: Vec<OutboxMessage> = outbox_due(store, SEND_BATCH + skipped.len() as i64)
            .await?
            .into_iter()
            .filter(|m| !skipped.contains(&m.message_id))
            .collect();
        if due.is_empty() {
            return Ok(counts);
        }
        for message in due {
            let id = message.message_id.clone();
            if message.status == "sending" {
                settle_interrupted(store, transport, &message, &mut counts, &now).await?;
                continue;
            }
            let outgoing = match compose(&message, &settings.from) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(message_id = %id, error = %e, "message cannot be sent");
                    mark_outbox(store, &id, "failed", true, None, Some(&e.to_string())).await?;
                    counts.failed += 1;
                    continue;
                }
            };
            if let Transport::Smtp(smtp) = transport {
                let up = match reachable {
                    Some(up) => up,
                    None => {
                        let up = smtp.test_connection().await.unwrap_or(false);
                        reachable = Some(up);
                        up
                    }
                };
                if !up {
                    tracing::warn!(message_id = %id, "the mail server cannot be reached; the message waits for the next run");
                    skipped.insert(id);
                    counts.deferred += 1;
                    continue;
                }
            }
            if !claim_outbox(store, &id, sender).await? {
                skipped.insert(id);
                continue;
            }
            crate::failpoint::hit("outbox.before_send");
            let outcome = deliver(transport, &id, outgoing).await;
            crate::failpoint::hit("outbox.after_send");
            match outcome {
                Delivery::Sent => {
                    mark_outbox(store, &id, "sent", true, Some(now()), None).await?;
                    counts.sent += 1;
                }
                Delivery::Deferred(error) => {
                    tracing::warn!(message_id = %id, %error, "message deferred");
                    mark_outbox(store, &id, "pending", true, None, Some(&error)).await?;
                    skipped.insert(id);
                    counts.deferred += 1;
                }
                Delivery::Failed(error) => {
                    tracing::warn!(message_id = %id, %error, "message refused");
                    mark_outbox(store, &id, "failed", true, None, Some(&error)).await?;
                    counts.failed += 1;
                }
                Delivery::Unknown(error) => {
                    tracing::warn!(message_id = %id, %error, "message may or may not have left; not resent");
                    mark_outbox(store, &id, "unknown", true, None, Some(&error)).await?;
                    counts.unknown += 1;
                }
            }
        }
    }
}

enum Delivery {
    Sent,
    Deferred(String),
    Failed(String),
    Unknown(String),
}

async fn deliver(transport: &Transport, id: &str, message: Message) -> Delivery {
    match transport {
        Transport::Discard => Delivery::Sent,
        Transport::File(dir) => match write_eml(dir, id, &message.formatted()) {
            Ok(()) => Delivery::Sent,
            Err(e) => Delivery::Deferred(e.to_string()),
        },
        Transport::Smtp(smtp) => match smtp.send(message).await {
            Ok(_) => Delivery::Sent,
            Err(e) if e.is_permanent() => Delivery::Failed(e.to_string()),
            Err(e) if e.is_transient() => Delivery::Deferred(e.to_string()),
            Err(e) => Delivery::Unknown(e.to_string()),
        },
    }
}

/// A message left `sending` by a crash: the file transport knows whether it was written; over
/// SMTP nobody knows, so it is never resent automatically.
async fn settle_interrupted(
    store: &Store,
    transport: &Transport,
    message: &OutboxMessage,
    counts: &mut SendCounts,
    now: &impl Fn() -> DateTime<Utc>,
) -> Result<(), EmailError> {
    let id = &message.message_id;
    match transport {
        Transport::File(dir) if eml_path(dir, id).exists() => {
            mark_outbox(store, id, "sent", false, Some(now()), None).await?;
            counts.sent += 1;
        }
        Transport::File(_) | Transport::Discard => {
            mark_outbox(store, id, "pending", false, None, None).await?;
        }
        Transport::Smtp(_) => {
            tracing::warn!(message_id = %id, "sending was interrupted; marked unknown, not resent");
            mark_outbox(
                store,
                id,
                "unknown",
                false,
                None,
                Some("sending was interrupted; check the mail server's log before resending"),
            )
            .await?;
            counts.unknown += 1;
        }
    }
    Ok(())
}

fn eml_path(dir: &std::path::Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.eml"))
}

/// Writes the message whole or not at all.
fn write_eml(dir: &std::path::Path, id: &str, bytes: &[u8]) -> Result<(), EmailError> {
    let target = eml_path(dir, id);
    crate::files::write_whole(&target, bytes).map_err(|source| EmailError::File {
        path: target.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(recipients: &str) -> OutboxMessage {
        OutboxMessage {
            message_id: message_id("run-report", "2026-11-30", "tms.example"),
            kind: "run-report".into(),
            recipients: recipients.into(),
            subject: "Nightly run 2026-11-30: done".into(),
            body: "All steps done.\n".into(),
            created_at: DateTime::parse_from_rfc3339("2026-12-01T02:05:00Z")
                .expect("valid")
                .to_utc(),
            status: "pending".into(),
            attempts: 0,
        }
    }

    #[test]
    fn message_ids_are_deterministic_and_safe() {
        assert_eq!(
            message_id("run report", "2026-11/30", "tms.example"),
            "run-report.2026-11-30@tms.example"
        );
    }

    #[test]
    fn the_same_message_composes_to_the_same_bytes() {
        let first = compose(
            &message("a@example.org; b@example.org"),
            "tms <tms@example.org>",
        )
        .expect("composes")
        .formatted();
        let second = compose(
            &message("a@example.org; b@example.org"),
            "tms <tms@example.org>",
        )
        .expect("composes")
        .formatted();
        assert_eq!(first, second);
        let text = String::from_utf8(first).expect("ascii");
        assert!(text.contains("Message-ID: <run-report.2026-11-30@tms.example>"));
        assert!(text.contains("To: a@example.org, b@example.org"));
        assert!(text.contains("Date: Tue, 01 Dec 2026 02:05:00 +0000"));
    }

    #[test]
    fn a_message_without_recipients_is_refused() {
        assert!(compose(&message(" ; "), "tms <tms@example.org>").is_err());
        assert!(compose(&message("not an address"), "tms <tms@example.org>").is_err());
    }
}
