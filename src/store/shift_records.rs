//! Single shifts in storage: one shift with its segments, a scope's shifts page by page, and the
//! records a change to one shift reads and writes inside its transaction (see `store::change_tx`).

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::bulk::{Value, instant_from_seconds, instant_seconds};
use super::rows::ShiftAuditRow;
use super::{Store, StoreError, Tx, on_pool};
use crate::domain::LocalZone;
use crate::domain::shift::ShiftStatus;

/// A stored shift's header.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ShiftHeader {
    pub shift_id: i64,
    pub worker_id: String,
    pub shift_ref: String,
    #[sqlx(try_from = "String")]
    pub status: ShiftStatus,
    pub version: i64,
    pub source: String,
    pub content_hash: String,
    pub decision_reason: String,
    pub decided_by: String,
    pub first_start_utc: i64,
    pub last_end_utc: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A stored segment as shown.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SegmentRow {
    pub shift_id: i64,
    pub segment_no: i64,
    pub start_utc: i64,
    pub end_utc: i64,
    pub service_code: String,
    pub people: String,
    pub miles: String,
    pub notes: String,
}

/// A shift with its segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftRecord {
    pub header: ShiftHeader,
    pub segments: Vec<SegmentRow>,
}

fn local_text(zone: LocalZone, seconds: i64) -> String {
    let instant = instant_from_seconds(seconds).unwrap_or_default();
    instant
        .with_timezone(&zone.tz())
        .format("%Y-%m-%dT%H:%M%:z")
        .to_string()
}

impl ShiftRecord {
    /// The entity tag of this version: it changes with every amendment and decision.
    pub fn etag(&self) -> String {
        etag(self.header.shift_id, self.header.version)
    }

    /// Worked minutes.
    pub fn minutes(&self) -> i64 {
        self.segments
            .iter()
            .map(|s| (s.end_utc - s.start_utc) / 60)
            .sum()
    }

    /// The shift as the API shows it, times in the provider's zone with their offset.
    pub fn to_json(&self, zone: LocalZone) -> serde_json::Value {
        let h = &self.header;
        let segments: Vec<serde_json::Value> = self
            .segments
            .iter()
            .map(|s| {
                let people: Vec<&str> = s.people.split(';').filter(|p| !p.is_empty()).collect();
                serde_json::json!({
                    "start": local_text(zone, s.start_utc),
                    "end": local_text(zone, s.end_utc),
                    "service": s.service_code,
                    "people": people,
                    "miles": s.miles,
                    "notes": s.notes,
                })
            })
            .collect();
        serde_json::json!({
            "shift_id": h.shift_id,
            "worker_id": h.worker_id,
            "shift_ref": h.shift_ref,
            "status": h.status.as_str(),
            "version": h.version,
            "source": h.source,
            "decision_reason": h.decision_reason,
            "minutes": self.minutes(),
            "segments": segments,
            "created_at": local_text(zone, h.created_at),
            "updated_at": local_text(zone, h.updated_at),
        })
    }
}

/// The entity tag of a shift version.
pub fn etag(shift_id: i64, version: i64) -> String {
    format!("\"{shift_id}.{version}\"")
}

/// One shift with its segments.
pub async fn load_shift(store: &Store, shift_id: i64) -> Result<Option<ShiftRecord>, StoreError> {
    let header: Option<ShiftHeader> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/shift_header.sql")).bind(shift_id).fetch_optional(pool).await?);
    let Some(header) = header else {
        return Ok(None);
    };
    let segments: Vec<SegmentRow> = on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/shift_segments.sql")).bind(shift_id).fetch_all(pool).await?);
    Ok(Some(ShiftRecord { header, segments }))
}

/// Which shifts a listing shows.
#[derive(Clone, Debug, Default)]
pub struct ShiftFilter {
    /// Only this worker's.
    pub worker_id: Option<String>,
    /// Only workers in these cost centres (a manager's scope).
    pub cost_centres: Option<Vec<String>>,
    pub status: Option<ShiftStatus>,
    /// Shifts starting in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Shifts after this one in the listing's order (newest start first).
    pub after: Option<(i64, i64)>,
    pub limit: u32,
}

/// Shifts matching `filter`, newest first, with their segments.
pub async fn list_shifts(
    store: &Store,
    filter: &ShiftFilter,
) -> Result<Vec<ShiftRecord>, StoreError> {
    let mut sql = String::from(include_str!("../../sql/list_shifts.sql"));
    let mut binds: Vec<Value> = Vec::new();
    let mut param = |sql: &mut String, clause: &str, value: Value| {
        binds.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
    };
    if let Some(worker) = &filter.worker_id {
        param(
            &mut sql,
            " and s.worker_id = ?",
            Value::text(worker.as_str()),
        );
    }
    if let Some(centres) = &filter.cost_centres {
        if centres.is_empty() {
            return Ok(Vec::new());
        }
        sql.push_str(" and w.cost_centre_id in (");
        for (i, centre) in centres.iter().enumerate() {
            let sep = if i == 0 { "?" } else { ", ?" };
            param(&mut sql, sep, Value::text(centre.as_str()));
        }
        sql.push(')');
    }
    if let Some(status) = &filter.status {
        param(&mut sql, " and s.status = ?", Value::text(status.as_str()));
    }
    if let Some(from) = &filter.from {
        param(
            &mut sql,
            " and s.first_start_utc >= ?",
            Value::int(instant_seconds(from)),
        );
    }
    if let Some(to) = &filter.to {
        param(
            &mut sql,
            " and s.first_start_utc < ?",
            Value::int(instant_seconds(to)),
        );
    }
    if let Some((start, id)) = filter.after {
        param(&mut sql, " and (s.first_start_utc < ?", Value::int(start));
        param(&mut sql, " or (s.first_start_utc = ?", Value::int(start));
        param(&mut sql, " and s.shift_id < ?))", Value::int(id));
    }
    param(
        &mut sql,
        " order by s.first_start_utc desc, s.shift_id desc limit ?",
        Value::int(i64::from(filter.limit)),
    );
    let headers: Vec<ShiftHeader> = on_pool!(store, pool => {
        let mut query = sqlx::query_as(AssertSqlSafe(sql));
        for value in &binds {
            query = match value {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.clone()),
                _ => unreachable!("listing filters are ids, words and instants"),
            };
        }
        query.fetch_all(pool).await?
    });
    segments_of(store, headers).await
}

