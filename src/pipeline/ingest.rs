//! The ingest step: imports the CSV files waiting in the inbox (reference files first, in the
//! order they depend on each other, then shifts), moves each to `done/DATE/`, and copies files
//! with rejected rows to `rejects/DATE/` with their report. How each file was handled is
//! recorded before it is moved, so a resumed step neither imports a file twice nor forgets one.
//! Whatever goes wrong with one file — its name, reading it, its content, filing it away — is
//! that file's failure: it is set aside with its reason and the night goes on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};

use super::{PipelineError, StepContext};
use crate::capture::ReferenceKind;
use crate::domain::import::{ImportOutcome, ImportStatus};
use crate::domain::step::{IngestCounts, StepReport, StepTotals};
use crate::report::output::{is_hidden, visible};
use crate::store::runs::{
    EarlierImport, IngestFile, earlier_import, file_changes_since, ingest_files, put_ingest_file,
    recount_import,
};
use crate::store::shifts::ImportCounts;
use crate::usecase::import::sha256_of;
use crate::usecase::{ImportError, ShiftImportOptions, import_reference, import_shifts};

/// Who the audit trail says made the changes of inbox files.
const NIGHTLY_ACTOR: &str = "nightly";

/// Reference kinds in an order where each file's references are already in place.
pub const INGEST_ORDER: [ReferenceKind; 12] = [
    ReferenceKind::CostCentres,
    ReferenceKind::Services,
    ReferenceKind::Payers,
    ReferenceKind::Workers,
    ReferenceKind::BaseRates,
    ReferenceKind::People,
    ReferenceKind::Arrangements,
    ReferenceKind::RateCard,
    ReferenceKind::PayRules,
    ReferenceKind::Budgets,
    ReferenceKind::BankHolidays,
    ReferenceKind::OneOffs,
];

/// The longest name, in bytes, the runner gives a file it writes for an inbox file. It leaves
/// room within the usual 255-byte limit for what is added to it: `.error.txt`, `.rejects.csv`,
/// a number when the name is taken, and the temporary name a file is written under.
pub const STORED_NAME_MAX: usize = 160;

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

/// The name the runner files an inbox file under, and the stem of the names it writes beside
/// it. A name that is short enough and holds no path separator or hidden character is kept as
/// it is; any other keeps a readable start, with unsafe characters replaced by `_`, and adds a
/// short digest of the whole name so that different names never meet
/// (`shifts-from-the-rota-…~1f2e3d4c.csv`).
pub fn stored_name(name: &str) -> String {
    let unsafe_char = |c: char| matches!(c, '/' | '\\') || is_hidden(c);
    if !name.is_empty()
        && name.len() <= STORED_NAME_MAX
        && !name.starts_with('.')
        && !name.chars().any(unsafe_char)
    {
        return name.to_owned();
    }
    let digest: String = Sha256::digest(name.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && ext.len() <= 8
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            (stem, format!(".{ext}"))
        }
        _ => (name, String::new()),
    };
    let room = STORED_NAME_MAX - extension.len() - digest.len() - 1;
    let mut readable = String::with_capacity(room);
    for c in stem.trim_start_matches('.').chars() {
        let c = if unsafe_char(c) { '_' } else { c };
        if readable.len() + c.len_utf8() > room {
            break;
        }
        readable.push(c);
    }
    format!("{readable}~{digest}{extension}")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PipelineError + '_ {
    PipelineError::io(path)
}

