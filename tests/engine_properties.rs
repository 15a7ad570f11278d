//! Property tests of the pure engine against an independent, minute-by-minute reference of docs/rules.md.
//!
//! The reference below never calls the engine's band, rate or rounding code: it walks every
//! minute of every segment, finds its local date and band with chrono-tz directly, looks the rate
//! up over its own copy of the rate-card entries (C2), accumulates exact rational amounts per
//! invoice line (C5), charges nights once (C4), and computes pay per piece (K1, K2).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc, Weekday};
use chrono_tz::Europe::London;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use tms::allocate::{SegmentDraft, ShiftDraft, TICKS_PER_MINUTE};
use tms::calendar::BankHolidays;
use tms::cost::{
    AllocationRow, Charge, ChargeKey, CostedShift, Enhancement, PayRules, RateCard, RateEntry,
    RatingContext, SleepInAllowance, WorkerTerms, cost_shift,
};
use tms::domain::{
    Band, CostCentreId, Interval, LocalZone, PayElement, PayerId, Pence, PersonId, Rate,
    ServiceCode, ShiftRef, Unit, WorkerId,
};

// ---------------------------------------------------------------------------------------------
// The fixture: services, rate card, payers, pay rules and bank holidays, as plain tables.
// ---------------------------------------------------------------------------------------------

/// People who may be supported, already in byte order (`P10` sorts before `P2`).
const PEOPLE: [&str; 5] = ["P1", "P10", "P2", "P9", "Q"];

/// People with a single full payer: `LA1` has its own entries, `LA3` has none.
const FULL_PAYERS: [(&str, &str); 2] = [("P10", "LA1"), ("P9", "LA3")];

/// Services and how their time is paid. `TRAVEL` has no rate-card entry at all; `LIVE_IN` is a
/// second night-unit service with its own sleep-in allowance.
const SERVICES: [(&str, PayElement); 8] = [
    ("PC", PayElement::Contact),
    ("WN", PayElement::WakingNight),
    ("SLEEP", PayElement::SleepIn),
    ("AWAKE", PayElement::Awake),
    ("OUTING", PayElement::Contact),
    ("TRAVEL", PayElement::Travel),
    ("SHORT", PayElement::Contact),
    ("LIVE_IN", PayElement::SleepIn),
];

