//! Claims: the shifts an import batch stores, checked against the shifts stored by then inside the
//! batch's own transaction. A file's shifts are decided against what was stored when the file was
//! staged; another writer (a second import, the API, the phone page) may store a shift of the same
//! worker before the batch commits. A claim that such a writer beat loses: it is left out of the
//! batch and stored as a rejected shift instead, exactly as if its file had come second.
//!
//! On PostgreSQL the batch first locks its workers' rows in worker order, as the shift writer
//! does, so two writers for one worker take turns and never deadlock; on SQLite the write
//! transaction (`BEGIN IMMEDIATE`) already excludes every other writer.

use std::collections::{HashMap, HashSet};

use super::batch::{numbered_to_anonymous, sqlite_error};
use super::{StoreError, Tx};
use crate::allocate::SHIFT_SPAN_MINUTES_MAX;

/// A shift a batch stores, as the in-transaction check sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftClaim {
    /// The new shift's reserved id, or the stored shift it amends.
    pub shift_id: i64,
    pub worker_id: String,
    pub shift_ref: String,
    /// The stored version an amendment replaces; `None` for a new shift.
    pub read_version: Option<i64>,
    /// Each segment's `[start, end)` in seconds since the epoch.
    pub segments: Vec<(i64, i64)>,
    /// The file rows of the shift, each stored as a reject row if the claim loses.
    pub rows: Vec<i64>,
}

impl ShiftClaim {
    fn span(&self) -> (i64, i64) {
        let first = self.segments.iter().map(|s| s.0).min().unwrap_or(0);
        let last = self.segments.iter().map(|s| s.1).max().unwrap_or(0);
        (first, last)
    }

    fn overlaps(&self, start: i64, end: i64) -> bool {
        self.segments.iter().any(|&(s, e)| s < end && e > start)
    }
}

/// What beat a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Beaten {
    /// Another writer stored a shift with the same worker and shift_ref.
    RefTaken,
    /// Another writer changed the stored shift this claim amends.
    Changed,
    /// The claim's time overlaps this stored shift of the worker.
    Overlaps(String),
}

/// A claim that lost, with the reject it is stored as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostClaim {
    pub shift_id: i64,
    pub worker_id: String,
    pub shift_ref: String,
    pub is_new: bool,
    pub rows: Vec<i64>,
    pub beaten: Beaten,
}

impl LostClaim {
    fn of(claim: &ShiftClaim, beaten: Beaten) -> LostClaim {
        LostClaim {
            shift_id: claim.shift_id,
            worker_id: claim.worker_id.clone(),
            shift_ref: claim.shift_ref.clone(),
            is_new: claim.read_version.is_none(),
            rows: claim.rows.clone(),
            beaten,
        }
    }

    /// The reject's field and reason; an overlap reads exactly as the file check words it.
    pub fn field_and_reason(&self) -> (&'static str, String) {
        match &self.beaten {
            Beaten::Overlaps(other) => (
                "start",
                format!("overlaps shift '{other}' of worker '{}'", self.worker_id),
            ),
            Beaten::RefTaken => (
                "shift_ref",
                format!(
                    "shift '{}' of worker '{}' was stored by another import or submission while \
                     this file was imported; import the file again to amend it",
                    self.shift_ref, self.worker_id
                ),
            ),
            Beaten::Changed => (
                "shift_ref",
                format!(
                    "shift '{}' of worker '{}' was changed by another import or submission while \
                     this file was imported; import the file again to apply this version",
                    self.shift_ref, self.worker_id
                ),
            ),
        }
    }
}

/// A stored shift near a claim: `(shift_ref, segment start, segment end)`.
type Nearby = (String, i64, i64);

/// The first (by shift_ref) stored shift among `nearby` that the claim overlaps, leaving out the
/// stored shifts that other surviving claims of the batch amend (their segments are replaced).
fn first_overlap(
    claim: &ShiftClaim,
    nearby: &[Nearby],
    replaced: &HashSet<&str>,
) -> Option<String> {
    nearby
        .iter()
        .filter(|(other, start, end)| {
            *other != claim.shift_ref
                && !replaced.contains(other.as_str())
                && claim.overlaps(*start, *end)
        })
        .map(|(other, _, _)| other.clone())
        .min()
}

/// The shift_refs, per worker, of stored shifts that surviving amend claims replace.
fn replaced_refs<'a>(
    claims: &'a [ShiftClaim],
    lost: &HashMap<i64, LostClaim>,
) -> HashMap<&'a str, HashSet<&'a str>> {
    let mut replaced: HashMap<&str, HashSet<&str>> = HashMap::new();
    for claim in claims {
        if claim.read_version.is_some() && !lost.contains_key(&claim.shift_id) {
            replaced
                .entry(claim.worker_id.as_str())
                .or_default()
                .insert(claim.shift_ref.as_str());
        }
    }
    replaced
}

