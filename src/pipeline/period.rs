//! The period-charges step: when a period has closed, writes its charges (one row per invoice
//! line, docs/formats.md) and allocation totals to `OUTPUT/periods/PERIOD/`, each file whole or
//! not at all. Invoices, statements, direct debit and payroll join as period steps beside it.

use super::{PipelineError, RunKey, StepContext};
use crate::domain::step::{PeriodChargesCounts, StepReport, StepTotals};
use crate::report::Format;

pub async fn run(context: &StepContext<'_>) -> Result<StepReport, PipelineError> {
    let RunKey::Period(period) = context.key else {
        return Err(PipelineError::Step("period-charges runs per period".into()));
    };
    let store = context.store;
    let reference = super::load_reference(store, context.settings).await?;
    let lines =
        super::charges_between(store, &reference, period.first_day(), period.last_day()).await?;
    let allocation = crate::report::allocation_totals(store, period)
        .await
        .map_err(|e| PipelineError::Step(e.to_string()))?;
    // The total is checked before any file is written, so an out-of-range period writes nothing.
    let what = format!("the charges for {period}");
    let amount = crate::domain::Pence::checked_sum(lines.iter().map(|l| l.amount), &what)?;
    let folder = context
        .settings
        .paths
        .output_dir
        .join("periods")
        .join(period.to_string());
    write_table(
        &folder,
        "charges.csv",
        &crate::report::charges_table(&lines),
    )?;
    write_table(
        &folder,
        "allocation.csv",
        &crate::report::allocation_table(period, &allocation),
    )?;
    let people: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l.key.person_id.as_str()).collect();
    Ok(StepReport {
        totals: StepTotals::PeriodCharges {
            counts: PeriodChargesCounts {
                charge_lines: lines.len() as i64,
                people: people.len() as i64,
            },
            charges: amount,
        },
        warnings: Vec::new(),
    })
}

fn write_table(
    folder: &std::path::Path,
    name: &str,
    table: &crate::report::Table,
) -> Result<(), PipelineError> {
    let target = folder.join(name);
    let io = |source| PipelineError::Io {
        path: target.display().to_string(),
        source,
    };
    let mut bytes = Vec::new();
    table.write(Format::Csv, &mut bytes).map_err(io)?;
    crate::files::write_whole(&target, &bytes).map_err(io)
}