type EntryRow = (
    &'static str,
    Unit,
    Band,
    u32,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

/// `(service, unit, band, ratio, rate in pounds, effective_from, effective_to, payer)`.
#[rustfmt::skip]
const ENTRIES: [EntryRow; 22] = [
    // Hour entries with a rate change on 1 October, a ratio-2 and a ratio-3 entry.
    ("PC", Unit::Hour, Band::Day, 1, "24.00", "2025-01-01", Some("2026-09-30"), None),
    ("PC", Unit::Hour, Band::Day, 1, "24.50", "2026-10-01", None, None),
    ("PC", Unit::Hour, Band::Night, 1, "26.00", "2025-01-01", None, None),
    ("PC", Unit::Hour, Band::Weekend, 1, "27.00", "2025-01-01", None, None),
    ("PC", Unit::Hour, Band::BankHoliday, 1, "36.00", "2025-01-01", None, None),
    ("PC", Unit::Hour, Band::Day, 2, "14.00", "2025-01-01", None, None),
    ("PC", Unit::Hour, Band::Night, 3, "9.1234", "2025-01-01", None, None),
    // Payer overrides: LA1 is P10's full payer; nobody has LA2 as a single full payer.
    ("PC", Unit::Hour, Band::Day, 1, "30.00", "2025-01-01", None, Some("LA1")),
    ("PC", Unit::Hour, Band::Weekend, 2, "19.9999", "2025-01-01", None, Some("LA1")),
    ("PC", Unit::Hour, Band::Day, 1, "99.00", "2025-01-01", None, Some("LA2")),
    // Hour entries without any ratio-2/3 entry: shared time divides the 1:1 rate.
    ("WN", Unit::Hour, Band::Day, 1, "22.00", "2025-01-01", None, None),
    ("WN", Unit::Hour, Band::Weekend, 1, "24.00", "2025-01-01", None, None),
    ("WN", Unit::Hour, Band::Night, 1, "25.10", "2025-01-01", None, Some("LA1")),
    // A night-unit sleep-in, dearer on bank holidays, with a day ratio-3 entry.
    ("SLEEP", Unit::Night, Band::Day, 1, "90.00", "2025-01-01", None, None),
    ("SLEEP", Unit::Night, Band::BankHoliday, 1, "135.00", "2025-01-01", None, None),
    ("SLEEP", Unit::Night, Band::Day, 3, "70.01", "2025-01-01", None, None),
    // A second night-unit service, with a weekend override for LA1, priced only from the day of
    // the spring clock change to 27 December: nights can start unpriced and end priced, or the
    // other way round.
    ("LIVE_IN", Unit::Night, Band::Day, 1, "110.00", "2026-03-29", Some("2026-12-27"), None),
    ("LIVE_IN", Unit::Night, Band::Weekend, 1, "120.05", "2026-03-29", Some("2026-12-27"), Some("LA1")),
    ("AWAKE", Unit::Hour, Band::Day, 1, "20.00", "2025-01-01", None, None),
    ("OUTING", Unit::Fixed, Band::Day, 1, "150.00", "2025-01-01", None, None),
    // Priced only from March to August 2026: unpriced outside.
    ("SHORT", Unit::Hour, Band::Day, 1, "18.00", "2026-03-01", Some("2026-08-31"), None),
    ("SHORT", Unit::Hour, Band::Weekend, 2, "21.0001", "2026-03-01", Some("2026-08-31"), None),
];

/// Band enhancements on top of base pay: `(band, hourly amount, from, to)`.
const ENHANCEMENTS: [(Band, &str, &str, Option<&str>); 4] = [
    (Band::Night, "1.50", "2025-01-01", None),
    (Band::Weekend, "2.00", "2025-01-01", Some("2026-06-30")),
    (Band::Weekend, "2.2575", "2026-07-01", None),
    (Band::BankHoliday, "6.3333", "2025-01-01", None),
];

/// Sleep-in allowances: `(band or any, pounds, from)`.
const ALLOWANCES: [(Option<Band>, &str, &str); 2] = [
    (None, "45.00", "2025-01-01"),
    (Some(Band::BankHoliday), "67.51", "2025-01-01"),
];

/// England & Wales bank holidays (GOV.UK) for 2025–2027.
const BANK_HOLIDAYS: [&str; 24] = [
    "2025-01-01",
    "2025-04-18",
    "2025-04-21",
    "2025-05-05",
    "2025-05-26",
    "2025-08-25",
    "2025-12-25",
    "2025-12-26",
    "2026-01-01",
    "2026-04-03",
    "2026-04-06",
    "2026-05-04",
    "2026-05-25",
    "2026-08-31",
    "2026-12-25",
    "2026-12-28",
    "2027-01-01",
    "2027-03-26",
    "2027-03-29",
    "2027-05-03",
    "2027-05-31",
    "2027-08-30",
    "2027-12-27",
    "2027-12-28",
];

/// Worker base rates, some with four decimal places so that pay rounding matters.
const BASE_RATES: [&str; 4] = ["12.21", "12.6073", "15.00", "11.4449"];

/// Instants (UTC) near which shifts start: both 2026 clock changes, local midnights, month
/// ends, the nights around them and bank holidays.
const ANCHORS: [&str; 16] = [
    "2026-03-29T01:00:00Z", // clocks go forward
    "2026-10-25T01:00:00Z", // clocks go back
    "2026-03-28T22:00:00Z", // 22:00 GMT the night before the spring change
    "2026-10-24T21:00:00Z", // 22:00 BST the night before the autumn change
    "2026-01-31T23:00:00Z", // 23:00 on a month end (GMT)
    "2026-06-30T23:00:00Z", // local midnight into July (BST)
    "2026-08-30T23:00:00Z", // local midnight into the August bank holiday
    "2026-09-30T23:00:00Z", // local midnight into October, when PC's day rate changes
    "2026-12-24T22:00:00Z", // the night into Christmas Day
    "2026-12-28T00:00:00Z", // the substitute Boxing Day
    "2026-12-31T22:00:00Z", // into the new year
    "2026-10-31T00:00:00Z", // local midnight into a Saturday month end
    "2026-02-28T07:00:00Z", // a Saturday month end, when night ends
    "2026-08-31T21:00:00Z", // 22:00 BST at the end of the August bank holiday
    "2026-10-06T21:00:00Z", // 22:00 BST on a Tuesday
    "2026-03-10T22:00:00Z", // 22:00 GMT on a Tuesday
];

/// The 2026 UK clock changes (UTC).
const CLOCK_CHANGES: [&str; 2] = ["2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"];

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Parses pounds into an integer scaled by `10^places`, without the crate's money parser.
fn scaled(pounds: &str, places: usize) -> i64 {
    let (whole, fraction) = pounds.split_once('.').unwrap_or((pounds, ""));
    assert!(fraction.len() <= places, "{pounds} has too many places");
    let fraction = format!("{fraction:0<places$}");
    whole.parse::<i64>().unwrap() * 10_i64.pow(places as u32) + fraction.parse::<i64>().unwrap()
}

/// One rate-card entry as the reference sees it.
#[derive(Clone, Debug)]
struct RefEntry {
    service: &'static str,
    unit: Unit,
    band: Band,
    ratio: u32,
    centipence: i64,
    from: NaiveDate,
    to: Option<NaiveDate>,
    payer: Option<&'static str>,
}

impl RefEntry {
    fn effective(&self, on: NaiveDate) -> bool {
        self.from <= on && self.to.is_none_or(|to| on <= to)
    }
}

/// The fixture twice over: as the engine's context and as the reference's plain tables.
struct World {
    ctx: RatingContext,
    entries: Vec<RefEntry>,
    holidays: BTreeSet<NaiveDate>,
    elements: HashMap<&'static str, PayElement>,
    full_payers: HashMap<&'static str, &'static str>,
}

fn world() -> World {
    let entries: Vec<RefEntry> = ENTRIES
        .iter()
        .map(
            |&(service, unit, band, ratio, rate, from, to, payer)| RefEntry {
                service,
                unit,
                band,
                ratio,
                centipence: scaled(rate, 4),
                from: date(from),
                to: to.map(date),
                payer,
            },
        )
        .collect();
    let card = RateCard::new(entries.iter().map(|e| RateEntry {
        service: ServiceCode::parse(e.service).unwrap(),
        unit: e.unit,
        band: e.band,
        ratio: e.ratio,
        rate: Rate::from_centipence(e.centipence),
        effective_from: e.from,
        effective_to: e.to,
        payer: e.payer.map(|p| PayerId::parse(p).unwrap()),
    }));
    let pay_rules = PayRules {
        enhancements: ENHANCEMENTS
            .iter()
            .map(|&(band, amount, from, to)| Enhancement {
                band,
                amount: Rate::from_centipence(scaled(amount, 4)),
                effective_from: date(from),
                effective_to: to.map(date),
            })
            .collect(),
        sleep_in_allowances: ALLOWANCES
            .iter()
            .map(|&(band, amount, from)| SleepInAllowance {
                band,
                amount: Pence::new(scaled(amount, 2)),
                effective_from: date(from),
                effective_to: None,
            })
            .collect(),
    };
    let holidays: BTreeSet<NaiveDate> = BANK_HOLIDAYS.iter().map(|d| date(d)).collect();
    let ctx = RatingContext {
        zone: LocalZone::new(London),
        holidays: BankHolidays::new(
            "england-and-wales",
            holidays.iter().map(|d| (*d, "bank holiday".to_owned())),
        ),
        pay_elements: SERVICES
            .iter()
            .map(|&(code, element)| (ServiceCode::parse(code).unwrap(), element))
            .collect(),
        rate_card: card,
        pay_rules,
        full_payers: FULL_PAYERS
            .iter()
            .map(|&(p, payer)| (PersonId::parse(p).unwrap(), PayerId::parse(payer).unwrap()))
            .collect(),
        ..RatingContext::default()
    };
    World {
        ctx,
        entries,
        holidays,
        elements: SERVICES.iter().copied().collect(),
        full_payers: FULL_PAYERS.iter().copied().collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Generated shifts.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct SegmentSpec {
    /// Unpaid minutes before this segment (after the previous one, or after the shift start).
    gap: i64,
    minutes: i64,
    service: &'static str,
    /// In byte order; empty for unallocated work.
    people: Vec<&'static str>,
}

#[derive(Clone, Debug)]
struct ShiftSpec {
    start: DateTime<Utc>,
    base_rate: &'static str,
    segments: Vec<SegmentSpec>,
}

impl ShiftSpec {
    /// Each segment's interval, in order.
    fn intervals(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut at = self.start;
        self.segments
            .iter()
            .map(|s| {
                let start = at + Duration::minutes(s.gap);
                at = start + Duration::minutes(s.minutes);
                (start, at)
            })
            .collect()
    }

    fn draft(&self, number: usize) -> ShiftDraft {
        ShiftDraft {
            worker_id: WorkerId::parse(&format!("W{number}")).unwrap(),
            shift_ref: ShiftRef::parse(&format!("S{number}")).unwrap(),
            segments: self
                .segments
                .iter()
                .zip(self.intervals())
                .map(|(s, (start, end))| SegmentDraft {
                    interval: Interval::new(start, end).unwrap(),
                    service: ServiceCode::parse(s.service).unwrap(),
                    people: s
                        .people
                        .iter()
                        .map(|p| PersonId::parse(p).unwrap())
                        .collect(),
                })
                .collect(),
        }
    }

    fn terms(&self) -> WorkerTerms {
        WorkerTerms::flat(
            Rate::from_centipence(scaled(self.base_rate, 4)),
            CostCentreId::parse("HOUSE1").unwrap(),
        )
    }
}

fn start_strategy() -> impl Strategy<Value = DateTime<Utc>> {
    let offset = prop_oneof![
        Just(0_i64),
        (-48_i64..=48).prop_map(|quarters| quarters * 15),
        -720_i64..=720,
    ];
    let anchored = (select(ANCHORS.to_vec()), offset).prop_map(|(anchor, off)| {
        anchor.parse::<DateTime<Utc>>().unwrap() + Duration::minutes(off)
    });
    // Starting up to 15 hours before a clock change, so that most such shifts span it.
    let before_a_change =
        (select(CLOCK_CHANGES.to_vec()), -900_i64..=60).prop_map(|(change, off)| {
            change.parse::<DateTime<Utc>>().unwrap() + Duration::minutes(off)
        });
    let anywhere = (0_i64..365 * 24 * 60).prop_map(|m| {
        "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(m)
    });
    prop_oneof![3 => anchored, 1 => before_a_change, 1 => anywhere]
}

fn segment_strategy() -> impl Strategy<Value = SegmentSpec> {
    let gap = prop_oneof![3 => Just(0_i64), 1 => 1_i64..=120];
    let minutes = prop_oneof![2 => 1_i64..=180, 1 => 1_i64..=840];
    // PC, with the most entries, is drawn more often than the others.
    let mut codes: Vec<&'static str> = SERVICES.iter().map(|(code, _)| *code).collect();
    codes.extend(["PC", "PC"]);
    let service = select(codes);
    (gap, minutes, service, subsequence(PEOPLE.to_vec(), 0..=4)).prop_map(
        |(gap, minutes, service, people)| SegmentSpec {
            gap,
            minutes,
            service,
            people,
        },
    )
}

fn shift_strategy() -> impl Strategy<Value = ShiftSpec> {
    (
        start_strategy(),
        select(BASE_RATES.to_vec()),
        prop::collection::vec(segment_strategy(), 1..=4),
    )
        .prop_map(|(start, base_rate, segments)| ShiftSpec {
            start,
            base_rate,
            segments,
        })
}

/// One to three shifts (of different workers) and a shuffled order to cost them in.
fn shifts_and_order() -> impl Strategy<Value = (Vec<ShiftSpec>, Vec<usize>)> {
    prop::collection::vec(shift_strategy(), 1..=3).prop_flat_map(|shifts| {
        let order: Vec<usize> = (0..shifts.len()).collect();
        (Just(shifts), Just(order).prop_shuffle())
    })
}

// ---------------------------------------------------------------------------------------------
// The reference.
// ---------------------------------------------------------------------------------------------

/// Half away from zero, written independently of the crate's rounding.
fn round_half_away(numerator: i128, denominator: i128) -> i128 {
    assert!(denominator > 0);
    if numerator >= 0 {
        (2 * numerator + denominator) / (2 * denominator)
    } else {
        -((-2 * numerator + denominator) / (2 * denominator))
    }
}

fn wall(instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&London).naive_local()
}

/// B1 with the default precedence and the 22:00–07:00 night window.
fn band_of(world: &World, wall: NaiveDateTime) -> Band {
    let day = wall.date();
    assert!(
        (2025..=2027).contains(&day.year()),
        "the fixture's calendar covers {day}"
    );
    if world.holidays.contains(&day) {
        Band::BankHoliday
    } else if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        Band::Weekend
    } else if wall.hour() >= 22 || wall.hour() < 7 {
        Band::Night
    } else {
        Band::Day
    }
}

/// C2 over the reference's own entries: `(unit, entry rate in centipence, divisor)`.
fn rate_for(
    world: &World,
    service: &str,
    band: Band,
    k: u32,
    on: NaiveDate,
    payer: Option<&str>,
) -> Option<(Unit, i64, u32)> {
    let steps = [
        (band, k, 1),
        (band, 1, k),
        (Band::Day, k, 1),
        (Band::Day, 1, k),
    ];
    for (step_band, ratio, divisor) in steps {
        let candidates: Vec<&RefEntry> = world
            .entries
            .iter()
            .filter(|e| {
                e.service == service && e.band == step_band && e.ratio == ratio && e.effective(on)
            })
            .collect();
        let payers_own = payer.and_then(|p| candidates.iter().find(|e| e.payer == Some(p)));
        let chosen = payers_own.or_else(|| candidates.iter().find(|e| e.payer.is_none()));
        if let Some(e) = chosen {
            return Some((e.unit, e.centipence, divisor));
        }
    }
    None
}

fn enhancement(band: Band, on: NaiveDate) -> i64 {
    ENHANCEMENTS
        .iter()
        .find(|&&(b, _, from, to)| {
            b == band && date(from) <= on && to.is_none_or(|t| on <= date(t))
        })
        .map_or(0, |&(_, amount, _, _)| scaled(amount, 4))
}

fn allowance(band: Band, on: NaiveDate) -> i64 {
    let in_force = |from: &str| date(from) <= on;
    let banded = ALLOWANCES
        .iter()
        .find(|&&(b, _, from)| b == Some(band) && in_force(from));
    let general = ALLOWANCES
        .iter()
        .find(|&&(b, _, from)| b.is_none() && in_force(from));
    banded
        .or(general)
        .map_or(0, |&(_, amount, _)| scaled(amount, 2))
}

/// Splits pence equally between `k` people in byte order, odd pence to the first.
fn split_equally(amount: i64, k: usize) -> Vec<i64> {
    assert!(amount >= 0 && k >= 1);
    let k = k as i64;
    (0..k)
        .map(|i| amount / k + i64::from(i < amount % k))
        .collect()
}

/// What a minute of one person's time is charged, as the reference sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Nobody,
    Unpriced,
    Fixed,
    Hour { centipence: i64, divisor: u32 },
    Night { centipence: i64, divisor: u32 },
}

