//! A synthetic provider for trying tms end to end: writes reference files and monthly shift files
//! in the formats of docs/formats.md, deterministically from a seed. Pure file writing: nothing
//! here touches the database.
//!
//! What a run produces (see [`generate`]):
//! - a few regions, each with supported-living cost centres (houses of two or three people with
//!   shared 1:2 and 1:3 support, individual 1:1 hours, sleep-ins with occasional awake periods or
//!   waking nights) and a community team (1:1 calls in rounds with travel between them, outreach);
//! - the services, a rate card holding the docs/rules.md worked-example rates plus one council's own
//!   prices, pay rules, councils, NHS, self-funding people and family representatives as payers,
//!   full, percentage and contribution arrangements, budgets and fixed-price one-offs;
//! - one shift file per month, every day staffed from per-worker timelines so that no worker's
//!   shifts overlap, with a handful of deliberately broken rows listed in [`DemoFiles::bad_rows`].
//!
//! Times are written for the `Europe/London` zone (tms's default). Output streams one day at a
//! time, so the same code writes a benchmark month for thousands of people.

mod clock;
mod menu;
mod names;
mod provider;
mod reference;
mod roster;
mod rows;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use crate::domain::LocalZone;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSpec {
    /// Seed of every random choice: the same spec writes the same bytes.
    pub seed: u64,
    /// People supported.
    pub people: usize,
    /// Support workers.
    pub workers: usize,
    /// The first month of shifts, `(year, month)`.
    pub first_month: (i32, u32),
    /// How many months of shifts, one file each.
    pub months: u32,
}

impl Default for DemoSpec {
    /// 50 people and 80 workers, August to October 2026 (a bank holiday and the clocks going back).
    fn default() -> Self {
        DemoSpec {
            seed: 42,
            people: 50,
            workers: 80,
            first_month: (2026, 8),
            months: 3,
        }
    }
}

/// Which deliberate problem a [`BadRow`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BadKind {
    /// A local time without an offset in the hour the clocks go back.
    Ambiguous,
    /// `end` before `start`.
    EndBeforeStart,
    /// A time with `:30` seconds.
    Seconds,
    /// A person id that is not in the people file.
    UnknownPerson,
    /// A service code that is not in the services file.
    UnknownService,
    /// A second shift of a worker inside one of their other shifts, later in the file.
    Overlap,
    /// A valid shift whose rows are apart in the file (row order must not matter).
    SplitRows,
}

/// A row written wrong on purpose (or, for [`BadKind::SplitRows`], written apart on purpose).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    pub kind: BadKind,
    /// The shift file it is in.
    pub file: PathBuf,
    /// Its row number, counting the header as row 1 (as tms's reject report does).
    pub row: u64,
    pub worker_id: String,
    pub shift_ref: String,
    /// The column tms should name.
    pub field: &'static str,
    /// The reason tms should give; for the split shift, where its rows are.
    pub reason: String,
    /// Whether tms should reject the shift (false only for the split shift).
    pub rejected: bool,
}

/// The files written, in import order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoFiles {
    /// `(import kind, path)` in a valid import order: cost-centres, services, payers, workers,
    /// people, arrangements, rate-card, pay-rules, budgets, one-offs.
    pub reference: Vec<(&'static str, PathBuf)>,
    /// One file per month, `shifts-YYYY-MM.csv`, in month order.
    pub shifts: Vec<PathBuf>,
    /// Every deliberately broken row, and the deliberately split valid shift.
    pub bad_rows: Vec<BadRow>,
    /// Data rows written to the shift files, the bad rows included. Each rejected bad shift is
    /// one row, so tms should accept `segments - (rejected bad rows)` segments.
    pub segments: u64,
    /// Valid shifts written (the bad ones not counted).
    pub shift_count: u64,
    /// Planned shifts no worker was free for (left out of the files); 0 when staffing is ample.
    pub unstaffed_shifts: u64,
}

/// Why the demo could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("invalid demo spec: {0}")]
    Spec(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    /// A total of the synthetic provider's money left the range of 64-bit pence.
    #[error(transparent)]
    Money(#[from] crate::domain::money::MoneyError),
}

/// The calendar months of `spec`, in order.
fn months_of(spec: &DemoSpec) -> Vec<(i32, u32)> {
    let (mut year, mut month) = spec.first_month;
    (0..spec.months)
        .map(|_| {
            let this = (year, month);
            if month == 12 {
                year += 1;
                month = 1;
            } else {
                month += 1;
            }
            this
        })
        .collect()
}

fn check(spec: &DemoSpec) -> Result<(), DemoError> {
    let (year, month) = spec.first_month;
    if !(1..=12).contains(&month) {
        return Err(DemoError::Spec(format!(
            "first_month {year}-{month}: the month must be 1 to 12"
        )));
    }
    if !(2000..=2100).contains(&year) {
        return Err(DemoError::Spec(format!(
            "first_month {year}-{month:02}: the year must be 2000 to 2100"
        )));
    }
    if spec.people == 0 || spec.workers == 0 || spec.months == 0 {
        return Err(DemoError::Spec(
            "people, workers and months must each be at least 1".to_owned(),
        ));
    }
    if spec.months > 120 {
        return Err(DemoError::Spec(format!(
            "{} months is more than the 120 the generator writes",
            spec.months
        )));
    }
    Ok(())
}

/// Writes the synthetic provider into `dir` (created if missing): the reference files, then one
/// shift file per month. Deterministic for a spec.
pub fn generate(spec: &DemoSpec, dir: &Path) -> Result<DemoFiles, DemoError> {
    check(spec)?;
    crate::files::create_private_dir_all(dir).map_err(|source| DemoError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let months = months_of(spec);
    let (y0, m0) = spec.first_month;
    let first_day = clock::days_from_civil(y0, m0, 1);
    let last_day = months
        .last()
        .map_or(first_day, |&(y, m)| roster::month_end(y, m));
    let years = reference::financial_years(first_day, last_day);
    let effective_from = years.first().map_or(first_day, |y| y.0);

    let provider = provider::Provider::build(spec, first_day, last_day);
    let files = reference::write_reference(&provider, dir, effective_from)?;
    let clock = clock::Clock::new(LocalZone::default(), first_day, last_day);
    let outcome = roster::Roster::new(spec, &provider, &clock).write_months(dir, &months)?;
    let generated_days = last_day - first_day + 1;
    reference::write_budgets(
        &provider,
        dir,
        spec.seed,
        &outcome.charges,
        generated_days,
        &years,
    )?;

    Ok(DemoFiles {
        reference: files,
        shifts: outcome.files,
        bad_rows: outcome.bad_rows,
        segments: outcome.segments,
        shift_count: outcome.shifts,
        unstaffed_shifts: outcome.unstaffed,
    })
}
