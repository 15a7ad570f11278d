//! Reports: charges (one row per invoice line), allocation per person and period, rejected rows
//! and unpriced time, and the gaps in reference data that leave money missing. The CLI, the HTTP
//! API and the nightly run call these same functions.

pub mod audit;
pub mod closed;
pub mod gaps;
pub mod output;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use futures_util::stream::BoxStream;

use crate::allocate::TICKS_PER_MINUTE;
use crate::calendar::Period;
use crate::cost::{ChargeKey, ChargeLine, EngineError, price_one_off};
use crate::domain::money::{MoneyError, div_round_half_away};
use crate::domain::{LocalZone, Pence, PersonId, Rate, ServiceCode};
use crate::store::reference::ReferenceData;
use crate::store::reports::{self, ChargeSum, RejectRow};
use crate::store::{Store, StoreError};

pub use output::{Cell, Format, Table};

/// A stored reject row as the rejects report writes it; its field names are the report's header.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RejectRecord {
    pub file: String,
    pub row: i64,
    pub worker_id: String,
    pub shift_ref: String,
    pub field: String,
    pub reason: String,
}

impl From<RejectRow> for RejectRecord {
    fn from(row: RejectRow) -> Self {
        RejectRecord {
            file: row.file,
            row: row.row,
            worker_id: row.worker_id,
            shift_ref: row.shift_ref,
            field: row.field,
            reason: row.reason,
        }
    }
}

impl RejectRecord {
    /// The record with its user text guarded against spreadsheet formulas, as the rejects
    /// report writes it.
    pub fn guarded(self) -> RejectRecord {
        let guard = |s: String| output::guard_formula(&s).into_owned();
        RejectRecord {
            file: guard(self.file),
            worker_id: guard(self.worker_id),
            shift_ref: guard(self.shift_ref),
            reason: guard(self.reason),
            ..self
        }
    }
}

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored allocation row is not valid: {0}")]
    Corrupt(String),
    /// A total or an amount left the range of 64-bit pence (or of a 64-bit count); the report is
    /// refused rather than shown with a wrapped figure.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A one-off item's date cannot be banded: its year's bank holidays are not loaded.
    #[error("the one-off item of {person_id} on {date} cannot be priced: {source}")]
    OneOffDate {
        person_id: String,
        date: NaiveDate,
        source: crate::calendar::CalendarError,
    },
}

/// Turns the store's refusal to sum past 64 bits into an overflow naming `what`; other errors
/// pass.
fn sum_error(what: impl Fn() -> String) -> impl Fn(StoreError) -> ReportError {
    move |error| match error {
        StoreError::TotalOutOfRange(_) => ReportError::Money(MoneyError::overflow(what())),
        other => ReportError::Store(other),
    }
}

/// The invoice line of a stored sum.
fn charge_line(sum: ChargeSum) -> Result<ChargeLine, ReportError> {
    let corrupt = || {
        ReportError::Corrupt(format!(
            "{} {} {}",
            sum.person_id, sum.local_date, sum.service_code
        ))
    };
    let key = ChargeKey {
        person_id: PersonId::parse(&sum.person_id).map_err(|_| corrupt())?,
        date: sum.local_date,
        service: ServiceCode::parse(&sum.service_code).map_err(|_| corrupt())?,
        band: sum.band.parse().map_err(|_| corrupt())?,
        ratio: u32::try_from(sum.ratio).map_err(|_| corrupt())?,
        unit: sum.charge_unit.parse().map_err(|_| corrupt())?,
        entry_rate: Rate::from_centipence(sum.entry_rate_centipence),
        divisor: u32::try_from(sum.divisor).map_err(|_| corrupt())?,
    };
    Ok(ChargeLine::new(key, sum.minutes, sum.units)?)
}

/// A one-off item with no fixed price on the card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnpricedOneOff {
    pub person_id: String,
    pub service: String,
    pub date: NaiveDate,
}

/// Invoice lines of approved shifts and one-off items between two local dates (inclusive),
/// ordered by person, date, service, band and ratio in byte order.
pub async fn charge_lines(
    store: &Store,
    reference: &ReferenceData,
    from: NaiveDate,
    to: NaiveDate,
    person: Option<&str>,
) -> Result<(Vec<ChargeLine>, Vec<UnpricedOneOff>), ReportError> {
    let person = person.unwrap_or("");
    let overflow = sum_error(|| format!("the charged time from {from} to {to}"));
    let sums = reports::charge_sums(store, from, to, person)
        .await
        .map_err(&overflow)?;
    let mut lines = sums
        .into_iter()
        .map(charge_line)
        .collect::<Result<Vec<_>, _>>()?;
    let one_offs = reports::one_offs(store, from, to, person).await?;
    let (priced, unpriced) = price_one_offs(reference, one_offs)?;
    lines.extend(priced);
    sort_lines(&mut lines);
    Ok((lines, unpriced))
}

