//! The import shell: streams a file into staging, decides each shift, costs the accepted ones and
//! writes them batch by batch; reference files are checked whole and applied as audited changes.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use tracing::info;

use crate::calendar::holidays::parse_gov_uk_json;
use crate::capture::csv_input::{CsvInput, FileError, display_name};
use crate::capture::reference::{ReferenceKind, Target, parse_reference_row};
use crate::capture::shifts::{
    Candidate, Decision, Rejection, RowProblem, SHIFT_COLUMNS, ShiftRow, assemble_shift,
    decide_worker, parse_row,
};
use crate::domain::LocalZone;
use crate::domain::reference::ArrangementKind;
use crate::domain::shift::ShiftStatus;
use crate::ledger::{
    AcceptedShift, StoredShift, WriteContext, import_claims, recost_marked, shift_batch,
};
use crate::store::reference::{
    ReferenceData, bump_version, known_keys, mark_for_costing, mark_worker_for_costing_from, merge,
    write_merged,
};
use crate::store::rows::{BankHolidayRow, BaseRateRow, ReferenceRow, ShiftRejectRow, TableRow};

use super::histories;
use crate::store::shifts::{
    ImportCounts, clear_rejects, finish_import, open_import_file, reserve_shift_ids,
};
use crate::store::staging::Staging;
use crate::store::{Store, StoreError};

/// Rows staged per insert.
pub const IMPORT_BATCH_ROWS: usize = 10_000;
/// Accepted segments written per transaction.
pub const WRITE_BATCH_SEGMENTS: usize = 10_000;
/// Shift ids reserved at a time: SQLite's reservation waits for the batch being written, so ids
/// are taken in blocks and the next batch is laid out while the previous one is written.
const SHIFT_IDS_PER_RESERVATION: usize = 50_000;
/// Bad rows listed in a refused reference file's message.
const PROBLEMS_SHOWN_MAX: usize = 50;
/// What a reference import changed beyond its rows, said one line each up to this many.
const NOTES_SHOWN_MAX: usize = 10;

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{file}: nothing imported; {count} problem(s):\n{list}")]
    Refused {
        file: String,
        count: usize,
        list: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {path}: {source}")]
    Output {
        path: String,
        source: std::io::Error,
    },
}

/// How shifts are imported.
#[derive(Clone, Debug)]
pub struct ShiftImportOptions {
    /// Store accepted shifts as approved (CSV default) or submitted.
    pub approve: bool,
    /// Where `rejects/<file>.rejects.csv` is written.
    pub output_dir: PathBuf,
    /// The nightly ingest step importing the file, if any.
    pub job_run_id: Option<i64>,
    /// Whose view of the reference data the file is checked against: `""` for the operator and
    /// finance, or a label such as `cost-centres:A;B` for a manager's upload. The same bytes
    /// imported in another scope are another import, with rejects of its own.
    pub scope: String,
    /// Who imports it, for the audit trail: `cli:USER`, `nightly`, or the uploader's key.
    pub actor: String,
}

/// What a shift import did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ShiftImportSummary {
    pub import_file_id: i64,
    pub file: String,
    pub counts: ImportCounts,
    /// The reject report, when any row was rejected.
    pub reject_report: Option<PathBuf>,
}

