//! The period-charges step: when a period closes, writes its charges (one row per invoice line,
//! docs/formats.md) and allocation totals to `OUTPUT/periods/PERIOD/`, each file whole or not at
//! all, and records what the period closed with — each payer's share of each person's charges,
//! each shift's charges to each person, each priced one-off item — in the transaction that marks
//! the step done. A closed period's files are never written again, not on a later night and not
//! with `--force`: changes to its dates are the late-changes step's to report. Invoices,
//! statements, direct debit and payroll join as period steps beside it.

use chrono::Utc;

use super::run::StepOutput;
use super::summary::pounds;
use super::{PipelineError, RunKey, StepContext};
use crate::domain::step::{PeriodChargesCounts, StepReport, StepTotals};
use crate::report::Format;

pub(crate) async fn run(context: &StepContext<'_>) -> Result<StepOutput, PipelineError> {
    let RunKey::Period(period) = context.key else {
        return Err(PipelineError::Step("period-charges runs per period".into()));
    };
    let store = context.store;
    if let Some(closed) = crate::store::closed::closed_period(store, &period.to_string()).await? {
        return Ok(StepReport {
            totals: StepTotals::PeriodCharges {
                counts: PeriodChargesCounts {
                    charge_lines: closed.charge_lines,
                    people: closed.people,
                },
                charges: closed.amount_pence,
            },
            warnings: vec![format!(
                "{period} closed at {} with charges of {}: its files are kept as they were, and changes since are the late-changes step's to report",
                closed.closed_at.format("%Y-%m-%d %H:%M UTC"),
                pounds(closed.amount_pence)
            )],
        }
        .into());
    }
    let reference = super::load_reference(store, context.settings).await?;
    // The total is checked before any file is written, so an out-of-range period writes nothing.
    let charges = crate::report::closed::period_charges(store, &reference, period)
        .await
        .map_err(|e| PipelineError::Step(e.to_string()))?;
    let allocation = crate::report::allocation_totals(store, period)
        .await
        .map_err(|e| PipelineError::Step(e.to_string()))?;
    let folder = context
        .settings
        .paths
        .output_dir
        .join("periods")
        .join(period.to_string());
    context.check_lease()?;
    write_table(
        &folder,
        "charges.csv",
        &crate::report::charges_table(&charges.lines),
    )?;
    write_table(
        &folder,
        "allocation.csv",
        &crate::report::allocation_table(period, &allocation),
    )?;
    Ok(StepOutput {
        report: StepReport {
            totals: StepTotals::PeriodCharges {
                counts: PeriodChargesCounts {
                    charge_lines: charges.lines.len() as i64,
                    people: charges.people as i64,
                },
                charges: charges.total,
            },
            warnings: Vec::new(),
        },
        closings: vec![charges.closing(Utc::now(), false)],
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
