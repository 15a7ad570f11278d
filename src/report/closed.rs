//! Closed periods: a period's charges in full — its invoice lines, each shift's charges to each
//! person, each priced one-off item and each payer's share of each person's charges (rules P2) —
//! as a period closes with them, and how the charges now differ from what it closed with (the
//! late-changes report and the run report's warnings).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::{Cell, ReportError, Table, charge_line, price_one_offs, sort_lines, sum_error};
use crate::calendar::Period;
use crate::cost::{ChargeLine, divide_between_payers};
use crate::domain::money::MoneyError;
use crate::domain::{Arrangement, Pence};
use crate::store::Store;
use crate::store::closed::{Closed, Closing, ShiftChargeSum};
use crate::store::reference::{ReferenceData, load_table};
use crate::store::reports::{self, ChargeSum};
use crate::store::rows::{
    ArrangementRow, ClosedPeriodOneOffRow, ClosedPeriodRow, ClosedPeriodShiftRow,
    ClosedPeriodTotalRow,
};

/// One approved shift's charges to one person in a period: the shift's own invoice lines, each
/// rounded once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftCharge {
    pub shift_id: i64,
    pub worker_id: String,
    pub shift_ref: String,
    pub content_hash: String,
    pub person_id: String,
    /// The first local date of the period the shift charges the person for.
    pub first_date: NaiveDate,
    pub amount: Pence,
}

/// A priced one-off item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneOffCharge {
    pub person_id: String,
    pub service: String,
    pub date: NaiveDate,
    pub amount: Pence,
}

/// A payer's share of a person's charges; `payer_id` empty where no arrangement covers them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayerTotal {
    pub person_id: String,
    pub payer_id: String,
    pub amount: Pence,
}

/// A period's charges as they stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodCharges {
    pub period: Period,
    /// The invoice lines, exactly as the charges report has them for the period's dates.
    pub lines: Vec<ChargeLine>,
    /// The sum of the lines.
    pub total: Pence,
    /// People with at least one line.
    pub people: usize,
    pub shifts: Vec<ShiftCharge>,
    pub one_offs: Vec<OneOffCharge>,
    /// Per person and payer, in that order.
    pub payers: Vec<PayerTotal>,
}

/// The charges of `period` as they stand: invoice lines, per shift and person, per one-off item
/// and per payer. A total beyond 64-bit pence is refused, naming it.
pub async fn period_charges(
    store: &Store,
    reference: &ReferenceData,
    period: Period,
) -> Result<PeriodCharges, ReportError> {
    let (from, to) = (period.first_day(), period.last_day());
    let overflow = || format!("the charged time from {from} to {to}");
    let sums = crate::store::closed::charge_sums_by_shift(store, from, to)
        .await
        .map_err(sum_error(overflow))?;
    let (mut lines, shift_sums) = lines_and_shift_sums(sums, &overflow)?;
    let one_offs = reports::one_offs(store, from, to, "").await?;
    let (priced, _) = price_one_offs(reference, one_offs)?;
    let one_offs: Vec<OneOffCharge> = priced
        .iter()
        .map(|line| OneOffCharge {
            person_id: line.key.person_id.to_string(),
            service: line.key.service.to_string(),
            date: line.key.date,
            amount: line.amount,
        })
        .collect();
    lines.extend(priced);
    sort_lines(&mut lines);
    // The period's total first: every other total is part of it, so none can overflow if it
    // does not.
    let total = Pence::checked_sum(
        lines.iter().map(|l| l.amount),
        &format!("the charges for {period}"),
    )?;
    let mut per_person: BTreeMap<&str, i128> = BTreeMap::new();
    for line in &lines {
        *per_person.entry(line.key.person_id.as_str()).or_default() +=
            i128::from(line.amount.get());
    }
    let arrangements = arrangements_by_person(store).await?;
    let mut payers = Vec::new();
    for (person, amount) in &per_person {
        let amount = Pence::from_wide(*amount, &format!("the charges of {person} for {period}"))?;
        let theirs = arrangements.get(*person).map_or(&[][..], Vec::as_slice);
        for share in divide_between_payers(amount, theirs, period.days())? {
            payers.push(PayerTotal {
                person_id: (*person).to_owned(),
                payer_id: share.payer.map(|p| p.to_string()).unwrap_or_default(),
                amount: share.amount,
            });
        }
    }
    let mut shifts = Vec::with_capacity(shift_sums.len());
    for ((shift_id, person_id), sum) in shift_sums {
        shifts.push(ShiftCharge {
            amount: Pence::from_wide(
                sum.amount,
                &format!("the charges of shift {shift_id} to {person_id}"),
            )?,
            shift_id,
            worker_id: sum.worker_id,
            shift_ref: sum.shift_ref,
            content_hash: sum.content_hash,
            person_id,
            first_date: sum.first_date,
        });
    }
    Ok(PeriodCharges {
        period,
        people: per_person.len(),
        lines,
        total,
        shifts,
        one_offs,
        payers,
    })
}