/// An invoice line before rounding: exact amount `numerator / denominator` pence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ExactLine {
    minutes: i64,
    units: i64,
    numerator: i128,
    denominator: i128,
}

impl ExactLine {
    fn add(&mut self, other: ExactLine) {
        assert!(self.denominator == 0 || self.denominator == other.denominator);
        self.minutes += other.minutes;
        self.units += other.units;
        self.numerator += other.numerator;
        self.denominator = other.denominator;
    }

    fn rounded(self) -> (i64, i64, Pence) {
        let pence = round_half_away(self.numerator, self.denominator);
        (
            self.minutes,
            self.units,
            Pence::new(i64::try_from(pence).unwrap()),
        )
    }
}

/// `(segment number, person or unallocated, minute since the epoch)`.
type MinuteKey = (u32, Option<String>, i64);
/// `(segment number, local date, person or unallocated)`.
type PieceKey = (u32, NaiveDate, Option<String>);

/// Everything the reference derives from one shift.
#[derive(Debug, Default)]
struct Expected {
    worked_minutes: i64,
    unallocated_minutes: i64,
    /// Allocated minutes per person as a fraction over 12 (the lcm of 1..=4).
    twelfths: BTreeMap<Option<String>, i64>,
    minutes: BTreeMap<MinuteKey, (NaiveDate, Band, Kind)>,
    lines: BTreeMap<ChargeKey, ExactLine>,
    /// The first minute of each night charged, per person and service.
    night_starts: BTreeMap<(String, String), DateTime<Utc>>,
    pay: BTreeMap<PieceKey, i64>,
    pay_total: i64,
}