pub fn sha256_of(path: &Path) -> Result<String, FileError> {
    let file = display_name(path);
    let mut handle = std::fs::File::open(path).map_err(|source| FileError::Io {
        file: file.clone(),
        source,
    })?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = handle.read(&mut buffer).map_err(|source| FileError::Io {
            file: file.clone(),
            source,
        })?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Imports a shift file (docs/formats.md): every shift accepted or rejected whole, accepted shifts
/// costed and stored, rejected rows reported. Safe to run again on the same file.
#[tracing::instrument(skip_all, fields(file = %display_name(path)))]
pub async fn import_shifts(
    store: &Store,
    reference: &ReferenceData,
    path: &Path,
    options: &ShiftImportOptions,
    progress: &indicatif::ProgressBar,
) -> Result<ShiftImportSummary, ImportError> {
    let mut input = CsvInput::open(path, &SHIFT_COLUMNS)?;
    let file = input.file().to_owned();
    let import_file_id = open_import_file(
        store,
        "shifts",
        &file,
        &sha256_of(path)?,
        options.job_run_id,
        &options.scope,
    )
    .await?;
    clear_rejects(store, import_file_id).await?;
    let mut staging = Staging::open(store, import_file_id).await?;
    let zone = reference.ctx.zone;
    let mut counts = ImportCounts::default();

    let started = std::time::Instant::now();
    progress.set_message(format!("staging {file}"));
    let mut batch: Vec<ShiftRow> = Vec::with_capacity(IMPORT_BATCH_ROWS);
    loop {
        let row = input.next_row();
        let done = row.is_none();
        if let Some(row) = row {
            batch.push(parse_row(&row, zone, reference));
        }
        if batch.len() == IMPORT_BATCH_ROWS || (done && !batch.is_empty()) {
            progress.inc(batch.len() as u64);
            let rows = std::mem::replace(&mut batch, Vec::with_capacity(IMPORT_BATCH_ROWS));
            staging.stage(rows).await?;
        }
        if done {
            break;
        }
    }
    counts.rows_read = input.rows_read();
    drop(input);

    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "staged");
    progress.set_message(format!("checking and costing {file}"));
    let mut conflicts: HashMap<(String, String), Vec<String>> = HashMap::new();
    for (worker, shift_ref, other) in staging.stored_conflicts().await? {
        conflicts
            .entry((worker, shift_ref))
            .or_default()
            .push(other);
    }
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "stored overlaps found"
    );
    let write = WriteContext {
        status: if options.approve {
            ShiftStatus::Approved
        } else {
            ShiftStatus::Submitted
        },
        source: "csv",
        actor: &options.actor,
    };
    let mut decider = Decider {
        reference,
        conflicts: &conflicts,
        import_file_id,
        counts: &mut counts,
        accepted: Vec::new(),
        rejects: Vec::new(),
        unchanged: Vec::new(),
        segments: 0,
        spare_ids: VecDeque::new(),
        write_time: std::time::Duration::ZERO,
        in_flight: None,
    };
    let mut chunks = staging.rows();
    let mut worker_rows: Vec<crate::store::shifts::StagedRow> = Vec::new();
    while let Some(chunk) = chunks.recv().await {
        for row in chunk? {
            if worker_rows
                .last()
                .is_some_and(|last| last.worker_id != row.worker_id)
            {
                for (decision, stored) in decider.decide(std::mem::take(&mut worker_rows)) {
                    decider.apply(decision, stored);
                    if decider.segments >= WRITE_BATCH_SEGMENTS
                        || decider.rejects.len() >= WRITE_BATCH_SEGMENTS
                        || decider.unchanged.len() >= WRITE_BATCH_SEGMENTS
                    {
                        decider.flush(store, write, &file).await?;
                        decider.drain().await?;
                    }
                }
            }
            worker_rows.push(row);
        }
    }
    drop(chunks);
    for (decision, stored) in decider.decide(worker_rows) {
        decider.apply(decision, stored);
    }
    decider.flush(store, write, &file).await?;
    decider.drain().await?;

    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        write_wait_ms = decider.write_time.as_millis() as u64,
        "shifts written"
    );
    let reject_report = if counts.rows_rejected > 0 {
        Some(write_reject_report(store, import_file_id, &file, &options.output_dir).await?)
    } else {
        None
    };
    finish_import(store, import_file_id, &counts).await?;
    info!(
        rows = counts.rows_read,
        new = counts.shifts_new,
        amended = counts.shifts_amended,
        unchanged = counts.shifts_unchanged,
        rejected = counts.shifts_rejected,
        "shift import finished"
    );
    Ok(ShiftImportSummary {
        import_file_id,
        file,
        counts,
        reject_report,
    })
}

