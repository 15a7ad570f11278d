//! The audit trails as people read them: who changed a shift or a reference record, what and
//! when, oldest first — as a table of the values that changed (one row per value) for the
//! command line, and as whole records before and after for the API and `--format json`.
//!
//! Care notes are kept in a shift's audit content but shown only when asked for: elsewhere a
//! note reads `(not shown: --notes)`, so a change to one is still seen to have happened.

use chrono::{DateTime, LocalResult, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::output::{Cell, Table};
use crate::domain::{LocalZone, Pence, Rate};
use crate::store::audit::{
    ContentSegment, ReferenceAuditEntry, ShiftAuditEntry, ShiftContent, reference_trail,
    shift_id_of, shift_trail,
};
use crate::store::{Store, StoreError};

/// What a hidden care note reads as.
pub const NOTES_HIDDEN: &str = "(not shown: --notes)";

/// One shift's changes, oldest first.
#[derive(Clone, Debug)]
pub struct ShiftTrail {
    pub shift_id: i64,
    pub worker_id: String,
    pub shift_ref: String,
    pub entries: Vec<ShiftAuditEntry>,
}

/// The trail of the shift `shift_ref` of `worker_id`, or `None` when there is no such shift.
pub async fn shift_audit(
    store: &Store,
    worker_id: &str,
    shift_ref: &str,
) -> Result<Option<ShiftTrail>, StoreError> {
    let Some(shift_id) = shift_id_of(store, worker_id, shift_ref).await? else {
        return Ok(None);
    };
    Ok(Some(ShiftTrail {
        shift_id,
        worker_id: worker_id.to_owned(),
        shift_ref: shift_ref.to_owned(),
        entries: shift_trail(store, shift_id).await?,
    }))
}

/// The trail of a shift named `WORKER/SHIFT_REF`. Ids may hold `/` themselves, so every split
/// is tried; the one that names a stored shift wins. `None` when none does.
pub async fn shift_audit_by_name(
    store: &Store,
    name: &str,
) -> Result<Option<ShiftTrail>, StoreError> {
    for (at, _) in name.match_indices('/') {
        let (worker_id, shift_ref) = (&name[..at], &name[at + 1..]);
        if worker_id.is_empty() || shift_ref.is_empty() {
            continue;
        }
        if let Some(trail) = shift_audit(store, worker_id, shift_ref).await? {
            return Ok(Some(trail));
        }
    }
    Ok(None)
}

/// An instant in the provider's zone with its offset, `2026-10-07T02:00:13+01:00`.
fn local_instant(zone: LocalZone, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone.tz())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A segment's time in the provider's zone, `2026-10-06 09:00`; with its offset when the clocks
/// go back and the local time happens twice.
fn wall_time(zone: LocalZone, at: DateTime<Utc>, with_date: bool) -> String {
    let local = at.with_timezone(&zone.tz());
    let mut text = if with_date {
        local.format("%Y-%m-%d %H:%M").to_string()
    } else {
        local.format("%H:%M").to_string()
    };
    if matches!(
        zone.tz().from_local_datetime(&local.naive_local()),
        LocalResult::Ambiguous(..)
    ) {
        text.push_str(&local.format("%:z").to_string());
    }
    text
}

/// `2026-10-06 09:00–10:00 PERSONAL_CARE A;B, 3.2 miles`: a segment on one line.
fn segment_text(zone: LocalZone, segment: &ContentSegment) -> String {
    let times = match (segment.start_at(), segment.end_at()) {
        (Some(start), Some(end)) => {
            let same_day = start.with_timezone(&zone.tz()).date_naive()
                == end.with_timezone(&zone.tz()).date_naive();
            format!(
                "{}–{}",
                wall_time(zone, start, true),
                wall_time(zone, end, !same_day)
            )
        }
        _ => format!("{}–{}", segment.start, segment.end),
    };
    let mut text = format!("{times} {}", segment.service);
    if !segment.people.is_empty() {
        text.push(' ');
        text.push_str(&segment.people.join(";"));
    }
    if !segment.miles.is_empty() {
        text.push_str(&format!(", {} miles", segment.miles));
    }
    text
}

/// A note as shown: itself with `notes`, otherwise [`NOTES_HIDDEN`] (or nothing, for none).
fn note_text(note: &str, notes: bool) -> String {
    match (note.is_empty(), notes) {
        (true, _) => String::new(),
        (false, true) => note.to_owned(),
        (false, false) => NOTES_HIDDEN.to_owned(),
    }
}

/// The values of one change that differ: `(what, before, after)`.
fn shift_changes(
    zone: LocalZone,
    entry: &ShiftAuditEntry,
    notes: bool,
) -> Vec<(String, String, String)> {
    let mut changes = Vec::new();
    let recorded = entry.after.is_some() && (entry.before.is_some() || entry.action == "create");
    if !recorded {
        // Written before tms kept content: the digests say that it changed, not how.
        changes.push((
            "content (digest only)".to_owned(),
            entry.before_hash.clone().unwrap_or_default(),
            entry.after_hash.clone(),
        ));
    }
    let (before, after) = if recorded {
        (entry.before.as_ref(), entry.after.as_ref())
    } else {
        (None, None)
    };
    if let Some(after) = after {
        let empty = ShiftContent {
            status: String::new(),
            segments: Vec::new(),
        };
        let before = before.unwrap_or(&empty);
        if before.status != after.status {
            changes.push((
                "status".to_owned(),
                before.status.clone(),
                after.status.clone(),
            ));
        }
        let count = before.segments.len().max(after.segments.len());
        for i in 0..count {
            let (old, new) = (before.segments.get(i), after.segments.get(i));
            let text = |s: Option<&ContentSegment>| s.map(|s| segment_text(zone, s));
            let (old_text, new_text) = (text(old), text(new));
            if old_text != new_text {
                changes.push((
                    format!("segment {}", i + 1),
                    old_text.unwrap_or_default(),
                    new_text.unwrap_or_default(),
                ));
            }
            let (old_note, new_note) = (
                old.map_or("", |s| s.notes.as_str()),
                new.map_or("", |s| s.notes.as_str()),
            );
            if old_note != new_note {
                changes.push((
                    format!("notes {}", i + 1),
                    note_text(old_note, notes),
                    note_text(new_note, notes),
                ));
            }
        }
    }
    if !entry.detail.is_empty() {
        changes.push(("reason".to_owned(), String::new(), entry.detail.clone()));
    }
    if changes.is_empty() {
        changes.push((String::new(), String::new(), String::new()));
    }
    changes
}

/// The shift's changes as a table: one row per value that changed, oldest change first.
pub fn shift_table(trail: &ShiftTrail, zone: LocalZone, notes: bool) -> Table {
    let mut table = Table::new(&[
        "changed_at",
        "version",
        "action",
        "by",
        "source",
        "file",
        "what",
        "before",
        "after",
    ]);
    for entry in &trail.entries {
        for (what, before, after) in shift_changes(zone, entry, notes) {
            table.push(vec![
                Cell::plain(local_instant(zone, entry.changed_at)),
                Cell::Number(entry.version),
                Cell::plain(entry.action.clone()),
                Cell::text(entry.actor.clone()),
                Cell::plain(entry.source.clone()),
                Cell::text(entry.source_file.clone()),
                Cell::plain(what),
                Cell::text(before),
                Cell::text(after),
            ]);
        }
    }
    table
}

/// A shift's content as the API shows it: times in the provider's zone with their offset, as
/// `GET /api/v1/shifts/{id}` gives them; notes only when asked for.
fn content_json(zone: LocalZone, content: Option<&ShiftContent>, notes: bool) -> Value {
    let Some(content) = content else {
        return Value::Null;
    };
    let at = |s: Option<DateTime<Utc>>, raw: &str| {
        s.map_or_else(
            || raw.to_owned(),
            |t| {
                t.with_timezone(&zone.tz())
                    .format("%Y-%m-%dT%H:%M%:z")
                    .to_string()
            },
        )
    };
    let segments: Vec<Value> = content
        .segments
        .iter()
        .map(|s| {
            let mut segment = json!({
                "start": at(s.start_at(), &s.start),
                "end": at(s.end_at(), &s.end),
                "service": s.service,
                "people": s.people,
                "miles": s.miles,
            });
            if notes {
                segment["notes"] = Value::from(s.notes.as_str());
            }
            segment
        })
        .collect();
    json!({ "status": content.status, "segments": segments })
}

/// The shift's changes as JSON: each change whole, with the shift before and after it.
pub fn shift_json(trail: &ShiftTrail, zone: LocalZone, notes: bool) -> Value {
    let changes: Vec<Value> = trail
        .entries
        .iter()
        .map(|e| {
            json!({
                "version": e.version,
                "action": e.action,
                "changed_at": local_instant(zone, e.changed_at),
                "by": e.actor,
                "source": e.source,
                "file": e.source_file,
                "reason": e.detail,
                "before": content_json(zone, e.before.as_ref(), notes),
                "after": content_json(zone, e.after.as_ref(), notes),
                "before_digest": e.before_hash,
                "after_digest": e.after_hash,
            })
        })
        .collect();
    json!({
        "shift_id": trail.shift_id,
        "worker_id": trail.worker_id,
        "shift_ref": trail.shift_ref,
        "changes": changes,
    })
}

/// The changes to the reference records of `kind` keyed `key` (or by keys starting `key|`).
pub async fn reference_audit(
    store: &Store,
    kind: &str,
    key: &str,
) -> Result<Vec<ReferenceAuditEntry>, StoreError> {
    reference_trail(store, kind, key).await
}

/// A stored column as people read it: money in pounds and shares in percent under the names
/// the import files use (`rate_centipence` 241234 is `rate` 24.1234).
fn column_text(column: &str, value: &Value) -> (String, String) {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let number = text.parse::<i64>().ok();
    if let (Some(name), Some(n)) = (column.strip_suffix("_centipence"), number) {
        return (name.to_owned(), Rate::from_centipence(n).to_string());
    }
    if let (Some(name), Some(n)) = (column.strip_suffix("_pence"), number) {
        return (name.to_owned(), Pence::new(n).to_string());
    }
    if let (Some(_), Some(n)) = (column.strip_suffix("_basis_points"), number) {
        return (
            "share_percent".to_owned(),
            rust_decimal::Decimal::new(n, 2).to_string(),
        );
    }
    (column.to_owned(), text)
}

/// The columns of a change that differ: `(column, before, after)`, in the record's order.
fn record_changes(entry: &ReferenceAuditEntry) -> Vec<(String, String, String)> {
    let empty = Map::new();
    let before = entry.before.as_ref().unwrap_or(&empty);
    let after = entry.after.as_ref().unwrap_or(&empty);
    let mut columns: Vec<&String> = after.keys().collect();
    columns.extend(before.keys().filter(|k| !after.contains_key(*k)));
    let mut changes = Vec::new();
    for column in columns {
        let old = before.get(column);
        let new = after.get(column);
        let blank = |v: Option<&Value>| v.is_none_or(|v| v.is_null() || v.as_str() == Some(""));
        // An update shows what changed; an insert or a delete, the values the record has.
        if (entry.action == "update" && old == new) || (blank(old) && blank(new)) {
            continue;
        }
        let shown = |v: Option<&Value>| v.map(|v| column_text(column, v));
        let (name, old_text) = shown(old).unwrap_or_default();
        let (other_name, new_text) = shown(new).unwrap_or_default();
        let name = if name.is_empty() { other_name } else { name };
        changes.push((name, old_text, new_text));
    }
    if changes.is_empty() {
        changes.push((String::new(), String::new(), String::new()));
    }
    changes
}

/// The changes to reference records as a table: one row per column that changed (every column
/// of an insert or a delete), oldest change first.
pub fn reference_table(entries: &[ReferenceAuditEntry], zone: LocalZone) -> Table {
    let mut table = Table::new(&[
        "changed_at",
        "action",
        "by",
        "file",
        "key",
        "field",
        "before",
        "after",
    ]);
    for entry in entries {
        for (field, before, after) in record_changes(entry) {
            table.push(vec![
                Cell::plain(local_instant(zone, entry.changed_at)),
                Cell::plain(entry.action.clone()),
                Cell::text(entry.actor.clone()),
                Cell::text(entry.source_file.clone()),
                Cell::text(entry.record_key.clone()),
                Cell::plain(field),
                Cell::text(before),
                Cell::text(after),
            ]);
        }
    }
    table
}

/// The changes to reference records as JSON: each change whole, the record before and after
/// with its columns as stored.
pub fn reference_json(
    kind: &str,
    key: &str,
    entries: &[ReferenceAuditEntry],
    zone: LocalZone,
) -> Value {
    let record =
        |r: Option<&Map<String, Value>>| r.map_or(Value::Null, |m| Value::Object(m.clone()));
    let changes: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "key": e.record_key,
                "action": e.action,
                "changed_at": local_instant(zone, e.changed_at),
                "by": e.actor,
                "file": e.source_file,
                "before": record(e.before.as_ref()),
                "after": record(e.after.as_ref()),
            })
        })
        .collect();
    json!({ "kind": kind, "key": key, "changes": changes })
}
