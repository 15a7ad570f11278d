//! The run report: what ran, its counts and money totals, warnings and rejects, as plain text
//! for the terminal, the `run_report` table and finance's inbox. Every warning and error is one
//! line with its control characters shown as escapes, so nothing a file name or a value holds
//! can break or forge a line of it.

use std::fmt::Write;

use chrono::NaiveDate;

use crate::domain::Pence;
use crate::domain::step::StepTotals;
use crate::report::output::visible;
use crate::store::runs::{JobRun, JobStatus};

/// What a report is made from.
pub struct ReportInput<'a> {
    pub business_date: NaiveDate,
    pub outcome: JobStatus,
    pub runs: &'a [JobRun],
    pub dry_run: bool,
}

/// The subject line of the emailed report.
pub fn subject(date: NaiveDate, outcome: JobStatus, runs: &[JobRun]) -> String {
    let warnings: usize = runs.iter().map(|r| r.warnings.len()).sum();
    match outcome {
        JobStatus::Failed => {
            let failed = runs
                .iter()
                .find(|r| r.status == JobStatus::Failed)
                .map_or("a step", |r| r.step.name());
            format!("tms nightly run for {date}: FAILED at {failed}")
        }
        _ if warnings > 0 => format!("tms nightly run for {date}: done, {warnings} warning(s)"),
        _ => format!("tms nightly run for {date}: done"),
    }
}

/// `files 2, shifts new 40, charges £1,234.56`: a step's counts that are not zero, in name
/// order, then its money total if it has one.
pub fn counts_text(totals: &StepTotals) -> String {
    let mut counts = totals.counts();
    counts.sort_unstable_by_key(|(name, _)| *name);
    let mut parts: Vec<String> = counts
        .iter()
        .filter(|(_, v)| *v != 0)
        .map(|(k, v)| format!("{} {v}", k.replace('_', " ")))
        .collect();
    if let Some((label, amount)) = totals.money()
        && amount != Pence::ZERO
    {
        parts.push(format!("{label} {}", pounds(amount)));
    }
    if parts.is_empty() {
        "nothing to do".to_owned()
    } else {
        parts.join(", ")
    }
}

/// £1,234.56 from pence.
pub fn pounds(amount: Pence) -> String {
    let pence = amount.get();
    // The magnitude as a decimal, so that even the most negative amount has one.
    let text = rust_decimal::Decimal::from_i128_with_scale(i128::from(pence).abs(), 2).to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if pence < 0 { "-" } else { "" };
    format!("{sign}£{grouped}.{fraction}")
}

