//! The worked examples 1–8 of docs/rules.md, each checked against the pure engine (`cost_shift`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use tms::allocate::{SegmentDraft, ShiftDraft, TICKS_PER_MINUTE};
use tms::calendar::BankHolidays;
use tms::cost::{
    AllocationRow, Charge, ChargeLine, CostedShift, RateCard, RateEntry, RatingContext,
    WorkerTerms, cost_shift,
};
use tms::domain::time::TimeError;
use tms::domain::{
    Band, CostCentreId, Interval, LocalZone, PayElement, Pence, PersonId, Rate, ServiceCode,
    ShiftRef, Unit, WorkerId,
};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn pounds(s: &str) -> Pence {
    Pence::parse_pounds(s).unwrap()
}

fn rate(s: &str) -> Rate {
    Rate::parse_pounds(s).unwrap()
}

fn person(s: &str) -> PersonId {
    PersonId::parse(s).unwrap()
}

fn service(s: &str) -> ServiceCode {
    ServiceCode::parse(s).unwrap()
}

/// England & Wales bank holidays for 2026 (GOV.UK), Boxing Day substituted to Monday 28 December.
fn england_and_wales_2026() -> BankHolidays {
    let days = [
        ("2026-01-01", "New Year's Day"),
        ("2026-04-03", "Good Friday"),
        ("2026-04-06", "Easter Monday"),
        ("2026-05-04", "Early May bank holiday"),
        ("2026-05-25", "Spring bank holiday"),
        ("2026-08-31", "Summer bank holiday"),
        ("2026-12-25", "Christmas Day"),
        ("2026-12-28", "Boxing Day"),
    ];
    BankHolidays::new(
        "england-and-wales",
        days.iter().map(|(d, n)| (date(d), (*n).to_owned())),
    )
}

/// The rate card of the worked examples (all `hour` unless stated).
fn example_rate_card() -> RateCard {
    let entry = |code: &str, unit: Unit, band: Band, ratio: u32, amount: &str| RateEntry {
        service: service(code),
        unit,
        band,
        ratio,
        rate: rate(amount),
        effective_from: date("2026-01-01"),
        effective_to: None,
        payer: None,
    };
    RateCard::new([
        entry("PERSONAL_CARE", Unit::Hour, Band::Day, 1, "24.00"),
        entry("PERSONAL_CARE", Unit::Hour, Band::Night, 1, "26.00"),
        entry("PERSONAL_CARE", Unit::Hour, Band::Weekend, 1, "27.00"),
        entry("PERSONAL_CARE", Unit::Hour, Band::BankHoliday, 1, "36.00"),
        entry("PERSONAL_CARE", Unit::Hour, Band::Day, 2, "14.00"),
        entry("WAKING_NIGHT", Unit::Hour, Band::Day, 1, "22.00"),
        entry("WAKING_NIGHT", Unit::Hour, Band::Weekend, 1, "24.00"),
        entry("SLEEP_IN", Unit::Night, Band::Day, 1, "90.00"),
        entry("SLEEP_IN_AWAKE", Unit::Hour, Band::Day, 1, "20.00"),
    ])
}

fn example_context() -> RatingContext {
    let pay_elements = HashMap::from([
        (service("PERSONAL_CARE"), PayElement::Contact),
        (service("WAKING_NIGHT"), PayElement::WakingNight),
        (service("SLEEP_IN"), PayElement::SleepIn),
        (service("SLEEP_IN_AWAKE"), PayElement::Awake),
        (service("TRAVEL"), PayElement::Travel),
    ]);
    RatingContext {
        zone: LocalZone::new(chrono_tz::Europe::London),
        holidays: england_and_wales_2026(),
        rate_card: example_rate_card(),
        pay_elements,
        ..RatingContext::default()
    }
}

fn worker() -> WorkerTerms {
    WorkerTerms::flat(rate("12.60"), CostCentreId::parse("HOUSE1").unwrap())
}

fn at(local: &str) -> DateTime<Utc> {
    LocalZone::default().parse_instant(local).unwrap()
}

fn segment(from: &str, to: &str, code: &str, people: &[&str]) -> SegmentDraft {
    let mut people: Vec<PersonId> = people.iter().map(|p| person(p)).collect();
    people.sort();
    SegmentDraft {
        interval: Interval::new(at(from), at(to)).unwrap(),
        service: service(code),
        people,
    }
}

