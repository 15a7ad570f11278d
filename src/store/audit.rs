//! The audit trails as stored: the content a shift's audit row keeps of the shift before and
//! after each change, read inside the writers' transactions, and the reads that give one shift's
//! or one reference record's changes, oldest first.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::batch::{numbered_to_anonymous, sqlite_error};
use super::bulk::instant_from_seconds;
use super::rows::ShiftAuditRow;
use super::{Store, StoreError, Tx, on_pool, on_tx};
use crate::domain::shift::ShiftStatus;

/// A shift as an audit row keeps it: its status and its segments, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftContent {
    pub status: String,
    pub segments: Vec<ContentSegment>,
}

/// One segment of a [`ShiftContent`]. Instants are UTC (`2026-10-06T08:00:00Z`); empty miles and
/// notes are left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentSegment {
    pub start: String,
    pub end: String,
    pub service: String,
    pub people: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub miles: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

impl ContentSegment {
    /// A segment from its stored columns, people `;`-separated.
    pub fn new(
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        service: &str,
        people: &str,
        miles: &str,
        notes: &str,
    ) -> ContentSegment {
        let instant = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        ContentSegment {
            start: instant(start),
            end: instant(end),
            service: service.to_owned(),
            people: people
                .split(';')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            miles: miles.to_owned(),
            notes: notes.to_owned(),
        }
    }

    /// The start as an instant, if it reads as one.
    pub fn start_at(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.start)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The end as an instant, if it reads as one.
    pub fn end_at(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.end)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

impl ShiftContent {
    pub fn new(status: ShiftStatus, segments: Vec<ContentSegment>) -> ShiftContent {
        ShiftContent {
            status: status.as_str().to_owned(),
            segments,
        }
    }

    /// The same segments with another status: a decision changes the status alone.
    pub fn with_status(&self, status: ShiftStatus) -> ShiftContent {
        ShiftContent {
            status: status.as_str().to_owned(),
            segments: self.segments.clone(),
        }
    }

    /// The compact JSON an audit row keeps.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a shift's content is text and lists of text")
    }

    /// Content read back from an audit row.
    pub fn from_json(text: &str) -> Result<ShiftContent, StoreError> {
        serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("stored shift_audit content: {e}")))
    }
}

/// `sql/shift_content.sql`: a stored shift's status and one of its segments.
#[derive(Debug, sqlx::FromRow)]
struct ContentRow {
    status: String,
    start_utc: i64,
    end_utc: i64,
    service_code: String,
    people: String,
    miles: String,
    notes: String,
}

/// A shift's content from its rows; `None` for a shift that has none (there is no such shift).
fn content_of(rows: Vec<ContentRow>) -> Result<Option<ShiftContent>, StoreError> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let status = ShiftStatus::try_from(first.status.clone())
        .map_err(|e| StoreError::Corrupt(format!("shift.status: {e}")))?;
    let instant = |seconds: i64| {
        instant_from_seconds(seconds)
            .ok_or_else(|| StoreError::Corrupt(format!("segment instant {seconds} out of range")))
    };
    let segments = rows
        .iter()
        .map(|r| {
            Ok(ContentSegment::new(
                instant(r.start_utc)?,
                instant(r.end_utc)?,
                &r.service_code,
                &r.people,
                &r.miles,
                &r.notes,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(ShiftContent::new(status, segments)))
}

/// The stored content of a shift, inside a transaction held through sqlx.
pub async fn stored_content_in(
    tx: &mut Tx,
    shift_id: i64,
) -> Result<Option<ShiftContent>, StoreError> {
    let rows: Vec<ContentRow> = on_tx!(tx, conn => sqlx::query_as(include_str!("../../sql/shift_content.sql"))
        .bind(shift_id)
        .fetch_all(conn)
        .await?);
    content_of(rows)
}

/// The stored content of a shift, inside a rusqlite transaction.
pub(crate) fn stored_content_sqlite(
    tx: &rusqlite::Transaction<'_>,
    shift_id: i64,
) -> Result<Option<ShiftContent>, StoreError> {
    let mut statement = tx
        .prepare_cached(&numbered_to_anonymous(include_str!(
            "../../sql/shift_content.sql"
        )))
        .map_err(sqlite_error)?;
    let rows = statement
        .query_map([shift_id], |r| {
            Ok(ContentRow {
                status: r.get(0)?,
                start_utc: r.get(1)?,
                end_utc: r.get(2)?,
                service_code: r.get(3)?,
                people: r.get(4)?,
                miles: r.get(5)?,
                notes: r.get(6)?,
            })
        })
        .map_err(sqlite_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sqlite_error)?;
    content_of(rows)
}

/// The shifts whose amendment audit rows in `audit` still need the content they replace.
pub(crate) fn needing_before(audit: &[ShiftAuditRow]) -> Vec<i64> {
    audit
        .iter()
        .filter(|r| r.action == "amend" && r.before_content.is_none())
        .map(|r| r.shift_id)
        .collect()
}

/// The audit rows with the content each amendment replaces filled in from `before` (the shifts
/// as they stand before the batch writes).
pub(crate) fn with_before<'a>(
    audit: &'a [ShiftAuditRow],
    before: &HashMap<i64, ShiftContent>,
) -> Cow<'a, [ShiftAuditRow]> {
    if before.is_empty() {
        return Cow::Borrowed(audit);
    }
    let mut rows = audit.to_vec();
    for row in &mut rows {
        if row.action == "amend" && row.before_content.is_none() {
            row.before_content = before.get(&row.shift_id).map(ShiftContent::to_json);
        }
    }
    Cow::Owned(rows)
}

