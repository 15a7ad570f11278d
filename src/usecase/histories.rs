//! Date-effective reference data as an import changes it: each key's history settled (a later
//! entry closes the open one the day before it starts), a workers file's new base rate recorded
//! from the day of the import, and the shifts each change can alter found from the first date it
//! affects.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::cost::{Adjustment, DatedEntry, settle};
use crate::domain::reference::FROM_THE_BEGINNING;
use crate::store::reference::Merged;
use crate::store::rows::{BaseRateRow, ReferenceRow, TableRow};

/// What settling the histories of a table did: what the import says it changed beyond the
/// file's rows, and the conflicts that refuse the file.
#[derive(Debug, Default)]
pub(crate) struct Settled {
    pub notes: Vec<String>,
    pub problems: Vec<String>,
}

/// Settles every history in `merged` (see `cost::dated`): open entries followed by a later one
/// are closed the day before it, and true overlaps become problems naming the file's rows
/// (`file_rows`: the row that sent each key).
pub(crate) fn settle_histories(merged: &mut Merged, file_rows: &HashMap<String, u64>) -> Settled {
    let mut groups: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (key, row) in &merged.rows {
        if let Some((history, what)) = row.history() {
            groups
                .entry(history)
                .or_insert_with(|| (what, Vec::new()))
                .1
                .push(key.clone());
        }
    }
    let mut settled = Settled::default();
    let mut adjusted = Vec::new();
    for (what, keys) in groups.into_values() {
        let rows: Vec<ReferenceRow> = keys.iter().map(|k| merged.rows[k].clone()).collect();
        let entries: Vec<DatedEntry> = keys
            .iter()
            .zip(&rows)
            .filter_map(|(key, row)| {
                let (from, to) = row.dates()?;
                let stored = merged.stored.get(key);
                Some(DatedEntry {
                    from,
                    to,
                    row: file_rows.get(key).copied(),
                    stored_to: stored.and_then(ReferenceRow::dates).map(|(_, to)| to),
                    only_end_differs: stored.is_some_and(|s| s != row && s.with_end(to) == *row),
                })
            })
            .collect();
        match settle(&what, &entries) {
            Ok(adjustments) => {
                for adjustment in adjustments {
                    let (index, to) = match adjustment {
                        Adjustment::Close { index, to }
                        | Adjustment::KeepStoredEnd { index, to } => (index, to),
                    };
                    let closed = rows[index].with_end(Some(to));
                    if let Adjustment::Close { .. } = adjustment {
                        let entry = &entries[index];
                        let next = to.succ_opt().unwrap_or(to);
                        settled.notes.push(match entry.row {
                            Some(row) => format!(
                                "{what}: row {row}, from {}, ends on {to}, the day before the \
                                 entry from {next}",
                                entry.from
                            ),
                            None => format!(
                                "{what}: the stored entry from {} now ends on {to}, the day \
                                 before the new entry from {next}",
                                entry.from
                            ),
                        });
                    }
                    adjusted.push(closed);
                }
            }
            Err(conflicts) => settled
                .problems
                .extend(conflicts.into_iter().map(|c| c.to_string())),
        }
    }
    merged.set_all(adjusted);
    settled
}

/// The base-rate entries a workers file implies, with what the import says about them. A new
/// worker's `base_rate` is their rate from the beginning. A changed `base_rate` of a stored
/// worker is their rate from `today` (the import's local date) — the entry in force before
/// today ends the day before, and the new one ends where a later stored entry begins — unless
/// that rate is in force today already. Each entry is keyed to the worker's row in the file.
pub(crate) struct FromWorkers {
    pub rows: Vec<ReferenceRow>,
    pub file_rows: HashMap<String, u64>,
    pub notes: Vec<String>,
    /// Workers whose pay changes from `today`.
    pub changed_from_today: Vec<String>,
}