fn epoch_minute(instant: DateTime<Utc>) -> i64 {
    instant.timestamp().div_euclid(60)
}

fn reference(world: &World, spec: &ShiftSpec) -> Expected {
    let mut out = Expected::default();
    let base = scaled(spec.base_rate, 4);
    // C4: each person's first minute of each service, whether or not it has a rate.
    let mut services_started: BTreeSet<(String, String)> = BTreeSet::new();
    let mut allowances_paid: BTreeSet<&str> = BTreeSet::new();
    for (number, (segment, (start, _))) in spec.segments.iter().zip(spec.intervals()).enumerate() {
        let segment_no = u32::try_from(number).unwrap();
        let k = segment.people.len();
        let element = world.elements[segment.service];
        let paid_by_the_minute = !matches!(element, PayElement::SleepIn | PayElement::Unpaid);
        out.worked_minutes += segment.minutes;
        if k == 0 {
            out.unallocated_minutes += segment.minutes;
            *out.twelfths.entry(None).or_default() += 12 * segment.minutes;
        }
        for p in &segment.people {
            *out.twelfths.entry(Some((*p).to_owned())).or_default() +=
                12 * segment.minutes / k as i64;
        }
        // Pay in centipence-minutes per local date (a piece), in date order.
        let mut pieces: BTreeMap<NaiveDate, i128> = BTreeMap::new();
        let mut first_minute: Option<(NaiveDate, Band)> = None;
        for m in 0..segment.minutes {
            let instant = start + Duration::minutes(m);
            let local = wall(instant);
            let on = local.date();
            let band = band_of(world, local);
            first_minute.get_or_insert((on, band));
            let hourly = if paid_by_the_minute {
                base + enhancement(band, on)
            } else {
                0
            };
            *pieces.entry(on).or_default() += i128::from(hourly);
            let minute = epoch_minute(instant);
            if k == 0 {
                out.minutes
                    .insert((segment_no, None, minute), (on, band, Kind::Nobody));
                continue;
            }
            for p in &segment.people {
                let payer = world.full_payers.get(p).copied();
                let found = rate_for(world, segment.service, band, k as u32, on, payer);
                let kind = match found {
                    None => Kind::Unpriced,
                    Some((Unit::Fixed, _, _)) => Kind::Fixed,
                    Some((Unit::Hour, centipence, divisor)) => Kind::Hour {
                        centipence,
                        divisor,
                    },
                    Some((Unit::Night, centipence, divisor)) => Kind::Night {
                        centipence,
                        divisor,
                    },
                };
                let first_of_service =
                    services_started.insert(((*p).to_owned(), segment.service.to_owned()));
                let key = |unit: Unit, centipence: i64, divisor: u32| ChargeKey {
                    person_id: PersonId::parse(p).unwrap(),
                    date: on,
                    service: ServiceCode::parse(segment.service).unwrap(),
                    band,
                    ratio: k as u32,
                    unit,
                    entry_rate: Rate::from_centipence(centipence),
                    divisor,
                };
                match kind {
                    Kind::Hour {
                        centipence,
                        divisor,
                    } => {
                        out.lines
                            .entry(key(Unit::Hour, centipence, divisor))
                            .or_default()
                            .add(ExactLine {
                                minutes: 1,
                                units: 0,
                                numerator: i128::from(centipence),
                                denominator: 60 * 100 * i128::from(divisor),
                            });
                    }
                    Kind::Night {
                        centipence,
                        divisor,
                    } if first_of_service => {
                        out.lines
                            .entry(key(Unit::Night, centipence, divisor))
                            .or_default()
                            .add(ExactLine {
                                minutes: 0,
                                units: 1,
                                numerator: i128::from(centipence),
                                denominator: 100 * i128::from(divisor),
                            });
                        out.night_starts
                            .insert(((*p).to_owned(), segment.service.to_owned()), instant);
                    }
                    _ => {}
                }
                out.minutes.insert(
                    (segment_no, Some((*p).to_owned()), minute),
                    (on, band, kind),
                );
            }
        }
        // K1 and K2: each piece rounded once and shared equally; the allowance like a piece.
        let people: Vec<Option<String>> = if k == 0 {
            vec![None]
        } else {
            segment
                .people
                .iter()
                .map(|p| Some((*p).to_owned()))
                .collect()
        };
        let allowance_here = (element == PayElement::SleepIn
            && allowances_paid.insert(segment.service))
        .then(|| first_minute.unwrap())
        .map(|(on, band)| (on, allowance(band, on)));
        for (on, centipence_minutes) in pieces {
            let piece = i64::try_from(round_half_away(centipence_minutes, 60 * 100)).unwrap();
            out.pay_total += piece;
            let mut shares = split_equally(piece, people.len());
            if let Some((first_day, amount)) = allowance_here
                && first_day == on
            {
                out.pay_total += amount;
                for (share, extra) in shares.iter_mut().zip(split_equally(amount, people.len())) {
                    *share += extra;
                }
            }
            for (who, share) in people.iter().zip(shares) {
                out.pay.insert((segment_no, on, who.clone()), share);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The engine's results, read back the way C5 and K2 describe.
// ---------------------------------------------------------------------------------------------

/// Groups charged rows per C5: hour rows sum minutes, night rows with units sum units.
fn engine_lines<'a>(
    rows: impl IntoIterator<Item = &'a AllocationRow>,
) -> BTreeMap<ChargeKey, (i64, i64, Pence)> {
    tms::cost::group_lines(rows)
        .expect("amounts in range")
        .into_iter()
        .map(|line| (line.key.clone(), (line.minutes, line.units, line.amount)))
        .collect()
}

fn reference_lines<'a>(
    expected: impl IntoIterator<Item = &'a Expected>,
) -> BTreeMap<ChargeKey, (i64, i64, Pence)> {
    let mut exact: BTreeMap<ChargeKey, ExactLine> = BTreeMap::new();
    for shift in expected {
        for (key, line) in &shift.lines {
            exact.entry(key.clone()).or_default().add(*line);
        }
    }
    exact
        .into_iter()
        .map(|(key, line)| (key, line.rounded()))
        .collect()
}

fn kind_of(charge: Charge) -> Kind {
    match charge {
        Charge::Nobody => Kind::Nobody,
        Charge::Unpriced => Kind::Unpriced,
        Charge::Fixed => Kind::Fixed,
        Charge::Hour {
            entry_rate,
            divisor,
        } => Kind::Hour {
            centipence: entry_rate.centipence(),
            divisor,
        },
        Charge::Night {
            entry_rate,
            divisor,
            ..
        } => Kind::Night {
            centipence: entry_rate.centipence(),
            divisor,
        },
    }
}

/// Every row expanded to its minutes; a minute covered twice for one person is an error.
fn engine_minutes(
    costed: &CostedShift,
) -> Result<BTreeMap<MinuteKey, (NaiveDate, Band, Kind)>, TestCaseError> {
    let mut out = BTreeMap::new();
    for row in &costed.rows {
        for m in 0..row.minutes {
            let key = (
                row.segment_no,
                row.person_id.as_ref().map(|p| p.to_string()),
                epoch_minute(row.start) + m,
            );
            let previous = out.insert(key.clone(), (row.local_date, row.band, kind_of(row.charge)));
            prop_assert!(previous.is_none(), "minute {key:?} is in two rows");
        }
    }
    Ok(out)
}

/// The first key at which two maps differ, for a readable failure.
fn first_difference<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
    engine: &BTreeMap<K, V>,
    reference: &BTreeMap<K, V>,
) -> Option<String> {
    let keys: BTreeSet<&K> = engine.keys().chain(reference.keys()).collect();
    keys.into_iter().find_map(|key| {
        let (e, r) = (engine.get(key), reference.get(key));
        (e != r).then(|| format!("at {key:?}: engine {e:?}, reference {r:?}"))
    })
}

fn cost(world: &World, number: usize, spec: &ShiftSpec) -> CostedShift {
    cost_shift(&world.ctx, &spec.draft(number), &spec.terms())
        .expect("the calendar covers every generated date")
}

// ---------------------------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// S4: allocated plus unallocated time is the worked time, and each person gets exactly
    /// Σ minutes / k; every row's minutes, ratio and ticks agree with its segment.
    #[test]
    fn time_is_allocated_exactly(spec in shift_strategy()) {
        let world = world();
        let costed = cost(&world, 1, &spec);
        let expected = reference(&world, &spec);
        prop_assert_eq!(costed.worked_minutes, expected.worked_minutes);
        prop_assert_eq!(costed.unallocated_minutes, expected.unallocated_minutes);
        prop_assert_eq!(costed.paid_minutes, expected.worked_minutes, "no service in the fixture is unpaid");
        let person_ticks: i64 = costed.rows.iter().filter(|r| r.person_id.is_some()).map(|r| r.allocated_ticks).sum();
        let unallocated_ticks: i64 = costed.rows.iter().filter(|r| r.person_id.is_none()).map(|r| r.allocated_ticks).sum();
        prop_assert_eq!(unallocated_ticks, expected.unallocated_minutes * TICKS_PER_MINUTE);
        prop_assert_eq!(person_ticks + unallocated_ticks, expected.worked_minutes * TICKS_PER_MINUTE);
        let mut ticks: BTreeMap<Option<String>, i64> = BTreeMap::new();
        for row in &costed.rows {
            *ticks.entry(row.person_id.as_ref().map(|p| p.to_string())).or_default() += row.allocated_ticks;
        }
        prop_assert_eq!(
            ticks.keys().collect::<Vec<_>>(),
            expected.twelfths.keys().collect::<Vec<_>>(),
            "the same people receive time"
        );
        for (who, twelfths) in &expected.twelfths {
            // ticks / TICKS_PER_MINUTE == twelfths / 12, compared without dividing.
            prop_assert_eq!(ticks[who] * 12, twelfths * TICKS_PER_MINUTE, "allocated time of {:?}", who);
        }
        let intervals = spec.intervals();
        for row in &costed.rows {
            let segment = &spec.segments[row.segment_no as usize];
            let (start, end) = intervals[row.segment_no as usize];
            prop_assert!(start <= row.start && row.end <= end && row.start < row.end);
            prop_assert_eq!(row.minutes, (row.end - row.start).num_minutes());
            prop_assert_eq!(row.ratio as usize, segment.people.len());
            prop_assert_eq!(row.service.as_str(), segment.service);
            let k = segment.people.len().max(1) as i64;
            prop_assert_eq!(row.allocated_ticks * k, row.minutes * TICKS_PER_MINUTE);
        }
    }

    /// B1, C2–C5: every minute has the reference's date, band and rate; unpriced minutes are
    /// exactly those with no rate and are never charged; per-person lines and amounts match.
    #[test]
    fn charges_match_the_minute_by_minute_reference(spec in shift_strategy()) {
        let world = world();
        let costed = cost(&world, 1, &spec);
        let expected = reference(&world, &spec);
        let minutes = engine_minutes(&costed)?;
        prop_assert!(
            minutes == expected.minutes,
            "per-minute charges differ {}",
            first_difference(&minutes, &expected.minutes).unwrap_or_default()
        );
        for row in &costed.rows {
            prop_assert_eq!(row.charge == Charge::Nobody, row.person_id.is_none());
            if let Charge::Night { units, .. } = row.charge {
                prop_assert!(units == 0 || units == 1, "a night is one unit");
            }
        }
        let lines = engine_lines(&costed.rows);
        let wanted = reference_lines([&expected]);
        prop_assert!(lines == wanted, "lines differ {}", first_difference(&lines, &wanted).unwrap_or_default());
        for (key, (_, _, amount)) in &lines {
            prop_assert!(amount.get() > 0, "no line is charged at zero: {:?}", key);
        }
        // C4: each night is charged on the row of the person's first minute of the service.
        let mut night_starts = BTreeMap::new();
        for row in &costed.rows {
            if let (Charge::Night { units: 1, .. }, Some(p)) = (row.charge, &row.person_id) {
                let earlier = night_starts.insert((p.to_string(), row.service.to_string()), row.start);
                prop_assert!(earlier.is_none(), "one night per shift, person and service");
            }
        }
        prop_assert_eq!(&night_starts, &expected.night_starts);
        // Unpriced time is reported, never charged: it appears in no line's minutes.
        let charged_minutes: i64 = lines.iter().filter(|(k, _)| k.unit == Unit::Hour).map(|(_, v)| v.0).sum();
        let hour_minutes = expected.minutes.values().filter(|(_, _, kind)| matches!(kind, Kind::Hour { .. })).count();
        prop_assert_eq!(charged_minutes, hour_minutes as i64);
    }

    /// K1, K2: pay per piece rounded once, sleep-in allowances once per service, and each piece
    /// shared in whole pence with the odd pence on the lowest person ids.
    #[test]
    fn pay_matches_the_reference(spec in shift_strategy()) {
        let world = world();
        let costed = cost(&world, 1, &spec);
        let expected = reference(&world, &spec);
        let row_pay: i64 = costed.rows.iter().map(|r| r.pay.get()).sum();
        prop_assert_eq!(row_pay, expected.pay_total);
        prop_assert_eq!(costed.pay.get(), expected.pay_total);
        let mut pay: BTreeMap<PieceKey, i64> = BTreeMap::new();
        for row in &costed.rows {
            *pay.entry((row.segment_no, row.local_date, row.person_id.as_ref().map(|p| p.to_string()))).or_default() += row.pay.get();
        }
        prop_assert!(pay == expected.pay, "piece pay differs {}", first_difference(&pay, &expected.pay).unwrap_or_default());
        let mut pieces: BTreeMap<(u32, NaiveDate), Vec<i64>> = BTreeMap::new();
        for ((segment_no, on, _), share) in &pay {
            pieces.entry((*segment_no, *on)).or_default().push(*share);
        }
        for (piece, shares) in pieces {
            // BTreeMap order is byte order of the ids, so the shares must not increase.
            prop_assert!(shares.windows(2).all(|w| w[0] >= w[1]), "odd pence go to the lowest ids in {:?}: {:?}", piece, shares);
            prop_assert!(shares[0] - shares[shares.len() - 1] <= 1, "shares differ by at most 1p in {:?}: {:?}", piece, shares);
        }
    }

    /// Costing shifts in another order gives the same invoice lines, grouped across shifts, and
    /// those lines match the reference rounded once per line over all the shifts.
    #[test]
    fn lines_do_not_depend_on_the_order_of_shifts((shifts, order) in shifts_and_order()) {
        let world = world();
        let in_order: Vec<AllocationRow> = shifts.iter().enumerate().flat_map(|(n, s)| cost(&world, n, s).rows).collect();
        let shuffled: Vec<AllocationRow> = order.iter().flat_map(|&n| cost(&world, n, &shifts[n]).rows).collect();
        let lines = engine_lines(&in_order);
        let lines_shuffled = engine_lines(&shuffled);
        prop_assert!(lines == lines_shuffled, "order matters {}", first_difference(&lines, &lines_shuffled).unwrap_or_default());
        let expected: Vec<Expected> = shifts.iter().map(|s| reference(&world, s)).collect();
        let wanted = reference_lines(&expected);
        prop_assert!(lines == wanted, "lines differ {}", first_difference(&lines, &wanted).unwrap_or_default());
    }
}

