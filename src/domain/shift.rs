//! The shapes of a shift as it moves through tms: a parsed row, a checked draft for the engine,
//! and a candidate with what is stored beside it. Shared by capture, the ledger and the store.

use chrono::{DateTime, Utc};

use super::reference::word_enum;
use super::{Interval, PersonId, ServiceCode, ShiftRef, WorkerId};

/// Most people one worker may support at once in one segment.
pub const PEOPLE_PER_SEGMENT_MAX: usize = 12;
/// Most segments in one shift.
pub const SHIFT_SEGMENTS_MAX: usize = 96;
/// Longest segment: 26 hours, enough for a 24-hour live-in day across a clock change.
pub const SEGMENT_MINUTES_MAX: i64 = 26 * 60;
/// Longest shift, from its first start to its last end: 48 hours. Longer live-in periods are
/// recorded as a shift a day. The bound keeps every overlap check a short index range.
pub const SHIFT_SPAN_MINUTES_MAX: i64 = 48 * 60;

word_enum!(
    /// Where a shift stands: waiting for a manager, approved (and so charged), sent back to the
    /// worker to correct, or withdrawn. Stored as its word.
    ShiftStatus {
        Submitted => "submitted",
        Approved => "approved",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
    }
);

impl ShiftStatus {
    /// True while the worker may still correct the shift: submitted or sent back.
    pub fn is_correctable(self) -> bool {
        matches!(self, ShiftStatus::Submitted | ShiftStatus::Rejected)
    }
}

/// One segment of a shift (docs/rules.md S1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentDraft {
    pub interval: Interval,
    pub service: ServiceCode,
    /// The people supported, unique and in byte order; empty for unallocated work.
    pub people: Vec<PersonId>,
}

/// One worker's shift, checked against docs/rules.md T1–T4 and S1–S4.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftDraft {
    pub worker_id: WorkerId,
    pub shift_ref: ShiftRef,
    /// Segments in start order, not overlapping.
    pub segments: Vec<SegmentDraft>,
}

impl ShiftDraft {
    /// Checks the structural invariants capture guarantees; a failure is a programming error.
    pub fn assert_valid(&self) {
        assert!(!self.segments.is_empty() && self.segments.len() <= SHIFT_SEGMENTS_MAX);
        for pair in self.segments.windows(2) {
            assert!(
                pair[0].interval.end <= pair[1].interval.start,
                "segments are ordered and disjoint"
            );
        }
        for segment in &self.segments {
            assert!(segment.people.len() <= PEOPLE_PER_SEGMENT_MAX);
            assert!(
                segment.people.windows(2).all(|p| p[0] < p[1]),
                "people are unique and sorted"
            );
            assert!(segment.interval.minutes() <= SEGMENT_MINUTES_MAX);
        }
    }

    /// Total worked minutes: the sum of segment lengths (gaps are unpaid breaks).
    pub fn worked_minutes(&self) -> i64 {
        self.segments.iter().map(|s| s.interval.minutes()).sum()
    }
}

/// The first thing wrong with a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    pub field: &'static str,
    pub reason: String,
}

/// One segment row after parsing, as staged in the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftRow {
    pub row_no: u64,
    pub worker_id: String,
    pub shift_ref: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub service: String,
    /// People in byte order, `;`-separated.
    pub people: String,
    pub miles: String,
    pub notes: String,
    pub problem: Option<RowProblem>,
}

/// A segment with what is stored beside the engine's view of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentRecord {
    pub row_no: u64,
    pub draft: SegmentDraft,
    pub miles: String,
    pub notes: String,
}

/// A shift whose rows all passed: ready for the overlap decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub first_row: u64,
    pub draft: ShiftDraft,
    pub records: Vec<SegmentRecord>,
    pub content_hash: String,
}
