//! `tms audit`: who changed a shift or a reference record, what they changed and when, with the
//! values before and after, oldest first.

use std::io::Write;

use clap::Subcommand;

use super::{ExitStatus, open_store};
use crate::capture::ReferenceKind;
use crate::config::Settings;
use crate::report::Format;
use crate::report::audit::{
    reference_audit, reference_json, reference_table, shift_audit_by_name, shift_json, shift_table,
};

/// `tms audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The changes to one shift: created, amended, approved, rejected, withdrawn.
    Shift {
        /// The shift as WORKER/SHIFT_REF, the worker_id and shift_ref of its file or API
        /// submission (W0001/S1234).
        shift: String,
        /// Show care notes before and after; without it a changed note shows only that it
        /// changed.
        #[arg(long)]
        notes: bool,
        /// table (one row per value that changed), csv of the same rows, or json (each change
        /// whole, as the API gives it).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The changes to the reference records of one kind with a key.
    Reference {
        /// The reference kind, as imported: cost-centres, services, workers, people, payers,
        /// arrangements, rate-card, pay-rules, budgets, bank-holidays, one-offs.
        kind: String,
        /// The record's key, or its first parts: W0001, P0001|LA1 (an arrangement),
        /// PERSONAL_CARE (every rate of the service), PERSONAL_CARE|night.
        key: String,
        /// table (one row per value that changed), csv of the same rows, or json (each record
        /// whole, as stored).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Runs an audit command.
pub async fn audit(settings: &Settings, command: AuditCommand) -> anyhow::Result<ExitStatus> {
    let zone = settings.zone();
    match command {
        AuditCommand::Shift {
            shift,
            notes,
            format,
        } => {
            if !shift.contains('/') {
                eprintln!("error: '{shift}': name the shift as WORKER/SHIFT_REF, e.g. W0001/S1234");
                return Ok(ExitStatus::Usage);
            }
            let store = open_store(settings).await?;
            let trail = shift_audit_by_name(&store, &shift).await;
            store.close().await;
            let Some(trail) = trail? else {
                eprintln!("error: no shift {shift}: no worker has a shift with that reference");
                return Ok(ExitStatus::Usage);
            };
            let mut out = std::io::stdout().lock();
            if format == Format::Json {
                serde_json::to_writer_pretty(&mut out, &shift_json(&trail, zone, notes))?;
                writeln!(out)?;
            } else {
                shift_table(&trail, zone, notes).write(format, &mut out)?;
            }
            out.flush()?;
            Ok(ExitStatus::Ok)
        }
        AuditCommand::Reference { kind, key, format } => {
            let kind: ReferenceKind = match kind.parse() {
                Ok(kind) => kind,
                Err(_) => {
                    let names: Vec<&str> = ReferenceKind::ALL.iter().map(|k| k.as_str()).collect();
                    eprintln!(
                        "error: unknown reference kind '{kind}'; one of: {}",
                        names.join(", ")
                    );
                    return Ok(ExitStatus::Usage);
                }
            };
            let store = open_store(settings).await?;
            let entries = reference_audit(&store, kind.as_str(), &key).await;
            store.close().await;
            let entries = entries?;
            if entries.is_empty() {
                eprintln!(
                    "error: no recorded change to {kind} '{key}': no record of that key (or starting with '{key}|') was ever imported"
                );
                return Ok(ExitStatus::Usage);
            }
            let mut out = std::io::stdout().lock();
            if format == Format::Json {
                let value = reference_json(kind.as_str(), &key, &entries, zone);
                serde_json::to_writer_pretty(&mut out, &value)?;
                writeln!(out)?;
            } else {
                reference_table(&entries, zone).write(format, &mut out)?;
            }
            out.flush()?;
            Ok(ExitStatus::Ok)
        }
    }
}