pub(crate) fn base_rates_from_workers(
    workers: &Merged,
    history: &[BaseRateRow],
    worker_rows: &HashMap<String, u64>,
    today: NaiveDate,
) -> FromWorkers {
    let mut out = FromWorkers {
        rows: Vec::new(),
        file_rows: HashMap::new(),
        notes: Vec::new(),
        changed_from_today: Vec::new(),
    };
    let mut by_worker: HashMap<&str, Vec<&BaseRateRow>> = HashMap::new();
    for entry in history {
        by_worker
            .entry(entry.worker_id.as_str())
            .or_default()
            .push(entry);
    }
    let add = |out: &mut FromWorkers, row: BaseRateRow, file_row: Option<u64>| {
        let row = ReferenceRow::from(row);
        if let Some(file_row) = file_row {
            out.file_rows.insert(row.key(), file_row);
        }
        out.rows.push(row);
    };
    for row in &workers.inserts {
        let ReferenceRow::Worker(worker) = row else {
            continue;
        };
        if by_worker.contains_key(worker.worker_id.as_str()) {
            continue;
        }
        let file_row = worker_rows.get(&row.key()).copied();
        add(
            &mut out,
            BaseRateRow {
                worker_id: worker.worker_id.clone(),
                effective_from: FROM_THE_BEGINNING,
                effective_to: None,
                base_rate_centipence: worker.base_rate_centipence,
            },
            file_row,
        );
    }
    for (before, after) in &workers.updates {
        let (ReferenceRow::Worker(before), ReferenceRow::Worker(after)): (
            &ReferenceRow,
            &ReferenceRow,
        ) = (before, after) else {
            continue;
        };
        if before.base_rate_centipence == after.base_rate_centipence {
            continue;
        }
        let entries = by_worker
            .get(after.worker_id.as_str())
            .cloned()
            .unwrap_or_default();
        let in_force = entries
            .iter()
            .find(|e| e.effective_from <= today && e.effective_to.is_none_or(|to| today <= to));
        if in_force.is_some_and(|e| e.base_rate_centipence == after.base_rate_centipence) {
            continue;
        }
        let file_row = worker_rows.get(&after.worker_id.to_string()).copied();
        let next_start = entries
            .iter()
            .map(|e| e.effective_from)
            .filter(|from| *from > today)
            .min();
        match in_force {
            Some(current) if current.effective_from == today => {
                add(
                    &mut out,
                    BaseRateRow {
                        base_rate_centipence: after.base_rate_centipence,
                        ..(*current).clone()
                    },
                    file_row,
                );
            }
            other => {
                if let Some(current) = other {
                    add(
                        &mut out,
                        BaseRateRow {
                            effective_to: today.pred_opt(),
                            ..(*current).clone()
                        },
                        file_row,
                    );
                }
                add(
                    &mut out,
                    BaseRateRow {
                        worker_id: after.worker_id.clone(),
                        effective_from: today,
                        effective_to: next_start.and_then(|d| d.pred_opt()),
                        base_rate_centipence: after.base_rate_centipence,
                    },
                    file_row,
                );
            }
        }
        let was = in_force.map_or_else(
            || "no rate".to_owned(),
            |e| e.base_rate_centipence.to_string(),
        );
        out.notes.push(format!(
            "worker {}: base rate {was} -> {} from {today}, the day of this import; pay for \
             earlier dates is unchanged (a base-rates file sets other dates)",
            after.worker_id, after.base_rate_centipence
        ));
        out.changed_from_today.push(after.worker_id.to_string());
    }
    out
}

/// For each worker whose base-rate history changed, the first date whose pay the change can
/// alter: the start of an added or re-rated entry, or the first date an end date moved over.
pub(crate) fn base_rates_affected_from(merged: &Merged) -> BTreeMap<String, NaiveDate> {
    let mut first: BTreeMap<String, NaiveDate> = BTreeMap::new();
    let mut note = |worker: &str, date: NaiveDate| {
        let entry = first.entry(worker.to_owned()).or_insert(date);
        *entry = (*entry).min(date);
    };
    let entry_of = |row: &ReferenceRow| match row {
        ReferenceRow::BaseRate(r) => Some(r.clone()),
        _ => None,
    };
    for row in merged.inserts.iter().chain(&merged.deletes) {
        if let Some(r) = entry_of(row) {
            note(r.worker_id.as_str(), r.effective_from);
        }
    }
    for (before, after) in &merged.updates {
        let (Some(b), Some(a)) = (entry_of(before), entry_of(after)) else {
            continue;
        };
        if b.base_rate_centipence != a.base_rate_centipence {
            note(a.worker_id.as_str(), a.effective_from);
        } else if let Some(moved) = match (b.effective_to, a.effective_to) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (Some(x), None) | (None, Some(x)) => Some(x),
            (None, None) => None,
        }
        .and_then(|d| d.succ_opt())
        {
            note(a.worker_id.as_str(), moved);
        }
    }
    first
}

