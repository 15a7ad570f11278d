//! The ingest step: imports the CSV files waiting in the inbox (reference files first, in the
//! order they depend on each other, then shifts), moves each to `done/DATE/`, and copies files
//! with rejected rows to `rejects/DATE/` with their report. How each file was handled is
//! recorded before it is moved, so a resumed step neither imports a file twice nor forgets one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{PipelineError, StepContext};
use crate::capture::csv_input::display_name;
use crate::capture::import::sha256_of;
use crate::capture::{
    ImportError, ReferenceKind, ShiftImportOptions, import_reference, import_shifts,
};
use crate::store::runs::{IngestFile, StepTotals, earlier_import, ingest_files, put_ingest_file};

/// Reference kinds in an order where each file's references are already in place.
pub const INGEST_ORDER: [ReferenceKind; 11] = [
    ReferenceKind::CostCentres,
    ReferenceKind::Services,
    ReferenceKind::Payers,
    ReferenceKind::Workers,
    ReferenceKind::People,
    ReferenceKind::Arrangements,
    ReferenceKind::RateCard,
    ReferenceKind::PayRules,
    ReferenceKind::Budgets,
    ReferenceKind::BankHolidays,
    ReferenceKind::OneOffs,
];

/// What a file in the inbox holds, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// A reference file: its place in [`INGEST_ORDER`].
    Reference(usize),
    Shifts,
}

impl FileKind {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Reference(i) => INGEST_ORDER[i].as_str(),
            FileKind::Shifts => "shifts",
        }
    }
}

/// `shifts*.csv` is a shift file, `workers*.csv` a workers file, and so on; the kind must be
/// followed by the end of the name or a separator (`workers-2026-11.csv`).
pub fn kind_of(file_name: &str) -> Option<FileKind> {
    let lower = file_name.to_ascii_lowercase();
    let stem = lower.strip_suffix(".csv")?;
    let starts = |kind: &str| {
        stem.strip_prefix(kind)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '_', '.', ' ']))
    };
    if starts("shifts") {
        return Some(FileKind::Shifts);
    }
    INGEST_ORDER
        .iter()
        .position(|k| starts(k.as_str()))
        .map(FileKind::Reference)
}

/// Whether the inbox should look at a file at all: hidden files and partial uploads are left.
fn is_candidate(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.starts_with('.') && !lower.ends_with(".part") && !lower.ends_with(".tmp")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PipelineError + '_ {
    PipelineError::io(path)
}

