//! Allocation: how worked time and money are shared exactly between the people supported.
//!
//! Time is shared in ticks, integer fractions of a minute fine enough that `1/k` of any minute is
//! whole for every allowed `k` (docs/rules.md S4). Money is shared in whole pence by the largest
//! remainder method with ties to the lowest id in byte order (docs/rules.md K2, P2).

pub mod shares;

pub use crate::domain::shift::{
    PEOPLE_PER_SEGMENT_MAX, SEGMENT_MINUTES_MAX, SHIFT_SEGMENTS_MAX, SHIFT_SPAN_MINUTES_MAX,
    SegmentDraft, ShiftDraft,
};
pub use shares::{TICKS_PER_MINUTE, largest_remainder, ticks_for};