fn cost(segments: Vec<SegmentDraft>) -> CostedShift {
    let shift = ShiftDraft {
        worker_id: WorkerId::parse("W1").unwrap(),
        shift_ref: ShiftRef::parse("S1").unwrap(),
        segments,
    };
    cost_shift(&example_context(), &shift, &worker()).unwrap()
}

/// The engine's rows grouped into invoice lines (C5).
fn charge_lines(rows: &[AllocationRow]) -> Vec<ChargeLine> {
    tms::cost::group_lines(rows).expect("amounts in range")
}

/// A line reduced to what the examples state: person, date, service, band, k, minutes, amount.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Line {
    person: String,
    date: NaiveDate,
    service: String,
    band: Band,
    ratio: u32,
    minutes: i64,
    amount: Pence,
}

fn line(
    person: &str,
    date_: &str,
    code: &str,
    band: Band,
    ratio: u32,
    minutes: i64,
    amount: &str,
) -> Line {
    Line {
        person: person.to_owned(),
        date: date(date_),
        service: code.to_owned(),
        band,
        ratio,
        minutes,
        amount: pounds(amount),
    }
}

fn summarise(lines: &[ChargeLine]) -> Vec<Line> {
    let mut out: Vec<Line> = lines
        .iter()
        .map(|l| Line {
            person: l.key.person_id.to_string(),
            date: l.key.date,
            service: l.key.service.to_string(),
            band: l.key.band,
            ratio: l.key.ratio,
            minutes: l.reported_minutes(),
            amount: l.amount,
        })
        .collect();
    out.sort();
    out
}

fn sorted(mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort();
    lines
}

/// Allocated time per person in ticks (`None` is unallocated time).
fn allocated_ticks(costed: &CostedShift) -> BTreeMap<Option<String>, i64> {
    let mut out = BTreeMap::new();
    for row in &costed.rows {
        *out.entry(row.person_id.as_ref().map(PersonId::to_string))
            .or_insert(0) += row.allocated_ticks;
    }
    out
}

fn ticks(minutes_numerator: i64, denominator: i64) -> i64 {
    assert_eq!((minutes_numerator * TICKS_PER_MINUTE) % denominator, 0);
    minutes_numerator * TICKS_PER_MINUTE / denominator
}

fn total_for(lines: &[ChargeLine], who: &str) -> Pence {
    lines
        .iter()
        .filter(|l| l.key.person_id.as_str() == who)
        .map(|l| l.amount)
        .try_fold(Pence::ZERO, Pence::checked_add)
        .expect("a total in range")
}

#[test]
fn example_1_three_people_share_a_one_to_one_rate() {
    let costed = cost(vec![segment(
        "2026-10-06T09:00",
        "2026-10-06T10:00",
        "PERSONAL_CARE",
        &["A", "B", "C"],
    )]);
    let lines = charge_lines(&costed.rows);
    assert_eq!(
        summarise(&lines),
        sorted(
            ["A", "B", "C"]
                .iter()
                .map(|p| line(p, "2026-10-06", "PERSONAL_CARE", Band::Day, 3, 60, "8.00"))
                .collect()
        )
    );
    for l in &lines {
        assert_eq!(
            l.key.entry_rate,
            rate("24.00"),
            "no ratio-3 entry: the 1:1 rate"
        );
        assert_eq!(l.key.divisor, 3, "divided by k");
        assert_eq!(l.rate(), rate("8.00"), "£8.00/h each");
    }
    let expected: BTreeMap<Option<String>, i64> = ["A", "B", "C"]
        .iter()
        .map(|p| (Some((*p).to_owned()), 20 * TICKS_PER_MINUTE))
        .collect();
    assert_eq!(allocated_ticks(&costed), expected);
}

#[test]
fn example_2_a_ratio_two_entry_wins() {
    let costed = cost(vec![segment(
        "2026-10-06T10:00",
        "2026-10-06T11:30",
        "PERSONAL_CARE",
        &["A", "B"],
    )]);
    let lines = charge_lines(&costed.rows);
    assert_eq!(
        summarise(&lines),
        vec![
            line(
                "A",
                "2026-10-06",
                "PERSONAL_CARE",
                Band::Day,
                2,
                90,
                "21.00"
            ),
            line(
                "B",
                "2026-10-06",
                "PERSONAL_CARE",
                Band::Day,
                2,
                90,
                "21.00"
            ),
        ]
    );
    for l in &lines {
        assert_eq!((l.key.entry_rate, l.key.divisor), (rate("14.00"), 1));
        assert_eq!(l.rate(), rate("14.00"));
    }
    let expected = BTreeMap::from([
        (Some("A".to_owned()), 45 * TICKS_PER_MINUTE),
        (Some("B".to_owned()), 45 * TICKS_PER_MINUTE),
    ]);
    assert_eq!(allocated_ticks(&costed), expected);
}