/// The report text.
pub fn render(input: &ReportInput<'_>) -> String {
    let mut out = String::new();
    let outcome = match input.outcome {
        JobStatus::Failed => "FAILED",
        _ => "done",
    };
    let prefix = if input.dry_run {
        "DRY RUN (nothing was written) "
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{prefix}tms nightly run for {}: {outcome}",
        input.business_date
    );
    let _ = writeln!(out);
    let width = input
        .runs
        .iter()
        .map(|r| r.step.name().len() + r.run_key.len() + 1)
        .max()
        .unwrap_or(0);
    // A step still running is the report's own (or one a crash left), and the report and send
    // steps come after the report: only their failures belong in it.
    let shown = |r: &&JobRun| match r.status {
        JobStatus::Running => false,
        JobStatus::Done => r.step.info().reported_when_done,
        JobStatus::Failed => true,
    };
    for run in input.runs.iter().filter(shown) {
        let label = format!("{} {}", run.step, run.run_key);
        let status = match run.status {
            JobStatus::Done => "done",
            JobStatus::Failed => "FAILED",
            JobStatus::Running => "running",
        };
        let attempts = if run.attempts > 1 {
            format!(" (attempt {})", run.attempts)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {label:<width$}  {status:<7} {}{attempts}",
            if run.status == JobStatus::Done {
                counts_text(&run.totals)
            } else {
                String::new()
            }
        );
        if let Some(error) = &run.error {
            let _ = writeln!(out, "      error: {}", visible(error));
        }
    }
    let warnings: Vec<(&str, &str)> = input
        .runs
        .iter()
        .flat_map(|r| r.warnings.iter().map(move |w| (r.step.name(), w.as_str())))
        .collect();
    if !warnings.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Warnings:");
        for (step, warning) in warnings {
            let _ = writeln!(out, "  - {step}: {}", visible(warning));
        }
    }
    if input.outcome == JobStatus::Failed {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Steps done before the failure are kept, and nothing of the failed step was half-written. Fix the cause and run `tms run nightly --date {}` again: done steps are skipped and the failed one resumes.",
            input.business_date
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::step::Step;

    fn run(step: &str, key: &str, status: JobStatus, counts: &[(&str, i64)], pence: i64) -> JobRun {
        let step = Step::from_name(step).expect("a step");
        JobRun {
            id: 1,
            step,
            run_key: key.into(),
            status,
            attempts: 1,
            started_at: chrono::DateTime::UNIX_EPOCH,
            finished_at: None,
            totals: StepTotals::from_parts(step, counts.iter().copied(), Pence::new(pence))
                .expect("the step's counts"),
            warnings: Vec::new(),
            error: None,
        }
    }

    #[test]
    fn money_is_grouped_in_pounds() {
        let pounds = |pence| pounds(Pence::new(pence));
        assert_eq!(pounds(123_456), "£1,234.56");
        assert_eq!(pounds(5), "£0.05");
        assert_eq!(pounds(-100_000_000), "-£1,000,000.00");
        assert_eq!(pounds(i64::MIN), "-£92,233,720,368,547,758.08");
        assert_eq!(pounds(i64::MAX), "£92,233,720,368,547,758.07");
    }

    #[test]
    fn money_is_labelled_by_its_step() {
        let allocate = run(
            "allocate",
            "2026-11-30",
            JobStatus::Done,
            &[("charge_lines_month_to_date", 3), ("shifts", 2)],
            1_050,
        );
        assert_eq!(
            counts_text(&allocate.totals),
            "charge lines month to date 3, shifts 2, charges month to date £10.50"
        );
        let period = run(
            "period-charges",
            "2026-11",
            JobStatus::Done,
            &[("people", 1)],
            1_050,
        );
        assert_eq!(counts_text(&period.totals), "people 1, charges £10.50");
        let quiet = run(
            "send-outbox",
            "2026-11-30",
            JobStatus::Done,
            &[("sent", 0)],
            0,
        );
        assert_eq!(counts_text(&quiet.totals), "nothing to do");
    }

    #[test]
    fn the_report_and_send_steps_are_shown_only_when_they_fail() {
        let runs = vec![
            run("ingest", "2026-11-30", JobStatus::Done, &[("files", 1)], 0),
            run("report", "2026-11-30", JobStatus::Done, &[], 0),
            run(
                "send-outbox",
                "2026-11-30",
                JobStatus::Done,
                &[("sent", 1)],
                0,
            ),
        ];
        let text = render(&ReportInput {
            business_date: "2026-11-30".parse().expect("date"),
            outcome: JobStatus::Done,
            runs: &runs,
            dry_run: false,
        });
        assert!(
            text.lines()
                .any(|l| l.starts_with("  ingest 2026-11-30 ") && l.ends_with(" done    files 1")),
            "{text}"
        );
        assert!(
            !text.contains("report 2026-11-30") && !text.contains("send-outbox"),
            "{text}"
        );
        let mut failed = run("send-outbox", "2026-11-30", JobStatus::Failed, &[], 0);
        failed.error = Some("no route to host".into());
        let text = render(&ReportInput {
            business_date: "2026-11-30".parse().expect("date"),
            outcome: JobStatus::Failed,
            runs: &[failed],
            dry_run: false,
        });
        assert!(text.contains("send-outbox 2026-11-30  FAILED"), "{text}");
    }

    #[test]
    fn a_report_lists_steps_counts_and_warnings() {
        let mut ingest = run(
            "ingest",
            "2026-11-30",
            JobStatus::Done,
            &[("files", 2), ("rows_rejected", 3)],
            0,
        );
        ingest.warnings.push("shifts-a.csv: 3 rows rejected".into());
        let runs = vec![
            ingest,
            run(
                "period-charges",
                "2026-11",
                JobStatus::Done,
                &[("charge_lines", 40)],
                1_234_500,
            ),
        ];
        let text = render(&ReportInput {
            business_date: "2026-11-30".parse().expect("date"),
            outcome: JobStatus::Done,
            runs: &runs,
            dry_run: false,
        });
        assert!(text.starts_with("tms nightly run for 2026-11-30: done\n"));
        assert!(text.contains("files 2, rows rejected 3"));
        assert!(text.contains("lines 40, charges £12,345.00"));
        assert!(text.contains("  - ingest: shifts-a.csv: 3 rows rejected"));
        assert_eq!(
            subject("2026-11-30".parse().expect("date"), JobStatus::Done, &runs),
            "tms nightly run for 2026-11-30: done, 1 warning(s)"
        );
    }

    #[test]
    fn a_file_name_cannot_forge_a_line_of_the_report() {
        let mut ingest = run("ingest", "2026-11-30", JobStatus::Done, &[("files", 1)], 0);
        ingest.warnings.push(
            "shifts-x\n  ingest done\u{2028}  allocate done\r\u{202e}.csv: refused, moved to rejects/2026-11-30/"
                .into(),
        );
        let mut failed = run("allocate", "2026-11-30", JobStatus::Failed, &[], 0);
        failed.error = Some("shifts-y\n  report 2026-11-30  done.csv: cannot read".into());
        let runs = vec![ingest, failed];
        let text = render(&ReportInput {
            business_date: "2026-11-30".parse().expect("date"),
            outcome: JobStatus::Failed,
            runs: &runs,
            dry_run: false,
        });
        for line in text.lines() {
            let line = line.trim_start();
            assert!(
                !line.starts_with("ingest done")
                    && !line.starts_with("allocate done")
                    && !line.starts_with("report 2026-11-30"),
                "a forged line: {line:?} in\n{text}"
            );
        }
        assert!(
            !text.contains(['\r', '\u{2028}', '\u{202e}']),
            "control characters are not obeyed: {text:?}"
        );
        assert!(
            text.contains(
                "  - ingest: shifts-x\\n  ingest done\\u{2028}  allocate done\\r\\u{202e}.csv: refused"
            ),
            "{text}"
        );
        assert!(
            text.contains("      error: shifts-y\\n  report 2026-11-30  done.csv: cannot read"),
            "{text}"
        );
    }

    #[test]
    fn a_failed_report_names_the_step_and_how_to_resume() {
        let mut failed = run("allocate", "2026-11-30", JobStatus::Failed, &[], 0);
        failed.error = Some("database error: disk full".into());
        let runs = vec![failed];
        let text = render(&ReportInput {
            business_date: "2026-11-30".parse().expect("date"),
            outcome: JobStatus::Failed,
            runs: &runs,
            dry_run: true,
        });
        assert!(
            text.starts_with(
                "DRY RUN (nothing was written) tms nightly run for 2026-11-30: FAILED"
            )
        );
        assert!(text.contains("error: database error: disk full"));
        assert!(text.contains("tms run nightly --date 2026-11-30"));
        assert!(
            subject(
                "2026-11-30".parse().expect("date"),
                JobStatus::Failed,
                &runs
            )
            .ends_with("FAILED at allocate")
        );
    }
}
