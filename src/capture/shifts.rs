//! Shift rows in, validated shifts out (docs/rules.md T1–T4, S1–S4): per-row checks, assembling a
//! shift from its rows wherever they are in the file, and per-worker overlap decisions.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::csv_input::{Columns, CsvRow};
pub use crate::domain::reference::Directory;
pub use crate::domain::shift::{Candidate, RowProblem, SegmentRecord, ShiftRow};
use crate::domain::shift::{
    PEOPLE_PER_SEGMENT_MAX, SEGMENT_MINUTES_MAX, SHIFT_SEGMENTS_MAX, SHIFT_SPAN_MINUTES_MAX,
    SegmentDraft, ShiftDraft,
};
use crate::domain::{Interval, LocalZone, PersonId, ServiceCode, ShiftRef, WorkerId};

/// The shift file's columns (docs/formats.md).
pub const SHIFT_COLUMNS: Columns = Columns {
    required: &[
        "shift_ref",
        "worker_id",
        "start",
        "end",
        "service",
        "people",
    ],
    optional: &["miles", "notes"],
    ignored: &[],
    // A line break in a value is how a quote left open swallows the rows after it.
    line_breaks: false,
};

/// Longest note kept with a segment.
pub const NOTES_LEN_MAX: usize = 2_000;

/// One segment's fields by shift-file column name: a CSV row, or a segment of a shift sent to the
/// API, so both are checked by exactly the same code.
pub trait SegmentFields {
    /// The row number (CSV) or segment number (API, from 1).
    fn row_no(&self) -> u64;
    /// The trimmed value of a column; empty when absent.
    fn get(&self, column: &str) -> &str;
    /// Why the row could not be read cleanly, if it could not.
    fn read_problem(&self) -> Option<&str>;
    /// Where the row is in its file when its number does not say (` (line 7)`), for messages.
    fn place(&self) -> String {
        String::new()
    }
}

impl SegmentFields for CsvRow<'_> {
    fn row_no(&self) -> u64 {
        self.row_no
    }
    fn get(&self, column: &str) -> &str {
        CsvRow::get(self, column)
    }
    fn read_problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
    fn place(&self) -> String {
        super::csv_input::lines_note(self.row_no, self.lines)
    }
}

/// Parses and checks one segment row. Problems are recorded on the row, never raised.
pub fn parse_row(
    row: &impl SegmentFields,
    zone: LocalZone,
    directory: &impl Directory,
) -> ShiftRow {
    let mut parsed = ShiftRow {
        row_no: row.row_no(),
        worker_id: row.get("worker_id").to_owned(),
        shift_ref: row.get("shift_ref").to_owned(),
        start: None,
        end: None,
        service: row.get("service").to_owned(),
        people: String::new(),
        miles: row.get("miles").to_owned(),
        notes: row.get("notes").to_owned(),
        problem: None,
    };
    if let Err(mut problem) = check_row(row, zone, directory, &mut parsed) {
        // A row that could not be read says where it is already.
        if problem.field != "row" {
            problem.reason.push_str(&row.place());
        }
        parsed.problem = Some(problem);
    }
    parsed
}

fn problem(field: &'static str, reason: impl Into<String>) -> RowProblem {
    RowProblem {
        field,
        reason: reason.into(),
    }
}

fn check_row(
    row: &impl SegmentFields,
    zone: LocalZone,
    directory: &impl Directory,
    parsed: &mut ShiftRow,
) -> Result<(), RowProblem> {
    if let Some(p) = row.read_problem() {
        return Err(problem("row", format!("the row {p}")));
    }
    check_worker(row, directory)?;
    let start = check_instant(row, zone, "start")?;
    let end = check_instant(row, zone, "end")?;
    parsed.start = Some(start);
    parsed.end = Some(end);
    check_interval(row, start, end)?;
    check_service(row.get("service"), directory)?;
    parsed.people = check_people(row.get("people"), directory)?;
    check_miles(row.get("miles"))?;
    check_notes(row.get("notes"))?;
    Ok(())
}

