//! The email outbox: messages queued inside the transaction that decided them, claimed and
//! marked by the sender.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::store::bulk::{instant_from_seconds, instant_seconds};
use crate::store::{Store, StoreError, Tx, on_pool, on_tx};

/// An email waiting in (or gone from) the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    pub message_id: String,
    pub kind: String,
    /// Addresses separated by `;`.
    pub recipients: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub status: String,
    pub attempts: i64,
}

/// Queues a message in `tx`; the same message id queued again is kept once.
pub async fn enqueue_in(tx: &mut Tx, message: &OutboxMessage) -> Result<bool, StoreError> {
    let inserted = on_tx!(tx, conn => sqlx::query(include_str!("../../../sql/outbox_enqueue.sql"))
        .bind(&message.message_id).bind(&message.kind).bind(&message.recipients)
        .bind(&message.subject).bind(&message.body).bind(instant_seconds(&message.created_at))
        .execute(conn).await?.rows_affected());
    Ok(inserted == 1)
}

/// Messages still to send (`pending`) or whose sending was interrupted (`sending`).
pub async fn outbox_due(store: &Store, limit: i64) -> Result<Vec<OutboxMessage>, StoreError> {
    type Row = (String, String, String, String, String, i64, String, i64);
    let rows: Vec<Row> = on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/outbox_due.sql"))
        .bind(limit).fetch_all(pool).await?);
    Ok(rows
        .into_iter()
        .map(
            |(message_id, kind, recipients, subject, body, created, status, attempts)| {
                OutboxMessage {
                    message_id,
                    kind,
                    recipients,
                    subject,
                    body,
                    created_at: instant_from_seconds(created).unwrap_or_default(),
                    status,
                    attempts,
                }
            },
        )
        .collect())
}

/// Moves a message to `status` (`sending`, `sent`, `unknown` or `failed`).
pub async fn mark_outbox(
    store: &Store,
    message_id: &str,
    status: &str,
    attempt: bool,
    sent_at: Option<DateTime<Utc>>,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/outbox_mark.sql"))
        .bind(message_id).bind(status).bind(i64::from(attempt))
        .bind(sent_at.as_ref().map(instant_seconds)).bind(error).execute(conn).await?.rows_affected());
    tx.commit().await
}

/// Messages per status that one send-outbox step took, across its attempts.
pub async fn outbox_sent_by(
    store: &Store,
    job_run_id: i64,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = on_pool!(store, pool => sqlx::query_as(include_str!("../../../sql/outbox_sent_by.sql"))
        .bind(job_run_id).fetch_all(pool).await?);
    Ok(rows.into_iter().collect())
}

/// Moves a pending message to `sending`; `false` if another sender got there first.
pub async fn claim_outbox(
    store: &Store,
    message_id: &str,
    sender: Option<i64>,
) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    let claimed = on_tx!(&mut tx, conn => sqlx::query(include_str!("../../../sql/outbox_claim.sql"))
        .bind(message_id).bind(sender).execute(conn).await?.rows_affected());
    tx.commit().await?;
    Ok(claimed == 1)
}
