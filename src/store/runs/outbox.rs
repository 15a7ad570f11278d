//! The email outbox: messages queued inside the transaction that decided them, with the parts
//! they carry besides their text (an HTML alternative, file attachments), claimed and marked by
//! the sender.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::store::bulk::{instant_from_seconds, instant_seconds};
use crate::store::{Store, StoreError, Tx, on_pool, on_tx};

/// A Message-ID as tms makes them, without its angle brackets: `kind.key@domain`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(String);

impl MessageId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for MessageId {
    fn from(id: String) -> MessageId {
        MessageId(id)
    }
}

impl From<&str> for MessageId {
    fn from(id: &str) -> MessageId {
        MessageId(id.to_owned())
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<&str> for MessageId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Where a message is on its way out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutboxStatus {
    /// Queued, not yet tried (or deferred to the next run).
    Pending,
    /// Claimed by a sender; found so after a crash, nobody knows whether it left.
    Sending,
    Sent,
    /// Sending was interrupted: a person checks the mail server's log before resending.
    Unknown,
    /// Refused for good.
    Failed,
}

impl OutboxStatus {
    pub const ALL: [OutboxStatus; 5] = [
        OutboxStatus::Pending,
        OutboxStatus::Sending,
        OutboxStatus::Sent,
        OutboxStatus::Unknown,
        OutboxStatus::Failed,
    ];

    /// The value stored in `outbox.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Unknown => "unknown",
            OutboxStatus::Failed => "failed",
        }
    }

    fn parse(raw: &str) -> Result<OutboxStatus, StoreError> {
        OutboxStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| StoreError::Corrupt(format!("outbox status {raw:?}")))
    }
}

impl fmt::Display for OutboxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An email waiting in (or gone from) the outbox: its headers and plain-text body.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub message_id: MessageId,
    pub kind: String,
    /// Addresses separated by `;`.
    pub recipients: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub status: OutboxStatus,
    pub attempts: i64,
}

impl fmt::Debug for OutboxMessage {
    /// The body is left out: it may carry what a person's documents say.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxMessage")
            .field("message_id", &self.message_id)
            .field("kind", &self.kind)
            .field("subject", &self.subject)
            .field("body_bytes", &self.body.len())
            .field("created_at", &self.created_at)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// A file attached to a message.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxAttachment {
    /// The name the recipient sees (made safe before it is queued).
    pub file_name: String,
    /// Its MIME type, e.g. `application/pdf` or `text/csv; charset=utf-8`.
    pub content_type: String,
    pub content: Vec<u8>,
}

impl fmt::Debug for OutboxAttachment {
    /// The bytes are never shown, only how many there are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxAttachment")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.content.len())
            .finish()
    }
}

/// What a message carries besides its plain-text body.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OutboxParts {
    /// The same text as HTML, shown instead of the plain text by mail programs that can.
    pub html: Option<String>,
    pub attachments: Vec<OutboxAttachment>,
}

impl OutboxParts {
    pub fn is_empty(&self) -> bool {
        self.html.is_none() && self.attachments.is_empty()
    }
}

impl fmt::Debug for OutboxParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxParts")
            .field("html_bytes", &self.html.as_ref().map(String::len))
            .field("attachments", &self.attachments)
            .finish()
    }
}

const HTML: &str = "html";
const ATTACHMENT: &str = "attachment";
const HTML_TYPE: &str = "text/html; charset=utf-8";

/// Queues a plain-text message in `tx`; the same message id queued again is kept once.
pub async fn enqueue_in(tx: &mut Tx, message: &OutboxMessage) -> Result<bool, StoreError> {
    enqueue_with_parts_in(tx, message, &OutboxParts::default()).await
}

/// Queues a message and its parts in `tx`, so they are kept all or nothing; the same message
/// id queued again is kept once, with the parts it was first queued with.
pub async fn enqueue_with_parts_in(
    tx: &mut Tx,
    message: &OutboxMessage,
    parts: &OutboxParts,
) -> Result<bool, StoreError> {
    let id = message.message_id.as_str();
    let inserted = on_tx!(&mut *tx, conn => sqlx::query(include_str!("../../../sql/outbox_enqueue.sql"))
        .bind(id).bind(&message.kind).bind(&message.recipients)
        .bind(&message.subject).bind(&message.body).bind(instant_seconds(&message.created_at))
        .execute(conn).await?.rows_affected());
    if inserted != 1 {
        return Ok(false);
    }
    let html = parts
        .html
        .as_ref()
        .map(|html| (HTML, None, HTML_TYPE, html.as_bytes()));
    let attachments = parts.attachments.iter().map(|a| {
        (
            ATTACHMENT,
            Some(a.file_name.as_str()),
            a.content_type.as_str(),
            a.content.as_slice(),
        )
    });
    for (part_no, (role, file_name, content_type, content)) in
        (1_i64..).zip(html.into_iter().chain(attachments))
    {
        on_tx!(&mut *tx, conn => sqlx::query(include_str!("../../../sql/outbox_part_insert.sql"))
            .bind(id).bind(part_no).bind(role).bind(file_name).bind(content_type).bind(content)
            .execute(conn).await?.rows_affected());
    }
    Ok(true)
}