#[test]
fn example_3_an_evening_splits_into_day_night_and_weekend_lines() {
    let costed = cost(vec![segment(
        "2026-10-23T21:00",
        "2026-10-24T01:00",
        "PERSONAL_CARE",
        &["D"],
    )]);
    let lines = charge_lines(&costed.rows);
    assert_eq!(
        summarise(&lines),
        vec![
            line(
                "D",
                "2026-10-23",
                "PERSONAL_CARE",
                Band::Day,
                1,
                60,
                "24.00"
            ),
            line(
                "D",
                "2026-10-23",
                "PERSONAL_CARE",
                Band::Night,
                1,
                120,
                "52.00"
            ),
            line(
                "D",
                "2026-10-24",
                "PERSONAL_CARE",
                Band::Weekend,
                1,
                60,
                "27.00"
            ),
        ]
    );
    assert_eq!(total_for(&lines, "D"), pounds("103.00"));
    assert_eq!(
        allocated_ticks(&costed),
        BTreeMap::from([(Some("D".to_owned()), 240 * TICKS_PER_MINUTE)])
    );
}

#[test]
fn example_4_the_autumn_night_is_eleven_weekend_hours() {
    let start = LocalZone::default()
        .parse_instant("2026-10-24T22:00+01:00")
        .unwrap();
    let end = LocalZone::default()
        .parse_instant("2026-10-25T08:00+00:00")
        .unwrap();
    assert_eq!(
        start,
        at("2026-10-24T22:00"),
        "22:00 on the 24th is unambiguous BST"
    );
    assert_eq!(
        end,
        at("2026-10-25T08:00"),
        "08:00 on the 25th is unambiguous GMT"
    );
    let costed = cost(vec![SegmentDraft {
        interval: Interval::new(start, end).unwrap(),
        service: service("WAKING_NIGHT"),
        people: vec![person("E")],
    }]);
    assert_eq!(costed.worked_minutes, 660);
    let lines = charge_lines(&costed.rows);
    assert_eq!(
        summarise(&lines),
        vec![
            line(
                "E",
                "2026-10-24",
                "WAKING_NIGHT",
                Band::Weekend,
                1,
                120,
                "48.00"
            ),
            line(
                "E",
                "2026-10-25",
                "WAKING_NIGHT",
                Band::Weekend,
                1,
                540,
                "216.00"
            ),
        ]
    );
    assert_eq!(total_for(&lines, "E"), pounds("264.00"));
    assert_eq!(
        allocated_ticks(&costed),
        BTreeMap::from([(Some("E".to_owned()), 660 * TICKS_PER_MINUTE)])
    );
}

#[test]
fn example_5_a_sleep_in_split_by_an_awake_period_is_one_night() {
    let costed = cost(vec![
        segment(
            "2026-10-07T23:00",
            "2026-10-08T02:00",
            "SLEEP_IN",
            &["A", "B"],
        ),
        segment(
            "2026-10-08T02:00",
            "2026-10-08T02:45",
            "SLEEP_IN_AWAKE",
            &["A"],
        ),
        segment(
            "2026-10-08T02:45",
            "2026-10-08T07:00",
            "SLEEP_IN",
            &["A", "B"],
        ),
    ]);
    let lines = charge_lines(&costed.rows);
    let nights: Vec<&ChargeLine> = lines.iter().filter(|l| l.key.unit == Unit::Night).collect();
    assert_eq!(nights.len(), 2, "one night each for A and B");
    for night in &nights {
        assert_eq!(night.units, 1);
        assert_eq!(
            night.key.date,
            date("2026-10-07"),
            "dated by the first minute"
        );
        assert_eq!(night.key.band, Band::Night);
        assert_eq!(night.key.ratio, 2, "k of the first minute");
        assert_eq!(
            (night.key.entry_rate, night.key.divisor),
            (rate("90.00"), 2)
        );
        assert_eq!(night.amount, pounds("45.00"));
    }
    let awake: Vec<&ChargeLine> = lines.iter().filter(|l| l.key.unit == Unit::Hour).collect();
    assert_eq!(awake.len(), 1);
    assert_eq!(awake[0].key.person_id, person("A"));
    assert_eq!(awake[0].key.service, service("SLEEP_IN_AWAKE"));
    assert_eq!(awake[0].key.date, date("2026-10-08"));
    assert_eq!(
        awake[0].key.band,
        Band::Night,
        "the minute's band, not the fallback's"
    );
    assert_eq!(
        (awake[0].key.entry_rate, awake[0].key.divisor),
        (rate("20.00"), 1)
    );
    assert_eq!(awake[0].minutes, 45);
    assert_eq!(awake[0].amount, pounds("15.00"));
    assert_eq!(total_for(&lines, "A"), pounds("60.00"));
    assert_eq!(total_for(&lines, "B"), pounds("45.00"));
    // S4: 180 and 255 sleep-in minutes are shared by two, the 45 awake minutes are A's alone.
    assert_eq!(
        allocated_ticks(&costed),
        BTreeMap::from([
            (Some("A".to_owned()), ticks(180 + 255, 2) + ticks(45, 1)),
            (Some("B".to_owned()), ticks(180 + 255, 2)),
        ])
    );
    assert_eq!(costed.worked_minutes, 480);
}

