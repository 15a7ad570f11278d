//! Reference data that lets money come out as zero or missing without any error: time no rate
//! applies to, pay with no enhancement or sleep-in allowance in force, and workers' time on dates
//! with no base rate. Checked after every import and every night; each gap is a warning that
//! says what to import, never a refusal.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::NaiveDate;

use crate::domain::{Band, PayElement, ServiceCode, WorkerId};

use super::engine::{RatingContext, WorkerTerms};

/// Names listed in a warning before `and N more`.
const NAMES_SHOWN_MAX: usize = 5;

/// Unpriced time of approved shifts for one service and person (docs/rules.md C2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnpricedTime {
    pub service: String,
    pub person: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub minutes: i64,
}

/// What the ledger holds that reference data leaves without money.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerFacts {
    /// Unpriced time, per service and person.
    pub unpriced: Vec<UnpricedTime>,
    /// One-off items with no fixed price on the card.
    pub unpriced_one_offs: u64,
    /// The shifts of workers whose base-rate history has gaps: each shift's first and last local
    /// date. Workers paid on every date need not be listed.
    pub shifts: HashMap<WorkerId, Vec<(NaiveDate, NaiveDate)>>,
}

/// A worker's shifts on dates with no base rate in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnpaidTime {
    pub worker: WorkerId,
    pub shifts: usize,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// A gap in reference data that makes money come out as zero or missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gap {
    /// Approved time (and one-off items) that no rate applies to: reported, never charged.
    Unpriced {
        minutes: i64,
        first: Option<NaiveDate>,
        last: Option<NaiveDate>,
        /// Unpriced minutes per service, in byte order.
        services: Vec<(String, i64)>,
        /// The people whose time is unpriced, in byte order.
        people: Vec<String>,
        one_offs: u64,
    },
    /// Services paid by the minute while no enhancement is in force for some bands: time in
    /// those bands is paid at the base rate alone.
    NoEnhancement {
        date: NaiveDate,
        bands: Vec<Band>,
        services: Vec<ServiceCode>,
    },
    /// Sleep-in services (paid as `sleep_in`, or charged per night on the card) while no
    /// allowance is in force for nights starting in some bands: those nights pay nothing.
    NoSleepInAllowance {
        date: NaiveDate,
        /// Every band, when no allowance at all is in force.
        bands: Vec<Band>,
        services: Vec<ServiceCode>,
    },
    /// Workers with shifts on dates no base rate covers: that time pays nothing.
    NoBaseRate { workers: Vec<UnpaidTime> },
}

/// Bands an enhancement is expected for: time in them is usually paid more than the base rate,
/// and an amount of 0.00 records that it is not.
const ENHANCED_BANDS: [Band; 3] = [Band::Night, Band::Weekend, Band::BankHoliday];

/// Bands in the order a warning names them.
const BANDS_SHOWN: [Band; 4] = [Band::Day, Band::Night, Band::Weekend, Band::BankHoliday];

