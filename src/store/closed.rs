//! Closed periods as stored: the totals a period's files held when it closed — each payer's share
//! of each person's charges, each shift's charges to each person, each priced one-off item —
//! written once in one transaction, and the current charges of a period's shifts, per shift, to
//! compare with them.

use chrono::NaiveDate;

use super::bulk::{insert_rows, instant_from_seconds};
use super::reports::sum_error;
use super::rows::{
    ClosedPeriodOneOffRow, ClosedPeriodRow, ClosedPeriodShiftRow, ClosedPeriodTotalRow,
};
use super::{Store, StoreError, Tx, on_pool, on_tx};
use crate::domain::Pence;

/// Charged time of one approved shift summed per invoice line (docs/rules.md C5).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ShiftChargeSum {
    pub shift_id: i64,
    pub worker_id: String,
    pub shift_ref: String,
    pub content_hash: String,
    pub person_id: String,
    pub local_date: NaiveDate,
    pub service_code: String,
    pub band: String,
    pub ratio: i64,
    pub charge_unit: String,
    pub entry_rate_centipence: i64,
    pub divisor: i64,
    pub minutes: i64,
    pub units: i64,
}

/// Charged time of approved shifts between two local dates (inclusive), one row per shift and
/// invoice line; in no particular order.
pub async fn charge_sums_by_shift(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ShiftChargeSum>, StoreError> {
    Ok(
        on_pool!(store, pool => sqlx::query_as(include_str!("../../sql/report_charges_by_shift.sql"))
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
            .map_err(sum_error)?),
    )
}

/// Everything recorded about a closed period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closed {
    pub period: ClosedPeriodRow,
    pub totals: Vec<ClosedPeriodTotalRow>,
    pub shifts: Vec<ClosedShift>,
    pub one_offs: Vec<ClosedPeriodOneOffRow>,
}

/// A shift's charges to a person when its period closed, with the shift's status now (empty if
/// the shift is no longer stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosedShift {
    pub row: ClosedPeriodShiftRow,
    pub status_now: String,
}

/// What a period closes with: its record and every total kept for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closing {
    pub period: ClosedPeriodRow,
    pub totals: Vec<ClosedPeriodTotalRow>,
    pub shifts: Vec<ClosedPeriodShiftRow>,
    pub one_offs: Vec<ClosedPeriodOneOffRow>,
}

/// Records a period as closed with its totals, in `tx`. False, writing nothing, when the period
/// is closed already.
pub async fn record_in(tx: &mut Tx, closing: &Closing) -> Result<bool, StoreError> {
    let period = &closing.period;
    let existing: Option<PeriodTuple> = on_tx!(tx, conn => sqlx::query_as(
        include_str!("../../sql/closed_period_get.sql")
    )
    .bind(period.period.as_str())
    .fetch_optional(conn)
    .await?);
    if existing.is_some() {
        return Ok(false);
    }
    insert_rows(tx, std::slice::from_ref(period)).await?;
    insert_rows(tx, &closing.totals).await?;
    insert_rows(tx, &closing.shifts).await?;
    insert_rows(tx, &closing.one_offs).await?;
    Ok(true)
}

type PeriodTuple = (String, i64, String, i64, i64, i64);

fn period_of(row: PeriodTuple) -> Result<ClosedPeriodRow, StoreError> {
    let (period, closed_at, how, charge_lines, people, amount_pence) = row;
    Ok(ClosedPeriodRow {
        closed_at: instant_from_seconds(closed_at).ok_or_else(|| {
            StoreError::Corrupt(format!("closed period {period}: closed_at {closed_at}"))
        })?,
        period,
        how,
        charge_lines,
        people,
        amount_pence: Pence::new(amount_pence),
    })
}

/// The record of a closed period, if it has closed.
pub async fn closed_period(
    store: &Store,
    period: &str,
) -> Result<Option<ClosedPeriodRow>, StoreError> {
    let row: Option<PeriodTuple> = on_pool!(store, pool => sqlx::query_as(
        include_str!("../../sql/closed_period_get.sql")
    )
    .bind(period)
    .fetch_optional(pool)
    .await?);
    row.map(period_of).transpose()
}

/// Every closed period, oldest first.
pub async fn closed_periods(store: &Store) -> Result<Vec<ClosedPeriodRow>, StoreError> {
    let rows: Vec<PeriodTuple> = on_pool!(store, pool => sqlx::query_as(
        include_str!("../../sql/closed_periods.sql")
    )
    .fetch_all(pool)
    .await?);
    rows.into_iter().map(period_of).collect()
}

/// A closed period with everything recorded when it closed, if it has closed.
pub async fn load(store: &Store, period: &str) -> Result<Option<Closed>, StoreError> {
    let Some(record) = closed_period(store, period).await? else {
        return Ok(None);
    };
    let totals: Vec<(String, String, i64)> = on_pool!(store, pool => sqlx::query_as(
        include_str!("../../sql/closed_period_totals.sql")
    )
    .bind(period)
    .fetch_all(pool)
    .await?);
    type ShiftTuple = (i64, String, String, String, String, NaiveDate, i64, String);
    let shifts: Vec<ShiftTuple> = on_pool!(store, pool => sqlx::query_as(
        include_str!("../../sql/closed_period_shifts.sql")
    )
    .bind(period)
    .fetch_all(pool)
    .await?);
    let one_offs: Vec<(String, String, NaiveDate, i64)> = on_pool!(store, pool => sqlx::query_as(
        include_str!("../../sql/closed_period_one_offs.sql")
    )
    .bind(period)
    .fetch_all(pool)
    .await?);
    Ok(Some(Closed {
        totals: totals
            .into_iter()
            .map(|(person_id, payer_id, amount)| ClosedPeriodTotalRow {
                period: period.to_owned(),
                person_id,
                payer_id,
                amount_pence: Pence::new(amount),
            })
            .collect(),
        shifts: shifts
            .into_iter()
            .map(
                |(
                    shift_id,
                    person_id,
                    worker_id,
                    shift_ref,
                    content_hash,
                    first_date,
                    amount,
                    status_now,
                )| {
                    ClosedShift {
                        row: ClosedPeriodShiftRow {
                            period: period.to_owned(),
                            shift_id,
                            person_id,
                            worker_id,
                            shift_ref,
                            content_hash,
                            first_date,
                            amount_pence: Pence::new(amount),
                        },
                        status_now,
                    }
                },
            )
            .collect(),
        one_offs: one_offs
            .into_iter()
            .map(
                |(person_id, service_code, charge_date, amount)| ClosedPeriodOneOffRow {
                    period: period.to_owned(),
                    person_id,
                    service_code,
                    charge_date,
                    amount_pence: Pence::new(amount),
                },
            )
            .collect(),
        period: record,
    }))
}

/// The periods (`YYYY-MM`) whose period-charges step is done, oldest first: their files are
/// written, whether or not their totals were recorded.
pub async fn periods_written(store: &Store) -> Result<Vec<String>, StoreError> {
    Ok(on_pool!(store, pool => sqlx::query_scalar(
        include_str!("../../sql/period_steps_done.sql")
    )
    .fetch_all(pool)
    .await?))
}