#[test]
fn example_6_travel_is_unallocated_and_a_gap_is_an_unpaid_break() {
    let segments = vec![
        segment(
            "2026-10-06T09:00",
            "2026-10-06T10:00",
            "PERSONAL_CARE",
            &["A"],
        ),
        segment("2026-10-06T10:00", "2026-10-06T10:20", "TRAVEL", &[]),
        segment(
            "2026-10-06T10:50",
            "2026-10-06T11:50",
            "PERSONAL_CARE",
            &["B"],
        ),
    ];
    let span = (segments[2].interval.end - segments[0].interval.start).num_minutes();
    let costed = cost(segments);
    assert_eq!(costed.worked_minutes, 140);
    assert_eq!(costed.paid_minutes, 140);
    assert_eq!(costed.unallocated_minutes, 20);
    assert_eq!(span - costed.worked_minutes, 30, "unpaid break");
    assert_eq!(
        allocated_ticks(&costed),
        BTreeMap::from([
            (None, 20 * TICKS_PER_MINUTE),
            (Some("A".to_owned()), 60 * TICKS_PER_MINUTE),
            (Some("B".to_owned()), 60 * TICKS_PER_MINUTE),
        ])
    );
    let travel: Vec<&AllocationRow> = costed
        .rows
        .iter()
        .filter(|r| r.person_id.is_none())
        .collect();
    assert_eq!(travel.len(), 1);
    assert_eq!(travel[0].charge, Charge::Nobody, "charged to nobody");
    assert_eq!(travel[0].ratio, 0);
    assert_eq!(
        summarise(&charge_lines(&costed.rows)),
        vec![
            line(
                "A",
                "2026-10-06",
                "PERSONAL_CARE",
                Band::Day,
                1,
                60,
                "24.00"
            ),
            line(
                "B",
                "2026-10-06",
                "PERSONAL_CARE",
                Band::Day,
                1,
                60,
                "24.00"
            ),
        ]
    );
}

#[test]
fn example_7_the_substitute_boxing_day_is_a_bank_holiday() {
    let costed = cost(vec![segment(
        "2026-12-28T08:00",
        "2026-12-28T09:00",
        "PERSONAL_CARE",
        &["A"],
    )]);
    assert_eq!(
        summarise(&charge_lines(&costed.rows)),
        vec![line(
            "A",
            "2026-12-28",
            "PERSONAL_CARE",
            Band::BankHoliday,
            1,
            60,
            "36.00"
        )]
    );
    assert_eq!(
        allocated_ticks(&costed),
        BTreeMap::from([(Some("A".to_owned()), 60 * TICKS_PER_MINUTE)])
    );
}

#[test]
fn example_8_ambiguous_and_nonexistent_local_times_are_rejected() {
    let zone = LocalZone::new(chrono_tz::Europe::London);
    assert!(matches!(
        zone.parse_instant("2026-10-25T01:30"),
        Err(TimeError::Ambiguous(_))
    ));
    assert!(matches!(
        zone.parse_instant("2026-03-29T01:30"),
        Err(TimeError::Nonexistent(_))
    ));
    let utc_half_past_one = "2026-10-25T01:30:00Z".parse::<DateTime<Utc>>().unwrap();
    assert_eq!(
        zone.parse_instant("2026-10-25T01:30+00:00"),
        Ok(utc_half_past_one)
    );
    // The same wall time an hour either side of the change is a single instant.
    assert!(zone.parse_instant("2026-10-25T00:30").is_ok());
    assert!(zone.parse_instant("2026-03-29T02:30").is_ok());
}