/// Decides shifts worker by worker and collects what to write.
struct Decider<'a> {
    reference: &'a ReferenceData,
    conflicts: &'a HashMap<(String, String), Vec<String>>,
    import_file_id: i64,
    counts: &'a mut ImportCounts,
    accepted: Vec<AcceptedShift>,
    rejects: Vec<ShiftRejectRow>,
    /// Shifts accepted unchanged since the last batch: their earlier rejects are resolved with it.
    unchanged: Vec<(String, String)>,
    segments: usize,
    /// Reserved shift ids not used yet, in order.
    spare_ids: VecDeque<i64>,
    write_time: std::time::Duration,
    /// The batch being written while the next one is decided and costed.
    in_flight: Option<tokio::task::JoinHandle<Result<crate::store::batch::Written, StoreError>>>,
}

impl Decider<'_> {
    /// Decides one worker's shifts; each decision comes with the stored `(shift_id, hash)` of its key.
    fn decide(
        &self,
        rows: Vec<crate::store::shifts::StagedRow>,
    ) -> Vec<(Decision, Option<StoredShift>)> {
        let Some(worker) = rows.first().map(|r| r.worker_id.clone()) else {
            return Vec::new();
        };
        let mut stored: HashMap<String, Option<StoredShift>> = HashMap::new();
        let mut by_shift: BTreeMap<String, Vec<ShiftRow>> = BTreeMap::new();
        for row in rows {
            let known = row.shift_id.zip(row.content_hash.clone()).zip(row.version);
            stored.insert(
                row.shift_ref.clone(),
                known.map(|((shift_id, content_hash), version)| StoredShift {
                    shift_id,
                    content_hash,
                    version,
                }),
            );
            by_shift
                .entry(row.shift_ref.clone())
                .or_default()
                .push(ShiftRow {
                    row_no: u64::try_from(row.row_no).unwrap_or(0),
                    worker_id: row.worker_id,
                    shift_ref: row.shift_ref,
                    start: row.start_utc,
                    end: row.end_utc,
                    service: row.service_code,
                    people: row.people,
                    miles: row.miles,
                    notes: row.notes,
                    problem: row.error_reason.map(|reason| RowProblem {
                        field: field_name(row.error_field.as_deref()),
                        reason,
                    }),
                });
        }
        let worker_conflicts: HashMap<String, Vec<String>> = by_shift
            .keys()
            .filter_map(|shift_ref| {
                self.conflicts
                    .get(&(worker.clone(), shift_ref.clone()))
                    .map(|c| (shift_ref.clone(), c.clone()))
            })
            .collect();
        let outcomes: Vec<Result<Candidate, Rejection>> =
            by_shift.into_values().map(assemble_shift).collect();
        decide_worker(outcomes, &worker_conflicts)
            .into_iter()
            .map(|decision| {
                let key = match &decision {
                    Decision::Accept(c) => c.draft.shift_ref.as_str().to_owned(),
                    Decision::Reject(r) => r.shift_ref.clone(),
                };
                let stored = stored.get(&key).cloned().flatten();
                (decision, stored)
            })
            .collect()
    }

    /// Records one decision: a reject, an unchanged shift, or a new or amended shift with its costs.
    fn apply(&mut self, decision: Decision, stored: Option<StoredShift>) {
        match decision {
            Decision::Reject(rejection) => self.reject(rejection),
            Decision::Accept(candidate) => {
                if stored
                    .as_ref()
                    .is_some_and(|known| known.content_hash == candidate.content_hash)
                {
                    self.counts.shifts_unchanged += 1;
                    // Accepted as stored: it resolves earlier rejects of the shift all the same.
                    self.unchanged.push((
                        candidate.draft.worker_id.to_string(),
                        candidate.draft.shift_ref.to_string(),
                    ));
                    return;
                }
                match self.cost(candidate, stored) {
                    Ok(accepted) => {
                        if accepted.replaces.is_some() {
                            self.counts.shifts_amended += 1;
                        } else {
                            self.counts.shifts_new += 1;
                        }
                        self.segments += accepted.candidate.records.len();
                        self.accepted.push(accepted);
                    }
                    Err(rejection) => self.reject(*rejection),
                }
            }
        }
    }

    fn cost(
        &self,
        candidate: Candidate,
        replaces: Option<StoredShift>,
    ) -> Result<AcceptedShift, Box<Rejection>> {
        super::shifts::accept(self.reference, candidate, replaces).map_err(|(candidate, error)| {
            Box::new(Rejection {
                worker_id: candidate.draft.worker_id.to_string(),
                shift_ref: candidate.draft.shift_ref.to_string(),
                first_row: candidate.first_row,
                rows: candidate.records.iter().map(|r| r.row_no).collect(),
                at_row: None,
                field: error.field(),
                reason: error.to_string(),
            })
        })
    }

    fn reject(&mut self, rejection: Rejection) {
        self.counts.shifts_rejected += 1;
        self.counts.rows_rejected += rejection.rows.len() as u64;
        for row_no in &rejection.rows {
            self.rejects.push(ShiftRejectRow {
                import_file_id: self.import_file_id,
                row_no: i64::try_from(*row_no).unwrap_or(i64::MAX),
                worker_id: rejection.worker_id.clone(),
                shift_ref: rejection.shift_ref.clone(),
                field: rejection.field.to_owned(),
                reason: rejection.reason.clone(),
            });
        }
    }

    /// Lays out the collected shifts and hands them to a writer task once the previous batch has
    /// committed, so that writing one batch overlaps deciding, costing and laying out the next.
    async fn flush(
        &mut self,
        store: &Store,
        write: WriteContext<'_>,
        file: &str,
    ) -> Result<(), StoreError> {
        let accepted = std::mem::take(&mut self.accepted);
        let rejects = std::mem::take(&mut self.rejects);
        let new_count = accepted.iter().filter(|s| s.replaces.is_none()).count();
        if self.spare_ids.len() < new_count {
            self.drain().await?;
            let block = reserve_shift_ids(store, new_count.max(SHIFT_IDS_PER_RESERVATION)).await?;
            self.spare_ids.extend(block);
        }
        let ids: Vec<i64> = self.spare_ids.drain(..new_count).collect();
        let mut batch = shift_batch(&accepted, rejects, write, file, &ids);
        batch.resolves.keys.append(&mut self.unchanged);
        import_claims(&mut batch, &accepted, self.import_file_id);
        drop(accepted);
        self.drain().await?;
        let store = store.clone();
        self.in_flight = Some(tokio::spawn(async move {
            crate::store::batch::write(&store, batch).await
        }));
        self.segments = 0;
        Ok(())
    }

    /// Waits for the batch being written, and counts the shifts another writer beat as rejected.
    async fn drain(&mut self) -> Result<(), StoreError> {
        if let Some(handle) = self.in_flight.take() {
            let started = std::time::Instant::now();
            let written = handle
                .await
                .map_err(|e| StoreError::Corrupt(format!("the shift writer stopped: {e}")))??;
            self.write_time += started.elapsed();
            for lost in &written.lost {
                tracing::info!(
                    worker = %lost.worker_id,
                    shift_ref = %lost.shift_ref,
                    "another writer stored a clashing shift first; this one is rejected"
                );
                if lost.is_new {
                    self.counts.shifts_new -= 1;
                } else {
                    self.counts.shifts_amended -= 1;
                }
                self.counts.shifts_rejected += 1;
                self.counts.rows_rejected += lost.rows.len() as u64;
            }
            if written.stale {
                tracing::warn!(
                    "reference data changed while this file was costed; its shifts are marked \
                     for recosting (tms recost, or the next night's allocate step)"
                );
            }
        }
        Ok(())
    }
}