/// A message's parts, in the order they were queued.
pub async fn outbox_parts(
    store: &Store,
    message_id: &MessageId,
) -> Result<OutboxParts, StoreError> {
    type Row = (String, Option<String>, String, Vec<u8>);
    let rows: Vec<Row> = on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/outbox_parts.sql"))
        .bind(message_id.as_str()).fetch_all(pool).await?);
    let mut parts = OutboxParts::default();
    for (role, file_name, content_type, content) in rows {
        match (role.as_str(), file_name) {
            (HTML, None) => {
                let html = String::from_utf8(content).map_err(|_| {
                    StoreError::Corrupt(format!(
                        "outbox message {message_id}: its HTML part is not UTF-8"
                    ))
                })?;
                parts.html = Some(html);
            }
            (ATTACHMENT, Some(file_name)) => parts.attachments.push(OutboxAttachment {
                file_name,
                content_type,
                content,
            }),
            (other, _) => {
                return Err(StoreError::Corrupt(format!(
                    "outbox message {message_id}: a part of role {other:?}"
                )));
            }
        }
    }
    Ok(parts)
}

/// Messages still to send (`pending`) or whose sending was interrupted (`sending`), without
/// their parts (read with [`outbox_parts`] when one is sent).
pub async fn outbox_due(store: &Store, limit: i64) -> Result<Vec<OutboxMessage>, StoreError> {
    type Row = (String, String, String, String, String, i64, String, i64);
    let rows: Vec<Row> = on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/outbox_due.sql"))
        .bind(limit).fetch_all(pool).await?);
    rows.into_iter()
        .map(
            |(message_id, kind, recipients, subject, body, created, status, attempts)| {
                Ok(OutboxMessage {
                    message_id: MessageId(message_id),
                    kind,
                    recipients,
                    subject,
                    body,
                    created_at: instant_from_seconds(created).unwrap_or_default(),
                    status: OutboxStatus::parse(&status)?,
                    attempts,
                })
            },
        )
        .collect()
}

/// Moves a message to `status` (`sent`, `pending`, `unknown` or `failed`); `attempt` counts
/// one more try.
pub async fn mark_outbox(
    store: &Store,
    message_id: &MessageId,
    status: OutboxStatus,
    attempt: bool,
    sent_at: Option<DateTime<Utc>>,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/outbox_mark.sql"))
        .bind(message_id.as_str()).bind(status.as_str()).bind(i64::from(attempt))
        .bind(sent_at.as_ref().map(instant_seconds)).bind(error).execute(conn).await?.rows_affected());
    tx.commit().await
}

/// Messages per status that one send-outbox step took, across its attempts.
pub async fn outbox_sent_by(
    store: &Store,
    job_run_id: i64,
) -> Result<BTreeMap<OutboxStatus, i64>, StoreError> {
    let rows: Vec<(String, i64)> = on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/outbox_sent_by.sql"))
        .bind(job_run_id).fetch_all(pool).await?);
    rows.into_iter()
        .map(|(status, count)| Ok((OutboxStatus::parse(&status)?, count)))
        .collect()
}

/// Moves a pending message to `sending`; `false` if another sender got there first.
pub async fn claim_outbox(
    store: &Store,
    message_id: &MessageId,
    sender: Option<i64>,
) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    let claimed = on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/outbox_claim.sql"))
        .bind(message_id.as_str()).bind(sender).execute(conn).await?.rows_affected());
    tx.commit().await?;
    Ok(claimed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_as_itself() {
        for status in OutboxStatus::ALL {
            assert_eq!(OutboxStatus::parse(status.as_str()).ok(), Some(status));
        }
        assert!(OutboxStatus::parse("queued").is_err());
    }

    #[test]
    fn attachment_bytes_and_bodies_stay_out_of_debug_output() {
        let parts = OutboxParts {
            html: Some("<p>Mrs Smith's care notes</p>".into()),
            attachments: vec![OutboxAttachment {
                file_name: "statement.csv".into(),
                content_type: "text/csv".into(),
                content: b"sort code 12-34-56".to_vec(),
            }],
        };
        let shown = format!("{parts:?}");
        assert!(shown.contains("statement.csv"), "{shown}");
        assert!(
            !shown.contains("care notes") && !shown.contains("12-34-56"),
            "{shown}"
        );
    }
}