/// Every problem of one row, at most one per field, in the order `parse_row` meets them (its
/// problem is the first of these): for a form or request that shows every field at fault at
/// once, where a file's reject report names one reason per row.
pub fn every_problem(
    row: &impl SegmentFields,
    zone: LocalZone,
    directory: &impl Directory,
) -> Vec<RowProblem> {
    if let Some(p) = row.read_problem() {
        return vec![problem("row", format!("the row {p}"))];
    }
    let mut problems = Vec::new();
    if let Err(p) = check_worker(row, directory) {
        problems.push(p);
    }
    let start = check_instant(row, zone, "start").map_err(|p| problems.push(p));
    let end = check_instant(row, zone, "end").map_err(|p| problems.push(p));
    if let (Ok(start), Ok(end)) = (start, end)
        && let Err(p) = check_interval(row, start, end)
    {
        problems.push(p);
    }
    let checks = [
        check_service(row.get("service"), directory),
        check_people(row.get("people"), directory).map(|_| ()),
        check_miles(row.get("miles")),
        check_notes(row.get("notes")),
    ];
    problems.extend(checks.into_iter().filter_map(Result::err));
    for p in &mut problems {
        p.reason.push_str(&row.place());
    }
    problems
}

fn check_worker(row: &impl SegmentFields, directory: &impl Directory) -> Result<(), RowProblem> {
    let worker = WorkerId::parse(row.get("worker_id"))
        .map_err(|e| problem("worker_id", format!("worker_id {e}")))?;
    ShiftRef::parse(row.get("shift_ref"))
        .map_err(|e| problem("shift_ref", format!("shift_ref {e}")))?;
    if !directory.has_worker(&worker) {
        return Err(problem("worker_id", format!("unknown worker '{worker}'")));
    }
    Ok(())
}

fn check_instant(
    row: &impl SegmentFields,
    zone: LocalZone,
    column: &'static str,
) -> Result<DateTime<Utc>, RowProblem> {
    zone.parse_instant(row.get(column))
        .map_err(|e| problem(column, e.to_string()))
}

fn check_interval(
    row: &impl SegmentFields,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(), RowProblem> {
    let interval = Interval::new(start, end).ok_or_else(|| {
        problem(
            "end",
            format!(
                "end '{}' is not after start '{}'",
                row.get("end"),
                row.get("start")
            ),
        )
    })?;
    if interval.minutes() > SEGMENT_MINUTES_MAX {
        return Err(problem(
            "end",
            format!(
                "the segment lasts {} minutes; the most is {SEGMENT_MINUTES_MAX} (26 hours)",
                interval.minutes()
            ),
        ));
    }
    Ok(())
}

fn check_service(raw: &str, directory: &impl Directory) -> Result<(), RowProblem> {
    let service =
        ServiceCode::parse(raw).map_err(|e| problem("service", format!("service {e}")))?;
    if !directory.has_service(&service) {
        return Err(problem("service", format!("unknown service '{service}'")));
    }
    Ok(())
}

fn check_miles(raw: &str) -> Result<(), RowProblem> {
    if raw.is_empty() {
        return Ok(());
    }
    let miles: rust_decimal::Decimal = raw
        .parse()
        .map_err(|_| problem("miles", format!("miles '{raw}' is not a number")))?;
    if miles.is_sign_negative() || miles.scale() > 2 {
        return Err(problem(
            "miles",
            format!("miles '{raw}' must be zero or more, with at most two decimal places"),
        ));
    }
    Ok(())
}

fn check_notes(raw: &str) -> Result<(), RowProblem> {
    if raw.chars().count() > NOTES_LEN_MAX {
        return Err(problem(
            "notes",
            format!("notes are longer than {NOTES_LEN_MAX} characters"),
        ));
    }
    Ok(())
}

/// Checks a `;`-separated people list and returns it in byte order.
fn check_people(raw: &str, directory: &impl Directory) -> Result<String, RowProblem> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let mut people = Vec::new();
    for part in raw.split(';') {
        let id = PersonId::parse(part.trim())
            .map_err(|e| problem("people", format!("person id '{}' {e}", part.trim())))?;
        if !directory.has_person(&id) {
            return Err(problem("people", format!("unknown person '{id}'")));
        }
        people.push(id);
    }
    people.sort();
    if let Some(pair) = people.windows(2).find(|p| p[0] == p[1]) {
        return Err(problem(
            "people",
            format!("person '{}' is listed twice", pair[0]),
        ));
    }
    if people.len() > PEOPLE_PER_SEGMENT_MAX {
        return Err(problem(
            "people",
            format!(
                "{} people in one segment; the most is {PEOPLE_PER_SEGMENT_MAX}",
                people.len()
            ),
        ));
    }
    Ok(people
        .iter()
        .map(PersonId::as_str)
        .collect::<Vec<_>>()
        .join(";"))
}