/// Runs the step.
pub async fn run(context: &StepContext<'_>) -> Result<StepTotals, PipelineError> {
    let inbox = context.settings.runner.inbox_dir.clone();
    crate::delivery::files::create_private_dir_all(&inbox).map_err(io(&inbox))?;
    let settle = std::time::Duration::from_secs(context.settings.runner.settle_seconds);
    let mut waiting = Vec::new();
    let mut files: Vec<(Option<FileKind>, String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(&inbox).map_err(io(&inbox))? {
        let entry = entry.map_err(io(&inbox))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = entry.metadata().map_err(io(&path))?;
        if !meta.is_file() || !is_candidate(&name) {
            continue;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .unwrap_or_default();
        if age < settle {
            waiting.push(name);
            continue;
        }
        files.push((kind_of(&name), name, path));
    }
    files.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let handled: BTreeMap<(String, String), IngestFile> =
        ingest_files(context.store, context.job_run_id)
            .await?
            .into_iter()
            .map(|f| ((f.file_name.clone(), f.sha256.clone()), f))
            .collect();
    let bar = crate::cli::progress_bar(Some(files.len() as u64));
    bar.set_message("ingesting inbox files");
    for (kind, name, path) in &files {
        context.check_lease()?;
        let sha = sha256_of(path).map_err(|e| PipelineError::Step(e.to_string()))?;
        let record = match handled.get(&(name.clone(), sha.clone())) {
            Some(record) => record.clone(),
            None => {
                let record = handle(context, *kind, name, path, sha).await?;
                put_ingest_file(context.store, context.job_run_id, &record).await?;
                crate::failpoint::hit("ingest.recorded");
                record
            }
        };
        let report = reject_report_of(context, &record).await?;
        file_away(context, path, &record, report.as_deref())?;
        crate::failpoint::hit("ingest.moved");
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut totals = totals_of(
        &ingest_files(context.store, context.job_run_id).await?,
        context.business_date,
    );
    for name in waiting {
        totals.warnings.push(format!(
            "{name} changed less than {} s ago; left for the next run",
            settle.as_secs()
        ));
    }
    Ok(totals)
}

async fn handle(
    context: &StepContext<'_>,
    kind: Option<FileKind>,
    name: &str,
    path: &Path,
    sha256: String,
) -> Result<IngestFile, PipelineError> {
    let mut record = IngestFile {
        file_name: name.to_owned(),
        sha256,
        kind: kind.map_or("unknown", FileKind::name).to_owned(),
        outcome: "imported".to_owned(),
        ..IngestFile::default()
    };
    let Some(kind) = kind else {
        record.outcome = "refused".to_owned();
        record.detail = "the name does not say what the file holds: call it shifts*.csv or after a reference kind (workers*.csv, rate-card*.csv, ...)".to_owned();
        return Ok(record);
    };
    let settings = context.settings;
    let result = match kind {
        FileKind::Shifts => {
            if let Some(earlier) = earlier_import(context.store, "shifts", &record.sha256).await?
                && earlier.status == "done"
            {
                record.rows_read = earlier.rows_read;
                if earlier.job_run_id == Some(context.job_run_id) {
                    record.take_counts(&earlier.counts());
                } else {
                    let when = crate::store::bulk::instant_from_seconds(earlier.last_imported_at)
                        .map(|t| t.format("%Y-%m-%d").to_string())
                        .unwrap_or_default();
                    record.outcome = "duplicate".to_owned();
                    record.detail = format!(
                        "the same content was already imported as {} on {when}; nothing imported again",
                        earlier.file_name
                    );
                }
                return Ok(record);
            }
            let reference = super::load_reference(context.store, settings).await?;
            let options = ShiftImportOptions {
                approve: settings.import.auto_approve,
                output_dir: settings.paths.output_dir.clone(),
                job_run_id: Some(context.job_run_id),
                scope: String::new(),
            };
            let bar = crate::cli::progress_bar(None);
            let result = import_shifts(context.store, &reference, path, &options, &bar).await;
            bar.finish_and_clear();
            result.map(|summary| record.take_counts(&summary.counts))
        }
        FileKind::Reference(i) => import_reference(
            context.store,
            INGEST_ORDER[i],
            path,
            settings.zone()?,
            settings.band_rules()?,
            &settings.provider.bank_holiday_calendar,
        )
        .await
        .map(|summary| {
            record.rows_read = summary.rows as i64;
        }),
    };
    match result {
        Ok(()) => Ok(record),
        Err(e @ (ImportError::File(_) | ImportError::Refused { .. })) => {
            record.outcome = "refused".to_owned();
            record.detail = e.to_string();
            Ok(record)
        }
        Err(e) => Err(PipelineError::Step(format!("{name}: {e}"))),
    }
}

/// Where the import of a file with rejected rows wrote its reject report.
async fn reject_report_of(
    context: &StepContext<'_>,
    record: &IngestFile,
) -> Result<Option<PathBuf>, PipelineError> {
    if record.outcome != "rejected_rows" || record.kind != FileKind::Shifts.name() {
        return Ok(None);
    }
    let earlier = earlier_import(context.store, "shifts", &record.sha256).await?;
    Ok(earlier.map(|import| {
        context.settings.paths.output_dir.join("rejects").join(
            crate::capture::import::reject_report_name(import.import_file_id, &import.file_name),
        )
    }))
}

/// Moves a handled file out of the inbox: refused files to `rejects/DATE/` with the reason,
/// the rest to `done/DATE/`; files with rejected rows are also copied to `rejects/DATE/` with
/// their reject report. Every move is safe to repeat.
fn file_away(
    context: &StepContext<'_>,
    path: &Path,
    record: &IngestFile,
    report: Option<&Path>,
) -> Result<(), PipelineError> {
    let inbox = &context.settings.runner.inbox_dir;
    let date = context.business_date.to_string();
    let done = inbox.join("done").join(&date);
    let rejects = inbox.join("rejects").join(&date);
    let name = &record.file_name;
    match record.outcome.as_str() {
        "refused" => {
            crate::delivery::files::create_private_dir_all(&rejects).map_err(io(&rejects))?;
            let reason = rejects.join(format!("{name}.error.txt"));
            write_whole(&reason, format!("{}\n", record.detail).as_bytes())?;
            move_into(path, &rejects)
        }
        outcome => {
            if outcome == "rejected_rows" {
                crate::delivery::files::create_private_dir_all(&rejects).map_err(io(&rejects))?;
                let bytes = std::fs::read(path).map_err(io(path))?;
                write_whole(&rejects.join(name), &bytes)?;
                if let Some(bytes) = report.and_then(|report| std::fs::read(report).ok()) {
                    write_whole(&rejects.join(format!("{name}.rejects.csv")), &bytes)?;
                }
            }
            crate::delivery::files::create_private_dir_all(&done).map_err(io(&done))?;
            move_into(path, &done)
        }
    }
}

fn write_whole(target: &Path, bytes: &[u8]) -> Result<(), PipelineError> {
    crate::delivery::files::write_whole(target, bytes).map_err(io(target))
}

/// Moves `path` into `folder`, keeping an earlier file of the same name (`name.1.csv`, ...).
fn move_into(path: &Path, folder: &Path) -> Result<(), PipelineError> {
    let name = display_name(path);
    let mut target = folder.join(&name);
    let mut n = 1;
    while target.exists() {
        let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, ""));
        target = folder.join(format!("{stem}.{n}.{ext}"));
        n += 1;
    }
    // Filed files are tms's data now: private, like everything else it keeps.
    crate::delivery::files::make_private(path).map_err(io(path))?;
    std::fs::rename(path, &target).map_err(io(path))
}

/// The step's totals, from the recorded files.
fn totals_of(files: &[IngestFile], date: chrono::NaiveDate) -> StepTotals {
    let mut totals = StepTotals::default();
    let mut add = |key: &str, n: i64| *totals.counts.entry(key.to_owned()).or_insert(0) += n;
    for f in files {
        add("files", 1);
        match f.outcome.as_str() {
            "refused" => add("files_refused", 1),
            "duplicate" => add("files_duplicate", 1),
            _ => {}
        }
        if f.kind == "shifts" && f.outcome != "duplicate" {
            add("rows_read", f.rows_read);
            add("shifts_new", f.shifts_new);
            add("shifts_amended", f.shifts_amended);
            add("shifts_unchanged", f.shifts_unchanged);
            add("shifts_rejected", f.shifts_rejected);
            add("rows_rejected", f.rows_rejected);
        } else if f.outcome == "imported" {
            add("reference_rows", f.rows_read);
        }
    }
    for f in files {
        match f.outcome.as_str() {
            "refused" => totals
                .warnings
                .push(format!("{}: refused, moved to rejects/{date}/: {}", f.file_name, f.detail)),
            "duplicate" => totals.warnings.push(format!("{}: {}", f.file_name, f.detail)),
            "rejected_rows" => totals.warnings.push(format!(
                "{}: {} row(s) rejected ({} shift(s)); the file and its report are in rejects/{date}/",
                f.file_name, f.rows_rejected, f.shifts_rejected
            )),
            _ => {}
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_say_what_they_hold() {
        assert_eq!(kind_of("shifts.csv"), Some(FileKind::Shifts));
        assert_eq!(kind_of("Shifts-2026-11-30.CSV"), Some(FileKind::Shifts));
        assert_eq!(
            kind_of("workers_2026.csv").map(FileKind::name),
            Some("workers")
        );
        assert_eq!(
            kind_of("rate-card.csv").map(FileKind::name),
            Some("rate-card")
        );
        assert_eq!(
            kind_of("pay-rules-v2.csv").map(FileKind::name),
            Some("pay-rules")
        );
        assert_eq!(kind_of("payers.csv").map(FileKind::name), Some("payers"));
        assert_eq!(kind_of("shiftsheet.csv"), None);
        assert_eq!(kind_of("shifts.xlsx"), None);
        assert_eq!(kind_of("notes.csv"), None);
    }

    #[test]
    fn reference_files_come_before_shifts_in_dependency_order() {
        let mut kinds = vec![
            kind_of("shifts.csv"),
            kind_of("rate-card.csv"),
            kind_of("workers.csv"),
            kind_of("payers.csv"),
            kind_of("cost-centres.csv"),
        ];
        kinds.sort();
        let names: Vec<&str> = kinds.into_iter().flatten().map(FileKind::name).collect();
        assert_eq!(
            names,
            ["cost-centres", "payers", "workers", "rate-card", "shifts"]
        );
        assert_eq!(INGEST_ORDER.len(), ReferenceKind::ALL.len());
        for kind in ReferenceKind::ALL {
            assert!(INGEST_ORDER.contains(&kind));
        }
    }

    #[test]
    fn partial_uploads_and_hidden_files_are_left() {
        assert!(is_candidate("shifts.csv"));
        assert!(!is_candidate(".shifts.csv"));
        assert!(!is_candidate("shifts.csv.part"));
    }

    #[test]
    fn totals_count_files_rows_and_warnings() {
        let files = vec![
            IngestFile {
                file_name: "shifts-a.csv".into(),
                kind: "shifts".into(),
                outcome: "rejected_rows".into(),
                rows_read: 10,
                shifts_new: 6,
                shifts_rejected: 1,
                rows_rejected: 2,
                ..IngestFile::default()
            },
            IngestFile {
                file_name: "odd.csv".into(),
                kind: "unknown".into(),
                outcome: "refused".into(),
                detail: "no kind".into(),
                ..IngestFile::default()
            },
        ];
        let totals = totals_of(&files, "2026-11-30".parse().expect("date"));
        assert_eq!(totals.counts["files"], 2);
        assert_eq!(totals.counts["files_refused"], 1);
        assert_eq!(totals.counts["shifts_new"], 6);
        assert_eq!(totals.counts["rows_rejected"], 2);
        assert_eq!(totals.warnings.len(), 2);
        assert!(totals.warnings[0].contains("2 row(s) rejected"));
    }
}