/// A shift's charges to a person, summed exactly.
struct ShiftSum {
    worker_id: String,
    shift_ref: String,
    content_hash: String,
    first_date: NaiveDate,
    amount: i128,
}

type LineKey = (String, NaiveDate, String, String, i64, String, i64, i64);

/// Each shift's charges to each person, by shift id and person.
type ShiftSums = BTreeMap<(i64, String), ShiftSum>;

/// A one-off item's amount when the period closed and now, by person, service and date.
type OneOffAmounts<'a> = BTreeMap<(&'a str, &'a str, NaiveDate), (Option<Pence>, Option<Pence>)>;

/// The invoice lines of per-shift sums (summed over the shifts, as the charges report sums
/// them) and each shift's charges to each person (its own lines, each rounded once).
fn lines_and_shift_sums(
    sums: Vec<ShiftChargeSum>,
    overflow: &dyn Fn() -> String,
) -> Result<(Vec<ChargeLine>, ShiftSums), ReportError> {
    let too_much = || ReportError::Money(MoneyError::overflow(overflow()));
    let mut by_line: BTreeMap<LineKey, (i64, i64)> = BTreeMap::new();
    let mut by_shift: ShiftSums = BTreeMap::new();
    for sum in sums {
        let key: LineKey = (
            sum.person_id.clone(),
            sum.local_date,
            sum.service_code.clone(),
            sum.band.clone(),
            sum.ratio,
            sum.charge_unit.clone(),
            sum.entry_rate_centipence,
            sum.divisor,
        );
        let totals = by_line.entry(key).or_default();
        totals.0 = totals.0.checked_add(sum.minutes).ok_or_else(too_much)?;
        totals.1 = totals.1.checked_add(sum.units).ok_or_else(too_much)?;
        let shift_line = charge_line(ChargeSum {
            person_id: sum.person_id.clone(),
            local_date: sum.local_date,
            service_code: sum.service_code,
            band: sum.band,
            ratio: sum.ratio,
            charge_unit: sum.charge_unit,
            entry_rate_centipence: sum.entry_rate_centipence,
            divisor: sum.divisor,
            minutes: sum.minutes,
            units: sum.units,
        })?;
        let shift = by_shift
            .entry((sum.shift_id, sum.person_id))
            .or_insert_with(|| ShiftSum {
                worker_id: sum.worker_id,
                shift_ref: sum.shift_ref,
                content_hash: sum.content_hash,
                first_date: sum.local_date,
                amount: 0,
            });
        shift.first_date = shift.first_date.min(sum.local_date);
        shift.amount += i128::from(shift_line.amount.get());
    }
    let lines = by_line
        .into_iter()
        .map(
            |(
                (person_id, local_date, service_code, band, ratio, charge_unit, rate, divisor),
                (minutes, units),
            )| {
                charge_line(ChargeSum {
                    person_id,
                    local_date,
                    service_code,
                    band,
                    ratio,
                    charge_unit,
                    entry_rate_centipence: rate,
                    divisor,
                    minutes,
                    units,
                })
            },
        )
        .collect::<Result<Vec<_>, _>>()?;
    Ok((lines, by_shift))
}

