//! The email outbox. Messages are queued in the database with a deterministic Message-ID and
//! sent at most once: a message is marked `sending` before it leaves and `sent` after; one found
//! still `sending` (the sender crashed) is not resent over SMTP but marked `unknown` for a person
//! to check, while the file transport can tell from its file whether the message left.
//!
//! A message is its plain text, optionally with an HTML alternative and file attachments
//! (invoices, statements, payroll exports), queued with it in one transaction; see
//! [`super::mime`] for how they are laid out.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::mime::{self, Shape};
use crate::config::EmailSettings;
use crate::store::runs::{
    MessageId, OutboxAttachment, OutboxMessage, OutboxParts, OutboxStatus, claim_outbox,
    enqueue_with_parts_in, mark_outbox, outbox_due, outbox_parts,
};
use crate::store::{Store, StoreError, Tx};

/// Messages read from the outbox at a time.
const SEND_BATCH: i64 = 200;

/// Why email could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("email setting {0}")]
    Setting(String),
    #[error("message {id}: {reason}")]
    Message { id: MessageId, reason: String },
    /// An attachment refused before anything of its message is queued.
    #[error("message {id}, attachment {number} ({file_name}): {field}: {reason}")]
    Attachment {
        id: MessageId,
        /// Counted from 1 in the order the attachments were given.
        number: usize,
        file_name: String,
        field: &'static str,
        reason: String,
    },
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
pub fn message_id(kind: &str, key: &str, domain: &str) -> MessageId {
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
    MessageId::from(format!("{}.{}@{}", clean(kind), clean(key), clean(domain)))
}

/// A file to attach: `file_name` is made safe as the recipient will see it (no path separators
/// or control characters; see [`mime::safe_file_name`]); `content_type` is its MIME type, e.g.
/// `application/pdf`, checked when the message is queued.
pub fn attachment(file_name: &str, content_type: &str, content: Vec<u8>) -> OutboxAttachment {
    OutboxAttachment {
        file_name: mime::safe_file_name(file_name),
        content_type: content_type.trim().to_owned(),
        content,
    }
}

/// Queues `message` with its HTML alternative and attachments in `tx`: all of it is kept when
/// `tx` commits, none of it if `tx` rolls back. Every attachment is checked first (a usable MIME
/// type) and its name made safe, so a refused attachment queues nothing. Returns `false` when
/// the message id was already queued (the first message is kept, with its parts).
pub async fn enqueue_in(
    tx: &mut Tx,
    message: &OutboxMessage,
    parts: &OutboxParts,
) -> Result<bool, EmailError> {
    let mut safe = std::borrow::Cow::Borrowed(parts);
    for (index, attachment) in parts.attachments.iter().enumerate() {
        let file_name = mime::safe_file_name(&attachment.file_name);
        if let Err(reason) = mime::attachment_type(&attachment.content_type) {
            return Err(EmailError::Attachment {
                id: message.message_id.clone(),
                number: index + 1,
                file_name,
                field: "content type",
                reason,
            });
        }
        if file_name != attachment.file_name {
            safe.to_mut().attachments[index].file_name = file_name;
        }
    }
    Ok(enqueue_with_parts_in(tx, message, &safe).await?)
}