/// The gaps in reference data as it stands on `date` (the business date of a night, or today for
/// an import), given what the ledger holds. Empty when nothing is missing.
pub fn reference_gaps(
    ctx: &RatingContext,
    workers: &HashMap<WorkerId, WorkerTerms>,
    ledger: &LedgerFacts,
    date: NaiveDate,
) -> Vec<Gap> {
    let mut gaps = Vec::new();
    if let Some(gap) = unpriced(ledger) {
        gaps.push(gap);
    }
    let element = |service: &ServiceCode| {
        ctx.pay_elements
            .get(service)
            .copied()
            .unwrap_or(PayElement::Contact)
    };
    let mut services: BTreeSet<&ServiceCode> = ctx.pay_elements.keys().collect();
    services.extend(ctx.rate_card.services());

    let by_the_minute: Vec<ServiceCode> = services
        .iter()
        .filter(|s| element(s).is_paid_by_the_minute())
        .map(|s| (*s).clone())
        .collect();
    let unenhanced: Vec<Band> = BANDS_SHOWN
        .into_iter()
        .filter(|band| ENHANCED_BANDS.contains(band))
        .filter(|band| {
            !ctx.pay_rules.enhancements.iter().any(|e| {
                e.band == *band
                    && e.effective_from <= date
                    && e.effective_to.is_none_or(|to| date <= to)
            })
        })
        .collect();
    if !by_the_minute.is_empty() && !unenhanced.is_empty() {
        gaps.push(Gap::NoEnhancement {
            date,
            bands: unenhanced,
            services: by_the_minute,
        });
    }

    let night_services = ctx.rate_card.night_services(date);
    let sleep_ins: Vec<ServiceCode> = services
        .iter()
        .filter(|s| element(s) == PayElement::SleepIn || night_services.contains(*s))
        .map(|s| (*s).clone())
        .collect();
    let without_allowance: Vec<Band> = BANDS_SHOWN
        .into_iter()
        .filter(|band| {
            !ctx.pay_rules.sleep_in_allowances.iter().any(|a| {
                a.band.is_none_or(|b| b == *band)
                    && a.effective_from <= date
                    && a.effective_to.is_none_or(|to| date <= to)
            })
        })
        .collect();
    if !sleep_ins.is_empty() && !without_allowance.is_empty() {
        gaps.push(Gap::NoSleepInAllowance {
            date,
            bands: without_allowance,
            services: sleep_ins,
        });
    }

    let mut unpaid: Vec<UnpaidTime> = ledger
        .shifts
        .iter()
        .filter_map(|(worker, shifts)| {
            let history = workers.get(worker)?;
            let uncovered = history.base_rates.gaps();
            let mut found: Option<UnpaidTime> = None;
            for &(first, last) in shifts {
                let hits = uncovered.iter().filter_map(|&(from, to)| {
                    let start = first.max(from);
                    let end = to.map_or(last, |to| last.min(to));
                    (start <= end).then_some((start, end))
                });
                let mut counted = false;
                for (start, end) in hits {
                    let entry = found.get_or_insert(UnpaidTime {
                        worker: worker.clone(),
                        shifts: 0,
                        first: start,
                        last: end,
                    });
                    entry.first = entry.first.min(start);
                    entry.last = entry.last.max(end);
                    if !counted {
                        entry.shifts += 1;
                        counted = true;
                    }
                }
            }
            found
        })
        .collect();
    if !unpaid.is_empty() {
        unpaid.sort_by(|a, b| a.worker.as_str().cmp(b.worker.as_str()));
        gaps.push(Gap::NoBaseRate { workers: unpaid });
    }
    gaps
}

fn unpriced(ledger: &LedgerFacts) -> Option<Gap> {
    if ledger.unpriced.is_empty() && ledger.unpriced_one_offs == 0 {
        return None;
    }
    let mut services: BTreeMap<&str, i64> = BTreeMap::new();
    let mut people: BTreeSet<&str> = BTreeSet::new();
    for time in &ledger.unpriced {
        let minutes = services.entry(&time.service).or_default();
        *minutes = minutes.saturating_add(time.minutes);
        people.insert(&time.person);
    }
    Some(Gap::Unpriced {
        minutes: ledger
            .unpriced
            .iter()
            .fold(0, |sum, t| sum.saturating_add(t.minutes)),
        first: ledger.unpriced.iter().map(|t| t.first).min(),
        last: ledger.unpriced.iter().map(|t| t.last).max(),
        services: services
            .into_iter()
            .map(|(s, m)| (s.to_owned(), m))
            .collect(),
        people: people.into_iter().map(str::to_owned).collect(),
        one_offs: ledger.unpriced_one_offs,
    })
}

/// `A, B, C` or `A, B, C, D, E and 4 more`.
fn listed<T: fmt::Display>(items: &[T]) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(NAMES_SHOWN_MAX)
        .map(ToString::to_string)
        .collect();
    let more = items.len().saturating_sub(NAMES_SHOWN_MAX);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// `night, weekend or bank_holiday`.
