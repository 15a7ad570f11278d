//! Date-effective entries — the rate card, pay rules and base rates — as an import changes them:
//! a later entry for the same key closes the open one the day before it starts, and entries whose
//! dates truly overlap are refused with what to send instead.

use std::fmt;

use chrono::NaiveDate;

/// One entry of a key's history after a file is merged over what is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatedEntry {
    pub from: NaiveDate,
    /// Inclusive; `None` is open-ended.
    pub to: Option<NaiveDate>,
    /// The file's row that sends the entry, when the file sends it.
    pub row: Option<u64>,
    /// The stored entry's end date when the key is stored already (`Some(None)`: stored
    /// open-ended); `None` for an entry the file adds.
    pub stored_to: Option<Option<NaiveDate>>,
    /// The file sends the stored entry again, differing from it in its end date alone.
    pub only_end_differs: bool,
}

impl DatedEntry {
    /// An entry stored already that the file does not send.
    pub fn stored(from: NaiveDate, to: Option<NaiveDate>) -> Self {
        Self {
            from,
            to,
            row: None,
            stored_to: Some(to),
            only_end_differs: false,
        }
    }

    /// An entry the file adds on `row`.
    pub fn new_in_file(row: u64, from: NaiveDate, to: Option<NaiveDate>) -> Self {
        Self {
            from,
            to,
            row: Some(row),
            stored_to: None,
            only_end_differs: false,
        }
    }

    fn is_new(&self) -> bool {
        self.stored_to.is_none()
    }

    /// Stored, and not sent by the file.
    fn is_stored_only(&self) -> bool {
        self.row.is_none()
    }
}

/// A change an import makes to an entry so that its key's history holds together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Adjustment {
    /// The entry (a stored one, or one in the file with no end date) is closed the day before
    /// the next entry of its key starts: `to` is its new end date.
    Close { index: usize, to: NaiveDate },
    /// The file sends a stored entry again without the end date a later entry gave it: the
    /// stored end date stays.
    KeepStoredEnd { index: usize, to: NaiveDate },
}

/// Two entries whose dates overlap, with how to fix the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict(pub String);

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn dates(from: NaiveDate, to: Option<NaiveDate>) -> String {
    match to {
        Some(to) => format!("{from} to {to}"),
        None => format!("from {from}, open-ended"),
    }
}

fn day_before(date: NaiveDate) -> NaiveDate {
    date.pred_opt().unwrap_or(date)
}

fn day_after(date: NaiveDate) -> NaiveDate {
    date.succ_opt().unwrap_or(date)
}

/// Settles one key's history (`what` names the key, as in `rate card PERSONAL_CARE day ratio 1
/// (the default card)`): each entry without an end date is closed the day before the next entry
/// starts, unless it is new in the file and the next one was stored already (a new entry may
/// only close an earlier one). Any other overlap is a conflict, named with the file's rows and
/// the stored entries involved and what to send instead.
pub fn settle(what: &str, entries: &[DatedEntry]) -> Result<Vec<Adjustment>, Vec<Conflict>> {
    let mut adjustments = Vec::new();
    let mut ends: Vec<Option<NaiveDate>> = entries.iter().map(|e| e.to).collect();
    // A stored entry sent again without the end date a later entry gave it keeps that end.
    for (index, entry) in entries.iter().enumerate() {
        if let (true, None, Some(Some(stored_to))) =
            (entry.only_end_differs, entry.to, entry.stored_to)
            && entries.iter().any(|e| e.from == day_after(stored_to))
        {
            ends[index] = Some(stored_to);
            adjustments.push(Adjustment::KeepStoredEnd {
                index,
                to: stored_to,
            });
        }
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].from);
    let mut conflicts = Vec::new();
    for pair in order.windows(2) {
        let (p, n) = (pair[0], pair[1]);
        let (earlier, later) = (&entries[p], &entries[n]);
        let closing = day_before(later.from);
        match ends[p] {
            None if earlier.is_new() && later.is_stored_only() => {
                let row = earlier.row.unwrap_or_default();
                conflicts.push(Conflict(format!(
                    "{what}: row {row} starts on {} with no end date, before the stored entry \
                     {}; a new entry closes only an earlier one: give row {row} effective_to \
                     {closing}, or send the stored entry from {} again in the same file",
                    earlier.from,
                    dates(later.from, later.to),
                    later.from
                )));
            }
            None if earlier.is_stored_only() && later.is_stored_only() => {
                conflicts.push(Conflict(format!(
                    "{what}: the stored entries {} and {} overlap; send the first again with \
                     effective_to {closing}",
                    dates(earlier.from, None),
                    dates(later.from, later.to)
                )));
            }
            None => {
                ends[p] = Some(closing);
                adjustments.push(Adjustment::Close {
                    index: p,
                    to: closing,
                });
            }
            Some(to) if to >= later.from => {
                conflicts.push(Conflict(overlap(what, earlier, to, later, closing)));
            }
            Some(_) => {}
        }
    }
    if conflicts.is_empty() {
        Ok(adjustments)
    } else {
        Err(conflicts)
    }
}