/// One-off items priced from the rate card (`fixed` lines), and those without a fixed price.
fn price_one_offs(
    reference: &ReferenceData,
    one_offs: Vec<reports::OneOff>,
) -> Result<(Vec<ChargeLine>, Vec<UnpricedOneOff>), ReportError> {
    let mut lines = Vec::new();
    let mut unpriced = Vec::new();
    for one_off in one_offs {
        let (person_id, service, date) =
            (one_off.person_id, one_off.service_code, one_off.charge_date);
        let corrupt = || ReportError::Corrupt(format!("one-off {person_id} {service} {date}"));
        let person = PersonId::parse(&person_id).map_err(|_| corrupt())?;
        let service_code = ServiceCode::parse(&service).map_err(|_| corrupt())?;
        match price_one_off(&reference.ctx, person, service_code, date) {
            Ok(Some(line)) => lines.push(line),
            Ok(None) => unpriced.push(UnpricedOneOff {
                person_id,
                service,
                date,
            }),
            Err(EngineError::Money(e)) => return Err(e.into()),
            Err(EngineError::Calendar(source)) => {
                return Err(ReportError::OneOffDate {
                    person_id,
                    date,
                    source,
                });
            }
        }
    }
    Ok((lines, unpriced))
}

/// Puts invoice lines in the charges report's order: person, date, service, band and ratio in
/// byte order, then the rest of the key.
fn sort_lines(lines: &mut [ChargeLine]) {
    lines.sort_by(|a, b| {
        let k = |l: &ChargeLine| {
            (
                l.key.person_id.clone(),
                l.key.date,
                l.key.service.clone(),
                l.key.band.as_str(),
                l.key.ratio,
                l.key.unit,
                l.key.entry_rate,
                l.key.divisor,
            )
        };
        k(a).cmp(&k(b))
    });
}

/// The charges report as docs/formats.md lays it out.
pub fn charges_table(lines: &[ChargeLine]) -> Table {
    let mut table = Table::new(&[
        "person_id",
        "date",
        "service",
        "band",
        "ratio",
        "rate",
        "minutes",
        "amount",
    ]);
    for line in lines {
        table.push(vec![
            Cell::text(line.key.person_id.as_str()),
            Cell::plain(line.key.date.to_string()),
            Cell::text(line.key.service.as_str()),
            Cell::plain(line.key.band.as_str()),
            Cell::Number(i64::from(line.key.ratio)),
            Cell::plain(line.rate().to_string()),
            Cell::Number(line.reported_minutes()),
            Cell::plain(line.amount.to_string()),
        ]);
    }
    table
}

/// One row of the allocation report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllocationTotal {
    pub person_id: String,
    pub ticks: i64,
    pub pay_pence: i64,
}

impl AllocationTotal {
    /// Allocated minutes, exact, shown to four decimal places (half away from zero).
    pub fn minutes_4dp(&self) -> String {
        let scaled = div_round_half_away(
            i128::from(self.ticks) * 10_000,
            i128::from(TICKS_PER_MINUTE),
        );
        let sign = if scaled < 0 { "-" } else { "" };
        let magnitude = scaled.abs();
        format!("{sign}{}.{:04}", magnitude / 10_000, magnitude % 10_000)
    }
}

/// Allocated time and cost per person for a period, then unallocated work per cost centre.
pub async fn allocation_totals(
    store: &Store,
    period: Period,
) -> Result<Vec<AllocationTotal>, ReportError> {
    let overflow = sum_error(|| format!("the allocated time or pay for {period}"));
    let mut rows: Vec<AllocationTotal> =
        reports::allocation_sums(store, period.first_day(), period.last_day())
            .await
            .map_err(&overflow)?
            .into_iter()
            .map(|sum| AllocationTotal {
                person_id: sum.person_id,
                ticks: sum.ticks,
                pay_pence: sum.pay_pence,
            })
            .collect();
    rows.sort_by(|a, b| {
        (a.person_id.starts_with("UNALLOCATED:"), &a.person_id)
            .cmp(&(b.person_id.starts_with("UNALLOCATED:"), &b.person_id))
    });
    Ok(rows)
}

/// The allocation report as docs/formats.md lays it out.
pub fn allocation_table(period: Period, rows: &[AllocationTotal]) -> Table {
    let mut table = Table::new(&["person_id", "period", "allocated_minutes", "cost"]);
    for row in rows {
        table.push(vec![
            Cell::text(&row.person_id),
            Cell::plain(period.to_string()),
            Cell::plain(row.minutes_4dp()),
            Cell::plain(Pence::new(row.pay_pence).to_string()),
        ]);
    }
    table
}