/// Every person's arrangements, by person id.
async fn arrangements_by_person(
    store: &Store,
) -> Result<BTreeMap<String, Vec<Arrangement>>, ReportError> {
    let mut by_person: BTreeMap<String, Vec<Arrangement>> = BTreeMap::new();
    for row in load_table::<ArrangementRow>(store).await? {
        by_person
            .entry(row.person_id.to_string())
            .or_default()
            .push(Arrangement {
                person_id: row.person_id,
                payer_id: row.payer_id,
                kind: row.kind,
                share_basis_points: row.share_basis_points,
                weekly_amount: row.weekly_amount_pence,
            });
    }
    Ok(by_person)
}

impl PeriodCharges {
    /// What the period closes with, at `closed_at`; `adopted` for a period whose files were
    /// written before closed totals were kept.
    pub fn closing(&self, closed_at: DateTime<Utc>, adopted: bool) -> Closing {
        let period = self.period.to_string();
        Closing {
            period: ClosedPeriodRow {
                period: period.clone(),
                closed_at,
                how: if adopted { "adopted" } else { "closed" }.to_owned(),
                charge_lines: self.lines.len() as i64,
                people: self.people as i64,
                amount_pence: self.total,
            },
            totals: self
                .payers
                .iter()
                .map(|p| ClosedPeriodTotalRow {
                    period: period.clone(),
                    person_id: p.person_id.clone(),
                    payer_id: p.payer_id.clone(),
                    amount_pence: p.amount,
                })
                .collect(),
            shifts: self
                .shifts
                .iter()
                .map(|s| ClosedPeriodShiftRow {
                    period: period.clone(),
                    shift_id: s.shift_id,
                    person_id: s.person_id.clone(),
                    worker_id: s.worker_id.clone(),
                    shift_ref: s.shift_ref.clone(),
                    content_hash: s.content_hash.clone(),
                    first_date: s.first_date,
                    amount_pence: s.amount,
                })
                .collect(),
            one_offs: self
                .one_offs
                .iter()
                .map(|o| ClosedPeriodOneOffRow {
                    period: period.clone(),
                    person_id: o.person_id.clone(),
                    service_code: o.service.clone(),
                    charge_date: o.date,
                    amount_pence: o.amount,
                })
                .collect(),
        }
    }
}

/// What a row of the late-changes report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Item {
    /// A payer's share of the person's charges: the figure invoicing settles.
    Payer,
    /// One shift's charges to the person.
    Shift,
    /// A one-off item.
    OneOff,
}

impl Item {
    pub fn as_str(self) -> &'static str {
        match self {
            Item::Payer => "payer",
            Item::Shift => "shift",
            Item::OneOff => "one-off",
        }
    }
}

/// One difference between a closed period and its charges now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LateChange {
    pub person_id: String,
    pub item: Item,
    /// The payer, on payer rows.
    pub payer_id: String,
    /// The shift's worker and reference, on shift rows.
    pub worker_id: String,
    pub shift_ref: String,
    /// The shift's first date in the period, or the one-off item's date.
    pub date: Option<NaiveDate>,
    /// The one-off item's service.
    pub service: String,
    /// What happened: on shift rows `added`, `amended`, `recosted`, `withdrawn`, `rejected`,
    /// `awaiting_approval` or `removed`; on one-off rows `added`, `removed` or `repriced`; on
    /// payer rows `changed`.
    pub change: &'static str,
    pub closed: Pence,
    pub now: Pence,
}

impl LateChange {
    /// `now − closed`.
    pub fn difference(&self) -> Pence {
        Pence::new(self.now.get() - self.closed.get())
    }
}