/// The conflict of an entry ending on `to`, on or after the start of the next.
fn overlap(
    what: &str,
    earlier: &DatedEntry,
    to: NaiveDate,
    later: &DatedEntry,
    closing: NaiveDate,
) -> String {
    let span = dates(earlier.from, Some(to));
    match (earlier.row, later.row) {
        (Some(a), Some(b)) => format!(
            "{what}: rows {a} ({span}) and {b} ({}) overlap: end row {a} on {closing} at the \
             latest, or start row {b} on {}",
            dates(later.from, later.to),
            day_after(to)
        ),
        (Some(a), None) => format!(
            "{what}: row {a} ({span}) overlaps the stored entry {}: end row {a} on {closing} at \
             the latest",
            dates(later.from, later.to)
        ),
        (None, Some(b)) => format!(
            "{what}: row {b} starts on {}, inside the stored entry {span}: start row {b} on {}, \
             or send the stored entry from {} again with effective_to {closing}",
            later.from,
            day_after(to),
            earlier.from
        ),
        (None, None) => format!(
            "{what}: the stored entries {span} and {} overlap; send the first again with \
             effective_to {closing}",
            dates(later.from, later.to)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const KEY: &str = "rate card PC day ratio 1 (the default card)";

    #[test]
    fn a_later_entry_closes_the_open_stored_one_the_day_before() {
        let entries = [
            DatedEntry::stored(d("2025-01-01"), None),
            DatedEntry::new_in_file(2, d("2026-11-01"), None),
        ];
        assert_eq!(
            settle(KEY, &entries),
            Ok(vec![Adjustment::Close {
                index: 0,
                to: d("2026-10-31")
            }])
        );
        // A history sent whole, each row open-ended: each is closed by the next.
        let history = [
            DatedEntry::new_in_file(4, d("2027-04-01"), None),
            DatedEntry::new_in_file(2, d("2025-04-01"), None),
            DatedEntry::new_in_file(3, d("2026-04-01"), Some(d("2026-06-30"))),
        ];
        assert_eq!(
            settle(KEY, &history),
            Ok(vec![Adjustment::Close {
                index: 1,
                to: d("2026-03-31")
            }])
        );
        // Entries that already meet or leave a gap need nothing.
        let closed = [
            DatedEntry::stored(d("2025-01-01"), Some(d("2026-10-31"))),
            DatedEntry::new_in_file(2, d("2026-11-01"), None),
        ];
        assert_eq!(settle(KEY, &closed), Ok(vec![]));
    }

    #[test]
    fn the_same_history_sent_again_changes_nothing() {
        // The file sends the old entry open-ended as it always did; the stored one was closed by
        // the later entry, which the file sends too.
        let again = [
            DatedEntry {
                from: d("2025-01-01"),
                to: None,
                row: Some(2),
                stored_to: Some(Some(d("2026-10-31"))),
                only_end_differs: true,
            },
            DatedEntry {
                from: d("2026-11-01"),
                to: None,
                row: Some(3),
                stored_to: Some(None),
                only_end_differs: false,
            },
        ];
        assert_eq!(
            settle(KEY, &again),
            Ok(vec![Adjustment::KeepStoredEnd {
                index: 0,
                to: d("2026-10-31")
            }])
        );
    }

    #[test]
    fn true_overlaps_are_refused_saying_what_to_send() {
        let before_the_open_one = [
            DatedEntry::stored(d("2026-06-01"), None),
            DatedEntry::new_in_file(2, d("2026-01-01"), None),
        ];
        let conflicts = settle(KEY, &before_the_open_one).unwrap_err();
        assert_eq!(
            conflicts,
            vec![Conflict(format!(
                "{KEY}: row 2 starts on 2026-01-01 with no end date, before the stored entry \
                 from 2026-06-01, open-ended; a new entry closes only an earlier one: give row 2 \
                 effective_to 2026-05-31, or send the stored entry from 2026-06-01 again in the \
                 same file"
            ))]
        );
        let inside_a_closed_one = [
            DatedEntry::stored(d("2026-01-01"), Some(d("2026-12-31"))),
            DatedEntry::new_in_file(3, d("2026-11-01"), None),
        ];
        assert_eq!(
            settle(KEY, &inside_a_closed_one).unwrap_err()[0].0,
            format!(
                "{KEY}: row 3 starts on 2026-11-01, inside the stored entry 2026-01-01 to \
                 2026-12-31: start row 3 on 2027-01-01, or send the stored entry from 2026-01-01 \
                 again with effective_to 2026-10-31"
            )
        );
        let running_into_a_stored_one = [
            DatedEntry::new_in_file(2, d("2026-01-01"), Some(d("2026-08-31"))),
            DatedEntry::stored(d("2026-06-01"), None),
        ];
        assert_eq!(
            settle(KEY, &running_into_a_stored_one).unwrap_err()[0].0,
            format!(
                "{KEY}: row 2 (2026-01-01 to 2026-08-31) overlaps the stored entry from \
                 2026-06-01, open-ended: end row 2 on 2026-05-31 at the latest"
            )
        );
        let two_rows = [
            DatedEntry::new_in_file(2, d("2026-01-01"), Some(d("2026-06-30"))),
            DatedEntry::new_in_file(3, d("2026-06-01"), None),
        ];
        assert_eq!(
            settle(KEY, &two_rows).unwrap_err()[0].0,
            format!(
                "{KEY}: rows 2 (2026-01-01 to 2026-06-30) and 3 (from 2026-06-01, open-ended) \
                 overlap: end row 2 on 2026-05-31 at the latest, or start row 3 on 2026-07-01"
            )
        );
        // The same new row sent with its predecessor makes it a history: the earlier is closed.
        let with_predecessor = [
            DatedEntry {
                row: Some(3),
                ..DatedEntry::stored(d("2026-06-01"), None)
            },
            DatedEntry::new_in_file(2, d("2026-01-01"), None),
        ];
        assert_eq!(
            settle(KEY, &with_predecessor),
            Ok(vec![Adjustment::Close {
                index: 1,
                to: d("2026-05-31")
            }])
        );
    }
}
