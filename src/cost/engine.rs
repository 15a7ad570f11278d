//! The engine: one validated shift in, exact allocation rows out (docs/rules.md B1, C1–C5, K1–K2).
//!
//! Each segment is split into runs of one local date and one band. Every run becomes one row per
//! person supported (or one unallocated row), carrying the person's time share in ticks, their
//! share of the pay and what C2 charges them. The rows are fine enough that summing them gives
//! every invoice line of C5 exactly, and they are checked to add up before they leave.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::allocate::{ShiftDraft, TICKS_PER_MINUTE, largest_remainder, ticks_for};
use crate::calendar::{BandRules, BandRun, BankHolidays, CalendarError, band_runs};
use crate::domain::money::{MoneyError, div_round_half_away};
use crate::domain::{
    Band, CostCentreId, LocalZone, PayElement, PayerId, Pence, PersonId, Rate, ServiceCode, Unit,
};

use super::pay::{BaseRates, PayRules};
use super::rate_card::RateCard;

/// Everything the engine needs to know besides the shift: zone, calendar, services and money rules.
#[derive(Clone, Debug, Default)]
pub struct RatingContext {
    pub zone: LocalZone,
    pub bands: BandRules,
    pub holidays: BankHolidays,
    /// How each service is paid; a service known only from the rate card is paid as contact time.
    pub pay_elements: HashMap<ServiceCode, PayElement>,
    pub rate_card: RateCard,
    pub pay_rules: PayRules,
    /// Each person's `full` payer, alone or beside a `contribution` payer: that payer's own
    /// entries on the card apply (C2). People whose payers share by percentage have none.
    pub full_payers: HashMap<PersonId, PayerId>,
}

/// What the engine needs to know about the worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerTerms {
    /// The worker's base hourly rates over time (K1).
    pub base_rates: BaseRates,
    pub cost_centre: CostCentreId,
}

impl WorkerTerms {
    /// A worker paid one base rate on every date.
    pub fn flat(base_rate: Rate, cost_centre: CostCentreId) -> Self {
        Self {
            base_rates: BaseRates::flat(base_rate),
            cost_centre,
        }
    }
}

/// Why a shift cannot be costed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The shift's pay left the range of 64-bit pence: the worker's rates are out of range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl EngineError {
    /// The shift-file column the problem is reported against.
    pub fn field(&self) -> &'static str {
        match self {
            EngineError::Calendar(_) => "start",
            EngineError::Money(_) => "worker_id",
        }
    }
}

/// What a row charges its person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charge {
    /// Unallocated time: nobody is charged.
    Nobody,
    /// No rate applies (C2): reported, never charged at zero.
    Unpriced,
    /// Charged per minute of the row.
    Hour { entry_rate: Rate, divisor: u32 },
    /// Charged once per shift, person and service: `units` is 1 on the row of the first minute
    /// and 0 on the rest of the night (C4).
    Night {
        entry_rate: Rate,
        divisor: u32,
        units: i64,
    },
    /// Fixed-price service: charged by one-off records, not by time (C4).
    Fixed,
}

impl Charge {
    /// The unit word stored with the row, if any.
    pub fn unit(&self) -> Option<Unit> {
        match self {
            Charge::Hour { .. } => Some(Unit::Hour),
            Charge::Night { .. } => Some(Unit::Night),
            Charge::Fixed => Some(Unit::Fixed),
            Charge::Nobody | Charge::Unpriced => None,
        }
    }
}

/// One interval of one segment, for one person or unallocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllocationRow {
    /// Position of the segment in the shift, from 0.
    pub segment_no: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub local_date: NaiveDate,
    pub band: Band,
    pub service: ServiceCode,
    /// The person, or `None` for unallocated work (charged to nobody, costed to the cost centre).
    pub person_id: Option<PersonId>,
    /// People sharing the segment (`k`); 0 for unallocated work.
    pub ratio: u32,
    /// Real minutes of the interval.
    pub minutes: i64,
    /// This person's share of the time in ticks (`minutes × TICKS_PER_MINUTE ÷ k`), or all of it.
    pub allocated_ticks: i64,
    /// This person's share of the pay (K2), in pence.
    pub pay: Pence,
    pub charge: Charge,
}

/// A costed shift: its rows and the totals they were checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostedShift {
    pub rows: Vec<AllocationRow>,
    pub worked_minutes: i64,
    pub paid_minutes: i64,
    pub unallocated_minutes: i64,
    pub pay: Pence,
}