/// How a closed period's charges differ now from what it closed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LateChanges {
    pub period: Period,
    pub closed_at: DateTime<Utc>,
    /// Payer rows, then shift rows, then one-off rows, per person.
    pub changes: Vec<LateChange>,
    /// Shifts whose charges changed.
    pub shifts: usize,
    /// One-off items whose charges changed.
    pub one_offs: usize,
    /// People whose charges, or their division between payers, changed.
    pub people: usize,
    /// The charges now less the charges the period closed with.
    pub net: Pence,
}

impl LateChanges {
    /// Whether anything changed.
    pub fn any(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// Compares a closed period with its charges now. Every amount is within 64-bit pence, and
/// so is every difference of two (both are sums of charges that are not negative).
pub fn compare(closed: &Closed, now: &PeriodCharges) -> Result<LateChanges, MoneyError> {
    let mut changes = Vec::new();

    // Payer shares, by person and payer.
    let mut payers: BTreeMap<(&str, &str), (Pence, Pence)> = BTreeMap::new();
    for t in &closed.totals {
        payers
            .entry((t.person_id.as_str(), t.payer_id.as_str()))
            .or_default()
            .0 = t.amount_pence;
    }
    for t in &now.payers {
        payers
            .entry((t.person_id.as_str(), t.payer_id.as_str()))
            .or_default()
            .1 = t.amount;
    }
    let mut people = BTreeSet::new();
    let mut net: i128 = 0;
    for ((person, payer), (was, is)) in &payers {
        if was != is {
            people.insert(*person);
            net += i128::from(is.get()) - i128::from(was.get());
            changes.push(LateChange {
                person_id: (*person).to_owned(),
                item: Item::Payer,
                payer_id: (*payer).to_owned(),
                worker_id: String::new(),
                shift_ref: String::new(),
                date: None,
                service: String::new(),
                change: "changed",
                closed: *was,
                now: *is,
            });
        }
    }
    let net = Pence::from_wide(net, &format!("the late changes to {}", now.period))?;

    // Shifts, by shift and person.
    let closed_hash: BTreeMap<i64, &str> = closed
        .shifts
        .iter()
        .map(|s| (s.row.shift_id, s.row.content_hash.as_str()))
        .collect();
    let now_hash: BTreeMap<i64, &str> = now
        .shifts
        .iter()
        .map(|s| (s.shift_id, s.content_hash.as_str()))
        .collect();
    let status_now: BTreeMap<i64, &str> = closed
        .shifts
        .iter()
        .map(|s| (s.row.shift_id, s.status_now.as_str()))
        .collect();
    struct Pair<'a> {
        worker_id: &'a str,
        shift_ref: &'a str,
        first_date: NaiveDate,
        closed: Pence,
        now: Pence,
    }
    let mut pairs: BTreeMap<(i64, &str), Pair<'_>> = BTreeMap::new();
    for s in &closed.shifts {
        pairs.insert(
            (s.row.shift_id, s.row.person_id.as_str()),
            Pair {
                worker_id: &s.row.worker_id,
                shift_ref: &s.row.shift_ref,
                first_date: s.row.first_date,
                closed: s.row.amount_pence,
                now: Pence::ZERO,
            },
        );
    }
    for s in &now.shifts {
        let pair = pairs
            .entry((s.shift_id, s.person_id.as_str()))
            .or_insert(Pair {
                worker_id: &s.worker_id,
                shift_ref: &s.shift_ref,
                first_date: s.first_date,
                closed: Pence::ZERO,
                now: Pence::ZERO,
            });
        pair.now = s.amount;
        pair.first_date = pair.first_date.min(s.first_date);
    }
    let mut shifts = BTreeSet::new();
    for ((shift_id, person), pair) in &pairs {
        if pair.closed == pair.now {
            continue;
        }
        let change = match (closed_hash.get(shift_id), now_hash.get(shift_id)) {
            (None, _) => "added",
            (Some(_), None) => match status_now.get(shift_id).copied().unwrap_or("") {
                "withdrawn" => "withdrawn",
                "rejected" => "rejected",
                "submitted" => "awaiting_approval",
                "" => "removed",
                // Approved, but no longer charging anything in the period.
                _ => "amended",
            },
            (Some(was), Some(is)) if was != is => "amended",
            (Some(_), Some(_)) => "recosted",
        };
        shifts.insert(*shift_id);
        people.insert(*person);
        changes.push(LateChange {
            person_id: (*person).to_owned(),
            item: Item::Shift,
            payer_id: String::new(),
            worker_id: pair.worker_id.to_owned(),
            shift_ref: pair.shift_ref.to_owned(),
            date: Some(pair.first_date),
            service: String::new(),
            change,
            closed: pair.closed,
            now: pair.now,
        });
    }

    // One-off items, by person, service and date.
    let mut items: OneOffAmounts<'_> = BTreeMap::new();
    for o in &closed.one_offs {
        items
            .entry((o.person_id.as_str(), o.service_code.as_str(), o.charge_date))
            .or_default()
            .0 = Some(o.amount_pence);
    }
    for o in &now.one_offs {
        items
            .entry((o.person_id.as_str(), o.service.as_str(), o.date))
            .or_default()
            .1 = Some(o.amount);
    }
    let mut one_offs = 0;
    for ((person, service, date), (was, is)) in &items {
        let change = match (was, is) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(was), Some(is)) if was != is => "repriced",
            _ => continue,
        };
        one_offs += 1;
        people.insert(*person);
        changes.push(LateChange {
            person_id: (*person).to_owned(),
            item: Item::OneOff,
            payer_id: String::new(),
            worker_id: String::new(),
            shift_ref: String::new(),
            date: Some(*date),
            service: (*service).to_owned(),
            change,
            closed: was.unwrap_or(Pence::ZERO),
            now: is.unwrap_or(Pence::ZERO),
        });
    }

    changes.sort_by(|a, b| {
        (
            &a.person_id,
            a.item,
            &a.payer_id,
            a.date,
            &a.worker_id,
            &a.shift_ref,
            &a.service,
        )
            .cmp(&(
                &b.person_id,
                b.item,
                &b.payer_id,
                b.date,
                &b.worker_id,
                &b.shift_ref,
                &b.service,
            ))
    });
    Ok(LateChanges {
        period: now.period,
        closed_at: closed.period.closed_at,
        shifts: shifts.len(),
        one_offs,
        people: people.len(),
        net,
        changes,
    })
}