async fn segments_of(
    store: &Store,
    headers: Vec<ShiftHeader>,
) -> Result<Vec<ShiftRecord>, StoreError> {
    if headers.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (1..=headers.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "{} where shift_id in ({}) order by shift_id, segment_no",
        include_str!("../../sql/segments_of_shifts.sql").trim_end(),
        list.join(", ")
    );
    let rows: Vec<SegmentRow> = on_pool!(store, pool => {
        let mut query = sqlx::query_as(AssertSqlSafe(sql));
        for h in &headers {
            query = query.bind(h.shift_id);
        }
        query.fetch_all(pool).await?
    });
    let mut by_shift: std::collections::HashMap<i64, Vec<SegmentRow>> =
        std::collections::HashMap::new();
    for row in rows {
        by_shift.entry(row.shift_id).or_default().push(row);
    }
    Ok(headers
        .into_iter()
        .map(|header| ShiftRecord {
            segments: by_shift.remove(&header.shift_id).unwrap_or_default(),
            header,
        })
        .collect())
}

/// The first response stored for an idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub request_sha256: String,
    pub shift_id: i64,
    pub status_code: i64,
    pub response_body: String,
}

/// Forgets idempotency keys older than `before`; returns how many.
pub async fn prune_responses(store: &Store, before: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query(include_str!("../../sql/idempotency_prune.sql"))
        .bind(instant_seconds(&before))
        .execute(pool)
        .await?
        .rows_affected()),
    )
}

/// Locks, in worker order, `workers` and the workers of `shift_ids` (PostgreSQL; SQLite's write
/// transaction already excludes every other writer).
pub async fn lock_workers(
    tx: &mut Tx,
    mut workers: Vec<String>,
    shift_ids: &[i64],
) -> Result<(), StoreError> {
    let Tx::Postgres(t) = tx else {
        return Ok(());
    };
    if !shift_ids.is_empty() {
        let owners: Vec<String> =
            sqlx::query_scalar(include_str!("../../sql/postgres/shift_workers.sql"))
                .bind(shift_ids)
                .fetch_all(&mut **t)
                .await?;
        workers.extend(owners);
    }
    workers.sort_unstable();
    workers.dedup();
    sqlx::query(include_str!("../../sql/postgres/lock_workers.sql"))
        .bind(&workers)
        .execute(&mut **t)
        .await?;
    Ok(())
}

/// A stored segment that may overlap a shift being changed, with its shift's whole span.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct NearbySegment {
    pub shift_ref: String,
    pub start_utc: i64,
    pub end_utc: i64,
    pub first_start_utc: i64,
    pub last_end_utc: i64,
}

/// Segments of the worker's live shifts (other than `own_ref`) that overlap `[from, to)`, read
/// outside any change: what a shift being checked before it is saved would clash with. The
/// writer checks again inside its transaction.
pub async fn segments_overlapping(
    store: &Store,
    worker_id: &str,
    own_ref: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<NearbySegment>, StoreError> {
    let span = crate::allocate::SHIFT_SPAN_MINUTES_MAX * 60;
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/segments_overlapping.sql"))
        .bind(worker_id)
        .bind(own_ref)
        .bind(instant_seconds(&from))
        .bind(instant_seconds(&to))
        .bind(span)
        .fetch_all(pool)
        .await?),
    )
}

/// A decision on a shift: its new status and why.
#[derive(Clone, Debug)]
pub struct Decision<'a> {
    pub shift_id: i64,
    pub read_version: i64,
    pub status: ShiftStatus,
    pub reason: &'a str,
    pub actor: &'a str,
    pub now: DateTime<Utc>,
}

/// One audit row for a change to a shift's status (a decision or a withdrawal).
pub struct AuditEntry<'a> {
    pub header: &'a ShiftHeader,
    pub version: i64,
    pub action: &'a str,
    /// The status after the change.
    pub status: ShiftStatus,
    pub after_hash: &'a str,
    pub actor: &'a str,
    pub detail: &'a str,
    pub now: DateTime<Utc>,
}

/// The audit row of an entry, with the shift's `content` before and after it when it has any.
pub(crate) fn audit_row(
    entry: &AuditEntry<'_>,
    content: Option<&super::audit::ShiftContent>,
) -> ShiftAuditRow {
    let h = entry.header;
    let as_json = |status| content.map(|c| c.with_status(status).to_json());
    ShiftAuditRow {
        shift_id: h.shift_id,
        worker_id: h.worker_id.clone(),
        shift_ref: h.shift_ref.clone(),
        version: entry.version,
        action: entry.action.to_owned(),
        before_hash: Some(h.content_hash.clone()),
        after_hash: entry.after_hash.to_owned(),
        source: "api".to_owned(),
        source_file: String::new(),
        changed_at: entry.now,
        actor: entry.actor.to_owned(),
        detail: entry.detail.to_owned(),
        before_content: as_json(h.status),
        after_content: as_json(entry.status),
    }
}