/// The reference itself, on cases whose answers are written in docs/rules.md or worked by hand.
#[test]
fn the_reference_agrees_with_hand_worked_cases() {
    assert_eq!(round_half_away(1255, 1000), 1);
    assert_eq!(round_half_away(12_550, 10_000), 1);
    assert_eq!(round_half_away(15, 10), 2);
    assert_eq!(round_half_away(-15, 10), -2);
    assert_eq!(round_half_away(14, 10), 1);
    assert_eq!(split_equally(100, 3), vec![34, 33, 33]);
    let world = world();
    // docs/rules.md worked example 3 with the fixture's October day rate of £24.50.
    let spec = ShiftSpec {
        start: "2026-10-23T20:00:00Z".parse().unwrap(),
        base_rate: "12.00",
        segments: vec![SegmentSpec {
            gap: 0,
            minutes: 240,
            service: "PC",
            people: vec!["P1"],
        }],
    };
    let expected = reference(&world, &spec);
    let summary: Vec<(String, Band, i64, Pence)> = reference_lines([&expected])
        .into_iter()
        .map(|(k, (minutes, _, amount))| (k.date.to_string(), k.band, minutes, amount))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("2026-10-23".to_owned(), Band::Day, 60, Pence::new(2450)),
            ("2026-10-23".to_owned(), Band::Night, 120, Pence::new(5200)),
            ("2026-10-24".to_owned(), Band::Weekend, 60, Pence::new(2700)),
        ]
    );
    // Pay: £12.00 × 1 + £13.50 × 2 on the 23rd, £14.2575 × 1 on the 24th.
    assert_eq!(expected.pay_total, 1200 + 2700 + 1426);
    // The autumn change: 22:00 BST to 08:00 GMT is 660 minutes, 120 on the 24th.
    let spec = ShiftSpec {
        start: "2026-10-24T21:00:00Z".parse().unwrap(),
        base_rate: "12.00",
        segments: vec![SegmentSpec {
            gap: 0,
            minutes: 660,
            service: "WN",
            people: vec!["P10", "P2"],
        }],
    };
    let expected = reference(&world, &spec);
    let summary: Vec<(String, String, i64, Pence)> = reference_lines([&expected])
        .into_iter()
        .map(|(k, (minutes, _, amount))| {
            (k.person_id.to_string(), k.date.to_string(), minutes, amount)
        })
        .collect();
    // WN weekend £24.00 shared by two (no ratio-2 entry); LA1 has no weekend WN override.
    assert_eq!(
        summary,
        vec![
            (
                "P10".to_owned(),
                "2026-10-24".to_owned(),
                120,
                Pence::new(2400)
            ),
            (
                "P10".to_owned(),
                "2026-10-25".to_owned(),
                540,
                Pence::new(10800)
            ),
            (
                "P2".to_owned(),
                "2026-10-24".to_owned(),
                120,
                Pence::new(2400)
            ),
            (
                "P2".to_owned(),
                "2026-10-25".to_owned(),
                540,
                Pence::new(10800)
            ),
        ]
    );
}

