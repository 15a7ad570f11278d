//! `tms demo`: writes a synthetic provider's files, imports them with the same code as
//! `tms import`, and prints charges per person and the rows that were rejected.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;

use super::{ExitStatus, open_store, reference};
use crate::calendar::Period;
use crate::config::Settings;
use crate::demo::{DemoSpec, generate};
use crate::domain::{Pence, Unit};
use crate::report::{Format, charge_lines};

/// Options of `tms demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Seed of the synthetic data: the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// People supported.
    #[arg(long, default_value_t = 50)]
    pub people: usize,
    /// Support workers.
    #[arg(long, default_value_t = 80)]
    pub workers: usize,
    /// First month of shifts (YYYY-MM).
    #[arg(long, default_value = "2026-08")]
    pub from: Period,
    /// Number of months.
    #[arg(long, default_value_t = 3)]
    pub months: u32,
    /// Where the CSV files are written (default: <data_dir>/demo).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Generates, imports and summarises the demo provider.
pub async fn run(settings: &Settings, args: DemoArgs) -> anyhow::Result<ExitStatus> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| settings.paths.data_dir.join("demo"));
    let first = args.from.first_day();
    let spec = DemoSpec {
        seed: args.seed,
        people: args.people,
        workers: args.workers,
        first_month: (
            chrono::Datelike::year(&first),
            chrono::Datelike::month(&first),
        ),
        months: args.months,
    };
    let files = generate(&spec, &dir)
        .with_context(|| format!("writing the demo files to {}", dir.display()))?;
    println!(
        "Demo provider: {} people, {} workers, {} month(s) from {}; files in {}",
        spec.people,
        spec.workers,
        spec.months,
        args.from,
        dir.display()
    );

    let last = (0..args.months.saturating_sub(1))
        .fold(args.from, |p, _| p.next())
        .last_day();
    // The night the last month closes: its last day and the close delay after it.
    let night = last + chrono::Duration::days(settings.runner.period_close_days.max(0));
    // The files go through the inbox and the nightly pipeline, as a provider's would.
    let mut run_settings = settings.clone();
    run_settings.runner.settle_seconds = 0;
    let inbox = &run_settings.runner.inbox_dir;
    crate::files::create_private_dir_all(inbox)
        .with_context(|| format!("creating the inbox {}", inbox.display()))?;
    for path in files.reference.iter().map(|(_, p)| p).chain(&files.shifts) {
        let target = inbox.join(path.file_name().unwrap_or_default());
        crate::files::copy_private(path, &target)
            .with_context(|| format!("copying {} to the inbox", path.display()))?;
    }
    println!(
        "Files copied to the inbox {}; running the nightly pipeline for {night}",
        inbox.display()
    );
    println!();
    let store = open_store(settings).await?;
    let request = crate::pipeline::RunRequest {
        business_date: night,
        only: None,
        // Running the demo again re-runs every step (none issues documents yet) rather than
        // finding the night done.
        force: crate::pipeline::forceable(),
        dry_run: false,
    };
    let outcome = crate::pipeline::run(&store, &run_settings, &request).await?;
    let status = super::run::print_outcome(&outcome);
    anyhow::ensure!(
        status == ExitStatus::Ok,
        "the demo's nightly run did not finish cleanly"
    );
    print_shift_counts(&store, night).await?;
    let rejected_files: Vec<String> = files
        .shifts
        .iter()
        .map(|p| crate::capture::csv_input::display_name(p))
        .collect();

    let reference = reference(&store, settings).await?;
    let (lines, _) = charge_lines(&store, &reference, first, last, None).await?;
    print_charges_per_person(&lines)?;

    println!();
    println!("Rejected rows (deliberately bad input; the rest of each file was kept):");
    let mut all =
        crate::report::Table::new(&["file", "row", "worker_id", "shift_ref", "field", "reason"]);
    for file in &rejected_files {
        all.rows
            .extend(crate::report::rejects(&store, Some(file)).await?.rows);
    }
    all.write(Format::Table, &mut std::io::stdout().lock())?;
    println!();
    println!("Next: tms report charges --from {first} --to {last} --format table");
    println!("      tms run nightly   (each night; see the README for scheduling)");
    println!("      tms report allocation --period {}", args.from);
    store.close().await;
    Ok(ExitStatus::Ok)
}

/// `Shifts in the files: 6,457 — 0 new, 0 amended, 6,457 unchanged; 12 rejected`: what the
/// night's import did with the shift files, from the ingest step's record. Run again, the demo
/// finds every shift unchanged.
async fn print_shift_counts(
    store: &crate::store::Store,
    date: chrono::NaiveDate,
) -> anyhow::Result<()> {
    let key = crate::pipeline::RunKey::Date(date).to_string();
    let run = crate::store::runs::job_run(store, crate::pipeline::Step::Ingest, &key).await?;
    if let Some(crate::domain::step::StepTotals::Ingest(c)) = run.map(|r| r.totals) {
        println!();
        println!(
            "Shifts in the files: {} — {} new, {} amended, {} unchanged; {} rejected",
            thousands(c.shifts_new + c.shifts_amended + c.shifts_unchanged),
            thousands(c.shifts_new),
            thousands(c.shifts_amended),
            thousands(c.shifts_unchanged),
            thousands(c.shifts_rejected),
        );
    }
    Ok(())
}

/// 6457 as `6,457` (counts are never negative).
fn thousands(n: i64) -> String {
    let digits = n.max(0).to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn print_charges_per_person(
    lines: &[crate::cost::ChargeLine],
) -> Result<(), crate::domain::money::MoneyError> {
    #[derive(Default)]
    struct Totals {
        minutes: i64,
        nights: i64,
        lines: usize,
        amount: Pence,
    }
    let mut per_person: BTreeMap<&str, Totals> = BTreeMap::new();
    for line in lines {
        let person = line.key.person_id.as_str();
        let totals = per_person.entry(person).or_default();
        totals.lines += 1;
        totals.amount = Pence::checked_sum(
            [totals.amount, line.amount],
            &format!("the charges of {person}"),
        )?;
        match line.key.unit {
            Unit::Hour => totals.minutes += line.minutes,
            Unit::Night => totals.nights += line.units,
            Unit::Fixed => {}
        }
    }
    let total = Pence::checked_sum(per_person.values().map(|t| t.amount), "the demo's charges")?;
    println!();
    println!(
        "{:<10} {:>8} {:>7} {:>6} {:>12}",
        "person", "hours", "nights", "lines", "charges £"
    );
    for (person, t) in &per_person {
        println!(
            "{person:<10} {:>8} {:>7} {:>6} {:>12}",
            format!("{}:{:02}", t.minutes / 60, t.minutes % 60),
            t.nights,
            t.lines,
            t.amount.to_string()
        );
    }
    println!(
        "{:<10} {:>8} {:>7} {:>6} {:>12}",
        "total",
        "",
        "",
        lines.len(),
        total.to_string()
    );
    Ok(())
}