/// Maps a stored field name back to the static names rows use.
fn field_name(stored: Option<&str>) -> &'static str {
    [
        "row",
        "worker_id",
        "shift_ref",
        "start",
        "end",
        "service",
        "people",
        "miles",
        "notes",
    ]
    .into_iter()
    .find(|f| Some(*f) == stored)
    .unwrap_or("row")
}

async fn write_reject_report(
    store: &Store,
    import_file_id: i64,
    file: &str,
    output_dir: &Path,
) -> Result<PathBuf, ImportError> {
    let folder = output_dir.join("rejects");
    let path = folder.join(reject_report_name(import_file_id, file));
    let output_error = |source: std::io::Error| ImportError::Output {
        path: path.display().to_string(),
        source,
    };
    crate::files::create_private_dir_all(&folder).map_err(output_error)?;
    let mut writer =
        csv::Writer::from_writer(crate::files::create_private_file(&path).map_err(output_error)?);
    // The header comes from RejectRecord's field names: file,row,worker_id,shift_ref,field,reason.
    let mut rows = crate::report::rejects_for_import(store, import_file_id);
    while let Some(record) = rows.try_next().await? {
        writer
            .serialize(record.guarded())
            .map_err(|e| output_error(e.into()))?;
    }
    writer.flush().map_err(output_error)?;
    Ok(path)
}