/// Builds the message as it goes out: the stored Message-ID and creation time, and boundaries
/// derived from the content, make the bytes the same on every attempt. A message without parts
/// is its plain text alone, exactly as before parts existed.
pub fn compose(
    message: &OutboxMessage,
    parts: &OutboxParts,
    from: &str,
) -> Result<Message, EmailError> {
    let bad = |reason: String| EmailError::Message {
        id: message.message_id.clone(),
        reason,
    };
    let from: Mailbox = from.parse().map_err(|e| bad(format!("from: {e}")))?;
    let shape = mime::shape(&message.message_id, &message.body, parts).map_err(bad)?;
    let mut builder = Message::builder()
        .from(from)
        .subject(message.subject.clone())
        .message_id(Some(format!("<{}>", message.message_id)))
        .date(std::time::SystemTime::from(message.created_at));
    if let Shape::Text = shape {
        // Before the recipients, where a plain message has always had it.
        builder = builder.header(ContentType::TEXT_PLAIN);
    }
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
    match shape {
        Shape::Text => builder.body(message.body.clone()),
        Shape::Multipart(body) => builder.multipart(body),
    }
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
    let mut skipped: std::collections::HashSet<MessageId> = std::collections::HashSet::new();
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
            if message.status == OutboxStatus::Sending {
                settle_interrupted(store, transport, &message, &mut counts, &now).await?;
                continue;
            }
            let parts = outbox_parts(store, &id).await?;
            let outgoing = match compose(&message, &parts, &settings.from) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(message_id = %id, error = %e, "message cannot be sent");
                    mark_outbox(
                        store,
                        &id,
                        OutboxStatus::Failed,
                        true,
                        None,
                        Some(&e.to_string()),
                    )
                    .await?;
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
                    mark_outbox(store, &id, OutboxStatus::Sent, true, Some(now()), None).await?;
                    counts.sent += 1;
                }
                Delivery::Deferred(error) => {
                    tracing::warn!(message_id = %id, %error, "message deferred");
                    mark_outbox(store, &id, OutboxStatus::Pending, true, None, Some(&error))
                        .await?;
                    skipped.insert(id);
                    counts.deferred += 1;
                }
                Delivery::Failed(error) => {
                    tracing::warn!(message_id = %id, %error, "message refused");
                    mark_outbox(store, &id, OutboxStatus::Failed, true, None, Some(&error)).await?;
                    counts.failed += 1;
                }
                Delivery::Unknown(error) => {
                    tracing::warn!(message_id = %id, %error, "message may or may not have left; not resent");
                    mark_outbox(store, &id, OutboxStatus::Unknown, true, None, Some(&error))
                        .await?;
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

async fn deliver(transport: &Transport, id: &MessageId, message: Message) -> Delivery {
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
            mark_outbox(store, id, OutboxStatus::Sent, false, Some(now()), None).await?;
            counts.sent += 1;
        }
        Transport::File(_) | Transport::Discard => {
            mark_outbox(store, id, OutboxStatus::Pending, false, None, None).await?;
        }
        Transport::Smtp(_) => {
            tracing::warn!(message_id = %id, "sending was interrupted; marked unknown, not resent");
            mark_outbox(
                store,
                id,
                OutboxStatus::Unknown,
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

fn eml_path(dir: &std::path::Path, id: &MessageId) -> PathBuf {
    dir.join(format!("{id}.eml"))
}

/// Writes the message whole or not at all.
fn write_eml(dir: &std::path::Path, id: &MessageId, bytes: &[u8]) -> Result<(), EmailError> {
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
            status: OutboxStatus::Pending,
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

    const FROM: &str = "tms <tms@example.org>";

    fn with_attachment() -> OutboxParts {
        OutboxParts {
            html: Some("<p>All steps done.</p>".into()),
            attachments: vec![attachment(
                "charges.csv",
                "text/csv; charset=utf-8",
                b"person,pence\nP0001,1250\n".to_vec(),
            )],
        }
    }

    #[test]
    fn the_same_message_composes_to_the_same_bytes() {
        for parts in [OutboxParts::default(), with_attachment()] {
            let first = compose(&message("a@example.org; b@example.org"), &parts, FROM)
                .expect("composes")
                .formatted();
            let second = compose(&message("a@example.org; b@example.org"), &parts, FROM)
                .expect("composes")
                .formatted();
            assert_eq!(first, second);
            let text = String::from_utf8(first).expect("ascii");
            assert!(text.contains("Message-ID: <run-report.2026-11-30@tms.example>"));
            assert!(text.contains("To: a@example.org, b@example.org"));
            assert!(text.contains("Date: Tue, 01 Dec 2026 02:05:00 +0000"));
        }
    }

    #[test]
    fn a_message_without_parts_is_its_plain_text_alone() {
        let plain = message("a@example.org");
        let expected = Message::builder()
            .from(FROM.parse().expect("from"))
            .subject(plain.subject.clone())
            .message_id(Some(format!("<{}>", plain.message_id)))
            .date(std::time::SystemTime::from(plain.created_at))
            .header(ContentType::TEXT_PLAIN)
            .to("a@example.org".parse().expect("to"))
            .body(plain.body.clone())
            .expect("builds")
            .formatted();
        let composed = compose(&plain, &OutboxParts::default(), FROM)
            .expect("composes")
            .formatted();
        assert_eq!(
            String::from_utf8_lossy(&composed),
            String::from_utf8_lossy(&expected)
        );
        assert!(!String::from_utf8_lossy(&composed).contains("multipart"));
    }

    #[test]
    fn an_attachment_of_no_usable_type_fails_its_message_by_name() {
        let mut parts = with_attachment();
        parts.attachments[0].content_type = "spreadsheet".into();
        let error = compose(&message("a@example.org"), &parts, FROM)
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("attachment 1 (charges.csv)") && error.contains("\"spreadsheet\""),
            "{error}"
        );
    }

    #[test]
    fn a_message_without_recipients_is_refused() {
        let none = OutboxParts::default();
        assert!(compose(&message(" ; "), &none, FROM).is_err());
        assert!(compose(&message("not an address"), &none, FROM).is_err());
    }
}