/// Allocates, rates and costs one shift.
pub fn cost_shift(
    ctx: &RatingContext,
    shift: &ShiftDraft,
    worker: &WorkerTerms,
) -> Result<CostedShift, EngineError> {
    shift.assert_valid();
    let mut rows: Vec<AllocationRow> = Vec::with_capacity(shift.segments.len() * 2);
    let mut pay_total = Pence::ZERO;
    let mut paid_minutes = 0;
    let mut unallocated_minutes = 0;
    let mut services_started: HashSet<(PersonId, ServiceCode)> = HashSet::new();
    let mut allowances_paid: HashSet<ServiceCode> = HashSet::new();

    for (segment_no, segment) in shift.segments.iter().enumerate() {
        let segment_no = u32::try_from(segment_no).expect("segments are limited");
        let runs = band_runs(segment.interval, ctx.zone, &ctx.bands, &ctx.holidays)?;
        let element = ctx
            .pay_elements
            .get(&segment.service)
            .copied()
            .unwrap_or(PayElement::Contact);
        let k = segment.people.len();
        if element != PayElement::Unpaid {
            paid_minutes += segment.interval.minutes();
        }
        if k == 0 {
            unallocated_minutes += segment.interval.minutes();
        }
        let first_row = rows.len();

        for piece in runs.chunk_by(|a, b| a.local_date == b.local_date) {
            let piece_pay = piece_pay(ctx, element, &worker.base_rates, piece)?;
            pay_total = pay_total
                .checked_add(piece_pay)
                .map_err(|_| MoneyError::overflow("the pay of the shift"))?;
            let shares = share_between(piece_pay, k);
            for (run_no, run) in piece.iter().enumerate() {
                push_run_rows(
                    ctx,
                    &mut rows,
                    &mut services_started,
                    segment_no,
                    segment,
                    run,
                    |j| {
                        if run_no == 0 { shares[j] } else { Pence::ZERO }
                    },
                );
            }
        }

        if element == PayElement::SleepIn && allowances_paid.insert(segment.service.clone()) {
            let first = &rows[first_row];
            let allowance = ctx
                .pay_rules
                .sleep_in_allowance(first.band, first.local_date);
            let overflow = |_| MoneyError::overflow("the pay of the shift");
            pay_total = pay_total.checked_add(allowance).map_err(overflow)?;
            let shares = share_between(allowance, k);
            for (j, share) in shares.into_iter().enumerate() {
                let row = &mut rows[first_row + j];
                row.pay = row.pay.checked_add(share).map_err(overflow)?;
            }
        }
    }

    let costed = CostedShift {
        rows,
        worked_minutes: shift.worked_minutes(),
        paid_minutes,
        unallocated_minutes,
        pay: pay_total,
    };
    assert_balanced(&costed);
    Ok(costed)
}

/// Pay for one piece of a segment (a segment split at local midnight), computed exactly over its
/// band runs at the base rate in force on the piece's local date and rounded once to pence (K1).
/// On a date with no base rate in force the piece pays nothing: the nightly run and every import
/// warn of such time instead of guessing a rate. A run's product of an `i64` rate and its minutes
/// fits in 128 bits, and a shift has at most a few thousand runs, so the sum cannot wrap; only
/// the conversion back to pence can fail.
fn piece_pay(
    ctx: &RatingContext,
    element: PayElement,
    base_rates: &BaseRates,
    piece: &[BandRun],
) -> Result<Pence, MoneyError> {
    if !element.is_paid_by_the_minute() {
        return Ok(Pence::ZERO);
    }
    let Some(base_rate) = piece.first().and_then(|run| base_rates.on(run.local_date)) else {
        return Ok(Pence::ZERO);
    };
    let mut centipence_minutes: i128 = 0;
    for run in piece {
        let hourly = ctx
            .pay_rules
            .hourly_pay(base_rate, run.band, run.local_date)?;
        centipence_minutes += i128::from(hourly.centipence()) * i128::from(run.minutes());
    }
    let pence = div_round_half_away(centipence_minutes, 60 * 100);
    Pence::from_wide(pence, "the pay of the shift")
}

/// Splits pence 1/k between people in byte order (they are sorted), or keeps it whole.
fn share_between(amount: Pence, k: usize) -> Vec<Pence> {
    let weights = vec![1; k.max(1)];
    largest_remainder(amount.get(), &weights)
        .into_iter()
        .map(Pence::new)
        .collect()
}