/// The reject report's file name: the import's id first, so that two imports of files with the
/// same name (an upload and the nightly file, say) never share a report, then as much of the file
/// name as keeps the whole name short and free of separators and control characters.
pub fn reject_report_name(import_file_id: i64, file: &str) -> String {
    const NAME_CHARS_MAX: usize = 80;
    let readable: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(NAME_CHARS_MAX)
        .collect();
    format!("import-{import_file_id}-{readable}.rejects.csv")
}

/// What a reference import did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReferenceSummary {
    pub kind: String,
    pub file: String,
    pub rows: u64,
    /// Rows of the file that added, changed or left an entry as it was.
    pub inserted: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
    pub shifts_recosted: u64,
    /// What the import changed beyond the file's own rows: entries closed by a later one, and
    /// base rates a workers file changed from today.
    pub notes: Vec<String>,
}

/// Imports a reference file all-or-nothing: every bad row is listed and nothing is written, or
/// the whole file is applied as audited inserts and updates in one transaction. Date-effective
/// entries (rate card, pay rules, base rates) are settled first: a later entry closes the open
/// one of its key the day before it starts, and true overlaps refuse the file saying what to
/// send. Changes that alter costs mark the affected shifts, which are recosted straight away.
#[tracing::instrument(skip_all, fields(kind = %kind, file = %display_name(path)))]
pub async fn import_reference(
    store: &Store,
    actor: &str,
    kind: ReferenceKind,
    path: &Path,
    zone: LocalZone,
    bands: crate::calendar::BandRules,
    calendar: &str,
) -> Result<ReferenceSummary, ImportError> {
    let file = display_name(path);
    let (rows_read, by_target, file_rows) = if kind == ReferenceKind::BankHolidays
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        let (rows, by_target) = read_gov_uk(path, &file)?;
        (rows, by_target, HashMap::new())
    } else {
        read_reference_csv(store, kind, path, &file).await?
    };
    let today = zone.local_date(chrono::Utc::now());
    let mut merged = Vec::new();
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let no_rows = HashMap::new();
    for (target, rows) in by_target {
        let replace_group = target == Target::Arrangement;
        let mut m = merge(store, target, rows, replace_group).await?;
        let settled =
            histories::settle_histories(&mut m, file_rows.get(&target).unwrap_or(&no_rows));
        problems.extend(settled.problems);
        notes.extend(settled.notes);
        merged.push((target, m));
    }
    let mut changed_from_today = Vec::new();
    if kind == ReferenceKind::Workers
        && let Some((_, workers)) = merged.iter().find(|(t, _)| *t == Target::Worker)
    {
        let history = crate::store::reference::load_table::<BaseRateRow>(store).await?;
        let derived = histories::base_rates_from_workers(
            workers,
            &history,
            file_rows.get(&Target::Worker).unwrap_or(&no_rows),
            today,
        );
        let mut m = merge(store, Target::BaseRate, derived.rows, false).await?;
        let settled = histories::settle_histories(&mut m, &derived.file_rows);
        problems.extend(settled.problems);
        notes.extend(derived.notes);
        notes.extend(settled.notes);
        changed_from_today = derived.changed_from_today;
        merged.push((Target::BaseRate, m));
    }
    problems.extend(check_merged(&merged));
    if !problems.is_empty() {
        return Err(refused(&file, problems));
    }
    let notes = at_most(notes, NOTES_SHOWN_MAX, |more| {
        format!("… and {more} more like these (the reference audit trail has each one)")
    });
    let changed: usize = merged.iter().map(|(_, m)| m.changed()).sum();
    let sent = |target: &Target, row: &ReferenceRow| {
        file_rows
            .get(target)
            .is_some_and(|rows| rows.contains_key(&row.key()))
    };
    let mut summary = ReferenceSummary {
        kind: kind.to_string(),
        file: file.clone(),
        rows: rows_read,
        inserted: merged
            .iter()
            .map(|(t, m)| m.inserts.iter().filter(|r| sent(t, r)).count())
            .sum(),
        updated: merged
            .iter()
            .map(|(t, m)| m.updates.iter().filter(|(_, r)| sent(t, r)).count())
            .sum(),
        deleted: merged.iter().map(|(_, m)| m.deletes.len()).sum(),
        unchanged: 0,
        shifts_recosted: 0,
        notes,
    };
    if file_rows.is_empty() {
        // GOV.UK's JSON has no rows to point at: every change is the file's.
        summary.inserted = merged.iter().map(|(_, m)| m.inserts.len()).sum();
        summary.updated = merged.iter().map(|(_, m)| m.updates.len()).sum();
    }
    summary.unchanged = (rows_read as usize).saturating_sub(summary.inserted + summary.updated);
    if changed > 0 {
        let mut tx = store.begin().await?;
        bump_version(&mut tx).await?;
        for (target, m) in &merged {
            let audit_kind = if *target == Target::BaseRate {
                ReferenceKind::BaseRates.as_str()
            } else {
                kind.as_str()
            };
            write_merged(&mut tx, *target, audit_kind, m, &file, actor).await?;
        }
        if kind.affects_costing() {
            mark_affected(&mut tx, kind, &merged, &changed_from_today, today, zone).await?;
        }
        tx.commit().await?;
        if kind.affects_costing() {
            let reference =
                crate::store::reference::load_reference(store, zone, bands, calendar).await?;
            summary.shifts_recosted = recost_marked(store, &reference).await?.shifts;
        }
    }
    info!(
        inserted = summary.inserted,
        updated = summary.updated,
        deleted = summary.deleted,
        recosted = summary.shifts_recosted,
        "reference import finished"
    );
    Ok(summary)
}

