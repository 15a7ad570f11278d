//! The late-changes step: every night, each closed period's charges as they stand are compared
//! with what the period closed with, and each period whose charges changed since — a shift
//! approved, amended or withdrawn, a one-off item added, a recost after a rate change — is a
//! warning of the run report, night after night, until invoicing settles it. A period whose files
//! were written before closed totals were kept has its totals taken on the first night it is
//! checked, recorded with the step.

use chrono::Utc;

use super::run::StepOutput;
use super::summary::pounds;
use super::{PipelineError, StepContext};
use crate::calendar::Period;
use crate::domain::Pence;
use crate::domain::step::{LateChangesCounts, StepReport, StepTotals};
use crate::report::closed::{LateChanges, compare, period_charges};

pub(crate) async fn run(context: &StepContext<'_>) -> Result<StepOutput, PipelineError> {
    let store = context.store;
    let reference = super::load_reference(store, context.settings).await?;
    let step_error = |e: crate::report::ReportError| PipelineError::Step(e.to_string());
    let mut counts = LateChangesCounts::ZERO;
    let mut warnings = Vec::new();
    let mut closings = Vec::new();
    let mut net = Pence::ZERO;

    let closed: Vec<String> = crate::store::closed::closed_periods(store)
        .await?
        .into_iter()
        .map(|c| c.period)
        .collect();
    for written in crate::store::closed::periods_written(store).await? {
        if closed.contains(&written) {
            continue;
        }
        let Ok(period) = written.parse::<Period>() else {
            continue;
        };
        context.check_lease()?;
        let charges = period_charges(store, &reference, period)
            .await
            .map_err(step_error)?;
        warnings.push(format!(
            "{period} closed before closed totals were kept: its charges as they stand tonight ({}) are taken as what it closed with, and later changes are reported against them",
            pounds(charges.total)
        ));
        counts.periods += 1;
        closings.push(charges.closing(Utc::now(), true));
    }

    for name in &closed {
        let Ok(period) = name.parse::<Period>() else {
            return Err(PipelineError::Step(format!(
                "closed period {name:?} is not a period like 2026-10"
            )));
        };
        context.check_lease()?;
        let Some(record) = crate::store::closed::load(store, name).await? else {
            continue;
        };
        let now = period_charges(store, &reference, period)
            .await
            .map_err(step_error)?;
        let changes = compare(&record, &now)?;
        counts.periods += 1;
        if changes.any() {
            counts.periods_changed += 1;
            counts.shifts_changed += changes.shifts as i64;
            counts.one_offs_changed += changes.one_offs as i64;
            counts.people_changed += changes.people as i64;
            net = net.checked_add(changes.net)?;
            warnings.push(warning(&changes));
        }
    }
    Ok(StepOutput {
        report: StepReport {
            totals: StepTotals::LateChanges {
                counts,
                net_change: net,
            },
            warnings,
        },
        closings,
    })
}

/// `3 shifts changed in closed period 2026-10: +£117.70 ...`: one period's late changes in a
/// line of the run report.
pub fn warning(changes: &LateChanges) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut what = Vec::new();
    if changes.shifts > 0 {
        what.push(plural(changes.shifts, "shift", "shifts"));
    }
    if changes.one_offs > 0 {
        what.push(plural(changes.one_offs, "one-off item", "one-off items"));
    }
    let what = if what.is_empty() {
        format!(
            "the division between payers of {}",
            plural(changes.people, "person's charges", "people's charges")
        )
    } else {
        what.join(" and ")
    };
    format!(
        "{what} changed in closed period {}: {} against what it closed with; tms report late-changes --period {} lists them",
        changes.period,
        signed_pounds(changes.net),
        changes.period
    )
}

/// `+£117.70`, `-£21.00`, `£0.00`.
pub fn signed_pounds(amount: Pence) -> String {
    if amount.get() > 0 {
        format!("+{}", pounds(amount))
    } else {
        pounds(amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(shifts: usize, one_offs: usize, people: usize, net: i64) -> LateChanges {
        LateChanges {
            period: "2026-10".parse().expect("period"),
            closed_at: chrono::DateTime::UNIX_EPOCH,
            changes: Vec::new(),
            shifts,
            one_offs,
            people,
            net: Pence::new(net),
        }
    }

    #[test]
    fn a_warning_names_what_changed_and_the_net_change_in_pence() {
        assert_eq!(
            warning(&changes(3, 0, 2, 11_770)),
            "3 shifts changed in closed period 2026-10: +£117.70 against what it closed with; tms report late-changes --period 2026-10 lists them"
        );
        assert!(
            warning(&changes(1, 1, 1, -2_100)).starts_with(
                "1 shift and 1 one-off item changed in closed period 2026-10: -£21.00 "
            )
        );
        assert!(
            warning(&changes(0, 0, 2, 0)).starts_with(
                "the division between payers of 2 people's charges changed in closed period 2026-10: £0.00 "
            )
        );
    }
}