fn in_order(claims: &[ShiftClaim], mut lost: HashMap<i64, LostClaim>) -> Vec<LostClaim> {
    claims
        .iter()
        .filter_map(|c| lost.remove(&c.shift_id))
        .collect()
}

/// Checks claims inside a rusqlite write transaction on the SQLite file.
pub(crate) fn check_sqlite(
    tx: &rusqlite::Transaction<'_>,
    claims: &[ShiftClaim],
) -> Result<Vec<LostClaim>, StoreError> {
    use rusqlite::OptionalExtension;
    let mut lost: HashMap<i64, LostClaim> = HashMap::new();
    {
        let mut by_ref = tx
            .prepare_cached(&numbered_to_anonymous(include_str!(
                "../../sql/shift_id_by_ref.sql"
            )))
            .map_err(sqlite_error)?;
        let mut version = tx
            .prepare_cached(&numbered_to_anonymous(include_str!(
                "../../sql/shift_version.sql"
            )))
            .map_err(sqlite_error)?;
        for claim in claims {
            let beaten = match claim.read_version {
                None => by_ref
                    .query_row([&claim.worker_id, &claim.shift_ref], |r| r.get::<_, i64>(0))
                    .optional()
                    .map_err(sqlite_error)?
                    .map(|_| Beaten::RefTaken),
                Some(read) => {
                    let stored: Option<i64> = version
                        .query_row([claim.shift_id], |r| r.get(0))
                        .optional()
                        .map_err(sqlite_error)?;
                    (stored != Some(read)).then_some(Beaten::Changed)
                }
            };
            if let Some(beaten) = beaten {
                lost.insert(claim.shift_id, LostClaim::of(claim, beaten));
            }
        }
    }
    let mut nearby_query = tx
        .prepare_cached(&numbered_to_anonymous(include_str!(
            "../../sql/segments_overlapping.sql"
        )))
        .map_err(sqlite_error)?;
    let span_seconds = SHIFT_SPAN_MINUTES_MAX * 60;
    let mut nearby: HashMap<i64, Vec<Nearby>> = HashMap::new();
    // A lost amendment leaves its stored shift in place, which may beat another claim: repeat
    // until no claim changes side.
    loop {
        let replaced = replaced_refs(claims, &lost);
        let none = HashSet::new();
        let mut beaten = Vec::new();
        for claim in claims.iter().filter(|c| !lost.contains_key(&c.shift_id)) {
            if let std::collections::hash_map::Entry::Vacant(slot) = nearby.entry(claim.shift_id) {
                let (first, last) = claim.span();
                let rows = nearby_query
                    .query_map(
                        rusqlite::params![
                            claim.worker_id,
                            claim.shift_ref,
                            first,
                            last,
                            span_seconds
                        ],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .map_err(sqlite_error)?
                    .collect::<rusqlite::Result<Vec<Nearby>>>()
                    .map_err(sqlite_error)?;
                slot.insert(rows);
            }
            let own_replaced = replaced.get(claim.worker_id.as_str()).unwrap_or(&none);
            if let Some(other) = first_overlap(claim, &nearby[&claim.shift_id], own_replaced) {
                beaten.push(LostClaim::of(claim, Beaten::Overlaps(other)));
            }
        }
        if beaten.is_empty() {
            return Ok(in_order(claims, lost));
        }
        lost.extend(beaten.into_iter().map(|l| (l.shift_id, l)));
    }
}

/// Checks claims inside a sqlx transaction: on PostgreSQL, after locking the claims' workers.
pub(crate) async fn check_in(
    tx: &mut Tx,
    claims: &[ShiftClaim],
) -> Result<Vec<LostClaim>, StoreError> {
    let workers: Vec<String> = claims.iter().map(|c| c.worker_id.clone()).collect();
    super::shift_records::lock_workers(tx, workers, &[]).await?;
    let Tx::Postgres(pg) = tx else {
        return Err(StoreError::Corrupt(
            "import batches on SQLite are written through the file connection".into(),
        ));
    };
    let conn = &mut **pg;

    let mut lost: HashMap<i64, LostClaim> = HashMap::new();
    let new: Vec<&ShiftClaim> = claims.iter().filter(|c| c.read_version.is_none()).collect();
    if !new.is_empty() {
        let taken: Vec<(String, String)> =
            sqlx::query_as(include_str!("../../sql/postgres/refs_taken.sql"))
                .bind(new.iter().map(|c| c.worker_id.as_str()).collect::<Vec<_>>())
                .bind(new.iter().map(|c| c.shift_ref.as_str()).collect::<Vec<_>>())
                .fetch_all(&mut *conn)
                .await?;
        let taken: HashSet<(String, String)> = taken.into_iter().collect();
        for claim in new {
            if taken.contains(&(claim.worker_id.clone(), claim.shift_ref.clone())) {
                lost.insert(claim.shift_id, LostClaim::of(claim, Beaten::RefTaken));
            }
        }
    }
    let amends: Vec<&ShiftClaim> = claims.iter().filter(|c| c.read_version.is_some()).collect();
    if !amends.is_empty() {
        let ids: Vec<i64> = amends.iter().map(|c| c.shift_id).collect();
        let stored: HashMap<i64, i64> =
            sqlx::query_as::<_, (i64, i64)>(include_str!("../../sql/postgres/shift_versions.sql"))
                .bind(&ids)
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .collect();
        for claim in amends {
            if stored.get(&claim.shift_id) != claim.read_version.as_ref() {
                lost.insert(claim.shift_id, LostClaim::of(claim, Beaten::Changed));
            }
        }
    }
    loop {
        let replaced: Vec<i64> = claims
            .iter()
            .filter(|c| c.read_version.is_some() && !lost.contains_key(&c.shift_id))
            .map(|c| c.shift_id)
            .collect();
        let live: Vec<&ShiftClaim> = claims
            .iter()
            .filter(|c| !lost.contains_key(&c.shift_id))
            .collect();
        let (mut ids, mut workers, mut refs, mut starts, mut ends) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for claim in &live {
            for &(start, end) in &claim.segments {
                ids.push(claim.shift_id);
                workers.push(claim.worker_id.as_str());
                refs.push(claim.shift_ref.as_str());
                starts.push(start);
                ends.push(end);
            }
        }
        let beaten: Vec<(i64, String)> =
            sqlx::query_as(include_str!("../../sql/postgres/claim_conflicts.sql"))
                .bind(&ids)
                .bind(&workers)
                .bind(&refs)
                .bind(&starts)
                .bind(&ends)
                .bind(SHIFT_SPAN_MINUTES_MAX * 60)
                .bind(&replaced)
                .fetch_all(&mut *conn)
                .await?;
        if beaten.is_empty() {
            return Ok(in_order(claims, lost));
        }
        let by_id: HashMap<i64, &ShiftClaim> = live.iter().map(|c| (c.shift_id, *c)).collect();
        for (shift_id, other) in beaten {
            if let Some(claim) = by_id.get(&shift_id) {
                lost.insert(shift_id, LostClaim::of(claim, Beaten::Overlaps(other)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(id: i64, shift_ref: &str, amend: bool, segments: &[(i64, i64)]) -> ShiftClaim {
        ShiftClaim {
            shift_id: id,
            worker_id: "W1".into(),
            shift_ref: shift_ref.into(),
            read_version: amend.then_some(1),
            segments: segments.to_vec(),
            rows: vec![id],
        }
    }

    #[test]
    fn the_first_overlapping_shift_by_ref_is_named() {
        let c = claim(1, "A", false, &[(100, 200), (300, 400)]);
        let nearby = vec![
            ("Z".to_owned(), 150, 160),
            ("B".to_owned(), 350, 360),
            ("C".to_owned(), 200, 300),
        ];
        assert_eq!(
            first_overlap(&c, &nearby, &HashSet::new()),
            Some("B".into())
        );
        let replaced = HashSet::from(["B"]);
        assert_eq!(first_overlap(&c, &nearby, &replaced), Some("Z".into()));
        let own = vec![("A".to_owned(), 100, 200)];
        assert_eq!(
            first_overlap(&c, &own, &HashSet::new()),
            None,
            "a shift never beats itself"
        );
    }

    #[test]
    fn only_surviving_amendments_replace_their_stored_shift() {
        let claims = vec![
            claim(1, "A", true, &[(0, 10)]),
            claim(2, "B", false, &[(0, 10)]),
        ];
        let mut lost = HashMap::new();
        assert!(replaced_refs(&claims, &lost)["W1"].contains("A"));
        lost.insert(1, LostClaim::of(&claims[0], Beaten::Changed));
        assert!(!replaced_refs(&claims, &lost).contains_key("W1"));
    }

    #[test]
    fn a_lost_overlap_reads_as_the_file_check_words_it() {
        let lost = LostClaim::of(
            &claim(1, "A", false, &[(0, 10)]),
            Beaten::Overlaps("X".into()),
        );
        assert_eq!(
            lost.field_and_reason(),
            ("start", "overlaps shift 'X' of worker 'W1'".to_owned())
        );
        assert!(lost.is_new);
    }
}