/// Appends one row per person (or one unallocated row) for a band run.
fn push_run_rows(
    ctx: &RatingContext,
    rows: &mut Vec<AllocationRow>,
    services_started: &mut HashSet<(PersonId, ServiceCode)>,
    segment_no: u32,
    segment: &crate::allocate::SegmentDraft,
    run: &BandRun,
    pay_share: impl Fn(usize) -> Pence,
) {
    let k = segment.people.len();
    let row = |person_id: Option<PersonId>, pay: Pence, charge: Charge| AllocationRow {
        segment_no,
        start: run.start,
        end: run.end,
        local_date: run.local_date,
        band: run.band,
        service: segment.service.clone(),
        person_id,
        ratio: k as u32,
        minutes: run.minutes(),
        allocated_ticks: ticks_for(run.minutes(), k),
        pay,
        charge,
    };
    if k == 0 {
        rows.push(row(None, pay_share(0), Charge::Nobody));
        return;
    }
    for (j, person) in segment.people.iter().enumerate() {
        let payer = ctx.full_payers.get(person);
        let choice =
            ctx.rate_card
                .lookup(&segment.service, run.band, k as u32, run.local_date, payer);
        // C4: a night takes the date, band and k of the person's first minute of the service, so
        // that minute counts as the start even when it has no rate (the night is then unpriced).
        let first = services_started.insert((person.clone(), segment.service.clone()));
        let charge = match choice {
            None => Charge::Unpriced,
            Some(c) => match c.unit {
                Unit::Hour => Charge::Hour {
                    entry_rate: c.entry_rate,
                    divisor: c.divisor,
                },
                Unit::Fixed => Charge::Fixed,
                Unit::Night => Charge::Night {
                    entry_rate: c.entry_rate,
                    divisor: c.divisor,
                    units: i64::from(first),
                },
            },
        };
        rows.push(row(Some(person.clone()), pay_share(j), charge));
    }
}