/// One stored change to a shift.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftAuditEntry {
    pub version: i64,
    /// `create`, `amend`, `approve`, `reject` or `withdraw`.
    pub action: String,
    /// Who: `worker:W1`, `manager:CC1`, `finance:<token>`, `cli:USER`, `nightly`, ...
    pub actor: String,
    /// `csv` or `api`.
    pub source: String,
    pub source_file: String,
    /// A decision's reason.
    pub detail: String,
    pub changed_at: DateTime<Utc>,
    pub before_hash: Option<String>,
    pub after_hash: String,
    pub before: Option<ShiftContent>,
    pub after: Option<ShiftContent>,
}

#[derive(Debug, sqlx::FromRow)]
struct ShiftAuditStored {
    version: i64,
    action: String,
    actor: String,
    source: String,
    source_file: String,
    detail: String,
    changed_at: i64,
    before_hash: Option<String>,
    after_hash: String,
    before_content: Option<String>,
    after_content: Option<String>,
}

fn instant(seconds: i64, what: &str) -> Result<DateTime<Utc>, StoreError> {
    instant_from_seconds(seconds)
        .ok_or_else(|| StoreError::Corrupt(format!("{what} {seconds} is out of range")))
}

/// A shift's id from its worker and reference.
pub async fn shift_id_of(
    store: &Store,
    worker_id: &str,
    shift_ref: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_scalar(include_str!("../../sql/shift_id_by_ref.sql"))
        .bind(worker_id)
        .bind(shift_ref)
        .fetch_optional(pool)
        .await?),
    )
}

/// Every stored change to a shift, oldest first.
pub async fn shift_trail(store: &Store, shift_id: i64) -> Result<Vec<ShiftAuditEntry>, StoreError> {
    let rows: Vec<ShiftAuditStored> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/shift_audit_trail.sql"))
        .bind(shift_id)
        .fetch_all(pool)
        .await?);
    rows.into_iter()
        .map(|r| {
            let content =
                |text: Option<String>| text.as_deref().map(ShiftContent::from_json).transpose();
            Ok(ShiftAuditEntry {
                version: r.version,
                action: r.action,
                actor: r.actor,
                source: r.source,
                source_file: r.source_file,
                detail: r.detail,
                changed_at: instant(r.changed_at, "shift_audit.changed_at")?,
                before_hash: r.before_hash,
                after_hash: r.after_hash,
                before: content(r.before_content)?,
                after: content(r.after_content)?,
            })
        })
        .collect()
}

/// One stored change to a reference record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceAuditEntry {
    pub record_key: String,
    /// `insert`, `update` or `delete`.
    pub action: String,
    pub actor: String,
    pub source_file: String,
    pub changed_at: DateTime<Utc>,
    /// The record's columns before and after, each as its stored text (or null).
    pub before: Option<serde_json::Map<String, serde_json::Value>>,
    pub after: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, sqlx::FromRow)]
struct ReferenceAuditStored {
    record_key: String,
    action: String,
    actor: String,
    source_file: String,
    changed_at: i64,
    before_json: Option<String>,
    after_json: Option<String>,
}

/// The changes to the records of `kind` (an import kind, `rate-card`) whose key is `key` or
/// starts with `key` and a `|` (`PERSONAL_CARE` finds every rate of that service), oldest first.
pub async fn reference_trail(
    store: &Store,
    kind: &str,
    key: &str,
) -> Result<Vec<ReferenceAuditEntry>, StoreError> {
    let rows: Vec<ReferenceAuditStored> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/reference_audit_trail.sql"))
        .bind(kind)
        .bind(key)
        .fetch_all(pool)
        .await?);
    rows.into_iter()
        .map(|r| {
            let record = |text: Option<String>| {
                text.map(|t| match serde_json::from_str(&t) {
                    Ok(serde_json::Value::Object(map)) => Ok(map),
                    _ => Err(StoreError::Corrupt(format!(
                        "stored reference_audit record of {kind} {} is not a JSON object",
                        r.record_key
                    ))),
                })
                .transpose()
            };
            Ok(ReferenceAuditEntry {
                before: record(r.before_json.clone())?,
                after: record(r.after_json.clone())?,
                changed_at: instant(r.changed_at, "reference_audit.changed_at")?,
                record_key: r.record_key,
                action: r.action,
                actor: r.actor,
                source_file: r.source_file,
            })
        })
        .collect()
}