/// Workers whose cost centre a workers file changed: all their shifts are costed to the new one.
pub(crate) fn moved_workers(workers: &Merged) -> Vec<String> {
    workers
        .updates
        .iter()
        .filter_map(|(before, after)| match (before, after) {
            (ReferenceRow::Worker(b), ReferenceRow::Worker(a))
                if b.cost_centre_id != a.cost_centre_id =>
            {
                Some(a.worker_id.to_string())
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Rate, WorkerId};
    use crate::store::rows::WorkerRow;

    /// A stored worker row.
    fn worker(id: &str, rate: &str) -> WorkerRow {
        use crate::domain::CostCentreId;
        WorkerRow {
            worker_id: WorkerId::parse(id).unwrap(),
            name: "N".into(),
            payroll_number: "P".into(),
            cost_centre_id: CostCentreId::parse("CC1").unwrap(),
            base_rate_centipence: Rate::parse_pounds(rate).unwrap(),
            date_of_birth: None,
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn entry(id: &str, from: NaiveDate, to: Option<NaiveDate>, rate: &str) -> BaseRateRow {
        BaseRateRow {
            worker_id: WorkerId::parse(id).unwrap(),
            effective_from: from,
            effective_to: to,
            base_rate_centipence: Rate::parse_pounds(rate).unwrap(),
        }
    }

    #[test]
    fn a_workers_files_new_rate_starts_today_and_a_new_worker_has_one_from_the_beginning() {
        let workers = Merged {
            inserts: vec![worker("W9", "11.00").into()],
            updates: vec![
                (worker("W1", "12.60").into(), worker("W1", "13.20").into()),
                (worker("W2", "12.60").into(), worker("W2", "12.80").into()),
            ],
            ..Merged::default()
        };
        let history = [
            entry("W1", FROM_THE_BEGINNING, None, "12.60"),
            // W2 already has 12.80 in force from November: nothing to record.
            entry("W2", FROM_THE_BEGINNING, Some(d("2026-10-31")), "12.60"),
            entry("W2", d("2026-11-01"), None, "12.80"),
        ];
        let rows = HashMap::from([
            ("W1".to_owned(), 2),
            ("W2".to_owned(), 3),
            ("W9".to_owned(), 4),
        ]);
        let out = base_rates_from_workers(&workers, &history, &rows, d("2026-12-03"));
        let got: Vec<ReferenceRow> = out.rows.clone();
        assert_eq!(
            got,
            vec![
                entry("W9", FROM_THE_BEGINNING, None, "11.00").into(),
                entry("W1", FROM_THE_BEGINNING, Some(d("2026-12-02")), "12.60").into(),
                entry("W1", d("2026-12-03"), None, "13.20").into(),
            ]
        );
        assert_eq!(out.changed_from_today, ["W1"]);
        assert_eq!(out.file_rows.get("W1|2026-12-03"), Some(&2));
        assert_eq!(
            out.notes,
            [
                "worker W1: base rate 12.6000 -> 13.2000 from 2026-12-03, the day of this import; \
              pay for earlier dates is unchanged (a base-rates file sets other dates)"
            ]
        );
    }

    #[test]
    fn a_later_planned_rate_is_kept_and_a_change_on_its_first_day_rerates_it() {
        let workers = Merged {
            updates: vec![(worker("W1", "12.60").into(), worker("W1", "12.90").into())],
            ..Merged::default()
        };
        let planned = [
            entry("W1", FROM_THE_BEGINNING, Some(d("2027-03-31")), "12.60"),
            entry("W1", d("2027-04-01"), None, "13.50"),
        ];
        let rows = HashMap::from([("W1".to_owned(), 2)]);
        let out = base_rates_from_workers(&workers, &planned, &rows, d("2026-12-03"));
        assert_eq!(
            out.rows,
            vec![
                ReferenceRow::from(entry(
                    "W1",
                    FROM_THE_BEGINNING,
                    Some(d("2026-12-02")),
                    "12.60"
                )),
                entry("W1", d("2026-12-03"), Some(d("2027-03-31")), "12.90").into(),
            ],
            "the rise planned for April stays"
        );
        let started_today = [entry("W1", d("2026-12-03"), None, "12.70")];
        let out = base_rates_from_workers(&workers, &started_today, &rows, d("2026-12-03"));
        assert_eq!(
            out.rows,
            vec![ReferenceRow::from(entry(
                "W1",
                d("2026-12-03"),
                None,
                "12.90"
            ))]
        );
    }

    #[test]
    fn the_first_date_a_history_change_affects_is_found() {
        let merged = Merged {
            inserts: vec![entry("W1", d("2026-11-01"), None, "13.00").into()],
            updates: vec![
                (
                    entry("W1", FROM_THE_BEGINNING, None, "12.60").into(),
                    entry("W1", FROM_THE_BEGINNING, Some(d("2026-10-31")), "12.60").into(),
                ),
                (
                    entry("W2", d("2026-05-01"), Some(d("2026-06-30")), "12.00").into(),
                    entry("W2", d("2026-05-01"), Some(d("2026-06-30")), "12.10").into(),
                ),
                (
                    entry("W3", d("2026-05-01"), Some(d("2026-06-30")), "12.00").into(),
                    entry("W3", d("2026-05-01"), Some(d("2026-09-30")), "12.00").into(),
                ),
            ],
            ..Merged::default()
        };
        assert_eq!(
            base_rates_affected_from(&merged),
            BTreeMap::from([
                ("W1".to_owned(), d("2026-11-01")),
                ("W2".to_owned(), d("2026-05-01")),
                ("W3".to_owned(), d("2026-07-01")),
            ])
        );
    }
}