/// Checks the invariants of docs/rules.md S4 and K2 on a costed shift.
fn assert_balanced(costed: &CostedShift) {
    let ticks: i64 = costed.rows.iter().map(|r| r.allocated_ticks).sum();
    assert_eq!(
        ticks,
        costed.worked_minutes * TICKS_PER_MINUTE,
        "allocated + unallocated = worked"
    );
    let unallocated_ticks: i64 = costed
        .rows
        .iter()
        .filter(|r| r.person_id.is_none())
        .map(|r| r.allocated_ticks)
        .sum();
    assert_eq!(
        unallocated_ticks,
        costed.unallocated_minutes * TICKS_PER_MINUTE,
        "unallocated time is accounted"
    );
    let pay: i128 = costed.rows.iter().map(|r| i128::from(r.pay.get())).sum();
    assert_eq!(pay, i128::from(costed.pay.get()), "allocated pence = pay");
    assert!(costed.paid_minutes <= costed.worked_minutes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocate::SegmentDraft;
    use crate::domain::{Interval, ShiftRef, WorkerId};

    fn ctx() -> RatingContext {
        RatingContext {
            holidays: BankHolidays::new(
                "t",
                [(
                    NaiveDate::from_ymd_opt(2026, 12, 28).unwrap(),
                    "Boxing Day".to_owned(),
                )],
            ),
            ..RatingContext::default()
        }
    }

    fn segment(from: &str, to: &str, people: &[&str]) -> SegmentDraft {
        let z = LocalZone::default();
        SegmentDraft {
            interval: Interval::new(z.parse_instant(from).unwrap(), z.parse_instant(to).unwrap())
                .unwrap(),
            service: ServiceCode::parse("PC").unwrap(),
            people: people.iter().map(|p| PersonId::parse(p).unwrap()).collect(),
        }
    }

    #[test]
    fn pay_shares_give_odd_pence_to_the_lowest_id() {
        let shift = ShiftDraft {
            worker_id: WorkerId::parse("W1").unwrap(),
            shift_ref: ShiftRef::parse("S1").unwrap(),
            segments: vec![segment(
                "2026-12-01T09:00",
                "2026-12-01T09:10",
                &["P9", "P10", "P11"]
                    .iter()
                    .copied()
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>(),
            )],
        };
        let worker = WorkerTerms::flat(
            Rate::parse_pounds("12.00").unwrap(),
            CostCentreId::parse("CC").unwrap(),
        );
        let costed = cost_shift(&ctx(), &shift, &worker).unwrap();
        let pay: Vec<(String, i64)> = costed
            .rows
            .iter()
            .map(|r| (r.person_id.clone().unwrap().to_string(), r.pay.get()))
            .collect();
        assert_eq!(
            pay,
            vec![("P10".into(), 67), ("P11".into(), 67), ("P9".into(), 66)]
        );
        assert!(
            costed.rows.iter().all(|r| r.charge == Charge::Unpriced),
            "no rate card, so unpriced, never zero"
        );
    }

    #[test]
    fn pay_beyond_range_is_an_error_naming_what_overflowed() {
        let shift = ShiftDraft {
            worker_id: WorkerId::parse("W1").unwrap(),
            shift_ref: ShiftRef::parse("S1").unwrap(),
            segments: vec![segment("2026-12-01T09:00", "2026-12-01T10:00", &["P1"])],
        };
        let worker = WorkerTerms::flat(
            Rate::from_centipence(i64::MAX),
            CostCentreId::parse("CC").unwrap(),
        );
        let mut ctx = ctx();
        assert!(cost_shift(&ctx, &shift, &worker).is_ok());
        ctx.pay_rules
            .enhancements
            .push(crate::cost::pay::Enhancement {
                band: Band::Day,
                amount: Rate::parse_pounds("1.00").unwrap(),
                effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                effective_to: None,
            });
        let error = cost_shift(&ctx, &shift, &worker).expect_err("out of range");
        assert_eq!(
            error,
            EngineError::Money(MoneyError::overflow(
                "the hourly pay for day time on 2026-12-01"
            ))
        );
        assert_eq!(error.field(), "worker_id");
    }

    fn one_person_shift(from: &str, to: &str) -> ShiftDraft {
        ShiftDraft {
            worker_id: WorkerId::parse("W1").unwrap(),
            shift_ref: ShiftRef::parse("S1").unwrap(),
            segments: vec![segment(from, to, &["P1"])],
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn pay_uses_the_base_rate_in_force_on_each_pieces_date() {
        use crate::cost::pay::BaseRate;
        let rate = |r: &str| Rate::parse_pounds(r).unwrap();
        let worker = WorkerTerms {
            base_rates: BaseRates::new([
                BaseRate {
                    rate: rate("12.00"),
                    effective_from: crate::domain::reference::FROM_THE_BEGINNING,
                    effective_to: Some(date("2026-11-30")),
                },
                BaseRate {
                    rate: rate("15.00"),
                    effective_from: date("2026-12-01"),
                    effective_to: Some(date("2026-12-01")),
                },
            ]),
            cost_centre: CostCentreId::parse("CC").unwrap(),
        };
        // 23:00-01:00 across the rise: an hour at each rate.
        let across = one_person_shift("2026-11-30T23:00", "2026-12-01T01:00");
        assert_eq!(
            cost_shift(&ctx(), &across, &worker).unwrap().pay,
            Pence::new(1_200 + 1_500)
        );
        // The worker has no rate on 2 December: that piece pays nothing, the hour before it is
        // paid, and nothing panics.
        let into_gap = one_person_shift("2026-12-01T23:00", "2026-12-02T01:00");
        let costed = cost_shift(&ctx(), &into_gap, &worker).unwrap();
        assert_eq!(costed.pay, Pence::new(1_500));
        assert_eq!(costed.worked_minutes, 120, "the time is still recorded");
    }

    #[test]
    fn c2_a_full_payer_beside_a_contribution_is_charged_its_own_rate() {
        use crate::cost::rate_card::{RateEntry, card_payer};
        use crate::domain::{ArrangementKind, PayerId};
        let entry = |rate: &str, payer: Option<&str>| RateEntry {
            service: ServiceCode::parse("PC").unwrap(),
            unit: Unit::Hour,
            band: Band::Day,
            ratio: 1,
            rate: Rate::parse_pounds(rate).unwrap(),
            effective_from: date("2026-01-01"),
            effective_to: None,
            payer: payer.map(|p| PayerId::parse(p).unwrap()),
        };
        let (la1, family) = (
            PayerId::parse("LA1").unwrap(),
            PayerId::parse("FAM").unwrap(),
        );
        let charged = |arrangements: &[(ArrangementKind, &PayerId)]| {
            let mut ctx = ctx();
            ctx.rate_card = RateCard::new([entry("24.00", None), entry("22.50", Some("LA1"))]);
            if let Some(payer) = card_payer(arrangements.iter().copied()) {
                ctx.full_payers
                    .insert(PersonId::parse("P1").unwrap(), payer.clone());
            }
            let shift = one_person_shift("2026-12-01T09:00", "2026-12-01T10:00");
            let worker = WorkerTerms::flat(
                Rate::parse_pounds("12.00").unwrap(),
                CostCentreId::parse("CC").unwrap(),
            );
            match cost_shift(&ctx, &shift, &worker).unwrap().rows[0].charge {
                Charge::Hour { entry_rate, .. } => entry_rate.to_string(),
                other => panic!("charged by the hour: {other:?}"),
            }
        };
        assert_eq!(
            charged(&[
                (ArrangementKind::Full, &la1),
                (ArrangementKind::Contribution, &family)
            ]),
            "22.5000",
            "the council's contracted rate covers the package"
        );
        assert_eq!(charged(&[(ArrangementKind::Full, &la1)]), "22.5000");
        assert_eq!(
            charged(&[
                (ArrangementKind::Percentage, &la1),
                (ArrangementKind::Percentage, &family)
            ]),
            "24.0000",
            "percentage payers get the default card"
        );
    }
}