/// Marks the shifts a change can alter: a worker's from the first date their pay changes (all
/// of them when their cost centre moves), and every shift for the other kinds.
async fn mark_affected(
    tx: &mut crate::store::Tx,
    kind: ReferenceKind,
    merged: &[(Target, crate::store::reference::Merged)],
    changed_from_today: &[String],
    today: chrono::NaiveDate,
    zone: LocalZone,
) -> Result<(), StoreError> {
    if !matches!(kind, ReferenceKind::Workers | ReferenceKind::BaseRates) {
        mark_for_costing(tx, None).await?;
        return Ok(());
    }
    let mut from: BTreeMap<String, Option<chrono::NaiveDate>> = BTreeMap::new();
    for (target, m) in merged {
        match target {
            Target::Worker => {
                for worker in histories::moved_workers(m) {
                    from.insert(worker, None);
                }
            }
            Target::BaseRate => {
                for (worker, date) in histories::base_rates_affected_from(m) {
                    from.entry(worker).or_insert(Some(date));
                }
            }
            _ => {}
        }
    }
    for worker in changed_from_today {
        from.entry(worker.clone()).or_insert(Some(today));
    }
    for (worker, date) in from {
        match date {
            None => {
                mark_for_costing(tx, Some(std::slice::from_ref(&worker))).await?;
            }
            Some(date) => {
                let start = zone.first_instant_at_or_after(date.and_time(chrono::NaiveTime::MIN));
                mark_worker_for_costing_from(tx, &worker, start).await?;
            }
        }
    }
    Ok(())
}