/// Runs the step.
pub async fn run(context: &StepContext<'_>) -> Result<StepReport, PipelineError> {
    let inbox = context.settings.runner.inbox_dir.clone();
    crate::files::create_private_dir_all(&inbox).map_err(io(&inbox))?;
    let settle = std::time::Duration::from_secs(context.settings.runner.settle_seconds);
    let mut waiting = Vec::new();
    let mut troubles: Vec<String> = Vec::new();
    let mut files: Vec<(Option<FileKind>, String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(&inbox).map_err(io(&inbox))? {
        let entry = entry.map_err(io(&inbox))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_candidate(&name) {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(e) => {
                troubles.push(format!(
                    "{name}: cannot be examined ({e}); left for the next run"
                ));
                continue;
            }
        };
        if !meta.is_file() {
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
    let bar = crate::progress::bar(Some(files.len() as u64));
    bar.set_message("ingesting inbox files");
    let mut left_in_inbox = BTreeSet::new();
    for (kind, name, path) in &files {
        context.check_lease()?;
        // A file that cannot be read is recorded without a digest, and refused.
        let (sha, unreadable) = match sha256_of(path) {
            Ok(sha) => (sha, None),
            Err(e) => (String::new(), Some(e)),
        };
        // A file recorded by this step before is taken as done, unless the step is forced to
        // run again: then a file dropped again is handled again and its record rewritten, so
        // the counts say what this run did (a re-import finds its shifts unchanged).
        let recorded = handled
            .get(&(name.clone(), sha.clone()))
            .filter(|_| !context.replacing);
        let record = match recorded {
            Some(record) => record.clone(),
            None => {
                let record = match unreadable {
                    Some(e) => refused(new_record(*kind, name, sha), name, &e.to_string()),
                    None => handle(context, *kind, name, path, sha).await?,
                };
                put_ingest_file(context.store, context.job_run_id, &record).await?;
                crate::failpoint::hit("ingest.recorded");
                record
            }
        };
        let filing = file_away(context, path, &record).await?;
        if !filing.moved {
            left_in_inbox.insert(name.clone());
        }
        troubles.extend(filing.troubles.into_iter().map(|t| format!("{name}: {t}")));
        crate::failpoint::hit("ingest.moved");
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut report = report_of(
        &ingest_files(context.store, context.job_run_id).await?,
        context.business_date,
        &left_in_inbox,
    );
    report.warnings.extend(troubles);
    for name in waiting {
        report.warnings.push(format!(
            "{name} changed less than {} s ago; left for the next run",
            settle.as_secs()
        ));
    }
    // Reference data that leaves money zero or missing, as it stands after tonight's files.
    let reference = super::load_reference(context.store, context.settings).await?;
    let gaps = crate::usecase::reference_warnings(context.store, &reference, context.business_date)
        .await
        .map_err(|e| match e {
            crate::report::ReportError::Store(e) => PipelineError::Store(e),
            other => PipelineError::Step(other.to_string()),
        })?;
    report.warnings.extend(gaps);
    Ok(report)
}

fn new_record(kind: Option<FileKind>, name: &str, sha256: String) -> IngestFile {
    IngestFile {
        file_name: name.to_owned(),
        sha256,
        kind: kind.map_or("unknown", FileKind::name).to_owned(),
        outcome: ImportOutcome::Imported,
        ..IngestFile::default()
    }
}

/// The record of a file refused whole, with its reason. The file's name is shown escaped in the
/// reason, as everywhere text reaches people.
fn refused(mut record: IngestFile, name: &str, reason: &str) -> IngestFile {
    let shown = visible(name);
    record.outcome = ImportOutcome::Refused;
    record.detail = if shown == name {
        reason.to_owned()
    } else {
        reason.replace(name, &shown)
    };
    record
}

async fn handle(
    context: &StepContext<'_>,
    kind: Option<FileKind>,
    name: &str,
    path: &Path,
    sha256: String,
) -> Result<IngestFile, PipelineError> {
    let mut record = new_record(kind, name, sha256);
    let Some(kind) = kind else {
        return Ok(refused(
            record,
            name,
            "the name does not say what the file holds: call it shifts*.csv or after a reference kind (workers*.csv, rate-card*.csv, ...)",
        ));
    };
    let settings = context.settings;
    let store = context.store;
    let result = match kind {
        FileKind::Shifts => {
            let earlier = earlier_import(store, "shifts", &record.sha256).await?;
            // This step's own import of this file; another file with the same bytes, even one
            // imported tonight, is a duplicate. A step forced to run again imports its own
            // files again.
            let own =
                |e: &EarlierImport| e.job_run_id == Some(context.job_run_id) && e.file_name == name;
            if let Some(earlier) = earlier
                .as_ref()
                .filter(|e| e.status == ImportStatus::Done)
                .filter(|e| !(context.replacing && own(e)))
            {
                if own(earlier) {
                    // Finished before a crash kept it from being recorded.
                    let counts = own_counts(context, earlier, earlier.counts()).await?;
                    record.take_counts(&counts);
                } else {
                    let when = crate::store::bulk::instant_from_seconds(earlier.last_imported_at)
                        .map(|t| t.format("%Y-%m-%d").to_string())
                        .unwrap_or_default();
                    record.rows_read = earlier.rows_read;
                    record.outcome = ImportOutcome::Duplicate;
                    record.detail = format!(
                        "the same content was already imported as {} on {when}; nothing imported again",
                        earlier.file_name
                    );
                }
                return Ok(record);
            }
            let resumed = !context.replacing && earlier.as_ref().is_some_and(own);
            let reference = super::load_reference(store, settings).await?;
            let options = ShiftImportOptions {
                approve: settings.import.auto_approve,
                output_dir: settings.paths.output_dir.clone(),
                job_run_id: Some(context.job_run_id),
                scope: String::new(),
                actor: NIGHTLY_ACTOR.to_owned(),
            };
            let bar = crate::progress::bar(None);
            let result = import_shifts(store, &reference, path, &options, &bar).await;
            bar.finish_and_clear();
            match result {
                Ok(summary) => {
                    let mut counts = summary.counts;
                    if resumed
                        && let Some(import) =
                            earlier_import(store, "shifts", &record.sha256).await?
                    {
                        counts = own_counts(context, &import, counts).await?;
                    }
                    record.take_counts(&counts);
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        FileKind::Reference(i) => import_reference(
            store,
            NIGHTLY_ACTOR,
            INGEST_ORDER[i],
            path,
            settings.zone(),
            settings.band_rules().clone(),
            &settings.provider.bank_holiday_calendar,
        )
        .await
        .map(|summary| {
            record.rows_read = summary.rows as i64;
            // What the file changed beyond its rows (entries closed by a later one, base rates
            // changed from today) is said in the report.
            record.detail = summary.notes.join("; ");
        }),
    };
    match result {
        Ok(()) => Ok(record),
        // The database failing is the night's trouble, not the file's: the step fails and
        // resumes. Anything else is this file's failure.
        Err(ImportError::Store(e)) => Err(e.into()),
        Err(e) => Ok(refused(record, name, &e.to_string())),
    }
}

/// The counts of this step's own import of a file, as an uninterrupted import gives them. An
/// import resumed after a crash finds the shifts its interrupted attempt wrote already stored
/// and counts them unchanged; the audit trail since the import began says which it created and
/// which it amended. Corrected counts are stored on the import too.
async fn own_counts(
    context: &StepContext<'_>,
    import: &EarlierImport,
    counts: ImportCounts,
) -> Result<ImportCounts, PipelineError> {
    let (created, amended) =
        file_changes_since(context.store, &import.file_name, import.first_imported_at).await?;
    let (created, amended) = (
        u64::try_from(created).unwrap_or(0),
        u64::try_from(amended).unwrap_or(0),
    );
    let accepted = counts.shifts_new + counts.shifts_amended + counts.shifts_unchanged;
    if (created, amended) == (counts.shifts_new, counts.shifts_amended)
        || created + amended > accepted
    {
        return Ok(counts);
    }
    let fixed = ImportCounts {
        shifts_new: created,
        shifts_amended: amended,
        shifts_unchanged: accepted - created - amended,
        ..counts
    };
    recount_import(context.store, import.import_file_id, &fixed).await?;
    Ok(fixed)
}

/// How filing a file away went.
struct Filing {
    /// It left the inbox.
    moved: bool,
    /// What could not be done, for the report.
    troubles: Vec<String>,
}

/// Moves a handled file out of the inbox: refused files to `rejects/DATE/` with the reason,
/// the rest to `done/DATE/`; files with rejected rows are also copied to `rejects/DATE/` with
/// their reject report. Every name written is [`stored_name`]'s. Every part is safe to repeat,
/// and a part that fails is reported rather than stopping the night: a file that cannot be
/// moved stays in the inbox.
async fn file_away(
    context: &StepContext<'_>,
    path: &Path,
    record: &IngestFile,
) -> Result<Filing, PipelineError> {
    let inbox = &context.settings.runner.inbox_dir;
    let date = context.business_date.to_string();
    let stored = stored_name(&record.file_name);
    let mut troubles = Vec::new();
    let rejects = inbox.join("rejects").join(&date);
    let folder = if record.outcome == ImportOutcome::Refused {
        let reason = rejects.join(format!("{stored}.error.txt"));
        if let Err(e) = write_whole(&reason, format!("{}\n", record.detail).as_bytes()) {
            troubles.push(format!(
                "its reason could not be written to rejects/{date}/: {e}"
            ));
        }
        rejects
    } else {
        if record.outcome == ImportOutcome::RejectedRows {
            let copied =
                std::fs::read(path).and_then(|bytes| write_whole(&rejects.join(&stored), &bytes));
            if let Err(e) = copied {
                troubles.push(format!("it could not be copied to rejects/{date}/: {e}"));
            }
            let report = reject_report(context, record).await?;
            if let Err(e) = write_whole(&rejects.join(format!("{stored}.rejects.csv")), &report) {
                troubles.push(format!(
                    "its reject report could not be written to rejects/{date}/: {e}"
                ));
            }
        }
        inbox.join("done").join(&date)
    };
    let moved = match move_into(path, &folder, &stored) {
        Ok(()) => true,
        Err(e) => {
            let place = folder.strip_prefix(inbox).unwrap_or(&folder).display();
            troubles.push(format!(
                "it could not be moved to {place}/ ({e}) and is left in the inbox"
            ));
            false
        }
    };
    Ok(Filing { moved, troubles })
}

/// The reject report of a shift file's import, from the stored rejects: the columns and formula
/// guard of `tms report rejects`.
async fn reject_report(
    context: &StepContext<'_>,
    record: &IngestFile,
) -> Result<Vec<u8>, PipelineError> {
    let failed = |e: csv::Error| PipelineError::Step(format!("reject report: {e}"));
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer
        .write_record(["file", "row", "worker_id", "shift_ref", "field", "reason"])
        .map_err(failed)?;
    if let Some(import) = earlier_import(context.store, "shifts", &record.sha256).await? {
        let mut rows = crate::report::rejects_for_import(context.store, import.import_file_id);
        while let Some(row) = rows.try_next().await? {
            writer.serialize(row.guarded()).map_err(failed)?;
        }
    }
    writer
        .into_inner()
        .map_err(|e| PipelineError::Step(format!("reject report: {e}")))
}

fn write_whole(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::files::write_whole(target, bytes)
}

/// Moves `path` into `folder` as `name`, keeping an earlier file of that name (`name.1.csv`, ...).
fn move_into(path: &Path, folder: &Path, name: &str) -> std::io::Result<()> {
    crate::files::create_private_dir_all(folder)?;
    let mut target = folder.join(name);
    let mut n = 1;
    while target.exists() {
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
        target = folder.join(format!("{stem}.{n}.{ext}"));
        n += 1;
    }
    // Filed files are tms's data now: private, like everything else it keeps.
    crate::files::make_private(path)?;
    std::fs::rename(path, &target)
}

/// A reason over several lines (a refused file's list of problems) on one line.
fn one_line(reason: &str) -> String {
    let mut parts = reason.split("\n  ");
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() {
        first.to_owned()
    } else {
        format!("{first} {}", rest.join("; "))
    }
}

/// The step's totals and warnings, from the recorded files.
fn report_of(
    files: &[IngestFile],
    date: chrono::NaiveDate,
    left_in_inbox: &BTreeSet<String>,
) -> StepReport {
    let mut counts = IngestCounts::ZERO;
    let mut warnings = Vec::new();
    for f in files {
        counts.files += 1;
        match f.outcome {
            ImportOutcome::Refused => counts.files_refused += 1,
            ImportOutcome::Duplicate => counts.files_duplicate += 1,
            ImportOutcome::Imported | ImportOutcome::RejectedRows => {}
        }
        if f.kind == "shifts" && f.outcome != ImportOutcome::Duplicate {
            counts.rows_read += f.rows_read;
            counts.shifts_new += f.shifts_new;
            counts.shifts_amended += f.shifts_amended;
            counts.shifts_unchanged += f.shifts_unchanged;
            counts.shifts_rejected += f.shifts_rejected;
            counts.rows_rejected += f.rows_rejected;
        } else if f.outcome == ImportOutcome::Imported {
            counts.reference_rows += f.rows_read;
        }
    }
    for f in files {
        let stored = stored_name(&f.file_name);
        let named = if stored == f.file_name {
            String::new()
        } else {
            format!(" as {stored}")
        };
        match f.outcome {
            ImportOutcome::Refused if left_in_inbox.contains(&f.file_name) => {
                warnings.push(format!("{}: refused: {}", f.file_name, one_line(&f.detail)))
            }
            ImportOutcome::Refused => warnings.push(format!(
                "{}: refused, moved to rejects/{date}/{named}: {}",
                f.file_name,
                one_line(&f.detail)
            )),
            ImportOutcome::Duplicate => warnings.push(format!("{}: {}", f.file_name, f.detail)),
            ImportOutcome::RejectedRows => warnings.push(format!(
                "{}: {} row(s) rejected ({} shift(s)); the file and its report are in rejects/{date}/{named}",
                f.file_name, f.rows_rejected, f.shifts_rejected
            )),
            ImportOutcome::Imported if !f.detail.is_empty() => {
                warnings.push(format!("{}: {}", f.file_name, f.detail))
            }
            ImportOutcome::Imported => {}
        }
    }
    StepReport {
        totals: StepTotals::Ingest(counts),
        warnings,
    }
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
        assert_eq!(
            kind_of("base-rates-2026-11.csv").map(FileKind::name),
            Some("base-rates")
        );
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
            kind_of("base-rates.csv"),
            kind_of("payers.csv"),
            kind_of("cost-centres.csv"),
        ];
        kinds.sort();
        let names: Vec<&str> = kinds.into_iter().flatten().map(FileKind::name).collect();
        assert_eq!(
            names,
            [
                "cost-centres",
                "payers",
                "workers",
                "base-rates",
                "rate-card",
                "shifts"
            ]
        );
        assert_eq!(INGEST_ORDER.len(), ReferenceKind::ALL.len());
        for kind in ReferenceKind::ALL {
            assert!(INGEST_ORDER.contains(&kind));
        }
    }

    #[test]
    fn stored_names_are_bounded_and_safe() {
        assert_eq!(stored_name("shifts-2026-11.csv"), "shifts-2026-11.csv");
        let long = format!("shifts-{}{}.csv", "é".repeat(100), "x".repeat(40));
        assert_eq!(long.len(), 251);
        let stored = stored_name(&long);
        assert!(stored.len() <= STORED_NAME_MAX, "{}", stored.len());
        assert!(
            stored.starts_with("shifts-éé") && stored.ends_with(".csv"),
            "{stored}"
        );
        assert_ne!(
            stored_name(&format!("{long}x")),
            stored,
            "a digest tells names apart"
        );
        let forged = stored_name("shifts/../x\n  ingest done\u{202e}.csv");
        assert!(
            !forged
                .chars()
                .any(|c| matches!(c, '/' | '\\') || is_hidden(c)),
            "{forged:?}"
        );
        assert!(
            forged.starts_with("shifts_.._x_  ingest done_~"),
            "{forged:?}"
        );
        assert_ne!(stored_name("a\nb.csv"), stored_name("a_b.csv"));
        // The names written beside a stored file stay within the file system's limit.
        assert!(format!(".{stored}.rejects.csv.part").len() < 255);
    }

    #[test]
    fn a_list_of_problems_is_shown_on_one_line() {
        assert_eq!(
            one_line("w.csv: nothing imported; 2 problem(s):\n  row 2, name: empty\n  row 3, x: y"),
            "w.csv: nothing imported; 2 problem(s): row 2, name: empty; row 3, x: y"
        );
        assert_eq!(one_line("w.csv: cannot read"), "w.csv: cannot read");
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
                outcome: ImportOutcome::RejectedRows,
                rows_read: 10,
                shifts_new: 6,
                shifts_rejected: 1,
                rows_rejected: 2,
                ..IngestFile::default()
            },
            IngestFile {
                file_name: "odd.csv".into(),
                kind: "unknown".into(),
                outcome: ImportOutcome::Refused,
                detail: "no kind".into(),
                ..IngestFile::default()
            },
            IngestFile {
                file_name: "rate-card.csv".into(),
                kind: "rate-card".into(),
                outcome: ImportOutcome::Imported,
                rows_read: 1,
                detail: "the stored entry from 2025-01-01 now ends on 2026-10-31".into(),
                ..IngestFile::default()
            },
        ];
        let report = report_of(
            &files,
            "2026-11-30".parse().expect("date"),
            &BTreeSet::new(),
        );
        let StepTotals::Ingest(counts) = report.totals else {
            panic!("ingest's totals: {:?}", report.totals);
        };
        assert_eq!(counts.files, 3);
        assert_eq!(counts.files_refused, 1);
        assert_eq!(counts.shifts_new, 6);
        assert_eq!(counts.rows_rejected, 2);
        assert_eq!(counts.reference_rows, 1);
        assert_eq!(report.warnings.len(), 3);
        assert!(report.warnings[0].contains("2 row(s) rejected"));
        assert_eq!(
            report.warnings[2],
            "rate-card.csv: the stored entry from 2025-01-01 now ends on 2026-10-31",
            "what a reference file changed beyond its rows is said"
        );
    }
}