/// Rejected rows still open (no accepted shift of the same worker and reference since),
/// optionally of one file.
pub async fn rejects(store: &Store, file: Option<&str>) -> Result<Table, ReportError> {
    let rows = reports::rejects(store, file, false).await?;
    Ok(rejects_table(
        rows.into_iter().map(RejectRecord::from).collect(),
    ))
}

/// Every rejected row, open or resolved, optionally of one file: the rejects report with
/// `resolved` (when, in the provider's zone, or empty while open) and `resolved_by` (the file
/// that was accepted, or who submitted the shift).
pub async fn all_rejects(
    store: &Store,
    file: Option<&str>,
    zone: LocalZone,
) -> Result<Table, ReportError> {
    let rows = reports::rejects(store, file, true).await?;
    let mut table = Table::new(&[
        "file",
        "row",
        "worker_id",
        "shift_ref",
        "field",
        "reason",
        "resolved",
        "resolved_by",
    ]);
    for row in rows {
        let resolved = row
            .resolved_at
            .and_then(crate::store::bulk::instant_from_seconds)
            .map(|at| {
                at.with_timezone(&zone.tz())
                    .format("%Y-%m-%dT%H:%M%:z")
                    .to_string()
            })
            .unwrap_or_default();
        table.push(vec![
            Cell::text(row.file),
            Cell::Number(row.row),
            Cell::text(row.worker_id),
            Cell::text(row.shift_ref),
            Cell::plain(row.field),
            Cell::text(row.reason),
            Cell::plain(resolved),
            Cell::text(row.resolved_by),
        ]);
    }
    Ok(table)
}

/// The rejected rows of one import, in row order.
pub async fn rejects_of_import(store: &Store, import_file_id: i64) -> Result<Table, ReportError> {
    let rows: Vec<RejectRecord> =
        futures_util::TryStreamExt::try_collect(rejects_for_import(store, import_file_id)).await?;
    Ok(rejects_table(rows))
}

fn rejects_table(rows: Vec<RejectRecord>) -> Table {
    let mut table = Table::new(&["file", "row", "worker_id", "shift_ref", "field", "reason"]);
    for r in rows {
        table.push(vec![
            Cell::text(r.file),
            Cell::Number(r.row),
            Cell::text(r.worker_id),
            Cell::text(r.shift_ref),
            Cell::plain(r.field),
            Cell::text(r.reason),
        ]);
    }
    table
}

/// Streams the rejected rows of one import in row order.
pub fn rejects_for_import(
    store: &Store,
    import_file_id: i64,
) -> BoxStream<'_, Result<RejectRecord, StoreError>> {
    Box::pin(reports::rejects_of_import(store, import_file_id).map_ok(RejectRecord::from))
}

/// Time of approved shifts no rate applies to, and one-off items without a fixed price.
pub async fn unpriced(
    store: &Store,
    reference: &ReferenceData,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Table, ReportError> {
    let overflow = sum_error(|| format!("the unpriced time from {from} to {to}"));
    let mut rows = reports::unpriced_sums(store, from, to)
        .await
        .map_err(&overflow)?;
    rows.sort_by(|a, b| {
        (
            &a.person_id,
            a.local_date,
            &a.service_code,
            &a.band,
            a.ratio,
            &a.worker_id,
            &a.shift_ref,
        )
            .cmp(&(
                &b.person_id,
                b.local_date,
                &b.service_code,
                &b.band,
                b.ratio,
                &b.worker_id,
                &b.shift_ref,
            ))
    });
    let mut table = Table::new(&[
        "person_id",
        "date",
        "service",
        "band",
        "ratio",
        "minutes",
        "worker_id",
        "shift_ref",
    ]);
    for r in rows {
        table.push(vec![
            Cell::text(r.person_id),
            Cell::plain(r.local_date.to_string()),
            Cell::text(r.service_code),
            Cell::plain(r.band),
            Cell::Number(r.ratio),
            Cell::Number(r.minutes),
            Cell::text(r.worker_id),
            Cell::text(r.shift_ref),
        ]);
    }
    let (_, one_offs) = charge_lines(store, reference, from, to, None).await?;
    for o in one_offs {
        table.push(vec![
            Cell::text(o.person_id),
            Cell::plain(o.date.to_string()),
            Cell::text(o.service),
            Cell::plain(""),
            Cell::Number(1),
            Cell::Number(0),
            Cell::plain(""),
            Cell::plain("one-off"),
        ]);
    }
    Ok(table)
}