/// A shift that is refused, with every row it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub worker_id: String,
    pub shift_ref: String,
    pub first_row: u64,
    pub rows: Vec<u64>,
    /// The row at fault, when one is: the bad row, the later of two overlapping segments, or the
    /// segment that ends last in a shift that spans too long.
    pub at_row: Option<u64>,
    pub field: &'static str,
    pub reason: String,
}

/// Builds a shift from its rows (any order), or the reason it is refused.
// A refusal is no bigger than the shift it refuses (`Candidate` is larger), and both travel
// together through `decide_worker`, so boxing only the refusal would buy nothing.
#[allow(clippy::result_large_err)]
pub fn assemble_shift(mut rows: Vec<ShiftRow>) -> Result<Candidate, Rejection> {
    assert!(!rows.is_empty(), "a shift has at least one row");
    rows.sort_by_key(|r| r.row_no);
    let first_row = rows[0].row_no;
    let reject = |field: &'static str, reason: String, rows: &[ShiftRow], at_row| Rejection {
        worker_id: rows[0].worker_id.clone(),
        shift_ref: rows[0].shift_ref.clone(),
        first_row,
        rows: rows.iter().map(|r| r.row_no).collect(),
        at_row,
        field,
        reason,
    };
    if let Some(bad) = rows.iter().find(|r| r.problem.is_some()) {
        let p = bad.problem.as_ref().expect("found above");
        let reason = if rows.len() == 1 {
            p.reason.clone()
        } else {
            format!("row {}: {}", bad.row_no, p.reason)
        };
        return Err(reject(p.field, reason, &rows, Some(bad.row_no)));
    }
    if rows.len() > SHIFT_SEGMENTS_MAX {
        return Err(reject(
            "shift_ref",
            format!(
                "the shift has {} segments; the most is {SHIFT_SEGMENTS_MAX}",
                rows.len()
            ),
            &rows,
            None,
        ));
    }
    let mut records: Vec<SegmentRecord> = rows.iter().map(to_record).collect();
    records.sort_by_key(|r| (r.draft.interval.start, r.row_no));
    if let Some(pair) = records
        .windows(2)
        .find(|p| p[0].draft.interval.overlaps(&p[1].draft.interval))
    {
        let reason = format!(
            "segments on rows {} and {} overlap",
            pair[0].row_no.min(pair[1].row_no),
            pair[0].row_no.max(pair[1].row_no)
        );
        let later = if pair[1].draft.interval.start > pair[0].draft.interval.start {
            pair[1].row_no
        } else {
            pair[0].row_no.max(pair[1].row_no)
        };
        return Err(reject("start", reason, &rows, Some(later)));
    }
    let first_start = records[0].draft.interval.start;
    let last_end = records
        .iter()
        .map(|r| r.draft.interval.end)
        .max()
        .expect("a shift has segments");
    let span_minutes = (last_end - first_start).num_minutes();
    let last_row = records
        .iter()
        .find(|r| r.draft.interval.end == last_end)
        .map(|r| r.row_no);
    if span_minutes > SHIFT_SPAN_MINUTES_MAX {
        let reason = format!(
            "the shift spans {span_minutes} minutes from its first start to its last end; the most is {SHIFT_SPAN_MINUTES_MAX} (48 hours): record a longer period as a shift a day"
        );
        return Err(reject("end", reason, &rows, last_row));
    }
    let draft = ShiftDraft {
        worker_id: WorkerId::parse(&rows[0].worker_id).expect("checked per row"),
        shift_ref: ShiftRef::parse(&rows[0].shift_ref).expect("checked per row"),
        segments: records.iter().map(|r| r.draft.clone()).collect(),
    };
    let content_hash = content_hash(&records);
    Ok(Candidate {
        first_row,
        draft,
        records,
        content_hash,
    })
}