/// The gaps in reference data that leave money zero or missing, as warnings: what `tms import`
/// prints after every import and the nightly ingest step reports. `date` is the day the rules
/// must be in force on: today for an import, the business date for a night.
pub async fn reference_warnings(
    store: &Store,
    reference: &ReferenceData,
    date: chrono::NaiveDate,
) -> Result<Vec<String>, crate::report::ReportError> {
    let gaps = crate::report::gaps::gaps(store, reference, date).await?;
    Ok(gaps.iter().map(ToString::to_string).collect())
}

type TargetRows = BTreeMap<Target, Vec<ReferenceRow>>;

/// The file's row of each key it sends, per table.
type FileRows = HashMap<Target, HashMap<String, u64>>;

async fn read_reference_csv(
    store: &Store,
    kind: ReferenceKind,
    path: &Path,
    file: &str,
) -> Result<(u64, TargetRows, FileRows), ImportError> {
    let mut input = CsvInput::open(path, &kind.columns())?;
    let mut known = known_keys(store).await?;
    let mut problems = Vec::new();
    let mut by_target: TargetRows = BTreeMap::new();
    let mut seen: FileRows = HashMap::new();
    while let Some(row) = input.next_row() {
        match parse_reference_row(kind, &row, &known) {
            Ok(parsed) => {
                let (target, key) = (parsed.target(), parsed.key());
                if let Some(first) = seen
                    .entry(target)
                    .or_default()
                    .insert(key.clone(), row.row_no)
                {
                    problems.push(format!(
                        "row {}: repeats the key {key} of row {first}",
                        row.row_no
                    ));
                }
                register_key(&mut known, &parsed);
                by_target.entry(target).or_default().push(parsed);
            }
            Err(p) => problems.push(format!("row {}, {}: {}", row.row_no, p.field, p.reason)),
        }
    }
    if !problems.is_empty() {
        return Err(refused(file, problems));
    }
    Ok((input.rows_read(), by_target, seen))
}

/// Lets later rows of the same file refer to keys defined earlier in it.
fn register_key(known: &mut crate::domain::reference::KnownKeys, row: &ReferenceRow) {
    match row {
        ReferenceRow::CostCentre(r) => known.cost_centres.insert(r.cost_centre_id.to_string()),
        ReferenceRow::Worker(r) => known.workers.insert(r.worker_id.to_string()),
        ReferenceRow::Person(r) => known.people.insert(r.person_id.to_string()),
        ReferenceRow::Payer(r) => known.payers.insert(r.payer_id.to_string()),
        ReferenceRow::Service(r) => known.services.insert(r.service_code.to_string()),
        ReferenceRow::RateCardEntry(r) => known.services.insert(r.service_code.to_string()),
        _ => false,
    };
}

fn read_gov_uk(path: &Path, file: &str) -> Result<(u64, TargetRows), ImportError> {
    let json = std::fs::read_to_string(path).map_err(|source| FileError::Io {
        file: file.to_owned(),
        source,
    })?;
    let events = parse_gov_uk_json(&json).map_err(|e| refused(file, vec![e.to_string()]))?;
    let rows: Vec<ReferenceRow> = events
        .into_iter()
        .map(|(division, date, title)| {
            BankHolidayRow {
                calendar: division,
                holiday_date: date,
                name: title,
            }
            .into()
        })
        .collect();
    Ok((
        rows.len() as u64,
        BTreeMap::from([(Target::BankHoliday, rows)]),
    ))
}

fn refused(file: &str, problems: Vec<String>) -> ImportError {
    let count = problems.len();
    let list = at_most(
        problems.into_iter().map(|p| format!("  {p}")).collect(),
        PROBLEMS_SHOWN_MAX,
        |more| format!("  … and {more} more"),
    );
    ImportError::Refused {
        file: file.to_owned(),
        count,
        list: list.join("\n"),
    }
}