fn either(bands: &[Band]) -> String {
    let names: Vec<&str> = bands.iter().map(|b| b.as_str()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// A count with thousands separated: `12,345`.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gap::Unpriced {
                minutes,
                first,
                last,
                services,
                people,
                one_offs,
            } => {
                f.write_str("unpriced: ")?;
                if let (Some(first), Some(last)) = (first, last) {
                    let by_service: Vec<String> = services
                        .iter()
                        .map(|(s, m)| format!("{s} {}", thousands(*m)))
                        .collect();
                    write!(
                        f,
                        "{} minute(s) of approved time from {first} to {last} have no rate and \
                         are not charged ({}; {} {}: {})",
                        thousands(*minutes),
                        listed(&by_service),
                        people.len(),
                        if people.len() == 1 {
                            "person"
                        } else {
                            "people"
                        },
                        listed(people)
                    )?;
                    if *one_offs > 0 {
                        write!(f, ", and {one_offs} one-off item(s) have no fixed price")?;
                    }
                    write!(
                        f,
                        "; add rates to the rate card, and see tms report unpriced --from \
                         {first} --to {last}"
                    )
                } else {
                    write!(
                        f,
                        "{one_offs} one-off item(s) have no fixed price on the rate card and are \
                         not charged; add fixed entries, and see tms report unpriced"
                    )
                }
            }
            Gap::NoEnhancement {
                date,
                bands,
                services,
            } => write!(
                f,
                "pay rules: no enhancement is in force on {date} for {} time, so {} pay the base \
                 rate alone then; import pay-rules enhancement rows for those bands (an amount \
                 of 0.00 records that none is paid)",
                either(bands),
                listed(services)
            ),
            Gap::NoSleepInAllowance {
                date,
                bands,
                services,
            } => {
                let which = if bands.len() == BANDS_SHOWN.len() {
                    "no sleep-in allowance is in force".to_owned()
                } else {
                    format!(
                        "no sleep-in allowance is in force for nights starting in {} time",
                        either(bands)
                    )
                };
                write!(
                    f,
                    "pay rules: {which} on {date}, so a night of {} pays the worker £0.00; \
                     import a pay-rules sleep_in_allowance row",
                    listed(services)
                )
            }
            Gap::NoBaseRate { workers } => {
                let each: Vec<String> = workers
                    .iter()
                    .map(|w| {
                        format!(
                            "{} ({} shift(s), {} to {})",
                            w.worker, w.shifts, w.first, w.last
                        )
                    })
                    .collect();
                write!(
                    f,
                    "base rates: {} worker(s) have shifts on dates with no base rate in force, \
                     and that time pays £0.00: {}; import base-rates rows covering those dates",
                    workers.len(),
                    listed(&each)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::pay::{BaseRate, BaseRates, Enhancement, PayRules, SleepInAllowance};
    use crate::cost::rate_card::{RateCard, RateEntry};
    use crate::domain::{CostCentreId, Pence, Rate, Unit};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn code(s: &str) -> ServiceCode {
        ServiceCode::parse(s).unwrap()
    }

    fn entry(service: &str, unit: Unit) -> RateEntry {
        RateEntry {
            service: code(service),
            unit,
            band: Band::Day,
            ratio: 1,
            rate: Rate::parse_pounds("24").unwrap(),
            effective_from: d("2025-01-01"),
            effective_to: None,
            payer: None,
        }
    }

    /// Personal care, travel and sleep-ins with a card and complete pay rules.
    fn provider() -> RatingContext {
        let mut ctx = RatingContext::default();
        ctx.pay_elements.extend([
            (code("PERSONAL_CARE"), PayElement::Contact),
            (code("TRAVEL"), PayElement::Travel),
            (code("SLEEP_IN"), PayElement::SleepIn),
            (code("WAITING"), PayElement::Unpaid),
        ]);
        ctx.rate_card = RateCard::new([
            entry("PERSONAL_CARE", Unit::Hour),
            entry("SLEEP_IN", Unit::Night),
        ]);
        ctx.pay_rules = PayRules {
            enhancements: ENHANCED_BANDS
                .iter()
                .map(|&band| Enhancement {
                    band,
                    amount: Rate::parse_pounds("1.50").unwrap(),
                    effective_from: d("2025-01-01"),
                    effective_to: None,
                })
                .collect(),
            sleep_in_allowances: vec![SleepInAllowance {
                band: None,
                amount: Pence::new(8_000),
                effective_from: d("2025-01-01"),
                effective_to: None,
            }],
        };
        ctx
    }

    fn workers() -> HashMap<WorkerId, WorkerTerms> {
        let terms = |history: BaseRates| WorkerTerms {
            base_rates: history,
            cost_centre: CostCentreId::parse("CC1").unwrap(),
        };
        HashMap::from([
            (
                WorkerId::parse("W1").unwrap(),
                terms(BaseRates::flat(Rate::parse_pounds("12.60").unwrap())),
            ),
            (
                WorkerId::parse("W2").unwrap(),
                terms(BaseRates::new([BaseRate {
                    rate: Rate::parse_pounds("12.60").unwrap(),
                    effective_from: crate::domain::reference::FROM_THE_BEGINNING,
                    effective_to: Some(d("2026-10-31")),
                }])),
            ),
        ])
    }

    #[test]
    fn complete_reference_data_has_no_gaps() {
        let gaps = reference_gaps(
            &provider(),
            &workers(),
            &LedgerFacts::default(),
            d("2026-12-03"),
        );
        assert_eq!(gaps, vec![]);
    }

    #[test]
    fn without_pay_rules_enhancements_and_sleep_ins_are_named() {
        let mut ctx = provider();
        ctx.pay_rules = PayRules::default();
        let gaps = reference_gaps(&ctx, &workers(), &LedgerFacts::default(), d("2026-12-03"));
        let texts: Vec<String> = gaps.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "pay rules: no enhancement is in force on 2026-12-03 for night, weekend or \
                 bank_holiday time, so PERSONAL_CARE, TRAVEL pay the base rate alone then; \
                 import pay-rules enhancement rows for those bands (an amount of 0.00 records \
                 that none is paid)",
                "pay rules: no sleep-in allowance is in force on 2026-12-03, so a night of \
                 SLEEP_IN pays the worker £0.00; import a pay-rules sleep_in_allowance row",
            ]
        );
        // Rules that ended before the date leave the same gaps; an allowance for one band only
        // leaves the others.
        let mut ended = provider();
        for e in &mut ended.pay_rules.enhancements {
            e.effective_to = Some(d("2026-03-31"));
        }
        ended.pay_rules.enhancements.push(Enhancement {
            band: Band::Night,
            amount: Rate::ZERO,
            effective_from: d("2026-04-01"),
            effective_to: None,
        });
        ended.pay_rules.sleep_in_allowances[0].band = Some(Band::BankHoliday);
        let gaps = reference_gaps(&ended, &workers(), &LedgerFacts::default(), d("2026-12-03"));
        assert!(
            matches!(&gaps[0], Gap::NoEnhancement { bands, .. } if *bands == [Band::Weekend, Band::BankHoliday]),
            "an enhancement of 0.00 for nights says none is paid: {gaps:?}"
        );
        assert_eq!(
            gaps[1].to_string(),
            "pay rules: no sleep-in allowance is in force for nights starting in day, night or \
             weekend time on 2026-12-03, so a night of SLEEP_IN pays the worker £0.00; import a \
             pay-rules sleep_in_allowance row"
        );
    }

    #[test]
    fn a_night_priced_service_needs_an_allowance_even_when_paid_as_contact() {
        let mut ctx = provider();
        ctx.pay_elements.remove(&code("SLEEP_IN"));
        ctx.pay_rules.sleep_in_allowances.clear();
        let gaps = reference_gaps(&ctx, &workers(), &LedgerFacts::default(), d("2026-12-03"));
        assert!(
            matches!(&gaps[..], [Gap::NoSleepInAllowance { services, .. }] if *services == [code("SLEEP_IN")]),
            "{gaps:?}"
        );
        // Once the night entry has ended, the service is no longer charged by the night.
        let mut ended = ctx.clone();
        let mut night = entry("SLEEP_IN", Unit::Night);
        night.effective_to = Some(d("2026-06-30"));
        ended.rate_card = RateCard::new([entry("PERSONAL_CARE", Unit::Hour), night]);
        assert_eq!(
            reference_gaps(&ended, &workers(), &LedgerFacts::default(), d("2026-12-03")),
            vec![]
        );
    }

    #[test]
    fn unpriced_time_is_summed_by_service_and_person_with_its_dates() {
        let time = |service: &str, person: &str, first: &str, last: &str, minutes| UnpricedTime {
            service: service.into(),
            person: person.into(),
            first: d(first),
            last: d(last),
            minutes,
        };
        let ledger = LedgerFacts {
            unpriced: vec![
                time("COMMUNITY", "B", "2026-10-03", "2026-10-20", 600),
                time("TRAVEL", "A", "2026-10-06", "2026-10-06", 40),
                time("COMMUNITY", "A", "2026-10-01", "2026-10-09", 1_200),
            ],
            unpriced_one_offs: 2,
            ..LedgerFacts::default()
        };
        let gaps = reference_gaps(&provider(), &workers(), &ledger, d("2026-12-03"));
        assert_eq!(
            gaps.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "unpriced: 1,840 minute(s) of approved time from 2026-10-01 to 2026-10-20 have no \
              rate and are not charged (COMMUNITY 1,800, TRAVEL 40; 2 people: A, B), and 2 \
              one-off item(s) have no fixed price; add rates to the rate card, and see tms \
              report unpriced --from 2026-10-01 --to 2026-10-20"
            ]
        );
        let only_one_offs = LedgerFacts {
            unpriced_one_offs: 1,
            ..LedgerFacts::default()
        };
        assert!(
            reference_gaps(&provider(), &workers(), &only_one_offs, d("2026-12-03"))[0]
                .to_string()
                .starts_with("unpriced: 1 one-off item(s) have no fixed price")
        );
    }

    #[test]
    fn shifts_on_dates_without_a_base_rate_are_named_by_worker() {
        let w = |s: &str| WorkerId::parse(s).unwrap();
        let ledger = LedgerFacts {
            shifts: HashMap::from([
                // W2's rate ends on 31 October: two shifts after it, one before.
                (
                    w("W2"),
                    vec![
                        (d("2026-10-31"), d("2026-11-01")),
                        (d("2026-10-20"), d("2026-10-20")),
                        (d("2026-11-20"), d("2026-11-20")),
                    ],
                ),
                // W1 is paid on every date.
                (w("W1"), vec![(d("2026-11-02"), d("2026-11-02"))]),
            ]),
            ..LedgerFacts::default()
        };
        let gaps = reference_gaps(&provider(), &workers(), &ledger, d("2026-12-03"));
        assert_eq!(
            gaps,
            vec![Gap::NoBaseRate {
                workers: vec![UnpaidTime {
                    worker: w("W2"),
                    shifts: 2,
                    first: d("2026-11-01"),
                    last: d("2026-11-20"),
                }]
            }]
        );
        assert_eq!(
            gaps[0].to_string(),
            "base rates: 1 worker(s) have shifts on dates with no base rate in force, and that \
             time pays £0.00: W2 (2 shift(s), 2026-11-01 to 2026-11-20); import base-rates rows \
             covering those dates"
        );
    }

    #[test]
    fn long_lists_are_cut_short() {
        let names: Vec<String> = (1..=8).map(|i| format!("S{i}")).collect();
        assert_eq!(listed(&names), "S1, S2, S3, S4, S5 and 3 more");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(either(&[Band::Weekend]), "weekend");
    }
}