fn to_record(row: &ShiftRow) -> SegmentRecord {
    let people = if row.people.is_empty() {
        Vec::new()
    } else {
        row.people
            .split(';')
            .map(|p| PersonId::parse(p).expect("checked per row"))
            .collect()
    };
    SegmentRecord {
        row_no: row.row_no,
        draft: SegmentDraft {
            interval: Interval::new(row.start.expect("checked"), row.end.expect("checked"))
                .expect("checked"),
            service: ServiceCode::parse(&row.service).expect("checked per row"),
            people,
        },
        miles: row.miles.clone(),
        notes: row.notes.clone(),
    }
}

/// A digest of what a shift says, independent of row order: the same content gives the same hash.
pub fn content_hash(records: &[SegmentRecord]) -> String {
    let mut hasher = Sha256::new();
    for r in records {
        let people: Vec<&str> = r.draft.people.iter().map(PersonId::as_str).collect();
        let line = format!(
            "{}|{}|{}|{}|{}|{}\n",
            r.draft.interval.start.timestamp(),
            r.draft.interval.end.timestamp(),
            r.draft.service,
            people.join(";"),
            r.miles,
            r.notes
        );
        hasher.update(line.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The outcome for one shift of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Accept(Candidate),
    Reject(Rejection),
}

/// Decides a worker's shifts from one file, as if each were submitted in the order of its first
/// row: a shift is refused when it overlaps a shift accepted before it in the file, or a stored
/// shift that the file has not (yet) replaced. `stored_conflicts` maps a shift_ref of the file to
/// the stored shift_refs its time overlaps.
pub fn decide_worker(
    outcomes: Vec<Result<Candidate, Rejection>>,
    stored_conflicts: &HashMap<String, Vec<String>>,
) -> Vec<Decision> {
    let mut ordered = outcomes;
    ordered.sort_by_key(|o| match o {
        Ok(c) => c.first_row,
        Err(r) => r.first_row,
    });
    // Accepted segments by start; a segment is at most SEGMENT_MINUTES_MAX long, so only those
    // starting within that window before a new segment can overlap it.
    let mut accepted: BTreeMap<(DateTime<Utc>, usize), (Interval, String)> = BTreeMap::new();
    let window = chrono::Duration::minutes(SEGMENT_MINUTES_MAX);
    let mut replaced: HashSet<String> = HashSet::new();
    let mut decisions = Vec::with_capacity(ordered.len());
    for outcome in ordered {
        let candidate = match outcome {
            Ok(c) => c,
            Err(r) => {
                decisions.push(Decision::Reject(r));
                continue;
            }
        };
        let own_ref = candidate.draft.shift_ref.as_str().to_owned();
        let clash_in_file = candidate.records.iter().find_map(|r| {
            let iv = r.draft.interval;
            accepted
                .range((iv.start - window, 0)..(iv.end, 0))
                .find(|(_, (other_iv, other))| *other != own_ref && other_iv.overlaps(&iv))
                .map(|(_, (_, other))| other.clone())
        });
        let clash_stored = || {
            stored_conflicts
                .get(&own_ref)
                .and_then(|others| others.iter().find(|o| !replaced.contains(*o)).cloned())
        };
        match clash_in_file.or_else(clash_stored) {
            Some(other) => decisions.push(Decision::Reject(Rejection {
                worker_id: candidate.draft.worker_id.to_string(),
                shift_ref: own_ref.clone(),
                first_row: candidate.first_row,
                rows: candidate.records.iter().map(|r| r.row_no).collect(),
                at_row: None,
                field: "start",
                reason: format!(
                    "overlaps shift '{other}' of worker '{}'",
                    candidate.draft.worker_id
                ),
            })),
            None => {
                for r in &candidate.records {
                    let key = (r.draft.interval.start, accepted.len());
                    accepted.insert(key, (r.draft.interval, own_ref.clone()));
                }
                replaced.insert(own_ref);
                decisions.push(Decision::Accept(candidate));
            }
        }
    }
    decisions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(row_no: u64, shift: &str, start: &str, end: &str, people: &str) -> ShiftRow {
        let z = LocalZone::default();
        ShiftRow {
            row_no,
            worker_id: "W1".into(),
            shift_ref: shift.into(),
            start: Some(z.parse_instant(start).unwrap()),
            end: Some(z.parse_instant(end).unwrap()),
            service: "PC".into(),
            people: people.into(),
            miles: String::new(),
            notes: String::new(),
            problem: None,
        }
    }

    #[test]
    fn row_order_does_not_change_a_shift_or_its_hash() {
        let a = row(2, "S1", "2026-10-06T09:00", "2026-10-06T10:00", "A");
        let b = row(9, "S1", "2026-10-06T10:00", "2026-10-06T11:00", "A;B");
        let one = assemble_shift(vec![a.clone(), b.clone()]).unwrap();
        let two = assemble_shift(vec![b, a]).unwrap();
        assert_eq!(one, two);
        assert_eq!(one.first_row, 2);
    }

    #[test]
    fn overlapping_segments_reject_the_whole_shift() {
        let err = assemble_shift(vec![
            row(2, "S1", "2026-10-06T09:00", "2026-10-06T10:00", "A"),
            row(3, "S1", "2026-10-06T09:30", "2026-10-06T11:00", "A"),
        ])
        .unwrap_err();
        assert_eq!(err.rows, vec![2, 3]);
        assert!(
            err.reason.contains("rows 2 and 3 overlap"),
            "{}",
            err.reason
        );
    }

    #[test]
    fn a_shift_spans_at_most_48_hours() {
        let within = assemble_shift(vec![
            row(2, "S1", "2026-10-06T09:00", "2026-10-07T09:00", "A"),
            row(3, "S1", "2026-10-07T10:00", "2026-10-08T09:00", "A"),
        ]);
        assert!(within.is_ok(), "{within:?}");
        let err = assemble_shift(vec![
            row(2, "S1", "2026-10-06T09:00", "2026-10-07T09:00", "A"),
            row(3, "S1", "2026-10-07T10:00", "2026-10-08T09:01", "A"),
        ])
        .unwrap_err();
        assert_eq!(err.field, "end");
        assert!(err.reason.contains("spans 2881 minutes"), "{}", err.reason);
    }

    #[test]
    fn a_bad_row_rejects_its_shift_naming_the_row() {
        let mut bad = row(4, "S1", "2026-10-06T10:00", "2026-10-06T11:00", "A");
        bad.problem = Some(problem("people", "unknown person 'Z'"));
        let err = assemble_shift(vec![
            row(2, "S1", "2026-10-06T09:00", "2026-10-06T10:00", "A"),
            bad,
        ])
        .unwrap_err();
        assert_eq!(
            (err.field, err.reason.as_str()),
            ("people", "row 4: unknown person 'Z'")
        );
    }

    #[test]
    fn later_overlapping_shift_is_rejected_naming_the_earlier() {
        let first = assemble_shift(vec![row(
            5,
            "S1",
            "2026-10-06T09:00",
            "2026-10-06T10:00",
            "A",
        )]);
        let second = assemble_shift(vec![row(
            2,
            "S2",
            "2026-10-06T09:30",
            "2026-10-06T10:30",
            "A",
        )]);
        let touching = assemble_shift(vec![row(
            7,
            "S3",
            "2026-10-06T10:30",
            "2026-10-06T11:00",
            "A",
        )]);
        let decisions = decide_worker(vec![first, second, touching], &HashMap::new());
        assert!(
            matches!(&decisions[0], Decision::Accept(c) if c.draft.shift_ref.as_str() == "S2"),
            "S2 comes first in the file"
        );
        assert!(
            matches!(&decisions[1], Decision::Reject(r) if r.shift_ref == "S1" && r.reason.contains("'S2'"))
        );
        assert!(
            matches!(&decisions[2], Decision::Accept(_)),
            "touching is not overlapping"
        );
    }

    #[test]
    fn stored_conflicts_count_until_the_file_replaces_that_shift() {
        let moved = assemble_shift(vec![row(
            2,
            "OLD",
            "2026-10-06T12:00",
            "2026-10-06T13:00",
            "A",
        )]);
        let new = assemble_shift(vec![row(
            3,
            "NEW",
            "2026-10-06T09:00",
            "2026-10-06T10:00",
            "A",
        )]);
        let conflicts = HashMap::from([("NEW".to_owned(), vec!["OLD".to_owned()])]);
        let decisions = decide_worker(vec![moved, new.clone()], &conflicts);
        assert!(
            decisions.iter().all(|d| matches!(d, Decision::Accept(_))),
            "OLD moved away first"
        );
        let decisions = decide_worker(vec![new], &conflicts);
        assert!(matches!(&decisions[0], Decision::Reject(r) if r.reason.contains("'OLD'")));
    }
}