/// The late-changes report as docs/formats.md lays it out.
pub fn late_changes_table(changes: &LateChanges) -> Table {
    let mut table = Table::new(&[
        "period",
        "person_id",
        "payer_id",
        "item",
        "worker_id",
        "shift_ref",
        "date",
        "service",
        "change",
        "closed",
        "now",
        "difference",
    ]);
    let period = changes.period.to_string();
    for c in &changes.changes {
        table.push(vec![
            Cell::plain(period.clone()),
            Cell::text(c.person_id.clone()),
            Cell::text(c.payer_id.clone()),
            Cell::plain(c.item.as_str()),
            Cell::text(c.worker_id.clone()),
            Cell::text(c.shift_ref.clone()),
            Cell::plain(c.date.map(|d| d.to_string()).unwrap_or_default()),
            Cell::text(c.service.clone()),
            Cell::plain(c.change),
            Cell::plain(c.closed.to_string()),
            Cell::plain(c.now.to_string()),
            Cell::plain(c.difference().to_string()),
        ]);
    }
    table
}

/// The late changes of a closed period, or `None` when the period has not closed (or closed
/// before closed totals were kept and has not been checked since).
pub async fn late_changes(
    store: &Store,
    reference: &ReferenceData,
    period: Period,
) -> Result<Option<LateChanges>, ReportError> {
    let Some(closed) = crate::store::closed::load(store, &period.to_string()).await? else {
        return Ok(None);
    };
    let now = period_charges(store, reference, period).await?;
    Ok(Some(compare(&closed, &now)?))
}