/// The first `max` lines, then `more(n)` saying how many were left out: a refused file's
/// problems, or what an import changed beyond its rows (a pay rise for every worker closes an
/// entry each, which the reference audit trail lists one by one).
fn at_most(mut lines: Vec<String>, max: usize, more: impl Fn(usize) -> String) -> Vec<String> {
    if lines.len() > max {
        let left_out = lines.len() - max;
        lines.truncate(max);
        lines.push(more(left_out));
    }
    lines
}

/// Whole-table rules checked after the file is merged over what is stored (the histories of
/// dated entries are settled before, in `histories`).
fn check_merged(merged: &[(Target, crate::store::reference::Merged)]) -> Vec<String> {
    merged
        .iter()
        .filter(|(target, _)| *target == Target::Arrangement)
        .flat_map(|(_, m)| arrangement_problems(m))
        .collect()
}

fn arrangement_problems(m: &crate::store::reference::Merged) -> Vec<String> {
    let mut by_person: BTreeMap<&str, Vec<&crate::store::rows::ArrangementRow>> = BTreeMap::new();
    for row in m.rows.values() {
        if let ReferenceRow::Arrangement(arrangement) = row {
            by_person
                .entry(arrangement.person_id.as_str())
                .or_default()
                .push(arrangement);
        }
    }
    let mut problems = Vec::new();
    for (person, rows) in by_person {
        let count = |kind: ArrangementKind| rows.iter().filter(|r| r.kind == kind).count();
        let full = count(ArrangementKind::Full);
        // Shares written outside tms may be out of range: their total stops at the largest
        // number (which is not 100% either) instead of wrapping round to a plausible one.
        let percentage: i64 = rows
            .iter()
            .filter(|r| r.kind == ArrangementKind::Percentage)
            .filter_map(|r| r.share_basis_points)
            .fold(0, i64::saturating_add);
        let has_percentage = count(ArrangementKind::Percentage) > 0;
        let has_contribution = count(ArrangementKind::Contribution) > 0;
        if full > 1 {
            problems.push(format!(
                "person {person} has {full} full payers; use percentage shares to split"
            ));
        }
        if has_percentage && (full > 0 || has_contribution) {
            problems.push(format!(
                "person {person} mixes percentage shares with other arrangements"
            ));
        }
        if has_percentage && percentage != 10_000 {
            problems.push(format!(
                "person {person}'s percentage shares add up to {}.{:02}%, not 100%",
                percentage / 100,
                percentage % 100
            ));
        }
        if has_contribution && full != 1 {
            problems.push(format!(
                "person {person} has a contribution but no full payer for the rest"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_end_with_how_many_more() {
        let notes: Vec<String> = (1..=12).map(|i| format!("note {i}")).collect();
        let shown = at_most(notes.clone(), 10, |n| format!("… and {n} more"));
        assert_eq!(shown.len(), 11);
        assert_eq!(shown[9], "note 10");
        assert_eq!(shown[10], "… and 2 more");
        assert_eq!(
            at_most(notes[..3].to_vec(), 10, |_| unreachable!()),
            notes[..3]
        );
        assert_eq!(
            at_most(notes[..10].to_vec(), 10, |_| unreachable!()),
            notes[..10]
        );
    }

    #[test]
    fn a_refused_file_lists_its_first_problems_and_counts_them_all() {
        let problems: Vec<String> = (1..=PROBLEMS_SHOWN_MAX + 2)
            .map(|i| format!("row {i}, name: empty"))
            .collect();
        let ImportError::Refused { file, count, list } = refused("people.csv", problems) else {
            panic!("refused");
        };
        assert_eq!(
            (file.as_str(), count),
            ("people.csv", PROBLEMS_SHOWN_MAX + 2)
        );
        let lines: Vec<&str> = list.lines().collect();
        assert_eq!(lines.len(), PROBLEMS_SHOWN_MAX + 1);
        assert_eq!(lines[0], "  row 1, name: empty");
        assert_eq!(lines[PROBLEMS_SHOWN_MAX], "  … and 2 more");
    }
}