/// C4: a night is dated, banded and priced by the person's first minute of the service; when
/// that minute has no rate the night is unpriced, not charged at a later minute's rate.
#[test]
fn a_night_is_priced_by_its_first_minute_only() {
    let world = world();
    // LIVE_IN is priced from 2026-03-29: this night starts unpriced on the 28th.
    let unpriced_start = ShiftSpec {
        start: "2026-03-28T22:00:00Z".parse().unwrap(),
        base_rate: "12.00",
        segments: vec![SegmentSpec {
            gap: 0,
            minutes: 540,
            service: "LIVE_IN",
            people: vec!["P1"],
        }],
    };
    let costed = cost(&world, 1, &unpriced_start);
    assert!(engine_lines(&costed.rows).is_empty(), "no night is charged");
    let first = &costed.rows[0];
    assert_eq!(first.local_date, date("2026-03-28"));
    assert_eq!(
        first.charge,
        Charge::Unpriced,
        "the night is reported unpriced"
    );
    assert!(
        costed
            .rows
            .iter()
            .all(|r| !matches!(r.charge, Charge::Night { units: 1.., .. }))
    );
    // LIVE_IN is priced until 2026-12-27 (a Sunday): this night is charged once, dated the 27th.
    let priced_start = ShiftSpec {
        start: "2026-12-27T22:00:00Z".parse().unwrap(),
        base_rate: "12.00",
        segments: vec![SegmentSpec {
            gap: 0,
            minutes: 600,
            service: "LIVE_IN",
            people: vec!["P1"],
        }],
    };
    let lines = engine_lines(&cost(&world, 1, &priced_start).rows);
    let summary: Vec<(NaiveDate, Band, i64, Pence)> = lines
        .iter()
        .map(|(k, (_, units, amount))| (k.date, k.band, *units, *amount))
        .collect();
    assert_eq!(
        summary,
        vec![(date("2026-12-27"), Band::Weekend, 1, Pence::new(11_000))]
    );
}
